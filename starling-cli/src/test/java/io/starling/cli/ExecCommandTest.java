package io.starling.cli;

import static io.starling.cli.CliRunner.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.cli.CliRunner.Result;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code starling exec} end to end, in-process, against a real database in a temporary directory. */
class ExecCommandTest {
    private static final String INSERT_A = "INSERT INTO cars DOCUMENTS ({'_id': 'a', 'make': 'Ford', 'year': 1999})";
    private static final String INSERT_B = "INSERT INTO cars DOCUMENTS ({'_id': 'b', 'make': 'VW', 'year': 1985})";

    @TempDir
    Path dir;

    private Result exec(String... args) {
        String[] full = new String[args.length + 3];
        full[0] = "exec";
        full[1] = "--db";
        full[2] = dir.toString();
        System.arraycopy(args, 0, full, 3, args.length);
        return cli().run(full);
    }

    private void assertOk(Result r) {
        assertThat(r.err()).isEmpty();
        assertThat(r.exitCode()).isZero();
    }

    @Test
    void insertThenSelectAsJson() {
        Result insert = exec(INSERT_A);
        assertOk(insert);
        assertThat(insert.out()).isEqualTo("{\"items\":[],\"mutatedDocumentIds\":[\"a\"]}\n");

        Result select = exec("SELECT * FROM cars");
        assertOk(select);
        assertThat(select.out())
                .isEqualTo("{\"items\":[{\"_id\":\"a\",\"make\":\"Ford\",\"year\":1999}],\"mutatedDocumentIds\":[]}\n");
    }

    @Test
    void jsonIsTheDefaultAndCanBeNamed() {
        assertOk(exec(INSERT_A));
        assertThat(exec("--format", "json", "SELECT make FROM cars").out())
                .isEqualTo(exec("SELECT make FROM cars").out())
                .isEqualTo("{\"items\":[{\"make\":\"Ford\"}],\"mutatedDocumentIds\":[]}\n");
    }

    @Test
    void insertThenSelectAsJsonLines() {
        Result insert = exec(
                "--format",
                "jsonl",
                "INSERT INTO cars DOCUMENTS ({'_id': 'a', 'make': 'Ford'}), ({'_id': 7, 'make': 'VW'})");
        assertOk(insert);
        assertThat(insert.out()).isEqualTo("\"a\"\n7\n");

        Result select = exec("--format", "jsonl", "SELECT _id, make FROM cars ORDER BY make");
        assertOk(select);
        assertThat(select.out()).isEqualTo("{\"_id\":\"a\",\"make\":\"Ford\"}\n{\"_id\":7,\"make\":\"VW\"}\n");
    }

    @Test
    void insertThenSelectAsTable() {
        Result insert = exec("--format", "table", INSERT_A);
        assertOk(insert);
        assertThat(insert.out()).isEqualTo("1 document mutated\n  a\n");
        assertOk(exec(INSERT_B));
        assertOk(exec("INSERT INTO cars DOCUMENTS ({'_id': 'c', 'year': 2024})"));

        Result select = exec("--format", "table", "SELECT _id, make, year FROM cars ORDER BY _id");
        assertOk(select);
        assertThat(select.out()).isEqualTo("""
                _id | make | year
                ----+------+-----
                a   | Ford | 1999
                b   | VW   | 1985
                c   |      | 2024
                (3 rows)
                """);
        assertThat(exec("--format", "table", "SELECT * FROM cars WHERE year > 3000")
                        .out())
                .isEqualTo("(0 rows)\n");
        assertThat(exec("--format", "table", "UPDATE cars SET make = 'x' WHERE year > 3000")
                        .out())
                .isEqualTo("0 documents mutated\n");
    }

    @Test
    void namedArgumentsAreBound() {
        Result insert = exec(
                "--args",
                "{\"car\": {\"_id\": \"z\", \"make\": \"Fiat\", \"year\": 1970, \"tags\": [\"small\"]}}",
                "INSERT INTO cars DOCUMENTS (:car)");
        assertOk(insert);
        assertThat(insert.out()).isEqualTo("{\"items\":[],\"mutatedDocumentIds\":[\"z\"]}\n");

        // 1970 arrives as a Long and matches the stored integer
        Result select = exec(
                "--args",
                "{\"year\": 1970, \"make\": \"Fiat\"}",
                "SELECT _id, tags FROM cars WHERE year = :year AND make = :make");
        assertOk(select);
        assertThat(select.out())
                .isEqualTo("{\"items\":[{\"_id\":\"z\",\"tags\":[\"small\"]}],\"mutatedDocumentIds\":[]}\n");
    }

    @Test
    void missingArgumentIsAUserError() {
        Result r = exec("SELECT * FROM cars WHERE make = :make");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: query/argument: ");
    }

    @Test
    void syntaxErrorExitsWithTwoAndSaysWhereOnOneLine() {
        Result r = exec("SELECT * FORM cars");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("error: query/syntax-error: line 1, column 10: ");
        assertThat(r.err().lines()).hasSize(1);
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void syntaxErrorOnALaterLineSaysWhichLine() {
        Result r = exec("SELECT *\nFROM cars\nWHERE make = = 1");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).matches("error: query/syntax-error: line 3, column \\d+: .*\n");
    }

    @Test
    void idConflictIsNotAUserError() {
        assertOk(exec(INSERT_A));
        Result r = exec(INSERT_A);
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: document/id-conflict: ");
        assertThat(r.err().lines()).hasSize(1);
    }

    @Test
    void lockedDatabaseExitsWithOne() {
        try (Starling other =
                Starling.open(StarlingConfig.builder().databaseDirectory(dir).build())) {
            Result r = exec("SELECT * FROM cars");
            assertThat(r.exitCode()).isEqualTo(1);
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).startsWith("error: store/locked: ");
            assertThat(r.err().lines()).hasSize(1);
        }
        // the failed attempt left nothing behind: the directory opens once the other instance is closed
        assertOk(exec("SELECT * FROM cars"));
    }

    @Test
    void appIdIsKeptAndChecked() {
        assertOk(exec("--app", "garage", INSERT_A));
        assertOk(exec("--app", "garage", "SELECT * FROM cars"));
        Result r = exec("--app", "shop", "SELECT * FROM cars");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: store/app-mismatch: ");
    }

    @Test
    void trailingSemicolonIsAccepted() {
        assertOk(exec(INSERT_A + ";"));
    }
}
