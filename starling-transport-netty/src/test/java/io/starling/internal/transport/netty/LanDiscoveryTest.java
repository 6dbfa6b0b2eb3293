package io.starling.internal.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.Endpoint;
import io.starling.Starling;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** LAN discovery on the loopback interface only ({@code starling.lan.bindAddress=127.0.0.1}). */
class LanDiscoveryTest extends NetworkTestBase {

    @BeforeAll
    static void loopbackOnly() {
        System.setProperty(LanHook.BIND_PROPERTY, "127.0.0.1");
    }

    @AfterAll
    static void restore() {
        System.clearProperty(LanHook.BIND_PROPERTY);
    }

    @Test
    void peersOfTheSameAppFindEachOtherAndSync() {
        Starling a = peer(c -> c.lan(true)); // no listener configured: one is added on the bind address
        Starling b = peer(c -> c.lan(true).listen("127.0.0.1:0"));
        assertThat(a.sync().listening()).hasSize(1);
        Endpoint auto = a.sync().listening().get(0);
        assertThat(auto.scheme()).isEqualTo(Endpoint.Scheme.TCP);
        assertThat(auto.host()).isEqualTo("127.0.0.1");
        assertThat(auto.port()).isPositive();
        subscribe(a, "c");
        subscribe(b, "c");
        insert(a, "c", 0, 10);
        insert(b, "c", 10, 10);
        await("found each other and synced", 30, () -> count(a, "c") == 20 && count(b, "c") == 20);
        // both found each other and may both have dialed: still one session per pair
        await(
                "one session each",
                () -> peers(a) == 1
                        && peers(b) == 1
                        && a.sync().metrics().connections() == 1
                        && b.sync().metrics().connections() == 1);
    }
}
