package io.starling.internal.storage;

import io.starling.internal.storage.DocumentStorage.IndexVisitor;
import io.starling.internal.storage.DocumentStorage.Row;
import io.starling.internal.storage.DocumentStorage.RowVisitor;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.sqlite.ProgressHandler;
import org.sqlite.SQLiteConfig;

/**
 * One SQLite connection of a {@link SqliteStorage} with its prepared statements, and the SQL of every storage
 * operation. Statements are prepared on first use and kept for the life of the connection.
 *
 * <p>Not thread-safe: a session is used by one thread at a time (the writer under the write lock, a reader
 * while borrowed from the pool). Every method throws {@link StorageException} for SQLite failures.
 */
final class SqliteSession implements AutoCloseable {

    /** The statements a session caches, by ordinal. */
    enum Sql {
        BEGIN_READ("BEGIN"),
        BEGIN_WRITE("BEGIN IMMEDIATE"),
        COMMIT("COMMIT"),
        ROLLBACK("ROLLBACK"),
        GET("SELECT seq, live, state FROM docs WHERE collection = ? AND id = ?"),
        SCAN("SELECT seq, id, live, state FROM docs WHERE collection = ? ORDER BY id"),
        // live is tested on the table row before state is extracted, so tombstones cost no state copy
        SCAN_LIVE("SELECT seq, id, state FROM docs WHERE collection = ? AND live = 1 ORDER BY id"),
        SCAN_AFTER("SELECT seq, id, live, state FROM docs WHERE collection = ? AND id > ? ORDER BY id"),
        /** The state first: {@link #scanStates} reads the other columns only for the rows its visitor keeps. */
        SCAN_LIVE_STATES("SELECT state, id, seq FROM docs WHERE collection = ? AND live = 1 ORDER BY id"),
        /**
         * As SCAN_LIVE_STATES, for states that hold a run of bytes: instr() tests each state in the database, so the
         * states left out are never copied to Java (a blob's instr is a byte search, with no text conversion).
         */
        SCAN_LIVE_STATES_CONTAINING("SELECT state, id, seq FROM docs WHERE collection = ? AND live = 1"
                + " AND instr(state, ?) > 0 ORDER BY id"),
        SCAN_LIVE_AFTER("SELECT seq, id, state FROM docs WHERE collection = ? AND id > ? AND live = 1 ORDER BY id"),
        // id ranges (keyset paging): a range of the primary key (collection, id), walked forwards or backwards; an
        // absent lower bound is the empty blob (every id is >= it), so only the upper bound needs its own statements
        RANGE_FROM("SELECT seq, id, live, state FROM docs WHERE collection = ? AND id >= ? ORDER BY id"),
        RANGE_BETWEEN("SELECT seq, id, live, state FROM docs WHERE collection = ? AND id >= ? AND id < ? ORDER BY id"),
        RANGE_FROM_REVERSE("SELECT seq, id, live, state FROM docs WHERE collection = ? AND id >= ? ORDER BY id DESC"),
        RANGE_BETWEEN_REVERSE(
                "SELECT seq, id, live, state FROM docs WHERE collection = ? AND id >= ? AND id < ? ORDER BY id DESC"),
        RANGE_LIVE_FROM("SELECT seq, id, state FROM docs WHERE collection = ? AND id >= ? AND live = 1 ORDER BY id"),
        RANGE_LIVE_BETWEEN(
                "SELECT seq, id, state FROM docs WHERE collection = ? AND id >= ? AND id < ? AND live = 1 ORDER BY id"),
        RANGE_LIVE_FROM_REVERSE(
                "SELECT seq, id, state FROM docs WHERE collection = ? AND id >= ? AND live = 1 ORDER BY id DESC"),
        RANGE_LIVE_BETWEEN_REVERSE("SELECT seq, id, state FROM docs WHERE collection = ? AND id >= ? AND id < ?"
                + " AND live = 1 ORDER BY id DESC"),
        CHANGES(
                "SELECT seq, collection, id, live, state, coalesce(grp, seq) FROM docs WHERE seq > ? ORDER BY seq LIMIT ?"),
        // a skip scan over the (collection, id) index: one seek per collection instead of one step per row
        COLLECTIONS("WITH RECURSIVE names(name) AS ("
                + " SELECT min(collection) FROM docs"
                + " UNION ALL"
                + " SELECT (SELECT min(collection) FROM docs WHERE collection > names.name)"
                + " FROM names WHERE names.name IS NOT NULL)"
                + " SELECT name FROM names WHERE name IS NOT NULL ORDER BY name"),
        COUNT_LIVE("SELECT count(*) FROM docs WHERE collection = ? AND live = 1"),
        MAX_SEQ("SELECT max(seq) FROM docs"),
        META_GET("SELECT value FROM meta WHERE key = ?"),
        META_PUT("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
        INSERT_IF_ABSENT("INSERT INTO docs(seq, collection, id, live, state, grp) VALUES (?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT(collection, id) DO NOTHING"),
        /** {@link #INSERT_IF_ABSENT} of {@link #ROWS_PER_INSERT} rows: see {@link #insertAllIfAbsent}. */
        INSERT_ROWS_IF_ABSENT(insertRowsText(ROWS_PER_INSERT)),
        // changing seq (the rowid) moves the row to the end of the change order
        PUT("INSERT INTO docs(seq, collection, id, live, state, grp) VALUES (?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT(collection, id) DO UPDATE SET seq = excluded.seq, live = excluded.live,"
                + " state = excluded.state, grp = excluded.grp"),
        REMOVE("DELETE FROM docs WHERE collection = ? AND id = ?"),
        // index entries: every scan is a range of the primary key (name, key, id), walked forwards or backwards;
        // one statement per combination of bounds, so that each is a plain index range with no OR to plan around
        INDEX_PUT("INSERT INTO idx(name, key, id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"),
        INDEX_REMOVE("DELETE FROM idx WHERE name = ? AND key = ? AND id = ?"),
        INDEX_DROP("DELETE FROM idx WHERE name = ?"),
        INDEX_SCAN("SELECT key, id FROM idx WHERE name = ? ORDER BY key, id"),
        INDEX_SCAN_FROM("SELECT key, id FROM idx WHERE name = ? AND key >= ? ORDER BY key, id"),
        INDEX_SCAN_TO("SELECT key, id FROM idx WHERE name = ? AND key < ? ORDER BY key, id"),
        INDEX_SCAN_BETWEEN("SELECT key, id FROM idx WHERE name = ? AND key >= ? AND key < ? ORDER BY key, id"),
        INDEX_SCAN_REVERSE("SELECT key, id FROM idx WHERE name = ? ORDER BY key DESC, id DESC"),
        INDEX_SCAN_FROM_REVERSE("SELECT key, id FROM idx WHERE name = ? AND key >= ? ORDER BY key DESC, id DESC"),
        INDEX_SCAN_TO_REVERSE("SELECT key, id FROM idx WHERE name = ? AND key < ? ORDER BY key DESC, id DESC"),
        INDEX_SCAN_BETWEEN_REVERSE(
                "SELECT key, id FROM idx WHERE name = ? AND key >= ? AND key < ? ORDER BY key DESC, id DESC");

        final String text;

        Sql(String text) {
            this.text = text;
        }
    }

