package io.starling.cli;

import io.starling.StarlingConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Runs the CLI in-process, as {@code main} would, with captured streams, its own environment variables and home
 * directory, a piped terminal, and database settings that ignore the real {@code STARLING_*} variables.
 */
final class CliRunner {
    record Result(int exitCode, String out, String err) {}

    private final Map<String, String> env = new HashMap<>();
    private String stdin = "";
    private Path home = Path.of("/nonexistent-home");
    private TerminalFactory terminals = TerminalFactory.piped();

    static CliRunner cli() {
        return new CliRunner();
    }

    CliRunner env(String name, String value) {
        env.put(name, value);
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
        CliEnvironment environment = new CliEnvironment(
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                out,
                err,
                Map.copyOf(env),
                StarlingConfig::builder,
                terminals,
                home);
        int status = StarlingCli.run(args, environment);
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
