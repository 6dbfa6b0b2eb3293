package io.starling.internal.discovery;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The addresses at which each remote peer was last resolved, kept per local responder (one per network
 * interface) so that a peer seen on two interfaces is reported with the addresses of both. Memory: one entry
 * per peer and interface seen and not yet removed. Thread-safe.
 */
final class PeerAddresses {
    private final Map<Long, Map<Integer, List<InetSocketAddress>>> byPeer = new HashMap<>();

    /**
     * Replaces what {@code responder} knows of {@code peerId}.
     *
     * @return every address known for the peer, without duplicates, IPv4 first
     */
    synchronized List<InetSocketAddress> update(long peerId, int responder, List<InetSocketAddress> addresses) {
        Map<Integer, List<InetSocketAddress>> seen = byPeer.computeIfAbsent(peerId, k -> new HashMap<>());
        seen.put(responder, List.copyOf(addresses));
        Set<InetSocketAddress> all = new LinkedHashSet<>();
        seen.keySet().stream().sorted().forEach(r -> all.addAll(seen.get(r)));
        return ipv4First(all);
    }

    /** Forgets what {@code responder} knew of {@code peerId} (the peer withdrew its service there). */
    synchronized void remove(long peerId, int responder) {
        Map<Integer, List<InetSocketAddress>> seen = byPeer.get(peerId);
        if (seen != null && seen.remove(responder) != null && seen.isEmpty()) byPeer.remove(peerId);
    }

    static List<InetSocketAddress> ipv4First(Iterable<InetSocketAddress> addresses) {
        List<InetSocketAddress> v4 = new ArrayList<>(), v6 = new ArrayList<>();
        for (InetSocketAddress a : addresses) (a.getAddress() instanceof Inet4Address ? v4 : v6).add(a);
        v4.addAll(v6);
        return List.copyOf(v4);
    }
}
