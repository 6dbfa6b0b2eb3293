package io.starling.cli;

import static io.starling.cli.CliRunner.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starling.internal.storage.postgres.TestPostgres;
import io.starling.testsupport.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code starling server} in JVMs of its own: a SIGTERM while HTTP writes are in flight drains (devices are told to
 * go elsewhere, every acknowledged write is kept) and exits 0; two servers on one PostgreSQL are one server to the
 * devices of both.
 */
class ServerProcessTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private static int status(String url) throws Exception {
        return HTTP.send(
                        HttpRequest.newBuilder(URI.create(url))
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .statusCode();
    }

    @Test
    void sigtermDrainsKeepsEveryAcknowledgedWriteTellsDevicesToGoElsewhereAndExitsZero() throws Exception {
        Path db = dir.resolve("server-db");
        try (PeerProcess server = PeerProcess.startServer(
                        dir,
                        "server",
                        "--db",
                        db.toString(),
                        "--listen",
                        "tcp://127.0.0.1:0",
                        "--collection",
                        "tasks");
                PeerProcess device = PeerProcess.start(
                        dir, "device", "--connect", server.syncEndpoint(), "--subscribe", "SELECT * FROM tasks")) {
            assertThat(status(server.url() + HttpApi.READY)).isEqualTo(200);
            assertThat(status(server.url() + HttpApi.HEALTH)).isEqualTo(200);
            assertThat(status(server.url() + HttpApi.METRICS)).isEqualTo(200);
            server.execute("INSERT INTO tasks DOCUMENTS ({'_id': 'first'})");
            device.awaitItems("SELECT _id FROM tasks", "[{\"_id\":\"first\"}]", DEADLINE);

            Set<String> acknowledged = ConcurrentHashMap.newKeySet();
            AtomicBoolean stopWriting = new AtomicBoolean();
            AtomicInteger attempts = new AtomicInteger();
            Thread writer = new Thread(() -> {
                while (!stopWriting.get()) {
                    String id = "w" + attempts.incrementAndGet();
                    try {
                        HttpResponse<String> r =
                                server.post("INSERT INTO tasks DOCUMENTS (:d)", Map.of("d", Map.of("_id", id)));
                        if (r.statusCode() == 200) acknowledged.add(id);
                    } catch (Exception refusedOnceStopped) {
                        // the server stopped accepting: that write was never acknowledged
                    }
                }
            });
            writer.start();
            try {
                Await.until("the writer's first writes", DEADLINE, () -> acknowledged.size() >= 20);
                int exit = server.stop();
                assertThat(exit)
                        .as("exit status after SIGTERM; stderr:%n%s", server.stderr())
                        .isZero();
            } finally {
                stopWriting.set(true);
                writer.join(DEADLINE.toMillis());
            }
            assertThat(server.stderr())
                    .contains("draining: /readyz answers 503, sync peers are told to go elsewhere (going-away)")
                    .contains("stopped");
            Await.until(
                    "the device logs that the server went away",
                    DEADLINE,
                    () -> device.stderr().contains("going-away"),
                    device::stderr);

            CliRunner.Result held =
                    cli().run("exec", "--db", db.toString(), "--format", "jsonl", "SELECT _id FROM tasks");
            assertThat(held.exitCode()).as(held.err()).isZero();
            Set<String> stored = ConcurrentHashMap.newKeySet();
            for (String line : held.out().lines().toList()) {
                stored.add(new com.fasterxml.jackson.databind.ObjectMapper()
                        .readTree(line)
                        .get("_id")
                        .asText());
            }
            assertThat(stored)
                    .as(
                            "every write the server acknowledged before it stopped (%d of %d attempts)",
                            acknowledged.size(), attempts.get())
                    .containsAll(acknowledged);
        }
    }

    @Test
    void twoServersOnOnePostgresAreOneServerToTheDevicesOfBoth() throws Exception {
        String url = TestPostgres.newSchemaUrl();
        try (PeerProcess one = PeerProcess.startServer(
                        dir, "node1", "--postgres", url, "--listen", "tcp://127.0.0.1:0", "--collection", "tasks");
                PeerProcess two = PeerProcess.startServer(
                        dir, "node2", "--postgres", url, "--listen", "tcp://127.0.0.1:0", "--collection", "tasks");
                PeerProcess onOne = PeerProcess.start(
                        dir, "on1", "--connect", one.syncEndpoint(), "--subscribe", "SELECT * FROM tasks");
                PeerProcess onTwo = PeerProcess.start(
                        dir, "on2", "--connect", two.syncEndpoint(), "--subscribe", "SELECT * FROM tasks")) {
            JsonNode presenceOne = one.presence();
            JsonNode presenceTwo = two.presence();
            assertThat(presenceTwo.get("local").get("peerId"))
                    .as("one peer identity")
                    .isEqualTo(presenceOne.get("local").get("peerId"));

            onOne.execute("INSERT INTO tasks DOCUMENTS ({'_id': 'a', 'by': 'device on node 1'})");
            onTwo.awaitItems("SELECT _id FROM tasks ORDER BY _id", "[{\"_id\":\"a\"}]", DEADLINE);
            two.execute("INSERT INTO tasks DOCUMENTS ({'_id': 'b', 'by': 'node 2'})");
            onTwo.execute("INSERT INTO tasks DOCUMENTS ({'_id': 'c', 'by': 'device on node 2'})");
            onOne.awaitItems(
                    "SELECT _id FROM tasks ORDER BY _id",
                    "[{\"_id\":\"a\"},{\"_id\":\"b\"},{\"_id\":\"c\"}]",
                    DEADLINE);
            onTwo.awaitItems(
                    "SELECT _id FROM tasks ORDER BY _id",
                    "[{\"_id\":\"a\"},{\"_id\":\"b\"},{\"_id\":\"c\"}]",
                    DEADLINE);
            assertThat(one.stderr()).contains("shared storage jdbc:postgresql:").doesNotContain("user=");
        }
    }
}
