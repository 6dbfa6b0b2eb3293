package io.starling.internal.storage;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * {@link DocumentStorage} in memory, for tests and the deterministic simulator: the same contract and the same
 * sequence numbers as {@link SqliteStorage}, nothing persisted. Index entries live in one persistent sorted set per
 * index name, part of the same snapshot as the rows.
 *
 * <p>The committed state is one immutable snapshot of {@link PersistentSortedMap}s. A read takes the current one
 * and needs no lock; a write builds new versions from it under a fair lock and publishes them on success, so a
 * rollback is simply not publishing and a reader never sees a half-done write. Point operations cost
 * {@code O(log n)}, scans {@code O(log n)} plus the rows visited; byte arrays are copied in and out.
 *
 * <p>Thread-safe. Starts no threads and reads no clock: driven from one thread it is fully deterministic.
 */
public final class InMemoryStorage implements DocumentStorage {

    /** Collections compare by code point, the order SQLite's BINARY collation gives their UTF-8 bytes. */
    private static final Comparator<String> CODE_POINT_ORDER = InMemoryStorage::compareCodePoints;

    private static final Comparator<Key> KEY_ORDER = (a, b) -> {
        int c = compareCodePoints(a.collection, b.collection);
        return c != 0 ? c : Arrays.compareUnsigned(a.id, b.id);
    };

    private final ReentrantLock writeLock = new ReentrantLock(true);
    /** Read callbacks running on each thread, to refuse write() from inside one like SqliteStorage does. */
    private final ThreadLocal<int[]> readDepth = ThreadLocal.withInitial(() -> new int[1]);

    private volatile Snapshot committed = Snapshot.EMPTY;
    private volatile boolean closed;

    public InMemoryStorage() {}

    @Override
    public <T> T write(WriteWork<T> work) {
        return write(0, work);
    }

    /**
     * A write transaction whose rows take the numbers {@code first}, {@code first + 1}, … rather than the numbers
     * above the highest committed one: numbers that need not follow commit order, as a database {@code SEQUENCE}
     * whose sessions cache blocks of numbers hands them out. Only for the deterministic simulator, which plants this
     * to show that a reader trusting the highest number it has seen then skips rows; a number already taken is
     * refused with {@link IllegalStateException}.
     */
    public <T> T writeNumberedFrom(long first, WriteWork<T> work) {
        if (first <= 0) throw new IllegalArgumentException("first sequence number " + first + " is not positive");
        return write(first, work);
    }

    private <T> T write(long numberedFrom, WriteWork<T> work) {
        Objects.requireNonNull(work, "work");
        if (writeLock.isHeldByCurrentThread()) {
            throw new IllegalStateException("write() called from inside a write transaction: writes do not nest");
        }
        if (readDepth.get()[0] > 0) {
            throw new IllegalStateException("write() called from inside a read transaction");
        }
        ensureOpen();
        writeLock.lock();
        try {
            ensureOpen();
            Transaction tx = new Transaction(committed, true, numberedFrom);
            T result;
            try {
                result = work.run(tx);
            } finally {
                tx.active = false;
            }
            committed = tx.state;
            return result;
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public <T> T read(ReadWork<T> work) {
        Objects.requireNonNull(work, "work");
        ensureOpen();
        Transaction tx = new Transaction(committed, false, 0);
        int[] depth = readDepth.get();
        depth[0]++;
        try {
            return work.run(tx);
        } finally {
            depth[0]--;
            tx.active = false;
        }
    }

    /** Waits for a running write; later calls fail with {@code CLOSED}. Idempotent. */
    @Override
    @SuppressWarnings("LockNotBeforeTry") // lock() then unlock() at once: waits for the running write to end
    public void close() {
        if (writeLock.isHeldByCurrentThread()) {
            throw new IllegalStateException("close() called from inside a write transaction");
        }
        if (readDepth.get()[0] > 0) {
            throw new IllegalStateException("close() called from inside a read transaction");
        }
        closed = true;
        writeLock.lock();
        writeLock.unlock();
    }

    private void ensureOpen() {
        if (closed) {
            throw new StorageException(StorageException.Code.CLOSED, "in-memory storage is closed");
        }
    }

    @Override
    public String toString() {
        return "InMemoryStorage{" + (closed ? "closed" : committed.rows.size() + " rows") + "}";
    }

    /** Code point order; equals UTF-16 order except that supplementary characters sort above U+E000..U+FFFF. */
    static int compareCodePoints(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y) {
                if (x >= Character.MIN_SURROGATE && y >= Character.MIN_SURROGATE) {
                    return rankAboveSurrogates(x) - rankAboveSurrogates(y);
                }
                return x - y;
            }
        }
        return a.length() - b.length();
    }

