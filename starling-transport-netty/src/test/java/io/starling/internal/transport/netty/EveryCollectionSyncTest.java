package io.starling.internal.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.Identity;
import io.starling.Starling;
import io.starling.SyncSubscription;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code SELECT * FROM *} over real sockets: a server subscribed to every collection receives a collection that a
 * device creates after the server started — nobody named it, and the server registers nothing new — and a second
 * device, connected only to the server, gets it through the server.
 */
class EveryCollectionSyncTest extends NetworkTestBase {

    @Test
    void aCollectionADeviceCreatesReachesTheServerAndThroughItAnotherDevice() {
        Starling server = listener(Identity.playground(), "tcp");
        SyncSubscription every = server.sync().registerSubscription("select * from * ;", Map.of());
        Starling writer = peer(c -> c.connect(endpoint(server).toString()));
        Starling reader = peer(c -> c.connect(endpoint(server).toString()));
        subscribe(reader, "brand_new");
        await("both devices connected", () -> peers(server) == 2);

        insert(writer, "brand_new", 0, 20); // a collection the server has never seen, and nobody subscribed to yet
        await("the server holds the new collection", () -> count(server, "brand_new") == 20);
        await("the other device gets it through the server", () -> count(reader, "brand_new") == 20);
        assertThat(server.sync().subscriptions()).containsExactly(every);
        assertThat(every.query()).isEqualTo("SELECT * FROM *");

        // later writes and deletions too, in another new collection as well
        writer.store().execute("DELETE FROM brand_new WHERE _id < 5");
        insert(writer, "another", 0, 3);
        await("the deletions reach the other device", () -> count(reader, "brand_new") == 15);
        await("the server holds the second collection", () -> count(server, "another") == 3);
        assertThat(count(reader, "another"))
                .as("the reader did not subscribe to it")
                .isZero();

        every.close();
        assertThat(server.sync().subscriptions()).isEmpty();
    }
}
