package io.starling.internal.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.Endpoint;
import io.starling.Identity;
import io.starling.Starling;
import io.starling.StarlingConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Dialers: one session per peer pair when both dial, reconnecting after a restart, connecting at runtime. */
class ReconnectTest extends NetworkTestBase {

    @Test
    void twoPeersDialingEachOtherKeepExactlyOneSessionEach() {
        Starling a = listener(Identity.playground(), "tcp");
        Starling b = listener(Identity.playground(), "tcp");
        a.sync().connect(endpoint(b));
        b.sync().connect(endpoint(a));
        subscribe(a, "c");
        subscribe(b, "c");
        insert(a, "c", 0, 10);
        await("synced", () -> count(b, "c") == 10);
        await(
                "one session each",
                () -> peers(a) == 1
                        && peers(b) == 1
                        && a.sync().metrics().connections() == 1
                        && b.sync().metrics().connections() == 1);
        // stable: the losing dialer waits while the other session holds instead of redialing
        holds(
                "still exactly one session each",
                1500,
                () -> peers(a) == 1
                        && peers(b) == 1
                        && a.sync().metrics().connections() == 1
                        && b.sync().metrics().connections() == 1);
        insert(b, "c", 100, 5);
        await("still syncing", () -> count(a, "c") == 15);
    }

    @Test
    void aDialerReconnectsAfterTheListenerRestartsAndCatchesUp() {
        Path dir = tmp.resolve("server");
        StarlingConfig.Builder serverConfig =
                StarlingConfig.builder().appId(APP).databaseDirectory(dir).listen("127.0.0.1:0");
        Starling server = open(serverConfig);
        int port = endpoint(server).port();
        Starling client = peer(c -> c.connect(Endpoint.tcp("127.0.0.1", port).toString()));
        subscribe(client, "c");
        insert(server, "c", 0, 10);
        await("first sync", () -> count(client, "c") == 10);

        close(server);
        await("the client noticed", () -> peers(client) == 0);
        Starling restarted = open(serverConfig.listen("127.0.0.1:" + port));
        insert(restarted, "c", 10, 15);
        await("caught up after the restart", () -> count(client, "c") == 25);
        assertThat(peers(restarted)).isEqualTo(1);
    }

    @Test
    void dialingItselfStopsTheDialer() {
        Starling a = listener(Identity.playground(), "tcp");
        a.sync().connect(endpoint(a));
        Starling b = peer(c -> c.connect(endpoint(a).toString()));
        await("b connected", () -> peers(a) == 1 && peers(b) == 1);
        // the self-connection never became a session and is not dialed again: only b's connection remains
        await("the self connection is gone", () -> a.sync().metrics().connections() == 1);
        holds(
                "no new connection to itself",
                500,
                () -> peers(a) == 1 && a.sync().metrics().connections() == 1);
    }
}
