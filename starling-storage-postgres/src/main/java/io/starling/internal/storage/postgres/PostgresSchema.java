package io.starling.internal.storage.postgres;

import io.starling.internal.storage.StorageException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tables of {@link PostgresStorage} and their versioned migrations.
 *
 * <p>{@code starling_migrations} holds one row per applied migration (version, description, time) plus a row of
 * version 0 that is only a lock: every migration runs in its own transaction that first locks that row with {@code
 * SELECT ... FOR UPDATE}, reads the current version and applies the next step with its history row. Nodes that start
 * together on a new or older database therefore migrate it once, one step at a time, and a crash leaves it at one
 * version or the next. Plain tables and row locks only: PostgreSQL, CockroachDB and YugabyteDB all take it.
 *
 * <p>To change the layout: append a {@link Migration} with the next version (never edit an applied one) and bump
 * nothing else: {@link #CURRENT} is the last migration's version.
 */
final class PostgresSchema {
    private static final Logger log = LoggerFactory.getLogger(PostgresSchema.class);

    /** One step of the schema: the statements that take it from {@code version - 1} to {@code version}. */
    record Migration(int version, String description, List<String> statements) {}

    static final List<Migration> MIGRATIONS = List.of(
            new Migration(
                    1,
                    "documents with their change sequence and jsonb value, index entries, meta",
                    List.of(
                            "CREATE TABLE starling_counter (id INT PRIMARY KEY, last_seq BIGINT NOT NULL)",
                            "INSERT INTO starling_counter (id, last_seq) VALUES (1, 0)",
                            "CREATE TABLE starling_docs ("
                                    + "collection TEXT NOT NULL, "
                                    + "id BYTEA NOT NULL, "
                                    + "seq BIGINT NOT NULL, "
                                    + "grp BIGINT NOT NULL, "
                                    + "live BOOLEAN NOT NULL, "
                                    + "state BYTEA NOT NULL, "
                                    + "value JSONB, "
                                    + "PRIMARY KEY (collection, id))",
                            "CREATE UNIQUE INDEX starling_docs_seq ON starling_docs (seq)",
                            // entries are ordered by (key, id) through skp, an order-preserving prefix of both: a
                            // b-tree
                            // entry is limited to about 2.7 KB, keys are not (PostgresTransaction.sortPrefix)
                            "CREATE TABLE starling_idx ("
                                    + "name TEXT NOT NULL, skp BYTEA NOT NULL, key BYTEA NOT NULL, id BYTEA NOT NULL)",
                            "CREATE INDEX starling_idx_order ON starling_idx (name, skp)",
                            "CREATE TABLE starling_meta (key TEXT PRIMARY KEY, value BYTEA NOT NULL)")),
            new Migration(
                    2,
                    "state of the logical server that every node shares: HTTP API keys, leases with positions",
                    List.of(
                            // one row per key: its id, and the key as the key file holds it (a JSON object: salted
                            // hash, never the secret); made is the order of creation, for listing
                            "CREATE TABLE starling_api_keys ("
                                    + "id TEXT PRIMARY KEY, "
                                    + "made TIMESTAMPTZ NOT NULL DEFAULT now(), "
                                    + "record TEXT NOT NULL)",
                            // a job that one node at a time runs (the Kafka sink): who holds it until when (database
                            // time, so the nodes' clocks do not matter), and the position it has reached
                            "CREATE TABLE starling_leases ("
                                    + "name TEXT PRIMARY KEY, "
                                    + "holder TEXT NOT NULL, "
                                    + "expires_at TIMESTAMPTZ NOT NULL, "
                                    + "position TEXT)")),
            new Migration(
                    3,
                    "attachment blobs shared by the nodes: one row per blob, its content in chunk rows",
                    List.of(
                            "CREATE TABLE starling_blobs (id TEXT PRIMARY KEY, len BIGINT NOT NULL)",
                            "CREATE TABLE starling_blob_chunks ("
                                    + "id TEXT NOT NULL, idx BIGINT NOT NULL, data BYTEA NOT NULL, "
                                    + "PRIMARY KEY (id, idx))")),
            new Migration(
                    4,
                    "peer ids the authority certified and the user each is bound to",
                    List.of(
                            // one row per peer id (16 hex digits) a login was issued for: its first user (the key
                            // decides between two nodes binding one id at once), the device key last certified for
                            // it, when it was first bound and when last changed; by user, to count and release
                            "CREATE TABLE starling_peer_bindings ("
                                    + "peer_id TEXT PRIMARY KEY, "
                                    + "user_id TEXT NOT NULL, "
                                    + "device_key TEXT NOT NULL, "
                                    + "bound_at TIMESTAMPTZ NOT NULL, "
                                    + "changed_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                            "CREATE INDEX starling_peer_bindings_user ON starling_peer_bindings (user_id)")));

    /** The schema version this code writes. */
    static final int CURRENT = checkedChain(MIGRATIONS);

    private static final String SQLSTATE_UNIQUE_VIOLATION = "23505";
    private static final String SQLSTATE_DUPLICATE_TABLE = "42P07";
    private static final String SQLSTATE_DUPLICATE_OBJECT = "42710";

    private PostgresSchema() {}

    /** The last version of a chain that must run 1, 2, 3, … without a gap (migrate() indexes it by version). */
    private static int checkedChain(List<Migration> migrations) {
        for (int i = 0; i < migrations.size(); i++) {
            if (migrations.get(i).version() != i + 1) {
                throw new IllegalStateException("migration " + (i + 1) + " has version "
                        + migrations.get(i).version() + ": versions must run 1, 2, 3, … without a gap");
            }
        }
        return migrations.size();
    }

    /**
     * Brings the database to {@link #CURRENT}. The connection must be in auto-commit mode; it is left so.
     *
     * @return the version found before migrating (0 for a new database)
     * @throws StorageException {@code NEWER_SCHEMA} for a database written by a newer Starling (left untouched)
     */
    static int migrate(Connection c, String where) throws SQLException {
        checkEncoding(c, where);
        createHistoryTable(c);
        int found = -1;
        while (true) {
            c.setAutoCommit(false);
            try {
                try (Statement s = c.createStatement()) {
                    s.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
                    s.executeQuery("SELECT version FROM starling_migrations WHERE version = 0 FOR UPDATE")
                            .close();
                }
                int version = currentVersion(c);
                if (found < 0) found = version;
                if (version > CURRENT) {
                    throw new StorageException(
                            StorageException.Code.NEWER_SCHEMA,
                            where + " has schema version " + version + " but this Starling supports versions up to "
                                    + CURRENT);
                }
                if (version == CURRENT) {
                    c.commit();
                    return found;
                }
                Migration next = MIGRATIONS.get(version);
                if (version == 0) log.info("{}: creating the Starling schema (version {})", where, next.version());
                else log.info("{}: migrating from schema version {} to {}", where, version, next.version());
                try (Statement s = c.createStatement()) {
                    for (String sql : next.statements()) s.execute(sql);
                }
                try (var insert =
                        c.prepareStatement("INSERT INTO starling_migrations (version, description) VALUES (?, ?)")) {
                    insert.setInt(1, next.version());
                    insert.setString(2, next.description());
                    insert.executeUpdate();
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException rollbackFailure) {
                    e.addSuppressed(rollbackFailure);
                }
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    private static void checkEncoding(Connection c, String where) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SHOW server_encoding")) {
            String encoding = rs.next() ? rs.getString(1) : "unknown";
            if (!"UTF8".equalsIgnoreCase(encoding) && !"UTF-8".equalsIgnoreCase(encoding)) {
                throw new StorageException(
                        StorageException.Code.IO,
                        where + " has encoding " + encoding + "; Starling needs a UTF8 database");
            }
        }
    }

    /** Creates the history table and its lock row unless present; safe when several nodes do it at once. */
    private static void createHistoryTable(Connection c) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS starling_migrations ("
                        + "version INT PRIMARY KEY, "
                        + "description TEXT NOT NULL, "
                        + "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
                s.execute("INSERT INTO starling_migrations (version, description) VALUES (0, 'the migration lock') "
                        + "ON CONFLICT (version) DO NOTHING");
                return;
            } catch (SQLException e) {
                // two nodes creating the table at the same instant: PostgreSQL lets one of them fail on its catalog
                // (the table's row type, or a catalog index); the table is there when it tries again
                boolean race = SQLSTATE_UNIQUE_VIOLATION.equals(e.getSQLState())
                        || SQLSTATE_DUPLICATE_TABLE.equals(e.getSQLState())
                        || SQLSTATE_DUPLICATE_OBJECT.equals(e.getSQLState());
                if (!race || attempt >= 3) throw e;
            }
        }
    }

    private static int currentVersion(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT max(version) FROM starling_migrations")) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }
}
