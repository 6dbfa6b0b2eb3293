package io.starling.internal.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Design note
 * -----------
 * Files. A directory holds starling.db (+ -wal, -shm) and starling.lock. The lock file is held with an OS lock
 * for the life of the instance (DirectoryLock), so exactly one process, and one instance in it, owns the
 * database; everything below relies on that and never re-checks what it alone can change.
 *
 * Opening never writes to a file before knowing it is ours: SqliteSchema.inspect reads the header, then looks at
 * the file through a read-only connection (application_id, meta marker, schema version). Only then is the writer
 * connection switched to WAL and the schema created or migrated.
 *
 * Connections. One writer connection, used only under the fair write lock, runs BEGIN IMMEDIATE ... COMMIT.
 * Readers come from a bounded pool (a semaphore of maxReaders permits, idle connections on a LIFO deque so a
 * warm connection is reused first, created lazily, read-only). A read runs in one deferred transaction whose
 * snapshot is taken at once by reading the last sequence from meta, so everything it sees, including
 * lastSequence(), is the state committed before read() was called. A write transaction reads through the writer
 * connection and sees its own uncommitted rows. Statements are prepared once per connection (SqliteSession).
 *
 * Sequence. seq is the rowid of docs. The last assigned number lives in memory (guarded by the write lock) and in
 * meta (storage.last_seq), written once per committed write transaction that assigned numbers. A transaction
 * counts on its own copy; the storage adopts it only after COMMIT succeeded, so a rollback has nothing to undo.
 * On open the counter is max(meta, max(seq)): it never goes backwards, even when the row holding the maximum was
 * removed.
 *
 * Cost. insertIfAbsent is one INSERT .. ON CONFLICT DO NOTHING whose update count tells whether it inserted; put
 * is one upsert whose DO UPDATE changes seq, which SQLite performs as a move of the row. Nothing else runs per
 * row. There is deliberately no second index on docs (e.g. a partial index on live rows): measured, it halved insert
 * throughput with random ids, while a live-only scan without it only reads each tombstone's live flag.
 *
 * Index entries (schema version 2) are rows of one WITHOUT ROWID table idx(name, key, id) whose primary key is the
 * whole row: an entry is stored once, in key order, and every scan is a range of that b-tree walked forwards or
 * backwards (one prepared statement per combination of bounds and direction, so no OR in the plan). An entry costs
 * what a row's id index entry costs: one more b-tree insert, cheap when keys arrive in order, a dirty page per entry
 * when they are random (see docs/STORAGE.md for the figures).
 *
 * Failed writes. Whatever fails inside a write transaction, the writer connection is usable by the next one. A
 * statement that fails aborts its transaction (SqliteSession refuses everything but ROLLBACK until it ends, because
 * after SQLITE_FULL or an I/O error SQLite may already have rolled the whole transaction back, and a later statement
 * would run and commit on its own); sqlite-jdbc finalizes a statement that failed, so the session drops it from its
 * cache and prepares it again. If even ROLLBACK fails, the writer connection is closed (which rolls back whatever it
 * held) and the next write opens a new one. The last such failure of the storage itself (no space, an I/O error,
 * damage: not a constraint or a lock) is kept
 * for health checks until a write transaction commits a change: a commit that wrote nothing proves nothing about
 * the space left.
 *
 * Closing. close() marks the instance closed (new calls fail with CLOSED, nested calls too, so none can block),
 * waits for the running write by taking and releasing the write lock, waits for running reads by taking every
 * reader permit, closes readers and then the writer (the last connection checkpoints and removes the WAL), and
 * releases the directory lock. It never holds the write lock while waiting for readers, nor the reverse, so a
 * writer that calls read() cannot deadlock with it. write() from inside read() is refused outright: holding a
 * reader connection while queueing for the write lock could starve a writer that reads.
 */

/**
 * The SQLite implementation of {@link DocumentStorage}: one directory, one writer connection, a small pool of
 * reader connections, WAL journaling. See docs/STORAGE.md for the file format.
 *
 * <p>Thread-safe. Writes are serialised by a fair lock; reads run concurrently with each other and with the
 * writer, each on its own snapshot, at most {@link Options#maxReaders()} at a time (more wait for a free
 * connection). An acknowledged write ({@link #write} returned) survives a crash of the process, and with
 * {@link Durability#FULL} a power loss as well.
 *
 * <p>Failures are {@link StorageException}s: {@code LOCKED} when the directory is in use or the busy timeout
 * expired, {@code CORRUPT} for a file that is not a Starling database or a damaged page, {@code NEWER_SCHEMA},
 * {@code IO} for anything else, {@code CLOSED} after {@link #close}.
 */
