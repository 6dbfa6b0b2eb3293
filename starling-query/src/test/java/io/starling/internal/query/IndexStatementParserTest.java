package io.starling.internal.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.starling.internal.core.Path;
import io.starling.internal.index.IndexDefinition;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** CREATE INDEX, DROP INDEX and EXPLAIN: what they parse to, how they print, and where their errors point. */
class IndexStatementParserTest {

    private static DqlException error(String dql) {
        return catchThrowableOfType(DqlException.class, () -> Dql.parse(dql));
    }

    @Test
    void createIndex() {
        CreateIndexStatement c = (CreateIndexStatement)
                Dql.parse("create index if not exists by_make_year on cars (make, year DESC, `a b`.c ASC, d['e f']);");
        assertThat(c.name()).isEqualTo("by_make_year");
        assertThat(c.collection()).isEqualTo("cars");
        assertThat(c.ifNotExists()).isTrue();
        assertThat(c.isMutation()).isTrue();
        assertThat(c.index())
                .isEqualTo(new IndexDefinition(
                        "by_make_year",
                        "cars",
                        List.of(
                                new IndexDefinition.Field(Path.of("make"), false),
                                        new IndexDefinition.Field(Path.of("year"), true),
                                new IndexDefinition.Field(Path.of("a b", "c"), false),
                                        new IndexDefinition.Field(Path.of("d", "e f"), false))));
        assertThat(c.toString())
                .isEqualTo("CREATE INDEX IF NOT EXISTS by_make_year ON cars (make, year DESC, `a b`.c, d.`e f`)");
        assertThat(c.line()).isEqualTo(1);
        assertThat(c.column()).isEqualTo(1);
        CreateIndexStatement plain = (CreateIndexStatement) Dql.parse("CREATE INDEX i ON c (a)");
        assertThat(plain.ifNotExists()).isFalse();
    }

    @Test
    void dittosCollectionDotNameForm() {
        CreateIndexStatement c = (CreateIndexStatement) Dql.parse("CREATE INDEX cars.color_idx (color)");
        assertThat(c.name()).isEqualTo("color_idx");
        assertThat(c.collection()).isEqualTo("cars");
        assertThat(c.toString()).isEqualTo("CREATE INDEX color_idx ON cars (color)");
        DropIndexStatement d = (DropIndexStatement) Dql.parse("DROP INDEX IF EXISTS cars.color_idx");
        assertThat(d.name()).isEqualTo("color_idx");
        assertThat(d.collection()).isEqualTo("cars");
        assertThat(d.toString()).isEqualTo("DROP INDEX IF EXISTS color_idx ON cars");
    }

    @Test
    void dropIndex() {
        DropIndexStatement d = (DropIndexStatement) Dql.parse("\n  DROP INDEX `my index` ON `my cars`");
        assertThat(d.name()).isEqualTo("my index");
        assertThat(d.collection()).isEqualTo("my cars");
        assertThat(d.ifExists()).isFalse();
        assertThat(d.isMutation()).isTrue();
        assertThat(d.line()).isEqualTo(2);
        assertThat(d.column()).isEqualTo(3);
        assertThat(d.toString()).isEqualTo("DROP INDEX `my index` ON `my cars`");
    }

    @Test
    void anIndexMayBeNamedIf() {
        assertThat(((CreateIndexStatement) Dql.parse("CREATE INDEX if ON c (a)")).name())
                .isEqualTo("if");
        assertThat(((DropIndexStatement) Dql.parse("DROP INDEX if ON c")).name())
                .isEqualTo("if");
        assertThat(((DropIndexStatement) Dql.parse("DROP INDEX IF EXISTS if ON c")).name())
                .isEqualTo("if");
    }

