package io.starling.cli;

import static io.starling.cli.CliRunner.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.cli.CliRunner.Result;
import io.starling.testsupport.Await;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jline.terminal.Terminal;
import org.jline.terminal.impl.DumbTerminal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shell as a peer: sync options, {@code .peers}, {@code .subscribe} and {@code .watch} until Ctrl-C. */
class ShellSyncTest {
    @TempDir
    Path dir;

    @TempDir
    Path home;

    private Result shell(String input, String... options) {
        String[] args = new String[options.length + 4];
        args[0] = "shell";
        args[1] = "--no-history";
        args[2] = "--db";
        args[3] = dir.resolve("db").toString();
        System.arraycopy(options, 0, args, 4, options.length);
        return cli().home(home).stdin(input).run(args);
    }

    @Test
    void peersShowsThisPeerAlone() {
        Result r = shell(".peers\n");
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).matches("this peer [0-9a-f]{16}\nno remote peers\nno connections\n");
    }

    @Test
    void subscribeAddsAndLists() {
        Result r = shell(".subscribe\n.subscribe SELECT * FROM tasks WHERE done = false;\n.subscribe\n"
                + ".subscribe SELECT title FROM tasks\n");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).isEqualTo("no subscriptions\nSELECT * FROM tasks WHERE done = false\n");
        assertThat(r.err()).startsWith("error: query/").hasLineCount(1);
    }

    @Test
    void subscribeOptionIsReportedOnStderrWhenPiped() {
        Result r = shell(".subscribe\n", "--subscribe", "SELECT * FROM tasks");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).isEqualTo("SELECT * FROM tasks\n");
        assertThat(r.err())
                .matches("peer [0-9a-f]{16} \\(app default, database .*\\)\nsubscribed to SELECT \\* FROM tasks\n");
    }

    @Test
    void helpListsTheSyncCommands() {
        assertThat(shell(".help\n").out()).contains(".watch SELECT", ".peers", ".subscribe");
    }

    @Test
    void watchNeedsAQuery() {
        Result r = shell(".watch\n.watch UPDATE c SET a = 1\n");
        assertThat(r.exitCode()).isZero();
        assertThat(r.err().lines()).hasSize(2);
        assertThat(r.err()).startsWith("error: cli/usage: .watch needs a query");
    }

    /** A session over a dumb terminal on its own thread, with a real instance whose writes the test makes. */
    private final class Session {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final StringWriter err = new StringWriter();
        final Terminal terminal;
        final CompletableFuture<Void> done;

        Session(CountingStarling db, OutputFormat format, String input) throws Exception {
            terminal = new DumbTerminal(
                    "test",
                    Terminal.TYPE_DUMB,
                    new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
                    out,
                    StandardCharsets.UTF_8);
            Shell shell = new Shell(db, terminal, false, null, format, new ErrorReporter(new PrintWriter(err), false));
            done = CompletableFuture.runAsync(() -> shell.run(""), r -> new Thread(r, "shell").start());
        }

        String out() {
            return out.toString(StandardCharsets.UTF_8);
        }

        void await(String what, java.util.function.BooleanSupplier condition) {
            Await.until(what, Duration.ofSeconds(20), condition, () -> "out: " + out() + "; err: " + err);
        }
    }

    private Starling raw;
    private CountingStarling db;

    @BeforeEach
    void open() {
        raw = Starling.open(StarlingConfig.builder()
                .databaseDirectory(dir.resolve("watched"))
                .build());
        db = new CountingStarling(raw);
    }

    @AfterEach
    void close() {
        raw.close();
    }

    @Test
    void watchPrintsEachDeliveryUntilCtrlCAndTheShellGoesOn() throws Exception {
        raw.store().execute("INSERT INTO tasks DOCUMENTS ({'_id': 'a', 'done': false})");
        Session s = new Session(
                db, OutputFormat.JSON, ".watch SELECT * FROM tasks ORDER BY _id;\nSELECT COUNT(*) AS n FROM tasks;\n");
        s.await("the initial delivery", () -> s.out().equals("{\"items\":[{\"_id\":\"a\",\"done\":false}]}\n"));
        raw.store().execute("INSERT INTO tasks DOCUMENTS ({'_id': 'b', 'done': true})");
        s.await("the insert", () -> s.out().lines().count() == 2);
        assertThat(db.openObservers()).isEqualTo(1);

        s.terminal.raise(Terminal.Signal.INT); // Ctrl-C
        s.done.get(20, TimeUnit.SECONDS);
        assertThat(s.err.toString()).isEmpty();
        assertThat(s.out()).isEqualTo("""
                {"items":[{"_id":"a","done":false}]}
                {"items":[{"_id":"a","done":false},{"_id":"b","done":true}]}
                {"items":[{"n":2}],"mutatedDocumentIds":[]}
                """);
        assertThat(db.openObservers()).isZero();
    }

    @Test
    void watchAsTablesSaysWhatChanged() throws Exception {
        Session s = new Session(db, OutputFormat.TABLE, ".watch SELECT _id, n FROM c ORDER BY _id\n");
        s.await("the initial delivery", () -> s.out().equals("(0 rows)\n"));
        raw.store().execute("INSERT INTO c DOCUMENTS ({'_id': 'a', 'n': 1})");
        s.await("the insert", () -> s.out().contains("(1 row)"));
        raw.store().execute("UPDATE c SET n = 2");
        s.await("the update", () -> s.out().contains("-- changed: 1 updated\n"));
        s.terminal.raise(Terminal.Signal.INT);
        s.done.get(20, TimeUnit.SECONDS);
        assertThat(s.out()).isEqualTo("""
                (0 rows)
                -- changed: 1 inserted
                _id | n
                ----+--
                a   | 1
                (1 row)
                -- changed: 1 updated
                _id | n
                ----+--
                a   | 2
                (1 row)
                """);
        assertThat(db.openObservers()).isZero();
    }

    @Test
    void describeNamesEveryKindOfChange() {
        assertThat(Shell.describe(new io.starling.QueryResultDiff(
                        java.util.List.of(0, 1),
                        java.util.List.of(2),
                        java.util.List.of(),
                        java.util.List.of(new io.starling.QueryResultDiff.Move(0, 1)))))
                .isEqualTo("-- changed: 2 inserted, 1 deleted, 1 moved\n");
    }
}
