package io.starling.cli;

import static io.starling.cli.CliRunner.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.cli.CliRunner.Background;
import io.starling.cli.CliRunner.Result;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code starling apikey create|list|revoke} as a user runs them, and a peer that serves the keys of its database:
 * the key printed once, what the user is told, the mistakes refused with where they are, a revocation taking effect
 * on the running peer.
 */
class ApiKeyCliTest {
    @TempDir
    Path dir;

    private Path permissions(String json) throws Exception {
        Path file = Files.createTempFile(dir, "perms", ".json");
        Files.writeString(file, json);
        return file;
    }

    private static final String OWN = "{\"read\": {\"queriesByCollection\": {\"tasks\": [\"owner = :userId\"]}},"
            + " \"write\": {\"queriesByCollection\": {\"tasks\": [\"owner = :userId\"]}}}";

    @Test
    void createPrintsTheKeyOnceListShowsItWithoutTheSecretRevokeRemovesIt() throws Exception {
        String db = dir.resolve("db").toString();
        Result made = cli().run(
                        "apikey",
                        "create",
                        "--db",
                        db,
                        "--permissions",
                        permissions(OWN).toString(),
                        "--name",
                        "app",
                        "--user",
                        "alice");
        assertThat(made.exitCode()).as(made.err()).isZero();
        String key = made.out().strip();
        assertThat(key).matches("stk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}");
        String id = key.substring(4, 20);
        assertThat(made.err())
                .startsWith("created API key " + id + " (app) for user alice in " + db + "/api-keys.json\n"
                        + "  read:  tasks (1 condition)\n  write: tasks (1 condition)\n")
                .contains("the only time the key is shown")
                .contains("starling apikey revoke --db " + db + " " + id);

        Result list = cli().run("apikey", "list", "--db", db);
        assertThat(list.exitCode()).isZero();
        assertThat(list.out()).startsWith(id + "  app  user alice  created ").doesNotContain(key.substring(21));
        assertThat(list.out()).endsWith("read: tasks (1 condition)  write: tasks (1 condition)\n");

        Result revoked = cli().run("apikey", "revoke", "--db", db, id);
        assertThat(revoked.exitCode()).isZero();
        assertThat(revoked.out()).isEqualTo("revoked API key " + id + " (app)\n");
        Result again = cli().run("apikey", "revoke", "--db", db, id);
        assertThat(again.exitCode()).isEqualTo(2);
        assertThat(again.err()).startsWith("error: apikey/unknown: no API key " + id);
        assertThat(cli().run("apikey", "list", "--db", db).err()).startsWith("no API keys in ");
    }

    @Test
    void badPermissionFilesAreUsageErrorsThatSayWhere() throws Exception {
        String db = dir.resolve("db").toString();
        Result typo = cli().run(
                        "apikey",
                        "create",
                        "--db",
                        db,
                        "--permissions",
                        permissions("{\"read\": {\"everythin\": true}}").toString());
        assertThat(typo.exitCode()).isEqualTo(2);
        assertThat(typo.err()).contains("read.everythin").startsWith("error: cli/usage: --permissions: ");
        Result notJson = cli().run(
                        "apikey",
                        "create",
                        "--db",
                        db,
                        "--permissions",
                        permissions("{").toString());
        assertThat(notJson.exitCode()).isEqualTo(2);
        assertThat(notJson.err()).contains("is not valid JSON");
        Result missing = cli().run(
                        "apikey",
                        "create",
                        "--db",
                        db,
                        "--permissions",
                        dir.resolve("nope").toString());
        assertThat(missing.err()).contains("there is no file");
        assertThat(cli().run("apikey", "create", "--db", db).exitCode())
                .as("--permissions is required")
                .isEqualTo(2);
        assertThat(Files.exists(dir.resolve("db").resolve(ApiKeys.FILE_NAME))).isFalse();
    }

    @Test
    void aPeerServesTheKeysOfItsDatabaseAndSeesARevocationAtOnce() throws Exception {
        String db = dir.resolve("db").toString();
        String key = cli().run(
                        "apikey",
                        "create",
                        "--db",
                        db,
                        "--permissions",
                        permissions(OWN).toString(),
                        "--user",
                        "alice")
                .out()
                .strip();
        try (Background peer = cli().start("peer", "--db", db, "--http", "127.0.0.1:0", "--http-token", "admin")) {
            peer.await("ready", () -> peer.err().contains("\nready; stop with Ctrl-C or SIGTERM\n"));
            String url = peer.awaitErrLine("http listening on ");
            assertThat(peer.err()).contains("http accepts 1 API key from " + db + "/api-keys.json");
            HttpClient client = HttpClient.newHttpClient();
            String insert = "{\"statement\": \"INSERT INTO tasks DOCUMENTS ({'_id': 'a', 'owner': 'alice'}),"
                    + " ({'_id': 'b', 'owner': 'bob'})\"}";
            HttpRequest.Builder execute = HttpRequest.newBuilder(URI.create(url + HttpApi.EXECUTE))
                    .header("Content-Type", "application/json");
            assertThat(client.send(
                                    execute.copy()
                                            .header("Authorization", "Bearer admin")
                                            .POST(HttpRequest.BodyPublishers.ofString(insert))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode())
                    .isEqualTo(200);
            HttpRequest select = execute.copy()
                    .header("Authorization", "Bearer " + key)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"statement\": \"SELECT _id FROM tasks\"}"))
                    .build();
            HttpResponse<String> seen = client.send(select, HttpResponse.BodyHandlers.ofString());
            assertThat(seen.body()).isEqualTo("{\"items\":[{\"_id\":\"a\"}],\"mutatedDocumentIds\":[]}");

            assertThat(cli().run("apikey", "revoke", "--db", db, key).exitCode())
                    .isZero();
            assertThat(client.send(select, HttpResponse.BodyHandlers.ofString()).statusCode())
                    .isEqualTo(401);
        }
    }
}
