package io.starling.internal.transport.netty;

import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The open connections of a network, both directions, held to at most {@code max} at once
 * ({@code StarlingConfig.maxConnections()}). A connection leaves the registry when its channel closes. Thread-safe.
 */
final class ConnectionRegistry {
    private final int max;
    private final AtomicInteger count = new AtomicInteger();
    private final Set<Channel> channels = ConcurrentHashMap.newKeySet();

    ConnectionRegistry(int max) {
        this.max = max;
    }

    int max() {
        return max;
    }

    /** Adds {@code channel} unless the limit is reached; returns false (and adds nothing) when it is. */
    boolean tryAdd(Channel channel) {
        int n;
        do {
            n = count.get();
            if (n >= max) return false;
        } while (!count.compareAndSet(n, n + 1));
        channels.add(channel);
        channel.closeFuture().addListener(f -> {
            if (channels.remove(channel)) count.decrementAndGet();
        });
        return true;
    }

    /** True while another connection fits. */
    boolean hasRoom() {
        return count.get() < max;
    }

    int size() {
        return count.get();
    }

    /** A snapshot of the open channels. */
    List<Channel> channels() {
        return new ArrayList<>(channels);
    }
}