    /** Moves surrogates (D800..DFFF) above E000..FFFF, keeping each range's internal order. */
    private static int rankAboveSurrogates(char c) {
        return c >= 0xE000 ? c - 0x800 : c + 0x2000;
    }

    /** A row's key. {@code id} is owned by the storage and never exposed. */
    private static final class Key {
        final String collection;
        final byte[] id;

        Key(String collection, byte[] id) {
            this.collection = collection;
            this.id = id;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.collection.equals(collection) && Arrays.equals(k.id, id);
        }

        @Override
        public int hashCode() {
            return 31 * collection.hashCode() + Arrays.hashCode(id);
        }
    }

    /** Rows and live rows of one collection. */
    private record Counts(long rows, long live) {}

    /** An index entry; both arrays are owned by the storage and never exposed. */
    private static final class Entry {
        static final byte[] NO_ID = new byte[0];

        final byte[] key;
        final byte[] id;

        Entry(byte[] key, byte[] id) {
            this.key = key;
            this.id = id;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e && Arrays.equals(e.key, key) && Arrays.equals(e.id, id);
        }

        @Override
        public int hashCode() {
            // content-based, so that the treap's shape (priorities come from hash codes) is deterministic
            return 31 * Arrays.hashCode(key) + Arrays.hashCode(id);
        }
    }

    /** By key, then id, as unsigned bytes. */
    private static final Comparator<Entry> ENTRY_ORDER = (a, b) -> {
        int c = Arrays.compareUnsigned(a.key, b.key);
        return c != 0 ? c : Arrays.compareUnsigned(a.id, b.id);
    };

    /** The entries of one index; the value is a placeholder (the map is a set). */
    private static final PersistentSortedMap<Entry, Boolean> NO_ENTRIES = PersistentSortedMap.empty(ENTRY_ORDER);

    /** One committed version of the whole store. */
    private record Snapshot(
            PersistentSortedMap<Key, Row> rows,
            PersistentSortedMap<Long, Key> bySequence,
            PersistentSortedMap<String, Counts> counts,
            PersistentSortedMap<String, byte[]> meta,
            PersistentSortedMap<String, PersistentSortedMap<Entry, Boolean>> indexes,
            long lastSequence) {
        static final Snapshot EMPTY = new Snapshot(
                PersistentSortedMap.empty(KEY_ORDER),
                PersistentSortedMap.empty(Comparator.naturalOrder()),
                PersistentSortedMap.empty(CODE_POINT_ORDER),
                PersistentSortedMap.empty(Comparator.naturalOrder()),
                PersistentSortedMap.empty(Comparator.naturalOrder()),
                0);

        Snapshot withIndexes(PersistentSortedMap<String, PersistentSortedMap<Entry, Boolean>> newIndexes) {
            return new Snapshot(rows, bySequence, counts, meta, newIndexes, lastSequence);
        }
    }

    private static Row copy(Row row) {
        return new Row(
                row.collection(),
                row.id().clone(),
                row.sequence(),
                row.live(),
                row.state().clone(),
                row.group());
    }

    /**
     * A read or write transaction: reads {@link #state}, and a write replaces it with new versions. Bound to its
     * thread and callback like {@link SqliteTransaction}.
     */
    private static final class Transaction implements WriteTx {
        private final boolean writable;
        private final Thread owner = Thread.currentThread();
        boolean active = true;
        private int openScans;
        Snapshot state;
        /** The first sequence number this transaction takes: the group of every row it writes. */
        private final long group;
        /** The next number a row takes when the caller chose the numbers (writeNumberedFrom), else 0. */
        private long chosen;

        Transaction(Snapshot state, boolean writable, long numberedFrom) {
            this.state = state;
            this.writable = writable;
            this.group = numberedFrom > 0 ? numberedFrom : state.lastSequence + 1;
            this.chosen = numberedFrom;
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
        }

        @Override
        public @Nullable Row get(String collection, byte[] id) {
            checkUsable();
            Row row = state.rows.get(
                    new Key(Objects.requireNonNull(collection, "collection"), Objects.requireNonNull(id, "id")));
            return row == null ? null : copy(row);
        }