    private static final Sql[] ALL = Sql.values();
    private static final int SQLITE_BUSY = 5;
    private static final int SQLITE_CORRUPT = 11;
    private static final int SQLITE_FULL = 13;
    private static final int SQLITE_NOTADB = 26;

    private final Path file;
    private final Connection connection;
    private final PreparedStatement[] statements = new PreparedStatement[ALL.length];
    /** Which cached statements have an open result set (a scan whose visitor may start another scan). */
    private final boolean[] busy = new boolean[ALL.length];

    /** The thread running a read on this session while it is borrowed, so close() can refuse a self-deadlock. */
    volatile @Nullable Thread user;

    /** Whether a BEGIN ran that no COMMIT or ROLLBACK has ended yet. */
    private boolean inTransaction;
    /**
     * The failure that aborted the open transaction, or null: once a statement failed, SQLite may have rolled back
     * the whole transaction by itself (after SQLITE_FULL or an I/O error it may, or may not), and a later statement
     * would then run, and commit, on its own. So after a failure only ROLLBACK runs until the transaction ends.
     */
    private @Nullable StorageException aborted;

    private SqliteSession(Path file, Connection connection) {
        this.file = file;
        this.connection = connection;
    }

    /**
     * Opens a connection. No statement is run: pragmas that write (journal mode) are the caller's decision,
     * taken only once the file is known to be a Starling database.
     */
    static SqliteSession open(Path file, boolean readOnly, Duration busyTimeout) {
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(readOnly);
        config.setBusyTimeout((int) busyTimeout.toMillis());
        try {
            return new SqliteSession(file, config.createConnection("jdbc:sqlite:" + file));
        } catch (SQLException e) {
            throw failure(file, "opening a connection", e);
        }
    }

