package io.starling.internal.storage;

import static io.starling.internal.storage.DocumentStorageContractTest.DEADLINE;
import static io.starling.internal.storage.DocumentStorageContractTest.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.storage.DocumentStorage.Row;
import io.starling.internal.storage.SqliteStorage.Durability;
import io.starling.internal.storage.SqliteStorage.Options;
import io.starling.testsupport.Await;
import io.starling.testsupport.ChildJvm;
import io.starling.testsupport.Seed;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/** What only the SQLite implementation has: files, locks, formats, schema versions, connections, durability. */
final class SqliteStorageTest {
    @TempDir
    Path tmp;

    private final List<SqliteStorage> opened = new ArrayList<>();

    private Path dir() {
        return tmp.resolve("db");
    }

    private Path dbFile() {
        return dir().resolve(SqliteStorage.DATABASE_FILE);
    }

    private SqliteStorage open() {
        return open(Options.defaults());
    }

    private SqliteStorage open(Options options) {
        SqliteStorage storage = SqliteStorage.open(dir(), options);
        opened.add(storage);
        return storage;
    }

    @AfterEach
    void closeEverything() {
        for (SqliteStorage storage : opened) {
            storage.close();
            assertThat(storage.openConnectionCount()).isZero();
        }
    }

    private static StorageException.Code code(Throwable t) {
        return ((StorageException) t).code();
    }

    // ---- raw SQLite access, as another program would have