        @Override
        public void scanAfter(String collection, byte @Nullable [] afterId, boolean liveOnly, RowVisitor visitor) {
            checkUsable();
            Objects.requireNonNull(collection, "collection");
            Objects.requireNonNull(visitor, "visitor");
            openScans++;
            try {
                Key from = new Key(collection, afterId == null ? new byte[0] : afterId.clone());
                state.rows.forEachFrom(from, afterId == null, (key, row) -> {
                    if (!key.collection.equals(collection)) {
                        return false;
                    }
                    return (liveOnly && !row.live()) || visitor.visit(copy(row));
                });
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
                RowVisitor visitor) {
            checkUsable();
            Objects.requireNonNull(collection, "collection");
            Objects.requireNonNull(visitor, "visitor");
            openScans++;
            try {
                // (collection, empty id) is the first key of the collection: every id is >= the empty one
                Key low = new Key(collection, fromInclusive == null ? new byte[0] : fromInclusive.clone());
                if (!reverse) {
                    state.rows.forEachFrom(low, true, (key, row) -> {
                        if (!key.collection.equals(collection)) return false;
                        if (toExclusive != null && Arrays.compareUnsigned(key.id, toExclusive) >= 0) return false;
                        return (liveOnly && !row.live()) || visitor.visit(copy(row));
                    });
                } else {
                    // below (collection, to) are exactly the ids < to; without a bound, start past the collection
                    Key high = toExclusive != null
                            ? new Key(collection, toExclusive.clone())
                            : new Key(collection + "\0", new byte[0]);
                    state.rows.forEachDescendingFrom(high, false, (key, row) -> {
                        if (!key.collection.equals(collection)) return false;
                        if (Arrays.compareUnsigned(key.id, low.id) < 0) return false;
                        return (liveOnly && !row.live()) || visitor.visit(copy(row));
                    });
                }
            } finally {
                openScans--;
            }
        }

        @Override
        public void changesSince(long after, int limit, RowVisitor visitor) {
            checkUsable();
            Objects.requireNonNull(visitor, "visitor");
            if (limit < 0) {
                throw new IllegalArgumentException("limit must be >= 0, got " + limit);
            }
            if (limit == 0) {
                return;
            }
            openScans++;
            try {
                int[] visited = {0};
                state.bySequence.forEachFrom(
                        after,
                        false,
                        (seq, key) -> visitor.visit(copy(Objects.requireNonNull(state.rows.get(key))))
                                && ++visited[0] < limit);
            } finally {
                openScans--;
            }
        }

        @Override
        public List<String> collections() {
            checkUsable();
            List<String> names = new ArrayList<>(state.counts.size());
            state.counts.forEachFrom(null, true, (name, counts) -> names.add(name));
            return names;
        }

        @Override
        public long countLive(String collection) {
            checkUsable();
            Counts counts = state.counts.get(Objects.requireNonNull(collection, "collection"));
            return counts == null ? 0 : counts.live();
        }

        @Override
        public long lastSequence() {
            checkUsable();
            return state.lastSequence;
        }

        @Override
        public byte @Nullable [] meta(String key) {
            checkUsable();
            DocumentStorage.checkMetaKey(key);
            byte[] value = state.meta.get(key);
            return value == null ? null : value.clone();
        }

        @Override
        public void scanIndex(
                String index,
                byte @Nullable [] fromInclusive,
                byte @Nullable [] toExclusive,
                boolean reverse,
                IndexVisitor visitor) {
            checkUsable();
            Objects.requireNonNull(index, "index");
            Objects.requireNonNull(visitor, "visitor");
            PersistentSortedMap<Entry, Boolean> entries = state.indexes.get(index);
            if (entries == null) {
                return;
            }
            openScans++;
            try {
                if (!reverse) {
                    // (from, no id) is the first entry whose key is >= from: the empty id sorts first
                    Entry start = fromInclusive == null ? null : new Entry(fromInclusive, Entry.NO_ID);
                    entries.forEachFrom(
                            start,
                            true,
                            (e, unused) -> (toExclusive == null || Arrays.compareUnsigned(e.key, toExclusive) < 0)
                                    && visitor.visit(e.key.clone(), e.id.clone()));
                } else {
                    // entries below (to, no id) are exactly those whose key is < to
                    Entry start = toExclusive == null ? null : new Entry(toExclusive, Entry.NO_ID);
                    entries.forEachDescendingFrom(
                            start,
                            false,
                            (e, unused) -> (fromInclusive == null || Arrays.compareUnsigned(e.key, fromInclusive) >= 0)
                                    && visitor.visit(e.key.clone(), e.id.clone()));
                }
            } finally {
                openScans--;
            }
        }

        @Override
        public long insertIfAbsent(String collection, byte[] id, boolean live, byte[] state) {
            checkWritable();
            Key key = new Key(Objects.requireNonNull(collection, "collection"), Objects.requireNonNull(id, "id"));
            Objects.requireNonNull(state, "state");
            if (this.state.rows.get(key) != null) {
                return -1;
            }
            return store(key, null, live, state);
        }

        @Override
        public long put(String collection, byte[] id, boolean live, byte[] state) {
            checkWritable();
            Key key = new Key(Objects.requireNonNull(collection, "collection"), Objects.requireNonNull(id, "id"));
            Objects.requireNonNull(state, "state");
            return store(key, this.state.rows.get(key), live, state);
        }

        private long store(Key callerKey, @Nullable Row old, boolean live, byte[] value) {
            Snapshot s = state;
            long seq = chosen > 0 ? chosen++ : s.lastSequence + 1;
            if (s.bySequence.get(seq) != null) throw new IllegalStateException("sequence number " + seq + " is taken");
            Key key = new Key(callerKey.collection, callerKey.id.clone());
            Row row = new Row(key.collection, key.id, seq, live, value.clone(), group);
            PersistentSortedMap<Long, Key> bySequence =
                    old == null ? s.bySequence : s.bySequence.remove(old.sequence());
            state = new Snapshot(
                    s.rows.put(key, row),
                    bySequence.put(seq, key),
                    count(
                            s.counts,
                            key.collection,
                            old == null ? 1 : 0,
                            (live ? 1 : 0) - (old != null && old.live() ? 1 : 0)),
                    s.meta,
                    s.indexes,
                    Math.max(s.lastSequence, seq));
            return seq;
        }

        @Override
        public boolean remove(String collection, byte[] id) {
            checkWritable();
            Key key = new Key(Objects.requireNonNull(collection, "collection"), Objects.requireNonNull(id, "id"));
            Snapshot s = state;
            Row old = s.rows.get(key);
            if (old == null) {
                return false;
            }
            state = new Snapshot(
                    s.rows.remove(key),
                    s.bySequence.remove(old.sequence()),
                    count(s.counts, collection, -1, old.live() ? -1 : 0),
                    s.meta,
                    s.indexes,
                    s.lastSequence);
            return true;
        }

        private static PersistentSortedMap<String, Counts> count(
                PersistentSortedMap<String, Counts> counts, String collection, long rowDelta, long liveDelta) {
            if (rowDelta == 0 && liveDelta == 0) {
                return counts;
            }
            Counts old = counts.get(collection);
            long rows = (old == null ? 0 : old.rows()) + rowDelta;
            long live = (old == null ? 0 : old.live()) + liveDelta;
            return rows == 0 ? counts.remove(collection) : counts.put(collection, new Counts(rows, live));
        }

        @Override
        public void putMeta(String key, byte[] value) {
            checkWritable();
            DocumentStorage.checkMetaKey(key);
            Snapshot s = state;
            byte[] copy = Objects.requireNonNull(value, "value").clone();
            state = new Snapshot(s.rows, s.bySequence, s.counts, s.meta.put(key, copy), s.indexes, s.lastSequence);
        }

        @Override
        public void putIndexEntry(String index, byte[] key, byte[] id) {
            checkWritable();
            Objects.requireNonNull(index, "index");
            Entry entry = new Entry(
                    Objects.requireNonNull(key, "key").clone(),
                    Objects.requireNonNull(id, "id").clone());
            PersistentSortedMap<Entry, Boolean> entries = state.indexes.get(index);
            if (entries == null) {
                entries = NO_ENTRIES;
            } else if (entries.get(entry) != null) {
                return;
            }
            state = state.withIndexes(state.indexes.put(index, entries.put(entry, Boolean.TRUE)));
        }

        @Override
        public void removeIndexEntry(String index, byte[] key, byte[] id) {
            checkWritable();
            Objects.requireNonNull(index, "index");
            Entry entry = new Entry(Objects.requireNonNull(key, "key"), Objects.requireNonNull(id, "id"));
            PersistentSortedMap<Entry, Boolean> entries = state.indexes.get(index);
            if (entries == null || entries.get(entry) == null) {
                return;
            }
            PersistentSortedMap<Entry, Boolean> rest = entries.remove(entry);
            state = state.withIndexes(rest.isEmpty() ? state.indexes.remove(index) : state.indexes.put(index, rest));
        }

        @Override
        public void dropIndex(String index) {
            checkWritable();
            Objects.requireNonNull(index, "index");
            state = state.withIndexes(state.indexes.remove(index));
        }
    }
}