    Path file() {
        return file;
    }

    /** The raw connection, for schema creation and migrations only. */
    Connection connection() {
        return connection;
    }

    // ---- transactions

    /** Runs a transaction statement (BEGIN, COMMIT; ROLLBACK goes through {@link #rollbackQuietly}). */
    void execute(Sql sql) {
        try {
            statement(sql).execute();
        } catch (SQLException e) {
            throw fail(sql, sql.text, e);
        }
        if (sql == Sql.BEGIN_READ || sql == Sql.BEGIN_WRITE) {
            inTransaction = true;
        } else if (sql == Sql.COMMIT || sql == Sql.ROLLBACK) {
            inTransaction = false;
        }
    }

    /** The failure that aborted the open transaction (it can only roll back), or null. */
    @Nullable
    StorageException abortedBy() {
        return aborted;
    }

    /**
     * Rolls back after {@code cause}, never throwing: a rollback failure is attached to {@code cause}.
     *
     * @return whether the connection is known to be out of any transaction (safe to reuse); when false, the caller
     *     must not run another transaction on it (closing the connection rolls back whatever it holds)
     */
    boolean rollbackQuietly(Throwable cause) {
        try {
            statement(Sql.ROLLBACK).execute();
            ended();
            return true;
        } catch (SQLException e) {
            forget(Sql.ROLLBACK);
            // SQLite already rolled back by itself after some errors (IOERR, FULL, CORRUPT...)
            if (e.getMessage() != null && e.getMessage().contains("no transaction is active")) {
                ended();
                return true;
            }
            cause.addSuppressed(failure(file, "ROLLBACK", e));
            return false;
        }
    }

    private void ended() {
        inTransaction = false;
        aborted = null;
    }

    // ---- reads

    @Nullable
    Row get(String collection, byte[] id) {
        try {
            PreparedStatement ps = statement(Sql.GET);
            ps.setString(1, collection);
            ps.setBytes(2, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                return new Row(collection, id.clone(), rs.getLong(1), rs.getInt(2) != 0, rs.getBytes(3));
            }
        } catch (SQLException e) {
            throw fail(Sql.GET, "get", e);
        }
    }

    void scan(String collection, byte @Nullable [] afterId, boolean liveOnly, RowVisitor visitor) {
        Sql sql = afterId == null
                ? (liveOnly ? Sql.SCAN_LIVE : Sql.SCAN)
                : (liveOnly ? Sql.SCAN_LIVE_AFTER : Sql.SCAN_AFTER);
        PreparedStatement ps = acquire(sql);
        try {
            ps.setString(1, collection);
            if (afterId != null) ps.setBytes(2, afterId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Row row = liveOnly
                            ? new Row(collection, rs.getBytes(2), rs.getLong(1), true, rs.getBytes(3))
                            : new Row(collection, rs.getBytes(2), rs.getLong(1), rs.getInt(3) != 0, rs.getBytes(4));
                    if (!visitor.visit(row)) {
                        return;
                    }
                }
            }
        } catch (SQLException e) {
            throw fail(sql, "scan", e);
        } finally {
            release(sql, ps);
        }
    }

    /**
     * The live states of a collection in id order; only those containing {@code contained}, when not empty. Then SQLite
     * may step through many rows between two that reach the visitor, so a progress handler calls {@code poll} every
     * {@link #POLL_EVERY} virtual machine instructions (about 250 rows), and ends the statement with what it
     * throws.
     */
    void scanStates(String collection, byte[] contained, Runnable poll, DocumentStorage.StateVisitor visitor) {
        Sql sql = contained.length == 0 ? Sql.SCAN_LIVE_STATES : Sql.SCAN_LIVE_STATES_CONTAINING;
        PreparedStatement ps = acquire(sql);
        Polling polling = contained.length == 0 ? null : new Polling(poll);
        try {
            ps.setString(1, collection);
            if (contained.length > 0) ps.setBytes(2, contained);
            if (polling != null) ProgressHandler.setHandler(connection, POLL_EVERY, polling);
            try (ResultSet rs = ps.executeQuery()) {
                CursorRow current = new CursorRow(sql, collection, rs);
                while (rs.next()) {
                    byte[] state = rs.getBytes(1);
                    current.at(state);
                    if (!visitor.visit(state, current)) {
                        return;
                    }
                }
            }
        } catch (SQLException e) {
            StorageException failure = fail(sql, "scanStates", e);
            RuntimeException stopped = polling == null ? null : polling.thrown;
            if (stopped != null) {
                stopped.addSuppressed(failure);
                throw stopped;
            }
            throw failure;
        } finally {
            if (polling != null) clearProgressHandler();
            release(sql, ps);
        }
    }