    @Test
    void explainWrapsSelectUpdateDeleteAndEvict() {
        for (String inner : List.of(
                "SELECT a FROM c WHERE (b = :x)",
                "UPDATE c SET a = 1 WHERE (b > 2)",
                "DELETE FROM c",
                "EVICT FROM c WHERE (a IS NULL)")) {
            ExplainStatement x = (ExplainStatement) Dql.parse("EXPLAIN " + inner);
            assertThat(x.explained().toString()).isEqualTo(inner);
            assertThat(x.toString()).isEqualTo("EXPLAIN " + inner);
            assertThat(x.isMutation()).isFalse();
            assertThat(x.collection()).isEqualTo("c");
        }
        assertThat(((BaseStatement) Dql.parse("EXPLAIN SELECT a FROM c WHERE b = :x")).argUses)
                .extracting(ArgUse::name)
                .containsExactly("x");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "CREATE INDEX i ON c (a)",
                "CREATE INDEX IF NOT EXISTS `x y` ON `c d` (a.b DESC, `e``f`)",
                "DROP INDEX i ON c",
                "DROP INDEX IF EXISTS i ON c",
                "EXPLAIN SELECT DISTINCT a FROM c ORDER BY a DESC LIMIT 1",
            })
    void printedStatementsParseBackToThemselves(String dql) {
        String printed = Dql.parse(dql).toString();
        assertThat(Dql.parse(printed).toString()).isEqualTo(printed);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                // array positions: INVALID at the bracket
                "CREATE INDEX i ON c (a[0])                       | INVALID | line 1, column 23: an index field is a field path without array positions, not a[0]",
                "CREATE INDEX i ON c (a, b.c[-1].d DESC)          | INVALID | line 1, column 28: an index field is a field path without array positions, not b.c[-1]",
                "CREATE INDEX i ON c (a, b, a DESC)               | INVALID | line 1, column 28: index field a is listed twice",
                "CREATE INDEX i ON c (a[:i])                      | INVALID | line 1, column 23: a path here must be static: use a constant index or field name in [ ]",
                "CREATE INDEX ON c (a)                            | SYNTAX  | line 1, column 14: expected an index name but found 'ON'",
                "CREATE INDEX i c (a)                             | SYNTAX  | line 1, column 16: expected ON but found 'c'",
                "CREATE INDEX i ON (a)                            | SYNTAX  | line 1, column 19: expected a collection name but found '('",
                "CREATE INDEX i ON c                              | SYNTAX  | line 1, column 20: expected '(' but found end of input",
                "CREATE INDEX i ON c ()                           | SYNTAX  | line 1, column 22: expected a field path but found ')'",
                "CREATE INDEX i ON c (a ASC DESC)                 | SYNTAX  | line 1, column 28: expected ')' but found 'DESC'",
                "CREATE INDEX i ON c (lower(a))                   | SYNTAX  | line 1, column 27: expected ')' but found '('",
                "CREATE INDEX IF EXISTS i ON c (a)                | SYNTAX  | line 1, column 17: expected NOT but found 'EXISTS'",
                "CREATE INDEX IF NOT i ON c (a)                   | SYNTAX  | line 1, column 21: expected EXISTS but found 'i'",
                "CREATE INDEX c. (a)                              | SYNTAX  | line 1, column 17: expected an index name after 'c.' but found '('",
                "CREATE UNIQUE INDEX i ON c (a)                   | SYNTAX  | line 1, column 8: expected INDEX but found 'UNIQUE'",
                "DROP INDEX                                       | SYNTAX  | line 1, column 11: expected an index name but found end of input",
                "DROP INDEX i                                     | SYNTAX  | line 1, column 13: expected ON but found end of input",
                "DROP INDEX IF NOT EXISTS i ON c                  | SYNTAX  | line 1, column 15: expected EXISTS but found 'NOT'",
                "DROP INDEX i ON c (a)                            | SYNTAX  | line 1, column 19: unexpected '(' after the end of the statement",
                "EXPLAIN                                          | SYNTAX  | line 1, column 8: expected SELECT, UPDATE, DELETE or EVICT after EXPLAIN but found end of input",
                "EXPLAIN INSERT INTO c DOCUMENTS ({})             | SYNTAX  | line 1, column 9: expected SELECT, UPDATE, DELETE or EVICT after EXPLAIN but found 'INSERT'",
                "EXPLAIN EXPLAIN SELECT * FROM c                  | SYNTAX  | line 1, column 9: expected SELECT, UPDATE, DELETE or EVICT after EXPLAIN but found 'EXPLAIN'",
                "EXPLAIN CREATE INDEX i ON c (a)                  | SYNTAX  | line 1, column 9: expected SELECT, UPDATE, DELETE or EVICT after EXPLAIN but found 'CREATE'",
                "EXPLAIN SELECT * FORM c                          | SYNTAX  | line 1, column 18: expected FROM but found 'FORM'",
                "EXPLAIN SELECT lenght(a) FROM c                  | INVALID | line 1, column 16: unknown function 'lenght'",
            })
    void errorsNameTheProblemAndThePosition(String dql, DqlException.Kind kind, String message) {
        DqlException e = error(dql.strip());
        assertThat(e).as(dql).isNotNull();
        assertThat(e.getMessage()).isEqualTo(message);
        assertThat(e.kind()).isEqualTo(kind);
    }
}