public final class SqliteStorage implements DocumentStorage {
    /** The database file in the storage directory. */
    public static final String DATABASE_FILE = "starling.db";

    private static final Logger log = LoggerFactory.getLogger(SqliteStorage.class);
    private static final long WAL_SIZE_LIMIT = 64L << 20;
    private static final int SQLITE_READONLY = 8;
    private static final int SQLITE_IOERR = 10;
    private static final int SQLITE_CANTOPEN = 14;

    /** What an acknowledged write survives. */
    public enum Durability {
        /** {@code synchronous=FULL}: every commit is fsynced; survives process crash and power loss. */
        FULL,
        /**
         * {@code synchronous=NORMAL}: commits are fsynced only at checkpoints; survives a process crash, but a
         * power loss or OS crash may lose the last transactions (never corrupts the file). Faster.
         */
        NORMAL
    }

    /** Immutable options; each {@code with*} method validates its value and returns a copy. */
    public static final class Options {
        private static final Options DEFAULTS = new Options(Durability.FULL, Duration.ofSeconds(10), 4);

        private final Durability durability;
        private final Duration busyTimeout;
        private final int maxReaders;

        private Options(Durability durability, Duration busyTimeout, int maxReaders) {
            this.durability = durability;
            this.busyTimeout = busyTimeout;
            this.maxReaders = maxReaders;
        }

        /** FULL durability, a 10 s busy timeout, up to 4 reader connections. */
        public static Options defaults() {
            return DEFAULTS;
        }

        public Options withDurability(Durability durability) {
            return new Options(Objects.requireNonNull(durability, "durability"), busyTimeout, maxReaders);
        }

        /**
         * How long a statement waits for a lock held by another connection (another process reading the file,
         * a checkpoint) before failing with {@code LOCKED}. Between 0 and {@code Integer.MAX_VALUE} ms.
         */
        public Options withBusyTimeout(Duration busyTimeout) {
            Objects.requireNonNull(busyTimeout, "busyTimeout");
            if (busyTimeout.isNegative() || busyTimeout.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(
                        "busyTimeout must be between 0 and " + Integer.MAX_VALUE + " ms, got " + busyTimeout);
            }
            return new Options(durability, busyTimeout, maxReaders);
        }

        /** The most reader connections kept open, 1 to 64. */
        public Options withMaxReaders(int maxReaders) {
            if (maxReaders < 1 || maxReaders > 64) {
                throw new IllegalArgumentException("maxReaders must be between 1 and 64, got " + maxReaders);
            }
            return new Options(durability, busyTimeout, maxReaders);
        }

        public Durability durability() {
            return durability;
        }

        public Duration busyTimeout() {
            return busyTimeout;
        }

        public int maxReaders() {
            return maxReaders;
        }

        @Override
        public String toString() {
            return "Options{durability=" + durability + ", busyTimeout=" + busyTimeout + ", maxReaders=" + maxReaders
                    + "}";
        }
    }

    private final Path directory;
    private final Path file;
    private final Options options;
    private final DirectoryLock directoryLock;

    private final ReentrantLock writeLock = new ReentrantLock(true);
    /** Guarded by writeLock; null after a failed rollback closed it, until the next write opens a new one. */
    private @Nullable SqliteSession writer;
    /** Test hook: the max_page_count set on the writer connection, 0 for SQLite's default. Guarded by writeLock. */
    private long maxPageCount;
    /** The failure of the last write transaction if it was the storage's own (see writeFailure()), else null. */
    private volatile @Nullable StorageException writeFailure;
    /** The last assigned sequence number; guarded by writeLock. */
    private long lastSequence;

    private final Semaphore readerPermits;
    private final ConcurrentLinkedDeque<SqliteSession> idleReaders = new ConcurrentLinkedDeque<>();
    /** Every open reader, idle or borrowed. */
    private final Set<SqliteSession> readers = ConcurrentHashMap.newKeySet();

    private final Object closeLock = new Object();
    private volatile boolean closed;
    private volatile boolean writerClosed;

    private SqliteStorage(
            Path directory, Path file, Options options, DirectoryLock lock, SqliteSession writer, long lastSequence) {
        this.directory = directory;
        this.file = file;
        this.options = options;
        this.directoryLock = lock;
        this.writer = writer;
        this.lastSequence = lastSequence;
        this.readerPermits = new Semaphore(options.maxReaders());
    }

