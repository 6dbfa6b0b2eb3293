package io.starling.cli;

import static io.starling.cli.CliRunner.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.cli.CliRunner.Background;
import io.starling.cli.CliRunner.Result;
import io.starling.internal.auth.Pem;
import io.starling.internal.cdc.kafka.SinkPosition;
import io.starling.internal.storage.postgres.PostgresClusterState;
import io.starling.internal.storage.postgres.TestPostgres;
import io.starling.testsupport.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What server nodes on one PostgreSQL share besides the documents: API keys made or revoked through any node (or
 * with {@code starling apikey --postgres}) are honoured or refused by every node within the staleness bound, and the
 * Kafka sink's lease and position live in the database, held by one node at a time. (The sink's delivery across a
 * takeover is tested against a real broker in starling-cdc-kafka.)
 */
class ServerSharedStateTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String ADMIN = "admin-token-of-the-test";

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    private int status(String base, String key) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + HttpApi.EXECUTE))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString("{\"statement\": \"SELECT * FROM tasks\"}"))
                .build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A node of {@code url}, its own files in {@code <dir>/<name>}. */
    private Background server(String url, String name) {
        return cli().databaseDirectory(dir.resolve(name))
                .start(
                        "server",
                        "--postgres",
                        url,
                        "--listen",
                        "tcp://127.0.0.1:0",
                        "--http",
                        "127.0.0.1:0",
                        "--http-token",
                        ADMIN,
                        "--collection",
                        "tasks");
    }

    @Test
    void aKeyMadeOrRevokedWithApikeyPostgresIsHonouredOrRefusedByEveryNode() throws Exception {
        String url = TestPostgres.newSchemaUrl();
        Path permissions = dir.resolve("read-tasks.json");
        Files.writeString(permissions, "{\"read\": {\"everything\": true}}");
        try (Background one = server(url, "node1");
                Background two = server(url, "node2")) {
            String base1 =
                    "http://" + one.awaitErrLine("http listening on http://").strip();
            String base2 =
                    "http://" + two.awaitErrLine("http listening on http://").strip();
            one.awaitErrLine("ready");
            two.awaitErrLine("ready");

            Result made = cli().run(
                            "apikey",
                            "create",
                            "--postgres",
                            url,
                            "--permissions",
                            permissions.toString(),
                            "--name",
                            "bi");
            assertThat(made.exitCode()).as(made.err()).isZero();
            String key = made.out().strip();
            String id = key.substring(4, 20);
            assertThat(made.err())
                    .contains("in PostgreSQL jdbc:postgresql://127.0.0.1:")
                    .contains("starling apikey revoke --postgres 'jdbc:postgresql://127.0.0.1:")
                    .doesNotContain("user=postgres");
            for (String base : List.of(base1, base2)) {
                Await.until("node " + base + " accepts the new key", WAIT, () -> status(base, key) == 200);
            }
            Result list = cli().run("apikey", "list", "--postgres", url);
            assertThat(list.out()).startsWith(id + "  bi  user apikey:" + id);

            Result revoked = cli().run("apikey", "revoke", "--postgres", url, id);
            assertThat(revoked.exitCode()).as(revoked.err()).isZero();
            for (String base : List.of(base1, base2)) {
                Await.until("node " + base + " refuses the revoked key", WAIT, () -> status(base, key) == 401);
            }
            assertThat(one.stop().exitCode()).isZero();
            assertThat(two.stop().exitCode()).isZero();
        }
    }

    /**
     * Two nodes running the authority on one PostgreSQL: a peer id bound through one node is refused to another user
     * through the other, and released for both with {@code starling authority release --postgres}.
     */
    @Test
    void aPeerIdBoundThroughOneNodeIsRefusedToAnotherUserByTheOther() throws Exception {
        String url = TestPostgres.newSchemaUrl();
        Path auth = dir.resolve("auth");
        assertThat(cli().run("authority", "init", auth.toString()).exitCode()).isZero();
        Path config = dir.resolve("auth.json");
        Files.writeString(
                config,
                "{\"authority\": \"auth\", \"providers\": {\"dev\": {\"type\": \"static\", \"tokens\": {"
                        + "\"tok-a\": {\"userId\": \"alice\", \"expirationSeconds\": 3600, \"permissions\": {}},"
                        + "\"tok-m\": {\"userId\": \"mallory\", \"expirationSeconds\": 3600, \"permissions\": {}}}}}}");
        String alice = Pem.publicKey(AuthorityCliTest.p256().getPublic());
        String mallory = Pem.publicKey(AuthorityCliTest.p256().getPublic());
        String peer = "2f1c9a0d54e1b6a7";
        try (Background one = authorityNode(url, "node1", config);
                Background two = authorityNode(url, "node2", config)) {
            String base1 =
                    "http://" + one.awaitErrLine("http listening on http://").strip();
            String base2 =
                    "http://" + two.awaitErrLine("http listening on http://").strip();
            one.awaitErrLine("ready");
            two.awaitErrLine("ready");
            assertThat(one.err())
                    .contains("authority: each peer id certified is bound to its first user, kept in"
                            + " PostgreSQL jdbc:postgresql://127.0.0.1:");

            assertThat(AuthorityCliTest.loginAs(base1, "tok-a", alice, peer).statusCode())
                    .isEqualTo(200);
            AuthorityCliTest.expectError(
                    AuthorityCliTest.loginAs(base2, "tok-m", mallory, peer),
                    409,
                    "auth/peer-id-taken",
                    "is bound to another user");
            assertThat(AuthorityCliTest.loginAs(base2, "tok-a", alice, peer).statusCode())
                    .as("alice renews through the other node")
                    .isEqualTo(200);

            Result peers = cli().run("authority", "peers", "--postgres", url);
            assertThat(peers.exitCode()).as(peers.err()).isZero();
            assertThat(peers.out()).startsWith(peer + "  user alice  device ");
            Result released = cli().run("authority", "release", "--postgres", url, "--peer", peer);
            assertThat(released.exitCode()).as(released.err()).isZero();
            assertThat(AuthorityCliTest.loginAs(base2, "tok-m", mallory, peer).statusCode())
                    .isEqualTo(200);
            AuthorityCliTest.expectError(
                    AuthorityCliTest.loginAs(base1, "tok-a", alice, peer),
                    409,
                    "auth/peer-id-taken",
                    "is bound to another user");
            assertThat(one.stop().exitCode()).isZero();
            assertThat(two.stop().exitCode()).isZero();
        }
    }

    private Background authorityNode(String url, String name, Path authConfig) {
        return cli().databaseDirectory(dir.resolve(name))
                .start(
                        "server",
                        "--postgres",
                        url,
                        "--listen",
                        "tcp://127.0.0.1:0",
                        "--http",
                        "127.0.0.1:0",
                        "--http-token",
                        ADMIN,
                        "--auth-config",
                        authConfig.toString());
    }

    @Test
    void apikeyTakesEitherADatabaseDirectoryOrAPostgresUrl() {
        Result both = cli().run("apikey", "list", "--db", dir.toString(), "--postgres", "jdbc:postgresql://x/y");
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err())
                .contains("--db and --postgres name two key stores")
                .doesNotContain("\tat ");
        Result notPostgres = cli().run("apikey", "list", "--postgres", "jdbc:mysql://x/y");
        assertThat(notPostgres.exitCode()).isEqualTo(2);
        assertThat(notPostgres.err()).contains("--postgres takes a JDBC URL starting with jdbc:postgresql:");
    }

    @Test
    void theKafkaSinksLeaseIsHeldByOneNodeAndTakenOverWithItsPositionWhenTheHolderStopsRenewing() {
        String url = TestPostgres.newSchemaUrl();
        Duration lease = Duration.ofSeconds(2);
        try (PostgresClusterState node1 = PostgresClusterState.open(url);
                PostgresClusterState node2 = PostgresClusterState.open(url)) {
            SinkPosition one = new KafkaOptions.SharedPosition(node1, lease);
            SinkPosition two = new KafkaOptions.SharedPosition(node2, lease);
            assertThat(one.claim()).isEqualTo(new SinkPosition.Claim(true, null));
            assertThat(two.claim().held()).as("node 1 holds it").isFalse();
            SinkPosition.Stored stored = new SinkPosition.Stored(1234, "topic:changes");
            assertThat(one.save(stored)).isTrue();

            // node 1 dies: it renews no more; node 2 takes over once the lease ran out, from node 1's position
            Await.until("node 2 takes the lease over", WAIT, () -> two.claim().held());
            assertThat(two.claim()).isEqualTo(new SinkPosition.Claim(true, stored));
            assertThat(one.save(new SinkPosition.Stored(9999, "topic:changes")))
                    .as("node 1, back, cannot store: it must stop sending")
                    .isFalse();
            assertThat(one.claim().held()).isFalse();

            two.release(); // a node that stops gives the lease up: the other takes it at once
            assertThat(one.claim()).isEqualTo(new SinkPosition.Claim(true, stored));
        }
    }
}
