package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    void aTokenWithoutHttpIsAMistake() {
        assertThatThrownBy(() -> options(null, "t").binding(Map.of()))
                .hasMessage("--http-token needs --http HOST:PORT");
        // but the variable alone is fine: it may be set for exec --url
        assertThat(options(null, null).binding(Map.of(HttpOptions.TOKEN_VARIABLE, "t")))
                .isNull();
    }
}
