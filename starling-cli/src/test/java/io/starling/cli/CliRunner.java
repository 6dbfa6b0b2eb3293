package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.StarlingConfig;
import io.starling.testsupport.Await;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Runs the CLI in-process, as {@code main} would, with captured streams, its own environment variables and home
 * directory, a piped terminal, and database settings that ignore the real {@code STARLING_*} variables. A
 * long-running command ({@code peer}, {@code watch}) runs in the background with {@link #start}, and stops with a
 * {@link StopSignal} instead of SIGTERM.
 */
final class CliRunner {
    record Result(int exitCode, String out, String err) {}

    private final Map<String, String> env = new HashMap<>();
    private String stdin = "";
    private Path home = Path.of("/nonexistent-home");
    private java.util.function.Supplier<StarlingConfig.Builder> configSource = StarlingConfig::builder;
    private TerminalFactory terminals = TerminalFactory.piped();

    static CliRunner cli() {
        return new CliRunner();
    }

    CliRunner env(String name, String value) {
        env.put(name, value);
        return this;
    }

    /** The database directory the settings start from, as {@code STARLING_DB_PATH} gives it in production. */
    CliRunner databaseDirectory(Path dir) {
        this.configSource = () -> StarlingConfig.builder().databaseDirectory(dir);
        return this;
    }

    CliRunner stdin(String text) {
        this.stdin = text;
        return this;
    }

    CliRunner home(Path home) {
        this.home = home;
        return this;
    }

    CliRunner terminals(TerminalFactory terminals) {
        this.terminals = terminals;
        return this;
    }

    Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = StarlingCli.run(args, environment(out, err, StopSignal.manual()));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Starts a long-running command on its own thread; {@link Background#stop()} ends it as SIGTERM would. */
    Background start(String... args) {
        return new Background(this, args);
    }

    private CliEnvironment environment(ByteArrayOutputStream out, ByteArrayOutputStream err, StopSignal stop) {
        return new CliEnvironment(
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                out,
                err,
                Map.copyOf(env),
                configSource,
                terminals,
                home,
                () -> stop);
    }

    /** A command running in the background, with its output so far. */
    static final class Background implements AutoCloseable {
        private final ByteArrayOutputStream out =
                new ByteArrayOutputStream(); // synchronized: safe to read while written
        private final ByteArrayOutputStream err = new ByteArrayOutputStream();
        private final StopSignal stop = StopSignal.manual();
        private final CompletableFuture<Integer> status;

        private Background(CliRunner runner, String[] args) {
            CliEnvironment environment = runner.environment(out, err, stop);
            status = CompletableFuture.supplyAsync(
                    () -> StarlingCli.run(args, environment), r -> new Thread(r, "cli-" + args[0]).start());
        }

        String out() {
            return out.toString(StandardCharsets.UTF_8);
        }

        String err() {
            return err.toString(StandardCharsets.UTF_8);
        }

        boolean isDone() {
            return status.isDone();
        }

        /** Waits until {@code condition} holds (or the command ends, or 30 s pass: then fails with the output). */
        Background await(String what, BooleanSupplier condition) {
            Await.until(
                    what,
                    Duration.ofSeconds(30),
                    () -> condition.getAsBoolean() || status.isDone(),
                    () -> "stdout: " + out() + "; stderr: " + err());
            if (!condition.getAsBoolean()) {
                throw new AssertionError(
                        "the command ended before " + what + "; stdout: " + out() + "; stderr: " + err());
            }
            return this;
        }

        /** Waits for a line of stderr that starts with {@code prefix} and returns the rest of it. */
        String awaitErrLine(String prefix) {
            await("a line '" + prefix + "…' on stderr", () -> err().lines().anyMatch(l -> l.startsWith(prefix)));
            return err().lines()
                    .filter(l -> l.startsWith(prefix))
                    .findFirst()
                    .orElseThrow()
                    .substring(prefix.length());
        }

        /** Asks the command to stop and waits for it: its exit status and output. */
        Result stop() throws Exception {
            stop.requestStop();
            int code = status.get(30, TimeUnit.SECONDS);
            assertThat(stop.awaitFinished(Duration.ofSeconds(1)))
                    .as("the command released its stop signal")
                    .isTrue();
            return new Result(code, out(), err());
        }

        /** The result of a command that ends by itself. */
        Result join() throws Exception {
            return new Result(status.get(30, TimeUnit.SECONDS), out(), err());
        }

        @Override
        public void close() {
            if (status.isDone()) return;
            try {
                stop();
            } catch (Exception e) {
                throw new AssertionError("the command did not stop", e);
            }
        }
    }
}
