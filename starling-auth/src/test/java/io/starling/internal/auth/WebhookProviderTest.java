package io.starling.internal.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.starling.internal.core.Value;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The webhook provider against a real HTTP server on 127.0.0.1 that checks the signature as an app would. */
class WebhookProviderTest {
    static final String SECRET = "0123456789abcdef0123456789abcdef";
    static final String TOKEN = "the-users-token-42";
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-05T10:00:00Z"), ZoneOffset.UTC);
    static final String GRANT = "{\"authenticated\": true, \"userID\": \"alice\", \"expirationSeconds\": 600,"
            + " \"permissions\": {\"read\": {\"everything\": true}}, \"metadata\": {\"team\": \"north\"}}";

    HttpServer server;
    final List<String> requests = new CopyOnWriteArrayList<>();
    final CountDownLatch release = new CountDownLatch(1);
    volatile int status = 200;
    volatile byte[] answer = GRANT.getBytes(StandardCharsets.UTF_8);
    volatile boolean hang;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/login", this::handle);
        server.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }

    void handle(HttpExchange ex) throws IOException {
        byte[] body = ex.getRequestBody().readAllBytes();
        String header = ex.getRequestHeaders().getFirst("starling-signature");
        // the check an app's webhook makes, written from the documented format rather than with WebhookSignature
        String t = header.substring(2, header.indexOf(','));
        String v1 = header.substring(header.indexOf("v1=") + 3);
        boolean signed = hmacHex(SECRET, t + "." + new String(body, StandardCharsets.UTF_8))
                        .equals(v1)
                && WebhookSignature.verify(
                        SECRET.getBytes(StandardCharsets.UTF_8),
                        header,
                        body,
                        CLOCK.instant().getEpochSecond(),
                        Duration.ofMinutes(5));
        requests.add((signed ? "signed " : "UNSIGNED ") + ex.getRequestMethod() + " "
                + ex.getRequestHeaders().getFirst("Content-Type") + " " + new String(body, StandardCharsets.UTF_8));
        if (hang) {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        ex.sendResponseHeaders(status, answer.length == 0 ? -1 : answer.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(answer);
        }
    }

    static String hmacHex(String secret, String message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return java.util.HexFormat.of().formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    WebhookProvider provider(Duration timeout) {
        URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/login?key=url-secret");
        return new WebhookProvider("corp", url, SECRET.getBytes(StandardCharsets.UTF_8), timeout, CLOCK);
    }

    @Test
    void aSignedRequestAndAnAuthenticatedAnswerMakeAGrant() {
        ProviderGrant g = provider(Duration.ofSeconds(10)).authenticate("my-app", TOKEN);
        assertThat(g.userId()).isEqualTo("alice");
        assertThat(g.validity()).isEqualTo(Duration.ofMinutes(10));
        assertThat(g.permissions().read().everything()).isTrue();
        assertThat(g.permissions().write().everything()).isFalse();
        assertThat(g.metadata().get("team")).isEqualTo(Value.of("north"));
        assertThat(requests)
                .containsExactly("signed POST application/json "
                        + "{\"appId\":\"my-app\",\"provider\":\"corp\",\"token\":\"" + TOKEN + "\"}");
    }

    @Test
    void eachFailureHasItsOwnCodeAndLeaksNoSecret() throws IOException {
        WebhookProvider p = provider(Duration.ofSeconds(10));
        answer = "{\"authenticated\": false}".getBytes(StandardCharsets.UTF_8);
        expect(p, AuthException.Code.DENIED, "did not authenticate the token");
        status = 403;
        expect(p, AuthException.Code.DENIED, "refused the token (HTTP 403)");
        status = 500;
        expect(p, AuthException.Code.PROVIDER_UNAVAILABLE, "answered HTTP 500, not 200");
        status = 200;
        answer = "<html>".getBytes(StandardCharsets.UTF_8);
        expect(p, AuthException.Code.PROVIDER_BAD_ANSWER, "answered a body that is not valid JSON");
        answer = "{\"authenticated\": \"yes\"}".getBytes(StandardCharsets.UTF_8);
        expect(p, AuthException.Code.PROVIDER_BAD_ANSWER, "without \"authenticated\": true or false");
        answer = GRANT.replace("\"userID\"", "\"userId\"").getBytes(StandardCharsets.UTF_8);
        expect(p, AuthException.Code.PROVIDER_BAD_ANSWER, "has an unknown member \"userId\"");
        answer = GRANT.replace("600", "0").getBytes(StandardCharsets.UTF_8);
        expect(p, AuthException.Code.PROVIDER_BAD_ANSWER, "answer.expirationSeconds must be a whole number");
        answer = GRANT.replace("true}", "1}").getBytes(StandardCharsets.UTF_8);
        expect(p, AuthException.Code.PROVIDER_BAD_ANSWER, "answer.permissions.read.everything: must be true or false");
        answer =
                ("{\"authenticated\": true, \"pad\": \"" + "x".repeat(70_000) + "\"}").getBytes(StandardCharsets.UTF_8);
        expect(p, AuthException.Code.PROVIDER_BAD_ANSWER, "answered more than 65536 bytes");

        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        WebhookProvider gone = new WebhookProvider(
                "corp",
                URI.create("http://127.0.0.1:" + closed + "/login"),
                SECRET.getBytes(StandardCharsets.UTF_8),
                Duration.ofSeconds(5),
                CLOCK);
        expect(gone, AuthException.Code.PROVIDER_UNAVAILABLE, "(http://127.0.0.1:" + closed + ") is unreachable");
    }

    @Test
    void aWebhookThatDoesNotAnswerTimesOut() {
        hang = true;
        expect(
                provider(Duration.ofSeconds(1)),
                AuthException.Code.PROVIDER_UNAVAILABLE,
                "did not answer within 1000 ms");
    }

    static void expect(WebhookProvider p, AuthException.Code code, String message) {
        assertThatThrownBy(() -> p.authenticate("my-app", TOKEN))
                .isInstanceOf(AuthException.class)
                .hasMessageContaining(message)
                .hasMessageContaining("the webhook of provider \"corp\"")
                .satisfies(e -> assertThat(((AuthException) e).code()).isEqualTo(code))
                .satisfies(e -> assertThat(e.getMessage())
                        .doesNotContain(TOKEN)
                        .doesNotContain(SECRET)
                        .doesNotContain("url-secret"));
    }
}
