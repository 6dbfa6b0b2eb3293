package io.starling.transport;

import io.starling.testsupport.ApiSnapshot;
import io.starling.testsupport.StarlingModule;
import org.junit.jupiter.api.Test;

/**
 * The transport's public API ({@code io.starling.transport}) is locked: it must match the committed snapshot
 * {@code starling-transport-netty/api/starling-transport-netty.api}; a change fails here with the diff and the
 * command that accepts it.
 */
class TransportApiTest {
    @Test
    void thePublicApiMatchesItsSnapshot() {
        ApiSnapshot.check(StarlingModule.TRANSPORT_NETTY, TransportApiTest.class, "io.starling.transport");
    }
}
