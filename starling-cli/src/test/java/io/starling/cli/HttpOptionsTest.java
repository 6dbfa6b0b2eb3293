package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code --http} and {@code --http-token}: parsing, and the rule that only loopback may go without a token. */
class HttpOptionsTest {
    private static HttpOptions options(String http, String token) {
        HttpOptions o = new HttpOptions();
        o.http = http;
        o.token = token;
        return o;
    }

    @Test
    void parsesPortHostPortAndIpv6() {
        assertThat(HttpOptions.parse("8080").getAddress().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(HttpOptions.parse("8080").getPort()).isEqualTo(8080);
        assertThat(HttpOptions.parse("localhost:0").getAddress().isLoopbackAddress())
                .isTrue();
        assertThat(HttpOptions.parse("[::1]:9").getAddress().isLoopbackAddress())
                .isTrue();
        assertThat(HttpOptions.parse("[::1]:9").getPort()).isEqualTo(9);
        for (String bad :
                new String[] {"", "host", "host:", ":80", "a:b:c", "[::1]", "h:-1", "h:x", "ws://h:1", "h:70000"}) {
            assertThatThrownBy(() -> HttpOptions.parse(bad))
                    .as(bad)
                    .isInstanceOf(CliUsageException.class)
                    .hasMessageStartingWith("--http expects HOST:PORT or PORT, got");
        }
        assertThatThrownBy(() -> HttpOptions.parse("h:70000")).hasMessageContaining("outside 0..65535");
    }

    @Test
    void loopbackNeedsNoToken() {
        HttpOptions.Binding b = options("127.0.0.1:0", null).binding(Map.of());
        assertThat(b.loopback()).isTrue();
        assertThat(b.token()).isNull();
        assertThat(options(null, null).binding(Map.of())).isNull();
    }

    @Test
    void anyOtherAddressNeedsAToken() {
        assertThatThrownBy(() -> options("0.0.0.0:8080", null).binding(Map.of()))
                .isInstanceOf(CliUsageException.class)
                .hasMessageContaining("not a loopback address")
                .hasMessageContaining("--http-token");
        HttpOptions.Binding b = options("0.0.0.0:8080", "t0k3n").binding(Map.of());
        assertThat(b.loopback()).isFalse();
        assertThat(b.token()).isEqualTo("t0k3n");
        assertThat(options("0.0.0.0:8080", null)
                        .binding(Map.of(HttpOptions.TOKEN_VARIABLE, "from-env"))
                        .token())
                .isEqualTo("from-env");
    }

    @Test
    void limitsAndBrowserOptionsBecomeTheServersSettings() {
        HttpOptions o = options("127.0.0.1:0", "t");
        o.maxConnections = 10;
        o.maxStreams = 3;
        o.idleTimeout = "500ms";
        o.requestTimeout = "2m";
        o.allowedHosts = List.of("db.example.com");
        o.allowedOrigins = List.of("HTTPS://App.Example.com");
        HttpApiServer.Settings s = o.binding(Map.of()).settings();
        assertThat(s.token()).isEqualTo("t");
        assertThat(s.maxConnections()).isEqualTo(10);
        assertThat(s.maxStreams()).isEqualTo(3);
        assertThat(s.idleTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(s.requestTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(s.allowedHosts()).containsExactly("db.example.com");
        assertThat(s.allowedOrigins()).containsExactly("https://app.example.com");

        HttpApiServer.Settings defaults =
                options("127.0.0.1:0", null).binding(Map.of()).settings();
        assertThat(defaults).isEqualTo(HttpApiServer.Settings.defaults());
        assertThat(defaults.maxConnections()).isEqualTo(128);
        assertThat(defaults.maxStreams()).isEqualTo(32);
        assertThat(defaults.idleTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(defaults.requestTimeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void badLimitsAndNamesAreUsageErrors() {
        assertThat(HttpOptions.duration("--x", "45")).isEqualTo(Duration.ofSeconds(45));
        assertThat(HttpOptions.duration("--x", " 1h ")).isEqualTo(Duration.ofHours(1));
        for (String bad : new String[] {"", "0", "0s", "-1s", "1.5s", "10 s", "2d", "25h", "s"}) {
            assertThatThrownBy(() -> HttpOptions.duration("--http-idle-timeout", bad))
                    .as(bad)
                    .isInstanceOf(CliUsageException.class)
                    .hasMessageStartingWith("--http-idle-timeout ");
        }
        HttpOptions zero = options("127.0.0.1:0", null);
        zero.maxConnections = 0;
        assertThatThrownBy(() -> zero.binding(Map.of())).hasMessage("--http-max-connections must be at least 1, got 0");
        HttpOptions host = options("127.0.0.1:0", null);
        host.allowedHosts = List.of("db.example.com:8080");
        assertThatThrownBy(() -> host.binding(Map.of())).hasMessageContaining("--http-allow-host expects a host name");
        HttpOptions origin = options("127.0.0.1:0", null);
        origin.allowedOrigins = List.of("app.example.com");
        assertThatThrownBy(() -> origin.binding(Map.of()))
                .hasMessageStartingWith("--http-allow-origin: an origin is scheme://host[:port]");
        HttpOptions withoutHttp = options(null, null);
        withoutHttp.maxStreams = 4;
        assertThatThrownBy(() -> withoutHttp.binding(Map.of())).hasMessage("--http-max-streams needs --http HOST:PORT");
    }

    @Test
    void aTokenWithoutHttpIsAMistake() {
        assertThatThrownBy(() -> options(null, "t").binding(Map.of()))
                .hasMessage("--http-token needs --http HOST:PORT");
        // but the variable alone is fine: it may be set for exec --url
        assertThat(options(null, null).binding(Map.of(HttpOptions.TOKEN_VARIABLE, "t")))
                .isNull();
    }
}
