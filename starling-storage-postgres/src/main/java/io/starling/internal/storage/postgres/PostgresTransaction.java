package io.starling.internal.storage.postgres;

import io.starling.internal.storage.DocumentStorage;
import io.starling.internal.storage.StorageException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A read or write transaction of {@link PostgresStorage}: one pooled connection inside one database transaction,
 * bound to one thread and one callback.
 *
 * <p>Not thread-safe, by contract: every method checks that it runs on the thread that started the transaction and
 * before the callback returned. A read transaction implements {@link DocumentStorage.WriteTx} too but refuses every
 * write. Once a statement failed, PostgreSQL has aborted the transaction: every later call throws that failure
 * again, and the storage rolls back.
 *
 * <p>The sequence counter starts at the value of {@code starling_counter} read when the transaction began (locked,
 * for a write); the storage writes the final value back before committing.
 */
final class PostgresTransaction implements DocumentStorage.WriteTx {
    private static final Logger log = LoggerFactory.getLogger(PostgresTransaction.class);
    /** Rows fetched per round trip by scans: bounded memory whatever the size of the result. */
    static final int FETCH_SIZE = 256;

    private static final String ROW_COLUMNS = "seq, grp, live, state";
    private static final String GET = "SELECT " + ROW_COLUMNS + " FROM starling_docs WHERE collection = ? AND id = ?";
    private static final String CHANGES =
            "SELECT collection, id, " + ROW_COLUMNS + " FROM starling_docs WHERE seq > ? ORDER BY seq LIMIT ?";
    private static final String COLLECTIONS = "WITH RECURSIVE c (name) AS ("
            + "SELECT min(collection) FROM starling_docs "
            + "UNION ALL "
            + "SELECT (SELECT min(collection) FROM starling_docs WHERE collection > c.name) FROM c "
            + "WHERE c.name IS NOT NULL) "
            + "SELECT name FROM c WHERE name IS NOT NULL";
    private static final String COUNT_LIVE = "SELECT count(*) FROM starling_docs WHERE collection = ? AND live";
    private static final String META = "SELECT value FROM starling_meta WHERE key = ?";
    private static final String PUT_META = "INSERT INTO starling_meta (key, value) VALUES (?, ?) "
            + "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    private static final String INSERT = "INSERT INTO starling_docs (collection, id, seq, grp, live, state, value) "
            + "VALUES (?, ?, ?, ?, ?, ?, CAST(? AS JSONB)) ";
    private static final String INSERT_IF_ABSENT = INSERT + "ON CONFLICT (collection, id) DO NOTHING";
    private static final String PUT = INSERT + "ON CONFLICT (collection, id) DO UPDATE SET seq = excluded.seq, "
            + "grp = excluded.grp, live = excluded.live, state = excluded.state, value = excluded.value";
    private static final String REMOVE = "DELETE FROM starling_docs WHERE collection = ? AND id = ?";
    /*
     * Index entries. A b-tree entry is limited to about 2.7 KB, and keys (a long indexed string) and ids are not, so
     * the order of (key, id) is carried by skp, a prefix of at most SORT_PREFIX_BYTES of an order-preserving encoding
     * of the pair: key with each 0x00 written as 0x00 0x01, then 0x00 0x00, then id. Comparing encodings byte by
     * byte compares (key, id) as unsigned bytes, and a prefix of it is monotone: entries in skp order are in (key, id)
     * order except among entries whose encodings share their first SORT_PREFIX_BYTES bytes (long keys with a long
     * common prefix), which ORDER BY skp, key, id sorts among themselves. Short keys have distinct skp values, so an
     * index scan streams in order. A bound on key becomes an index range on skp (the escaped bound, truncated) plus
     * the exact comparison on key. There is no unique constraint to lean on: putIndexEntry inserts only where the
     * entry is absent, which is exact because every write transaction holds the counter row (one writer at a time
     * on the whole database).
     */
    static final int SORT_PREFIX_BYTES = 1024;

    private static final String PUT_ENTRY = "INSERT INTO starling_idx (name, skp, key, id) SELECT ?, ?, ?, ? "
            + "WHERE NOT EXISTS (SELECT 1 FROM starling_idx WHERE name = ? AND skp = ? AND key = ? AND id = ?)";
    private static final String REMOVE_ENTRY =
            "DELETE FROM starling_idx WHERE name = ? AND skp = ? AND key = ? AND id = ?";
    private static final String DROP_INDEX = "DELETE FROM starling_idx WHERE name = ?";

