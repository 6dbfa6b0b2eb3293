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
    void tableCutsLongCellsWithAnEllipsis() {
        String longText = "x".repeat(100);
        String out = print(OutputFormat.TABLE, FakeResult.rows(row("t", longText)), StatementKind.QUERY);
        String cell = "x".repeat(TableRenderer.MAX_CELL_WIDTH - 1) + "…";
        assertThat(out).isEqualTo("t\n" + "-".repeat(TableRenderer.MAX_CELL_WIDTH) + "\n" + cell + "\n(1 row)\n");
    }

    @Test
    void tableCutsByCodePointsNotChars() {
        String emoji = "\uD83D\uDE00".repeat(60); // 60 code points, 120 chars
        String cell = TableRenderer.truncate(emoji);
        assertThat(cell.codePointCount(0, cell.length())).isEqualTo(TableRenderer.MAX_CELL_WIDTH);
        assertThat(cell).endsWith("\uD83D\uDE00…");
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
