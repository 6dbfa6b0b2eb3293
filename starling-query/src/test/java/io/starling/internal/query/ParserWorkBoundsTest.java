package io.starling.internal.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.core.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The parser's work is linear in its input, or it refuses the input at a bounded limit with a clear error. One test
 * per construct whose parsing used to be super-linear (or is the kind of input that could be): each feeds an input
 * large enough that a quadratic step would exhaust memory or run for minutes, and asserts the outcome.
 */
class ParserWorkBoundsTest {

    private static void assertSyntaxError(String text, String message) {
        assertRefused(text, DqlException.Kind.SYNTAX, message);
    }

    private static void assertRefused(String text, DqlException.Kind kind, String message) {
        assertThatThrownBy(() -> Dql.parse(text)).isInstanceOfSatisfying(DqlException.class, e -> {
            assertThat(e.kind()).isEqualTo(kind);
            assertThat(e.getMessage()).containsAnyOf(message, "nested too deeply");
            assertThat(e.getMessage().length())
                    .as("the message does not repeat the input")
                    .isLessThan(400);
        });
    }

    @Test
    void aLongDottedPathIsRefusedAtTheDepthLimit() {
        // 20,000 steps used to copy the path at every step: quadratic time and memory (OutOfMemoryError)
        assertSyntaxError(
                "SELECT * FROM c WHERE a" + ".a".repeat(20_000) + " = 1",
                "path has more than " + Parser.MAX_PATH_STEPS + " steps");
        assertSyntaxError(
                "SELECT a" + "[0]".repeat(20_000) + " FROM c",
                "path has more than " + Parser.MAX_PATH_STEPS + " steps");
        assertSyntaxError(
                "UPDATE c SET a" + ".a".repeat(20_000) + " = 1",
                "path has more than " + Parser.MAX_PATH_STEPS + " steps");
        assertSyntaxError(
                "CREATE INDEX i ON c (a" + ".a".repeat(20_000) + ")",
                "path has more than " + Parser.MAX_PATH_STEPS + " steps");
        assertSyntaxError(
                "SELECT ANY v IN a SATISFIES v" + ".a".repeat(20_000) + " END FROM c",
                "path has more than " + Parser.MAX_PATH_STEPS + " steps");
        String longest = "a" + ".b".repeat(Parser.MAX_PATH_STEPS - 1);
        Node.Field f = (Node.Field) Dql.parseExpression(longest);
        assertThat(f.path().length()).isEqualTo(Parser.MAX_PATH_STEPS);
        assertThat(Eval.eval(longest + "[0 + 0].c", Value.Obj.EMPTY, Map.of()).isMissing())
                .as("a path may go deeper after a computed step, one node per step")
                .isTrue();
    }

