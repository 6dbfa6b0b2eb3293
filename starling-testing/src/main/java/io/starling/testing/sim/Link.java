package io.starling.testing.sim;

import io.starling.internal.sync.FrameDecoder;
import io.starling.internal.sync.SyncSession;
import org.jspecify.annotations.Nullable;

/**
 * One edge of the topology: the connection between two peers, which the simulator keeps re-establishing. Each
 * connection attempt is a new {@link #generation}; messages carry the generation they were sent in and are lost
 * when it ended. Side 0 is {@link #a}, side 1 is {@link #b}; direction {@code d} carries messages from side d.
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

    Link(int index, SimPeer a, SimPeer b) {
        this.index = index;
        this.a = a;
        this.b = b;
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
