package io.starling.cli;

import static io.starling.cli.CliRunner.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.cli.CliRunner.Background;
import io.starling.cli.CliRunner.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code starling server} in-process: options from a config file (the command line adding to or replacing them), the
 * subscription to every collection, and each mistake in the options or the file: exit status 2, one clear line.
 */
class ServerCommandTest {
    @TempDir
    Path dir;

    private Path config(String json) throws Exception {
        Path file = dir.resolve("server.json");
        Files.writeString(file, json);
        return file;
    }

    @Test
    void takesItsOptionsFromTheConfigFileAndTheCommandLineAndSubscribesToEveryCollection() throws Exception {
        Path db = dir.resolve("db");
        cli().run("exec", "--db", db.toString(), "--app", "tasks", "INSERT INTO held DOCUMENTS ({'_id': 1})");
        Path file = config("{\"db\": \"" + db.toString().replace("\\", "\\\\") + "\", \"app\": \"tasks\","
                + " \"listen\": [\"tcp://127.0.0.1:0\"], \"collection\": [\"lists\", \"odd-name\", \"order\"],"
                + " \"http\": \"127.0.0.1:0\", \"lan\": false, \"max-peers\": 500}");
        try (Background server = cli().start("server", "--config", file.toString(), "--listen", "ws://127.0.0.1:0")) {
            server.await("ready", () -> server.err().contains("\nready; stop with Ctrl-C or SIGTERM\n"));
            assertThat(server.err())
                    .contains("(app tasks, database " + db.toAbsolutePath())
                    .contains("sync listening on tcp://127.0.0.1:")
                    .contains("sync listening on ws://127.0.0.1:")
                    .contains("subscribed to SELECT * FROM *\n")
                    .contains("subscribed to SELECT * FROM `lists`\n")
                    .contains("subscribed to SELECT * FROM `odd-name`\n")
                    .contains("subscribed to SELECT * FROM `order`\n") // a reserved word names a collection too
                    .doesNotContain("subscribed to SELECT * FROM held\n") // held or not, every collection is read
                    .contains("http listening on http://127.0.0.1:");
            Result stopped = server.stop();
            assertThat(stopped.exitCode()).isZero();
            assertThat(stopped.err())
                    .endsWith("stopping\ndraining: /readyz answers 503, sync peers are told to go elsewhere"
                            + " (going-away)\nstopped\n");
        }
    }

    @Test
    void mistakesInTheOptionsOrTheFileAreUsageErrorsNamingThem() throws Exception {
        assertUsage(
                "config file " + dir.resolve("none.json") + ": no such file",
                "server",
                "--config",
                dir.resolve("none.json").toString());
        assertUsage(
                "unknown key \"listn\"",
                "server",
                "--config",
                config("{\"listn\": \"1\"}").toString());
        assertUsage(
                "not valid JSON", "server", "--config", config("{\"listen\": ").toString());
        assertUsage(
                "must hold one JSON object", "server", "--config", config("[1]").toString());
        assertUsage(
                "\"app\" takes one value, not an array",
                "server",
                "--config",
                config("{\"app\": [\"a\", \"b\"]}").toString());
        assertUsage(
                "\"lan\" is a switch: true or false",
                "server",
                "--config",
                config("{\"lan\": \"yes\"}").toString());
        assertUsage(
                "unknown key \"config\"",
                "server",
                "--config",
                config("{\"config\": \"x\"}").toString());
        assertUsage(
                "config file " + dir.resolve("server.json") + " or the command line:",
                "server",
                "--config",
                config("{\"listen\": \"nonsense:99999999\"}").toString());
        assertUsage(
                "--db and --postgres name two storages",
                "server",
                "--db",
                dir.resolve("x").toString(),
                "--postgres",
                "jdbc:postgresql://127.0.0.1:1/x");
        assertUsage("--postgres takes a JDBC URL starting with jdbc:postgresql:", "server", "--postgres", "mysql://x");
        assertUsage("--max-peers must be 1 to 10000", "server", "--max-peers", "0");
        assertThat(Files.exists(dir.resolve("x"))).as("nothing opened").isFalse();
    }

    private static void assertUsage(String message, String... args) {
        Result r = cli().run(args);
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains(message).doesNotContain("\tat ");
    }
}
