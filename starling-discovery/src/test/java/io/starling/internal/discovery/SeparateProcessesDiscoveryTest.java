package io.starling.internal.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Three peers on one host in three JVMs (this one and two children), all bound to 127.0.0.1. */
@Tag("lan")
class SeparateProcessesDiscoveryTest {
    private static final Duration DISCOVERY = LoopbackDiscoveryTest.DISCOVERY;
    private final List<DiscoveryProcess> children = new ArrayList<>();
    private LanDiscovery here;

    @BeforeEach // not @BeforeAll: surefire reports a class-level assumption as "0 tests", without the reason
    void loopbackMulticastWorks() {
        assumeTrue(
                LoopbackMulticast.unavailable().isEmpty(),
                () -> "skipped: " + LoopbackMulticast.unavailable().orElseThrow() + " (docs/DISCOVERY.md)");
    }

    @AfterEach
    void stopAll() {
        children.forEach(DiscoveryProcess::close);
        if (here != null) here.close();
        DiscoveryThreads.awaitNone(Duration.ofSeconds(10));
    }

    @Test
    void peersInSeparateProcessesFindEachOther() throws Exception {
        String app = "process-test-" + UUID.randomUUID();
        long base = ThreadLocalRandom.current().nextLong() & ~0xffL;
        long me = base + 1, first = base + 2, second = base + 3;
        children.add(DiscoveryProcess.start(List.of(), app, first, 40012, "127.0.0.1"));
        children.add(DiscoveryProcess.start(List.of(), app, second, 40013, "127.0.0.1"));
        DiscoveryEvents events = new DiscoveryEvents("this JVM");
        here = LanDiscovery.start(
                new LanDiscovery.Options(app, me, 1, 40011, LoopbackDiscoveryTest.LOOPBACK),
                events::found,
                events::ignored);

        events.await("finding both children", DISCOVERY, e -> e.found().keySet().containsAll(List.of(first, second)));
        assertThat(events.found().get(first))
                .containsExactly(new InetSocketAddress(LoopbackDiscoveryTest.LOOPBACK, 40012));
        assertThat(events.found().get(second))
                .containsExactly(new InetSocketAddress(LoopbackDiscoveryTest.LOOPBACK, 40013));
        DiscoveryProcess a = children.get(0), b = children.get(1);
        a.await(
                "finding this JVM",
                DISCOVERY,
                line -> line.equals("FOUND " + Advertisement.peerHex(me) + " 127.0.0.1:40011"));
        a.await(
                "finding its sibling",
                DISCOVERY,
                line -> line.equals("FOUND " + Advertisement.peerHex(second) + " 127.0.0.1:40013"));
        b.await(
                "finding this JVM",
                DISCOVERY,
                line -> line.equals("FOUND " + Advertisement.peerHex(me) + " 127.0.0.1:40011"));
        b.await(
                "finding its sibling",
                DISCOVERY,
                line -> line.equals("FOUND " + Advertisement.peerHex(first) + " 127.0.0.1:40012"));

        assertThat(a.stop(Duration.ofSeconds(15))).isZero();
        assertThat(b.stop(Duration.ofSeconds(15))).isZero();
        assertThat(a.lines()).contains("CLOSED");
        assertThat(events.found()).containsOnlyKeys(first, second);
    }
}
