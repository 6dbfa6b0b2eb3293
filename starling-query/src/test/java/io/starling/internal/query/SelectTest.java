package io.starling.internal.query;

import static io.starling.internal.query.Eval.dql;
import static io.starling.internal.query.Eval.select;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.core.Value;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SelectTest {
    private InMemorySource cars;

    @BeforeEach
    void setUp() {
        cars = new InMemorySource()
                .add(
                        "cars",
                        "{'_id': 1, 'make': 'Ford', 'color': 'blue', 'price': 20000, 'year': 2019, 'tags': ['a', 'b']}",
                        "{'_id': 2, 'make': 'Ford', 'color': 'red', 'price': 25000.5, 'year': 2021}",
                        "{'_id': 3, 'make': 'Audi', 'color': 'blue', 'price': 40000, 'year': 2021, 'tags': ['b']}",
                        "{'_id': 4, 'make': 'Audi', 'color': NULL, 'price': 'call us', 'year': 2018}",
                        "{'_id': 5, 'make': 'Kia', 'year': 2021}");
    }

    @Test
    void selectStarGivesWholeDocumentsInIdOrder() {
        List<Value.Obj> rows = select("SELECT * FROM cars WHERE year = 2021", cars);
        assertThat(rows).extracting(r -> r.get("_id")).containsExactly(Value.of(2L), Value.of(3L), Value.of(5L));
        assertThat(rows.get(0).get("make")).isEqualTo(Value.of("Ford"));
    }

    @Test
    void missingCollectionIsEmpty() {
        assertThat(select("SELECT * FROM nothing", cars)).isEmpty();
        assertThat(dql(select("SELECT COUNT(*) AS n FROM nothing", cars))).isEqualTo("{'n': 0}");
    }

    @Test
    void whereKeepsOnlyTrue() {
        assertThat(dql(select("SELECT _id FROM cars WHERE color = NULL", cars))).isEmpty();
        assertThat(dql(select("SELECT _id FROM cars WHERE color IS NULL", cars)))
                .isEqualTo("{'_id': 4}");
        assertThat(dql(select("SELECT _id FROM cars WHERE color IS MISSING", cars)))
                .isEqualTo("{'_id': 5}");
        assertThat(dql(select("SELECT _id FROM cars WHERE color IS NOT VALUED", cars)))
                .isEqualTo("{'_id': 4} {'_id': 5}");
        assertThat(dql(select("SELECT _id FROM cars WHERE NOT (color = 'blue')", cars)))
                .isEqualTo("{'_id': 2}");
        assertThat(dql(select("SELECT _id FROM cars WHERE price > 21000", cars)))
                .as("'call us' is not comparable")
                .isEqualTo("{'_id': 2} {'_id': 3}");
        assertThat(dql(select("SELECT _id FROM cars WHERE 'b' IN tags AND year > 2020", cars)))
                .isEqualTo("{'_id': 3}");
        assertThat(dql(select("SELECT _id FROM cars WHERE ANY t IN tags SATISFIES t = 'a' END", cars)))
                .isEqualTo("{'_id': 1}");
        assertThat(dql(select("SELECT _id FROM cars WHERE make LIKE 'A%' OR make ILIKE 'kia'", cars)))
                .isEqualTo("{'_id': 3} {'_id': 4} {'_id': 5}");
    }

    @Test
    void projectionNamingAndMissingValues() {
        assertThat(dql(select(
                        "SELECT make, color, price * 2, UPPER(make) AS m, tags[0] FROM cars WHERE _id IN [1, 5]",
                        cars)))
                .isEqualTo(
                        "{'make': 'Ford', 'color': 'blue', '($1)': 40000, 'm': 'FORD', '($2)': 'a'} {'make': 'Kia', 'm': 'KIA'}");
        assertThat(dql(select("SELECT color FROM cars WHERE _id = 4", cars)))
                .as("NULL is kept")
                .isEqualTo("{'color': NULL}");
        assertThat(dql(select("SELECT {'c': color, 'p': price} AS o FROM cars WHERE _id = 5", cars)))
                .isEqualTo("{'o': {}}");
        assertThat(dql(select("SELECT nope FROM cars WHERE _id = 5", cars)))
                .as("empty objects round-trip")
                .isEqualTo("{}");
        assertThat(dql(select("SELECT make one, `year` `the year` FROM cars WHERE _id = 1", cars)))
                .isEqualTo("{'one': 'Ford', 'the year': 2019}");
    }

    @Test
    void orderByUsesValueOrderAcrossTypes() {
        assertThat(dql(select("SELECT _id, price FROM cars ORDER BY price", cars)))
                .isEqualTo(
                        "{'_id': 5} {'_id': 1, 'price': 20000} {'_id': 2, 'price': 25000.5} {'_id': 3, 'price': 40000} {'_id': 4, 'price': 'call us'}");
        assertThat(dql(select("SELECT _id FROM cars ORDER BY color DESC, _id DESC", cars)))
                .isEqualTo("{'_id': 2} {'_id': 3} {'_id': 1} {'_id': 4} {'_id': 5}");
        assertThat(dql(select("SELECT _id, year FROM cars ORDER BY year DESC, make LIMIT 2", cars)))
                .isEqualTo("{'_id': 3, 'year': 2021} {'_id': 2, 'year': 2021}");
        assertThat(dql(select("SELECT make AS m FROM cars ORDER BY m DESC LIMIT 1", cars)))
                .isEqualTo("{'m': 'Kia'}");
        assertThat(dql(select("SELECT _id FROM cars ORDER BY color = 'blue' DESC, _id", cars)))
                .isEqualTo("{'_id': 1} {'_id': 3} {'_id': 2} {'_id': 4} {'_id': 5}");
    }

    @Test
    void orderByIsStable() {
        assertThat(dql(select("SELECT _id FROM cars ORDER BY year = 2021", cars)))
                .isEqualTo("{'_id': 1} {'_id': 4} {'_id': 2} {'_id': 3} {'_id': 5}");
    }

    @Test
    void limitAndOffset() {
        assertThat(dql(select("SELECT _id FROM cars LIMIT 2", cars))).isEqualTo("{'_id': 1} {'_id': 2}");
        assertThat(dql(select("SELECT _id FROM cars LIMIT 2 OFFSET 2", cars))).isEqualTo("{'_id': 3} {'_id': 4}");
        assertThat(dql(select("SELECT _id FROM cars OFFSET 4", cars))).isEqualTo("{'_id': 5}");
        assertThat(dql(select("SELECT _id FROM cars OFFSET 9", cars))).isEmpty();
        assertThat(dql(select("SELECT _id FROM cars LIMIT 0", cars))).isEmpty();
        assertThat(dql(select(
                        "SELECT _id FROM cars ORDER BY _id DESC LIMIT :n OFFSET :o",
                        cars,
                        Map.of("n", Value.of(2L), "o", Value.of(1.0)))))
                .isEqualTo("{'_id': 4} {'_id': 3}");
    }

    @Test
    void plainQueriesStopScanningAtTheLimit() {
        select("SELECT _id FROM cars LIMIT 2", cars);
        assertThat(cars.visited).isEqualTo(2);
    }

    @Test
    void badLimitArgumentsAreInvalidAtTheirPosition() {
        assertThatThrownBy(() -> select("SELECT * FROM cars LIMIT :n", cars, Map.of("n", Value.of(-1L))))
                .hasMessage("line 1, column 26: LIMIT must be a non-negative integer but :n was -1")
                .matches(e -> ((DqlException) e).kind() == DqlException.Kind.INVALID);
        assertThatThrownBy(() -> select("SELECT * FROM cars OFFSET :n", cars, Map.of("n", Value.of(1.5))))
                .hasMessage("line 1, column 27: OFFSET must be a non-negative integer but :n was 1.5");
        assertThatThrownBy(() -> select("SELECT * FROM cars LIMIT :n", cars, Map.of("n", Value.of("3"))))
                .hasMessage("line 1, column 26: LIMIT must be a non-negative integer but :n was a string \"3\"");
        assertThatThrownBy(() -> select("SELECT * FROM cars LIMIT :n", cars))
                .hasMessage("line 1, column 26: argument :n was not supplied")
                .matches(e -> ((DqlException) e).kind() == DqlException.Kind.ARGUMENT);
    }

    @Test
    void distinct() {
        assertThat(dql(select("SELECT DISTINCT make FROM cars", cars)))
                .isEqualTo("{'make': 'Ford'} {'make': 'Audi'} {'make': 'Kia'}");
        assertThat(dql(select("SELECT DISTINCT make FROM cars ORDER BY make", cars)))
                .isEqualTo("{'make': 'Audi'} {'make': 'Ford'} {'make': 'Kia'}");
        assertThat(dql(select("SELECT DISTINCT year FROM cars ORDER BY year DESC LIMIT 2", cars)))
                .isEqualTo("{'year': 2021} {'year': 2019}");
        assertThat(dql(select("SELECT DISTINCT color FROM cars", cars)))
                .as("MISSING and NULL are distinct")
                .isEqualTo("{'color': 'blue'} {'color': 'red'} {'color': NULL} {}");
        InMemorySource nums = new InMemorySource().add("n", "{'_id': 1, 'v': 1}", "{'_id': 2, 'v': 1.0}");
        assertThat(dql(select("SELECT DISTINCT v FROM n", nums)))
                .as("1 and 1.0 are equal")
                .isEqualTo("{'v': 1}");
    }

    @Test
    void aggregatesWithoutGroupBy() {
        assertThat(dql(select("SELECT COUNT(*), COUNT(color), COUNT(DISTINCT color), COUNT(tags) FROM cars", cars)))
                .isEqualTo("{'($1)': 5, '($2)': 3, '($3)': 2, '($4)': 2}");
        assertThat(dql(select(
                        "SELECT SUM(price) AS s, AVG(price) AS a, MIN(price) AS lo, MAX(price) AS hi FROM cars", cars)))
                .isEqualTo("{'s': 85000.5, 'a': 28333.5, 'lo': 20000, 'hi': 'call us'}");
        assertThat(dql(select(
                        "SELECT SUM(year) AS s, SUM(DISTINCT year) AS d, AVG(DISTINCT year) AS a FROM cars", cars)))
                .isEqualTo("{'s': 10100, 'd': 6058, 'a': 2019.3333333333333}");
        assertThat(dql(select("SELECT MIN(color) AS lo, MAX(color) AS hi FROM cars", cars)))
                .isEqualTo("{'lo': 'blue', 'hi': 'red'}");
        assertThat(dql(select("SELECT COUNT(*) AS n, SUM(price) + 1 AS s FROM cars WHERE year > 2021", cars)))
                .as("over zero rows: one row, COUNT 0, others NULL")
                .isEqualTo("{'n': 0, 's': NULL}");
        assertThat(dql(select(
                        "SELECT COUNT(*) AS n, MIN(year) AS m, AVG(year) AS a FROM cars WHERE year > 2021", cars)))
                .isEqualTo("{'n': 0, 'm': NULL, 'a': NULL}");
        assertThat(dql(select("SELECT COUNT(*) * 2 AS twice, 'x' AS k FROM cars", cars)))
                .isEqualTo("{'twice': 10, 'k': 'x'}");
    }

    @Test
    void groupByHavingOrderBy() {
        assertThat(dql(select("SELECT make, COUNT(*) AS n, MAX(year) AS latest FROM cars GROUP BY make", cars)))
                .isEqualTo("{'make': 'Ford', 'n': 2, 'latest': 2021} {'make': 'Audi', 'n': 2, 'latest': 2021} "
                        + "{'make': 'Kia', 'n': 1, 'latest': 2021}");
        assertThat(dql(select(
                        "SELECT make, COUNT(*) AS n FROM cars GROUP BY make HAVING COUNT(*) > 1 ORDER BY make", cars)))
                .isEqualTo("{'make': 'Audi', 'n': 2} {'make': 'Ford', 'n': 2}");
        assertThat(dql(select(
                        "SELECT make, COUNT(*) AS n FROM cars WHERE year >= 2019 GROUP BY make ORDER BY n DESC, make",
                        cars)))
                .isEqualTo("{'make': 'Ford', 'n': 2} {'make': 'Audi', 'n': 1} {'make': 'Kia', 'n': 1}");
        assertThat(dql(select(
                        "SELECT lower(make) AS m, SUM(year) - 2000 AS s FROM cars GROUP BY lower(make) ORDER BY SUM(year)",
                        cars)))
                .isEqualTo("{'m': 'kia', 's': 21} {'m': 'audi', 's': 2039} {'m': 'ford', 's': 2040}");
        assertThat(dql(select("SELECT color, COUNT(*) AS n FROM cars GROUP BY color ORDER BY color", cars)))
                .as("MISSING and NULL form their own groups")
                .isEqualTo("{'n': 1} {'color': NULL, 'n': 1} {'color': 'blue', 'n': 2} {'color': 'red', 'n': 1}");
        assertThat(dql(select("SELECT year, make, COUNT(*) AS n FROM cars GROUP BY year, make HAVING n > 1", cars)))
                .as("aliases are usable in HAVING")
                .isEmpty();
        assertThat(dql(select(
                        "SELECT make, COUNT(*) AS n FROM cars GROUP BY make HAVING n > 1 ORDER BY n * -1, make", cars)))
                .as("and inside ORDER BY expressions")
                .isEqualTo("{'make': 'Audi', 'n': 2} {'make': 'Ford', 'n': 2}");
        assertThat(select("SELECT make FROM cars WHERE year > 3000 GROUP BY make", cars))
                .isEmpty();
    }

    @Test
    void groupByAnAlias() {
        assertThat(dql(select(
                        "SELECT substr(make, 0, 1) AS initial, COUNT(*) AS n FROM cars GROUP BY initial ORDER BY initial",
                        cars)))
                .isEqualTo("{'initial': 'A', 'n': 2} {'initial': 'F', 'n': 2} {'initial': 'K', 'n': 1}");
    }

    @Test
    void groupsOfEqualNumbersMerge() {
        InMemorySource nums =
                new InMemorySource().add("n", "{'_id': 1, 'v': 1}", "{'_id': 2, 'v': 1.0}", "{'_id': 3, 'v': '1'}");
        assertThat(dql(select("SELECT v, COUNT(*) AS c FROM n GROUP BY v", nums)))
                .isEqualTo("{'v': 1, 'c': 2} {'v': '1', 'c': 1}");
    }

    @Test
    void sumStaysIntegerUntilItOverflows() {
        InMemorySource big =
                new InMemorySource().add("b", "{'_id': 1, 'v': 9223372036854775807}", "{'_id': 2, 'v': 1}");
        assertThat(dql(select("SELECT SUM(v) AS s FROM b WHERE _id = 2", big))).isEqualTo("{'s': 1}");
        assertThat(dql(select("SELECT SUM(v) AS s FROM b", big))).isEqualTo("{'s': 9.223372036854776E18}");
    }

    @Test
    void matchesTestsOneDocument() {
        SelectStatement s = (SelectStatement) Dql.parse("SELECT * FROM cars WHERE color = :c");
        Value.Obj doc = (Value.Obj) Eval.value("{'_id': 1, 'color': 'blue'}");
        assertThat(QueryExecutor.matches(s, doc, Eval.ctx(Map.of("c", Value.of("blue")))))
                .isTrue();
        assertThat(QueryExecutor.matches(s, doc, Eval.ctx(Map.of("c", Value.of("red")))))
                .isFalse();
        assertThat(QueryExecutor.matches(Dql.parse("DELETE FROM cars"), doc, Eval.ctx()))
                .isTrue();
    }
}
