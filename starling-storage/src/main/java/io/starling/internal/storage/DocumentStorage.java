package io.starling.internal.storage;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The storage SPI: durable rows of (collection, id, state) with a per-store change sequence, plus a small
 * key/value meta area. It knows nothing of documents, CRDTs or DQL: ids and states are opaque bytes
 * produced by the layers above.
 *
 * <p>Concurrency: one writer at a time ({@link #write} blocks while another write runs); any number of
 * readers ({@link #read}) run concurrently with each other and with the writer, each on a consistent
 * snapshot. Implementations are thread-safe. A transaction object is valid only inside its callback and
 * only on the calling thread.
 *
 * <p>Change sequence: every row written by {@link WriteTx#put} or {@link WriteTx#insertIfAbsent} gets the
 * next number of one per-store sequence that never goes backwards, across restarts too, even when the
 * row holding the highest number is later removed. Numbers of a rolled-back transaction may be reused.
 *
 * <p>Index entries: besides rows, the storage keeps secondary index entries, sets of (key, id) byte pairs per
 * index name, ordered by unsigned bytes. The layers above choose the names and encode the keys so that byte order
 * is the order they need; the storage only stores, orders and range-scans them. Entries are written in the same
 * transactions as rows (they commit, roll back and are seen by snapshots together) and consume no sequence number.
 *
 * <p>Misuse fails fast with {@link IllegalStateException}: a transaction used after its callback returned
 * or from another thread; {@link #write} called from inside a read or write callback on the same thread (writes
 * do not nest, and a write inside a read could deadlock with a writer waiting for a reader; a read inside a
 * write is fine and sees the last committed state); a row or index entry modified from inside a
 * {@link ReadTx#scan}, {@link ReadTx#changesSince} or {@link ReadTx#scanIndex} visitor of the same transaction
 * (collect first, then write); {@link #close} called from inside a callback. Null arguments throw
 * {@link NullPointerException} (except the bounds of {@link ReadTx#scanIndex}, where null means unbounded). Byte
 * arrays are copied in and out: callers may reuse theirs.
 *
 * <p>After {@link #close}, {@link #read} and {@link #write} throw {@link StorageException} with code
 * {@link StorageException.Code#CLOSED}.
 */
public interface DocumentStorage extends AutoCloseable {

    /**
     * Meta keys starting with this prefix belong to the storage implementation (format marker, schema
     * version, last sequence); {@link ReadTx#meta} and {@link WriteTx#putMeta} reject them with
     * {@link IllegalArgumentException}.
     */
    String RESERVED_META_PREFIX = "storage.";

    /**
     * Checks a meta key an engine passes: not null and not under {@link #RESERVED_META_PREFIX}. Every implementation
     * calls it before reading or writing a meta value.
     *
     * @throws IllegalArgumentException for a reserved key
     */
    static void checkMetaKey(String key) {
        java.util.Objects.requireNonNull(key, "key");
        if (key.startsWith(RESERVED_META_PREFIX)) {
            throw new IllegalArgumentException("meta key '" + key + "' is reserved: keys starting with '"
                    + RESERVED_META_PREFIX + "' belong to the storage");
        }
    }

    /**
     * Runs {@code work} in an exclusive write transaction. Commits when it returns (durably, as the
     * storage's durability option says) and rolls back when it throws; the exception propagates unchanged.
     *
     * <p>A transaction in which a storage operation failed (a {@link StorageException} was thrown by one of its
     * calls) can only roll back: later calls on it throw that failure again, and if {@code work} returns anyway,
     * nothing is committed and the failure is thrown. Whatever failed, the next write starts afresh.
     *
     * @throws StorageException for storage failures (the transaction is rolled back)
     */
    <T> T write(WriteWork<T> work);

    /** Runs {@code work} on a consistent snapshot. */
    <T> T read(ReadWork<T> work);

    /**
     * Why writes are failing, for health checks: the failure of the last write transaction if it failed for a
     * condition of the storage itself — no space left ({@link StorageException.Code#FULL}), an I/O error or a file
     * that cannot be written ({@link StorageException.Code#IO}), damage ({@link StorageException.Code#CORRUPT}) —
     * until a later write transaction commits a change; null while writes succeed. Cheap (no I/O), thread-safe.
     */
    default @Nullable StorageException writeFailure() {
        return null;
    }

    /**
     * Where the nodes of a shared storage keep attachment blobs for each other, or null (the default: a storage of
     * one instance, whose blobs are files beside it).
     */
    default @Nullable SharedBlobs sharedBlobs() {
        return null;
    }

    /**
     * Starts telling {@code wake} when another instance on this shared storage has committed, or returns null (the
     * default) when the storage has no such signal: the engine then finds other instances' commits only by reading
     * {@link ReadTx#lastSequence} every so often.
     *
     * <p>{@code wake} runs on a thread of the storage, must return quickly and may be called spuriously: it only says
     * "look at the log now"; what changed is read from the log. It is called once more each time the signal starts
     * listening again after it stopped (a dropped connection), since commits made meanwhile were not signalled.
     * Notifications that arrive in a burst may be given as one call. At most one signal per instance.
     *
     * @throws IllegalStateException if a signal was already started on this instance
     */
    default @Nullable CommitSignal commitSignal(Runnable wake) {
        return null;
    }

    /** A running {@link #commitSignal}. */
    interface CommitSignal extends AutoCloseable {
        /**
         * Whether commits are being signalled now: false while the signal is (re)connecting, when a commit of another
         * instance may go unsignalled (the engine then reads the log often, as without a signal).
         */
        boolean listening();

        /** Stops the signal (and its thread). Idempotent. */
        @Override
        void close();
    }

    /** Closes connections and releases the directory lock. Idempotent. */
    @Override
    void close();

    @FunctionalInterface
    interface WriteWork<T> {
        T run(WriteTx tx);
    }

    @FunctionalInterface
    interface ReadWork<T> {
        T run(ReadTx tx);
    }

    /**
     * One stored row. {@code live} is false for a tombstone (a deleted document kept for sync). {@code group}
     * is the first sequence number taken by the write transaction that wrote the row, so that rows written
     * together can be recognised (and kept together by sync); it equals {@code sequence} for the first row
     * of a transaction and for rows written before schema version 3.
     */
    record Row(String collection, byte[] id, long sequence, boolean live, byte[] state, long group) {
        /** A row that is the first (or only) of its group. */
        public Row(String collection, byte[] id, long sequence, boolean live, byte[] state) {
            this(collection, id, sequence, live, state, sequence);
        }
    }

    /** Receives rows of a scan; returns false to stop early. */
    @FunctionalInterface
    interface RowVisitor {
        boolean visit(Row row);
    }

    /** Receives the entries of an index scan (fresh arrays the visitor may keep); returns false to stop early. */
    @FunctionalInterface
    interface IndexVisitor {
        boolean visit(byte[] key, byte[] id);
    }

    /** The row a {@link StateVisitor} is visiting: readable only while the visit runs. */
    @FunctionalInterface
    interface CurrentRow {
        /** The whole row (read on the first call, the same row after). */
        Row row();
    }

    /**
     * Receives the states of a {@link ReadTx#scanStates}, and the row each belongs to, to read only for the states it
     * keeps; returns false to stop early.
     */
    @FunctionalInterface
    interface StateVisitor {
        boolean visit(byte[] state, CurrentRow current);
    }

    interface ReadTx {
        /** The row, or null. */
        @Nullable
        Row get(String collection, byte[] id);

        /**
         * Visits the rows of one collection in ascending unsigned-byte order of id.
         *
         * @param liveOnly when true, tombstones are skipped cheaply (without reading their state)
         */
        default void scan(String collection, boolean liveOnly, RowVisitor visitor) {
            scanAfter(collection, null, liveOnly, visitor);
        }

        /**
         * Visits the live rows of one collection as {@link #scan} does, but hands the visitor each state alone, and
         * reads the rest of a row (its id and sequence) only when the visitor asks for it: a scan that tests every
         * state and keeps few reads less per row. The default reads whole rows.
         */
        default void scanStates(String collection, StateVisitor visitor) {
            scan(collection, true, row -> visitor.visit(row.state(), () -> row));
        }

        /**
         * As {@link #scanStates(String, StateVisitor)}, with a hint: the caller keeps only states that contain each of
         * the runs of bytes in {@code contained}, so a store may leave out, without reading them, the rows whose state
         * lacks one (SQLite tests the longest run in the database, PostgreSQL every run, which saves copying the state
         * out). A store may also hand over every live row, as the default does: the visitor tests each state itself.
         * An empty run is in every state, and so is every run of an empty list.
         *
         * @param poll called now and then while the store reads rows it leaves out, where the visitor cannot stop the
         *     scan: what it throws ends the scan and is thrown by this method
         */
        default void scanStates(String collection, List<byte[]> contained, Runnable poll, StateVisitor visitor) {
            scanStates(collection, visitor);
        }

        /**
         * Like {@link #scan} but starting after {@code afterId} (exclusive; null = from the start): a scan
         * that resumes where a previous one stopped, as sync backfills do in chunks.
         */
        void scanAfter(String collection, byte @Nullable [] afterId, boolean liveOnly, RowVisitor visitor);

        /**
         * Visits the rows of one collection with {@code fromInclusive <= id < toExclusive} in ascending unsigned-byte
         * order of id, or descending when {@code reverse}. A null bound is unbounded; a range with
         * {@code fromInclusive >= toExclusive} is empty. Costs one seek plus a step per visited row, in either
         * direction: this is how a query reads a range of ids (keyset paging) without reading the rows before it.
         *
         * @param liveOnly when true, tombstones are skipped cheaply (without reading their state)
         */
        void scanRange(
                String collection,
                byte @Nullable [] fromInclusive,
                byte @Nullable [] toExclusive,
                boolean reverse,
                boolean liveOnly,
                RowVisitor visitor);

        /**
         * Rows of every collection with sequence greater than {@code after}, ascending, at most {@code limit}
         * ({@code limit >= 0}).
         */
        void changesSince(long after, int limit, RowVisitor visitor);

        /**
         * Names of the collections holding at least one row (live or tombstone), sorted by Unicode code point
         * (which is the byte order of their UTF-8 form, SQLite's BINARY collation).
         */
        List<String> collections();

        /** Number of live rows in the collection. */
        long countLive(String collection);

        /**
         * The highest sequence number ever assigned as this transaction sees it: the read's snapshot, or the
         * write's own numbers included (0 for a new store).
         */
        long lastSequence();

        /** A meta value, or null. See {@link DocumentStorage#RESERVED_META_PREFIX}. */
        byte @Nullable [] meta(String key);

        /**
         * Visits the entries of one index with {@code fromInclusive <= key < toExclusive} in unsigned byte order,
         * ascending by (key, id), or descending by (key, id) when {@code reverse}. A null bound is unbounded; a
         * range with {@code fromInclusive >= toExclusive} is empty. An unknown index has no entries. Costs one
         * seek plus a step per visited entry, in either direction.
         *
         * @param index the index name (opaque to the storage)
         * @param visitor receives each entry; returns false to stop
         */
        void scanIndex(
                String index,
                byte @Nullable [] fromInclusive,
                byte @Nullable [] toExclusive,
                boolean reverse,
                IndexVisitor visitor);
    }

    interface WriteTx extends ReadTx {
        /**
         * Inserts a row if (collection, id) has none, giving it the next sequence number.
         *
         * @return the sequence number, or -1 if a row exists (nothing is written)
         */
        long insertIfAbsent(String collection, byte[] id, boolean live, byte[] state);

        /**
         * {@link #insertIfAbsent} for many rows of one collection at once, in order; the SQLite implementation
         * sends them as one batch, which costs about half as much per row. A row whose id exists (in the
         * store, or earlier in the same batch) is skipped. Sequence numbers increase in row order; the SQLite
         * implementation may leave unused the numbers of skipped rows.
         *
         * @return per row, its sequence number or -1 if it was skipped
         */
        default long[] insertAllIfAbsent(String collection, List<byte[]> ids, boolean live, List<byte[]> states) {
            if (ids.size() != states.size()) throw new IllegalArgumentException("ids and states differ in length");
            long[] seqs = new long[ids.size()];
            for (int i = 0; i < seqs.length; i++) seqs[i] = insertIfAbsent(collection, ids.get(i), live, states.get(i));
            return seqs;
        }

        /** Inserts or replaces the row, giving it the next sequence number, which is returned. */
        long put(String collection, byte[] id, boolean live, byte[] state);

        /** Removes the row (EVICT). Does not consume a sequence number. Returns whether a row existed. */
        boolean remove(String collection, byte[] id);

        /** Sets a meta value (not null). See {@link DocumentStorage#RESERVED_META_PREFIX}. */
        void putMeta(String key, byte[] value);

        /** Adds the entry (key, id) to the index; a no-op when it is there already. Consumes no sequence number. */
        void putIndexEntry(String index, byte[] key, byte[] id);

        /**
         * {@link #putIndexEntry} for many entries of one index at once ({@code keys.get(i)} with {@code ids.get(i)});
         * the SQLite implementation sends them as one batch, which saves the per-call overhead (measured in
         * docs/STORAGE.md).
         */
        default void putIndexEntries(String index, List<byte[]> keys, List<byte[]> ids) {
            if (keys.size() != ids.size()) throw new IllegalArgumentException("keys and ids differ in length");
            for (int i = 0; i < keys.size(); i++) putIndexEntry(index, keys.get(i), ids.get(i));
        }

        /** Removes the entry (key, id) from the index; a no-op when it is absent. */
        void removeIndexEntry(String index, byte[] key, byte[] id);

        /**
         * Removes every entry of the index (a no-op for an unknown index). Costs a step per entry: for a large index,
         * this is a large transaction.
         */
        void dropIndex(String index);
    }
}
