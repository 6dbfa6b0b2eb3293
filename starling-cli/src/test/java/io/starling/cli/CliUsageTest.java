package io.starling.cli;

import static io.starling.cli.CliRunner.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.cli.CliRunner.Result;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Usage, version and argument errors: everything that is decided before a database is opened. */
class CliUsageTest {
    @TempDir
    Path dir;

    @Test
    void versionPrintsTheProjectVersion() {
        Result r = cli().run("--version");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).matches("starling \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\n");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void helpListsTheCommands() {
        Result r = cli().run("--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("exec", "shell", "peer", "watch", "STARLING_LOG_LEVEL", "STARLING_HTTP_TOKEN");
    }

    @Test
    void noCommandIsAUsageError() {
        Result r = cli().run();
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("Usage: starling");
    }

    @Test
    void unknownOptionIsAUsageError() {
        Result r = cli().run("exec", "--frobnicate", "SELECT * FROM c");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("Unknown option: '--frobnicate'").contains("Usage: starling exec");
    }

    @Test
    void unknownCommandIsAUsageError() {
        Result r = cli().run("frobnicate");
        assertThat(r.exitCode()).isEqualTo(2);
        // picocli prints the usage, or "Did you mean: starling watch?" when a command name is close enough
        assertThat(r.err()).contains("frobnicate").containsAnyOf("Usage: starling", "Did you mean");
    }

    @Test
    void missingStatementIsAUsageError() {
        Result r = cli().run("exec", "--db", dir.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("Missing required parameter: 'STATEMENT'");
    }

    @Test
    void malformedArgsIsAUsageErrorThatSaysWhy() {
        Result r = cli().run("exec", "--db", dir.toString(), "--args", "{\"a\": ", "SELECT * FROM c");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("Invalid value for option '--args': not valid JSON: ");
        assertThat(r.err()).doesNotContain("\tat ");
    }

    @Test
    void argsThatAreNotAnObjectAreAUsageError() {
        Result r = cli().run("exec", "--db", dir.toString(), "--args", "[1, 2]", "SELECT * FROM c");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err())
                .contains("Invalid value for option '--args': expected a JSON object")
                .contains("got an array");
    }

    @Test
    void unknownFormatIsAUsageError() {
        Result r = cli().run("exec", "--db", dir.toString(), "--format", "csv", "SELECT * FROM c");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("Invalid value for option '--format': expected json, jsonl or table, got 'csv'");
    }

    @Test
    void invalidLogLevelIsAUsageError() {
        Result r = cli().env("STARLING_LOG_LEVEL", "loud").run("--version");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err())
                .isEqualTo(
                        "error: config/invalid: STARLING_LOG_LEVEL must be one of error, warn, info, debug, trace, got 'loud'\n");
    }

    @Test
    void logLevelIsCaseInsensitive() {
        assertThat(cli().env("STARLING_LOG_LEVEL", "WARN").run("--version").exitCode())
                .isZero();
        assertThat(cli().env("STARLING_LOG_LEVEL", "").run("--version").exitCode())
                .isZero();
    }

    @Test
    void invalidAppIdIsAUserErrorOnOneLine() {
        Result r = cli().run("exec", "--db", dir.toString(), "--app", "no spaces", "SELECT * FROM c");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: config/invalid: appId must be").endsWith("'no spaces'\n");
        assertThat(r.err().lines()).hasSize(1);
    }

    @Test
    void stackTraceOnlyAtDebugLevel() {
        Result r = cli().env("STARLING_LOG_LEVEL", "debug")
                .run("exec", "--db", dir.toString(), "--app", "no spaces", "SELECT * FROM c");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: config/invalid: ").contains("\tat io.starling.");
    }
}
