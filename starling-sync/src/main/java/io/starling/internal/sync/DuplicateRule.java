package io.starling.internal.sync;

import org.jspecify.annotations.Nullable;

/**
 * One session per pair of peers (docs/SYNC-PROTOCOL.md, "Robustness", {@code duplicate}): which of two established
 * sessions with the same remote this peer closes. Both peers decide alike without talking: the session dialed by
 * the peer with the lower id (unsigned) is kept; of two sessions dialed by the same side, that side closes the newer
 * and the other side closes none (it sees the close). Pure and stateless; the threaded driver and the simulator call
 * it.
 */
public final class DuplicateRule {
    private DuplicateRule() {}

    /**
     * One of the two sessions, as this peer sees it.
     *
     * @param outgoing this peer dialed it
     * @param order when it was attached here (greater is newer)
     */
    public record Side(boolean outgoing, long order) {}

    /** The session this peer closes: {@code a}, {@code b}, or null when the remote dialed both (it closes one). */
    public static @Nullable Side loser(long localPeer, long remotePeer, Side a, Side b) {
        long dialerA = a.outgoing() ? localPeer : remotePeer;
        long dialerB = b.outgoing() ? localPeer : remotePeer;
        if (dialerA != dialerB) return Long.compareUnsigned(dialerA, dialerB) < 0 ? b : a;
        if (dialerA != localPeer) return null;
        return a.order() > b.order() ? a : b;
    }
}
