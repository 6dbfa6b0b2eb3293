package io.starling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Endpoints, identity and the networking settings of StarlingConfig, from code and from the environment. */
class NetworkConfigTest {

    @Test
    void endpointsParseInEveryForm() {
        assertThat(Endpoint.parse("127.0.0.1:7070")).isEqualTo(Endpoint.tcp("127.0.0.1", 7070));
        assertThat(Endpoint.parse("tcp://example.org:1")).isEqualTo(Endpoint.tcp("example.org", 1));
        assertThat(Endpoint.parse("ws://localhost:8080")).isEqualTo(Endpoint.ws("localhost", 8080));
        assertThat(Endpoint.parse("WS://localhost:8080/other").path()).isEqualTo("/other");
        assertThat(Endpoint.parse("[::1]:9").host()).isEqualTo("::1");
        assertThat(Endpoint.parse("[::1]:9")).hasToString("tcp://[::1]:9");
        assertThat(Endpoint.parse(" 0.0.0.0:0 ").port()).isZero();
        assertThat(Endpoint.parse("ws://h:1")).hasToString("ws://h:1/sync");
    }

    @Test
    void badEndpointsSayWhatIsWrong() {
        assertInvalid("localhost", "expected host:port");
        assertInvalid("http://h:1", "unknown endpoint scheme 'http'");
        assertInvalid("h:port", "is not a number");
        assertInvalid("h:70000", "outside 0..65535");
        assertInvalid("tcp://h:1/x", "a tcp endpoint has no path");
        assertInvalid(":1", "expected host:port");
        assertInvalid("[::1]", "expected [ipv6]:port");
        assertInvalid("::1:5", "expected host:port");
    }

    @Test
    void theBuilderHoldsNetworkSettings() {
        StarlingConfig c = StarlingConfig.builder()
                .listen("127.0.0.1:0", "ws://127.0.0.1:0")
                .connect("10.0.0.1:7070")
                .lan(true)
                .maxConnections(3)
                .identity(Identity.sharedKey(Path.of("app.key")))
                .build();
        assertThat(c.listen()).containsExactly(Endpoint.tcp("127.0.0.1", 0), Endpoint.ws("127.0.0.1", 0));
        assertThat(c.connect()).containsExactly(Endpoint.tcp("10.0.0.1", 7070));
        assertThat(c.lan()).isTrue();
        assertThat(c.networked()).isTrue();
        assertThat(c.maxConnections()).isEqualTo(3);
        assertThat(c.identity().keyFile()).isEqualTo(Path.of("app.key"));
        assertThat(c.toBuilder().build().listen()).isEqualTo(c.listen());
        assertThat(StarlingConfig.builder().build().networked()).isFalse();
        assertThat(StarlingConfig.builder().build().identity().isPlayground()).isTrue();

        assertThatThrownBy(() -> StarlingConfig.builder().connect("h:0"))
                .hasMessageContaining("cannot connect to port 0");
        assertThatThrownBy(() -> StarlingConfig.builder().maxConnections(0))
                .hasMessageContaining("maxConnections must be 1 to 10000");
    }

    @Test
    void theEnvironmentConfiguresNetworking() {
        StarlingConfig c = StarlingConfig.fromEnvironment(Map.of(
                        "STARLING_LISTEN", "127.0.0.1:0, ws://127.0.0.1:0",
                        "STARLING_CONNECT", "a:1,b:2,",
                        "STARLING_LAN", "TRUE",
                        "STARLING_SHARED_KEY", "/keys/app.key"))
                .build();
        assertThat(c.listen()).hasSize(2);
        assertThat(c.connect()).extracting(Endpoint::host).isEqualTo(List.of("a", "b"));
        assertThat(c.lan()).isTrue();
        assertThat(c.identity()).isEqualTo(Identity.sharedKey(Path.of("/keys/app.key")));

        assertThatThrownBy(() -> StarlingConfig.fromEnvironment(Map.of("STARLING_LAN", "yes")))
                .hasMessageContaining("STARLING_LAN must be true or false");
        assertThatThrownBy(() -> StarlingConfig.fromEnvironment(Map.of("STARLING_CONNECT", "a:1,nope")))
                .hasMessageContaining("STARLING_CONNECT: expected host:port, got 'nope'");
    }

    @Test
    void openingANetworkedConfigWithoutAProviderFailsClearly(@org.junit.jupiter.api.io.TempDir Path dir) {
        // this module's test class path has no network provider
        assertThatThrownBy(() -> Starling.open(StarlingConfig.builder()
                        .databaseDirectory(dir)
                        .listen("127.0.0.1:0")
                        .build()))
                .isInstanceOf(StarlingException.class)
                .satisfies(e -> assertThat(((StarlingException) e).errorCode()).isEqualTo(ErrorCode.NETWORK_IO))
                .hasMessageContaining("starling-transport-netty");
        // and the directory is not left locked
        try (Starling db =
                Starling.open(StarlingConfig.builder().databaseDirectory(dir).build())) {
            assertThat(db.sync().listening()).isEmpty();
        }
    }

    private static void assertInvalid(String text, String message) {
        assertThatThrownBy(() -> Endpoint.parse(text))
                .isInstanceOf(StarlingException.class)
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(((StarlingException) e).errorCode()).isEqualTo(ErrorCode.CONFIG_INVALID));
    }
}