    /**
     * Opens the storage in {@code directory}, creating the directory and the database if absent, migrating an
     * older schema.
     *
     * @throws StorageException {@code LOCKED} if another instance or process uses the directory, {@code CORRUPT}
     *     if the database file is not a Starling database (it is left untouched), {@code NEWER_SCHEMA} if it was
     *     written by a newer Starling, {@code IO} otherwise
     */
    public static SqliteStorage open(Path directory, Options options) {
        return open(directory, options, SqliteSchema.CURRENT);
    }

    /** Opens with a given schema (tests use fake versions and migrations). */
    static SqliteStorage open(Path directory, Options options, SqliteSchema schema) {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(options, "options");
        if (directory.toAbsolutePath().toString().indexOf('?') >= 0) {
            // the JDBC URL would cut the file name there
            throw new IllegalArgumentException("database directory must not contain '?': " + directory);
        }
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new StorageException(
                    StorageException.Code.IO, "cannot create database directory " + directory + ": " + e, e);
        }
        DirectoryLock lock = DirectoryLock.acquire(directory);
        SqliteSession writer = null;
        try {
            Path file = directory.toAbsolutePath().resolve(DATABASE_FILE);
            int found = schema.inspect(file, options.busyTimeout());
            writer = SqliteSession.open(file, false, options.busyTimeout());
            String journalMode = configureWriter(writer, options);
            boolean newFile = found == SqliteSchema.EMPTY;
            if (newFile) {
                SqliteSchema.createBase(writer);
                found = SqliteSchema.BASE_VERSION;
            }
            schema.migrate(writer, found, newFile);
            long last = loadLastSequence(writer);
            log.debug(
                    "opened {} (schema version {}, journal_mode {}, synchronous {}, last sequence {}, {})",
                    file,
                    schema.version(),
                    journalMode,
                    options.durability(),
                    last,
                    options);
            return new SqliteStorage(directory, file, options, lock, writer, last);
        } catch (RuntimeException | Error e) {
            if (writer != null) {
                try {
                    writer.close();
                } catch (RuntimeException closeFailure) {
                    e.addSuppressed(closeFailure);
                }
            }
            try {
                lock.close();
            } catch (RuntimeException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
    }

    /** Switches the writer connection to WAL (a no-op once the file is in WAL mode) and sets its pragmas. */
    private static String configureWriter(SqliteSession writer, Options options) {
        String journalMode = writer.pragma("journal_mode = WAL");
        if (journalMode == null || !"wal".equalsIgnoreCase(journalMode)) {
            throw new StorageException(
                    StorageException.Code.IO,
                    "cannot switch " + writer.file() + " to WAL mode (got " + journalMode + ")");
        }
        writer.pragma("synchronous = " + options.durability().name());
        // after a large transaction, give the disk space of the WAL back once it is checkpointed
        writer.pragma("journal_size_limit = " + WAL_SIZE_LIMIT);
        return journalMode;
    }

    /** max(meta, max(seq)); repairs meta if a row is above it, so that readers see the same number. */
    private static long loadLastSequence(SqliteSession writer) {
        writer.execute(SqliteSession.Sql.BEGIN_WRITE);
        try {
            long stored = writer.metaLong(SqliteSchema.KEY_LAST_SEQUENCE, 0);
            long max = writer.maxSequence();
            if (max > stored) {
                log.warn(
                        "{}: {} was {} but a row has sequence {}; repaired",
                        writer.file(),
                        SqliteSchema.KEY_LAST_SEQUENCE,
                        stored,
                        max);
                writer.putMetaLong(SqliteSchema.KEY_LAST_SEQUENCE, max);
            }
            writer.execute(SqliteSession.Sql.COMMIT);
            return Math.max(stored, max);
        } catch (RuntimeException e) {
            writer.rollbackQuietly(e);
            throw e;
        }
    }

    /** The directory this storage owns. */
    public Path directory() {
        return directory;
    }

    public Options options() {
        return options;
    }

    @Override
    public <T> T write(WriteWork<T> work) {
        Objects.requireNonNull(work, "work");
        if (writeLock.isHeldByCurrentThread()) {
            throw new IllegalStateException("write() called from inside a write transaction: writes do not nest");
        }
        if (readingOnCurrentThread()) {
            // the write would wait for the lock while holding a reader connection that the writer may need
            throw new IllegalStateException("write() called from inside a read transaction");
        }
        ensureOpen();
        writeLock.lock();
        try {
            ensureOpen();
            SqliteSession session = writer();
            try {
                session.execute(SqliteSession.Sql.BEGIN_WRITE);
            } catch (StorageException e) {
                noteWriteFailure(e);
                throw e;
            }
            SqliteTransaction tx = new SqliteTransaction(session, true, lastSequence);
            T result;
            try {
                result = work.run(tx);
                tx.end();
                StorageException aborted = session.abortedBy();
                if (aborted != null) {
                    // work caught a storage failure and returned anyway: what it wrote may be half gone already
                    throw new StorageException(
                            aborted.code(),
                            "nothing was committed: a storage operation of the transaction failed: "
                                    + aborted.getMessage(),
                            aborted);
                }
                if (tx.sequenceForCommit() != lastSequence) {
                    session.putMetaLong(SqliteSchema.KEY_LAST_SEQUENCE, tx.sequenceForCommit());
                }
                session.execute(SqliteSession.Sql.COMMIT);
            } catch (Throwable t) {
                tx.end();
                StorageException cause = session.abortedBy();
                if (!session.rollbackQuietly(t)) dropWriter(t);
                noteWriteFailure(cause != null ? cause : t);
                throw t;
            }
            lastSequence = tx.sequenceForCommit();
            if (tx.modified() && writeFailure != null) {
                writeFailure = null;
                log.warn("{}: writes succeed again", file);
            }
            return result;
        } finally {
            writeLock.unlock();
        }
    }

    /** The writer connection, opened again if a failed rollback closed it. Under the write lock. */
    private SqliteSession writer() {
        if (writer != null) return writer;
        SqliteSession session = SqliteSession.open(file, false, options.busyTimeout());
        try {
            configureWriter(session, options);
            if (maxPageCount > 0) session.pragma("max_page_count = " + maxPageCount);
        } catch (RuntimeException e) {
            try {
                session.close();
            } catch (RuntimeException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
        log.info("{}: opened a new writer connection after the last one failed", file);
        writer = session;
        return session;
    }

    /** Closes a writer connection whose transaction could not be rolled back: closing rolls it back. */
    private void dropWriter(Throwable cause) {
        SqliteSession broken = writer;
        if (broken == null) return; // already dropped
        writer = null;
        log.warn("{}: ROLLBACK failed after {}; closing the writer connection", file, cause.toString());
        try {
            broken.close();
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    private void noteWriteFailure(Throwable t) {
        if (t instanceof StorageException e && isConditionOfTheStorage(e)) {
            if (writeFailure == null) log.warn("{}: writes are failing: {}", file, e.getMessage());
            writeFailure = e;
        }
    }

    /**
     * Whether a failure is a condition of the disk or the file (no space, an I/O error, a file that cannot be
     * opened or written, damage) rather than of one transaction (a constraint, a lock held by another process).
     */
    private static boolean isConditionOfTheStorage(StorageException e) {
        switch (e.code()) {
            case FULL:
            case CORRUPT:
                return true;
            case IO:
                int primary = e.getCause() instanceof SQLException s ? s.getErrorCode() & 0xff : -1;
                return primary == SQLITE_READONLY || primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN;
            default:
                return false;
        }
    }

    @Override
    public @Nullable StorageException writeFailure() {
        return writeFailure;
    }

    @Override
    public <T> T read(ReadWork<T> work) {
        Objects.requireNonNull(work, "work");
        ensureOpen();
        readerPermits.acquireUninterruptibly();
        try {
            ensureOpen();
            SqliteSession session = borrowReader();
            boolean reusable = false;
            try {
                session.execute(SqliteSession.Sql.BEGIN_READ);
                // the first read fixes the snapshot: from here on, later commits are invisible
                long snapshotSequence = session.metaLong(SqliteSchema.KEY_LAST_SEQUENCE, 0);
                SqliteTransaction tx = new SqliteTransaction(session, false, snapshotSequence);
                T result;
                try {
                    result = work.run(tx);
                } catch (Throwable t) {
                    tx.end();
                    reusable = session.rollbackQuietly(t);
                    throw t;
                }
                tx.end();
                session.execute(SqliteSession.Sql.COMMIT);
                reusable = true;
                return result;
            } finally {
                returnReader(session, reusable);
            }
        } finally {
            readerPermits.release();
        }
    }

    private SqliteSession borrowReader() {
        SqliteSession session = idleReaders.pollFirst();
        if (session == null) {
            session = SqliteSession.open(file, true, options.busyTimeout());
            readers.add(session);
        }
        session.user = Thread.currentThread();
        return session;
    }

    private void returnReader(SqliteSession session, boolean reusable) {
        session.user = null;
        if (reusable) {
            idleReaders.offerFirst(session);
            return;
        }
        // a connection whose transaction state is unknown is not given to the next reader
        readers.remove(session);
        try {
            session.close();
        } catch (StorageException e) {
            log.warn("closing a failed reader connection of {}", file, e);
        }
    }

    private boolean readingOnCurrentThread() {
        Thread current = Thread.currentThread();
        for (SqliteSession reader : readers) {
            if (reader.user == current) {
                return true;
            }
        }
        return false;
    }

    private void ensureOpen() {
        if (closed) {
            throw new StorageException(StorageException.Code.CLOSED, "storage " + directory + " is closed");
        }
    }

    /**
     * Waits for the running write and reads, closes every connection and releases the directory lock.
     * Idempotent; concurrent callers return once the storage is closed.
     *
     * @throws IllegalStateException if called from inside a read or write callback
     */
    @Override
    public void close() {
        // checked before taking closeLock: a reader blocked there would deadlock a concurrent close()
        if (writeLock.isHeldByCurrentThread()) {
            throw new IllegalStateException("close() called from inside a write transaction");
        }
        if (readingOnCurrentThread()) {
            throw new IllegalStateException("close() called from inside a read transaction");
        }
        synchronized (closeLock) {
            if (!writerClosed) {
                closeOnce();
            }
        }
    }

    @SuppressWarnings("LockNotBeforeTry") // lock() then unlock() at once: waits for the running write to end
    private void closeOnce() {
        closed = true;
        // wait for the running write; later writers see `closed` once they get the lock
        writeLock.lock();
        writeLock.unlock();
        int permits = options.maxReaders();
        readerPermits.acquireUninterruptibly(permits);
        RuntimeException failure = null;
        try {
            for (SqliteSession reader : readers) {
                try {
                    reader.close();
                } catch (RuntimeException e) {
                    failure = chain(failure, e);
                }
            }
            readers.clear();
            idleReaders.clear();
            writeLock.lock();
            try {
                if (writer != null) writer.close(); // the last connection: checkpoints and removes the WAL
            } catch (RuntimeException e) {
                failure = chain(failure, e);
            } finally {
                writerClosed = true;
                writeLock.unlock();
            }
        } finally {
            readerPermits.release(permits);
            try {
                directoryLock.close();
            } catch (RuntimeException e) {
                failure = chain(failure, e);
            }
        }
        log.debug("closed {}", file);
        if (failure != null) {
            throw failure;
        }
    }

    private static RuntimeException chain(@Nullable RuntimeException first, RuntimeException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    // ---- for tests

    /** Open SQLite connections: the writer (until closed) and every pooled reader. */
    int openConnectionCount() {
        return readers.size() + (writerClosed || writer == null ? 0 : 1);
    }

    /** Runs a pragma on the writer connection (e.g. {@code "synchronous"}), under the write lock. */
    @Nullable
    String writerPragma(String pragma) {
        writeLock.lock();
        try {
            ensureOpen();
            return writer().pragma(pragma);
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Test hook: caps the database file at {@code pages} pages ({@code PRAGMA max_page_count}), so that tests can
     * make the store "full" at a chosen size without filling a disk; a write that needs more pages fails with
     * {@link StorageException.Code#FULL}, as on a full disk. 0 restores SQLite's default. The cap holds until the
     * storage is closed.
     *
     * @return the cap now in effect, in pages (SQLite never sets it below the file's current size)
     */
    public long setMaxPageCountForTesting(long pages) {
        if (pages < 0) throw new IllegalArgumentException("pages must be >= 0, got " + pages);
        writeLock.lock();
        try {
            ensureOpen();
            long effective = Long.parseLong(writer().pragma("max_page_count = " + (pages == 0 ? 4294967294L : pages)));
            maxPageCount = pages;
            return effective;
        } finally {
            writeLock.unlock();
        }
    }

    /** The number of pages the database file holds now (tests size their caps with it). */
    public long pageCountForTesting() {
        writeLock.lock();
        try {
            ensureOpen();
            return Long.parseLong(writer().pragma("page_count"));
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public String toString() {
        return "SqliteStorage{" + file + (closed ? ", closed" : "") + "}";
    }
}
