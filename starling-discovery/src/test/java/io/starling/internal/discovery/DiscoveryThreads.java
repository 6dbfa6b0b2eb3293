package io.starling.internal.discovery;

import io.starling.testsupport.Await;
import java.time.Duration;
import java.util.List;

/** Leak check: the threads JmDNS and {@link LanDiscovery} start, which must all end after close. */
final class DiscoveryThreads {
    private DiscoveryThreads() {}

    static List<String> alive() {
        return Thread.getAllStackTraces().keySet().stream()
                .map(Thread::getName)
                .filter(n -> n.contains("JmDNS") || n.startsWith("SocketListener") || n.startsWith("starling-mdns"))
                .sorted()
                .toList();
    }

    /** Waits until none is left; fails naming them after {@code timeout}. */
    static void awaitNone(Duration timeout) {
        Await.until(
                "the discovery threads to end after close",
                timeout,
                () -> alive().isEmpty(),
                () -> "still running: " + alive());
    }
}
