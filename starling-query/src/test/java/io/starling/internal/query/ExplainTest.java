package io.starling.internal.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.core.Value;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** EXPLAIN: one item, a tree of named operators; it reads no document. */
class ExplainTest {
    private InMemorySource src;

    @BeforeEach
    void setUp() {
        src = new InMemorySource()
                .add("cars", "{'_id': 1, 'make': 'Ford', 'year': 2019}")
                .index("CREATE INDEX by_make ON cars (make)")
                .index("CREATE INDEX by_make_year ON cars (make, year DESC)")
                .index("CREATE INDEX by_color ON cars (color)");
    }

    @AfterEach
    void readNothing() {
        assertThat(src.scans + src.gets + src.indexScans + src.counts)
                .as("documents read by EXPLAIN")
                .isZero();
    }

    private String explain(String dql) {
        return explain(dql, Map.of());
    }

    private String explain(String dql, Map<String, Value> args) {
        ExplainStatement s = (ExplainStatement) Dql.parse(dql);
        return JsonText.write(QueryExecutor.explain(s, src, Eval.ctx(args)));
    }

    @Test
    void fullScan() {
        assertThat(explain("EXPLAIN SELECT * FROM cars"))
                .isEqualTo("{\"plan\":{\"operator\":\"Project\",\"columns\":\"*\","
                        + "\"input\":{\"operator\":\"FullScan\",\"collection\":\"cars\"}}}");
    }

    @Test
    void indexScanWithRangesSortAvoidedAndLimitPushedDown() {
        assertThat(explain(
                        "EXPLAIN SELECT * FROM cars WHERE make = 'Ford' AND year BETWEEN 2000 AND 2010 "
                                + "ORDER BY year DESC LIMIT :n OFFSET 2",
                        Map.of("n", Value.of(3L))))
                .isEqualTo("{\"plan\":{\"operator\":\"Limit\",\"count\":3,\"offset\":2,\"pushedDown\":true,"
                        + "\"input\":{\"operator\":\"Sort\",\"keys\":[\"year DESC\"],\"avoided\":true,"
                        + "\"input\":{\"operator\":\"Project\",\"columns\":\"*\","
                        + "\"input\":{\"operator\":\"Filter\",\"condition\":\"((make = 'Ford') AND (year BETWEEN 2000 AND 2010))\","
                        + "\"input\":{\"operator\":\"IndexScan\",\"index\":\"by_make_year\",\"collection\":\"cars\","
                        + "\"fields\":[\"make\",\"year DESC\"],\"ranges\":[{\"make\":\"'Ford'\",\"year\":\"[2000, 2010.0]\"}],"
                        + "\"reverse\":false}}}}}}");
    }

    @Test
    void idLookup() {
        assertThat(explain("EXPLAIN SELECT * FROM cars WHERE _id IN [3, 1, 'x', 1.0]"))
                .contains("{\"operator\":\"IdLookup\",\"collection\":\"cars\",\"ids\":[1,3,\"x\"]}");
    }

    @Test
    void unionOfIndexScansAndIdLookups() {
        assertThat(explain("EXPLAIN SELECT DISTINCT color FROM cars WHERE make = 'Ford' OR color = 'red' OR _id = 7"))
                .isEqualTo(
                        "{\"plan\":{\"operator\":\"Distinct\",\"input\":{\"operator\":\"Project\",\"columns\":[\"color\"],"
                                + "\"input\":{\"operator\":\"Filter\",\"condition\":\"(((make = 'Ford') OR (color = 'red')) OR (_id = 7))\","
                                + "\"input\":{\"operator\":\"Union\",\"dedupe\":\"_id\",\"inputs\":["
                                + "{\"operator\":\"IndexScan\",\"index\":\"by_make\",\"collection\":\"cars\",\"fields\":[\"make\"],"
                                + "\"ranges\":[{\"make\":\"'Ford'\"}],\"reverse\":false},"
                                + "{\"operator\":\"IndexScan\",\"index\":\"by_color\",\"collection\":\"cars\",\"fields\":[\"color\"],"
                                + "\"ranges\":[{\"color\":\"'red'\"}],\"reverse\":false},"
                                + "{\"operator\":\"IdLookup\",\"collection\":\"cars\",\"ids\":[7]}]}}}}}");
    }

    @Test
    void countFastPath() {
        assertThat(explain("EXPLAIN SELECT COUNT(*) AS n FROM cars"))
                .isEqualTo(
                        "{\"plan\":{\"operator\":\"Project\",\"columns\":[\"n\"],"
                                + "\"input\":{\"operator\":\"CountFastPath\",\"collection\":\"cars\",\"aggregates\":[\"count(*)\"]}}}");
    }

