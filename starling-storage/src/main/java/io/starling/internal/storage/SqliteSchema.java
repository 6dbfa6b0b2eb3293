package io.starling.internal.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-disk schema of {@link SqliteStorage}: how a file is recognised as ours, how a new file is laid out,
 * and the chain of migrations that brings an older file up to date. See docs/STORAGE.md.
 *
 * <p>A new file is created at {@link #BASE_VERSION} and then migrated like any older file, so a fresh
 * database and an upgraded one always take the same path. Each migration runs in its own transaction that
 * also bumps {@value #KEY_SCHEMA_VERSION}: a crash leaves the file at one version or the next, never between.
 *
 * <p>Immutable and thread-safe.
 */
final class SqliteSchema {
    /** Value of {@value #KEY_FORMAT}: marks a SQLite file as a Starling database. */
    static final String FORMAT = "starling";
    /** {@code PRAGMA application_id} of a Starling database ("STLG"), shown by file(1). */
    static final int APPLICATION_ID = 0x53544C47;

    static final String KEY_FORMAT = "storage.format";
    static final String KEY_SCHEMA_VERSION = "storage.schema_version";
    static final String KEY_LAST_SEQUENCE = "storage.last_seq";

    /** The version {@link #createBase} builds. */
    static final int BASE_VERSION = 1;

    /**
     * Version 2: secondary index entries. One table for every index, keyed by (name, key, id): a scan of one index is
     * a range of the primary key in either direction, and WITHOUT ROWID stores each entry once, in that b-tree.
     */
    static final Migration INDEX_ENTRIES = new Migration(1, 2, "secondary index entries (table idx)", c -> {
        try (Statement s = c.createStatement()) {
            s.executeUpdate("CREATE TABLE idx ("
                    + " name TEXT NOT NULL,"
                    + " key BLOB NOT NULL,"
                    + " id BLOB NOT NULL,"
                    + " PRIMARY KEY (name, key, id)) WITHOUT ROWID");
        }
    });

    /**
     * Version 3: the write-transaction group of each row ({@code docs.grp}, the first sequence number the writing
     * transaction took; NULL for older rows, read as the row's own sequence), so that sync can keep rows written
     * together in one batch.
     */
    static final Migration WRITE_GROUPS = new Migration(2, 3, "write-transaction groups (docs.grp)", c -> {
        try (Statement s = c.createStatement()) {
            s.executeUpdate("ALTER TABLE docs ADD COLUMN grp INTEGER");
        }
    });

    /** The schema this code reads and writes. Add migrations here, in order, when the layout changes. */
    static final SqliteSchema CURRENT = new SqliteSchema(3, List.of(INDEX_ENTRIES, WRITE_GROUPS));

    /** Returned by {@link #inspect} for a file that has no tables yet. */
    static final int EMPTY = -1;

    private static final Logger log = LoggerFactory.getLogger(SqliteSchema.class);
    private static final byte[] SQLITE_MAGIC = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);
    private static final int SQLITE_HEADER_SIZE = 100;

    /** One step of the chain: {@code step} moves a file from {@code from} to {@code to} inside a transaction. */
    record Migration(int from, int to, String description, Step step) {
        Migration {
            Objects.requireNonNull(description, "description");
            Objects.requireNonNull(step, "step");
            if (to <= from) {
                throw new IllegalArgumentException("migration must go forward, got " + from + " -> " + to);
            }
        }
    }

    /** The work of one migration. It must not commit or roll back; the caller owns the transaction. */
    @FunctionalInterface
    interface Step {
        void apply(Connection connection) throws SQLException;
    }

    private final int version;
    private final List<Migration> migrations;

    /**
     * @param version the version this schema reads and writes
     * @param migrations a contiguous chain ({@code m[i].to == m[i+1].from}) ending at {@code version}; empty when
     *     {@code version} is {@link #BASE_VERSION}
     */
    SqliteSchema(int version, List<Migration> migrations) {
        List<Migration> chain = List.copyOf(migrations);
        for (int i = 1; i < chain.size(); i++) {
            if (chain.get(i - 1).to() != chain.get(i).from()) {
                throw new IllegalArgumentException(
                        "migration chain has a gap between " + chain.get(i - 1) + " and " + chain.get(i));
            }
        }
        int end = chain.isEmpty() ? BASE_VERSION : chain.get(chain.size() - 1).to();
        if (end != version) {
            throw new IllegalArgumentException("migration chain ends at " + end + ", not at version " + version);
        }
        if (!chain.isEmpty() && chain.get(0).from() > BASE_VERSION) {
            throw new IllegalArgumentException(
                    "migration chain starts at " + chain.get(0).from() + ", after the base version " + BASE_VERSION
                            + " that new files are created at");
        }
        this.version = version;
        this.migrations = chain;
    }

    int version() {
        return version;
    }

    /**
     * Decides, without writing anything, whether {@code file} may be opened: returns {@link #EMPTY} for a
     * missing or table-less file, or the schema version of a Starling database.
     *
     * @throws StorageException {@code CORRUPT} for a file that is not a Starling database (not SQLite, a
     *     truncated header, another application's database), {@code NEWER_SCHEMA} for a version above
     *     {@link #version()}, {@code IO} for an older version with no migration path
     */
    int inspect(Path file, Duration busyTimeout) {
        if (!checkHeader(file)) {
            return EMPTY;
        }
        Path wal = Path.of(file + "-wal");
        Path shm = Path.of(file + "-shm");
        boolean walExisted = Files.exists(wal);
        boolean shmExisted = Files.exists(shm);
        try {
            return checkVersion(file, busyTimeout);
        } catch (RuntimeException | Error e) {
            // reading a WAL-mode file creates an empty -wal and a -shm: leave a refused file as we found it
            if (!walExisted) {
                deleteIfEmpty(wal, e);
            }
            if (!shmExisted) {
                try {
                    Files.deleteIfExists(shm);
                } catch (IOException cleanupFailure) {
                    e.addSuppressed(cleanupFailure);
                }
            }
            throw e;
        }
    }

    private static void deleteIfEmpty(Path path, Throwable failure) {
        try {
            if (Files.size(path) == 0) {
                Files.delete(path);
            }
        } catch (NoSuchFileException absent) {
            // never created
        } catch (IOException cleanupFailure) {
            failure.addSuppressed(cleanupFailure);
        }
    }

    private int checkVersion(Path file, Duration busyTimeout) {
        // read-only: a foreign file must come out untouched (no journal-mode change, no checkpoint)
        int found;
        try (SqliteSession session = SqliteSession.open(file, true, busyTimeout)) {
            found = readVersion(session.connection(), file);
        }
        if (found > version) {
            throw new StorageException(
                    StorageException.Code.NEWER_SCHEMA,
                    file + " has schema version " + found + " but this Starling supports versions up to " + version
                            + "; open it with a newer Starling");
        }
        if (found != EMPTY && found < version && migrationFrom(found) == null) {
            throw new StorageException(
                    StorageException.Code.IO,
                    file + " has schema version " + found + " and there is no migration from it (this Starling"
                            + " migrates from "
                            + (migrations.isEmpty()
                                    ? version
                                    : migrations.get(0).from())
                            + " to " + version + ")");
        }
        return found;
    }

    /** Returns false when there is no file or an empty one; throws CORRUPT when the header is not SQLite's. */
    private static boolean checkHeader(Path file) {
        byte[] header;
        try (InputStream in = Files.newInputStream(file)) {
            header = in.readNBytes(SQLITE_HEADER_SIZE);
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw new StorageException(StorageException.Code.IO, "cannot read " + file + ": " + e, e);
        }
        if (header.length == 0) {
            return false;
        }
        if (!Arrays.equals(
                header,
                0,
                Math.min(header.length, SQLITE_MAGIC.length),
                SQLITE_MAGIC,
                0,
                Math.min(header.length, SQLITE_MAGIC.length))) {
            throw notStarling(file, "it is not an SQLite database file (wrong header)", null);
        }
        if (header.length < SQLITE_HEADER_SIZE) {
            throw notStarling(file, "its SQLite header is truncated (" + header.length + " bytes)", null);
        }
        return true;
    }

    private static int readVersion(Connection c, Path file) {
        try (Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM sqlite_master")) {
                rs.next();
                if (rs.getLong(1) == 0) {
                    return EMPTY;
                }
            }
            try (ResultSet rs = s.executeQuery("PRAGMA application_id")) {
                rs.next();
                if (rs.getInt(1) != APPLICATION_ID) {
                    throw notStarling(
                            file,
                            "it is another application's SQLite database (application_id " + rs.getInt(1) + ")",
                            null);
                }
            }
            try (ResultSet rs =
                    s.executeQuery("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'")) {
                rs.next();
                if (rs.getLong(1) == 0) {
                    throw notStarling(file, "it has no meta table", null);
                }
            }
        } catch (SQLException e) {
            StorageException failure = SqliteSession.failure(file, "reading the schema", e);
            if (failure.code() == StorageException.Code.CORRUPT) {
                throw notStarling(file, "SQLite cannot read it (" + e.getMessage() + ")", e);
            }
            throw failure;
        }
        Object format;
        Object version;
        try (PreparedStatement ps = c.prepareStatement("SELECT value FROM meta WHERE key = ?")) {
            format = metaValue(ps, KEY_FORMAT);
            version = metaValue(ps, KEY_SCHEMA_VERSION);
        } catch (SQLException e) {
            if ((e.getErrorCode() & 0xff) == 1) { // SQLITE_ERROR: a meta table of another shape
                throw notStarling(file, "its meta table is not Starling's (" + e.getMessage() + ")", e);
            }
            throw SqliteSession.failure(file, "reading the format marker", e);
        }
        if (!FORMAT.equals(format)) {
            throw notStarling(file, "it has no Starling format marker (" + KEY_FORMAT + " = " + format + ")", null);
        }
        if (!(version instanceof Integer || version instanceof Long)) {
            throw notStarling(file, KEY_SCHEMA_VERSION + " is missing or not an integer (" + version + ")", null);
        }
        return ((Number) version).intValue();
    }

    private static @Nullable Object metaValue(PreparedStatement ps, String key) throws SQLException {
        ps.setString(1, key);
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getObject(1) : null;
        }
    }

    private static StorageException notStarling(Path file, String why, @Nullable Throwable cause) {
        return new StorageException(StorageException.Code.CORRUPT, file + " is not a Starling database: " + why, cause);
    }

    /** Creates the version-{@link #BASE_VERSION} layout in an empty database, in one transaction. */
    static void createBase(SqliteSession writer) {
        runInTransaction(writer, "creating the schema", c -> {
            try (Statement s = c.createStatement()) {
                s.executeUpdate("PRAGMA application_id = " + APPLICATION_ID);
                s.executeUpdate("CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB)");
                // seq is the rowid: changesSince is a rowid range scan; put moves a row by changing its seq
                s.executeUpdate("CREATE TABLE docs ("
                        + " seq INTEGER PRIMARY KEY,"
                        + " collection TEXT NOT NULL,"
                        + " id BLOB NOT NULL,"
                        + " live INTEGER NOT NULL,"
                        + " state BLOB NOT NULL,"
                        + " UNIQUE (collection, id))");
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO meta(key, value) VALUES (?, ?)")) {
                insert(ps, KEY_FORMAT, FORMAT);
                insert(ps, KEY_SCHEMA_VERSION, BASE_VERSION);
                insert(ps, KEY_LAST_SEQUENCE, 0L);
            }
        });
        log.debug("created schema version {} in {}", BASE_VERSION, writer.file());
    }

    private static void insert(PreparedStatement ps, String key, Object value) throws SQLException {
        ps.setString(1, key);
        ps.setObject(2, value);
        ps.executeUpdate();
    }

    /**
     * Runs the migrations from {@code found} up to {@link #version()}, each in its own transaction.
     *
     * @param newFile the file was just created at the base version (its migrations are logged at DEBUG, not INFO:
     *     nothing of the user's is being converted)
     */
    void migrate(SqliteSession writer, int found, boolean newFile) {
        int at = found;
        while (at < version) {
            Migration m = migrationFrom(at);
            if (m == null) {
                throw new StorageException(StorageException.Code.IO, "no migration from schema version " + at);
            }
            if (newFile) {
                log.debug(
                        "bringing new file {} from schema version {} to {}: {}",
                        writer.file(),
                        m.from(),
                        m.to(),
                        m.description());
            } else {
                log.info(
                        "migrating {} from schema version {} to {}: {}",
                        writer.file(),
                        m.from(),
                        m.to(),
                        m.description());
            }
            runInTransaction(writer, "migration " + m.from() + " -> " + m.to() + " (" + m.description() + ")", c -> {
                m.step().apply(c);
                try (PreparedStatement ps = c.prepareStatement("UPDATE meta SET value = ? WHERE key = ?")) {
                    ps.setInt(1, m.to());
                    ps.setString(2, KEY_SCHEMA_VERSION);
                    if (ps.executeUpdate() != 1) {
                        throw new SQLException("meta has no " + KEY_SCHEMA_VERSION + " row");
                    }
                }
            });
            at = m.to();
        }
    }

    private @Nullable Migration migrationFrom(int from) {
        for (Migration m : migrations) {
            if (m.from() == from) {
                return m;
            }
        }
        return null;
    }

    private static void runInTransaction(SqliteSession writer, String what, Step step) {
        writer.execute(SqliteSession.Sql.BEGIN_WRITE);
        StorageException failure;
        try {
            step.apply(writer.connection());
            writer.execute(SqliteSession.Sql.COMMIT);
            return;
        } catch (SQLException e) {
            failure = SqliteSession.failure(writer.file(), what, e);
        } catch (StorageException e) {
            failure = e;
        } catch (RuntimeException e) {
            failure =
                    new StorageException(StorageException.Code.IO, what + " failed on " + writer.file() + ": " + e, e);
        } catch (Error e) {
            writer.rollbackQuietly(e);
            throw e;
        }
        writer.rollbackQuietly(failure);
        throw failure;
    }

    /** Lists the steps, for messages. */
    @Override
    public String toString() {
        List<String> steps = new ArrayList<>();
        for (Migration m : migrations) {
            steps.add(m.from() + "->" + m.to());
        }
        return "schema v" + version + " " + steps;
    }
}
