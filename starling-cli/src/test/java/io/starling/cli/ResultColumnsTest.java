package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.cli.ResultColumns.Column;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The column names read from a SELECT's text agree with the names the engine gives its result fields. */
class ResultColumnsTest {
    @TempDir
    Path dir;

    @Test
    void namesAliasesAndUnnamedExpressions() {
        assertThat(ResultColumns.of("SELECT make, year + 1, upper(make), make AS m, year y FROM cars"))
                .containsExactly(
                        new Column("make", "make"),
                        new Column("($1)", "year + 1"),
                        new Column("($2)", "upper(make)"),
                        new Column("m", "m"),
                        new Column("y", "y"));
        assertThat(ResultColumns.of("select distinct a.b.c, `we ird`, (d), f(x).g, a[0], :arg FROM c"))
                .extracting(Column::name)
                .containsExactly("c", "we ird", "d", "g", "($1)", "($2)");
        assertThat(ResultColumns.of("SELECT COUNT(*) AS n, x IS NOT MISSING, CASE WHEN a THEN 1 END k FROM c"))
                .containsExactly(new Column("n", "n"), new Column("($1)", "x IS NOT MISSING"), new Column("k", "k"));
        assertThat(ResultColumns.of("SELECT a,\n    b -- the b\n FROM c WHERE x IN (SELECT)"))
                .extracting(Column::name)
                .containsExactly("a", "b");
    }

    @Test
    void nothingForStarOtherStatementsAndUnreadableText() {
        assertThat(ResultColumns.of("SELECT * FROM c")).isEmpty();
        assertThat(ResultColumns.of("INSERT INTO c DOCUMENTS ({'a': 1})")).isEmpty();
        assertThat(ResultColumns.of("EXPLAIN SELECT a FROM c")).isEmpty();
        assertThat(ResultColumns.of("SELECT a, (b FROM c")).isEmpty();
        assertThat(ResultColumns.of("SELECT 'unterminated FROM c")).isEmpty();
        assertThat(ResultColumns.of("")).isEmpty();
    }

    /** Checked against the engine: each statement's result keys are exactly the names read from its text. */
    @Test
    void theEngineAgrees() {
        try (Starling db =
                Starling.open(StarlingConfig.builder().databaseDirectory(dir).build())) {
            db.store()
                    .execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'a': {'b': {'c': 5}}, 'we ird': 2, 'd': 3,"
                            + " 'arr': [7, 8], 'make': 'Ford', 'year': 2019})");
            List<String> statements = List.of(
                    "SELECT make, year + 1, upper(make), make AS m, year y FROM c",
                    "SELECT a.b.c, `we ird`, (d), arr[0], :arg, object_length(a).x FROM c",
                    "SELECT COUNT(*) AS n, SUM(year), MAX(year) top FROM c",
                    "SELECT year - 1 AS `prev year`, 'lit', 42, [1, 2], {'k': d} FROM c",
                    "SELECT DISTINCT make, CASE WHEN year > 2000 THEN 'new' ELSE 'old' END FROM c");
            for (String statement : statements) {
                Map<String, Object> item = db.store()
                        .execute(statement, Map.of("arg", 9))
                        .items()
                        .get(0)
                        .value();
                assertThat(ResultColumns.of(statement))
                        .as(statement)
                        .extracting(Column::name)
                        .containsAll(item.keySet())
                        .hasSize(statement.equals(statements.get(1)) ? 6 : item.size());
            }
        }
    }
}
