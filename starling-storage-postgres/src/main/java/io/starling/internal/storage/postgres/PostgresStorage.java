package io.starling.internal.storage.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.starling.internal.storage.DocumentStorage;
import io.starling.internal.storage.SharedBlobs;
import io.starling.internal.storage.StorageException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Design note
 * -----------
 * Many nodes, one database. Any number of PostgresStorage instances, in one process or many, may open the same
 * database (and schema): together they are one store with one change sequence. Nothing is cached between
 * transactions; every transaction reads the database.
 *
 * The change sequence, and the trap it avoids. A tailing reader (sync, change data capture) asks for rows with
 * seq > the highest seq it has seen. If sequence numbers were taken from a database SEQUENCE (or any counter that
 * is not held until commit), two writers could take 7 and 8, the one holding 8 commit first, a reader see 8 and
 * move its cursor past 7, and 7 commit a moment later: skipped for good. Here, sequence numbers come from a single
 * row, starling_counter, which every write transaction locks as its FIRST statement (SELECT ... FOR UPDATE) and
 * writes back just before COMMIT. The lock is held until the transaction ends, so write transactions on every node
 * run one after another, each one's numbers are above all numbers of every transaction committed before it, and
 * numbers are therefore handed out in commit order. A snapshot that sees a transaction sees every transaction that
 * committed before it (the lock made the earlier one end before the later one could start), so a reader that has
 * seen seq N will never later find a committed row below N that it did not see. Rolled-back transactions free
 * their numbers (the counter update rolls back with them), exactly as the SPI says. The price: one write
 * transaction at a time for the whole database, as the SPI already promises per store. Alternatives weighed:
 * PostgreSQL advisory locks (not available on CockroachDB/YugabyteDB), reading only below the oldest in-flight
 * transaction (needs pg_snapshot_xmin and txid_current, PostgreSQL-only, and leaves readers lagging by the longest
 * transaction) and per-node sequences with vector cursors (changes the SPI's single cursor). The counter row is
 * plain SQL that every Postgres-compatible engine runs, and keeps the SPI's contract word for word.
 *
 * Isolation. Writes run at READ COMMITTED: after waiting for the counter lock, their statements see everything
 * committed before (at REPEATABLE READ the wait would end in a serialization failure). As every writer holds the
 * same lock, nothing commits underneath a running write. Reads run at REPEATABLE READ, READ ONLY; the first
 * statement (reading the counter, which gives lastSequence()) fixes the snapshot at read() time.
 *
 * Within one instance a fair ReentrantLock serialises writers before they take a connection, so a node's writers
 * queue in the JVM (cheap, and visible to tests as a parked thread) rather than on the database lock.
 *
 * Connections come from a HikariCP pool (auto-commit off). A write holds one for its whole callback; a read
 * borrows one per read() (a read inside a write takes a second). A connection whose ROLLBACK failed is evicted
 * from the pool rather than returned.
 *
 * Commits are signalled. A write transaction that took sequence numbers also NOTIFYs the schema's channel, in the
 * same round trip as the counter's update (a statement batch), so other nodes' tails wake at once instead of at their
 * next poll (PostgresCommitSignal). NOTIFY takes a database-wide lock at commit, which serialises committing
 * transactions that notify; writers here are serialised by the counter row already, so it costs no concurrency.
 * Whether the database takes NOTIFY is tried once at open (in a transaction rolled back): an engine without it
 * (CockroachDB) gets no NOTIFY, and its nodes poll.
 *
 * Closing. close() marks the instance closed, waits for the running write (takes and releases the write lock),
 * waits for running reads (the write side of a read/write gate that every read holds), then closes the pool.
 */

/**
 * The PostgreSQL implementation of {@link DocumentStorage}: tables {@code starling_docs} (rows with their state as
 * {@code bytea} and their current value as {@code jsonb}), {@code starling_idx}, {@code starling_meta}, {@code
 * starling_counter} and {@code starling_migrations} in the schema the JDBC URL selects. See docs/STORAGE.md.
 *
 * <p>Several instances (nodes) may open one database at once; they share rows, index entries, meta and the change
 * sequence, and a reader that tails {@link ReadTx#changesSince} never skips a row committed by any of them.
 *
 * <p>Thread-safe. Writes are serialised across every instance on the database; reads run concurrently with each
 * other and with the writer, each on its own snapshot. An acknowledged write is as durable as the server's settings
 * make a commit (with PostgreSQL's defaults: fsynced).
 *
 * <p>Failures are {@link StorageException}s: {@code IO} when the server cannot be reached or a statement fails,
 * {@code FULL} when the server is out of disk space, {@code CORRUPT} when it reports damaged data, {@code
 * NEWER_SCHEMA} for a database written by a newer Starling, {@code CLOSED} after {@link #close}.
 */
public final class PostgresStorage implements DocumentStorage {
    private static final Logger log = LoggerFactory.getLogger(PostgresStorage.class);
    private static final AtomicInteger POOLS = new AtomicInteger();
    /** How every URL this storage opens starts. */
    static final String URL_PREFIX = "jdbc:postgresql:";

    /** Immutable options; each {@code with*} method validates its value and returns a copy. */
    public static final class Options {
        private static final Options DEFAULTS = new Options(8, Duration.ofSeconds(30), ValueProjection.NONE);

        private final int maxConnections;
        private final Duration connectTimeout;
        private final ValueProjection values;

        private Options(int maxConnections, Duration connectTimeout, ValueProjection values) {
            this.maxConnections = maxConnections;
            this.connectTimeout = connectTimeout;
            this.values = values;
        }

        /** Up to 8 connections, a 30 s connect timeout, no values kept (the {@code value} column stays NULL). */
        public static Options defaults() {
            return DEFAULTS;
        }

        /**
         * The most connections this instance opens, 2 to 256 (a write holds one; a read inside it needs another).
         * Reads beyond it wait for a free connection up to the connect timeout.
         */
        public Options withMaxConnections(int maxConnections) {
            if (maxConnections < 2 || maxConnections > 256) {
                throw new IllegalArgumentException("maxConnections must be between 2 and 256, got " + maxConnections);
            }
            return new Options(maxConnections, connectTimeout, values);
        }

        /**
         * How long opening waits for the server, and a transaction for a free connection, before failing with
         * {@code IO}: 250 ms to 10 minutes.
         */
        public Options withConnectTimeout(Duration connectTimeout) {
            Objects.requireNonNull(connectTimeout, "connectTimeout");
            if (connectTimeout.compareTo(Duration.ofMillis(250)) < 0
                    || connectTimeout.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new IllegalArgumentException(
                        "connectTimeout must be between 250 ms and 10 minutes, got " + connectTimeout);
            }
            return new Options(maxConnections, connectTimeout, values);
        }

        /** What fills the {@code value jsonb} column of each written row ({@link DocumentValues} for the engine). */
        public Options withValues(ValueProjection values) {
            return new Options(maxConnections, connectTimeout, Objects.requireNonNull(values, "values"));
        }

        public int maxConnections() {
            return maxConnections;
        }

        public Duration connectTimeout() {
            return connectTimeout;
        }

        public ValueProjection values() {
            return values;
        }

        @Override
        public String toString() {
            return "Options{maxConnections=" + maxConnections + ", connectTimeout=" + connectTimeout + ", values="
                    + values + "}";
        }
    }

    private static final String LOCK_COUNTER = "SELECT last_seq FROM starling_counter WHERE id = 1 FOR UPDATE";
    private static final String READ_COUNTER = "SELECT last_seq FROM starling_counter WHERE id = 1";
    private static final String WRITE_COUNTER = "UPDATE starling_counter SET last_seq = ? WHERE id = 1";

    private final String where;
    private final Options options;
    private final HikariDataSource pool;

    private final ReentrantLock writeLock = new ReentrantLock(true);
    /** Every read holds the read side; close() takes the write side to wait for them. */
    private final ReentrantReadWriteLock readGate = new ReentrantReadWriteLock();
    /** Reads running on this thread (a write may not start inside one, close neither). */
    private final ThreadLocal<int[]> readDepth = ThreadLocal.withInitial(() -> new int[1]);

    private volatile @Nullable StorageException writeFailure;
    private final Object closeLock = new Object();
    private volatile boolean closed;
    private volatile boolean poolClosed;

    private final PostgresBlobs blobs;

    private final String jdbcUrl;
    /** The NOTIFY that signals a commit to the other instances, or null on a database without LISTEN/NOTIFY. */
    private final @Nullable String notify;

    private final @Nullable String channel;
    private final String token;
    private volatile @Nullable PostgresCommitSignal signal; // set under closeLock

    private PostgresStorage(
            String jdbcUrl, String where, Options options, HikariDataSource pool, @Nullable String channel) {
        this.jdbcUrl = jdbcUrl;
        this.where = where;
        this.options = options;
        this.pool = pool;
        this.blobs = new PostgresBlobs(pool, where);
        this.channel = channel;
        this.token = String.format("%016x", new SecureRandom().nextLong());
        this.notify = channel == null ? null : "NOTIFY " + channel + ", '" + token + "'";
    }

    /**
     * Opens the store in the database (and schema) that {@code jdbcUrl} names, creating the tables in a new
     * database and migrating an older schema. The URL is the PostgreSQL JDBC driver's, user and password included
     * ({@code jdbc:postgresql://host:5432/db?user=u&password=p&currentSchema=s}); a CockroachDB or YugabyteDB URL of
     * the same driver works too.
     *
     * @throws IllegalArgumentException if the URL is not a PostgreSQL JDBC URL
     * @throws StorageException {@code IO} if the server cannot be reached or refuses, {@code NEWER_SCHEMA} if the
     *     database was written by a newer Starling
     */
    public static PostgresStorage open(String jdbcUrl, Options options) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(options, "options");
        if (!jdbcUrl.startsWith(URL_PREFIX)) {
            throw new IllegalArgumentException("a PostgreSQL JDBC URL starts with jdbc:postgresql:, got "
                    + (jdbcUrl.isEmpty() ? "an empty string" : "'" + redact(jdbcUrl) + "'"));
        }
        String where = redact(jdbcUrl);
        Pool opened = openPool(
                jdbcUrl,
                "starling-postgres-" + POOLS.incrementAndGet(),
                options.maxConnections(),
                false,
                options.connectTimeout().toMillis());
        HikariDataSource pool = opened.pool();
        String channel;
        try {
            channel = notifyChannel(pool, where);
        } catch (StorageException e) {
            pool.close();
            throw e;
        }
        log.info(
                "opened {} (schema version {}{}{})",
                where,
                PostgresSchema.CURRENT,
                opened.found() == 0 ? ", created" : "",
                channel == null ? ", no LISTEN/NOTIFY: other nodes' commits are found by polling" : "");
        return new PostgresStorage(jdbcUrl, where, options, pool, channel);
    }

    /**
     * The channel this store's commits are signalled on (named after the schema, so stores in other schemas of the
     * database do not hear them), or null when the database refuses NOTIFY (tried in a transaction rolled back).
     */
    private static @Nullable String notifyChannel(HikariDataSource pool, String where) {
        try (Connection c = pool.getConnection()) {
            try (Statement s = c.createStatement()) {
                String schema;
                try (ResultSet rs = s.executeQuery("SELECT current_schema()")) {
                    schema = rs.next() ? rs.getString(1) : null;
                }
                String channel = channelFor(schema == null ? "" : schema);
                try {
                    s.execute("NOTIFY " + channel);
                    return channel;
                } catch (SQLException e) {
                    log.info(
                            "{} does not take NOTIFY ({}): commits of other nodes are found by polling",
                            where,
                            e.getMessage());
                    return null;
                } finally {
                    c.rollback();
                }
            }
        } catch (SQLException e) {
            throw translate(e, "opening " + where);
        }
    }

    /** {@code starling_} and 16 hex digits of the schema name's SHA-256: a valid identifier of any schema. */
    static String channelFor(String schema) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(schema.getBytes(StandardCharsets.UTF_8));
            StringBuilder b = new StringBuilder("starling_");
            for (int i = 0; i < 8; i++) b.append(String.format("%02x", hash[i]));
            return b.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** A pool on a database whose schema is up to date; {@code found} is the version it had before. */
    record Pool(HikariDataSource pool, int found) {}

    /**
     * Opens a connection pool on {@code jdbcUrl} and brings the database's schema up to date (see {@link
     * PostgresSchema}); the pool is closed again if that fails.
     *
     * @throws StorageException {@code IO} if the server cannot be reached or refuses, {@code NEWER_SCHEMA} for a newer
     *     schema
     */
    static Pool openPool(
            String jdbcUrl, String poolName, int maxConnections, boolean autoCommit, long connectTimeoutMillis) {
        String where = redact(jdbcUrl);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setPoolName(poolName);
        config.setMaximumPoolSize(maxConnections);
        config.setMinimumIdle(0);
        config.setAutoCommit(autoCommit);
        config.setConnectionTimeout(connectTimeoutMillis);
        config.setInitializationFailTimeout(connectTimeoutMillis);
        // how the connections show in pg_stat_activity, unless the URL names them itself (its parameters win)
        config.addDataSourceProperty("ApplicationName", "starling");
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new StorageException(
                    StorageException.Code.IO,
                    "cannot connect to PostgreSQL at " + where + ": " + cause.getMessage(),
                    e);
        }
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(true);
            return new Pool(pool, PostgresSchema.migrate(c, where));
        } catch (SQLException | RuntimeException e) {
            pool.close();
            if (e instanceof StorageException s) throw s;
            if (e instanceof SQLException s) throw translate(s, "opening " + where);
            throw new StorageException(StorageException.Code.IO, "cannot open " + where + ": " + e.getMessage(), e);
        }
    }

    /** The URL without its parameters (which may hold a password), for messages and logs. */
    static String redact(String jdbcUrl) {
        int query = jdbcUrl.indexOf('?');
        return query < 0 ? jdbcUrl : jdbcUrl.substring(0, query) + "?…";
    }

    public Options options() {
        return options;
    }

    @Override
    public SharedBlobs sharedBlobs() {
        return blobs;
    }

    @Override
    public <T> T write(WriteWork<T> work) {
        Objects.requireNonNull(work, "work");
        if (writeLock.isHeldByCurrentThread()) {
            throw new IllegalStateException("write() called from inside a write transaction: writes do not nest");
        }
        if (readDepth.get()[0] > 0) {
            // the write would wait for the lock while holding a connection that the writer may need
            throw new IllegalStateException("write() called from inside a read transaction");
        }
        ensureOpen();
        writeLock.lock();
        try {
            ensureOpen();
            Connection c = connection("write");
            boolean reusable = false;
            try {
                long lastSequence = begin(c, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED", LOCK_COUNTER);
                PostgresTransaction tx = new PostgresTransaction(c, true, lastSequence, options.values());
                T result;
                try {
                    result = work.run(tx);
                    tx.end();
                    StorageException aborted = tx.abortedBy();
                    if (aborted != null) {
                        // work caught a storage failure and returned anyway: the database transaction is aborted
                        throw new StorageException(
                                aborted.code(),
                                "nothing was committed: a storage operation of the transaction failed: "
                                        + aborted.getMessage(),
                                aborted);
                    }
                    boolean numbered = tx.sequenceForCommit() != lastSequence;
                    // marked before the commit: its notification may come back before commit() returns
                    PostgresCommitSignal s = numbered ? signal : null;
                    long mark = s == null ? 0 : s.sending();
                    try {
                        commit(c, numbered ? tx.sequenceForCommit() : -1);
                    } catch (RuntimeException e) {
                        if (s != null) s.notSent(mark);
                        throw e;
                    }
                } catch (Throwable t) {
                    tx.end();
                    StorageException cause = tx.abortedBy();
                    reusable = rollbackQuietly(c, t);
                    noteWriteFailure(cause != null ? cause : t);
                    throw t;
                }
                reusable = true;
                if (tx.modified() && writeFailure != null) {
                    writeFailure = null;
                    log.warn("{}: writes succeed again", where);
                }
                return result;
            } catch (StorageException e) {
                noteWriteFailure(e);
                throw e;
            } finally {
                release(c, reusable);
            }
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public <T> T read(ReadWork<T> work) {
        Objects.requireNonNull(work, "work");
        ensureOpen();
        int[] depth = readDepth.get();
        readGate.readLock().lock();
        depth[0]++;
        try {
            ensureOpen();
            Connection c = connection("read");
            boolean reusable = false;
            try {
                // the first read fixes the snapshot: from here on, later commits are invisible
                long lastSequence =
                        begin(c, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", READ_COUNTER);
                PostgresTransaction tx = new PostgresTransaction(c, false, lastSequence, options.values());
                T result;
                try {
                    result = work.run(tx);
                } catch (Throwable t) {
                    tx.end();
                    reusable = rollbackQuietly(c, t);
                    throw t;
                }
                tx.end();
                commit(c, -1);
                reusable = true;
                return result;
            } finally {
                release(c, reusable);
            }
        } finally {
            depth[0]--;
            readGate.readLock().unlock();
        }
    }

    private Connection connection(String what) {
        try {
            return pool.getConnection();
        } catch (SQLException e) {
            throw translate(e, what + " on " + where + ": no connection");
        }
    }

    /** Starts the transaction and reads the counter (locking it for a write). Rolls back if that fails. */
    private long begin(Connection c, String setTransaction, String counterQuery) {
        try (Statement s = c.createStatement()) {
            s.execute(setTransaction);
            try (ResultSet rs = s.executeQuery(counterQuery)) {
                if (!rs.next()) {
                    throw new StorageException(
                            StorageException.Code.CORRUPT, where + ": the row of starling_counter is missing");
                }
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            StorageException failure = translate(e, "starting a transaction on " + where);
            rollbackQuietly(c, failure);
            throw failure;
        } catch (StorageException e) {
            rollbackQuietly(c, e);
            throw e;
        }
    }

    /**
     * Writes the counter back (unless {@code lastSequence} is -1), with it signals the commit to the other instances
     * (one round trip), and commits.
     */
    private void commit(Connection c, long lastSequence) {
        try {
            if (lastSequence >= 0 && notify != null) {
                try (Statement s = c.createStatement()) {
                    s.addBatch("UPDATE starling_counter SET last_seq = " + lastSequence + " WHERE id = 1");
                    s.addBatch(notify);
                    s.executeBatch();
                } catch (BatchUpdateException e) {
                    SQLException cause = e.getNextException();
                    throw cause != null ? cause : e;
                }
            } else if (lastSequence >= 0) {
                try (var s = c.prepareStatement(WRITE_COUNTER)) {
                    s.setLong(1, lastSequence);
                    s.executeUpdate();
                }
            }
            c.commit();
        } catch (SQLException e) {
            throw translate(e, "commit on " + where);
        }
    }

    /**
     * Listens for the commits of the other instances on this database and schema (LISTEN/NOTIFY, on a connection of
     * its own that is reconnected when it drops), or null when the database does not take NOTIFY. This instance's own
     * commits are left out.
     */
    @Override
    public DocumentStorage.@Nullable CommitSignal commitSignal(Runnable wake) {
        java.util.Objects.requireNonNull(wake, "wake");
        String ch = channel;
        if (ch == null) return null;
        synchronized (closeLock) {
            ensureOpen();
            if (signal != null) throw new IllegalStateException("a commit signal is already running on " + where);
            PostgresCommitSignal s =
                    new PostgresCommitSignal(jdbcUrl, where, ch, token, options.connectTimeout(), wake);
            signal = s;
            s.start();
            return s;
        }
    }

    /** The server process of the commit signal's listening connection, 0 when there is none (tests). */
    int listenerBackendPid() {
        synchronized (closeLock) {
            PostgresCommitSignal s = signal;
            return s == null ? 0 : s.backendPid();
        }
    }

    /** Rolls back; false if that failed too (the connection is then not reused). */
    private boolean rollbackQuietly(Connection c, Throwable cause) {
        try {
            c.rollback();
            return true;
        } catch (SQLException e) {
            cause.addSuppressed(e);
            log.warn("{}: ROLLBACK failed after {}; dropping the connection", where, cause.toString());
            return false;
        }
    }

    private void release(Connection c, boolean reusable) {
        if (!reusable) pool.evictConnection(c);
        try {
            c.close();
        } catch (SQLException e) {
            log.debug("{}: returning a connection failed", where, e);
        }
    }

    /** A failure of the database as a StorageException with the code that fits its SQLSTATE. */
    static StorageException translate(SQLException e, String what) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        StorageException.Code code;
        if (state.startsWith("53")) {
            code = state.equals("53100") ? StorageException.Code.FULL : StorageException.Code.IO;
        } else if (state.equals("XX001") || state.equals("XX002")) {
            code = StorageException.Code.CORRUPT;
        } else {
            code = StorageException.Code.IO;
        }
        return new StorageException(
                code, what + " failed: " + e.getMessage() + (state.isEmpty() ? "" : " (SQLSTATE " + state + ")"), e);
    }

    private void noteWriteFailure(Throwable t) {
        if (t instanceof StorageException e && isConditionOfTheStorage(e)) {
            if (writeFailure == null) log.warn("{}: writes are failing: {}", where, e.getMessage());
            writeFailure = e;
        }
    }

    /** A full disk, damage, or a server that cannot be reached: not one transaction's constraint or conflict. */
    private static boolean isConditionOfTheStorage(StorageException e) {
        switch (e.code()) {
            case FULL:
            case CORRUPT:
                return true;
            case IO:
                String state = e.getCause() instanceof SQLException s && s.getSQLState() != null ? s.getSQLState() : "";
                return state.startsWith("08")
                        || state.startsWith("53")
                        || state.startsWith("57P")
                        || state.equals("25006");
            default:
                return false;
        }
    }

    @Override
    public @Nullable StorageException writeFailure() {
        return writeFailure;
    }

    private void ensureOpen() {
        if (closed) {
            throw new StorageException(StorageException.Code.CLOSED, "storage " + where + " is closed");
        }
    }

    /**
     * Waits for the running write and reads, then closes every connection. Idempotent; concurrent callers return
     * once the storage is closed. The database and its data stay.
     *
     * @throws IllegalStateException if called from inside a read or write callback
     */
    @Override
    @SuppressWarnings("LockNotBeforeTry") // lock() then unlock() at once: waits for the running write to end
    public void close() {
        if (writeLock.isHeldByCurrentThread()) {
            throw new IllegalStateException("close() called from inside a write transaction");
        }
        if (readDepth.get()[0] > 0) {
            throw new IllegalStateException("close() called from inside a read transaction");
        }
        synchronized (closeLock) {
            if (poolClosed) return;
            closed = true;
            PostgresCommitSignal s = signal;
            if (s != null) s.close();
            writeLock.lock();
            writeLock.unlock();
            readGate.writeLock().lock();
            try {
                pool.close();
                poolClosed = true;
            } finally {
                readGate.writeLock().unlock();
            }
            log.debug("closed {}", where);
        }
    }

    /** Connections this instance holds open now (0 once closed), for tests that check nothing leaked. */
    public int openConnectionCount() {
        if (poolClosed) return 0;
        var bean = pool.getHikariPoolMXBean();
        return bean == null ? 0 : bean.getTotalConnections();
    }

    @Override
    public String toString() {
        return "PostgresStorage{" + where + (closed ? ", closed" : "") + "}";
    }
}
