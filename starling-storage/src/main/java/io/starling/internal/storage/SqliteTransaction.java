package io.starling.internal.storage;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A read or write transaction of {@link SqliteStorage}, bound to one session, one thread and one callback.
 *
 * <p>Not thread-safe, by contract: every method checks that it runs on the thread that started the
 * transaction and before the callback returned, and throws {@link IllegalStateException} otherwise. A read
 * transaction implements {@link DocumentStorage.WriteTx} too but refuses every write.
 *
 * <p>The sequence counter of a write transaction starts at the storage's last assigned number; the storage
 * adopts the final value only once the commit succeeded, so a rollback needs no undo.
 */
final class SqliteTransaction implements DocumentStorage.WriteTx {
    private final SqliteSession session;
    private final boolean writable;
    private final Thread owner = Thread.currentThread();
    private boolean active = true;
    /** Scans whose visitor is running: the store must not change under an open cursor. */
    private int openScans;
    /** A write operation was called. */
    private boolean modified;

    private long lastSequence;
    /** The first sequence number this transaction takes: the group of every row it writes. */
    private final long group;

    SqliteTransaction(SqliteSession session, boolean writable, long lastSequence) {
        this.session = session;
        this.writable = writable;
        this.lastSequence = lastSequence;
        this.group = lastSequence + 1;
    }

    /** The session (tests reach the raw connection through it to make a commit fail). */
    SqliteSession session() {
        return session;
    }

    /** Ends the transaction's validity; later calls on it throw. */
    void end() {
        active = false;
    }

    private void checkUsable() {
        if (!active) {
            throw new IllegalStateException("transaction used after its callback returned");
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("transaction of thread " + owner.getName() + " used from thread "
                    + Thread.currentThread().getName());
        }
    }

    private void checkWritable() {
        checkUsable();
        if (!writable) {
            throw new IllegalStateException("read transaction: writes are not allowed");
        }
        if (openScans > 0) {
            throw new IllegalStateException(
                    "cannot modify the store from inside a scan, changesSince or scanIndex visitor");
        }
        modified = true;
    }

    /** Whether a write operation was called (so a commit of this transaction wrote to the file). */
    boolean modified() {
        return modified;
    }

    @Override
    public DocumentStorage.@Nullable Row get(String collection, byte[] id) {
        checkUsable();
        return session.get(Objects.requireNonNull(collection, "collection"), Objects.requireNonNull(id, "id"));
    }

    @Override
    public void scanAfter(
            String collection, byte @Nullable [] afterId, boolean liveOnly, DocumentStorage.RowVisitor visitor) {
        checkUsable();
        Objects.requireNonNull(collection, "collection");
        Objects.requireNonNull(visitor, "visitor");
        openScans++;
        try {
            session.scan(collection, afterId, liveOnly, visitor);
        } finally {
            openScans--;
        }
    }

    @Override
    public void scanStates(String collection, DocumentStorage.StateVisitor visitor) {
        scanStates(collection, List.of(), () -> {}, visitor);
    }

    /**
     * Tests the longest of the runs in the database (one {@code instr} per row, as before several runs were handed
     * over), and leaves the others to the visitor.
     */
    @Override
    public void scanStates(
            String collection, List<byte[]> contained, Runnable poll, DocumentStorage.StateVisitor visitor) {
        checkUsable();
        Objects.requireNonNull(collection, "collection");
        Objects.requireNonNull(contained, "contained");
        Objects.requireNonNull(poll, "poll");
        Objects.requireNonNull(visitor, "visitor");
        byte[] longest = new byte[0];
        for (byte[] run : contained) {
            if (run.length > longest.length) longest = run;
        }
        openScans++;
        try {
            session.scanStates(collection, longest, poll, visitor);
        } finally {
            openScans--;
        }
    }

    @Override
    public void scanRange(
            String collection,
            byte @Nullable [] fromInclusive,
            byte @Nullable [] toExclusive,
            boolean reverse,
            boolean liveOnly,
            DocumentStorage.RowVisitor visitor) {
        checkUsable();
        Objects.requireNonNull(collection, "collection");
        Objects.requireNonNull(visitor, "visitor");
        openScans++;
        try {
            session.scanRange(collection, fromInclusive, toExclusive, reverse, liveOnly, visitor);
        } finally {
            openScans--;
        }
    }

