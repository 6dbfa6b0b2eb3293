package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.testsupport.Await;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /api/v1/changes} over a real server on a loopback port and a real database: the backlog then live
 * changes, resuming from a cursor (query parameter or {@code Last-Event-ID}), the collections filter, the errors,
 * the stream limit, and a client that reads nothing while much is written.
 */
class HttpApiChangesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration DEADLINE = Duration.ofSeconds(30);

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
        Await.until("every commit observer closed", DEADLINE, () -> db.openObservers() == 0);
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

    private void insert(String collection, Object id, Map<String, Object> fields) {
        Map<String, Object> doc = new java.util.LinkedHashMap<>();
        doc.put("_id", id);
        doc.putAll(fields);
        db.store().execute("INSERT INTO " + collection + " DOCUMENTS (:d) ON ID CONFLICT DO UPDATE", Map.of("d", doc));
    }

    private Feed feed(HttpApiServer server, String query) throws IOException {
        return feed(server, query, "", 0);
    }

    private Feed feed(HttpApiServer server, String query, String extraHeaders, int receiveBuffer) throws IOException {
        Feed f = new Feed(server, query, extraHeaders, receiveBuffer);
        closeables.add(f);
        return f;
    }

    private HttpResponse<String> get(HttpApiServer server, String pathAndQuery, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + pathAndQuery))
                .timeout(DEADLINE)
                .GET();
        if (token != null) b.header("Authorization", "Bearer " + token);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertError(HttpResponse<String> r, int status, String code, String messagePart)
            throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValue(HttpApi.JSON);
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo(code);
        assertThat(error.get("message").asText()).contains(messagePart);
    }

    @Test
    void streamsTheBacklogThenEveryChangeAsItCommits() throws Exception {
        HttpApiServer server = server();
        insert("cars", "a", Map.of("year", 1999));
        insert("cars", 7, Map.of("year", 2001));
        Feed feed = feed(server, "");
        assertThat(feed.headers()).contains("HTTP/1.1 200 OK").containsIgnoringCase("content-type: text/event-stream");

        Event a = feed.next();
        assertThat(a.data())
                .isEqualTo("{\"cursor\":\"" + a.id() + "\",\"collection\":\"cars\",\"id\":\"a\","
                        + "\"op\":\"upsert\",\"value\":{\"_id\":\"a\",\"year\":1999},\"hlc\":"
                        + a.json().get("hlc") + "}");
        assertThat(a.json().get("hlc").asLong()).isPositive();
        Event seven = feed.next();
        assertThat(seven.json().get("id").asLong()).isEqualTo(7);
        assertThat(Long.parseLong(seven.id())).isGreaterThan(Long.parseLong(a.id()));

        // written after the stream caught up: arrives live
        insert("boats", "b", Map.of("size", 3));
        Event b = feed.next();
        assertThat(b.json().get("collection").asText()).isEqualTo("boats");
        assertThat(b.json().get("value").get("size").asInt()).isEqualTo(3);

        db.store().execute("DELETE FROM cars WHERE _id = 'a'");
        Event deleted = feed.next();
        assertThat(deleted.json().get("op").asText()).isEqualTo("delete");
        assertThat(deleted.json().get("id").asText()).isEqualTo("a");
        assertThat(deleted.json().get("value").isNull()).isTrue();
        assertThat(db.openObservers()).as("the stream's commit observer").isEqualTo(1);

        feed.close();
        Await.until("the commit observer of the closed stream to close", DEADLINE, () -> db.openObservers() == 0);
    }

    @Test
    void reconnectingWithTheLastCursorResumesWithoutGaps() throws Exception {
        HttpApiServer server = server();
        for (int i = 0; i < 50; i++) insert("docs", i, Map.of("v", i));
        Feed first = feed(server, "?since=0");
        String lastCursor = null;
        for (int i = 0; i < 20; i++) {
            Event e = first.next();
            assertThat(e.json().get("id").asInt()).isEqualTo(i);
            lastCursor = e.id();
        }
        first.close();
        // while away: new documents, and an update of one already seen (it comes again, with its latest value)
        insert("docs", 50, Map.of("v", 50));
        insert("docs", 5, Map.of("v", 555));

        List<Integer> expected = new ArrayList<>();
        for (int i = 20; i <= 50; i++) expected.add(i);
        expected.add(5);
        Feed resumed = feed(server, "?since=" + lastCursor);
        assertThat(resumed.ids(expected.size())).isEqualTo(expected);

        // an EventSource reconnects to the same URL with Last-Event-ID, which wins over 'since'
        Feed eventSource = feed(server, "?since=0", "Last-Event-ID: " + lastCursor + "\r\n", 0);
        List<Event> again = eventSource.next(expected.size());
        assertThat(again.stream().map(e -> e.json().get("id").asInt()).toList()).isEqualTo(expected);
        assertThat(again.get(again.size() - 1).json().at("/value/v").asInt()).isEqualTo(555);
    }

    @Test
    void theCollectionsFilterStreamsOnlyThoseCollections() throws Exception {
        HttpApiServer server = server();
        insert("cars", "c1", Map.of());
        insert("boats", "b1", Map.of());
        insert("planes", "p1", Map.of());
        Feed feed = feed(server, "?collections=planes,%20cars");
        assertThat(feed.next().json().get("id").asText()).isEqualTo("c1");
        assertThat(feed.next().json().get("id").asText()).isEqualTo("p1");
        insert("boats", "b2", Map.of());
        insert("cars", "c2", Map.of());
        assertThat(feed.next().json().get("id").asText()).isEqualTo("c2");
    }

    @Test
    void aCursorOlderThanAPurgedDeleteIs410Gone() throws Exception {
        HttpApiServer server = server();
        insert("cars", "a", Map.of());
        insert("cars", "b", Map.of());
        long beforeDelete = db.store().changes(0, 10, java.util.Set.of()).cursor();
        db.store().execute("DELETE FROM cars WHERE _id = 'a'");
        // a retention of zero purges tombstones older than this millisecond: the delete's must have passed
        Await.until("the tombstone purged", DEADLINE, () -> db.sync().purgeTombstones(java.time.Duration.ZERO) > 0);
        assertError(
                get(server, HttpApi.CHANGES + "?since=" + beforeDelete, null),
                410,
                "store/cursor-expired",
                "older than deletes purged");
        assertThat(server.openStreams()).isZero();
    }

    @Test
    void badCursorsAndCollectionListsAre400WithTheDocumentedError() throws Exception {
        HttpApiServer server = server();
        insert("cars", "a", Map.of());
        assertError(get(server, HttpApi.CHANGES + "?since=abc", null), 400, HttpApi.BAD_REQUEST, "'abc'");
        assertError(get(server, HttpApi.CHANGES + "?since=-1", null), 400, HttpApi.BAD_REQUEST, "'-1'");
        assertError(
                get(server, HttpApi.CHANGES + "?since=99999999999999999999", null), 400, HttpApi.BAD_REQUEST, "cursor");
        assertError(
                get(server, HttpApi.CHANGES + "?since=9223372036854775807", null),
                400,
                "store/invalid-cursor",
                "was not given by this database");
        assertError(get(server, HttpApi.CHANGES + "?collections=a,,b", null), 400, HttpApi.BAD_REQUEST, "empty");
        StringBuilder many = new StringBuilder("c0");
        for (int i = 1; i <= HttpApi.MAX_FEED_COLLECTIONS; i++)
            many.append(",c").append(i);
        assertError(get(server, HttpApi.CHANGES + "?collections=" + many, null), 400, HttpApi.BAD_REQUEST, "at most");
        HttpResponse<String> post = client.send(
                HttpRequest.newBuilder(URI.create(server.url() + HttpApi.CHANGES))
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertError(post, 405, HttpApi.METHOD_NOT_ALLOWED, "GET");
        assertThat(server.openStreams()).isZero();
        assertThat(db.openObservers()).isZero();
    }

    @Test
    void theTokenIsRequired() throws Exception {
        HttpApiServer server = server(HttpApiServer.Settings.defaults().withToken("s3cret"));
        assertError(get(server, HttpApi.CHANGES, null), 401, HttpApi.UNAUTHORIZED, "Bearer");
        assertError(get(server, HttpApi.CHANGES, "wrong"), 401, HttpApi.UNAUTHORIZED, "Bearer");
        insert("cars", "a", Map.of());
        Feed feed = feed(server, "", "Authorization: Bearer s3cret\r\n", 0);
        assertThat(feed.next().json().get("id").asText()).isEqualTo("a");
    }

    @Test
    void aForeignOriginIsRefused() throws Exception {
        HttpApiServer server = server();
        HttpResponse<String> r = client.send(
                HttpRequest.newBuilder(URI.create(server.url() + HttpApi.CHANGES))
                        .header("Origin", "https://evil.example")
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertError(r, 403, HttpApi.FORBIDDEN_ORIGIN, "evil.example");
    }

    @Test
    void streamsBeyondTheLimitAre503() throws Exception {
        HttpApiServer server = server(HttpApiServer.Settings.defaults().withMaxStreams(1));
        insert("cars", "a", Map.of());
        Feed feed = feed(server, "");
        assertThat(feed.next().json().get("id").asText()).isEqualTo("a");
        HttpResponse<String> second = get(server, HttpApi.CHANGES, null);
        assertError(second, 503, HttpApi.OVERLOADED, "too many event streams");
        assertThat(second.headers().firstValue("Retry-After")).isPresent();
        feed.close();
        Await.until("the stream to end", DEADLINE, () -> server.openStreams() == 0);
        Feed next = feed(server, "");
        assertThat(next.next().json().get("id").asText()).isEqualTo("a");
    }

    @Test
    void aClientThatReadsNothingHoldsAtMostAPageThenGetsEveryChange() throws Exception {
        HttpApiServer server = server();
        // a small receive window, and nothing read (not even the headers) while about 7.5 MiB are written
        Feed feed = feed(server, "", "", 4096);
        Await.until("the stream to start", DEADLINE, () -> server.openStreams() == 1);
        String payload = "p".repeat(64 * 1024);
        long mostPending = 0;
        int documents = 120;
        for (int i = 0; i < documents; i++) {
            insert("big", i, Map.of("p", payload));
            mostPending = Math.max(mostPending, server.pendingStreamBytes());
        }
        Await.until("the stream to block on the client", DEADLINE, () -> server.pendingStreamBytes() > 0);
        mostPending = Math.max(mostPending, server.pendingStreamBytes());
        // one page: the store stops a page once its values reach 1 MiB, so at most 1 MiB plus one document
        assertThat(mostPending).isLessThanOrEqualTo(1024 * 1024 + 2L * (payload.length() + 256));
        feed.readHeaders();
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < documents; i++) expected.add(i);
        assertThat(feed.ids(documents)).isEqualTo(expected);
    }

    /** One Server-Sent Event: its {@code id} and its {@code data}. */
    record Event(String id, String data) {
        JsonNode json() {
            try {
                return JSON.readTree(data);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + data, e);
            }
        }
    }

    /** A bare-socket client of the change stream (chunk-size lines of the chunked encoding are skipped). */
    private static final class Feed implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final List<String> headers = new ArrayList<>();
        private boolean headersRead;

        Feed(HttpApiServer server, String query, String extraHeaders, int receiveBuffer) throws IOException {
            socket = new Socket();
            if (receiveBuffer > 0) socket.setReceiveBufferSize(receiveBuffer);
            socket.connect(server.address(), 10_000);
            socket.setSoTimeout(20_000);
            socket.getOutputStream()
                    .write(("GET " + HttpApi.CHANGES + query + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extraHeaders
                                    + "Accept: text/event-stream\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        }

        void readHeaders() throws IOException {
            if (headersRead) return;
            headersRead = true;
            for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) headers.add(line);
        }

        String headers() throws IOException {
            readHeaders();
            return String.join("\n", headers);
        }

        Event next() throws IOException {
            readHeaders();
            String id = null;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("id: ")) id = line.substring(4);
                else if (line.startsWith("data: ")) {
                    assertThat(id).as("the id line before the data").isNotNull();
                    return new Event(id, line.substring(6));
                }
            }
            throw new AssertionError("the stream ended");
        }

        List<Event> next(int n) throws IOException {
            List<Event> events = new ArrayList<>();
            for (int i = 0; i < n; i++) events.add(next());
            return events;
        }

        /** The integer ids of the next {@code n} changes. */
        List<Integer> ids(int n) throws IOException {
            return next(n).stream().map(e -> e.json().get("id").asInt()).toList();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
