package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.testsupport.Await;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jline.terminal.Terminal;
import org.jline.terminal.impl.ExternalTerminal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The shell on a console-like terminal (an xterm over in-memory streams, so JLine redraws the input as on a real
 * one): log lines go above the prompt and leave the input being typed intact; a large paste costs a few redraws,
 * not one per character.
 */
class ShellConsoleTest {
    @TempDir
    Path dir;

    Starling db;
    ByteArrayOutputStream screen = new ByteArrayOutputStream();

    @BeforeEach
    void open() {
        db = Starling.open(StarlingConfig.builder().databaseDirectory(dir).build());
        Logging.configure("warn");
    }

    @AfterEach
    void close() {
        db.close();
    }

    Shell shell(Terminal terminal) {
        StringWriter errors = new StringWriter();
        return new Shell(
                db, terminal, true, null, OutputFormat.TABLE, new ErrorReporter(new PrintWriter(errors), false));
    }

    String screen() {
        synchronized (screen) {
            return screen.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void theCliLogsThroughItsOwnBackend() {
        assertThat(LoggerFactory.getILoggerFactory().getClass().getName()).startsWith(CliLogProvider.class.getName());
    }

    @Test
    void aLogLineGoesAboveThePromptAndTheInputStays() throws Exception {
        PipedOutputStream keys = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(keys, 1 << 16);
        Terminal terminal = new ExternalTerminal("test", "xterm", in, screen, StandardCharsets.UTF_8);
        Shell shell = shell(terminal);
        CompletableFuture<Void> session = CompletableFuture.runAsync(() -> shell.run("banner"));

        type(keys, "SELECT _id FR");
        // the terminal may echo the keys before the shell reads them: wait for them at the shell's prompt, which is
        // drawn only once the shell reads its line (and sends log lines above it)
        Await.until(
                "the input at the prompt",
                Duration.ofSeconds(20),
                () -> screen().contains(Shell.PROMPT + "SELECT _id FR"));
        int before = screen().length();
        LoggerFactory.getLogger("io.starling.test").warn("127.0.0.1:7400 refused this peer: another key");
        Await.until(
                "the log line and the input redrawn under it",
                Duration.ofSeconds(20),
                () -> {
                    String after = screen().substring(before);
                    int log = after.indexOf("[WARN] 127.0.0.1:7400 refused this peer: another key");
                    return log >= 0 && after.indexOf(Shell.PROMPT + "SELECT _id FR", log) > log;
                },
                () -> "; the screen since: " + screen().substring(before).replace("\u001b", "ESC"));

        type(keys, "OM c;\n.quit\n");
        session.get(30, TimeUnit.SECONDS);
        assertThat(screen()).contains("(0 rows)"); // the statement typed around the log line ran whole
        terminal.close();
    }

    @Test
    void aLargePasteIsRedrawnAFewTimesNotOncePerCharacter() throws Exception {
        StringBuilder statement = new StringBuilder("INSERT INTO tasks DOCUMENTS ");
        for (int i = 0; statement.length() < 65 * 1024; i++) {
            if (i > 0) statement.append(i % 10 == 0 ? ",\n" : ", ");
            statement
                    .append("({'_id': ")
                    .append(i)
                    .append(", 'title': 'task number ")
                    .append(i)
                    .append("'})");
        }
        String input = statement + ";\nSELECT COUNT(*) AS n FROM tasks;\n.quit\n";
        Terminal terminal = new ExternalTerminal(
                "test",
                "xterm",
                new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
                screen,
                StandardCharsets.UTF_8);
        Shell shell = shell(terminal);
        CompletableFuture.runAsync(() -> shell.run("banner")).get(2, TimeUnit.MINUTES);
        terminal.close();

        long expected = ((Number) db.store()
                        .execute("SELECT COUNT(*) AS n FROM tasks")
                        .items()
                        .get(0)
                        .value()
                        .get("n"))
                .longValue();
        assertThat(expected).isGreaterThan(1000);
        assertThat(screen()).contains(expected + " documents mutated");
        // JLine alone redraws after every character: 65 K redraws, each as long as the input
        assertThat(shell.lineReader().redraws())
                .as(
                        "redraws for %d characters (%d skipped)",
                        input.length(), shell.lineReader().skipped())
                .isLessThan(100);
    }

    private static void type(PipedOutputStream keys, String text) throws IOException {
        keys.write(text.getBytes(StandardCharsets.UTF_8));
        keys.flush();
    }
}