    /**
     * Virtual machine instructions between two polls of a {@link #scanStates} that leaves rows out: a row left out
     * costs about 8, so about 250 rows, each searched for a run of at most 64 bytes (the engine's bound). A call from
     * SQLite into Java per 250 rows is 400 for 100,000 rows, nothing beside the scan; 100,000 instructions were 12,500
     * rows between two polls, seconds when the states are large.
     */
    private static final int POLL_EVERY = 2_000;

    /** Calls a poll from SQLite's progress handler; what it throws interrupts the statement and is kept. */
    private static final class Polling extends ProgressHandler {
        private final Runnable poll;

        @Nullable
        RuntimeException thrown;

        Polling(Runnable poll) {
            this.poll = poll;
        }

        @Override
        protected int progress() {
            try {
                poll.run();
                return 0;
            } catch (RuntimeException e) {
                thrown = e;
                return 1; // SQLITE_INTERRUPT: the step fails, and the scan throws what the poll threw
            }
        }
    }

    private void clearProgressHandler() {
        try {
            ProgressHandler.clearHandler(connection);
        } catch (SQLException e) {
            throw failure(file, "clearing a progress handler", e);
        }
    }

    /** The row under a {@link #scanStates} cursor: its id and sequence are read when first asked for. */
    private final class CursorRow implements DocumentStorage.CurrentRow {
        private final Sql sql;
        private final String collection;
        private final ResultSet rs;
        private byte[] state = new byte[0];
        private @Nullable Row row;

        CursorRow(Sql sql, String collection, ResultSet rs) {
            this.sql = sql;
            this.collection = collection;
            this.rs = rs;
        }

        void at(byte[] state) {
            this.state = state;
            this.row = null;
        }

        @Override
        public Row row() {
            Row r = row;
            if (r == null) {
                try {
                    row = r = new Row(collection, rs.getBytes(2), rs.getLong(3), true, state);
                } catch (SQLException e) {
                    throw fail(sql, "scanStates", e);
                }
            }
            return r;
        }
    }