    static void sql(Path file, String... statements) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.executeUpdate(statement);
            }
        }
    }

    static Object query(Path file, String query) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(query)) {
            return rs.next() ? rs.getObject(1) : null;
        }
    }

    private List<String> filesIn(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    // ---- layout and lock

    /**
     * A scan SQLite narrows with instr() reaches the visitor only for states holding the run: for the others only its
     * progress handler polls. Its period is a few hundred rows, so a deadline is seen within a few hundred rows'
     * searches (100,000 instructions, the first setting, were thousands of rows: seconds when rows are costly to
     * search).
     */
    @Test
    void aScanThatSqliteNarrowsPollsEveryFewHundredRowsItLeavesOut() {
        SqliteStorage storage = open();
        int n = 20_000;
        storage.write(tx -> {
            for (int i = 0; i < n; i++) tx.put("c", utf8("id" + i), true, utf8("state " + i));
            return null;
        });
        int[] polls = {0};
        storage.read(tx -> {
            tx.scanStates("c", List.of(utf8("absent")), () -> polls[0]++, (state, current) -> true);
            return null;
        });
        assertThat(polls[0]).as("polls for %d rows left out", n).isGreaterThanOrEqualTo(n / 500);
    }

    @Test
    void createsTheDirectoryWithTheDatabaseAndTheLockFile() throws IOException {
        Path nested = tmp.resolve("a/b/c");
        SqliteStorage storage = SqliteStorage.open(nested, Options.defaults());
        opened.add(storage);
        storage.write(tx -> tx.put("c", utf8("a"), true, utf8("x")));
        assertThat(filesIn(nested)).contains("starling.db", "starling.lock", "starling.db-wal");
        storage.close();
        // the last connection checkpointed and removed the WAL
        assertThat(filesIn(nested)).containsExactly("starling.db", "starling.lock");
    }

    @Test
    void aSecondOpenInTheSameJvmIsLocked() {
        SqliteStorage first = open();
        assertThatThrownBy(() -> open())
                .isInstanceOf(StorageException.class)
                .hasMessage("database directory " + dir() + " is in use by another Starling instance or process")
                .satisfies(e -> assertThat(code(e)).isEqualTo(StorageException.Code.LOCKED));
        first.write(tx -> tx.put("c", utf8("a"), true, utf8("x")));
        first.close();
        // close released the lock, and the data is there
        assertThat(open().<Row>read(tx -> tx.get("c", utf8("a")))).isNotNull();
    }

    /** {@link LockHolderMain} on this test's directory, in a JVM of its own. */
    private ChildJvm lockHolder() throws java.io.IOException {
        return ChildJvm.builder(LockHolderMain.class)
                .fastStart()
                .jvmOptions("-Xmx128m")
                .temporaryFiles(tmp.resolve("child-tmp"))
                .args(dir().toString())
                .start();
    }

    @Test
    @Timeout(60)
    void anotherProcessHoldingTheLockLocksUsOut() throws Exception {
        Files.createDirectories(dir());
        try (ChildJvm child = lockHolder()) {
            assertThat(child.nextLine(DEADLINE)).isEqualTo("HELD");
            assertThatThrownBy(() -> open())
                    .isInstanceOf(StorageException.class)
                    .hasMessage("database directory " + dir() + " is in use by another Starling instance or process")
                    .satisfies(e -> assertThat(code(e)).isEqualTo(StorageException.Code.LOCKED));
            child.closeStdin();
            assertThat(child.nextLine(DEADLINE)).isEqualTo("RELEASED");
            assertThat(child.awaitExit(DEADLINE)).isZero();
        }
        open().close();
    }

    @Test
    @Timeout(60)
    void aRefusedSecondOpenDoesNotDropTheLockHeldAgainstOtherProcesses() throws Exception {
        open();
        // on POSIX, closing any descriptor of the lock file would drop our lock: the refused open must not touch it
        assertThatThrownBy(() -> open()).satisfies(e -> assertThat(code(e)).isEqualTo(StorageException.Code.LOCKED));
        try (ChildJvm child = lockHolder()) {
            assertThat(child.nextLine(DEADLINE)).startsWith("LOCKED database directory ");
            assertThat(child.awaitExit(DEADLINE)).isEqualTo(3);
        }
    }

    // ---- files that are not ours

    @Test
    void aGarbageFileIsCorruptAndLeftUntouched(@Seed long seed) throws IOException {
        byte[] garbage = new byte[8192];
        new Random(seed).nextBytes(garbage);
        assertNotStarling(garbage, "it is not an SQLite database file");
    }

    @Test
    void aTruncatedHeaderIsCorrupt() throws IOException {
        byte[] truncated = Arrays.copyOf("SQLite format 3\0".getBytes(StandardCharsets.US_ASCII), 40);
        assertNotStarling(truncated, "its SQLite header is truncated (40 bytes)");
    }

    @Test
    void anSqliteHeaderFollowedByGarbageIsCorrupt() throws Exception {
        Path other = tmp.resolve("other.db");
        sql(other, "CREATE TABLE t (x)", "INSERT INTO t VALUES (1)");
        byte[] bytes = Files.readAllBytes(other);
        Arrays.fill(bytes, 100, bytes.length, (byte) 0xff); // the schema b-tree of page 1
        assertNotStarling(bytes, "SQLite cannot read it");
    }

    static Stream<Arguments> foreignDatabases() {
        return Stream.of(
                Arguments.of(
                        new String[] {"CREATE TABLE users (name TEXT)", "INSERT INTO users VALUES ('ann')"},
                        "another application's SQLite database (application_id 0)"),
                Arguments.of(
                        new String[] {
                            "PRAGMA application_id = " + SqliteSchema.APPLICATION_ID, "CREATE TABLE users (name TEXT)"
                        },
                        "it has no meta table"),
                Arguments.of(
                        new String[] {
                            "PRAGMA application_id = " + SqliteSchema.APPLICATION_ID,
                            "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB)",
                            "INSERT INTO meta VALUES ('theme', 'dark')"
                        },
                        "it has no Starling format marker"),
                Arguments.of(
                        new String[] {
                            "PRAGMA application_id = " + SqliteSchema.APPLICATION_ID,
                            "CREATE TABLE meta (name TEXT, setting TEXT)"
                        },
                        "its meta table is not Starling's"),
                Arguments.of(
                        new String[] {
                            "PRAGMA application_id = " + SqliteSchema.APPLICATION_ID,
                            "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB)",
                            "INSERT INTO meta VALUES ('storage.format', 'starling')",
                            "INSERT INTO meta VALUES ('storage.schema_version', 'one')"
                        },
                        "storage.schema_version is missing or not an integer"));
    }

    @Test
    void aForeignDatabaseInWalModeIsLeftUntouched() throws Exception {
        Path app = tmp.resolve("app.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + app);
                Statement s = c.createStatement()) {
            s.execute("PRAGMA journal_mode = WAL");
            s.executeUpdate("CREATE TABLE users (name TEXT)");
            s.executeUpdate("INSERT INTO users VALUES ('ann')");
        }
        assertNotStarling(Files.readAllBytes(app), "another application's SQLite database");
    }

    @ParameterizedTest
    @MethodSource("foreignDatabases")
    void aForeignSqliteDatabaseIsCorruptAndLeftUntouched(String[] statements, String why) throws Exception {
        Path app = tmp.resolve("app.db");
        sql(app, statements);
        assertNotStarling(Files.readAllBytes(app), why);
    }

    private void assertNotStarling(byte[] content, String why) throws IOException {
        Files.createDirectories(dir());
        Files.write(dbFile(), content);
        for (int attempt = 0; attempt < 2; attempt++) { // twice: a failed open released the lock
            assertThatThrownBy(() -> open())
                    .isInstanceOf(StorageException.class)
                    .hasMessageStartingWith(dbFile() + " is not a Starling database: ")
                    .hasMessageContaining(why)
                    .satisfies(e -> assertThat(code(e)).isEqualTo(StorageException.Code.CORRUPT));
        }
        assertThat(Files.readAllBytes(dbFile())).isEqualTo(content);
        assertThat(filesIn(dir())).containsExactly("starling.db", "starling.lock");
    }

    // ---- schema versions

    @Test
    void aNewerSchemaIsRefusedAndLeftUntouched() throws Exception {
        open().close();
        int newer = SqliteSchema.CURRENT.version() + 1;
        sql(dbFile(), "UPDATE meta SET value = " + newer + " WHERE key = 'storage.schema_version'");
        byte[] before = Files.readAllBytes(dbFile());
        assertThatThrownBy(() -> open())
                .isInstanceOf(StorageException.class)
                .hasMessage(dbFile() + " has schema version " + newer + " but this Starling supports versions up to "
                        + SqliteSchema.CURRENT.version() + "; open it with a newer Starling")
                .satisfies(e -> assertThat(code(e)).isEqualTo(StorageException.Code.NEWER_SCHEMA));
        assertThat(Files.readAllBytes(dbFile())).isEqualTo(before);
        assertThat(filesIn(dir())).containsExactly("starling.db", "starling.lock");
    }

    /** A pretend version 0, before tombstones had a live flag: a tombstone was a row with a NULL state. */
    private void createVersion0() throws Exception {
        Files.createDirectories(dir());
        sql(
                dbFile(),
                "PRAGMA application_id = " + SqliteSchema.APPLICATION_ID,
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB)",
                "INSERT INTO meta VALUES ('storage.format', 'starling'), ('storage.schema_version', 0)",
                "CREATE TABLE docs (seq INTEGER PRIMARY KEY, collection TEXT NOT NULL, id BLOB NOT NULL, state BLOB,"
                        + " UNIQUE (collection, id))",
                "INSERT INTO docs VALUES (1, 'c', x'61', x'41'), (2, 'c', x'62', NULL), (5, 'd', x'63', x'43')");
    }

    private static final SqliteSchema.Migration LIVE_FLAG =
            new SqliteSchema.Migration(0, 1, "tombstones get a live flag", c -> {
                try (Statement s = c.createStatement()) {
                    s.executeUpdate("ALTER TABLE docs ADD COLUMN live INTEGER NOT NULL DEFAULT 1");
                    s.executeUpdate("UPDATE docs SET live = 0, state = x'' WHERE state IS NULL");
                    s.executeUpdate("INSERT INTO meta VALUES ('storage.last_seq', (SELECT max(seq) FROM docs))");
                }
            });

    @Test
    void migrationsBringAnOlderFileUpToDate() throws Exception {
        createVersion0();
        SqliteStorage storage = SqliteStorage.open(dir(), Options.defaults(), new SqliteSchema(1, List.of(LIVE_FLAG)));
        opened.add(storage);
        storage.read(tx -> {
            assertThat(tx.get("c", utf8("a"))).satisfies(r -> {
                assertThat(r.live()).isTrue();
                assertThat(r.state()).isEqualTo(utf8("A"));
            });
            assertThat(tx.get("c", utf8("b"))).satisfies(r -> {
                assertThat(r.live()).isFalse();
                assertThat(r.state()).isEmpty();
            });
            assertThat(tx.countLive("c")).isEqualTo(1);
            assertThat(tx.lastSequence()).isEqualTo(5);
            return null;
        });
        storage.close(); // (writing needs the current layout: the next open brings it up to date)
        assertThat(query(dbFile(), "SELECT value FROM meta WHERE key = 'storage.schema_version'"))
                .isEqualTo(1);
        // the next open with the current schema continues the chain, and the file takes writes
        SqliteStorage current = open();
        assertThat(current.<Long>write(tx -> tx.put("d", utf8("n"), true, utf8("new"))))
                .isEqualTo(6L);
        assertThat(current.<Row>read(tx -> tx.get("d", utf8("n")))).isNotNull();
    }

    @Test
    void eachMigrationCommitsAloneAndAFailedOneLeavesTheFileAtTheVersionBefore() throws Exception {
        createVersion0();
        List<String> ran = new ArrayList<>();
        SqliteSchema.Migration addExtra = new SqliteSchema.Migration(1, 2, "extra table", c -> {
            ran.add("1->2");
            try (Statement s = c.createStatement()) {
                s.executeUpdate("CREATE TABLE extra (x)");
            }
        });
        SqliteSchema.Migration failing = new SqliteSchema.Migration(2, 3, "fails half-way", c -> {
            ran.add("2->3 failing");
            try (Statement s = c.createStatement()) {
                s.executeUpdate("CREATE TABLE half (x)");
            }
            throw new SQLException("boom");
        });
        assertThatThrownBy(() -> SqliteStorage.open(
                        dir(), Options.defaults(), new SqliteSchema(3, List.of(LIVE_FLAG, addExtra, failing))))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("migration 2 -> 3 (fails half-way)")
                .hasRootCauseMessage("boom")
                .satisfies(e -> assertThat(code(e)).isEqualTo(StorageException.Code.IO));
        assertThat(ran).containsExactly("1->2", "2->3 failing");
        assertThat(query(dbFile(), "SELECT value FROM meta WHERE key = 'storage.schema_version'"))
                .isEqualTo(2);
        assertThat(query(dbFile(), "SELECT count(*) FROM sqlite_master WHERE name = 'extra'"))
                .isEqualTo(1);
        assertThat(query(dbFile(), "SELECT count(*) FROM sqlite_master WHERE name = 'half'"))
                .isEqualTo(0);

        ran.clear();
        SqliteSchema.Migration fixed = new SqliteSchema.Migration(2, 3, "fixed", c -> ran.add("2->3"));
        SqliteStorage storage =
                SqliteStorage.open(dir(), Options.defaults(), new SqliteSchema(3, List.of(LIVE_FLAG, addExtra, fixed)));
        opened.add(storage);
        assertThat(ran).containsExactly("2->3");
        storage.close();
        assertThat(query(dbFile(), "SELECT value FROM meta WHERE key = 'storage.schema_version'"))
                .isEqualTo(3);
    }

    @Test
    void anOlderFileWithoutAMigrationPathIsRefusedAndLeftUntouched() throws Exception {
        createVersion0();
        byte[] before = Files.readAllBytes(dbFile());
        assertThatThrownBy(() -> open())
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("has schema version 0 and there is no migration from it")
                .satisfies(e -> assertThat(code(e)).isEqualTo(StorageException.Code.IO));
        assertThat(Files.readAllBytes(dbFile())).isEqualTo(before);
    }

    @Test
    void aMigrationChainMustBeContiguousAndEndAtItsVersion() {
        SqliteSchema.Step nothing = c -> {};
        assertThatThrownBy(() -> new SqliteSchema(
                        3,
                        List.of(
                                new SqliteSchema.Migration(0, 1, "a", nothing),
                                new SqliteSchema.Migration(2, 3, "b", nothing))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("gap");
        assertThatThrownBy(() -> new SqliteSchema(2, List.of(new SqliteSchema.Migration(0, 1, "a", nothing))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ends at 1");
        assertThatThrownBy(() -> new SqliteSchema(2, List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SqliteSchema.Migration(2, 2, "still", nothing))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---- schema version 2: index entries

    /** The version-1 code path exactly: the base layout, no migration (what Starling wrote before indexes). */
    static final SqliteSchema VERSION_1 = new SqliteSchema(1, List.of());

    private List<String> tables() throws SQLException {
        List<String> names = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dbFile());
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        return names;
    }

    private static List<String> entries(DocumentStorage.ReadTx tx, String index) {
        return DocumentStorageContractTest.scanIndex(tx, index, null, null, false);
    }

    @Test
    void aNewDatabaseHasTheCurrentSchemaWithTheIndexTable() throws Exception {
        assertThat(SqliteSchema.CURRENT.version()).isEqualTo(3);
        open().close();
        assertThat(query(dbFile(), "SELECT value FROM meta WHERE key = 'storage.schema_version'"))
                .isEqualTo(3);
        assertThat(tables()).containsExactly("docs", "idx", "meta");
        assertThat((String) query(dbFile(), "SELECT sql FROM sqlite_master WHERE name = 'idx'"))
                .contains("PRIMARY KEY (name, key, id)")
                .endsWith("WITHOUT ROWID");
    }

    @Test
    void aVersion1FileWrittenByTheVersion1CodePathIsMigratedWithItsDataIntact() throws Exception {
        SqliteStorage v1 = SqliteStorage.open(dir(), Options.defaults(), VERSION_1);
        v1.close();
        // rows as the version 1 code wrote them (its SQL had no group column)
        sql(
                dbFile(),
                "INSERT INTO docs(seq, collection, id, live, state) VALUES (1, 'c', x'61', 1, x'41'), (3, 'd', x'80', 1, x'44')",
                "INSERT INTO meta VALUES ('storage.last_seq', 3) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                "INSERT INTO meta VALUES ('engine', x'65')");
        assertThat(query(dbFile(), "SELECT value FROM meta WHERE key = 'storage.schema_version'"))
                .isEqualTo(1);
        assertThat(tables()).containsExactly("docs", "meta");

        SqliteStorage storage = open();
        storage.read(tx -> {
            assertThat(tx.get("c", utf8("a")).state()).isEqualTo(utf8("A"));
            assertThat(tx.get("c", utf8("b"))).isNull();
            assertThat(tx.get("d", new byte[] {(byte) 0x80}).sequence()).isEqualTo(3);
            assertThat(tx.lastSequence()).isEqualTo(3);
            assertThat(tx.meta("engine")).isEqualTo(utf8("e"));
            assertThat(entries(tx, "c/i")).isEmpty();
            return null;
        });
        storage.write(tx -> {
            tx.putIndexEntry("c/i", new byte[] {1}, utf8("a"));
            return tx.put("c", utf8("new"), true, utf8("N"));
        });
        storage.close();
        assertThat(query(dbFile(), "SELECT value FROM meta WHERE key = 'storage.schema_version'"))
                .isEqualTo(3);
        assertThat(tables()).containsExactly("docs", "idx", "meta");
        SqliteStorage reopened = open();
        reopened.read(tx -> {
            assertThat(entries(tx, "c/i")).containsExactly("01/61");
            assertThat(tx.get("c", utf8("new")).sequence()).isEqualTo(4);
            return null;
        });
    }

    /**
     * {@code fixtures/schema-v1.db} was written by the committed version-1 storage (before index entries), from a
     * clean checkout: put users/alice, users/bob, users/{80 00}, orders/o1, orders/o2 (a tombstone) and meta
     * engine.site in one transaction, then put users/bob again and removed users/alice; then closed (checkpointed).
     * It guards the migration against changes to the base layout: never regenerate it with newer code.
     */
    @Test
    void theVersion1FixtureOpensMigratedAndKeepsEveryRow() throws Exception {
        Files.createDirectories(dir());
        try (java.io.InputStream in = getClass().getResourceAsStream("/fixtures/schema-v1.db")) {
            assertThat(in).as("fixture").isNotNull();
            Files.copy(in, dbFile());
        }
        assertThat(query(dbFile(), "SELECT value FROM meta WHERE key = 'storage.schema_version'"))
                .isEqualTo(1);
        SqliteStorage storage = open();
        storage.read(tx -> {
            assertThat(tx.collections()).containsExactly("orders", "users");
            assertThat(hexIds(DocumentStorageContractTest.scan(tx, "users", false)))
                    .containsExactly("626f62", "8000");
            assertThat(tx.get("users", utf8("bob")).state()).isEqualTo(utf8("state-bob-2"));
            assertThat(tx.get("users", utf8("bob")).sequence()).isEqualTo(6);
            assertThat(tx.get("users", utf8("alice"))).isNull();
            assertThat(tx.get("orders", utf8("o2")).live()).isFalse();
            assertThat(tx.countLive("orders")).isEqualTo(1);
            assertThat(tx.lastSequence()).isEqualTo(6);
            assertThat(tx.meta("engine.site")).isEqualTo(utf8("site-1"));
            return null;
        });
        storage.write(tx -> {
            tx.putIndexEntry("users/by_name", utf8("bob"), utf8("bob"));
            assertThat(tx.put("users", utf8("carol"), true, utf8("c"))).isEqualTo(7);
            return null;
        });
        assertThat(storage.<List<String>>read(tx -> entries(tx, "users/by_name")))
                .containsExactly("626f62/626f62");
        storage.close();
        assertThat(query(dbFile(), "SELECT value FROM meta WHERE key = 'storage.schema_version'"))
                .isEqualTo(3);
    }

    private static List<String> hexIds(List<Row> rows) {
        List<String> ids = new ArrayList<>();
        for (Row r : rows) {
            ids.add(DocumentStorageContractTest.hex(r.id()));
        }
        return ids;
    }

    @Test
    void idRangesSeekTheIdIndexInBothDirectionsWithoutSorting() throws Exception {
        SqliteStorage storage = open();
        storage.write(tx -> {
            for (int i = 0; i < 200; i++) tx.put("c" + (i % 3), new byte[] {(byte) i}, i % 5 != 0, utf8("s" + i));
            return null;
        });
        storage.close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dbFile())) {
            try (Statement s = c.createStatement()) {
                s.execute("ANALYZE"); // plans must hold with statistics too
            }
            for (boolean bounded : List.of(false, true)) {
                for (boolean reverse : List.of(false, true)) {
                    for (boolean liveOnly : List.of(false, true)) {
                        SqliteSession.Sql sql = SqliteSession.rangeScan(bounded, reverse, liveOnly);
                        List<String> plan = new ArrayList<>();
                        try (java.sql.PreparedStatement ps = c.prepareStatement("EXPLAIN QUERY PLAN " + sql.text)) {
                            ps.setString(1, "c1");
                            ps.setBytes(2, new byte[] {10});
                            if (bounded) ps.setBytes(3, new byte[] {100});
                            try (ResultSet rs = ps.executeQuery()) {
                                while (rs.next()) plan.add(rs.getString("detail"));
                            }
                        }
                        assertThat(plan).as("%s: %s", sql, plan).hasSize(1);
                        // a seek on (collection, id) with the bounds in it, walked in order: no sort, no full walk
                        assertThat(plan.get(0))
                                .as("%s", sql)
                                .startsWith("SEARCH docs USING INDEX")
                                .contains("collection=? AND id>?")
                                .doesNotContain("TEMP B-TREE");
                        if (bounded) assertThat(plan.get(0)).as("%s", sql).contains("id<?");
                    }
                }
            }
        }
    }

    @Test
    void indexScansWalkThePrimaryKeyInBothDirectionsWithoutSorting() throws Exception {
        SqliteStorage storage = open();
        storage.write(tx -> {
            for (int i = 0; i < 200; i++) {
                tx.putIndexEntry("c/i" + (i % 3), new byte[] {(byte) i}, utf8("id" + i));
            }
            return null;
        });
        storage.close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dbFile())) {
            try (Statement s = c.createStatement()) {
                s.execute("ANALYZE"); // plans must hold with statistics too
            }
            for (boolean from : List.of(false, true)) {
                for (boolean to : List.of(false, true)) {
                    for (boolean reverse : List.of(false, true)) {
                        SqliteSession.Sql sql = SqliteSession.indexScan(from, to, reverse);
                        List<String> plan = new ArrayList<>();
                        try (java.sql.PreparedStatement ps = c.prepareStatement("EXPLAIN QUERY PLAN " + sql.text)) {
                            int p = 1;
                            ps.setString(p++, "c/i1");
                            if (from) ps.setBytes(p++, new byte[] {10});
                            if (to) ps.setBytes(p, new byte[] {100});
                            try (ResultSet rs = ps.executeQuery()) {
                                while (rs.next()) {
                                    plan.add(rs.getString("detail"));
                                }
                            }
                        }
                        assertThat(plan).as("%s: %s", sql, plan).hasSize(1);
                        assertThat(plan.get(0))
                                .as("%s", sql)
                                .startsWith("SEARCH idx USING PRIMARY KEY (name=?")
                                .doesNotContain("TEMP B-TREE");
                        // the bounds are part of the seek, not a filter over the whole index
                        if (from) assertThat(plan.get(0)).as("%s", sql).contains("key>?");
                        if (to) assertThat(plan.get(0)).as("%s", sql).contains("key<?");
                    }
                }
            }
        }
    }

    @Test
    void indexEntriesAreDurableAcrossReopen() {
        SqliteStorage storage = open();
        storage.write(tx -> {
            tx.putIndexEntry("c/i", new byte[] {2}, utf8("b"));
            tx.putIndexEntry("c/i", new byte[] {1}, utf8("a"));
            tx.putIndexEntry("c/j", new byte[] {1}, utf8("a"));
            return null;
        });
        storage.write(tx -> {
            tx.dropIndex("c/j");
            return null;
        });
        storage.close();
        SqliteStorage reopened = open();
        reopened.read(tx -> {
            assertThat(entries(tx, "c/i")).containsExactly("01/61", "02/62");
            assertThat(entries(tx, "c/j")).isEmpty();
            return null;
        });
    }

    // ---- sequence across restarts

    @Test
    void theSequenceNeverGoesBackwardsAcrossReopen() {
        SqliteStorage storage = open();
        storage.write(tx -> {
            tx.put("c", utf8("a"), true, utf8("1"));
            tx.put("c", utf8("b"), true, utf8("2"));
            tx.put("c", utf8("c"), true, utf8("3"));
            return null;
        });
        storage.write(tx -> tx.remove("c", utf8("c"))); // the row holding the maximum
        storage.close();
        SqliteStorage reopened = open();
        assertThat(reopened.<Long>read(DocumentStorage.ReadTx::lastSequence)).isEqualTo(3);
        assertThat(reopened.<Long>write(tx -> tx.put("c", utf8("d"), true, utf8("4"))))
                .isEqualTo(4L);
        assertThat(reopened.<byte[]>read(tx -> tx.get("c", utf8("b")).state())).isEqualTo(utf8("2"));
    }

    @Test
    void aLastSequenceBehindTheRowsIsRepairedOnOpen() throws Exception {
        SqliteStorage storage = open();
        storage.write(tx -> {
            for (int i = 0; i < 5; i++) {
                tx.put("c", utf8("id" + i), true, utf8("s"));
            }
            return null;
        });
        storage.close();
        sql(dbFile(), "UPDATE meta SET value = 1 WHERE key = 'storage.last_seq'");
        SqliteStorage reopened = open();
        assertThat(reopened.<Long>read(DocumentStorage.ReadTx::lastSequence)).isEqualTo(5);
        assertThat(reopened.<Long>write(tx -> tx.put("c", utf8("new"), true, utf8("s"))))
                .isEqualTo(6L);
    }

    // ---- options and pragmas

    @Test
    void durabilityAndJournalModeAreApplied() {
        SqliteStorage full = open(Options.defaults());
        assertThat(full.writerPragma("journal_mode")).isEqualTo("wal");
        assertThat(full.writerPragma("synchronous")).isEqualTo("2");
        full.close();
        SqliteStorage normal = open(Options.defaults().withDurability(Durability.NORMAL));
        assertThat(normal.writerPragma("journal_mode")).isEqualTo("wal");
        assertThat(normal.writerPragma("synchronous")).isEqualTo("1");
        assertThat(normal.writerPragma("busy_timeout")).isEqualTo("10000");
    }

    @Test
    void optionsRejectBadValuesAtOnce() {
        assertThatThrownBy(() -> Options.defaults().withMaxReaders(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 0");
        assertThatThrownBy(() -> Options.defaults().withMaxReaders(65)).hasMessageContaining("got 65");
        assertThatThrownBy(() -> Options.defaults().withBusyTimeout(Duration.ofMillis(-1)))
                .hasMessageContaining("PT-0.001S");
        assertThatThrownBy(() -> Options.defaults().withDurability(null)).isInstanceOf(NullPointerException.class);
        Options options = Options.defaults().withMaxReaders(2).withBusyTimeout(Duration.ZERO);
        assertThat(options.maxReaders()).isEqualTo(2);
        assertThat(options.durability()).isEqualTo(Durability.FULL);
        assertThat(Options.defaults().maxReaders()).isEqualTo(4);
    }

    // ---- connections

    @Test
    void readersArePooledBoundedAndReused() throws Exception {
        SqliteStorage storage = open(Options.defaults().withMaxReaders(2));
        storage.write(tx -> tx.put("c", utf8("a"), true, utf8("x")));
        assertThat(storage.openConnectionCount()).isEqualTo(1); // readers are created lazily
        ExecutorService executor = Executors.newFixedThreadPool(3);
        try {
            CountDownLatch twoInside = new CountDownLatch(2);
            CountDownLatch release = new CountDownLatch(1);
            List<Future<Row>> reads = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                reads.add(executor.submit(() -> storage.read(tx -> {
                    twoInside.countDown();
                    Await.latch("release", DEADLINE, release);
                    return tx.get("c", utf8("a"));
                })));
            }
            Await.latch("twoInside", DEADLINE, twoInside);
            assertThat(storage.openConnectionCount()).isEqualTo(3);
            Thread third = new Thread(() -> storage.read(tx -> tx.get("c", utf8("a"))), "third-reader");
            third.start();
            Await.parked(
                    third.getName() + " blocks", DEADLINE, third); // no third connection: it waits for one of the two
            assertThat(storage.openConnectionCount()).isEqualTo(3);
            release.countDown();
            third.join(DEADLINE.toMillis());
            assertThat(third.isAlive()).isFalse();
            for (Future<Row> read : reads) {
                assertThat(read.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)).isNotNull();
            }
            for (int i = 0; i < 100; i++) {
                storage.read(tx -> tx.get("c", utf8("a")));
            }
            assertThat(storage.openConnectionCount()).isEqualTo(3);
        } finally {
            executor.shutdownNow();
            assertThat(executor.awaitTermination(DEADLINE.toSeconds(), TimeUnit.SECONDS))
                    .isTrue();
        }
    }

    // ---- damage found later

    @Test
    void aDamagedPageIsReportedAsCorrupt() throws Exception {
        SqliteStorage storage = open();
        byte[] state = new byte[200];
        for (int batch = 0; batch < 3; batch++) {
            int b = batch;
            storage.write(tx -> {
                for (int i = 0; i < 1000; i++) {
                    tx.put("c", utf8("doc-" + b + "-" + i), true, state);
                }
                return null;
            });
        }
        storage.close();
        byte[] bytes = Files.readAllBytes(dbFile());
        int pages = bytes.length / 4096;
        Arrays.fill(bytes, 4096 * (pages / 3), 4096 * (2 * pages / 3), (byte) 0xff);
        Files.write(dbFile(), bytes);
        assertThatThrownBy(() -> {
                    try (SqliteStorage damaged = SqliteStorage.open(dir(), Options.defaults())) {
                        try {
                            damaged.read(tx -> {
                                tx.scan("c", false, row -> true);
                                return null;
                            });
                        } finally {
                            damaged.close();
                            assertThat(damaged.openConnectionCount()).isZero();
                        }
                    }
                })
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("is damaged")
                .satisfies(e -> assertThat(code(e)).isEqualTo(StorageException.Code.CORRUPT));
    }

    @Test
    void sqliteResultCodesMapToStorageCodes() {
        Path file = Path.of("x.db");
        assertThat(SqliteSession.failure(file, "a", new SQLiteException("m", SQLiteErrorCode.SQLITE_CORRUPT))
                        .code())
                .isEqualTo(StorageException.Code.CORRUPT);
        assertThat(SqliteSession.failure(file, "a", new SQLiteException("m", SQLiteErrorCode.SQLITE_CORRUPT_INDEX))
                        .code())
                .isEqualTo(StorageException.Code.CORRUPT);
        assertThat(SqliteSession.failure(file, "a", new SQLiteException("m", SQLiteErrorCode.SQLITE_NOTADB))
                        .code())
                .isEqualTo(StorageException.Code.CORRUPT);
        assertThat(SqliteSession.failure(file, "a", new SQLiteException("m", SQLiteErrorCode.SQLITE_BUSY))
                        .code())
                .isEqualTo(StorageException.Code.LOCKED);
        StorageException io =
                SqliteSession.failure(file, "put", new SQLiteException("m", SQLiteErrorCode.SQLITE_IOERR_FSYNC));
        assertThat(io.code()).isEqualTo(StorageException.Code.IO);
        assertThat(io).hasMessage("put failed on x.db: m").hasCauseInstanceOf(SQLiteException.class);
    }
}
