package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.internal.net.RefusalLog;
import io.starling.testsupport.Await;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every class of refusal answers with the documented error shape (walked one by one, over bare sockets, so that
 * each is exactly the request that provokes it), and the server's limits hold against clients that misbehave:
 * too many connections, idle ones, slow ones, too many event streams, an event stream that is never read. Refusals
 * are logged at a rate.
 */
class HttpApiRefusalsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private CountingStarling db;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<String> logged = Collections.synchronizedList(new ArrayList<>());

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
        HttpApiServer server = HttpApiServer.start(
                db,
                new InetSocketAddress("127.0.0.1", 0),
                settings,
                new RefusalLog(logged::add, System::nanoTime, RefusalLog.WINDOW));
        closeables.add(server);
        return server;
    }

    private RawHttp connect(HttpApiServer server) throws Exception {
        RawHttp c = new RawHttp(server.address().getPort());
        closeables.add(c);
        return c;
    }

    /** One request on a new connection, its answer; then the connection is closed. */
    private static RawHttp.Answer ask(HttpApiServer server, String request) throws Exception {
        try (RawHttp c = new RawHttp(server.address().getPort())) {
            return c.send(request).read();
        }
    }

    private static String get(String target, String... headers) {
        return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + String.join("", headers) + "\r\n";
    }

    private static String post(String target, String contentType, String body, String... headers) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + (contentType == null ? "" : "Content-Type: " + contentType + "\r\n")
                + "Content-Length: " + bytes.length + "\r\n" + String.join("", headers) + "\r\n" + body;
    }

    private static String bearer(String token) {
        return "Authorization: Bearer " + token + "\r\n";
    }

    /** The answer is {@code {"error": {"code": code, "message": "..."}}} with {@code status}; returns the message. */
    private static String assertError(RawHttp.Answer a, int status, String code) throws Exception {
        assertThat(a.status()).as(a.body()).isEqualTo(status);
        assertThat(a.header("content-type")).as("content type of a %d", status).isEqualTo(HttpApi.JSON);
        JsonNode json = JSON.readTree(a.body());
        assertThat(json.size()).as(a.body()).isEqualTo(1);
        assertThat(json.at("/error/code").asText()).as(a.body()).isEqualTo(code);
        String message = json.at("/error/message").asText();
        assertThat(message).as(a.body()).isNotBlank();
        return message;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Test
    void everyClassOfRefusalAnswersWithTheErrorShape() throws Exception {
        HttpApiServer s = server(HttpApiServer.Settings.defaults()
                .withToken("t0k")
                .withMaxBody(1024)
                .withRequestTimeout(Duration.ofMillis(500)));
        String auth = bearer("t0k");
        String select = "{\"statement\": \"SELECT * FROM c\"}";

        // 400: a body that is not JSON; a malformed percent-encoding (it used to close without an answer); no Host;
        // a request line that is not HTTP
        assertError(ask(s, post(HttpApi.EXECUTE, "application/json", "{", auth)), 400, HttpApi.BAD_REQUEST);
        assertThat(assertError(ask(s, get(HttpApi.OBSERVE + "?statement=%zz", auth)), 400, HttpApi.BAD_REQUEST))
                .contains("percent-encoded");
        assertError(ask(s, get("/api/v1/%E0%A4%A", auth)), 400, HttpApi.BAD_REQUEST);
        assertThat(assertError(ask(s, "GET /metrics HTTP/1.1\r\n" + auth + "\r\n"), 400, HttpApi.BAD_REQUEST))
                .contains("Host");
        assertError(ask(s, "HELLO THERE\r\n\r\n"), 400, HttpApi.BAD_REQUEST);
        assertThat(ask(s, "GET /healthz HTTP/1.0\r\n\r\n").status())
                .as("HTTP/1.0 has no Host")
                .isEqualTo(200);
        // 401
        assertError(ask(s, get(HttpApi.METRICS)), 401, HttpApi.UNAUTHORIZED);
        // 403: a Host that is a foreign name (DNS rebinding), a page of another origin
        assertError(
                ask(s, get(HttpApi.METRICS, auth).replace("Host: 127.0.0.1", "Host: evil.example")),
                403,
                HttpApi.FORBIDDEN_HOST);
        assertError(
                ask(s, get(HttpApi.METRICS, auth, "Origin: http://evil.example\r\n")), 403, HttpApi.FORBIDDEN_ORIGIN);
        // 404, 405
        assertError(ask(s, get("/nothing", auth)), 404, HttpApi.NOT_FOUND);
        RawHttp.Answer notAllowed = ask(s, get(HttpApi.EXECUTE, auth));
        assertError(notAllowed, 405, HttpApi.METHOD_NOT_ALLOWED);
        assertThat(notAllowed.header("allow")).isEqualTo("POST");
        // 408: a head that never ends (slowloris), a body that never comes
        RawHttp slowHead = connect(s).send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
        assertError(slowHead.read(), 408, HttpApi.REQUEST_TIMEOUT);
        assertThat(slowHead.closedByServer()).isTrue();
        RawHttp slowBody = connect(s)
                .send(post(HttpApi.EXECUTE, "application/json", select, auth)
                        .replace("Content-Length: " + select.length(), "Content-Length: 100"));
        assertError(slowBody.read(), 408, HttpApi.REQUEST_TIMEOUT);
        // 413: a Content-Length over the limit with no body (its answer used to be empty with Expect), with Expect:
        // 100-continue, and a chunked body that grows over it
        String oversize =
                "POST " + HttpApi.EXECUTE + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + auth
                        + "Content-Length: 99999999\r\n";
        assertError(ask(s, oversize + "\r\n"), 413, HttpApi.TOO_LARGE);
        assertError(ask(s, oversize + "Expect: 100-continue\r\n\r\n"), 413, HttpApi.TOO_LARGE);
        String chunk = "x".repeat(800);
        assertError(
                ask(
                        s,
                        "POST " + HttpApi.EXECUTE + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                + auth + "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(800) + "\r\n"
                                + chunk + "\r\n" + Integer.toHexString(800) + "\r\n" + chunk + "\r\n0\r\n\r\n"),
                413,
                HttpApi.TOO_LARGE);
        // 414, 431
        assertError(
                ask(s, get("/" + "a".repeat(HttpApiServer.MAX_REQUEST_LINE + 10), auth)), 414, HttpApi.URI_TOO_LONG);
        assertError(
                ask(s, get("/healthz", "X-Big: " + "b".repeat(HttpApiServer.MAX_HEADERS + 10) + "\r\n")),
                431,
                HttpApi.HEADERS_TOO_LARGE);
        // 415: a body that is not declared JSON (what a web page can send cross-origin without asking)
        assertError(ask(s, post(HttpApi.EXECUTE, "text/plain", select, auth)), 415, HttpApi.UNSUPPORTED_MEDIA_TYPE);
        assertError(ask(s, post(HttpApi.EXECUTE, null, select, auth)), 415, HttpApi.UNSUPPORTED_MEDIA_TYPE);
        assertError(
                ask(s, post(HttpApi.EXECUTE, "application/json; charset=latin1", select, auth)),
                415,
                HttpApi.UNSUPPORTED_MEDIA_TYPE);
        // 417: an expectation other than 100-continue
        assertError(
                ask(s, post(HttpApi.EXECUTE, "application/json", select, auth, "Expect: teapot\r\n")),
                417,
                HttpApi.EXPECTATION_FAILED);
        // and a good request on the same server still works
        RawHttp.Answer ok = ask(s, post(HttpApi.EXECUTE, "application/json; charset=UTF-8", select, auth));
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);

        // 503: too many connections, too many event streams (each on a server with a limit of one)
        HttpApiServer one =
                server(HttpApiServer.Settings.defaults().withMaxConnections(1).withMaxStreams(1));
        RawHttp held = connect(one);
        Await.until("the first connection to be served", DEADLINE, () -> one.openConnections() == 1);
        RawHttp.Answer busy = ask(one, get(HttpApi.HEALTH));
        assertThat(assertError(busy, 503, HttpApi.OVERLOADED)).contains("too many connections");
        assertThat(busy.header("retry-after")).isEqualTo("1");
        held.close();
        Await.until("the held connection to be gone", DEADLINE, () -> one.openConnections() == 0);
        RawHttp stream = connect(one).send(get(HttpApi.OBSERVE + "?statement=" + encode("SELECT * FROM c")));
        assertThat(stream.read().status()).isEqualTo(200);
        HttpApiServer two = server(HttpApiServer.Settings.defaults().withMaxStreams(1));
        RawHttp firstStream = connect(two).send(get(HttpApi.OBSERVE + "?statement=" + encode("SELECT * FROM c")));
        assertThat(firstStream.read().status()).isEqualTo(200);
        assertThat(assertError(
                        ask(two, get(HttpApi.OBSERVE + "?statement=" + encode("SELECT * FROM c"))),
                        503,
                        HttpApi.OVERLOADED))
                .contains("too many event streams");
        // 507 (store/full) is in HttpApiServerTest, with a store made full
    }

    @Test
    void overTheConnectionLimitNewConnectionsAreRefusedQuicklyAndLoggedAtARate() throws Exception {
        HttpApiServer s = server(HttpApiServer.Settings.defaults().withMaxConnections(2));
        List<RawHttp> held = new ArrayList<>();
        for (int i = 0; i < 2; i++) held.add(connect(s));
        Await.until("two connections served", DEADLINE, () -> s.openConnections() == 2);
        for (int i = 0; i < 40; i++) {
            RawHttp.Answer a = ask(s, get(HttpApi.HEALTH));
            assertError(a, 503, HttpApi.OVERLOADED);
            assertThat(a.header("connection")).isEqualTo("close");
        }
        // a request on a held connection is served as usual
        RawHttp.Answer health = held.get(0).send(get(HttpApi.HEALTH)).read();
        assertThat(health.status()).isEqualTo(200);
        // 40 refusals, one line (the count of the rest comes when the window ends)
        List<String> inFull =
                logged.stream().filter(l -> !l.contains("more like it")).toList();
        assertThat(inFull).hasSize(1);
        assertThat(inFull.get(0))
                .startsWith("refused (too many connections): a connection from 127.0.0.1:")
                .endsWith("; the limit is 2 (--http-max-connections)");
        held.get(1).close();
        Await.until("a slot to free up", DEADLINE, () -> s.openConnections() <= 2);
        Await.until("a new connection served again", DEADLINE, () -> {
            try {
                return ask(s, get(HttpApi.HEALTH)).status() == 200;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void anIdleConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        HttpApiServer s = server(HttpApiServer.Settings.defaults().withIdleTimeout(Duration.ofMillis(300)));
        RawHttp silent = connect(s);
        RawHttp used = connect(s);
        assertThat(used.send(get(HttpApi.HEALTH)).read().status()).isEqualTo(200); // then idle too
        assertThat(silent.closedByServer()).isTrue();
        assertThat(used.closedByServer()).isTrue();
        Await.until("no connection left", DEADLINE, () -> s.openConnections() == 0);
        assertThat(logged).as("closing an idle connection is not a refusal").isEmpty();
    }

    @Test
    void aStatementTakesAsLongAsItTakesTheRequestTimeoutIsForArriving() throws Exception {
        HttpApiServer s = server(HttpApiServer.Settings.defaults().withRequestTimeout(Duration.ofMillis(200)));
        // a request whose parts arrive apart, but in time, is served
        RawHttp c = connect(s);
        c.send("GET /healthz HTTP/1.1\r\n");
        c.send("Host: 127.0.0.1\r\n\r\n");
        assertThat(c.read().status()).isEqualTo(200);
        // and the timer starts afresh for the next request on the connection
        assertThat(c.send(get(HttpApi.HEALTH)).read().status()).isEqualTo(200);
    }

    @Test
    void aClientThatNeverReadsHoldsAtMostOneEventAndIsDroppedAfterTheIdleTimeout() throws Exception {
        HttpApiServer s = server(HttpApiServer.Settings.defaults().withIdleTimeout(Duration.ofSeconds(2)));
        // a client with a small receive window that reads nothing at all, not even the response headers
        RawHttp reader = new RawHttp(s.address().getPort(), 4096);
        closeables.add(reader);
        reader.send(get(HttpApi.OBSERVE + "?statement=" + encode("SELECT * FROM big ORDER BY _id")));
        Await.until("the stream to start", DEADLINE, () -> s.openStreams() == 1 && db.openObservers() == 1);

        String payload = "p".repeat(64 * 1024);
        long largestEvent = 0;
        long mostPending = 0;
        int inserted = 0;
        for (; inserted < 120 && s.openStreams() == 1; inserted++) {
            db.store().execute("INSERT INTO big DOCUMENTS (:d)", Map.of("d", Map.of("_id", inserted, "p", payload)));
            largestEvent = (long) (inserted + 1) * (payload.length() + 32);
            mostPending = Math.max(mostPending, s.pendingStreamBytes());
        }
        // every change sent would be 64 KiB × (1 + 2 + … + 120), about 460 MiB; what waits is never more than the
        // latest result (coalesced), plus a little
        assertThat(mostPending).isLessThanOrEqualTo(largestEvent + 64 * 1024);
        Await.until("the unread stream to be dropped", DEADLINE, () -> s.openStreams() == 0 && db.openObservers() == 0);
        assertThat(s.pendingStreamBytes()).isZero();
        assertThat(logged)
                .anySatisfy(line -> assertThat(line)
                        .startsWith("refused (event stream not read): closed the event stream of 127.0.0.1:")
                        .contains("it read nothing for 2 s"));
        assertThat(reader.closedByServer()).isTrue();
    }
}
