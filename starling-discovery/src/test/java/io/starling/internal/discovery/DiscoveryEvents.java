package io.starling.internal.discovery;

import io.starling.testsupport.Await;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** What one {@link LanDiscovery} reported, with a wait for a condition on it. Thread-safe. */
final class DiscoveryEvents {
    private final String owner;
    private final Map<Long, List<InetSocketAddress>> found = new HashMap<>();
    private final Map<String, String> ignored = new HashMap<>();
    private int foundCalls;

    DiscoveryEvents(String owner) {
        this.owner = owner;
    }

    synchronized void found(LanDiscovery.Found f) {
        found.put(f.peerId(), f.addresses());
        foundCalls++;
    }

    synchronized void ignored(String instance, String why) {
        ignored.put(instance, why);
    }

    synchronized Map<Long, List<InetSocketAddress>> found() {
        return Map.copyOf(found);
    }

    synchronized Map<String, String> ignored() {
        return Map.copyOf(ignored);
    }

    synchronized int foundCalls() {
        return foundCalls;
    }

    /** Waits until {@code condition} holds, at most {@code timeout}; fails the test with {@code what} and the state. */
    void await(String what, Duration timeout, Predicate<DiscoveryEvents> condition) {
        Await.until(owner + ": " + what, timeout, () -> condition.test(this), this::toString);
    }

    @Override
    public synchronized String toString() {
        return owner + ": found " + found + ", ignored " + ignored;
    }
}
