package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.Sync;
import io.starling.testsupport.Await;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the web dashboard needs from the server: its files at {@code /} and {@code /dashboard/…} (no token, the browser
 * rule still applies), and the JSON endpoints {@code /api/v1/sync} and {@code /api/v1/metrics} over real instances
 * synced over TCP on loopback. The browser side is tested end to end by src/test/e2e (bin/dashboard-e2e).
 */
class DashboardEndpointsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "s3cret";

    @TempDir
    Path dir;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final HttpClient client = HttpClient.newHttpClient();

    @AfterEach
    void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) closeables.get(i).close();
    }

    private Starling open(String name, StarlingConfig.Builder config) {
        Starling db = Starling.open(config.databaseDirectory(dir.resolve(name)).build());
        closeables.add(db);
        return db;
    }

    private HttpApiServer server(Starling db) throws Exception {
        HttpApiServer server = HttpApiServer.start(
                db,
                new InetSocketAddress("127.0.0.1", 0),
                HttpApiServer.Settings.defaults().withToken(TOKEN));
        closeables.add(server);
        return server;
    }

    private HttpResponse<String> get(HttpApiServer server, String path, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(server.url() + path)).GET();
        headers.forEach(b::header);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> authorized(HttpApiServer server, String path) throws Exception {
        return get(server, path, Map.of("Authorization", "Bearer " + TOKEN));
    }

    private static String code(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body()).at("/error/code").asText();
    }

    @Test
    void thePageAndEveryFileItLoadsAreServedWithoutTheTokenAndWithAPolicy() throws Exception {
        HttpApiServer server = server(open("a", StarlingConfig.builder()));
        HttpResponse<String> page = get(server, "/", Map.of());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("Content-Security-Policy"))
                .hasValueSatisfying(csp -> assertThat(csp).contains("script-src 'self'", "frame-ancestors 'none'"));
        assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        // every file the page names is one the server has (a WebJar version bump that forgets DashboardAssets fails)
        for (String path : DashboardAssets.FILES.keySet()) {
            HttpResponse<String> file = get(server, path, Map.of());
            assertThat(file.statusCode()).as(path).isEqualTo(200);
            assertThat(file.body()).as(path).isNotEmpty();
            assertThat(file.headers().firstValue("Content-Type"))
                    .as(path)
                    .hasValue(DashboardAssets.contentType(DashboardAssets.FILES.get(path)));
            if (!path.equals("/") && !path.endsWith(".svg"))
                assertThat(page.body()).contains(path);
        }
        // the files hold no data; the data still needs the token
        assertThat(get(server, StatusEndpoints.SYNC, Map.of()).statusCode()).isEqualTo(401);
        assertThat(get(server, "/dashboard/other.js", Map.of()).statusCode()).isEqualTo(401);
        assertThat(authorized(server, "/dashboard/other.js").statusCode()).isEqualTo(404);
    }

    @Test
    void theBrowserRuleAndTheMethodStillApplyToThePage() throws Exception {
        HttpApiServer server = server(open("a", StarlingConfig.builder()));
        HttpResponse<String> foreign = get(server, "/", Map.of("Origin", "http://evil.example"));
        assertThat(foreign.statusCode()).isEqualTo(403);
        assertThat(code(foreign)).isEqualTo(HttpApi.FORBIDDEN_ORIGIN);
        HttpResponse<String> crossSite = get(server, "/dashboard/app.js", Map.of("Sec-Fetch-Site", "cross-site"));
        assertThat(crossSite.statusCode()).isEqualTo(403);
        HttpResponse<String> post = client.send(
                HttpRequest.newBuilder(URI.create(server.url() + "/"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET");
        // typed into the address bar, or loaded by the page itself
        assertThat(get(server, "/", Map.of("Sec-Fetch-Site", "none")).statusCode())
                .isEqualTo(200);
        assertThat(get(server, "/dashboard/app.css", Map.of("Sec-Fetch-Site", "same-origin"))
                        .statusCode())
                .isEqualTo(200);
    }

    @Test
    void syncShowsEachConnectedPeerItsTransportAndTheSubscriptions() throws Exception {
        java.time.Instant started = java.time.Instant.now().minusSeconds(1); // the clock's millisecond, truncated
        Starling a = open("a", StarlingConfig.builder().listen("tcp://127.0.0.1:0"));
        Starling b = open(
                "b",
                StarlingConfig.builder().connect(a.sync().listening().get(0).toString()));
        a.sync().registerSubscription("SELECT * FROM tasks WHERE owner = :o", Map.of("o", "ann"));
        HttpApiServer server = server(a);

        Await.until(
                "a and b to be connected",
                Duration.ofSeconds(20),
                () -> a.sync().peers().size() == 1);
        b.store().execute("INSERT INTO tasks DOCUMENTS ({'_id': 't1', 'owner': 'ann'})");
        Await.until(
                "a to get b's document",
                Duration.ofSeconds(20),
                () -> !a.store().execute("SELECT * FROM tasks").items().isEmpty());
        JsonNode sync = Await.value(
                "the transport of b's session in the presence graph",
                Duration.ofSeconds(20),
                () -> {
                    try {
                        return JSON.readTree(
                                authorized(server, StatusEndpoints.SYNC).body());
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                },
                json -> json.at("/peers/0/transport").isTextual());

        assertThat(sync.get("local").asText())
                .isEqualTo(PresenceRenderer.hex(a.presence().graph().local().peerId()));
        assertThat(sync.get("subscriptions").toString())
                .isEqualTo("[{\"query\":\"SELECT * FROM tasks WHERE owner = :o\",\"arguments\":{\"o\":\"ann\"}}]");
        JsonNode peer = sync.at("/peers/0");
        Sync.PeerStatus status = a.sync().peers().get(0);
        assertThat(peer.get("peerId").asText()).isEqualTo(status.peerIdHex());
        assertThat(peer.get("peerId").asText())
                .isEqualTo(PresenceRenderer.hex(b.presence().graph().local().peerId()));
        assertThat(peer.get("connected").asBoolean()).isTrue();
        assertThat(peer.get("acknowledgedSequence").isIntegralNumber()).isTrue();
        // the session's own traffic: a subscribed to b's tasks, so a document came in, and messages went both ways
        assertThat(peer.get("documentsReceived").asLong()).isPositive();
        assertThat(peer.get("bytesReceived").asLong())
                .isGreaterThan(peer.get("documentsReceived").asLong());
        assertThat(peer.get("bytesSent").asLong()).isPositive();
        assertThat(peer.get("writesDenied").asLong()).isZero();
        assertThat(java.time.Instant.parse(peer.get("lastExchange").asText()))
                .as("the session's last message, during this test")
                .isBetween(started, java.time.Instant.now());
        assertThat(peer.get("transport").asText()).isEqualTo("tcp");
        assertThat(peer.get("hops").asInt()).isEqualTo(1);
        assertThat(peer.get("metadata").isObject()).isTrue();
    }

    @Test
    void metricsAreTheCountersOfThePrometheusTextAsJson() throws Exception {
        Starling a = open("a", StarlingConfig.builder().listen("tcp://127.0.0.1:0"));
        Starling b = open(
                "b",
                StarlingConfig.builder().connect(a.sync().listening().get(0).toString()));
        b.sync().registerSubscription("SELECT * FROM tasks", Map.of());
        a.store().execute("INSERT INTO tasks DOCUMENTS ({'_id': 't1'}), ({'_id': 't2'})");
        Await.until(
                "b to get a's documents",
                Duration.ofSeconds(20),
                () -> b.store().execute("SELECT * FROM tasks").items().size() == 2);
        HttpApiServer server = server(a);

        HttpResponse<String> r = authorized(server, StatusEndpoints.METRICS);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue(HttpApi.JSON);
        JsonNode m = JSON.readTree(r.body());
        List<String> names = new ArrayList<>();
        m.fieldNames().forEachRemaining(names::add);
        assertThat(names)
                .containsExactly(
                        "bytesSent",
                        "bytesReceived",
                        "documentsSent",
                        "documentsReceived",
                        "documentsRefused",
                        "messagesSent",
                        "messagesReceived",
                        "connections",
                        "connectionsRefused",
                        "presencePeers",
                        "storeHealthy",
                        "storeProblem");
        assertThat(m.get("documentsSent").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(m.get("bytesSent").asLong()).isPositive();
        assertThat(m.get("connections").asInt()).isEqualTo(1);
        assertThat(m.get("storeHealthy").asBoolean()).isTrue();
        assertThat(m.get("storeProblem").isNull()).isTrue();
        // counters only grow: a later read is at least the earlier one, as the library says
        assertThat(a.sync().metrics().documentsSent())
                .isGreaterThanOrEqualTo(m.get("documentsSent").asLong());

        assertThat(get(server, StatusEndpoints.METRICS, Map.of()).statusCode()).isEqualTo(401);
        HttpResponse<String> post = client.send(
                HttpRequest.newBuilder(URI.create(server.url() + StatusEndpoints.METRICS))
                        .header("Authorization", "Bearer " + TOKEN)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(code(post)).isEqualTo(HttpApi.METHOD_NOT_ALLOWED);
    }
}