    private final Connection connection;
    private final boolean writable;
    private final ValueProjection values;
    private final Thread owner = Thread.currentThread();
    private boolean active = true;
    /** Scans whose visitor is running: the store must not change under an open cursor. */
    private int openScans;
    /** A write operation was called. */
    private boolean modified;
    /** The failure that aborted the database transaction, or null. */
    private @Nullable StorageException abortedBy;

    private long lastSequence;
    /** The first sequence number this transaction takes: the group of every row it writes. */
    private final long group;

    PostgresTransaction(Connection connection, boolean writable, long lastSequence, ValueProjection values) {
        this.connection = connection;
        this.writable = writable;
        this.values = values;
        this.lastSequence = lastSequence;
        this.group = lastSequence + 1;
    }

    /** Ends the transaction's validity; later calls on it throw. */
    void end() {
        active = false;
    }

    boolean modified() {
        return modified;
    }

    @Nullable
    StorageException abortedBy() {
        return abortedBy;
    }

    /** The counter without the usability check, for the storage's commit. */
    long sequenceForCommit() {
        return lastSequence;
    }

    private void checkUsable() {
        if (!active) {
            throw new IllegalStateException("transaction used after its callback returned");
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("transaction of thread " + owner.getName() + " used from thread "
                    + Thread.currentThread().getName());
        }
        if (abortedBy != null) throw abortedBy;
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

    private StorageException failed(SQLException e, String what) {
        StorageException failure = PostgresStorage.translate(e, what);
        abortedBy = failure;
        return failure;
    }

    // ---- reads

    @Override
    public DocumentStorage.@Nullable Row get(String collection, byte[] id) {
        checkUsable();
        Objects.requireNonNull(collection, "collection");
        Objects.requireNonNull(id, "id");
        try (PreparedStatement s = connection.prepareStatement(GET)) {
            s.setString(1, collection);
            s.setBytes(2, id);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? row(collection, id.clone(), rs, 1) : null;
            }
        } catch (SQLException e) {
            throw failed(e, "get");
        }
    }

    /** A row from the four row columns starting at {@code column}. */
    private static DocumentStorage.Row row(String collection, byte[] id, ResultSet rs, int column) throws SQLException {
        long seq = rs.getLong(column);
        long grp = rs.getLong(column + 1);
        boolean live = rs.getBoolean(column + 2);
        byte[] state = rs.getBytes(column + 3);
        return new DocumentStorage.Row(collection, id, seq, live, state, grp);
    }