    void scanRange(
            String collection,
            byte @Nullable [] fromInclusive,
            byte @Nullable [] toExclusive,
            boolean reverse,
            boolean liveOnly,
            RowVisitor visitor) {
        if (fromInclusive != null && toExclusive != null && Arrays.compareUnsigned(fromInclusive, toExclusive) >= 0) {
            return; // empty range
        }
        Sql sql = rangeScan(toExclusive != null, reverse, liveOnly);
        PreparedStatement ps = acquire(sql);
        try {
            ps.setString(1, collection);
            ps.setBytes(2, fromInclusive == null ? new byte[0] : fromInclusive);
            if (toExclusive != null) ps.setBytes(3, toExclusive);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Row row = liveOnly
                            ? new Row(collection, rs.getBytes(2), rs.getLong(1), true, rs.getBytes(3))
                            : new Row(collection, rs.getBytes(2), rs.getLong(1), rs.getInt(3) != 0, rs.getBytes(4));
                    if (!visitor.visit(row)) {
                        return;
                    }
                }
            }
        } catch (SQLException e) {
            throw fail(sql, "scanRange", e);
        } finally {
            release(sql, ps);
        }
    }

    static Sql rangeScan(boolean bounded, boolean reverse, boolean liveOnly) {
        if (liveOnly) {
            if (bounded) return reverse ? Sql.RANGE_LIVE_BETWEEN_REVERSE : Sql.RANGE_LIVE_BETWEEN;
            return reverse ? Sql.RANGE_LIVE_FROM_REVERSE : Sql.RANGE_LIVE_FROM;
        }
        if (bounded) return reverse ? Sql.RANGE_BETWEEN_REVERSE : Sql.RANGE_BETWEEN;
        return reverse ? Sql.RANGE_FROM_REVERSE : Sql.RANGE_FROM;
    }

    void changesSince(long after, int limit, RowVisitor visitor) {
        PreparedStatement ps = acquire(Sql.CHANGES);
        try {
            ps.setLong(1, after);
            ps.setInt(2, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Row row = new Row(
                            rs.getString(2),
                            rs.getBytes(3),
                            rs.getLong(1),
                            rs.getInt(4) != 0,
                            rs.getBytes(5),
                            rs.getLong(6));
                    if (!visitor.visit(row)) {
                        return;
                    }
                }
            }
        } catch (SQLException e) {
            throw fail(Sql.CHANGES, "changesSince", e);
        } finally {
            release(Sql.CHANGES, ps);
        }
    }

    List<String> collections() {
        try (ResultSet rs = statement(Sql.COLLECTIONS).executeQuery()) {
            List<String> names = new ArrayList<>();
            while (rs.next()) {
                names.add(rs.getString(1));
            }
            return names;
        } catch (SQLException e) {
            throw fail(Sql.COLLECTIONS, "collections", e);
        }
    }

    long countLive(String collection) {
        try {
            PreparedStatement ps = statement(Sql.COUNT_LIVE);
            ps.setString(1, collection);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw fail(Sql.COUNT_LIVE, "countLive", e);
        }
    }

    /** The scan statement for the given bounds and direction. */
    static Sql indexScan(boolean from, boolean to, boolean reverse) {
        if (from && to) return reverse ? Sql.INDEX_SCAN_BETWEEN_REVERSE : Sql.INDEX_SCAN_BETWEEN;
        if (from) return reverse ? Sql.INDEX_SCAN_FROM_REVERSE : Sql.INDEX_SCAN_FROM;
        if (to) return reverse ? Sql.INDEX_SCAN_TO_REVERSE : Sql.INDEX_SCAN_TO;
        return reverse ? Sql.INDEX_SCAN_REVERSE : Sql.INDEX_SCAN;
    }

    void scanIndex(
            String index,
            byte @Nullable [] fromInclusive,
            byte @Nullable [] toExclusive,
            boolean reverse,
            IndexVisitor visitor) {
        if (fromInclusive != null && toExclusive != null && Arrays.compareUnsigned(fromInclusive, toExclusive) >= 0) {
            return; // empty range
        }
        Sql sql = indexScan(fromInclusive != null, toExclusive != null, reverse);
        PreparedStatement ps = acquire(sql);
        try {
            int p = 1;
            ps.setString(p++, index);
            if (fromInclusive != null) ps.setBytes(p++, fromInclusive);
            if (toExclusive != null) ps.setBytes(p, toExclusive);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (!visitor.visit(bytesOrEmpty(rs.getBytes(1)), bytesOrEmpty(rs.getBytes(2)))) {
                        return;
                    }
                }
            }
        } catch (SQLException e) {
            throw fail(sql, "scanIndex", e);
        } finally {
            release(sql, ps);
        }
    }

    private static byte[] bytesOrEmpty(byte[] b) {
        return b == null ? new byte[0] : b;
    }

    long maxSequence() {
        try (ResultSet rs = statement(Sql.MAX_SEQ).executeQuery()) {
            rs.next();
            return rs.getLong(1); // 0 for an empty table (NULL)
        } catch (SQLException e) {
            throw fail(Sql.MAX_SEQ, "max(seq)", e);
        }
    }

    byte @Nullable [] meta(String key) {
        try {
            PreparedStatement ps = statement(Sql.META_GET);
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getBytes(1) : null;
            }
        } catch (SQLException e) {
            throw fail(Sql.META_GET, "meta", e);
        }
    }

    /** An integer meta value (the storage's own keys), or {@code absent} when the key has no row. */
    long metaLong(String key, long absent) {
        try {
            PreparedStatement ps = statement(Sql.META_GET);
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : absent;
            }
        } catch (SQLException e) {
            throw fail(Sql.META_GET, "meta", e);
        }
    }

    // ---- writes (inside BEGIN IMMEDIATE on the writer session)

    /** Returns whether a row was inserted. */
    boolean insertIfAbsent(long seq, long group, String collection, byte[] id, boolean live, byte[] state) {
        try {
            return bindRow(statement(Sql.INSERT_IF_ABSENT), seq, group, collection, id, live, state)
                            .executeUpdate()
                    == 1;
        } catch (SQLException e) {
            throw fail(Sql.INSERT_IF_ABSENT, "insertIfAbsent", e);
        }
    }

    /**
     * One batch of {@code INSERT ... ON CONFLICT DO NOTHING}; row i takes sequence {@code firstSeq + i}.
     * Returns per row its sequence number, or -1 where the id existed.
     */
    long[] insertAllIfAbsent(
            long firstSeq, long group, String collection, List<byte[]> ids, boolean live, List<byte[]> states) {
        long[] seqs = new long[ids.size()];
        if (seqs.length == 0) return seqs;
        int whole = seqs.length / ROWS_PER_INSERT * ROWS_PER_INSERT;
        for (int from = 0; from < whole; from += ROWS_PER_INSERT) {
            insertRowsIfAbsent(firstSeq, group, collection, ids, live, states, from, seqs);
        }
        if (whole == seqs.length) return seqs;
        try {
            PreparedStatement ps = statement(Sql.INSERT_IF_ABSENT);
            try {
                for (int i = whole; i < seqs.length; i++) {
                    bindRow(
                                    ps,
                                    firstSeq + i,
                                    group,
                                    collection,
                                    Objects.requireNonNull(ids.get(i), "id"),
                                    live,
                                    Objects.requireNonNull(states.get(i), "state"))
                            .addBatch();
                }
                int[] counts = ps.executeBatch();
                for (int i = whole; i < seqs.length; i++) seqs[i] = counts[i - whole] == 1 ? firstSeq + i : -1;
                return seqs;
            } finally {
                ps.clearBatch();
            }
        } catch (SQLException e) {
            throw fail(Sql.INSERT_IF_ABSENT, "insertAllIfAbsent", e);
        }
    }

    /**
     * Rows {@code from} to {@code from + ROWS_PER_INSERT} of {@link #insertAllIfAbsent} as one statement of that many
     * rows, which binds the sequence base, the collection, the liveness and the group once and each row's id and state:
     * a third of the binds and a hundredth of the steps of a row at a time, in the same transaction (measured in
     * docs/BENCHMARKS.md, "S0, third round"). SQLite reports only how many rows it inserted; when that is fewer than
     * all (an id already stored, or given twice), each row's stored sequence tells whether it is the row's own.
     */
    private void insertRowsIfAbsent(
            long firstSeq,
            long group,
            String collection,
            List<byte[]> ids,
            boolean live,
            List<byte[]> states,
            int from,
            long[] seqs) {
        try {
            PreparedStatement ps = statement(Sql.INSERT_ROWS_IF_ABSENT);
            ps.setLong(1, firstSeq + from);
            ps.setString(2, collection);
            ps.setInt(3, live ? 1 : 0);
            ps.setLong(4, group);
            for (int i = 0; i < ROWS_PER_INSERT; i++) {
                ps.setBytes(5 + 2 * i, Objects.requireNonNull(ids.get(from + i), "id"));
                ps.setBytes(6 + 2 * i, Objects.requireNonNull(states.get(from + i), "state"));
            }
            int inserted = ps.executeUpdate();
            for (int i = from; i < from + ROWS_PER_INSERT; i++) seqs[i] = firstSeq + i;
            if (inserted == ROWS_PER_INSERT) return;
            PreparedStatement get = statement(Sql.GET);
            for (int i = from; i < from + ROWS_PER_INSERT; i++) {
                get.setString(1, collection);
                get.setBytes(2, ids.get(i));
                try (ResultSet rs = get.executeQuery()) {
                    if (!rs.next() || rs.getLong(1) != seqs[i]) seqs[i] = -1; // another row holds the id
                }
            }
        } catch (SQLException e) {
            throw fail(Sql.INSERT_ROWS_IF_ABSENT, "insertAllIfAbsent", e);
        }
    }

    /** Rows per statement of {@link #insertRowsIfAbsent}. */
    static final int ROWS_PER_INSERT = 100;

    /**
     * {@code rows} rows of {@link Sql#INSERT_IF_ABSENT}: {@code ?1} is the first row's sequence (row i's is {@code ?1 +
     * i}), {@code ?2} the collection, {@code ?3} the liveness, {@code ?4} the group, then each row's id and state.
     */
    static String insertRowsText(int rows) {
        StringBuilder sb = new StringBuilder("INSERT INTO docs(seq, collection, id, live, state, grp) VALUES ");
        for (int i = 0; i < rows; i++) {
            int p = 5 + 2 * i;
            if (i > 0) sb.append(", ");
            sb.append("(?1 + ")
                    .append(i)
                    .append(", ?2, ?")
                    .append(p)
                    .append(", ?3, ?")
                    .append(p + 1)
                    .append(", ?4)");
        }
        return sb.append(" ON CONFLICT(collection, id) DO NOTHING").toString();
    }

    void put(long seq, long group, String collection, byte[] id, boolean live, byte[] state) {
        try {
            bindRow(statement(Sql.PUT), seq, group, collection, id, live, state).executeUpdate();
        } catch (SQLException e) {
            throw fail(Sql.PUT, "put", e);
        }
    }

    private static PreparedStatement bindRow(
            PreparedStatement ps, long seq, long group, String collection, byte[] id, boolean live, byte[] state)
            throws SQLException {
        ps.setLong(1, seq);
        ps.setString(2, collection);
        ps.setBytes(3, id);
        ps.setInt(4, live ? 1 : 0);
        ps.setBytes(5, state);
        ps.setLong(6, group);
        return ps;
    }

    boolean remove(String collection, byte[] id) {
        try {
            PreparedStatement ps = statement(Sql.REMOVE);
            ps.setString(1, collection);
            ps.setBytes(2, id);
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw fail(Sql.REMOVE, "remove", e);
        }
    }

    void putIndexEntry(String index, byte[] key, byte[] id) {
        indexUpdate(Sql.INDEX_PUT, "putIndexEntry", index, key, id);
    }

    /** One batch of {@code INSERT ... ON CONFLICT DO NOTHING}. */
    void putIndexEntries(String index, List<byte[]> keys, List<byte[]> ids) {
        if (keys.isEmpty()) return;
        try {
            PreparedStatement ps = statement(Sql.INDEX_PUT);
            try {
                for (int i = 0; i < keys.size(); i++) {
                    ps.setString(1, index);
                    ps.setBytes(2, Objects.requireNonNull(keys.get(i), "key"));
                    ps.setBytes(3, Objects.requireNonNull(ids.get(i), "id"));
                    ps.addBatch();
                }
                ps.executeBatch();
            } finally {
                ps.clearBatch();
            }
        } catch (SQLException e) {
            throw fail(Sql.INDEX_PUT, "putIndexEntries", e);
        }
    }

    void removeIndexEntry(String index, byte[] key, byte[] id) {
        indexUpdate(Sql.INDEX_REMOVE, "removeIndexEntry", index, key, id);
    }

    private void indexUpdate(Sql sql, String action, String index, byte[] key, byte[] id) {
        try {
            PreparedStatement ps = statement(sql);
            ps.setString(1, index);
            ps.setBytes(2, key);
            ps.setBytes(3, id);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw fail(sql, action, e);
        }
    }

    void dropIndex(String index) {
        try {
            PreparedStatement ps = statement(Sql.INDEX_DROP);
            ps.setString(1, index);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw fail(Sql.INDEX_DROP, "dropIndex", e);
        }
    }

    void putMeta(String key, byte[] value) {
        try {
            PreparedStatement ps = statement(Sql.META_PUT);
            ps.setString(1, key);
            ps.setBytes(2, value);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw fail(Sql.META_PUT, "putMeta", e);
        }
    }

    /** Stores an integer meta value (kept as an SQLite INTEGER so that it reads well in the sqlite3 shell). */
    void putMetaLong(String key, long value) {
        try {
            PreparedStatement ps = statement(Sql.META_PUT);
            ps.setString(1, key);
            ps.setLong(2, value);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw fail(Sql.META_PUT, "putMeta", e);
        }
    }

    /**
     * Runs {@code PRAGMA name} (or {@code PRAGMA name = value}) and returns the first column of its first row, or
     * null when it returns none.
     */
    @Nullable
    String pragma(String pragma) {
        try (Statement s = connection.createStatement()) {
            if (!s.execute("PRAGMA " + pragma)) {
                return null; // setting pragmas such as synchronous return no row
            }
            try (ResultSet rs = s.getResultSet()) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (SQLException e) {
            throw fail(null, "PRAGMA " + pragma, e);
        }
    }

    // ---- statement cache

    @SuppressWarnings("EnumOrdinal") // the ordinal indexes this session's statement cache; it is never stored
    private PreparedStatement statement(Sql sql) throws SQLException {
        checkNotAborted(sql);
        PreparedStatement ps = statements[sql.ordinal()];
        if (ps == null) {
            ps = connection.prepareStatement(sql.text);
            statements[sql.ordinal()] = ps;
        }
        return ps;
    }

    /** The cached statement, or a fresh one when the cached one is inside an unfinished scan (nested scans). */
    @SuppressWarnings("EnumOrdinal") // as in statement()
    private PreparedStatement acquire(Sql sql) {
        checkNotAborted(sql);
        try {
            if (busy[sql.ordinal()]) {
                return connection.prepareStatement(sql.text);
            }
            busy[sql.ordinal()] = true;
            return statement(sql);
        } catch (SQLException e) {
            busy[sql.ordinal()] = false;
            throw fail(sql, "preparing " + sql, e);
        }
    }

    private void checkNotAborted(Sql sql) {
        if (aborted != null && sql != Sql.ROLLBACK) {
            throw new StorageException(
                    aborted.code(),
                    "the transaction failed earlier and can only roll back: " + aborted.getMessage(),
                    aborted);
        }
    }

    /**
     * The storage exception for a failed statement. The statement is dropped from the cache (sqlite-jdbc finalizes
     * a statement that failed with anything but BUSY, LOCKED, CONSTRAINT or MISUSE, and a finalized statement fails
     * every later use with "statement is not executing"), and an open transaction is marked aborted.
     *
     * @param sql the cached statement that failed, or null for one that is not cached
     */
    private StorageException fail(@Nullable Sql sql, String action, SQLException e) {
        if (sql != null) forget(sql);
        StorageException failure = failure(file, action, e);
        if (inTransaction && aborted == null) aborted = failure;
        return failure;
    }

    /** Closes and drops a cached statement; the next use prepares it again. */
    @SuppressWarnings("EnumOrdinal") // as in statement()
    private void forget(Sql sql) {
        PreparedStatement ps = statements[sql.ordinal()];
        statements[sql.ordinal()] = null;
        busy[sql.ordinal()] = false;
        if (ps != null) {
            try {
                ps.close();
            } catch (SQLException ignored) {
                // already finalized: nothing left to release
            }
        }
    }

    @SuppressWarnings("EnumOrdinal") // as in statement()
    private void release(Sql sql, PreparedStatement ps) {
        if (ps == statements[sql.ordinal()]) {
            busy[sql.ordinal()] = false;
            return;
        }
        try {
            ps.close();
        } catch (SQLException e) {
            throw fail(null, "closing a statement", e);
        }
    }

    /** Closes the statements and the connection, attempting all of them; throws the first failure. */
    @Override
    public void close() {
        SQLException failure = null;
        for (int i = 0; i < statements.length; i++) {
            if (statements[i] != null) {
                try {
                    statements[i].close();
                } catch (SQLException e) {
                    failure = addTo(failure, e);
                }
                statements[i] = null;
            }
        }
        try {
            connection.close();
        } catch (SQLException e) {
            failure = addTo(failure, e);
        }
        if (failure != null) {
            throw failure(file, "closing a connection", failure);
        }
    }

    private static SQLException addTo(@Nullable SQLException first, SQLException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    /**
     * Maps an SQLite failure to a storage exception, keeping the cause: SQLITE_CORRUPT and SQLITE_NOTADB
     * become {@code CORRUPT}, SQLITE_BUSY (the busy timeout expired while another process held the database)
     * becomes {@code LOCKED}, SQLITE_FULL (no space on the disk, or the database at its size limit) {@code FULL},
     * anything else {@code IO}.
     */
    static StorageException failure(Path file, String action, SQLException e) {
        int primary = e.getErrorCode() & 0xff; // extended result codes keep the primary code in the low byte
        switch (primary) {
            case SQLITE_FULL:
                return new StorageException(
                        StorageException.Code.FULL,
                        "no space left to write database file " + file + " (" + action + "); free some disk space: "
                                + e.getMessage(),
                        e);
            case SQLITE_CORRUPT:
            case SQLITE_NOTADB:
                return new StorageException(
                        StorageException.Code.CORRUPT,
                        "database file " + file + " is damaged (" + action + "): " + e.getMessage(),
                        e);
            case SQLITE_BUSY:
                return new StorageException(
                        StorageException.Code.LOCKED,
                        "database file " + file + " is locked by another connection or process (" + action + "): "
                                + e.getMessage(),
                        e);
            default:
                return new StorageException(
                        StorageException.Code.IO, action + " failed on " + file + ": " + e.getMessage(), e);
        }
    }
}
