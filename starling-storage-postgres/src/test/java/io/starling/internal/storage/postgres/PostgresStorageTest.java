package io.starling.internal.storage.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.index.IndexKeyCodec;
import io.starling.internal.storage.DocumentStorage;
import io.starling.internal.storage.StorageException;
import io.starling.testsupport.Seed;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What the contract does not cover: the schema and its migrations, jsonb values, several nodes, bad input. */
class PostgresStorageTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Rows of a query as lists of strings (SQL NULL as null), through a connection of its own. */
    private static List<List<String>> query(String url, String sql) {
        try (Connection c = DriverManager.getConnection(url);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            List<List<String>> rows = new ArrayList<>();
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= columns; i++) row.add(rs.getString(i));
                rows.add(row);
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- schema and migrations

    @Test
    void aHeldRunScansChunksFollowPostgresqlsPaceWithinTheirBounds() {
        long target = PostgresTransaction.CHUNK_TARGET_NANOS;
        // fast: at most twice as many, at most MAX_CHUNK_ROWS
        assertThat(PostgresTransaction.nextChunk(64, 1)).isEqualTo(128);
        assertThat(PostgresTransaction.nextChunk(PostgresTransaction.MAX_CHUNK_ROWS, 1))
                .isEqualTo(PostgresTransaction.MAX_CHUNK_ROWS);
        // at the pace of the last chunk: 64 rows in 4 targets -> 16 rows; never fewer than one
        assertThat(PostgresTransaction.nextChunk(64, 4 * target)).isEqualTo(16);
        assertThat(PostgresTransaction.nextChunk(64, target)).isEqualTo(64);
        assertThat(PostgresTransaction.nextChunk(1, 1_000 * target)).isEqualTo(1);
    }

    @Test
    void aNewDatabaseGetsTheCurrentSchemaWithItsHistoryAndReopeningChangesNothing() {
        String url = TestPostgres.newSchemaUrl();
        try (PostgresStorage storage = PostgresStorage.open(url, PostgresStorage.Options.defaults())) {
            storage.write(tx -> tx.put("c", utf8("a"), true, utf8("s")));
        }
        List<List<String>> history =
                query(url, "SELECT version, description FROM starling_migrations ORDER BY version");
        assertThat(history).extracting(row -> row.get(0)).containsExactly("0", "1", "2", "3", "4");
        assertThat(history.get(1).get(1)).contains("jsonb");
        assertThat(history.get(2).get(1)).contains("API keys");
        assertThat(history.get(3).get(1)).contains("attachment blobs");
        assertThat(history.get(4).get(1)).contains("peer ids");
        try (PostgresStorage storage = PostgresStorage.open(url, PostgresStorage.Options.defaults())) {
            storage.read(tx -> {
                assertThat(tx.get("c", utf8("a")).sequence()).isEqualTo(1);
                assertThat(tx.lastSequence()).isEqualTo(1);
                return null;
            });
            assertThat(storage.<Long>write(tx -> tx.put("c", utf8("b"), true, utf8("s"))))
                    .as("the sequence goes on after a restart")
                    .isEqualTo(2);
        }
        assertThat(query(url, "SELECT count(*) FROM starling_migrations"))
                .containsExactly(List.of(String.valueOf(PostgresSchema.CURRENT + 1)));
        assertThat(PostgresSchema.CURRENT).isEqualTo(PostgresSchema.MIGRATIONS.size());
    }

    @Test
    void aDatabaseOfANewerStarlingIsRefusedAndLeftAlone() {
        String url = TestPostgres.newSchemaUrl();
        PostgresStorage.open(url, PostgresStorage.Options.defaults()).close();
        TestPostgres.execute(
                url, "INSERT INTO starling_migrations (version, description) VALUES (99, 'from the future')");
        assertThatThrownBy(() -> PostgresStorage.open(url, PostgresStorage.Options.defaults()))
                .isInstanceOfSatisfying(StorageException.class, e -> {
                    assertThat(e.code()).isEqualTo(StorageException.Code.NEWER_SCHEMA);
                    assertThat(e.getMessage())
                            .contains("schema version 99")
                            .contains("versions up to " + PostgresSchema.CURRENT);
                });
        assertThat(query(url, "SELECT max(version) FROM starling_migrations")).containsExactly(List.of("99"));
    }

    /** Nodes started together on a new database: each opens it, and the schema is created once (five rounds). */
    @Test
    void nodesOpeningANewDatabaseAtOnceCreateTheSchemaOnce() throws Exception {
        for (int round = 0; round < 5; round++) openAtOnce(TestPostgres.newSchemaUrl(), 4);
    }

    private static void openAtOnce(String url, int nodes) throws Exception {
        ExecutorService executor = Executors.newFixedThreadPool(nodes);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<PostgresStorage>> opened = new ArrayList<>();
        try {
            for (int i = 0; i < nodes; i++) {
                opened.add(executor.submit(() -> {
                    start.await();
                    return PostgresStorage.open(url, PostgresStorage.Options.defaults());
                }));
            }
            start.countDown();
            List<PostgresStorage> storages = new ArrayList<>();
            for (Future<PostgresStorage> f : opened) storages.add(f.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
            for (PostgresStorage s : storages) s.close();
        } finally {
            executor.shutdownNow();
            assertThat(executor.awaitTermination(DEADLINE.toSeconds(), TimeUnit.SECONDS))
                    .isTrue();
        }
        assertThat(query(url, "SELECT version FROM starling_migrations ORDER BY version"))
                .containsExactly(List.of("0"), List.of("1"), List.of("2"), List.of("3"), List.of("4"));
        assertThat(query(url, "SELECT count(*) FROM starling_counter")).containsExactly(List.of("1"));
    }

    // ---- several nodes

    @Test
    void nodesOnOneDatabaseShareRowsMetaIndexEntriesAndOneSequence() {
        String url = TestPostgres.newSchemaUrl();
        try (PostgresStorage one = PostgresStorage.open(url, PostgresStorage.Options.defaults());
                PostgresStorage two = PostgresStorage.open(url, PostgresStorage.Options.defaults())) {
            one.write(tx -> {
                tx.put("c", utf8("a"), true, utf8("from one"));
                tx.putMeta("site", utf8("shared"));
                tx.putIndexEntry("c/i", utf8("k"), utf8("a"));
                return null;
            });
            assertThat(two.<Long>write(tx -> tx.put("c", utf8("b"), true, utf8("from two"))))
                    .isEqualTo(2);
            one.read(tx -> {
                assertThat(tx.get("c", utf8("b")).state()).isEqualTo(utf8("from two"));
                assertThat(tx.lastSequence()).isEqualTo(2);
                return null;
            });
            two.read(tx -> {
                assertThat(tx.get("c", utf8("a")).state()).isEqualTo(utf8("from one"));
                assertThat(tx.meta("site")).isEqualTo(utf8("shared"));
                List<String> entries = new ArrayList<>();
                tx.scanIndex("c/i", null, null, false, (k, id) -> entries.add(new String(id, StandardCharsets.UTF_8)));
                assertThat(entries).containsExactly("a");
                return null;
            });
            // a rolled-back write on one node frees its numbers for the next writer on any node
            assertThatThrownBy(() -> one.write(tx -> {
                        tx.put("c", utf8("x"), true, utf8("x"));
                        throw new IllegalStateException("boom");
                    }))
                    .hasMessage("boom");
            assertThat(two.<Long>write(tx -> tx.put("c", utf8("c"), true, utf8("s"))))
                    .isEqualTo(3);
        }
    }

    // ---- jsonb values

    private static byte[] document(Map<String, Object> fields) {
        return DocumentState.encodeInserted((Value.Obj) Value.fromJava(fields), new Stamp(1, 7));
    }

    @Test
    void theCurrentValueOfEachDocumentIsJsonbThatPlainSqlReads() {
        String url = TestPostgres.newSchemaUrl();
        Map<String, Object> ada = new LinkedHashMap<>();
        ada.put("name", "Ada");
        ada.put("born", 1815L);
        ada.put("tags", List.of("math", "engines"));
        ada.put("address", Map.of("city", "London"));
        ada.put("photo", new byte[] {1, 2, 3});
        byte[] adaId = IndexKeyCodec.encodeId(Value.fromJava("ada"));
        byte[] nulId = IndexKeyCodec.encodeId(Value.fromJava(42L));
        try (PostgresStorage storage =
                PostgresStorage.open(url, PostgresStorage.Options.defaults().withValues(DocumentValues.INSTANCE))) {
            storage.write(tx -> {
                tx.put("people", adaId, true, document(ada));
                tx.put("people", utf8("gone"), false, document(Map.of("name", "x")));
                tx.put("people", nulId, true, document(Map.of("name", "a\0b")));
                tx.put("people", utf8("junk"), true, utf8("not a document state"));
                return null;
            });
            // the states are stored whatever their values
            assertThat(storage.<Long>read(tx -> tx.countLive("people"))).isEqualTo(3);
        }
        assertThat(
                        query(
                                url,
                                "SELECT value->>'_id', value->>'name', value->'born', value->'tags'->>1, "
                                        + "value->'address'->>'city', value->>'photo' FROM starling_docs WHERE value IS NOT NULL"))
                .containsExactly(List.of("ada", "Ada", "1815", "engines", "London", "AQID"));
        assertThat(query(url, "SELECT count(*) FROM starling_docs WHERE value IS NULL"))
                .as("a tombstone, a string holding U+0000, a state that does not decode: no value")
                .containsExactly(List.of("3"));
        assertThat(query(url, "SELECT jsonb_typeof(value) FROM starling_docs WHERE value ? 'born'"))
                .containsExactly(List.of("object"));
    }

    @Test
    void withoutAProjectionTheValueColumnStaysNull() {
        String url = TestPostgres.newSchemaUrl();
        try (PostgresStorage storage = PostgresStorage.open(url, PostgresStorage.Options.defaults())) {
            storage.write(tx -> tx.put("c", utf8("a"), true, document(Map.of("n", 1L))));
        }
        assertThat(query(url, "SELECT value FROM starling_docs"))
                .containsExactly(java.util.Arrays.asList((String) null));
    }

    // ---- bad input

    @Test
    void aUrlThatIsNotPostgresIsRefused() {
        assertThatThrownBy(() ->
                        PostgresStorage.open("jdbc:mysql://h/db?password=secret", PostgresStorage.Options.defaults()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("jdbc:postgresql:")
                .hasMessageNotContaining("secret");
        assertThatThrownBy(() -> PostgresStorage.open("", PostgresStorage.Options.defaults()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty");
    }

    @Test
    void anUnreachableServerIsAnIoErrorThatNamesItButNotItsPassword() throws Exception {
        int closedPort;
        try (java.net.ServerSocket socket =
                new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        String url = "jdbc:postgresql://127.0.0.1:" + closedPort + "/db?user=u&password=secret";
        assertThatThrownBy(() -> PostgresStorage.open(
                        url, PostgresStorage.Options.defaults().withConnectTimeout(Duration.ofMillis(500))))
                .isInstanceOfSatisfying(StorageException.class, e -> {
                    assertThat(e.code()).isEqualTo(StorageException.Code.IO);
                    assertThat(e.getMessage())
                            .contains("127.0.0.1:" + closedPort + "/db")
                            .doesNotContain("secret");
                });
    }

    /**
     * A statement the server refuses aborts the transaction: later calls in it throw the same failure, a callback
     * that swallows it commits nothing, and the next write works. The refusal here: text holding U+0000, which
     * PostgreSQL's text types cannot store.
     */
    @Test
    void aRefusedStatementAbortsItsTransactionOnly() {
        try (PostgresStorage storage =
                PostgresStorage.open(TestPostgres.newSchemaUrl(), PostgresStorage.Options.defaults())) {
            assertThatThrownBy(() -> storage.write(tx -> {
                        tx.put("c", utf8("kept?"), true, utf8("s"));
                        StorageException refused = null;
                        try {
                            tx.put("c\0d", utf8("a"), true, utf8("s"));
                        } catch (StorageException e) {
                            refused = e;
                        }
                        assertThat(refused).isNotNull();
                        assertThat(refused.code()).isEqualTo(StorageException.Code.IO);
                        assertThat(refused.getMessage()).contains("put failed").contains("SQLSTATE");
                        StorageException first = refused;
                        assertThatThrownBy(() -> tx.get("c", utf8("kept?"))).isSameAs(first);
                        return null; // swallowed: nothing may be committed
                    }))
                    .isInstanceOfSatisfying(
                            StorageException.class,
                            e -> assertThat(e.getMessage()).startsWith("nothing was committed"));
            storage.read(tx -> {
                assertThat(tx.get("c", utf8("kept?"))).isNull();
                assertThat(tx.lastSequence()).isZero();
                return null;
            });
            assertThat(storage.<Long>write(tx -> tx.put("c", utf8("a"), true, utf8("s"))))
                    .isEqualTo(1);
            assertThat(storage.writeFailure())
                    .as("a refused statement is not a condition of the server")
                    .isNull();
        }
    }

    /**
     * A connection lost in the middle of a write (here: its backend terminated by an administrator): the write fails
     * with IO and commits nothing, health reports it, and the next write runs on a new connection and clears it.
     */
    @Test
    void aConnectionLostInAWriteFailsThatWriteOnlyAndHealthRecoversWithTheNextOne() {
        String name = "starling-killed-" + System.nanoTime();
        String url = TestPostgres.newSchemaUrl() + "&ApplicationName=" + name;
        try (PostgresStorage storage = PostgresStorage.open(url, PostgresStorage.Options.defaults())) {
            assertThatThrownBy(() -> storage.write(tx -> {
                        tx.put("c", utf8("lost"), true, utf8("s"));
                        assertThat(query(
                                        TestPostgres.baseUrl(),
                                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                                                + " WHERE application_name = '" + name + "'"))
                                .containsExactly(List.of("1"));
                        return tx.put("c", utf8("lost too"), true, utf8("s"));
                    }))
                    .isInstanceOfSatisfying(
                            StorageException.class, e -> assertThat(e.code()).isEqualTo(StorageException.Code.IO));
            assertThat(storage.writeFailure())
                    .as("a lost connection is a condition of the server")
                    .isNotNull();
            assertThat(storage.<Long>write(tx -> tx.put("c", utf8("a"), true, utf8("s"))))
                    .isEqualTo(1);
            assertThat(storage.writeFailure()).isNull();
            assertThat(storage.<DocumentStorage.Row>read(tx -> tx.get("c", utf8("lost"))))
                    .isNull();
        }
    }

    @Test
    void connectionsShowAsStarlingInPgStatActivityUnlessTheUrlNamesThem() {
        String url = TestPostgres.newSchemaUrl();
        try (PostgresStorage storage = PostgresStorage.open(url, PostgresStorage.Options.defaults())) {
            storage.read(tx -> {
                assertThat(query(
                                TestPostgres.baseUrl(),
                                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'starling'"
                                        + " AND state LIKE 'idle in transaction%'"))
                        .containsExactly(List.of("1"));
                return null;
            });
        }
    }

    // ---- index entries beyond PostgreSQL's b-tree limit

    /**
     * Index keys of any length (PostgreSQL refuses b-tree entries above about 2.7 KB) are stored, found, removed and
     * ordered exactly by (key, id), forwards and backwards, within any bounds. The keys are incompressible and many
     * share long prefixes, so that entries tie on the stored sort prefix and the exact comparison has to decide;
     * checked against a sorted-set model.
     */
    @Test
    void longKeysAreEntriesLikeAnyOtherInExactOrder(@Seed long seed) {
        java.util.Random random = new java.util.Random(seed);
        byte[] common = new byte[PostgresTransaction.SORT_PREFIX_BYTES + 200];
        random.nextBytes(common);
        java.util.Comparator<byte[][]> order = (a, b) -> {
            int c = java.util.Arrays.compareUnsigned(a[0], b[0]);
            return c != 0 ? c : java.util.Arrays.compareUnsigned(a[1], b[1]);
        };
        java.util.TreeSet<byte[][]> model = new java.util.TreeSet<>(order);
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            int length = random.nextInt(4) == 0 ? random.nextInt(8) : 2000 + random.nextInt(6000);
            byte[] key = new byte[length];
            random.nextBytes(key);
            // most long keys share more than the sort prefix (they tie on it, and the exact comparison decides);
            // some share a shorter prefix; some hold zero bytes (escaped in the sort prefix)
            if (length > common.length && random.nextInt(5) < 3) {
                int cut = PostgresTransaction.SORT_PREFIX_BYTES
                        - 8
                        + random.nextInt(common.length - PostgresTransaction.SORT_PREFIX_BYTES + 9);
                System.arraycopy(common, 0, key, 0, cut);
            } else if (length > common.length && random.nextBoolean()) {
                System.arraycopy(common, 0, key, 0, random.nextInt(common.length));
            }
            if (length > 3 && random.nextInt(4) == 0) key[random.nextInt(length)] = 0;
            keys.add(key);
        }
        try (PostgresStorage storage =
                PostgresStorage.open(TestPostgres.newSchemaUrl(), PostgresStorage.Options.defaults())) {
            storage.write(tx -> {
                for (byte[] key : keys) {
                    int entries = 1 + random.nextInt(3);
                    for (int e = 0; e < entries; e++) {
                        byte[] id = new byte[random.nextInt(3000)];
                        random.nextBytes(id);
                        tx.putIndexEntry("i", key, id);
                        tx.putIndexEntry("i", key, id); // idempotent
                        model.add(new byte[][] {key, id});
                    }
                }
                return null;
            });
            // remove a few
            List<byte[][]> all = new ArrayList<>(model);
            storage.write(tx -> {
                for (int r = 0; r < 10; r++) {
                    byte[][] gone = all.get(random.nextInt(all.size()));
                    tx.removeIndexEntry("i", gone[0], gone[1]);
                    model.remove(gone);
                }
                return null;
            });
            for (int round = 0; round < 20; round++) {
                byte[] from = random.nextInt(4) == 0 ? null : keys.get(random.nextInt(keys.size()));
                byte[] to = random.nextInt(4) == 0 ? null : keys.get(random.nextInt(keys.size()));
                if (from != null && random.nextBoolean())
                    from = java.util.Arrays.copyOf(from, random.nextInt(from.length + 1));
                boolean reverse = random.nextBoolean();
                List<String> expected = new ArrayList<>();
                for (byte[][] entry : model) {
                    if (from != null && java.util.Arrays.compareUnsigned(entry[0], from) < 0) continue;
                    if (to != null && java.util.Arrays.compareUnsigned(entry[0], to) >= 0) continue;
                    expected.add(hex(entry[0]) + "/" + hex(entry[1]));
                }
                if (reverse) java.util.Collections.reverse(expected);
                byte[] f = from;
                byte[] t = to;
                List<String> actual = storage.read(tx -> {
                    List<String> seen = new ArrayList<>();
                    tx.scanIndex("i", f, t, reverse, (k, id) -> seen.add(hex(k) + "/" + hex(id)));
                    return seen;
                });
                assertThat(actual)
                        .as(
                                "round %d (seed %d): from %s, to %s, reverse %s",
                                round, seed, f == null ? "-" : f.length, t == null ? "-" : t.length, reverse)
                        .isEqualTo(expected);
            }
        }
    }

    private static String hex(byte[] b) {
        return java.util.HexFormat.of().formatHex(b);
    }

    @Test
    void optionsRefuseValuesOutOfRange() {
        PostgresStorage.Options options = PostgresStorage.Options.defaults();
        assertThatThrownBy(() -> options.withMaxConnections(1)).hasMessageContaining("between 2 and 256, got 1");
        assertThatThrownBy(() -> options.withConnectTimeout(Duration.ofMillis(10)))
                .hasMessageContaining("between 250 ms and 10 minutes");
        assertThatThrownBy(() -> options.withValues(null)).isInstanceOf(NullPointerException.class);
        assertThat(options.withMaxConnections(3).maxConnections()).isEqualTo(3);
    }

    @Test
    void aClosedStorageHoldsNoConnection() {
        PostgresStorage storage = PostgresStorage.open(TestPostgres.newSchemaUrl(), PostgresStorage.Options.defaults());
        storage.read(DocumentStorage.ReadTx::lastSequence);
        assertThat(storage.openConnectionCount()).isPositive();
        storage.close();
        assertThat(storage.openConnectionCount()).isZero();
    }
}
