package io.starling.internal.sync;

import io.starling.internal.core.CodecException;
import io.starling.internal.crdt.DocumentException;
import io.starling.internal.crdt.DocumentState;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link SyncSession} needs from the local store. Implemented by the engine over its storage and
 * write path (and by fakes in tests). Calls are synchronous; the session calls them on the thread that
 * drives it. Ids are the store's encoded ids, states are encoded document states: the session never
 * decodes documents, it only routes them.
 *
 * <p>The session never calls back into itself from these methods, and the store must not call the
 * session from inside them either: notify sessions ({@link SyncSession#onLocalChange()}) after the call
 * returned.
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
     * The digest a HINT of {@code row} carries (the digest of its state). A store whose sessions share
     * change-log rows may compute it once for all of them.
     */
    default long digestOf(Row row) {
        return Digests.of(row.state());
    }

    /**
     * The field delta a resumed session sends of a changed live document (docs/SYNC-PROTOCOL.md, "Field deltas"): the
     * encoded state of the row's newest writes, those stamped with its greatest stamp ({@link
     * DocumentState#writtenSince}), or null when the state does not decode. It depends on the row's state alone, never on
     * the receiver, so a store whose sessions share change-log rows may compute it once for all of them; callers must
     * not modify the array.
     */
    default byte @Nullable [] deltaOf(Row row) {
        try {
            DocumentState state = DocumentState.decode(row.state());
            return state.writtenSince(state.maxStamp()).encode();
        } catch (CodecException | DocumentException e) {
            return null;
        }
    }

    /**
     * What this peer remembers of the peers it met, shared by all its sessions (docs/SYNC-PROTOCOL.md, "Resumed
     * sessions"), or null for a store that keeps none: its sessions then do not announce {@link
     * SessionConfig#CAP_RESUME}. The same object for every call, for as long as the store is open.
     */
    default @Nullable ResumeMemory resumeMemory() {
        return null;
    }

    /**
     * Live documents matching {@code subscription} with id greater than {@code afterId} (null: from the
     * start), in id order (unsigned byte order of the encoded ids), at most {@code maxRows} — a resumable
     * backfill scan for a subscription added to a collection that another subscription already covers.
     * May use indexes.
     */
    List<Row> scanMatching(Subscription subscription, byte @Nullable [] afterId, int maxRows);

    /**
     * Every row of {@code collection} — live documents and tombstones — with id greater than {@code afterId}
     * (null: from the start), in id order (unsigned byte order of the encoded ids), at most {@code maxRows}:
     * the backfill scan for a collection that no covered subscription of the receiver reads yet (the
     * session sends tombstones and hints as well as matching documents then).
     */
    List<Row> scanCollection(String collection, byte @Nullable [] afterId, int maxRows);

    /**
     * True when the row is a live document that matches the subscription's WHERE. The subscription may come
     * from a remote peer: a query the store cannot evaluate matches nothing (it must not throw).
     */
    boolean matches(Subscription subscription, Row row);

    /** The stored row of a document (live or tombstone), or null when the store has no row for it. */
    @Nullable
    Row rowOf(String collection, byte[] id);

    /** The stored state of a document (live or tombstone), or null when the store has no row for it. */
    default byte @Nullable [] stateOf(String collection, byte[] id) {
        Row row = rowOf(collection, id);
        return row == null ? null : row.state();
    }

    /** True when the store holds at least one row in the collection. */
    boolean holdsAny(String collection);

    /**
     * The collections in which the store holds at least one row (live or tombstone), in any order: what a subscription
     * to every collection becomes for a peer that does not read it, and what is compared with a peer that never met
     * us. Called when sessions start and, for such a peer, at most every few seconds after local changes.
     */
    List<String> collections();

    /**
     * Merges remote document states and, in the same local transaction, stores {@code checkpoint} (unless
     * null) — unless a document is behind or refused as a zombie (see below): then the checkpoint is not stored,
     * since the receiver owes the sender our newer state first, or must refuse the zombie again in a later session
     * (the holder may not have heard of the refusal), and a checkpoint stored and taken back in a second
     * transaction would leave a crash between the two past that obligation. Atomic: all or nothing. {@code docs}
     * may be empty (only the checkpoint moves). A document may appear more than once (later states merge over
     * earlier ones).
     *
     * <p>A document the store can never accept — a state or id that does not decode, a collection name or id
     * outside the data model's limits — is refused alone and reported in {@link ApplyResult#refused()}: the rest
     * of the batch is applied and the checkpoint moves past it, so that one bad document never stalls sync.
     *
     * @return the ids refused as zombies (not held here and older than the tombstone horizon), the ids whose
     *     stored state the merge left unchanged although it differs from the received one (the sender lacks
     *     writes we hold), and the documents refused; all usually empty
     * @throws RemoteRejectedException when the store refuses the batch as a whole for now (a timestamp too far
     *     ahead of our clock: reason {@code clock-drift}); nothing was applied
     */
    ApplyResult apply(long fromPeer, List<Doc> docs, @Nullable Checkpoint checkpoint);

    /**
     * {@link #apply(long, List, Checkpoint)} held to the remote's write permission: each document whose merge would
     * change what we hold is first judged by {@link Principal#mayApply} on our state before and the merged state
     * after, in the same transaction; a change the remote may not make is left out alone (we keep our state) and
     * reported in {@link ApplyResult#denied()}, and the rest of the batch and the checkpoint are applied as usual.
     * The default refuses a restricted principal outright (a store that cannot check must not merge); an
     * unrestricted one is exactly {@link #apply(long, List, Checkpoint)}.
     */
    default ApplyResult apply(long fromPeer, List<Doc> docs, @Nullable Checkpoint checkpoint, Principal remote) {
        if (remote.unrestricted()) return apply(fromPeer, docs, checkpoint);
        throw new UnsupportedOperationException("this store cannot check a remote's write permission");
    }

    /** The checkpoint stored for a sender, or null. */
    @Nullable
    Checkpoint checkpoint(long senderPeerId);

    /** Evicts local copies (ZOMBIES): no tombstone, local only. */
    void evict(List<DocRef> docs);

    /** The tombstone horizon (an HLC value; 0 when no tombstone was ever purged). */
    long tombstoneHorizon();

    /** One changed row, as storage returns it. {@code group} is the sequence that started its transaction. */
    record Row(long sequence, long group, String collection, byte[] id, boolean live, byte[] state) {}

    /** A document state received from a peer. Equality compares contents. */
    record Doc(String collection, byte[] id, byte[] state) {
        public Doc {
            Objects.requireNonNull(collection, "collection");
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(state, "state");
        }

        public DocRef ref() {
            return new DocRef(collection, id);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Doc d
                    && collection.equals(d.collection)
                    && Arrays.equals(id, d.id)
                    && Arrays.equals(state, d.state);
        }

        @Override
        public int hashCode() {
            return (collection.hashCode() * 31 + Arrays.hashCode(id)) * 31 + Arrays.hashCode(state);
        }

        @Override
        public String toString() {
            return "Doc[" + collection + "/" + Hex.of(id) + ", " + state.length + " bytes]";
        }
    }

    /** A document reference. Equality compares contents, so it can key maps. */
    record DocRef(String collection, byte[] id) {
        public DocRef {
            Objects.requireNonNull(collection, "collection");
            Objects.requireNonNull(id, "id");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof DocRef d && collection.equals(d.collection) && Arrays.equals(id, d.id);
        }

        @Override
        public int hashCode() {
            return collection.hashCode() * 31 + Arrays.hashCode(id);
        }

        @Override
        public String toString() {
            return collection + "/" + Hex.of(id);
        }
    }

    /**
     * What {@link #apply} reports besides success. {@code denied}: changes the remote's write permission does not
     * allow, left out (never merged, so never relayed).
     */
    record ApplyResult(List<DocRef> zombies, List<DocRef> behind, List<Refusal> refused, List<DocRef> denied) {
        public ApplyResult {
            zombies = List.copyOf(zombies);
            behind = List.copyOf(behind);
            refused = List.copyOf(refused);
            denied = List.copyOf(denied);
        }

        /** Nothing denied (a store applying for an unrestricted remote). */
        public ApplyResult(List<DocRef> zombies, List<DocRef> behind, List<Refusal> refused) {
            this(zombies, behind, refused, List.of());
        }
    }

    /** A received document the store refused, and why (for logs: names the problem, not the content). */
    record Refusal(DocRef doc, String reason) {
        public Refusal {
            Objects.requireNonNull(doc, "doc");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * What a receiver has of one sender: everything up to {@code sequence} of the sender's store
     * {@code incarnation}, for the subscriptions whose keys are in {@code covered}.
     */
    record Checkpoint(long incarnation, long sequence, Set<SubscriptionKey> covered) {
        public Checkpoint {
            covered = Set.copyOf(covered);
        }
    }

    /**
     * The local store cannot take writes now: no space is left. The session closes with
     * {@link SyncSession#STORE_FULL}; nothing of the remote's data is lost (what was not applied is not
     * acknowledged, and is sent again by a later session), and peers reconnect slowly until space is freed.
     */
    final class StoreFullException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public StoreFullException(String message) {
            super(message);
        }
    }

    /** The store refused remote data as a whole, for now (clock drift). */
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
