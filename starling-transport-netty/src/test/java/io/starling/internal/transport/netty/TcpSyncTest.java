package io.starling.internal.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.ErrorCode;
import io.starling.Identity;
import io.starling.Starling;
import io.starling.StarlingException;
import io.starling.Sync;
import org.junit.jupiter.api.Test;

/** Two peers over plain TCP (playground): sync both ways, metrics at the socket. */
class TcpSyncTest extends NetworkTestBase {

    @Test
    void playgroundPeersSyncBothWaysAndCountWireBytes() {
        Starling a = listener(Identity.playground(), "tcp");
        Starling b = peer(c -> c.connect(endpoint(a).toString()));
        subscribe(a, "c");
        subscribe(b, "c");
        insert(a, "c", 0, 50);
        insert(b, "c", 1000, 30);
        await("b has a's documents", () -> count(b, "c") == 80);
        await("a has b's documents", () -> count(a, "c") == 80);
        assertThat(peers(a)).isEqualTo(1);
        assertThat(peers(b)).isEqualTo(1);

        Sync.Metrics ma = a.sync().metrics(), mb = b.sync().metrics();
        // every document crossed (the bytes are fewer than the documents' size: batches are compressed)
        assertThat(ma.documentsSent()).isGreaterThanOrEqualTo(50);
        assertThat(mb.documentsSent()).isGreaterThanOrEqualTo(30);
        assertThat(ma.bytesSent()).isPositive();
        assertThat(ma.connections()).isEqualTo(1);
        // the same bytes, counted at both ends of the socket (once in-flight keep-alives and acks have landed)
        await(
                "wire bytes agree",
                () -> a.sync().metrics().bytesSent() == b.sync().metrics().bytesReceived()
                        && b.sync().metrics().bytesSent() == a.sync().metrics().bytesReceived());
    }

    @Test
    void anAddressInUseFailsTheOpenNamingIt() {
        Starling a = listener(Identity.playground(), "tcp");
        String taken = endpoint(a).toString();
        assertThatThrownBy(() -> peer(c -> c.listen(taken)))
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.NETWORK_IO))
                .hasMessageContaining("cannot listen on " + taken);
    }
}