    @Override
    public void scanAfter(
            String collection, byte @Nullable [] afterId, boolean liveOnly, DocumentStorage.RowVisitor visitor) {
        checkUsable();
        Objects.requireNonNull(collection, "collection");
        Objects.requireNonNull(visitor, "visitor");
        String sql = "SELECT id, " + ROW_COLUMNS + " FROM starling_docs WHERE collection = ?"
                + (afterId != null ? " AND id > ?" : "")
                + (liveOnly ? " AND live" : "")
                + " ORDER BY id";
        openScans++;
        try (PreparedStatement s = connection.prepareStatement(sql)) {
            s.setFetchSize(FETCH_SIZE);
            s.setString(1, collection);
            if (afterId != null) s.setBytes(2, afterId);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    if (!visitor.visit(row(collection, rs.getBytes(1), rs, 2))) return;
                }
            }
        } catch (SQLException e) {
            throw failed(e, "scan");
        } finally {
            openScans--;
        }
    }

    /*
     * A scan that leaves out the states lacking some runs of bytes (scanStates with runs) lets PostgreSQL test them,
     * with position(run IN state) on the bytea: a byte search (no collation, no encoding, NUL a byte like any other),
     * 0 when absent. PostgreSQL may then read many rows without returning one, and nothing on this side runs to poll
     * the statement's cancellation: so the scan goes in chunks of consecutive live rows (keyset: after the last id of
     * the previous chunk), one statement each, and polls between two. A chunk returns its matches and its last id,
     * where the next one starts (containingChunk). A chunk's size follows how
     * long PostgreSQL took over the previous one (nextChunk), so while rows cost alike a poll comes about every
     * CHUNK_TARGET_NANOS however much a row costs (a long state, a long run: position is a plain byte-by-byte search);
     * cheap rows followed by costly ones are noticed a chunk late. Cancelling the PostgreSQL statement instead (from
     * another thread, or by statement_timeout) would abort the whole PostgreSQL transaction, and a cancel request can
     * land on the connection's next statement; a chunk boundary leaves the transaction usable, as on SQLite
     * (docs/STORAGE.md, "Scans that leave states out"). Every chunk runs in the same transaction (a read is REPEATABLE
     * READ, a write holds the counter lock), so the chunks see one state of the store.
     */
    /** Rows of a held-run scan's first chunk. */
    static final int FIRST_CHUNK_ROWS = 64;
    /** Rows of a held-run scan's largest chunk: a round trip per this many rows is lost in the scan's cost. */
    static final int MAX_CHUNK_ROWS = 8192;
    /** The time PostgreSQL should take over a chunk: about how long a cancellation waits for the next poll. */
    static final long CHUNK_TARGET_NANOS = 10_000_000;

    /**
     * The rows of the chunk after one of {@code chunk} rows that PostgreSQL served in {@code tookNanos}: as many as it
     * would serve in {@link #CHUNK_TARGET_NANOS} at that pace, at most twice as many, within 1 and
     * {@link #MAX_CHUNK_ROWS}.
     */
    static int nextChunk(int chunk, long tookNanos) {
        double atPace = (double) chunk * CHUNK_TARGET_NANOS / Math.max(tookNanos, 1);
        return (int) Math.max(1, Math.min(Math.min(2.0 * chunk, MAX_CHUNK_ROWS), atPace));
    }

    /**
     * The statement of one chunk of a held-run scan. Parameters: collection, [after,] limit (the chunk's bound), then
     * collection, [after,] the runs (its matches). The chunk is the next {@code limit} rows of the collection, live or
     * not (an index-only scan of the primary key); its bound, {@code hi}, is the last id among them. Each row is a
     * match of the chunk with {@code hi}, or {@code hi} alone (the other columns NULL) when the chunk holds none; no
     * row at all when no row is left.
     */
    private static String containingChunk(int runs, boolean after) {
        String afterId = after ? " AND id > ?" : "";
        StringBuilder hit = new StringBuilder();
        for (int i = 0; i < runs; i++) hit.append(" AND position(? IN state) > 0");
        return "WITH b AS (SELECT id AS hi FROM (SELECT id FROM starling_docs WHERE collection = ?" + afterId
                + " ORDER BY id LIMIT ?) k ORDER BY id DESC LIMIT 1) "
                + "SELECT b.hi, d.id, d.seq, d.grp, d.state FROM b LEFT JOIN LATERAL ("
                + "SELECT id, seq, grp, state FROM starling_docs WHERE collection = ?" + afterId
                + " AND id <= b.hi AND live" + hit + ") d ON true ORDER BY d.id";
    }

    /**
     * Tests every non-empty run in PostgreSQL (longest first: the first absent one ends a row's test) and hands over
     * only the states that hold them all, in id order, in chunks between which it calls {@code poll}; see above.
     */
    @Override
    public void scanStates(
            String collection, List<byte[]> contained, Runnable poll, DocumentStorage.StateVisitor visitor) {
        checkUsable();
        Objects.requireNonNull(collection, "collection");
        Objects.requireNonNull(contained, "contained");
        Objects.requireNonNull(poll, "poll");
        Objects.requireNonNull(visitor, "visitor");
        List<byte[]> runs = new ArrayList<>();
        for (byte[] run : contained) {
            if (run.length > 0) runs.add(run.clone());
        }
        if (runs.isEmpty()) {
            scanStates(collection, visitor);
            return;
        }
        runs.sort((a, b) -> Integer.compare(b.length, a.length));
        byte[] after = null;
        int chunk = FIRST_CHUNK_ROWS;
        openScans++;
        try {
            while (true) {
                if (after != null) poll.run();
                long started = System.nanoTime();
                long visiting = 0;
                byte[] last = null;
                try (PreparedStatement s = connection.prepareStatement(containingChunk(runs.size(), after != null))) {
                    s.setFetchSize(FETCH_SIZE);
                    int p = 1;
                    s.setString(p++, collection);
                    if (after != null) s.setBytes(p++, after);
                    s.setInt(p++, chunk);
                    s.setString(p++, collection);
                    if (after != null) s.setBytes(p++, after);
                    for (byte[] run : runs) s.setBytes(p++, run);
                    try (ResultSet rs = s.executeQuery()) {
                        while (rs.next()) {
                            if (last == null) last = rs.getBytes(1);
                            byte[] id = rs.getBytes(2);
                            if (id == null) continue; // a chunk without a match: its bound alone
                            byte[] state = rs.getBytes(5);
                            DocumentStorage.Row row =
                                    new DocumentStorage.Row(collection, id, rs.getLong(3), true, state, rs.getLong(4));
                            long visitStarted = System.nanoTime();
                            boolean more = visitor.visit(state, () -> row);
                            visiting += System.nanoTime() - visitStarted;
                            if (!more) return;
                        }
                    }
                }
                if (last == null) return; // no row after the previous chunk
                after = last;
                long took = System.nanoTime() - started - visiting; // PostgreSQL's time, not the visitor's
                chunk = nextChunk(chunk, took);
            }
        } catch (SQLException e) {
            throw failed(e, "scanStates");
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
        if (fromInclusive != null && toExclusive != null && Arrays.compareUnsigned(fromInclusive, toExclusive) >= 0) {
            return; // empty range
        }
        String sql = "SELECT id, " + ROW_COLUMNS + " FROM starling_docs WHERE collection = ?"
                + (fromInclusive != null ? " AND id >= ?" : "")
                + (toExclusive != null ? " AND id < ?" : "")
                + (liveOnly ? " AND live" : "")
                + " ORDER BY id" + (reverse ? " DESC" : "");
        openScans++;
        try (PreparedStatement s = connection.prepareStatement(sql)) {
            s.setFetchSize(FETCH_SIZE);
            int p = 1;
            s.setString(p++, collection);
            if (fromInclusive != null) s.setBytes(p++, fromInclusive);
            if (toExclusive != null) s.setBytes(p, toExclusive);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    if (!visitor.visit(row(collection, rs.getBytes(1), rs, 2))) return;
                }
            }
        } catch (SQLException e) {
            throw failed(e, "scan");
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
        if (limit == 0) return;
        openScans++;
        try (PreparedStatement s = connection.prepareStatement(CHANGES)) {
            s.setFetchSize(FETCH_SIZE);
            s.setLong(1, after);
            s.setInt(2, limit);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    if (!visitor.visit(row(rs.getString(1), rs.getBytes(2), rs, 3))) return;
                }
            }
        } catch (SQLException e) {
            throw failed(e, "changesSince");
        } finally {
            openScans--;
        }
    }

    @Override
    public List<String> collections() {
        checkUsable();
        List<String> names = new ArrayList<>();
        try (Statement s = connection.createStatement();
                ResultSet rs = s.executeQuery(COLLECTIONS)) {
            while (rs.next()) names.add(rs.getString(1));
        } catch (SQLException e) {
            throw failed(e, "collections");
        }
        // the database's collation is not necessarily code point order; UTF-8 byte order is
        names.sort((a, b) ->
                Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8)));
        return names;
    }

    @Override
    public long countLive(String collection) {
        checkUsable();
        Objects.requireNonNull(collection, "collection");
        try (PreparedStatement s = connection.prepareStatement(COUNT_LIVE)) {
            s.setString(1, collection);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        } catch (SQLException e) {
            throw failed(e, "countLive");
        }
    }

    @Override
    public long lastSequence() {
        checkUsable();
        return lastSequence;
    }

    @Override
    public byte @Nullable [] meta(String key) {
        checkUsable();
        DocumentStorage.checkMetaKey(key);
        try (PreparedStatement s = connection.prepareStatement(META)) {
            s.setString(1, key);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getBytes(1) : null;
            }
        } catch (SQLException e) {
            throw failed(e, "meta");
        }
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
        String sql = "SELECT key, id FROM starling_idx WHERE name = ?"
                + (fromInclusive != null ? " AND skp >= ? AND key >= ?" : "")
                + (toExclusive != null ? " AND skp <= ? AND key < ?" : "")
                + (reverse ? " ORDER BY skp DESC, key DESC, id DESC" : " ORDER BY skp, key, id");
        openScans++;
        try (PreparedStatement s = connection.prepareStatement(sql)) {
            s.setFetchSize(FETCH_SIZE);
            int p = 1;
            s.setString(p++, index);
            if (fromInclusive != null) {
                s.setBytes(p++, sortPrefix(fromInclusive, null));
                s.setBytes(p++, fromInclusive);
            }
            if (toExclusive != null) {
                s.setBytes(p++, sortPrefix(toExclusive, null));
                s.setBytes(p, toExclusive);
            }
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    if (!visitor.visit(rs.getBytes(1), rs.getBytes(2))) return;
                }
            }
        } catch (SQLException e) {
            throw failed(e, "scanIndex");
        } finally {
            openScans--;
        }
    }

    // ---- writes

    private @Nullable String value(String collection, byte[] id, boolean live, byte[] state) {
        try {
            return values.json(collection, id, live, state);
        } catch (RuntimeException e) {
            // the projection's contract says it never throws; a bug there must not lose the write
            log.warn("the value projection failed for a row of '{}'; its value column stays NULL", collection, e);
            return null;
        }
    }

    private void bindRow(PreparedStatement s, String collection, byte[] id, long seq, boolean live, byte[] state)
            throws SQLException {
        s.setString(1, collection);
        s.setBytes(2, id);
        s.setLong(3, seq);
        s.setLong(4, group);
        s.setBoolean(5, live);
        s.setBytes(6, state);
        s.setString(7, value(collection, id, live, state));
    }

    @Override
    public long insertIfAbsent(String collection, byte[] id, boolean live, byte[] state) {
        checkWritable();
        Objects.requireNonNull(collection, "collection");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(state, "state");
        long seq = lastSequence + 1;
        try (PreparedStatement s = connection.prepareStatement(INSERT_IF_ABSENT)) {
            bindRow(s, collection, id, seq, live, state);
            if (s.executeUpdate() == 0) return -1;
        } catch (SQLException e) {
            throw failed(e, "insertIfAbsent");
        }
        lastSequence = seq;
        return seq;
    }

    @Override
    public long[] insertAllIfAbsent(String collection, List<byte[]> ids, boolean live, List<byte[]> states) {
        checkWritable();
        Objects.requireNonNull(collection, "collection");
        if (ids.size() != states.size()) throw new IllegalArgumentException("ids and states differ in length");
        long[] seqs = new long[ids.size()];
        if (seqs.length == 0) return seqs;
        long base = lastSequence + 1;
        try (PreparedStatement s = connection.prepareStatement(INSERT_IF_ABSENT)) {
            for (int i = 0; i < seqs.length; i++) {
                bindRow(
                        s,
                        collection,
                        Objects.requireNonNull(ids.get(i), "id"),
                        base + i,
                        live,
                        Objects.requireNonNull(states.get(i), "state"));
                s.addBatch();
            }
            int[] counts = s.executeBatch();
            for (int i = 0; i < seqs.length; i++) {
                boolean inserted = counts[i] == Statement.SUCCESS_NO_INFO
                        ? insertedAt(collection, ids.get(i), base + i)
                        : counts[i] > 0;
                seqs[i] = inserted ? base + i : -1;
                if (inserted) lastSequence = base + i;
            }
        } catch (SQLException e) {
            throw failed(e, "insertAllIfAbsent");
        }
        return seqs;
    }

    /** Whether the row holds {@code seq} (a driver that rewrites batches does not say which rows it inserted). */
    private boolean insertedAt(String collection, byte[] id, long seq) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement(GET)) {
            s.setString(1, collection);
            s.setBytes(2, id);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() && rs.getLong(1) == seq;
            }
        }
    }

    @Override
    public long put(String collection, byte[] id, boolean live, byte[] state) {
        checkWritable();
        Objects.requireNonNull(collection, "collection");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(state, "state");
        long seq = lastSequence + 1;
        try (PreparedStatement s = connection.prepareStatement(PUT)) {
            bindRow(s, collection, id, seq, live, state);
            s.executeUpdate();
        } catch (SQLException e) {
            throw failed(e, "put");
        }
        lastSequence = seq;
        return seq;
    }

    @Override
    public boolean remove(String collection, byte[] id) {
        checkWritable();
        Objects.requireNonNull(collection, "collection");
        Objects.requireNonNull(id, "id");
        try (PreparedStatement s = connection.prepareStatement(REMOVE)) {
            s.setString(1, collection);
            s.setBytes(2, id);
            return s.executeUpdate() > 0;
        } catch (SQLException e) {
            throw failed(e, "remove");
        }
    }

    @Override
    public void putMeta(String key, byte[] value) {
        checkWritable();
        DocumentStorage.checkMetaKey(key);
        Objects.requireNonNull(value, "value");
        try (PreparedStatement s = connection.prepareStatement(PUT_META)) {
            s.setString(1, key);
            s.setBytes(2, value);
            s.executeUpdate();
        } catch (SQLException e) {
            throw failed(e, "putMeta");
        }
    }

    /** Binds PUT_ENTRY: the row, then the same values for the NOT EXISTS check. */
    private static void bindEntry(PreparedStatement s, String index, byte[] key, byte[] id) throws SQLException {
        byte[] skp = sortPrefix(key, id);
        for (int offset : new int[] {0, 4}) {
            s.setString(offset + 1, index);
            s.setBytes(offset + 2, skp);
            s.setBytes(offset + 3, key);
            s.setBytes(offset + 4, id);
        }
    }

    /**
     * The first {@link #SORT_PREFIX_BYTES} bytes of the order-preserving encoding of (key, id): key with 0x00 escaped
     * as 0x00 0x01, the terminator 0x00 0x00, then id. With a null id, the encoding of a bound on key alone (no
     * terminator): for every id, {@code key >= bound} exactly when the pair's encoding is {@code >=} it, and {@code
     * key < bound} exactly when it is {@code <} it.
     */
    static byte[] sortPrefix(byte[] key, byte @Nullable [] id) {
        byte[] out = new byte[SORT_PREFIX_BYTES];
        int n = 0;
        for (byte b : key) {
            if (n == out.length) return out;
            out[n++] = b;
            if (b == 0) {
                if (n == out.length) return out;
                out[n++] = 1;
            }
        }
        if (id == null) return Arrays.copyOf(out, n);
        for (int i = 0; i < 2; i++) {
            if (n == out.length) return out;
            out[n++] = 0;
        }
        for (byte b : id) {
            if (n == out.length) return out;
            out[n++] = b;
        }
        return Arrays.copyOf(out, n);
    }

    @Override
    public void putIndexEntry(String index, byte[] key, byte[] id) {
        checkWritable();
        Objects.requireNonNull(index, "index");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(id, "id");
        try (PreparedStatement s = connection.prepareStatement(PUT_ENTRY)) {
            bindEntry(s, index, key, id);
            s.executeUpdate();
        } catch (SQLException e) {
            throw failed(e, "putIndexEntry");
        }
    }

    @Override
    public void putIndexEntries(String index, List<byte[]> keys, List<byte[]> ids) {
        checkWritable();
        Objects.requireNonNull(index, "index");
        if (keys.size() != ids.size()) throw new IllegalArgumentException("keys and ids differ in length");
        if (keys.isEmpty()) return;
        try (PreparedStatement s = connection.prepareStatement(PUT_ENTRY)) {
            for (int i = 0; i < keys.size(); i++) {
                bindEntry(
                        s, index, Objects.requireNonNull(keys.get(i), "key"), Objects.requireNonNull(ids.get(i), "id"));
                s.addBatch();
            }
            s.executeBatch();
        } catch (SQLException e) {
            throw failed(e, "putIndexEntries");
        }
    }

    @Override
    public void removeIndexEntry(String index, byte[] key, byte[] id) {
        checkWritable();
        Objects.requireNonNull(index, "index");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(id, "id");
        try (PreparedStatement s = connection.prepareStatement(REMOVE_ENTRY)) {
            s.setString(1, index);
            s.setBytes(2, sortPrefix(key, id));
            s.setBytes(3, key);
            s.setBytes(4, id);
            s.executeUpdate();
        } catch (SQLException e) {
            throw failed(e, "removeIndexEntry");
        }
    }

    @Override
    public void dropIndex(String index) {
        checkWritable();
        Objects.requireNonNull(index, "index");
        try (PreparedStatement s = connection.prepareStatement(DROP_INDEX)) {
            s.setString(1, index);
            s.executeUpdate();
        } catch (SQLException e) {
            throw failed(e, "dropIndex");
        }
    }
}