    @Test
    void aLongInListIsParsedAndPlannedInLinearTime() {
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < 100_000; i++) list.append(i == 0 ? "" : ", ").append(i * 2);
        InMemorySource src = new InMemorySource().index("CREATE INDEX ia ON c (a)");
        src.add("c", "{'_id': 1, 'a': 199998}", "{'_id': 2, 'a': 3}", "{'_id': 3, 'a': 0}");
        // the planner used to fold the items into a set one by one, sorting the growing set each time
        List<Value.Obj> rows = Eval.select("SELECT _id FROM c WHERE a IN (" + list + ") OR _id = 2", src);
        assertThat(Eval.dql(rows)).isEqualTo("{'_id': 1} {'_id': 2} {'_id': 3}");
        assertThat(Eval.dql(Eval.select("SELECT _id FROM c WHERE _id IN (" + list + ")", src)))
                .isEqualTo("{'_id': 2}");
    }

    @Test
    void deepNestingIsRefusedBeforeItExhaustsTheStack() {
        assertSyntaxError("SELECT " + "(".repeat(100_000) + "1" + ")".repeat(100_000) + " FROM c", "nested more than");
        assertSyntaxError("SELECT " + "- ".repeat(100_000) + "a FROM c", "nested more than");
        // literals deeper than a document may be are refused at the limit of documents (DATA-MODEL.md, "Limits")
        assertRefused(
                "SELECT " + "[".repeat(100_000) + "1" + "]".repeat(100_000) + " FROM c",
                DqlException.Kind.INVALID,
                "nest more than");
        assertRefused(
                "SELECT " + "{'a': ".repeat(100_000) + "1" + "}".repeat(100_000) + " FROM c",
                DqlException.Kind.INVALID,
                "nest more than");
        assertSyntaxError(
                "SELECT * FROM c WHERE " + "a IN (".repeat(100_000) + "1" + ")".repeat(100_000), "nested more than");
        assertSyntaxError(
                "SELECT " + "ARRAY ".repeat(40_000) + "1" + " FOR x IN a END".repeat(40_000) + " FROM c",
                "nested more than");
    }

    @Test
    void nestedArrayAndInLookAheadsAreComputedOnce() {
        // each ARRAY and each IN ( used to scan ahead to its FOR or to the end of its group: quadratic when nested
        int depth = 200;
        String arrays = "ARRAY ".repeat(depth) + "v" + " FOR v IN [[1]] END".repeat(depth);
        assertThat(Dql.parseExpression(arrays)).isInstanceOf(Node.ArrayFor.class);
        String ins = "a IN (".repeat(depth) + "1" + ")".repeat(depth);
        assertThat(Dql.parseExpression(ins)).isInstanceOf(Node.In.class);
        StringBuilder wide = new StringBuilder("SELECT ");
        for (int i = 0; i < 1_500; i++) wide.append(i == 0 ? "" : " + ").append("ARRAY v FOR v IN a END[0]");
        assertSyntaxError(wide + " FROM c", "more than 1000 levels deep");
        StringBuilder many = new StringBuilder("SELECT [");
        for (int i = 0; i < 20_000; i++)
            many.append(i == 0 ? "" : ", ").append("ARRAY v FOR v IN a WHEN v IN (1, 2) END");
        assertThat(Dql.parse(many + "] AS x FROM c")).isInstanceOf(SelectStatement.class);
    }

    @Test
    void longStringsWithEscapesAndLongCommentsAreLinear() {
        String escapes = "\\n".repeat(400_000);
        Value v = Eval.value("'" + escapes + "'");
        assertThat(((Value.Str) v).value()).hasSize(400_000);
        String comment = "/* " + "x".repeat(900_000) + " */ 1";
        assertThat(Eval.value(comment)).isEqualTo(Value.of(1L));
        assertThat(Eval.value("-- c\n".repeat(150_000) + "2")).isEqualTo(Value.of(2L));
        assertSyntaxError("SELECT '" + "x".repeat(500_000), "unterminated string");
        assertSyntaxError("SELECT 'a' '" + "x".repeat(500_000) + "' FROM c", "but found string 'xxxxxxxx");
    }

    @Test
    void manyUpdateClausesAreCheckedForOverlapInLinearTime() {
        StringBuilder sets = new StringBuilder("UPDATE c SET ");
        int n = 50_000;
        for (int i = 0; i < n; i++)
            sets.append(i == 0 ? "" : ", ")
                    .append("f")
                    .append(i)
                    .append(".x = ")
                    .append(i);
        UpdateStatement u = (UpdateStatement) Dql.parse(sets.toString());
        assertThat(u.clauses).hasSize(n);
        assertThatThrownBy(() -> Dql.parse(sets + ", f17 = 0"))
                .hasMessageContaining("SET f17 overlaps f17.x by SET at line 1, column");
        StringBuilder positions = new StringBuilder("UPDATE c SET ");
        for (int i = 0; i < 20_000; i++)
            positions.append(i == 0 ? "" : ", ").append("a[").append(i).append("] = 1");
        assertThat(Dql.parse(positions.toString())).isInstanceOf(UpdateStatement.class);
        assertThatThrownBy(() -> Dql.parse(positions + ", a[-1].b = 2"))
                .as("a negative position aliases every position")
                .hasMessageContaining("SET a[-1].b overlaps a[0] by SET");
        assertThatThrownBy(() -> Dql.parse("UPDATE c SET a[-1].b = 1, a[5] = 2"))
                .hasMessageContaining("SET a[5] overlaps a[-1].b by SET");
        assertThat(Dql.parse("UPDATE c SET a[-1].b = 1, a[5].c = 2")).isInstanceOf(UpdateStatement.class);
    }

    @Test
    void manyGroupKeysAndOrderItemsAreResolvedInLinearTime() {
        int n = 20_000;
        List<String> fields = new ArrayList<>(), aliases = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            fields.add("f" + i + " AS g" + i);
            aliases.add("g" + i);
        }
        String s = "SELECT " + String.join(", ", fields) + " FROM c GROUP BY " + String.join(", ", aliases)
                + " ORDER BY " + String.join(", ", aliases);
        SelectStatement select = (SelectStatement) Dql.parse(s);
        assertThat(select.groupBy).hasSize(n);
        assertThat(select.orderBy.get(n - 1).projectionIndex()).isEqualTo(n - 1);
    }

    @Test
    void aStatementLongerThanTheLimitIsRefusedUpFront() {
        String text = "SELECT * FROM c WHERE a = '" + "x".repeat(Parser.MAX_TEXT_LENGTH) + "'";
        assertThatThrownBy(() -> Dql.parse(text))
                .isInstanceOfSatisfying(
                        DqlException.class, e -> assertThat(e.kind()).isEqualTo(DqlException.Kind.SYNTAX))
                .hasMessage("the statement is " + text.length() + " characters long; the limit is 1048576: pass large"
                        + " values as named arguments (:name) instead of writing them in the text");
    }

    @Test
    void integerLiteralsOutOfRangeAreSyntaxErrors() {
        assertThatThrownBy(() -> Dql.parse("SELECT 12345678901234567890 AS n FROM c"))
                .isInstanceOfSatisfying(DqlException.class, e -> {
                    assertThat(e.kind()).isEqualTo(DqlException.Kind.SYNTAX);
                    assertThat(e.line()).isEqualTo(1);
                    assertThat(e.column()).isEqualTo(8);
                })
                .hasMessageStartingWith("line 1, column 8: integer 12345678901234567890 is out of the 64-bit range");
        assertThatThrownBy(() -> Dql.parse("SELECT *\nFROM c WHERE n = -9223372036854775809"))
                .hasMessageStartingWith("line 2, column 19: integer -9223372036854775809 is out of the 64-bit range");
        assertThatThrownBy(() -> Dql.parse("SELECT * FROM c LIMIT 99999999999999999999"))
                .hasMessageStartingWith("line 1, column 23: integer 99999999999999999999 is out of the 64-bit range");
        assertThatThrownBy(() -> Dql.parse("SELECT a[99999999999999999999] FROM c"))
                .hasMessageContaining("is out of the 64-bit range");
        assertThat(Eval.value("9223372036854775807")).isEqualTo(Value.of(Long.MAX_VALUE));
        assertThat(Eval.value("-9223372036854775808")).isEqualTo(Value.of(Long.MIN_VALUE));
        assertThat(Eval.value("12345678901234567890.0")).isEqualTo(Value.of(1.2345678901234567e19));
        assertThat(Eval.value("1e19")).isEqualTo(Value.of(1e19));
    }
}