    @Test
    void groupingHavingAndAFullSort() {
        assertThat(explain("EXPLAIN SELECT make, COUNT(*) AS n FROM cars WHERE year > 2000 GROUP BY make "
                        + "HAVING COUNT(*) > 1 ORDER BY n DESC LIMIT 5"))
                .isEqualTo("{\"plan\":{\"operator\":\"Limit\",\"count\":5,\"pushedDown\":false,"
                        + "\"input\":{\"operator\":\"Sort\",\"keys\":[\"n DESC\"],\"avoided\":false,"
                        + "\"input\":{\"operator\":\"Project\",\"columns\":[\"make\",\"n\"],"
                        + "\"input\":{\"operator\":\"Having\",\"condition\":\"(count(*) > 1)\","
                        + "\"input\":{\"operator\":\"Aggregate\",\"groupBy\":[\"make\"],\"aggregates\":[\"count(*)\"],"
                        + "\"input\":{\"operator\":\"Filter\",\"condition\":\"(year > 2000)\","
                        + "\"input\":{\"operator\":\"FullScan\",\"collection\":\"cars\"}}}}}}}}");
    }

    @Test
    void indexCandidatesOutOfIdOrderAreSortedById() {
        assertThat(explain("EXPLAIN SELECT make FROM cars WHERE make > 'A' LIMIT 1"))
                .isEqualTo("{\"plan\":{\"operator\":\"Limit\",\"count\":1,\"pushedDown\":false,"
                        + "\"input\":{\"operator\":\"Project\",\"columns\":[\"make\"],"
                        + "\"input\":{\"operator\":\"Sort\",\"keys\":[\"_id\"],"
                        + "\"input\":{\"operator\":\"Filter\",\"condition\":\"(make > 'A')\","
                        + "\"input\":{\"operator\":\"IndexScan\",\"index\":\"by_make\",\"collection\":\"cars\",\"fields\":[\"make\"],"
                        + "\"ranges\":[{\"make\":\"('A', [])\"}],\"reverse\":false}}}}}}");
    }

    @Test
    void mutationsAndTheEmptyPlan() {
        assertThat(explain("EXPLAIN UPDATE cars SET a = 1 WHERE make LIKE 'F%'"))
                .isEqualTo(
                        "{\"plan\":{\"operator\":\"Update\",\"collection\":\"cars\",\"input\":{\"operator\":\"Sort\","
                                + "\"keys\":[\"_id\"],\"input\":{\"operator\":\"Filter\",\"condition\":\"(make LIKE 'F%')\","
                                + "\"input\":{\"operator\":\"IndexScan\",\"index\":\"by_make\",\"collection\":\"cars\","
                                + "\"fields\":[\"make\"],\"ranges\":[{\"make\":\"['F', 'G')\"}],\"reverse\":false}}}}}");
        assertThat(explain("EXPLAIN DELETE FROM cars WHERE color = NULL"))
                .isEqualTo("{\"plan\":{\"operator\":\"Delete\",\"collection\":\"cars\","
                        + "\"input\":{\"operator\":\"Empty\",\"reason\":\"no value of color satisfies the WHERE\"}}}");
        assertThat(explain("EXPLAIN EVICT FROM cars"))
                .isEqualTo("{\"plan\":{\"operator\":\"Evict\",\"collection\":\"cars\","
                        + "\"input\":{\"operator\":\"FullScan\",\"collection\":\"cars\"}}}");
    }

    @Test
    void missingAndNullKeysAreShownAsKeywords() {
        assertThat(explain("EXPLAIN SELECT * FROM cars WHERE make IS MISSING AND color IN ['a', 5]"))
                .contains("\"index\":\"by_make\"")
                .contains("\"ranges\":[{\"make\":\"MISSING\"}]");
        assertThat(explain("EXPLAIN SELECT * FROM cars WHERE color IN ['a', 5] AND make IS NOT MISSING"))
                .contains("\"ranges\":[{\"color\":\"5\"},{\"color\":\"5.0\"},{\"color\":\"'a'\"}]");
    }

    @Test
    void argumentsAreCheckedAsWhenRunning() {
        assertThatThrownBy(() -> explain("EXPLAIN SELECT * FROM cars WHERE make = :m"))
                .isInstanceOf(DqlException.class)
                .hasMessage("line 1, column 41: argument :m was not supplied");
        assertThatThrownBy(() -> explain("EXPLAIN SELECT * FROM cars LIMIT :n", Map.of("n", Value.of(-1L))))
                .isInstanceOf(DqlException.class)
                .hasMessageContaining("LIMIT must be a non-negative integer");
    }

    @Test
    void explainIsNotAMutationWhateverItExplains() {
        assertThat(Dql.parse("EXPLAIN DELETE FROM cars").isMutation()).isFalse();
        assertThat(Dql.parse("EXPLAIN DELETE FROM cars").collection()).isEqualTo("cars");
        assertThat(Dql.parse("EXPLAIN DELETE FROM cars WHERE a = :x").toString())
                .isEqualTo("EXPLAIN DELETE FROM cars WHERE (a = :x)");
    }
}
