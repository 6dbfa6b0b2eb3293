package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.auth.AuthConfig;
import io.starling.internal.auth.Authority;
import io.starling.internal.auth.FilePeerBindings;
import io.starling.internal.auth.LoginService;
import io.starling.internal.net.RefusalLog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The login endpoint's own bounds, on a fake clock: the rate per client address, the method, the body. */
class LoginEndpointTest {
    @TempDir
    Path dir;

    @Test
    void eachClientAddressHasABurstThenOneLoginASecond() throws Exception {
        Authority authority = Authority.init(dir.resolve("auth"), Instant.now());
        Files.writeString(
                dir.resolve("auth.json"),
                "{\"authority\": \"auth\", \"providers\": {\"dev\": {\"type\": \"static\", \"tokens\": {\"t\":"
                        + " {\"userId\": \"a\", \"expirationSeconds\": 60, \"permissions\": {}}}}}}");
        LoginService service = new LoginService(
                authority,
                AuthConfig.load(dir.resolve("auth.json"), Clock.systemUTC()),
                "app",
                Clock.systemUTC(),
                FilePeerBindings.inDirectory(dir),
                0);
        AtomicLong now = new AtomicLong(1_000_000_000_000L);
        List<String> refused = new CopyOnWriteArrayList<>();
        RefusalLog log = new RefusalLog(refused::add, now::get, Duration.ofSeconds(10));
        LoginEndpoint endpoint = new LoginEndpoint(service, log, now::get);

        for (int i = 0; i < LoginEndpoint.BURST; i++) {
            assertThat(endpoint.handle(request("10.0.0.1:4000", "POST")).status())
                    .isEqualTo(400);
        }
        HttpApi.Response limited = endpoint.handle(request("10.0.0.1:4001", "POST"));
        assertThat(limited.status()).isEqualTo(429);
        assertThat(new String(limited.body(), StandardCharsets.UTF_8)).contains("auth/rate-limited");
        assertThat(limited.headers()).containsEntry("Retry-After", "1");
        // another address has its own bucket
        assertThat(endpoint.handle(request("10.0.0.2:4000", "POST")).status()).isEqualTo(400);
        // a second later, one more
        now.addAndGet(LoginEndpoint.REFILL_NANOS);
        assertThat(endpoint.handle(request("10.0.0.1:4002", "POST")).status()).isEqualTo(400);
        assertThat(endpoint.handle(request("10.0.0.1:4003", "POST")).status()).isEqualTo(429);
        assertThat(endpoint.handle(request("10.0.0.2:4000", "GET")).status()).isEqualTo(405);
        log.flush();
        assertThat(String.join("\n", refused)).contains("too many logins");
        assertThat(LoginEndpoint.host("[::1]:5555")).isEqualTo("[::1]");
        assertThat(LoginEndpoint.host("127.0.0.1:5555")).isEqualTo("127.0.0.1");
    }

    static HttpApi.Request request(String remote, String method) {
        return new HttpApi.Request(
                method,
                LoginEndpoint.PATH,
                Map.of(),
                Map.of("content-type", "application/json"),
                "{}".getBytes(StandardCharsets.UTF_8),
                remote);
    }
}
