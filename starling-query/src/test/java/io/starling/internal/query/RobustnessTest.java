package io.starling.internal.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.core.Value;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * Hostile input: any text either parses or fails with a DqlException (never another exception), a parsed
 * statement prints back to text that parses to the same statement, and running it fails only with DqlException.
 */
class RobustnessTest {
    private static final List<String> TOKENS = List.of(
            "SELECT",
            "*",
            "FROM",
            "c",
            "WHERE",
            "GROUP",
            "BY",
            "HAVING",
            "ORDER",
            "LIMIT",
            "OFFSET",
            "DISTINCT",
            "AS",
            "a",
            "b",
            "_id",
            "`x y`",
            "tags",
            "v",
            "(",
            ")",
            "[",
            "]",
            "{",
            "}",
            ",",
            ":",
            ":p",
            ".",
            ";",
            "=",
            "!=",
            "<",
            ">=",
            "+",
            "-",
            "*",
            "/",
            "%",
            "||",
            "AND",
            "OR",
            "NOT",
            "IN",
            "BETWEEN",
            "LIKE",
            "ILIKE",
            "ESCAPE",
            "IS",
            "NULL",
            "MISSING",
            "VALUED",
            "TRUE",
            "FALSE",
            "CASE",
            "WHEN",
            "THEN",
            "ELSE",
            "END",
            "ANY",
            "EVERY",
            "ARRAY",
            "FOR",
            "SATISFIES",
            "COUNT",
            "SUM",
            "MAX",
            "lower",
            "coalesce",
            "substr",
            "date_add",
            "cast",
            "1",
            "0",
            "-1",
            "2.5",
            "1e3",
            "'s'",
            "'%'",
            "\"d\"",
            "'it''s'",
            "INSERT",
            "INTO",
            "DOCUMENTS",
            "UPDATE",
            "SET",
            "UNSET",
            "APPLY",
            "INCREMENT",
            "RESTART",
            "WITH",
            "DELETE",
            "EVICT",
            "ON",
            "ID",
            "CONFLICT",
            "DO",
            "NOTHING");

    @Provide
    Arbitrary<String> soup() {
        Arbitrary<String> words = Arbitraries.of(TOKENS).list().ofMaxSize(14).map(l -> String.join(" ", l));
        return Arbitraries.oneOf(
                words,
                words.map(w -> "SELECT * FROM c WHERE " + w),
                words.map(w -> "SELECT " + w + " FROM c"),
                words.map(w -> "UPDATE c SET a = " + w),
                Arbitraries.strings().all().ofMaxLength(30));
    }

    @Property(tries = 3000)
    void anyTextParsesOrFailsWithADqlException(@ForAll("soup") String text) {
        Statement s;
        try {
            s = Dql.parse(text);
        } catch (DqlException expected) {
            assertThat(expected.getMessage()).isNotBlank();
            return;
        }
        String printed = s.toString();
        assertThat(Dql.parse(printed).toString()).as(text).isEqualTo(printed);
        InMemorySource src = new InMemorySource()
                .add(
                        "c",
                        "{'_id': 1, 'a': 1, 'b': 's', 'tags': ['s'], 'v': NULL}",
                        "{'_id': 2, 'a': 'x', 'b': [1], 'tags': 5}");
        EvalContext ctx = Eval.ctx(Map.of("p", Value.of(1L)));
        try {
            if (s instanceof SelectStatement sel) QueryExecutor.select(sel, src, ctx);
            else if (s instanceof UpdateStatement u) {
                for (Value.Obj d : QueryExecutor.matching(u, src, ctx)) QueryExecutor.updateOps(u, d, ctx);
            } else if (s instanceof InsertStatement i) QueryExecutor.insertDocuments(i, ctx);
            else if (s instanceof ExplainStatement x) QueryExecutor.explain(x, src, ctx);
            else if (!(s instanceof CreateIndexStatement) && !(s instanceof DropIndexStatement))
                QueryExecutor.matching(s, src, ctx);
        } catch (DqlException fine) {
            // e.g. a non-numeric INCREMENT amount, a non-object document
        }
    }

    @Test
    void deepNestingIsASyntaxErrorNotAStackOverflow() {
        String deep = "(".repeat(100_000) + "1" + ")".repeat(100_000);
        assertThatThrownBy(() -> Dql.parseExpression(deep))
                .isInstanceOf(DqlException.class)
                .hasMessageContaining("nested more than 256 levels deep");
        assertThatThrownBy(() -> Dql.parseExpression("NOT ".repeat(50_000) + "TRUE"))
                .isInstanceOf(DqlException.class);
        assertThatThrownBy(() -> Dql.parseExpression("- ".repeat(50_000) + "x")).isInstanceOf(DqlException.class);
        assertThatThrownBy(() -> Dql.parseExpression("+ ".repeat(50_000) + "x")).isInstanceOf(DqlException.class);
        assertThat(Dql.parseExpression("(".repeat(200) + "1" + ")".repeat(200)).toDql())
                .isEqualTo("1");
    }

    @Test
    void longChainsAreBoundedToo() {
        String wide = "a" + " + a".repeat(900);
        assertThat(Eval.eval(wide, "{'a': 1}")).isEqualTo(Value.of(901L));
        String ors = "a = 0" + " OR a = 0".repeat(900) + " OR a = 1";
        assertThat(Eval.eval(ors, "{'a': 1}")).isEqualTo(Value.TRUE);
        assertThatThrownBy(() -> Dql.parseExpression("a" + " + a".repeat(20_000)))
                .isInstanceOf(DqlException.class)
                .hasMessageContaining("more than 1000 levels deep");
        assertThatThrownBy(() -> Dql.parseExpression("a" + ".b".repeat(2_000) + "[:i]" + ".c".repeat(2_000)))
                .as("computed steps nest")
                .isInstanceOf(DqlException.class);
        assertThat(Dql.parseExpression("a" + ".b".repeat(Parser.MAX_PATH_STEPS - 1)))
                .as("a static path is one node")
                .isInstanceOf(Node.Field.class);
    }
}
