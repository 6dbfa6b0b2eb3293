package io.starling.internal.query;

import static io.starling.internal.query.Eval.dql;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.core.Value;
import io.starling.internal.index.IndexRange;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One test (or a few) per planner rule: which access path is chosen, how many documents it touches, whether the
 * sort is avoided and LIMIT pushed down — and, every time, that the rows are exactly those of a source without
 * indexes ({@link #run} checks it).
 */
class PlannerTest {
    private InMemorySource src;

    @BeforeEach
    void setUp() {
        src = new InMemorySource()
                .add(
                        "cars",
                        "{'_id': 1, 'make': 'Ford', 'year': 2019, 'price': 20000, 'color': 'blue'}",
                        "{'_id': 2, 'make': 'Ford', 'year': 2021, 'price': 25000.5, 'color': 'red'}",
                        "{'_id': 3, 'make': 'Audi', 'year': 2021, 'price': 40000, 'color': 'blue'}",
                        "{'_id': 4, 'make': 'Audi', 'year': 2018, 'price': 'call us', 'color': NULL}",
                        "{'_id': 5, 'make': 'Kia', 'year': 2021}",
                        "{'_id': 6, 'make': 'Fiat', 'year': 2021.0, 'price': 9000, 'color': 'white'}",
                        "{'_id': 7, 'make': 'Ford', 'year': '2020', 'color': 'blue'}",
                        "{'_id': 8, 'make': 'ford', 'year': TRUE, 'n': {'x': 1}}");
    }

    /** Runs a statement with the indexes, checks it against the same source without them, returns the rows. */
    private List<Value.Obj> run(String dql, Map<String, Value> args) {
        Statement s = Dql.parse(dql);
        EvalContext ctx = Eval.ctx(args);
        List<Value.Obj> expected = s instanceof SelectStatement sel
                ? QueryExecutor.select(sel, src.withoutIndexes(), ctx)
                : QueryExecutor.matching(s, src.withoutIndexes(), ctx);
        src.resetCounters();
        List<Value.Obj> actual = s instanceof SelectStatement sel
                ? QueryExecutor.select(sel, src, ctx)
                : QueryExecutor.matching(s, src, ctx);
        assertThat(actual).as(dql).isEqualTo(expected);
        return actual;
    }

    private String ids(String dql) {
        return ids(dql, Map.of());
    }

    private String ids(String dql, Map<String, Value> args) {
        List<String> out = new ArrayList<>();
        for (Value.Obj r : run(dql, args)) out.add(dql(r.get("_id")));
        return String.join(" ", out);
    }

    /** The EXPLAIN item as JSON. */
    private String plan(String dql) {
        return plan(dql, Map.of());
    }

    private String plan(String dql, Map<String, Value> args) {
        return JsonText.write(
                QueryExecutor.explain((ExplainStatement) Dql.parse("EXPLAIN " + dql), src, Eval.ctx(args)));
    }

    private void assertUsedIndex(int scans, int documents) {
        assertThat(src.scans).as("full scans").isZero();
        assertThat(src.indexScans).as("index scans").isEqualTo(scans);
        assertThat(src.indexVisited).as("documents read from the index").isEqualTo(documents);
    }

    @Nested
    class Equality {
        @BeforeEach
        void indexes() {
            src.index("CREATE INDEX by_make ON cars (make)")
                    .index("CREATE INDEX by_year ON cars (year)")
                    .index("CREATE INDEX by_color ON cars (color)");
        }

        @Test
        void readsOnlyTheMatchingEntries() {
            assertThat(ids("SELECT _id FROM cars WHERE make = 'Ford'")).isEqualTo("1 2 7");
            assertUsedIndex(1, 3);
            assertThat(ids("SELECT _id FROM cars WHERE 'Kia' = make")).isEqualTo("5");
            assertUsedIndex(1, 1);
            assertThat(plan("SELECT _id FROM cars WHERE make = 'Ford'"))
                    .contains("\"operator\":\"IndexScan\",\"index\":\"by_make\"")
                    .contains("\"ranges\":[{\"make\":\"'Ford'\"}]");
        }

        @Test
        void numbersAreEqualByValueSoOneNumberIsTwoRanges() {
            assertThat(ids("SELECT _id FROM cars WHERE year = 2021")).isEqualTo("2 3 5 6");
            assertUsedIndex(2, 4);
            assertThat(src.rangesScanned)
                    .containsExactly(
                            IndexRange.equalTo(List.of(Value.of(2021L))),
                            IndexRange.equalTo(List.of(Value.of(2021.0))));
            assertThat(ids("SELECT _id FROM cars WHERE year = 2021.0")).isEqualTo("2 3 5 6");
            assertThat(ids("SELECT _id FROM cars WHERE year = 2021.5")).isEmpty();
            assertUsedIndex(1, 0);
            assertThat(ids("SELECT _id FROM cars WHERE year = '2020'"))
                    .as("a string is not a number")
                    .isEqualTo("7");
        }

        @Test
        void equalsNullNeverMatchesSoNothingIsRead() {
            assertThat(ids("SELECT _id FROM cars WHERE color = NULL")).isEmpty();
            assertThat(ids("SELECT _id FROM cars WHERE make = :m", Map.of("m", Value.MISSING)))
                    .isEmpty();
            assertThat(ids("SELECT _id FROM cars WHERE year = 2019 AND year = 2021"))
                    .isEmpty();
            assertThat(ids("SELECT _id FROM cars WHERE year < 2020 AND year > 'x'"))
                    .isEmpty();
            assertThat(src.scans + src.indexScans).isZero();
            assertThat(plan("SELECT _id FROM cars WHERE color = NULL"))
                    .contains("{\"operator\":\"Empty\",\"reason\":\"no value of color satisfies the WHERE\"}");
        }

        @Test
        void isNullAndIsMissingAreEqualities() {
            assertThat(ids("SELECT _id FROM cars WHERE color IS NULL")).isEqualTo("4");
            assertUsedIndex(1, 1);
            assertThat(ids("SELECT _id FROM cars WHERE color IS MISSING")).isEqualTo("5 8");
            assertUsedIndex(1, 2);
            assertThat(ids("SELECT _id FROM cars WHERE color IS NOT NULL")).isEqualTo("1 2 3 6 7");
            assertThat(src.scans)
                    .as("IS NOT NULL selects almost everything: scanned")
                    .isEqualTo(1);
        }

        @Test
        void aBareFieldIsEqualityWithTrue() {
            assertThat(ids("SELECT _id FROM cars WHERE year")).isEqualTo("8");
            assertUsedIndex(1, 1);
        }

        @Test
        void inListsGiveOneRangePerValue() {
            assertThat(ids("SELECT _id FROM cars WHERE make IN ['Kia', 'Audi', 'Nope']"))
                    .isEqualTo("3 4 5");
            assertUsedIndex(3, 3);
            assertThat(ids(
                            "SELECT _id FROM cars WHERE make IN :makes",
                            Map.of("makes", Value.fromJava(List.of("Fiat", "Kia")))))
                    .isEqualTo("5 6");
            assertUsedIndex(2, 2);
            assertThat(ids("SELECT _id FROM cars WHERE make IN ('Fiat', NULL)"))
                    .as("NULL items match nothing")
                    .isEqualTo("6");
            assertUsedIndex(1, 1);
            assertThat(ids("SELECT _id FROM cars WHERE make IN []")).isEmpty();
            assertThat(src.indexScans + src.scans).isZero();
        }

        @Test
        void aVeryLongInListBecomesOneRangeAroundItsValues() {
            StringBuilder list = new StringBuilder("'Audi'");
            for (int i = 0; i < 2000; i++) list.append(", 'B").append(i).append('\'');
            assertThat(ids("SELECT _id FROM cars WHERE make IN [" + list + ", 'Kia']"))
                    .isEqualTo("3 4 5");
            assertThat(src.indexScans).isEqualTo(1);
            assertThat(src.rangesScanned.get(0).lower().value()).isEqualTo(Value.of("Audi"));
            assertThat(src.rangesScanned.get(0).upper().value()).isEqualTo(Value.of("Kia"));
        }

        @Test
        void notNotEqualAndNotInAreNotIndexed() {
            for (String w : List.of(
                    "NOT (make = 'Ford')",
                    "make != 'Ford'",
                    "make NOT IN ['Ford']",
                    "make NOT LIKE 'F%'",
                    "make NOT BETWEEN 'A' AND 'G'",
                    "upper(make) = 'FORD'",
                    "make = color")) {
                run("SELECT _id FROM cars WHERE " + w, Map.of());
                assertThat(src.scans).as(w).isEqualTo(1);
                assertThat(src.indexScans).as(w).isZero();
            }
        }

        @Test
        void constantExpressionsAreEvaluatedOnce() {
            assertThat(ids("SELECT _id FROM cars WHERE year = 2000 + 21 AND make = lower('KIA') || ''"))
                    .isEmpty();
            assertThat(ids("SELECT _id FROM cars WHERE make = concat('Ki', 'a')"))
                    .isEqualTo("5");
            assertUsedIndex(1, 1);
        }

        @Test
        void nestedPaths() {
            src.index("CREATE INDEX by_nx ON cars (n.x)");
            assertThat(ids("SELECT _id FROM cars WHERE n.x = 1")).isEqualTo("8");
            assertUsedIndex(2, 1);
        }
    }

    @Nested
    class Ranges {
        @BeforeEach
        void indexes() {
            src.index("CREATE INDEX by_year ON cars (year DESC)").index("CREATE INDEX by_make ON cars (make)");
        }

        @Test
        void comparisonsOnlyReachValuesOfTheirType() {
            assertThat(ids("SELECT _id FROM cars WHERE year < 2020"))
                    .as("not '2020', not TRUE")
                    .isEqualTo("1 4");
            assertUsedIndex(1, 2);
            assertThat(plan("SELECT _id FROM cars WHERE year < 2020"))
                    .contains("\"ranges\":[{\"year\":\"(TRUE, 2020)\"}]");
            assertThat(ids("SELECT _id FROM cars WHERE year >= 2021")).isEqualTo("2 3 5 6");
            assertUsedIndex(1, 4);
            assertThat(plan("SELECT _id FROM cars WHERE year >= 2021"))
                    .contains("\"ranges\":[{\"year\":\"[2021, '')\"}]");
            assertThat(ids("SELECT _id FROM cars WHERE year > '2000'")).isEqualTo("7");
            assertUsedIndex(1, 1);
            assertThat(ids("SELECT _id FROM cars WHERE year <= FALSE")).isEmpty();
            assertThat(ids("SELECT _id FROM cars WHERE year > FALSE")).isEqualTo("8");
        }

        @Test
        void integerAndFloatBoundsAreExact() {
            assertThat(ids("SELECT _id FROM cars WHERE year < 2021.0")).isEqualTo("1 4");
            assertUsedIndex(1, 2);
            assertThat(ids("SELECT _id FROM cars WHERE year <= 2021")).isEqualTo("1 2 3 4 5 6");
            assertThat(ids("SELECT _id FROM cars WHERE year > 2021")).isEmpty();
            assertUsedIndex(1, 0);
            assertThat(ids("SELECT _id FROM cars WHERE 2020 < year")).isEqualTo("2 3 5 6");
        }

        @Test
        void between() {
            assertThat(ids("SELECT _id FROM cars WHERE year BETWEEN 2019 AND 2020.5"))
                    .isEqualTo("1");
            assertUsedIndex(1, 1);
            assertThat(ids("SELECT _id FROM cars WHERE year BETWEEN 2021 AND 2019"))
                    .isEmpty();
            assertThat(ids("SELECT _id FROM cars WHERE year BETWEEN 2019 AND '2030'"))
                    .as("different types")
                    .isEmpty();
            assertThat(src.indexScans + src.scans).isZero();
        }

        @Test
        void likePrefixesAreStringRanges() {
            assertThat(ids("SELECT _id FROM cars WHERE make LIKE 'F%'"))
                    .as("case-sensitive")
                    .isEqualTo("1 2 6 7");
            assertUsedIndex(1, 4);
            assertThat(plan("SELECT _id FROM cars WHERE make LIKE 'F%'"))
                    .contains("\"ranges\":[{\"make\":\"['F', 'G')\"}]");
            assertThat(ids("SELECT _id FROM cars WHERE make LIKE 'Fo_d%'")).isEqualTo("1 2 7");
            assertUsedIndex(1, 3);
            assertThat(ids("SELECT _id FROM cars WHERE make LIKE 'Kia'"))
                    .as("no wildcard: one string")
                    .isEqualTo("5");
            assertThat(plan("SELECT _id FROM cars WHERE make LIKE 'Kia'"))
                    .contains("\"ranges\":[{\"make\":\"'Kia'\"}]");
            assertThat(ids("SELECT _id FROM cars WHERE make LIKE 'F!%%' ESCAPE '!'"))
                    .isEmpty();
            assertThat(ids("SELECT _id FROM cars WHERE make LIKE :p", Map.of("p", Value.of("Au%"))))
                    .isEqualTo("3 4");
            assertUsedIndex(1, 2);
        }

        @ParameterizedTest
        @ValueSource(strings = {"make ILIKE 'f%'", "make LIKE '%d'", "make LIKE '_ord'", "make LIKE '%'"})
        void likeWithoutAPrefixOrIgnoringCaseScans(String where) {
            run("SELECT _id FROM cars WHERE " + where, Map.of());
            assertThat(src.scans).isEqualTo(1);
            assertThat(src.indexScans).isZero();
        }

        @Test
        void likePrefixesAtTheEdgesOfUnicode() {
            src.add(
                    "cars",
                    "{'_id': 10, 'make': 'a😀'}",
                    "{'_id': 11, 'make': '\uDBFF\uDFFF\uDBFF\uDFFFz'}",
                    "{'_id': 12, 'make': [1]}");
            assertThat(ids("SELECT _id FROM cars WHERE make LIKE 'a\uD83D%'"))
                    .as("a prefix ending in half a pair")
                    .isEqualTo("10");
            assertThat(ids("SELECT _id FROM cars WHERE make LIKE '\uDBFF\uDFFF%'"))
                    .as("no successor: up to the arrays")
                    .isEqualTo("11");
            assertUsedIndex(1, 1);
        }

        @Test
        void arraysWithNumbersAreWidenedNotMissed() {
            src.index("CREATE INDEX by_a ON cars (a)")
                    .add(
                            "cars",
                            "{'_id': 20, 'a': [1.0, 1]}",
                            "{'_id': 21, 'a': [1, 2.0]}",
                            "{'_id': 22, 'a': [1, 3]}",
                            "{'_id': 23, 'a': ['x']}");
            assertThat(ids("SELECT _id FROM cars WHERE a < [1, 2]"))
                    .as("[1.0, 1] < [1, 2] though 1.0 sorts after 1")
                    .isEqualTo("20");
            assertThat(ids("SELECT _id FROM cars WHERE a = [1.0, 2]")).isEqualTo("21");
            assertThat(ids("SELECT _id FROM cars WHERE a >= [1, 2]"))
                    .as("['x'] too: strings follow numbers")
                    .isEqualTo("21 22 23");
            assertThat(src.scans).isZero();
        }
    }

    @Nested
    class CompositeIndexes {
        @BeforeEach
        void indexes() {
            src.index("CREATE INDEX by_make_year ON cars (make, year DESC)");
        }

        @Test
        void equalityOnTheLeadingComponentAndARangeOnTheNext() {
            assertThat(ids("SELECT _id FROM cars WHERE make = 'Ford' AND year > 2018"))
                    .isEqualTo("1 2");
            assertUsedIndex(1, 2);
            assertThat(src.rangesScanned.get(0).equal()).containsExactly(Value.of("Ford"));
            assertThat(plan("SELECT _id FROM cars WHERE year > 2018 AND make = 'Ford'"))
                    .contains("\"ranges\":[{\"make\":\"'Ford'\",\"year\":\"(2018.0, '')\"}]");
        }

        @Test
        void productsOfValues() {
            assertThat(ids("SELECT _id FROM cars WHERE make IN ['Ford', 'Audi'] AND year = 2021"))
                    .isEqualTo("2 3");
            assertUsedIndex(4, 2);
        }

        @Test
        void theLeadingComponentMustBeConstrained() {
            assertThat(ids("SELECT _id FROM cars WHERE year > 2018")).isEqualTo("1 2 3 5 6");
            assertThat(src.scans).isEqualTo(1);
            assertThat(src.indexScans).isZero();
        }

        @Test
        void onlyTheLeadingComponentIsEnoughToUseIt() {
            assertThat(ids("SELECT _id FROM cars WHERE make >= 'F' AND year = 2021"))
                    .isEqualTo("2 5 6");
            assertThat(src.indexScans).isEqualTo(1);
            assertThat(src.indexVisited)
                    .as("the range is on make; year is checked by the filter")
                    .isEqualTo(6);
        }
    }

    @Nested
    class ChoosingAnIndex {
        @BeforeEach
        void indexes() {
            src.index("CREATE INDEX by_year ON cars (year)")
                    .index("CREATE INDEX by_make ON cars (make)")
                    .index("CREATE INDEX by_make_year ON cars (make, year)")
                    .index("CREATE INDEX by_color ON cars (color)");
        }

        private String indexOf(String dql) {
            String p = plan(dql);
            int i = p.indexOf("\"index\":\"");
            return i < 0 ? null : p.substring(i + 9, p.indexOf('"', i + 9));
        }

        @Test
        void moreEqualityComponentsWin() {
            assertThat(indexOf("SELECT * FROM cars WHERE year = 2021 AND make = 'Ford'"))
                    .isEqualTo("by_make_year");
            assertThat(indexOf("SELECT * FROM cars WHERE year > 2000 AND color = 'red'"))
                    .isEqualTo("by_color");
        }

        @Test
        void thenARange() {
            assertThat(indexOf("SELECT * FROM cars WHERE make = 'Ford' AND year > 2000"))
                    .isEqualTo("by_make_year");
            assertThat(indexOf("SELECT * FROM cars WHERE make = 'Ford'"))
                    .as("then fewer fields")
                    .isEqualTo("by_make");
        }

        @Test
        void thenTheOrderWanted() {
            assertThat(indexOf("SELECT * FROM cars WHERE make = 'Ford' ORDER BY year DESC"))
                    .isEqualTo("by_make_year");
            assertThat(indexOf("SELECT * FROM cars WHERE make = 'Ford' LIMIT 1"))
                    .as("_id order for a LIMIT")
                    .isEqualTo("by_make");
        }

        @Test
        void thenTheName() {
            assertThat(indexOf("SELECT * FROM cars WHERE year > 2000 AND make > 'A'"))
                    .isEqualTo("by_make");
        }

        @Test
        void idLookupsBeatIndexes() {
            assertThat(ids("SELECT _id FROM cars WHERE make = 'Ford' AND _id IN [2, 3]"))
                    .isEqualTo("2");
            assertThat(src.gets).isEqualTo(2);
            assertThat(src.indexScans + src.scans).isZero();
            assertThat(ids("SELECT _id FROM cars WHERE _id = 1 OR _id = 3 OR _id = 3.0"))
                    .isEqualTo("1 3");
            assertThat(src.gets).isEqualTo(2);
            assertThat(ids("SELECT _id FROM cars WHERE _id = {'k': 1.0}")).isEmpty();
        }
    }

    @Nested
    class Unions {
        @BeforeEach
        void indexes() {
            src.index("CREATE INDEX by_make ON cars (make)").index("CREATE INDEX by_color ON cars (color)");
        }

        @Test
        void everyBranchIndexedMeansAUnionDedupedAndInIdOrder() {
            assertThat(ids("SELECT _id FROM cars WHERE make = 'Kia' OR color = 'red'"))
                    .isEqualTo("2 5");
            assertUsedIndex(2, 2);
            assertThat(ids("SELECT _id FROM cars WHERE make = 'Ford' OR color = 'blue'"))
                    .isEqualTo("1 2 3 7");
            assertUsedIndex(2, 6);
            assertThat(plan("SELECT _id FROM cars WHERE make = 'Kia' OR color = 'red'"))
                    .contains(
                            "{\"operator\":\"Union\",\"dedupe\":\"_id\",\"inputs\":[{\"operator\":\"IndexScan\",\"index\":\"by_make\"");
        }

        @Test
        void branchesMayBeIdLookupsAndTheOtherConjunctsJoinEachBranch() {
            assertThat(ids("SELECT _id FROM cars WHERE _id = 1 OR make = 'Kia'"))
                    .isEqualTo("1 5");
            assertThat(src.gets).isEqualTo(1);
            assertThat(src.indexScans).isEqualTo(1);
            assertThat(ids("SELECT _id FROM cars WHERE year = 2021 AND (make = 'Kia' OR color = 'red')"))
                    .isEqualTo("2 5");
            assertThat(src.scans).isZero();
        }

        @Test
        void aBranchWithoutAnIndexMeansAScan() {
            assertThat(ids("SELECT _id FROM cars WHERE make = 'Kia' OR price > 30000"))
                    .isEqualTo("3 5");
            assertThat(src.scans).isEqualTo(1);
            assertThat(src.indexScans).isZero();
        }

        @Test
        void anOrOnOnePathIsOneScanWithSeveralRanges() {
            assertThat(ids("SELECT _id FROM cars WHERE make = 'Kia' OR make = 'Fiat' OR make LIKE 'A%'"))
                    .isEqualTo("3 4 5 6");
            assertUsedIndex(3, 4);
            assertThat(plan("SELECT _id FROM cars WHERE make = 'Kia' OR make = 'Fiat'"))
                    .doesNotContain("Union");
        }

        @Test
        void impossibleBranchesDropOut() {
            assertThat(ids("SELECT _id FROM cars WHERE make = NULL OR color = 'red'"))
                    .isEqualTo("2");
            assertUsedIndex(1, 1);
        }
    }

    @Nested
    class Order {
        @BeforeEach
        void indexes() {
            src.index("CREATE INDEX by_year ON cars (year)")
                    .index("CREATE INDEX by_make_year ON cars (make, year DESC)");
        }

        @Test
        void withoutOrderByRowsComeInIdOrderWhateverThePlan() {
            assertThat(ids("SELECT _id FROM cars WHERE year > 0")).isEqualTo("1 2 3 4 5 6");
            assertThat(plan("SELECT _id FROM cars WHERE year > 0"))
                    .contains("{\"operator\":\"Sort\",\"keys\":[\"_id\"]");
            assertThat(ids("SELECT _id FROM cars WHERE year > 0 LIMIT 2")).isEqualTo("1 2");
            assertThat(src.indexVisited)
                    .as("index order is not _id order: read all, sort, cut")
                    .isEqualTo(6);
        }

        @Test
        void aPinnedIndexIsInIdOrderSoLimitStopsEarly() {
            assertThat(ids("SELECT _id FROM cars WHERE make = 'Ford' AND year = '2020' LIMIT 1"))
                    .isEqualTo("7");
            src.add("cars", "{'_id': 30, 'make': 'Ford', 'year': 2019}", "{'_id': 31, 'make': 'Ford', 'year': 2019}");
            assertThat(ids("SELECT _id FROM cars WHERE make = 'Ford' AND year = '2020' LIMIT 1"))
                    .isEqualTo("7");
            assertUsedIndex(1, 1);
        }

        @Test
        void orderByTheIndexSkipsTheSortAndStopsAtTheLimit() {
            assertThat(ids("SELECT _id FROM cars ORDER BY year LIMIT 2")).isEqualTo("8 4");
            assertUsedIndex(1, 2);
            assertThat(plan("SELECT _id FROM cars ORDER BY year LIMIT 2"))
                    .isEqualTo(
                            "{\"plan\":{\"operator\":\"Limit\",\"count\":2,\"pushedDown\":true,\"input\":{\"operator\":\"Sort\","
                                    + "\"keys\":[\"year\"],\"avoided\":true,\"input\":{\"operator\":\"Project\",\"columns\":[\"_id\"],"
                                    + "\"input\":{\"operator\":\"IndexScan\",\"index\":\"by_year\",\"collection\":\"cars\",\"fields\":[\"year\"],"
                                    + "\"ranges\":[{}],\"reverse\":false}}}}}");
        }

        @Test
        void aReverseScanReSortsTieGroupsAndFinishesTheLastOne() {
            assertThat(ids("SELECT _id FROM cars ORDER BY year DESC LIMIT 2")).isEqualTo("7 6");
            assertUsedIndex(1, 3);
            assertThat(ids("SELECT _id FROM cars ORDER BY year DESC LIMIT 2 OFFSET 2"))
                    .isEqualTo("2 3");
            assertThat(src.indexVisited)
                    .as("2021 is a group of three, all read, and the next row closes it")
                    .isEqualTo(6);
            assertThat(plan("SELECT _id FROM cars ORDER BY year DESC LIMIT 2"))
                    .contains("\"keys\":[\"year DESC\"],\"avoided\":true,\"tieGroupsSortedBy\":[\"_id\"]")
                    .contains("\"reverse\":true");
        }

        @Test
        void aLimitInsideALargeTieGroup() {
            for (int i = 100; i < 160; i++)
                src.add("cars", "{'_id': " + i + ", 'make': 'Zed', 'year': " + (i % 3) + "}");
            assertThat(ids("SELECT _id FROM cars WHERE make = 'Zed' ORDER BY year DESC LIMIT 3 OFFSET 19"))
                    .isEqualTo("158 100 103");
            assertUsedIndex(1, 22); // the index's own direction: ties already by _id, no group to finish
            assertThat(ids("SELECT _id FROM cars WHERE make = 'Zed' ORDER BY year LIMIT 3 OFFSET 19"))
                    .isEqualTo("159 100 103");
            assertUsedIndex(1, 41); // backwards: the year-1 group is read whole, and one more row closes it
        }

        @Test
        void pinnedComponentsAndRepeatedKeysDoNotBreakTheOrder() {
            assertThat(ids("SELECT _id FROM cars WHERE make = 'Ford' ORDER BY make DESC, year, make LIMIT 2"))
                    .isEqualTo("1 2");
            assertThat(plan("SELECT _id FROM cars WHERE make = 'Ford' ORDER BY make DESC, year, make LIMIT 2"))
                    .contains("\"avoided\":true")
                    .contains("\"reverse\":true");
        }

        @Test
        void theRestOfTheOrderBySortsTheGroups() {
            assertThat(ids("SELECT _id FROM cars WHERE make >= 'A' ORDER BY make, price DESC LIMIT 3"))
                    .isEqualTo("4 3 6");
            assertThat(plan("SELECT _id FROM cars WHERE make >= 'A' ORDER BY make, price DESC LIMIT 3"))
                    .contains("\"avoided\":true,\"tieGroupsSortedBy\":[\"price DESC\",\"_id\"]");
        }

        @Test
        void aDirectionAgainstTheIndexEndsTheDeliveredPrefix() {
            assertThat(ids("SELECT _id FROM cars WHERE make >= 'A' ORDER BY make, year LIMIT 3"))
                    .isEqualTo("4 3 6");
            assertThat(plan("SELECT _id FROM cars WHERE make >= 'A' ORDER BY make, year LIMIT 3"))
                    .contains("\"avoided\":true,\"tieGroupsSortedBy\":[\"year\",\"_id\"]");
            assertThat(ids("SELECT _id FROM cars WHERE make >= 'A' ORDER BY year, make LIMIT 3"))
                    .isEqualTo("8 4 1");
            assertThat(plan("SELECT _id FROM cars WHERE make >= 'A' ORDER BY year, make LIMIT 3"))
                    .as("the filtering index does not lead with year")
                    .contains("\"avoided\":false");
        }

        @Test
        void aliasesOfFieldsCount() {
            assertThat(dql(run("SELECT year AS y FROM cars WHERE year > 2020 ORDER BY y DESC LIMIT 2", Map.of())))
                    .isEqualTo("{'y': 2021.0} {'y': 2021}");
            assertThat(plan("SELECT year AS y FROM cars WHERE year > 2020 ORDER BY y DESC LIMIT 2"))
                    .contains("\"avoided\":true");
        }

        @Test
        void groupingAndDistinctGetIdOrderedInput() {
            assertThat(dql(run("SELECT year, COUNT(*) AS n FROM cars WHERE year >= 2021 GROUP BY year", Map.of())))
                    .as("the group shows its first row's spelling")
                    .isEqualTo("{'year': 2021, 'n': 4}");
            assertThat(dql(run("SELECT DISTINCT year FROM cars WHERE year >= 2021 ORDER BY year", Map.of())))
                    .isEqualTo("{'year': 2021}");
        }
    }

    @Test
    void countStarWithoutWhereAsksTheSource() {
        src.index("CREATE INDEX by_make ON cars (make)");
        assertThat(dql(run("SELECT COUNT(*) FROM cars", Map.of()))).isEqualTo("{'($1)': 8}");
        assertThat(src.counts).isEqualTo(1);
        assertThat(src.scans + src.indexScans).isZero();
        assertThat(dql(run("SELECT COUNT(*) AS n, COUNT(*) * 2 AS m FROM cars HAVING COUNT(*) > 1", Map.of())))
                .isEqualTo("{'n': 8, 'm': 16}");
        assertThat(dql(run("SELECT COUNT(*) AS n FROM nothing", Map.of()))).isEqualTo("{'n': 0}");
        assertThat(dql(run("SELECT COUNT(*) AS n FROM cars WHERE make = 'Ford'", Map.of())))
                .isEqualTo("{'n': 3}");
        assertThat(src.counts).isZero();
        assertThat(dql(run("SELECT COUNT(make) AS n FROM cars", Map.of()))).isEqualTo("{'n': 8}");
        assertThat(src.counts).as("COUNT(x) skips MISSING and NULL: it reads").isZero();
    }

    @Test
    void mutationsFindTheirDocumentsThroughIndexesInIdOrder() {
        src.index("CREATE INDEX by_year ON cars (year DESC)");
        assertThat(ids("UPDATE cars SET x = 1 WHERE year > 2020")).isEqualTo("2 3 5 6");
        assertUsedIndex(1, 4);
        assertThat(ids("DELETE FROM cars WHERE year = 2019 OR year = '2020'")).isEqualTo("1 7");
        assertUsedIndex(3, 2);
        assertThat(ids("EVICT FROM cars WHERE year IS NULL")).isEmpty();
        assertUsedIndex(1, 0);
    }
}
