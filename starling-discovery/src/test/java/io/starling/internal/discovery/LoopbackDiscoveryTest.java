package io.starling.internal.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Real mDNS between several {@link LanDiscovery} instances in this JVM, all bound to 127.0.0.1: nothing leaves
 * the loopback interface. Skipped where loopback multicast does not work. Each run uses a fresh app id, so that
 * a concurrent run on the same host (another build, another engineer) is one more app to ignore.
 */
@Tag("lan")
class LoopbackDiscoveryTest {
    static final Duration DISCOVERY = Duration.ofSeconds(30); // JmDNS takes about 4 s: probing, then announcing
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private final List<LanDiscovery> started = new ArrayList<>();

    @BeforeEach // not @BeforeAll: surefire reports a class-level assumption as "0 tests", without the reason
    void loopbackMulticastWorks() {
        assumeTrue(
                LoopbackMulticast.unavailable().isEmpty(),
                () -> "skipped: " + LoopbackMulticast.unavailable().orElseThrow() + " (docs/DISCOVERY.md)");
    }

    @AfterEach
    void closeAll() {
        closeInParallel(started);
        DiscoveryThreads.awaitNone(Duration.ofSeconds(10));
    }

    @Test
    void peersOfOneAppFindEachOtherAndIgnoreOtherAppsAndVersions() throws Exception {
        String app = "loopback-test-" + UUID.randomUUID();
        long base = ThreadLocalRandom.current().nextLong() & ~0xffL;
        long a = base + 1, b = base + 2, c = base + 3, otherApp = base + 4, otherVersion = base + 5;
        DiscoveryEvents[] events = startInParallel(
                new LanDiscovery.Options(app, a, 1, 40001, LOOPBACK),
                new LanDiscovery.Options(app, b, 1, 40002, LOOPBACK),
                new LanDiscovery.Options(app, c, 1, 40003, LOOPBACK),
                new LanDiscovery.Options(app + "-other", otherApp, 1, 40004, LOOPBACK),
                new LanDiscovery.Options(app, otherVersion, 2, 40005, LOOPBACK));
        Map<Long, Integer> ports = Map.of(a, 40001, b, 40002, c, 40003);

        for (int i = 0; i < 3; i++) {
            long self = List.of(a, b, c).get(i);
            List<Long> others = List.of(a, b, c).stream().filter(p -> p != self).toList();
            // found the other two, and has seen (and dropped) the other app and the other version: so it has had
            // every chance to report them
            events[i].await(
                    "finding " + others + " and ignoring the others",
                    DISCOVERY,
                    e -> e.found().keySet().containsAll(others)
                            && ignoredFor(e, otherApp, "another app")
                            && ignoredFor(e, otherVersion, "protocol version"));
            assertThat(events[i].found()).containsOnlyKeys(others);
            for (long peer : others) {
                assertThat(events[i].found().get(peer))
                        .containsExactly(new InetSocketAddress(LOOPBACK, ports.get(peer)));
            }
        }
        events[3].await(
                "ignoring every other peer as another app",
                DISCOVERY,
                e -> List.of(a, b, c, otherVersion).stream().allMatch(p -> ignoredFor(e, p, "another app")));
        events[4].await(
                "ignoring the peers of another version",
                DISCOVERY,
                e -> List.of(a, b, c).stream().allMatch(p -> ignoredFor(e, p, "protocol version"))
                        && ignoredFor(e, otherApp, "another app"));
        assertThat(events[3].found()).isEmpty();
        assertThat(events[4].found()).isEmpty();
    }

    @Test
    void closeIsBoundedIdempotentAndStopsReporting() throws Exception {
        String app = "loopback-test-" + UUID.randomUUID();
        long base = ThreadLocalRandom.current().nextLong() & ~0xffL;
        DiscoveryEvents[] events = startInParallel(
                new LanDiscovery.Options(app, base + 1, 1, 40001, LOOPBACK),
                new LanDiscovery.Options(app, base + 2, 1, 40002, LOOPBACK));
        events[0].await("finding the other peer", DISCOVERY, e -> e.found().containsKey(base + 2));

        // Bounds, not timings: a close that ignored its timeout, or a second close that did the work again, would
        // wait for JmDNS's own unbounded shutdown; the margins only absorb a loaded machine's scheduling.
        long t0 = System.nanoTime();
        started.get(0).close();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(LanDiscovery.CLOSE_TIMEOUT.plusSeconds(10));
        int calls = events[0].foundCalls();
        long t1 = System.nanoTime();
        started.get(0).close(); // idempotent: returns at once
        assertThat(Duration.ofNanos(System.nanoTime() - t1)).isLessThan(LanDiscovery.CLOSE_TIMEOUT);
        closeInParallel(started); // the survivor's goodbye reaches no one: the closed instance reports nothing more
        assertThat(events[0].foundCalls()).isEqualTo(calls);
    }

    private static boolean ignoredFor(DiscoveryEvents e, long peer, String why) {
        String reason = e.ignored().get("starling-" + Advertisement.peerHex(peer));
        return reason != null && reason.contains(why);
    }

    private DiscoveryEvents[] startInParallel(LanDiscovery.Options... options) {
        DiscoveryEvents[] events = new DiscoveryEvents[options.length];
        List<CompletableFuture<LanDiscovery>> starting = new ArrayList<>();
        for (int i = 0; i < options.length; i++) {
            DiscoveryEvents e = events[i] = new DiscoveryEvents("peer " + Advertisement.peerHex(options[i].peerId()));
            LanDiscovery.Options o = options[i];
            starting.add(CompletableFuture.supplyAsync(() -> LanDiscovery.start(o, e::found, e::ignored)));
        }
        for (CompletableFuture<LanDiscovery> s : starting) started.add(s.join());
        return events;
    }

    static void closeInParallel(List<? extends AutoCloseable> closeables) {
        CompletableFuture.allOf(closeables.stream()
                        .map(c -> CompletableFuture.runAsync(() -> {
                            try {
                                c.close();
                            } catch (Exception e) {
                                throw new AssertionError(e);
                            }
                        }))
                        .toArray(CompletableFuture[]::new))
                .join();
    }
}
