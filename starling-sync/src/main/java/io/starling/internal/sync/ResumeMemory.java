package io.starling.internal.sync;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/*
 * Design note — what a peer remembers of the peers it met, so that the next session skips what both sides know.
 *
 * A session between peers that met before used to start with a whole SUBSCRIPTIONS each way, although the sender
 * usually still knew it from the last session. With RESUME (capability bit 7), a receiver sends instead a marker: its
 * revision, its checkpoint, the digest of its subscriptions (WireCodec.subscriptionSetDigest: the subscriptions in
 * order, as encoded) and two flags for the rest of the message: every subscription covered or none, documents held in
 * every subscribed collection or in none (what a receiver announces when nothing changed since the last session; any
 * other mix goes whole). Two memories make it work, one per role:
 *
 *   - as a sender, the last subscriptions each receiver sent us in full (by peer id): a marker whose digest equals
 *     theirs stands for those subscriptions, with the covered flags and held collections its flags give, which the
 *     session then processes exactly as if that SUBSCRIPTIONS had arrived whole; anything else — no set, another
 *     digest, a set we cannot accept now — is answered with SUBSCRIPTIONS-WANTED, and the receiver sends it whole.
 *     So a sender only ever acts on subscriptions the receiver sent it in full, byte for byte (up to a 64-bit digest
 *     collision), whatever the marker claims;
 *   - as a receiver, the digest of the subscriptions each sender (peer id and store incarnation) is known to have
 *     processed: a BATCH carrying the revision of that SUBSCRIPTIONS came back. A receiver sends a marker only when the
 *     subscriptions it is about to announce have that digest, so changed subscriptions go whole, and a marker is only
 *     a guess about the sender's memory, which the sender checks.
 *
 * The memory lives as long as the peer's instance (a restart forgets, and the first session after it sends or asks
 * for the whole message), and is bounded: at most MAX_PEERS peers per role and MAX_BYTES of remembered sets, the least
 * recently used forgotten first; a forgotten peer costs one whole SUBSCRIPTIONS and, on the sender's side, one round
 * trip. Thread-safe (a peer's sessions may run on several threads in some drivers); every method is short.
 */

/**
 * What a peer remembers of the peers it met, shared by all its sessions, for resumed sessions (see the design note and
 * docs/SYNC-PROTOCOL.md, "Resumed sessions"). A store offers one through {@link SyncStoreView#resumeMemory()}. Thread-safe;
 * in memory only.
 */
public final class ResumeMemory {
    /** Peers remembered per role; beyond, the least recently used are forgotten. */
    public static final int MAX_PEERS = 16_384;
    /** The encoded sets remembered (as a sender) together; beyond, the least recently used are forgotten. */
    public static final long MAX_BYTES = 4L << 20;
    /** A set larger than this (more than a receiver may send) is not remembered: its receiver sends it whole. */
    static final int MAX_SET_BYTES = Receiver.MAX_SUBSCRIPTIONS_BYTES;

    /** A receiver's subscriptions as it last sent them to us whole, in order. */
    record Received(long digest, List<Subscription> subscriptions, int bytes) {}

    private record Processed(long incarnation, long digest) {}

    private final LinkedHashMap<Long, Received> received = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Received> eldest) {
            if (size() <= MAX_PEERS) return false;
            receivedBytes -= eldest.getValue().bytes();
            return true;
        }
    };
    private final LinkedHashMap<Long, Processed> processed = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Processed> eldest) {
            return size() > MAX_PEERS;
        }
    };
    private long receivedBytes;

    public ResumeMemory() {}

    // ---- as a sender ------------------------------------------------------------------------------------

    /** The receiver {@code peerId} sent us these subscriptions whole (and we processed them). */
    synchronized void received(long peerId, List<Subscription> subscriptions, int bytes) {
        Received old = received.remove(peerId);
        if (old != null) receivedBytes -= old.bytes();
        if (bytes > MAX_SET_BYTES) return; // not remembered: its markers are answered with SUBSCRIPTIONS-WANTED
        var oldest = received.entrySet().iterator();
        while (receivedBytes + bytes > MAX_BYTES && oldest.hasNext()) {
            receivedBytes -= oldest.next().getValue().bytes();
            oldest.remove();
        }
        received.put(peerId, new Received(WireCodec.subscriptionSetDigest(subscriptions), subscriptions, bytes));
        receivedBytes += bytes;
    }

    /** The set the receiver {@code peerId} last sent us whole, or null. */
    synchronized @Nullable Received receivedFrom(long peerId) {
        return received.get(peerId);
    }

    // ---- as a receiver ----------------------------------------------------------------------------------

    /** The sender {@code peerId} of store incarnation {@code incarnation} processed our set of {@code digest}. */
    synchronized void processed(long peerId, long incarnation, long digest) {
        processed.put(peerId, new Processed(incarnation, digest));
    }

    /** Whether the sender {@code peerId} of {@code incarnation} is known to have processed our set of {@code digest}. */
    synchronized boolean processedBy(long peerId, long incarnation, long digest) {
        Processed p = processed.get(peerId);
        return p != null && p.incarnation() == incarnation && p.digest() == digest;
    }

    /** The sender {@code peerId} asked for our set whole: it does not hold what we remembered it does. */
    synchronized void forgetProcessed(long peerId) {
        processed.remove(peerId);
    }

    /** Peers remembered as a sender and as a receiver, and the bytes of the sets (tests). */
    synchronized String describe() {
        return received.size() + " receivers (" + receivedBytes + " bytes), " + processed.size() + " senders";
    }
}
