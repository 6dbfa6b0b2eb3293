package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.QueryResult;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OutputFormatTest {

    private static String print(OutputFormat format, QueryResult result, StatementKind kind) {
        StringWriter text = new StringWriter();
        PrintWriter out = new PrintWriter(text);
        format.write(result, kind, out);
        out.flush();
        return text.toString();
    }

    /** An ordered map from alternating keys and values (Map.of has no order and refuses null). */
    private static Map<String, Object> row(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        return map;
    }

    private static final QueryResult CARS = FakeResult.rows(
            row("_id", "a", "make", "Ford", "year", 1999L),
            row("_id", "b", "year", 85L, "tags", List.of("old", "red")),
            row("_id", "c", "make", null, "price", 1.5, "owner", row("name", "Ann")));

    @Test
    void jsonIsExactlyTheResultJsonAndANewline() {
        assertThat(print(OutputFormat.JSON, CARS, StatementKind.QUERY)).isEqualTo(CARS.toJson() + "\n");
        assertThat(print(OutputFormat.JSON, FakeResult.mutated("a", 2L), StatementKind.MUTATION))
                .isEqualTo("{\"items\":[],\"mutatedDocumentIds\":[\"a\",2]}\n");
    }

    @Test
    void jsonlPrintsOneItemPerLine() {
        assertThat(print(OutputFormat.JSONL, CARS, StatementKind.QUERY)).isEqualTo("""
                {"_id":"a","make":"Ford","year":1999}
                {"_id":"b","year":85,"tags":["old","red"]}
                {"_id":"c","make":null,"price":1.5,"owner":{"name":"Ann"}}
                """);
    }

    @Test
    void jsonlPrintsOneMutatedIdPerLineAsJson() {
        QueryResult result = FakeResult.mutated("a", 7L, row("user", "u1", "n", 2L));
        assertThat(print(OutputFormat.JSONL, result, StatementKind.MUTATION)).isEqualTo("""
                "a"
                7
                {"user":"u1","n":2}
                """);
    }

    @Test
    void jsonlPrintsNothingForNoRows() {
        assertThat(print(OutputFormat.JSONL, FakeResult.rows(), StatementKind.QUERY))
                .isEmpty();
    }

    @Test
    void tableAlignsTheUnionOfTheKeysAndLeavesMissingBlank() {
        assertThat(print(OutputFormat.TABLE, CARS, StatementKind.QUERY)).isEqualTo("""
                _id | make | year | tags          | price | owner
                ----+------+------+---------------+-------+---------------
                a   | Ford | 1999 |               |       |
                b   |      |   85 | ["old","red"] |       |
                c   | null |      |               |   1.5 | {"name":"Ann"}
                (3 rows)
                """);
    }

    @Test
    void tableCountsOneRow() {
        assertThat(print(OutputFormat.TABLE, FakeResult.rows(row("n", 1L)), StatementKind.QUERY))
                .isEqualTo("""
                n
                -
                1
                (1 row)
                """);
    }

    @Test
    void tableOfNothingIsJustTheCount() {
        assertThat(print(OutputFormat.TABLE, FakeResult.rows(), StatementKind.QUERY))
                .isEqualTo("(0 rows)\n");
        assertThat(print(OutputFormat.TABLE, FakeResult.rows(row(), row()), StatementKind.QUERY))
                .isEqualTo("(2 rows)\n");
    }

    @Test
    void tableNeverCutsALongCell() {
        String longText = "x".repeat(300);
        String out = print(OutputFormat.TABLE, FakeResult.rows(row("t", longText)), StatementKind.QUERY);
        assertThat(out).isEqualTo("t\n" + "-".repeat(300) + "\n" + longText + "\n(1 row)\n");
    }

    private static String table(QueryResult result, String statement, int width) {
        StringWriter text = new StringWriter();
        PrintWriter out = new PrintWriter(text);
        OutputFormat.TABLE.write(result, statement, width, out);
        out.flush();
        return text.toString();
    }

    @Test
    void tableWrapsLongCellsWithinTheWidthAndLosesNothing() {
        String words = "the quick brown fox jumps over the lazy dog and keeps running far away";
        QueryResult result = FakeResult.rows(row("_id", "a", "text", words, "n", 12345L));
        String out = table(result, "SELECT _id, text, n FROM c", 40);
        assertThat(out.lines())
                .allSatisfy(l -> assertThat(TableRenderer.width(l)).isLessThanOrEqualTo(40));
        assertThat(out).isEqualTo("""
                _id | text                       | n
                ----+----------------------------+------
                a   | the quick brown fox jumps  | 12345
                    | over the lazy dog and      |
                    | keeps running far away     |
                (1 row)
                """);
        // every character of the cell is still there, in order
        String text = out.lines()
                .skip(2)
                .limit(3)
                .map(l -> l.split("\\|")[1].strip())
                .reduce((x, y) -> x + " " + y)
                .orElseThrow();
        assertThat(text).isEqualTo(words);
    }

    @Test
    void tableWrapsAWordLongerThanTheColumnAtTheWidth() {
        assertThat(TableRenderer.wrap("abcdefghij", 4)).containsExactly("abcd", "efgh", "ij");
        assertThat(TableRenderer.wrap("[1,2,3,4,5,6,7]", 8)).containsExactly("[1,2,3,", "4,5,6,7]");
        assertThat(TableRenderer.wrap("short", 8)).containsExactly("short");
        // a wide character is never split across lines nor lets a line overflow
        assertThat(TableRenderer.wrap("東京タワー", 4)).containsExactly("東京", "タワ", "ー");
        assertThat(TableRenderer.wrap("\uD83D\uDE00\uD83D\uDE00\uD83D\uDE00", 3))
                .containsExactly("\uD83D\uDE00", "\uD83D\uDE00", "\uD83D\uDE00");
    }

    @Test
    void aNarrowTerminalKeepsColumnsReadable() {
        int[] widths = TableRenderer.fit(new int[] {3, 50, 60}, 20);
        assertThat(widths[0]).isEqualTo(3);
        assertThat(widths[1]).isEqualTo(TableRenderer.MIN_COLUMN_WIDTH);
        assertThat(widths[2]).isEqualTo(TableRenderer.MIN_COLUMN_WIDTH);
        assertThat(TableRenderer.fit(new int[] {10, 10}, 0)).containsExactly(10, 10);
        assertThat(TableRenderer.fit(new int[] {10, 10}, 23)).containsExactly(10, 10);
        assertThat(TableRenderer.fit(new int[] {10, 30}, 33)).containsExactly(10, 20);
    }

    @Test
    void wideCharactersStayAligned() {
        QueryResult result = FakeResult.rows(
                row("name", "東京タワー", "_id", "c1"),
                row("name", "abc", "_id", "c2"),
                row("name", "e\u0301t\u00e9", "_id", "c3"));
        assertThat(table(result, "SELECT name, _id FROM cars", 0)).isEqualTo("""
                name       | _id
                -----------+----
                東京タワー | c1
                abc        | c2
                e\u0301té        | c3
                (3 rows)
                """);
        assertThat(TableRenderer.width("東京タワー")).isEqualTo(10);
        assertThat(TableRenderer.width("e\u0301")).isEqualTo(1);
    }

    @Test
    void columnsFollowTheProjectionWithTheSourceTextOfUnnamedExpressions() {
        // the first item lacks `make` (MISSING): its keys alone would put ($1) first
        QueryResult result = FakeResult.rows(
                row("($1)", 2001L, "y", 2000L),
                row("make", "Ford", "($1)", 2020L, "($2)", "FORD", "m", "Ford", "y", 2019L));
        assertThat(table(result, "SELECT make, year+1, upper(make), make AS m, year y FROM cars", 0))
                .isEqualTo("""
                make | year+1 | upper(make) | m    | y
                -----+--------+-------------+------+-----
                     |   2001 |             |      | 2000
                Ford |   2020 | FORD        | Ford | 2019
                (2 rows)
                """);
    }

    @Test
    void columnsFallBackToTheKeysWhenTheProjectionDoesNotMatchThem() {
        QueryResult result = FakeResult.rows(row("b", 1L, "a", 2L));
        assertThat(table(result, "SELECT * FROM c", 0)).startsWith("b | a\n");
        assertThat(table(result, "SELECT x, y FROM c", 0)).startsWith("b | a\n");
    }

    @Test
    void explainShowsThePlanAsIndentedJson() {
        Map<String, Object> plan = row(
                "operator",
                "Limit",
                "count",
                3L,
                "input",
                row("operator", "IndexScan", "index", "by_year", "fields", List.of("year", "make")));
        String out = table(FakeResult.rows(row("plan", plan)), "EXPLAIN SELECT * FROM cars LIMIT 3", 0);
        assertThat(out).isEqualTo("""
                plan
                -----------------------------
                {
                  "operator": "Limit",
                  "count": 3,
                  "input": {
                    "operator": "IndexScan",
                    "index": "by_year",
                    "fields": ["year","make"]
                  }
                }
                (1 row)
                """);
    }

    @Test
    void tableKeepsARowOnOneLine() {
        String out = print(OutputFormat.TABLE, FakeResult.rows(row("t", "two\nlines\tand\u0001")), StatementKind.QUERY);
        assertThat(out).contains("two\\nlines\\tand\\u0001");
        assertThat(out.lines()).hasSize(4);
    }

    @Test
    void tableCellsAreJsonExceptForStrings() {
        assertThat(TableRenderer.cell("plain")).isEqualTo("plain");
        assertThat(TableRenderer.cell(null)).isEqualTo("null");
        assertThat(TableRenderer.cell(true)).isEqualTo("true");
        assertThat(TableRenderer.cell(List.of(1L, "a"))).isEqualTo("[1,\"a\"]");
        assertThat(TableRenderer.cell(new byte[] {1, 2, 3})).isEqualTo("\"AQID\"");
    }

    @Test
    void tableOfAMutationCountsAndListsTheIds() {
        assertThat(print(OutputFormat.TABLE, FakeResult.mutated("a", 2L), StatementKind.MUTATION))
                .isEqualTo("""
                2 documents mutated
                  a
                  2
                """);
        assertThat(print(OutputFormat.TABLE, FakeResult.mutated("a"), StatementKind.MUTATION))
                .isEqualTo("1 document mutated\n  a\n");
        assertThat(print(OutputFormat.TABLE, FakeResult.mutated(), StatementKind.MUTATION))
                .isEqualTo("0 documents mutated\n");
    }

    @Test
    void tableOfADefinitionSaysOk() {
        assertThat(print(OutputFormat.TABLE, FakeResult.rows(), StatementKind.DEFINITION))
                .isEqualTo("OK\n");
    }

    @Test
    void statementKindComesFromTheKeywordAndTheResult() {
        assertThat(StatementKind.of("SELECT * FROM c", FakeResult.rows())).isEqualTo(StatementKind.QUERY);
        assertThat(StatementKind.of("update c SET a = 1", FakeResult.rows())).isEqualTo(StatementKind.MUTATION);
        assertThat(StatementKind.of("/* x */ EVICT FROM c", FakeResult.rows())).isEqualTo(StatementKind.MUTATION);
        assertThat(StatementKind.of("CREATE INDEX i ON c (a)", FakeResult.rows()))
                .isEqualTo(StatementKind.DEFINITION);
        assertThat(StatementKind.of("whatever", FakeResult.mutated("a"))).isEqualTo(StatementKind.MUTATION);
    }

    @Test
    void formatNamesAreParsedInAnyCase() {
        assertThat(OutputFormat.parse("JSONL")).isEqualTo(OutputFormat.JSONL);
        assertThat(Arrays.stream(OutputFormat.values()).map(OutputFormat::label))
                .containsExactly("json", "jsonl", "table");
        assertThatThrownBy(() -> OutputFormat.parse("csv")).hasMessage("expected json, jsonl or table, got 'csv'");
    }
}
