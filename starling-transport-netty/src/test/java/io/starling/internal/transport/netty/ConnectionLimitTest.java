package io.starling.internal.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.Starling;
import org.junit.jupiter.api.Test;

/** maxConnections: connections past the limit are closed at once, logged and counted. */
class ConnectionLimitTest extends NetworkTestBase {

    @Test
    void anExtraIncomingConnectionIsRefusedAndCounted() {
        Starling a = peer(c -> c.listen("127.0.0.1:0").maxConnections(1));
        Starling b = peer(c -> c.connect(endpoint(a).toString()));
        subscribe(b, "c");
        await("b connected", () -> peers(a) == 1);
        Starling extra = peer(c -> c.connect(endpoint(a).toString()));
        subscribe(extra, "c");
        await("refused and counted", () -> a.sync().metrics().connectionsRefused() >= 2);
        insert(a, "c", 0, 10);
        await("b keeps syncing", () -> count(b, "c") == 10);
        assertThat(count(extra, "c")).isZero();
        assertThat(a.sync().metrics().connections()).isEqualTo(1);
    }
}
