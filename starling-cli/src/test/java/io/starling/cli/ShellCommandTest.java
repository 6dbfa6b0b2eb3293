package io.starling.cli;

import static io.starling.cli.CliRunner.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.cli.CliRunner.Result;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.jline.terminal.Attributes;
import org.jline.terminal.Terminal;
import org.jline.terminal.impl.DumbTerminal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code starling shell} driven by piped input, in-process, against a real database: stdout carries exactly the
 * results (no prompts, no escape sequences), stderr the errors, and the session survives its errors.
 */
class ShellCommandTest {
    @TempDir
    Path dir;

    @TempDir
    Path home;

    private Result shell(String input, String... options) {
        String[] args = new String[options.length + 3];
        args[0] = "shell";
        args[1] = "--db";
        args[2] = dir.resolve("db").toString();
        System.arraycopy(options, 0, args, 3, options.length);
        return cli().home(home).stdin(input).run(args);
    }

    @Test
    void multiLineStatementsRunAtTheirSemicolon() {
        Result r = shell("""
                INSERT INTO cars
                  DOCUMENTS ({'_id': 'a', 'make': 'Ford;Lincoln'}),
                            ({'_id': 'b', 'make': 'VW'});
                SELECT _id, make
                  FROM cars -- a comment; not the end
                  ORDER BY _id;
                """);
        assertThat(r.err()).isEmpty();
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).isEqualTo("""
                2 documents mutated
                  a
                  b
                _id | make
                ----+-------------
                a   | Ford;Lincoln
                b   | VW
                (2 rows)
                """);
    }

    @Test
    void severalStatementsOnOneLine() {
        Result r = shell("INSERT INTO c DOCUMENTS ({'_id': 1}); SELECT COUNT(*) AS n FROM c;\n");
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).isEqualTo("1 document mutated\n  1\nn\n-\n1\n(1 row)\n");
    }

    @Test
    void anErrorIsReportedAndTheSessionGoesOn() {
        Result r = shell("""
                SELECT * FORM c;
                INSERT INTO c DOCUMENTS ({'_id': 'x'});
                INSERT INTO c DOCUMENTS ({'_id': 'x'});
                SELECT _id FROM c;
                """);
        assertThat(r.exitCode()).isZero();
        assertThat(r.err().lines()).hasSize(2);
        assertThat(r.err().lines().toList().get(0)).startsWith("error: query/syntax-error: line 1, column 10: ");
        assertThat(r.err().lines().toList().get(1)).startsWith("error: document/id-conflict: ");
        assertThat(r.err()).doesNotContain("\tat ");
        assertThat(r.out()).isEqualTo("1 document mutated\n  x\n_id\n---\nx\n(1 row)\n");
    }

    @Test
    void formatCommandSwitchesTheOutput() {
        Result r = shell("""
                INSERT INTO c DOCUMENTS ({'_id': 'a', 'n': 1});
                .format json
                SELECT * FROM c;
                .format jsonl
                SELECT * FROM c;
                .format
                .format TABLE
                SELECT n FROM c;
                .format csv
                """);
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).isEqualTo("""
                1 document mutated
                  a
                {"items":[{"_id":"a","n":1}],"mutatedDocumentIds":[]}
                {"_id":"a","n":1}
                jsonl
                n
                -
                1
                (1 row)
                """);
        assertThat(r.err()).isEqualTo("error: cli/usage: .format: expected json, jsonl or table, got 'csv'\n");
    }

    @Test
    void formatOptionSetsTheStartingFormat() {
        Result r = shell("SELECT * FROM c;\n", "--format", "json");
        assertThat(r.out()).isEqualTo("{\"items\":[],\"mutatedDocumentIds\":[]}\n");
    }

    @Test
    void argsCommandBindsNamedArgumentsUntilCleared() {
        Result r = shell("""
                .format jsonl
                .args {"doc": {"_id": "k", "n": 5}}
                INSERT INTO c DOCUMENTS (:doc);
                .args {"n": 5}
                SELECT _id FROM c WHERE n = :n;
                .args [1]
                SELECT _id FROM c WHERE n = :n;
                .args
                SELECT _id FROM c WHERE n = :n;
                """);
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).isEqualTo("\"k\"\n{\"_id\":\"k\"}\n{\"_id\":\"k\"}\n");
        assertThat(r.err().lines().toList()).hasSize(2);
        assertThat(r.err().lines().toList().get(0))
                .isEqualTo("error: cli/usage: .args: expected a JSON object such as {\"id\": 1}, got an array;"
                        + " the arguments are unchanged");
        assertThat(r.err().lines().toList().get(1)).startsWith("error: query/argument: ");
    }

    @Test
    void quitEndsTheSession() {
        Result r = shell("""
                .format jsonl
                INSERT INTO c DOCUMENTS ({'_id': 1});
                .quit
                INSERT INTO c DOCUMENTS ({'_id': 2});
                """);
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).isEqualTo("1\n");
        assertThat(shell(".exit;\nSELECT * FROM c;\n").out()).isEmpty();
        assertThat(shell("SELECT _id FROM c;\n", "--format", "jsonl").out()).isEqualTo("{\"_id\":1}\n");
    }

    @Test
    void helpAndUnknownCommands() {
        Result r = shell(".help\n.frob\n");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).isEqualTo(Shell.HELP);
        assertThat(r.err()).isEqualTo("error: cli/usage: unknown command '.frob'; .help lists the commands\n");
    }

    @Test
    void lastStatementWithoutSemicolonRunsAtTheEndOfInput() {
        Result r = shell("INSERT INTO c DOCUMENTS ({'_id': 1});\nSELECT _id\nFROM c", "--format", "jsonl");
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).isEqualTo("1\n{\"_id\":1}\n");
    }

    @Test
    void emptyInputIsAQuietSession() {
        Result r = shell("");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEmpty();
        assertThat(shell("\n  \n-- only a comment\n;\n").out()).isEmpty();
    }

    @Test
    void historyIsWrittenToTheDefaultFileOfTheDatabase() throws IOException {
        Result r = shell("INSERT INTO c\n  DOCUMENTS ({'_id': 1});\nSELECT * FROM c;\n");
        assertThat(r.exitCode()).isZero();
        Path history = ShellCommand.defaultHistoryFile(home, dir.resolve("db"));
        assertThat(history.getParent()).isEqualTo(home.resolve(".starling").resolve("shell-history"));
        assertThat(history.getFileName().toString()).matches("db-[0-9a-f]{12}");
        assertThat(history).exists();
        String text = Files.readString(history, StandardCharsets.UTF_8);
        assertThat(text).contains("SELECT * FROM c;").contains("INSERT INTO c");
        // a multi-line statement is one entry
        assertThat(text.lines().filter(l -> l.contains("INSERT INTO c")))
                .singleElement()
                .asString()
                .contains("DOCUMENTS");
    }

    @Test
    void eachDatabaseHasItsOwnHistoryReadableByItsOwnerOnly() throws IOException {
        Path other = dir.resolve("elsewhere").resolve("db"); // the same name, another directory
        assertThat(shell("SELECT 1 AS one FROM first;\n").exitCode()).isZero();
        Result r = cli().home(home).stdin("SELECT 2 AS two FROM second;\n").run("shell", "--db", other.toString());
        assertThat(r.exitCode()).isZero();

        Path mine = ShellCommand.defaultHistoryFile(home, dir.resolve("db"));
        Path theirs = ShellCommand.defaultHistoryFile(home, other);
        assertThat(mine).isNotEqualTo(theirs);
        assertThat(mine).content().contains("FROM first").doesNotContain("FROM second");
        assertThat(theirs).content().contains("FROM second").doesNotContain("FROM first");
        // the same directory, however it is written, is the same history
        assertThat(ShellCommand.defaultHistoryFile(
                        home, dir.resolve("x").resolve("..").resolve("db")))
                .isEqualTo(mine);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(mine)))
                    .isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(mine.getParent())))
                    .isEqualTo("rwx------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve(".starling"))))
                    .isEqualTo("rwx------");
            // a chosen file is created private too
            Path chosen = dir.resolve("chosen-history");
            assertThat(shell("SELECT * FROM c;\n", "--history", chosen.toString())
                            .exitCode())
                    .isZero();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(chosen)))
                    .isEqualTo("rw-------");
        }
    }

    @Test
    void historyFileCanBeChosen() {
        Path file = dir.resolve("nested").resolve("hist");
        assertThat(shell("SELECT * FROM c;\n", "--history", file.toString()).exitCode())
                .isZero();
        assertThat(file).exists().content().contains("SELECT * FROM c;");
        assertThat(home.resolve(".starling")).doesNotExist();

        Path fromEnv = dir.resolve("env-hist");
        Result r = cli().home(home)
                .env("STARLING_HISTORY_FILE", fromEnv.toString())
                .stdin("SELECT 1 AS one FROM c;\n")
                .run("shell", "--db", dir.resolve("db").toString());
        assertThat(r.exitCode()).isZero();
        assertThat(fromEnv).exists().content().contains("SELECT 1 AS one FROM c;");
    }

    @Test
    void noHistoryKeepsNone() {
        assertThat(shell("SELECT * FROM c;\n", "--no-history").exitCode()).isZero();
        assertThat(home.resolve(".starling")).doesNotExist();
    }

    @Test
    void lockedDatabaseFailsAtStartup() {
        Path db = dir.resolve("db");
        try (Starling other =
                Starling.open(StarlingConfig.builder().databaseDirectory(db).build())) {
            Result r = shell("SELECT * FROM c;\n");
            assertThat(r.exitCode()).isEqualTo(1);
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).startsWith("error: store/locked: ");
        }
    }

    @Test
    void onAConsoleThereArePromptsAndABanner() {
        TerminalFactory console = (in, out) -> new TerminalFactory.ShellTerminal(
                new DumbTerminal("test", Terminal.TYPE_DUMB, in, out, StandardCharsets.UTF_8), true);
        Result r = cli().home(home)
                .terminals(console)
                .stdin("SELECT * FROM c;\n")
                .run("shell", "--db", dir.resolve("db").toString());
        assertThat(r.exitCode()).isZero();
        assertThat(r.out())
                .startsWith("starling ")
                .contains(".help for help.\n")
                .contains(Shell.PROMPT)
                .contains("(0 rows)\n");
    }

    @Test
    void ctrlCDropsTheInputSoFar() {
        // a dumb terminal that, like a console, turns Ctrl-C into SIGINT
        TerminalFactory console = (in, out) -> {
            Terminal terminal = new DumbTerminal("test", Terminal.TYPE_DUMB, in, out, StandardCharsets.UTF_8);
            Attributes attributes = terminal.getAttributes();
            attributes.setLocalFlag(Attributes.LocalFlag.ISIG, true);
            attributes.setControlChar(Attributes.ControlChar.VINTR, 3);
            terminal.setAttributes(attributes);
            return new TerminalFactory.ShellTerminal(terminal, true);
        };
        Result r = cli().home(home)
                .terminals(console)
                // ends with .quit: after an interrupt, JLine's dumb terminal does not notice the end of its input
                .stdin("INSERT INTO c DOCUMENTS ({'_id': 1})\n\u0003SELECT _id FROM c;\n.quit\n")
                .run("shell", "--db", dir.resolve("db").toString(), "--format", "jsonl");
        assertThat(r.exitCode()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).doesNotContain("\"_id\"").doesNotContain("mutated");
    }
}
