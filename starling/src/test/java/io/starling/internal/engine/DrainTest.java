package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.ErrorCode;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.internal.storage.InMemoryStorage;
import io.starling.testsupport.Await;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code Sync.drain()}: sessions close with {@code going-away} on both sides, new sessions are refused, the store keeps
 * working, and it is idempotent.
 */
class DrainTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private static DefaultStarling peer() {
        return DefaultStarling.open(
                StarlingConfig.builder().appId("drain").build(),
                Path.of("memory"),
                new InMemoryStorage(),
                Clock.systemUTC());
    }

    @Test
    void drainClosesSessionsWithGoingAwayRefusesNewOnesAndLeavesTheStoreUsable() {
        DefaultStarling server = peer();
        DefaultStarling device = peer();
        try (InMemoryTransport.Link link = InMemoryTransport.connect(device, server)) {
            Await.until(
                    "the session is established",
                    DEADLINE,
                    () -> !server.sync().peers().isEmpty());

            server.sync().drain();
            Await.until(
                    "both ends report going-away",
                    DEADLINE,
                    () -> link.endReasons().stream()
                                    .filter("going-away"::equals)
                                    .count()
                            == 2,
                    link::endReasons);
            assertThat(server.sync().peers()).isEmpty();
            assertThatThrownBy(() -> InMemoryTransport.connect(device, server))
                    .isInstanceOf(StarlingException.class)
                    .hasMessageContaining("draining")
                    .extracting(e -> ((StarlingException) e).errorCode())
                    .isEqualTo(ErrorCode.NETWORK_IO);

            server.store().execute("INSERT INTO c DOCUMENTS (:d)", Map.of("d", Map.of("_id", "still")));
            assertThat(server.store().execute("SELECT * FROM c").items()).hasSize(1);
            server.sync().drain(); // idempotent
        } finally {
            device.close();
            server.close();
        }
        assertThatThrownBy(() -> server.sync()).isInstanceOf(StarlingException.class);
    }
}
