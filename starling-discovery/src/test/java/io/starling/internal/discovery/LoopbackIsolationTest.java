package io.starling.internal.discovery;

import static io.starling.internal.discovery.NetworkNamespaces.HOST_ADDRESS;
import static io.starling.internal.discovery.NetworkNamespaces.LAN_ADDRESS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * In two network namespaces made for the test ("host" and "lan", joined by a veth pair; see
 * {@link NetworkNamespaces}): peers bound to loopback send nothing on the host's LAN interface, even when a LAN
 * host queries them and a system mDNS daemon has joined the group there; bound to the LAN address (or to every
 * interface) they are found across it. Opt-in (tag {@code netns}): needs root; docs/DISCOVERY.md.
 */
@Tag("netns")
class LoopbackIsolationTest {
    private static final Duration DISCOVERY = LoopbackDiscoveryTest.DISCOVERY;
    private final List<DiscoveryProcess> processes = new ArrayList<>();
    private final String app = "netns-test-" + UUID.randomUUID();
    private final long base = ThreadLocalRandom.current().nextLong() & ~0xffL;
    private NetworkNamespaces ns;

    @BeforeEach // not @BeforeAll: surefire reports a class-level assumption as "0 tests", without the reason
    void createNamespaces() throws IOException {
        assumeTrue(
                NetworkNamespaces.unavailable().isEmpty(),
                () -> "skipped: " + NetworkNamespaces.unavailable().orElseThrow());
        ns = NetworkNamespaces.create();
    }

    @AfterEach
    void cleanUp() {
        processes.forEach(DiscoveryProcess::close);
        if (ns != null) ns.close();
    }

    @Test
    void peersBoundToLoopbackSendNothingOnTheLanInterface() throws Exception {
        DiscoveryProcess daemon = child(NetworkNamespaces.exec(ns.host), MdnsQueryMain.class, "join", HOST_ADDRESS);
        daemon.await("joining the group on vA", DISCOVERY, "READY"::equals);
        long before = ns.hostTxPackets();

        DiscoveryProcess a = peer(ns.host, base + 1, 40021, "127.0.0.1"),
                b = peer(ns.host, base + 2, 40022, "127.0.0.1");
        a.await(
                "finding its loopback neighbour",
                DISCOVERY,
                ("FOUND " + Advertisement.peerHex(base + 2) + " 127.0.0.1:40022")::equals);
        b.await(
                "finding its loopback neighbour",
                DISCOVERY,
                ("FOUND " + Advertisement.peerHex(base + 1) + " 127.0.0.1:40021")::equals);
        DiscoveryProcess lanHost =
                child(NetworkNamespaces.exec(ns.lan), MdnsQueryMain.class, "query", HOST_ADDRESS, LAN_ADDRESS, "4");
        assertThat(lanHost.await("its queries", DISCOVERY, l -> l.startsWith("RESPONSES ")))
                .isEqualTo("RESPONSES 0");
        assertThat(a.stop(Duration.ofSeconds(15))).isZero(); // goodbye packets: loopback too
        assertThat(b.stop(Duration.ofSeconds(15))).isZero();

        assertThat(ns.hostTxPackets())
                .as("packets sent on the host's LAN interface")
                .isEqualTo(before);

        // the control: bound to the LAN address, a peer is found from the LAN and answers the same queries, so
        // the count above could have moved
        DiscoveryProcess onLan = peer(ns.host, base + 3, 40023, HOST_ADDRESS),
                remote = peer(ns.lan, base + 4, 40024, LAN_ADDRESS);
        remote.await(
                "finding the host's LAN-bound peer",
                DISCOVERY,
                ("FOUND " + Advertisement.peerHex(base + 3) + " " + HOST_ADDRESS + ":40023")::equals);
        DiscoveryProcess lanHost2 =
                child(NetworkNamespaces.exec(ns.lan), MdnsQueryMain.class, "query", HOST_ADDRESS, LAN_ADDRESS, "4");
        assertThat(lanHost2.await("its queries", DISCOVERY, l -> l.startsWith("RESPONSES ")))
                .isNotEqualTo("RESPONSES 0");
        assertThat(ns.hostTxPackets()).isGreaterThan(before);
        assertThat(onLan.stop(Duration.ofSeconds(15))).isZero();
    }

    @Test
    void peersOnEveryInterfaceFindEachOtherAcrossTheLan() throws Exception {
        DiscoveryProcess host = peer(ns.host, base + 1, 40031, "null"), lan = peer(ns.lan, base + 2, 40032, "null");
        host.await(
                "finding the LAN peer",
                DISCOVERY,
                ("FOUND " + Advertisement.peerHex(base + 2) + " " + LAN_ADDRESS + ":40032")::equals);
        lan.await(
                "finding the host peer",
                DISCOVERY,
                ("FOUND " + Advertisement.peerHex(base + 1) + " " + HOST_ADDRESS + ":40031")::equals);
        assertThat(host.stop(Duration.ofSeconds(15))).isZero();
        assertThat(lan.stop(Duration.ofSeconds(15))).isZero();
    }

    private DiscoveryProcess peer(String namespace, long peerId, int port, String bind) throws IOException {
        DiscoveryProcess p = DiscoveryProcess.start(NetworkNamespaces.exec(namespace), app, peerId, port, bind);
        processes.add(p);
        return p;
    }

    private DiscoveryProcess child(List<String> prefix, Class<?> main, String... args) throws IOException {
        DiscoveryProcess p = DiscoveryProcess.start(prefix, main, args);
        processes.add(p);
        return p;
    }
}
