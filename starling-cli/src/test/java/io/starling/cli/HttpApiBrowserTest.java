package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.testsupport.Await;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The token-less loopback API against web pages: what a page of another origin sends (a {@code text/plain} POST, a
 * rebound DNS name, an event stream, an image load) is refused and runs nothing; what curl, scripts, the CLI's own
 * client and a page of the API's own origin send works.
 */
class HttpApiBrowserTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private CountingStarling db;
    private HttpApiServer server;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void open() throws Exception {
        db = new CountingStarling(Starling.open(
                StarlingConfig.builder().databaseDirectory(dir.resolve("db")).build()));
        db.store().execute("INSERT INTO tasks DOCUMENTS ({'_id': 'keep', 'title': 'mine'})");
        server = server(HttpApiServer.Settings.defaults());
    }

    @AfterEach
    void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) closeables.get(i).close();
        assertThat(db.openObservers()).as("observers left open").isZero();
        db.close();
    }

    private HttpApiServer server(HttpApiServer.Settings settings) throws Exception {
        HttpApiServer s = HttpApiServer.start(db, new InetSocketAddress("127.0.0.1", 0), settings);
        closeables.add(s);
        return s;
    }

    private String self() {
        return "127.0.0.1:" + server.address().getPort();
    }

    private RawHttp.Answer ask(HttpApiServer s, String request) throws Exception {
        try (RawHttp c = new RawHttp(s.address().getPort())) {
            return c.send(request).read();
        }
    }

    private static String request(String method, String target, String host, String body, String... headers) {
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        return method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n" + String.join("", headers)
                + (body == null ? "" : "Content-Length: " + bytes.length + "\r\n") + "\r\n"
                + (body == null ? "" : body);
    }

    private static final String DELETE_ALL = "{\"statement\": \"DELETE FROM tasks\"}";

    private long tasks() {
        return db.store().execute("SELECT * FROM tasks").items().size();
    }

    private static String code(RawHttp.Answer a) throws Exception {
        return JSON.readTree(a.body()).at("/error/code").asText();
    }

    @Test
    void aPageOfAnotherOriginCannotWrite() throws Exception {
        // the classic: a form-like text/plain POST, which browsers send cross-origin without asking
        RawHttp.Answer textPlain = ask(
                server,
                request(
                        "POST",
                        HttpApi.EXECUTE,
                        self(),
                        DELETE_ALL,
                        "Origin: http://evil.example\r\n",
                        "Content-Type: text/plain;charset=UTF-8\r\n",
                        "Sec-Fetch-Site: cross-site\r\n"));
        assertThat(textPlain.status()).isEqualTo(403);
        assertThat(code(textPlain)).isEqualTo(HttpApi.FORBIDDEN_ORIGIN);
        // JSON from another origin (which the browser would only send after a preflight this API never grants)
        RawHttp.Answer json = ask(
                server,
                request(
                        "POST",
                        HttpApi.EXECUTE,
                        self(),
                        DELETE_ALL,
                        "Origin: http://127.0.0.1:3000\r\n",
                        "Content-Type: application/json\r\n"));
        assertThat(json.status()).isEqualTo(403);
        // an old browser that sends no Origin still cannot send JSON cross-origin without a preflight
        RawHttp.Answer noOrigin =
                ask(server, request("POST", HttpApi.EXECUTE, self(), DELETE_ALL, "Content-Type: text/plain\r\n"));
        assertThat(noOrigin.status()).isEqualTo(415);
        assertThat(code(noOrigin)).isEqualTo(HttpApi.UNSUPPORTED_MEDIA_TYPE);
        // the preflight itself is not granted
        RawHttp.Answer preflight = ask(
                server,
                request(
                        "OPTIONS",
                        HttpApi.EXECUTE,
                        self(),
                        null,
                        "Origin: http://evil.example\r\n",
                        "Access-Control-Request-Method: POST\r\n"));
        assertThat(preflight.status()).isEqualTo(403);
        assertThat(preflight.header("access-control-allow-origin")).isNull();
        assertThat(tasks()).as("nothing was deleted").isEqualTo(1);
    }

    @Test
    void dnsRebindingCannotReadAnything() throws Exception {
        // the page's own name now resolves to 127.0.0.1: the browser thinks it is same-origin, but says the name
        for (String path : List.of(HttpApi.PRESENCE, HttpApi.METRICS, HttpApi.HEALTH, "/api/v1/observe?statement=x")) {
            RawHttp.Answer a = ask(
                    server,
                    request(
                            "GET",
                            path,
                            "evil.example:" + server.address().getPort(),
                            null,
                            "Sec-Fetch-Site: same-origin\r\n"));
            assertThat(a.status()).as(path).isEqualTo(403);
            assertThat(code(a)).isEqualTo(HttpApi.FORBIDDEN_HOST);
            assertThat(a.body()).doesNotContain("peerId", "starling_");
        }
        RawHttp.Answer write = ask(
                server,
                request(
                        "POST",
                        HttpApi.EXECUTE,
                        "evil.example:" + server.address().getPort(),
                        DELETE_ALL,
                        "Origin: http://evil.example:" + server.address().getPort() + "\r\n",
                        "Content-Type: application/json\r\n"));
        assertThat(write.status()).isEqualTo(403);
        assertThat(tasks()).isEqualTo(1);
    }

    @Test
    void eventStreamsAndMetricsAreNotForOtherOrigins() throws Exception {
        String observe =
                HttpApi.OBSERVE + "?statement=" + URLEncoder.encode("SELECT * FROM tasks", StandardCharsets.UTF_8);
        RawHttp.Answer stream = ask(server, request("GET", observe, self(), null, "Origin: http://evil.example\r\n"));
        assertThat(stream.status()).isEqualTo(403);
        assertThat(db.openObservers())
                .as("no observer opened for a foreign page")
                .isZero();
        RawHttp.Answer metrics = ask(server, request("GET", HttpApi.METRICS, self(), null, "Origin: null\r\n"));
        assertThat(metrics.status()).isEqualTo(403);
        // an <img>/<script> load sends no Origin, but Sec-Fetch-Site says where it comes from
        RawHttp.Answer image =
                ask(server, request("GET", HttpApi.METRICS, self(), null, "Sec-Fetch-Site: cross-site\r\n"));
        assertThat(image.status()).isEqualTo(403);
        assertThat(code(image)).isEqualTo(HttpApi.FORBIDDEN_ORIGIN);
    }

    @Test
    void aPageOfTheApisOwnOriginAndClientsThatAreNotBrowsersWork() throws Exception {
        RawHttp.Answer sameOrigin = ask(
                server,
                request(
                        "POST",
                        HttpApi.EXECUTE,
                        self(),
                        "{\"statement\": \"SELECT * FROM tasks\"}",
                        "Origin: http://" + self() + "\r\n",
                        "Sec-Fetch-Site: same-origin\r\n",
                        "Content-Type: application/json\r\n"));
        assertThat(sameOrigin.status()).as(sameOrigin.body()).isEqualTo(200);
        RawHttp.Answer typedInTheAddressBar = ask(
                server,
                request(
                        "GET",
                        HttpApi.METRICS,
                        "localhost:" + server.address().getPort(),
                        null,
                        "Sec-Fetch-Site: none\r\n"));
        assertThat(typedInTheAddressBar.status()).isEqualTo(200);

        // the CLI's own client: execute and an event stream
        HttpApiClient client = new HttpApiClient(URI.create(server.url()), null);
        HttpApiClient.Response r = client.execute("SELECT * FROM tasks", Map.of());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();
        try (HttpApiClient.Stream stream = client.observe("SELECT * FROM tasks", Map.of(), events::add)) {
            assertThat(events.poll(20, TimeUnit.SECONDS)).contains("\"_id\":\"keep\"");
            db.store().execute("INSERT INTO tasks DOCUMENTS ({'_id': 'new'})");
            assertThat(events.poll(20, TimeUnit.SECONDS)).contains("\"_id\":\"new\"");
        }
        Await.until("the stream's observer to close", Duration.ofSeconds(20), () -> db.openObservers() == 0);
    }

    @Test
    void aReverseProxysNameAndOriginCanBeAllowed() throws Exception {
        HttpApiServer proxied = server(HttpApiServer.Settings.defaults()
                .withAllowedHosts(Set.of("db.example.com"))
                .withAllowedOrigins(Set.of("https://app.example.com")));
        String select = "{\"statement\": \"SELECT * FROM tasks\"}";
        // a proxy that passes Host through: the page's origin is the public name
        RawHttp.Answer passThrough = ask(
                proxied,
                request(
                        "POST",
                        HttpApi.EXECUTE,
                        "db.example.com",
                        select,
                        "Origin: https://db.example.com\r\n",
                        "Content-Type: application/json\r\n"));
        assertThat(passThrough.status()).as(passThrough.body()).isEqualTo(200);
        // a proxy that rewrites Host: the page's origin is configured
        RawHttp.Answer rewritten = ask(
                proxied,
                request(
                        "POST",
                        HttpApi.EXECUTE,
                        "127.0.0.1:" + proxied.address().getPort(),
                        select,
                        "Origin: https://app.example.com\r\n",
                        "Content-Type: application/json\r\n"));
        assertThat(rewritten.status()).as(rewritten.body()).isEqualTo(200);
        assertThat(ask(proxied, request("GET", HttpApi.METRICS, "other.example.com", null))
                        .status())
                .isEqualTo(403);
    }
}
