package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.internal.engine.DefaultStarling;
import io.starling.internal.engine.InMemoryTransport;
import io.starling.internal.storage.SqliteStorage;
import io.starling.testsupport.Await;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP API over a real server on a loopback port and a real database: every endpoint, the error statuses, the
 * token, and the event stream (deliveries, and no observer left once the client is gone).
 */
class HttpApiServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private CountingStarling db;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final HttpClient client = HttpClient.newHttpClient();

    @BeforeEach
    void open() {
        db = new CountingStarling(Starling.open(
                StarlingConfig.builder().databaseDirectory(dir.resolve("db")).build()));
    }

    @AfterEach
    void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) closeables.get(i).close();
        assertThat(db.openObservers()).as("observers left open").isZero();
        db.close();
    }

    private HttpApiServer server(HttpApiServer.Settings settings) throws Exception {
        HttpApiServer server = HttpApiServer.start(db, new InetSocketAddress("127.0.0.1", 0), settings);
        closeables.add(server);
        return server;
    }

    private HttpApiServer server() throws Exception {
        return server(HttpApiServer.Settings.defaults());
    }

    private HttpResponse<String> send(HttpRequest request) throws Exception {
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(HttpApiServer server, String path) throws Exception {
        return send(
                HttpRequest.newBuilder(URI.create(server.url() + path)).GET().build());
    }

    private HttpResponse<String> post(HttpApiServer server, String path, String body) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(server.url() + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build());
    }

    private HttpResponse<String> execute(HttpApiServer server, String statement) throws Exception {
        return post(server, HttpApi.EXECUTE, "{\"statement\": " + JSON.writeValueAsString(statement) + "}");
    }

    private static void assertError(HttpResponse<String> r, int status, String code) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValue(HttpApi.JSON);
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo(code);
        assertThat(error.get("message").asText()).isNotBlank();
    }

    @Test
    void executeWritesAndReads() throws Exception {
        HttpApiServer server = server();
        HttpResponse<String> insert = post(
                server,
                HttpApi.EXECUTE,
                "{\"statement\": \"INSERT INTO cars DOCUMENTS (:car)\", \"args\": {\"car\": {\"_id\": \"a\", \"year\": 1999}}}");
        assertThat(insert.statusCode()).isEqualTo(200);
        assertThat(insert.headers().firstValue("Content-Type")).hasValue(HttpApi.JSON);
        assertThat(insert.body()).isEqualTo("{\"items\":[],\"mutatedDocumentIds\":[\"a\"]}");

        HttpResponse<String> select = post(
                server,
                HttpApi.EXECUTE,
                "{\"statement\": \"SELECT * FROM cars WHERE year > :y\", \"args\": {\"y\": 1990}}");
        assertThat(select.statusCode()).isEqualTo(200);
        assertThat(select.body()).isEqualTo("{\"items\":[{\"_id\":\"a\",\"year\":1999}],\"mutatedDocumentIds\":[]}");
        // the same as the library's own JSON
        assertThat(select.body())
                .isEqualTo(db.store()
                        .execute("SELECT * FROM cars WHERE year > 1990")
                        .toJson());
    }

    @Test
    void badStatementIs400WithCodeAndPosition() throws Exception {
        HttpResponse<String> r = execute(server(), "SELECT * FORM cars");
        assertError(r, 400, "query/syntax-error");
        assertThat(JSON.readTree(r.body()).at("/error/message").asText()).startsWith("line 1, column 10: ");
    }

    @Test
    void missingArgumentIs400() throws Exception {
        assertError(execute(server(), "SELECT * FROM cars WHERE year = :y"), 400, "query/argument");
    }

    @Test
    void idConflictIs409() throws Exception {
        HttpApiServer server = server();
        assertThat(execute(server, "INSERT INTO cars DOCUMENTS ({'_id': 'a'})").statusCode())
                .isEqualTo(200);
        assertError(execute(server, "INSERT INTO cars DOCUMENTS ({'_id': 'a'})"), 409, "document/id-conflict");
    }

    @Test
    void malformedBodiesAre400() throws Exception {
        HttpApiServer server = server();
        HttpResponse<String> notJson = post(server, HttpApi.EXECUTE, "{\"statement\": ");
        assertError(notJson, 400, HttpApi.BAD_REQUEST);
        assertThat(notJson.body()).contains("not valid JSON").contains("line 1, column");
        assertError(post(server, HttpApi.EXECUTE, ""), 400, HttpApi.BAD_REQUEST);
        assertError(post(server, HttpApi.EXECUTE, "[1]"), 400, HttpApi.BAD_REQUEST);
        assertError(post(server, HttpApi.EXECUTE, "{\"args\": {}}"), 400, HttpApi.BAD_REQUEST);
        assertError(post(server, HttpApi.EXECUTE, "{\"statement\": 7}"), 400, HttpApi.BAD_REQUEST);
        assertError(
                post(server, HttpApi.EXECUTE, "{\"statement\": \"SELECT * FROM c\", \"args\": [1]}"),
                400,
                HttpApi.BAD_REQUEST);
        // the connection survives its errors
        assertThat(execute(server, "SELECT * FROM c").statusCode()).isEqualTo(200);
    }

    @Test
    void bodyOverTheLimitIs413AndTheServerGoesOn() throws Exception {
        HttpApiServer server = server(HttpApiServer.Settings.defaults().withMaxBody(1024));
        String big = "{\"statement\": \"SELECT * FROM c\", \"pad\": \"" + "x".repeat(4096) + "\"}";
        assertError(post(server, HttpApi.EXECUTE, big), 413, HttpApi.TOO_LARGE);
        assertThat(execute(server, "SELECT * FROM c").statusCode()).isEqualTo(200);
        assertThat(HttpApiServer.DEFAULT_MAX_BODY).isEqualTo(16 * 1024 * 1024);
    }

    @Test
    void unknownPathIs404AndWrongMethodIs405() throws Exception {
        HttpApiServer server = server();
        assertError(get(server, "/api/v1/nothing"), 404, HttpApi.NOT_FOUND);
        assertError(get(server, "/index.html"), 404, HttpApi.NOT_FOUND);
        HttpResponse<String> getExecute = get(server, HttpApi.EXECUTE);
        assertError(getExecute, 405, HttpApi.METHOD_NOT_ALLOWED);
        assertThat(getExecute.headers().firstValue("Allow")).hasValue("POST");
        HttpResponse<String> postPresence = post(server, HttpApi.PRESENCE, "{}");
        assertError(postPresence, 405, HttpApi.METHOD_NOT_ALLOWED);
        assertThat(postPresence.headers().firstValue("Allow")).hasValue("GET");
    }

    @Test
    void healthz() throws Exception {
        HttpResponse<String> r = get(server(), HttpApi.HEALTH);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok");
    }

    @Test
    void aFullDiskIs507AndHealthIs503UntilAWriteSucceedsAgain() throws Exception {
        HttpApiServer server = server();
        SqliteStorage storage = (SqliteStorage) ((DefaultStarling) db.delegate()).storage();
        storage.setMaxPageCountForTesting(storage.pageCountForTesting() + 4);
        String insert = "{\"statement\": \"INSERT INTO c DOCUMENTS (:d)\", \"args\": {\"d\": {\"_id\": %d,"
                + " \"payload\": \"" + "x".repeat(3000) + "\"}}}";
        HttpResponse<String> full = null;
        for (int i = 0; i < 1000 && full == null; i++) {
            HttpResponse<String> r = post(server, HttpApi.EXECUTE, String.format(insert, i));
            if (r.statusCode() != 200) full = r;
        }
        assertThat(full).as("the capped store never filled").isNotNull();
        assertError(full, 507, "store/full");
        assertThat(full.body()).contains("no space left");

        HttpResponse<String> health = get(server, HttpApi.HEALTH);
        assertError(health, 503, "store/full");
        assertThat(health.body()).contains("no space left");
        String metrics = get(server, HttpApi.METRICS).body();
        assertThat(metrics).contains("\nstarling_store_healthy 0\n", "\nstarling_store_full 1\n");
        // later writes keep failing the same way (not with a transaction-state error)
        assertError(post(server, HttpApi.EXECUTE, String.format(insert, 10_000)), 507, "store/full");

        storage.setMaxPageCountForTesting(0); // space freed: the next write succeeds, without a restart
        assertThat(post(server, HttpApi.EXECUTE, String.format(insert, 10_001)).statusCode())
                .isEqualTo(200);
        assertThat(get(server, HttpApi.HEALTH).body()).isEqualTo("ok");
        assertThat(get(server, HttpApi.METRICS).body())
                .contains("\nstarling_store_healthy 1\n", "\nstarling_store_full 0\n");
    }

    @Test
    void metricsInPrometheusTextFormat() throws Exception {
        HttpResponse<String> r = get(server(), HttpApi.METRICS);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue(PrometheusMetrics.CONTENT_TYPE);
        for (String counter : List.of(
                "starling_sync_bytes_sent_total",
                "starling_sync_bytes_received_total",
                "starling_sync_documents_sent_total",
                "starling_sync_documents_received_total",
                "starling_connections_refused_total")) {
            assertThat(r.body())
                    .contains("# HELP " + counter + " ", "# TYPE " + counter + " counter\n", "\n" + counter + " 0\n");
        }
        assertThat(r.body()).contains("# TYPE starling_connections gauge\n", "\nstarling_connections 0\n");
        assertThat(r.body()).contains("# TYPE starling_store_healthy gauge\n", "\nstarling_store_healthy 1\n");
        assertThat(r.body()).contains("# TYPE starling_store_full gauge\n", "\nstarling_store_full 0\n");
        // every sample line is "name value", every other line a comment
        for (String line : r.body().split("\n")) assertThat(line).matches("# (HELP|TYPE) .+|[a-z_]+ \\d+");
    }

    @Test
    void presenceOfALonePeer() throws Exception {
        HttpResponse<String> r = get(server(), HttpApi.PRESENCE);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode graph = JSON.readTree(r.body());
        assertThat(graph.at("/local/peerId").asText())
                .matches("[0-9a-f]{16}")
                .isEqualTo(String.format("%016x", db.presence().graph().local().peerId()));
        assertThat(graph.at("/local/hops").asInt()).isZero();
        assertThat(graph.at("/local/metadata").isObject()).isTrue();
        assertThat(graph.get("remotePeers").isEmpty()).isTrue();
        assertThat(graph.get("connections").isEmpty()).isTrue();
    }

    @Test
    @SuppressWarnings("try") // the link is only held open
    void presenceShowsConnectedPeersWithMetadata() throws Exception {
        try (Starling other = Starling.open(
                StarlingConfig.builder().databaseDirectory(dir.resolve("other")).build())) {
            other.presence().setMetadata(Map.of("name", "bob"));
            HttpApiServer server = server();
            long otherId = other.presence().graph().local().peerId();
            try (InMemoryTransport.Link link =
                    InMemoryTransport.connect((DefaultStarling) db.delegate(), (DefaultStarling) other)) {
                Await.until(
                        "the other peer in the presence graph",
                        Duration.ofSeconds(20),
                        () -> db.presence().graph().remotePeers().stream()
                                .anyMatch(p -> p.peerId() == otherId
                                        && "bob".equals(p.metadata().get("name"))));
                JsonNode graph = JSON.readTree(get(server, HttpApi.PRESENCE).body());
                JsonNode peer = graph.get("remotePeers").get(0);
                assertThat(peer.get("peerId").asText()).isEqualTo(String.format("%016x", otherId));
                assertThat(peer.get("hops").asInt()).isEqualTo(1);
                assertThat(peer.at("/metadata/name").asText()).isEqualTo("bob");
                JsonNode connection = graph.get("connections").get(0);
                assertThat(List.of(
                                connection.get("peerA").asText(),
                                connection.get("peerB").asText()))
                        .contains(String.format("%016x", otherId));
                assertThat(connection.get("transport").asText()).isEqualTo("memory");
            }
        }
    }

    @Test
    @SuppressWarnings("try") // the link is only held open
    void presenceObserveStreamsTheGraphThenEveryChange() throws Exception {
        HttpApiServer server = server();
        try (EventStreamClient events = new EventStreamClient(server, HttpApi.PRESENCE_OBSERVE)) {
            assertThat(events.headers())
                    .contains("HTTP/1.1 200 OK")
                    .containsIgnoringCase("content-type: text/event-stream");
            JsonNode alone = JSON.readTree(events.next());
            assertThat(alone.at("/local/peerId").asText())
                    .isEqualTo(
                            String.format("%016x", db.presence().graph().local().peerId()));
            assertThat(alone.get("remotePeers").isEmpty()).isTrue();
            assertThat(db.openObservers()).isEqualTo(1);
            try (Starling other = Starling.open(StarlingConfig.builder()
                    .databaseDirectory(dir.resolve("other"))
                    .build())) {
                other.presence().setMetadata(Map.of("name", "bob"));
                long otherId = other.presence().graph().local().peerId();
                JsonNode withBob;
                try (InMemoryTransport.Link link =
                        InMemoryTransport.connect((DefaultStarling) db.delegate(), (DefaultStarling) other)) {
                    // events come as the graph changes (the link, then bob's metadata): read until bob is in one
                    do withBob = JSON.readTree(events.next());
                    while (!withBob.get("remotePeers").toString().contains("bob"));
                    assertThat(withBob.at("/remotePeers/0/peerId").asText()).isEqualTo(String.format("%016x", otherId));
                    assertThat(withBob.at("/connections/0/transport").asText()).isEqualTo("memory");
                }
                // the link is gone: an event without bob comes without anyone asking
                JsonNode gone;
                do gone = JSON.readTree(events.next());
                while (!gone.get("remotePeers").isEmpty());
            }
        }
        Await.until(
                "the presence observer of the closed stream to close",
                Duration.ofSeconds(10),
                () -> db.openObservers() == 0);
    }

    @Test
    void tokenIsRequiredWhenConfigured() throws Exception {
        HttpApiServer server = server(HttpApiServer.Settings.defaults().withToken("s3cret"));
        HttpResponse<String> none = execute(server, "SELECT * FROM c");
        assertError(none, 401, HttpApi.UNAUTHORIZED);
        assertThat(none.headers().firstValue("WWW-Authenticate"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertError(
                send(HttpRequest.newBuilder(URI.create(server.url() + HttpApi.METRICS))
                        .header("Authorization", "Bearer wrong")
                        .build()),
                401,
                HttpApi.UNAUTHORIZED);
        assertError(get(server, HttpApi.PRESENCE), 401, HttpApi.UNAUTHORIZED);
        assertError(get(server, HttpApi.PRESENCE_OBSERVE), 401, HttpApi.UNAUTHORIZED);
        assertError(get(server, HttpApi.OBSERVE + "?statement=SELECT%20*%20FROM%20c"), 401, HttpApi.UNAUTHORIZED);

        HttpResponse<String> right = send(HttpRequest.newBuilder(URI.create(server.url() + HttpApi.EXECUTE))
                .header("Authorization", "Bearer s3cret")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"statement\": \"SELECT * FROM c\"}"))
                .build());
        assertThat(right.statusCode()).isEqualTo(200);
        assertThat(get(server, HttpApi.HEALTH).statusCode())
                .as("health checks need no token")
                .isEqualTo(200);
    }

    @Test
    void observeStreamsTheInitialResultThenEveryChange() throws Exception {
        HttpApiServer server = server();
        execute(server, "INSERT INTO tasks DOCUMENTS ({'_id': 'a', 'done': false})");
        try (EventStreamClient events =
                new EventStreamClient(server, "SELECT * FROM tasks WHERE done = :d ORDER BY _id", "{\"d\": false}")) {
            assertThat(events.headers())
                    .contains("HTTP/1.1 200 OK")
                    .containsIgnoringCase("content-type: text/event-stream");
            assertThat(events.next()).isEqualTo("{\"items\":[{\"_id\":\"a\",\"done\":false}]}");
            execute(server, "INSERT INTO tasks DOCUMENTS ({'_id': 'b', 'done': false})");
            assertThat(events.next())
                    .isEqualTo("{\"items\":[{\"_id\":\"a\",\"done\":false},{\"_id\":\"b\",\"done\":false}]}");
            execute(server, "UPDATE tasks SET done = true WHERE _id = 'a'");
            assertThat(events.next()).isEqualTo("{\"items\":[{\"_id\":\"b\",\"done\":false}]}");
            assertThat(db.openObservers()).isEqualTo(1);
        }
        Await.until(
                "the observer of the closed stream to close", Duration.ofSeconds(10), () -> db.openObservers() == 0);
    }

    @Test
    void observeRefusesWhatIsNotAValidSelect() throws Exception {
        HttpApiServer server = server();
        assertError(get(server, HttpApi.OBSERVE), 400, HttpApi.BAD_REQUEST);
        assertError(
                get(server, HttpApi.OBSERVE + "?statement=" + encode("SELECT * FORM c")), 400, "query/syntax-error");
        assertError(
                get(server, HttpApi.OBSERVE + "?statement=" + encode("SELECT * FROM c") + "&args=" + encode("[1]")),
                400,
                HttpApi.BAD_REQUEST);
        assertThat(db.openObservers()).isZero();
    }

    @Test
    void closingTheServerEndsOpenStreamsAndTheirObservers() throws Exception {
        HttpApiServer server = server();
        try (EventStreamClient events = new EventStreamClient(server, "SELECT * FROM tasks", null)) {
            assertThat(events.next()).isEqualTo("{\"items\":[]}");
            server.close();
            assertThat(db.openObservers()).isZero();
            assertThat(events.nextOrEnd()).isNull();
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** A bare-socket client of {@code /api/v1/observe}: it can vanish at any moment, as real clients do. */
    private static final class EventStreamClient implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final List<String> headers = new CopyOnWriteArrayList<>();

        EventStreamClient(HttpApiServer server, String statement, String args) throws Exception {
            this(
                    server,
                    HttpApi.OBSERVE + "?statement=" + encode(statement)
                            + (args == null ? "" : "&args=" + encode(args)));
        }

        EventStreamClient(HttpApiServer server, String path) throws Exception {
            socket = new Socket("127.0.0.1", server.address().getPort());
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) headers.add(line);
        }

        String headers() {
            return String.join("\n", headers);
        }

        /** The data of the next event (chunk-size lines of the chunked encoding are skipped). */
        String next() throws Exception {
            String data = nextOrEnd();
            assertThat(data).as("an event").isNotNull();
            return data;
        }

        String nextOrEnd() throws Exception {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("data: ")) return line.substring(6);
            }
            return null;
        }

        @Override
        public void close() throws java.io.IOException {
            socket.close();
        }
    }
}
