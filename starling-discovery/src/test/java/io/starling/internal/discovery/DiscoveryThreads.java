package io.starling.internal.discovery;

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

    /** Waits (joining the threads, no sleeping) until none is left; fails naming them after {@code timeout}. */
    static void awaitNone(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<Thread> left = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> alive().contains(t.getName()))
                    .toList();
            if (left.isEmpty()) return;
            long ms = (deadline - System.nanoTime()) / 1_000_000;
            if (ms <= 0) throw new AssertionError("threads still running after close: " + alive());
            try {
                left.get(0).join(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + alive(), e);
            }
        }
    }
}
