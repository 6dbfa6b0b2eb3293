package io.starling.internal.sync;

import java.util.List;
import java.util.Set;

/**
 * What a {@link SyncSession} needs from the local store. Implemented by the engine over its storage and
 * write path (and by fakes in tests). Calls are synchronous; the session calls them on the thread that
 * drives it. Ids are the store's encoded ids, states are encoded document states: the session never
 * decodes documents, it only routes them.
 */
public interface SyncStoreView {

    /** This store's peer id (its site id). */
    long peerId();

    /** Random number made when the store was created; checkpoints are only valid for one incarnation. */
    long incarnation();

    String appId();

    /** The highest change sequence number so far. */
    long lastSequence();

    /** Rows with sequence greater than {@code after}, ascending, at most {@code maxRows}. */
    List<Row> changesSince(long after, int maxRows);

    /**
     * Live documents matching {@code subscription} with id greater than {@code afterId} (null: from the
     * start), in id order, at most {@code maxRows} — a resumable backfill scan.
     */
    List<Row> scanMatching(Subscription subscription, byte[] afterId, int maxRows);

    /** True when the row is a live document that matches the subscription's WHERE. */
    boolean matches(Subscription subscription, Row row);

    /** The stored state of a document (live or tombstone), or null when the store has no row for it. */
    byte[] stateOf(String collection, byte[] id);

    /** True when the store holds at least one row in the collection. */
    boolean holdsAny(String collection);

    /**
     * Merges remote document states and, in the same local transaction, stores {@code checkpoint} (unless
     * null). Atomic: all or nothing.
     *
     * @return the ids refused as zombies (not held here and older than the tombstone horizon); empty usually
     * @throws RemoteRejectedException when the store refuses the batch (e.g. a timestamp too far ahead);
     *     nothing was applied
     */
    List<DocRef> apply(long fromPeer, List<Doc> docs, Checkpoint checkpoint);

    /** The checkpoint stored for a sender, or null. */
    Checkpoint checkpoint(long senderPeerId);

    /** Evicts local copies (ZOMBIES): no tombstone, local only. */
    void evict(List<DocRef> docs);

    /** The tombstone horizon (an HLC value; 0 when no tombstone was ever purged). */
    long tombstoneHorizon();

    /** One changed row, as storage returns it. {@code group} is the sequence that started its transaction. */
    record Row(long sequence, long group, String collection, byte[] id, boolean live, byte[] state) {}

    /** A document state received from a peer. */
    record Doc(String collection, byte[] id, byte[] state) {}

    /** A document reference. */
    record DocRef(String collection, byte[] id) {}

    /**
     * What a receiver has of one sender: everything up to {@code sequence} of the sender's store
     * {@code incarnation}, for the subscriptions whose keys are in {@code covered}.
     */
    record Checkpoint(long incarnation, long sequence, Set<SubscriptionKey> covered) {}

    /** The store refused remote data as a whole (clock drift). */
    final class RemoteRejectedException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String reason;

        public RemoteRejectedException(String reason, String message) {
            super(message);
            this.reason = reason;
        }

        /** A short stable reason, such as {@code clock-drift}, sent in CLOSE. */
        public String reason() {
            return reason;
        }
    }
}