    @Override
    public void changesSince(long after, int limit, DocumentStorage.RowVisitor visitor) {
        checkUsable();
        Objects.requireNonNull(visitor, "visitor");
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0, got " + limit);
        }
        openScans++;
        try {
            session.changesSince(after, limit, visitor);
        } finally {
            openScans--;
        }
    }

    @Override
    public List<String> collections() {
        checkUsable();
        return session.collections();
    }

    @Override
    public long countLive(String collection) {
        checkUsable();
        return session.countLive(Objects.requireNonNull(collection, "collection"));
    }

    @Override
    public long lastSequence() {
        checkUsable();
        return lastSequence;
    }

    /** The counter without the usability check, for the storage's commit. */
    long sequenceForCommit() {
        return lastSequence;
    }

    @Override
    public byte @Nullable [] meta(String key) {
        checkUsable();
        DocumentStorage.checkMetaKey(key);
        return session.meta(key);
    }

    @Override
    public void scanIndex(
            String index,
            byte @Nullable [] fromInclusive,
            byte @Nullable [] toExclusive,
            boolean reverse,
            DocumentStorage.IndexVisitor visitor) {
        checkUsable();
        Objects.requireNonNull(index, "index");
        Objects.requireNonNull(visitor, "visitor");
        openScans++;
        try {
            session.scanIndex(index, fromInclusive, toExclusive, reverse, visitor);
        } finally {
            openScans--;
        }
    }

    @Override
    public long insertIfAbsent(String collection, byte[] id, boolean live, byte[] state) {
        checkWritable();
        long seq = lastSequence + 1;
        if (!session.insertIfAbsent(
                seq,
                group,
                Objects.requireNonNull(collection, "collection"),
                Objects.requireNonNull(id, "id"),
                live,
                Objects.requireNonNull(state, "state"))) {
            return -1;
        }
        lastSequence = seq;
        return seq;
    }

    @Override
    public long[] insertAllIfAbsent(String collection, List<byte[]> ids, boolean live, List<byte[]> states) {
        checkWritable();
        Objects.requireNonNull(collection, "collection");
        if (ids.size() != states.size()) throw new IllegalArgumentException("ids and states differ in length");
        long[] seqs = session.insertAllIfAbsent(lastSequence + 1, group, collection, ids, live, states);
        for (long seq : seqs) if (seq > lastSequence) lastSequence = seq;
        return seqs;
    }

    @Override
    public long put(String collection, byte[] id, boolean live, byte[] state) {
        checkWritable();
        long seq = lastSequence + 1;
        session.put(
                seq,
                group,
                Objects.requireNonNull(collection, "collection"),
                Objects.requireNonNull(id, "id"),
                live,
                Objects.requireNonNull(state, "state"));
        lastSequence = seq;
        return seq;
    }

    @Override
    public boolean remove(String collection, byte[] id) {
        checkWritable();
        return session.remove(Objects.requireNonNull(collection, "collection"), Objects.requireNonNull(id, "id"));
    }

    @Override
    public void putMeta(String key, byte[] value) {
        checkWritable();
        DocumentStorage.checkMetaKey(key);
        session.putMeta(key, Objects.requireNonNull(value, "value"));
    }

    @Override
    public void putIndexEntry(String index, byte[] key, byte[] id) {
        checkWritable();
        session.putIndexEntry(
                Objects.requireNonNull(index, "index"),
                Objects.requireNonNull(key, "key"),
                Objects.requireNonNull(id, "id"));
    }

    @Override
    public void putIndexEntries(String index, List<byte[]> keys, List<byte[]> ids) {
        checkWritable();
        Objects.requireNonNull(index, "index");
        if (keys.size() != ids.size()) throw new IllegalArgumentException("keys and ids differ in length");
        session.putIndexEntries(index, keys, ids);
    }

    @Override
    public void removeIndexEntry(String index, byte[] key, byte[] id) {
        checkWritable();
        session.removeIndexEntry(
                Objects.requireNonNull(index, "index"),
                Objects.requireNonNull(key, "key"),
                Objects.requireNonNull(id, "id"));
    }

    @Override
    public void dropIndex(String index) {
        checkWritable();
        session.dropIndex(Objects.requireNonNull(index, "index"));
    }
}
