package io.starling.testing.sim;

import io.starling.internal.sync.FrameDecoder;
import io.starling.internal.sync.SyncSession;
import org.jspecify.annotations.Nullable;

/**
 * One edge of the topology: the connection between two peers, which the simulator keeps re-establishing. Each
 * connection attempt is a new {@link #generation}; messages carry the generation they were sent in and are lost
 * when it ended. Side 0 is {@link #a}, side 1 is {@link #b}; direction {@code d} carries messages from side d.
 *
 * <p>With the session policy, each edge of the topology ({@link #pair}) has two links, one dialled by each end: side
 * 0 is the dialler, side 1 accepts (and may hold the session for its connection-request hook).
 */
final class Link {
    enum State {
        DOWN,
        UP,
        CLOSING
    }

    final int index;
    /** The ends; in the server cluster topology the node end changes when the device moves to another node. */
    SimPeer a, b;
    /** The edge of the topology this link belongs to (with the session policy, two links share one). */
    final int pair;

    State state = State.DOWN;
    long generation;
    /** The session at each side, null when that side has none (down, or closed). */
    final SyncSession[] sessions = new SyncSession[2];
    /** Frame decoders of the receiving sides, per generation. */
    final FrameDecoder[] decoders = new FrameDecoder[2];
    /** Latest delivery time scheduled per direction, for FIFO delivery. */
    final long[] lastDelivery = new long[2];

    boolean reconnectScheduled;
    int connects;

    // the session policy (unused without it)
    /** Whether each side's session of this generation is established (its listener said so). */
    final boolean[] established = new boolean[2];
    /** Whether each side's session of this generation went through the duplicate rule once established. */
    final boolean[] tieChecked = new boolean[2];
    /** Each side's attach order at its peer (greater is newer), for the duplicate rule. */
    final long[] order = new long[2];
    /** The generation each side kept in a duplicate decision (-1: none), for the agreement check. */
    final long[] keptGeneration = {-1, -1};
    /** The dialler waits: it holds an established session with the remote over the other link of the pair. */
    boolean parked;
    /** The acceptor's hook refused the dialler: it does not dial again until one of the two restarts. */
    boolean refusedUntilRestart;

    Link(int index, SimPeer a, SimPeer b, int pair) {
        this.index = index;
        this.a = a;
        this.b = b;
        this.pair = pair;
    }

    /** The server node at one end of this link, or null. */
    @Nullable
    SimPeer serverNode() {
        return a.node() ? a : b.node() ? b : null;
    }

    /** Replaces the node end (the link is down). */
    void replaceServerNode(SimPeer node) {
        if (a.node()) a = node;
        else b = node;
    }

    SimPeer peer(int side) {
        return side == 0 ? a : b;
    }

    int sideOf(SimPeer p) {
        return p == a ? 0 : 1;
    }

    @Override
    public String toString() {
        return "link " + a.index + "-" + b.index;
    }
}
