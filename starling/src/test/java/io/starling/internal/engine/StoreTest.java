package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.ErrorCode;
import io.starling.QueryException;
import io.starling.QueryResult;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreTest {
    @TempDir
    Path dir;

    final List<Starling> opened = new ArrayList<>();

    Starling open() {
        return open(StarlingConfig.builder().databaseDirectory(dir).build());
    }

    Starling open(StarlingConfig config) {
        Starling s = Starling.open(config);
        opened.add(s);
        return s;
    }

    DefaultStarling open(Clock clock) {
        DefaultStarling s = DefaultStarling.open(
                StarlingConfig.builder().databaseDirectory(dir).build(), clock);
        opened.add(s);
        return s;
    }

    @AfterEach
    void closeAll() {
        opened.forEach(Starling::close);
    }

    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    @Test
    void insertsAndReadsBack() {
        Starling db = open();
        QueryResult r = db.store()
                .execute(
                        "INSERT INTO cars DOCUMENTS (:car)",
                        map("car", map("_id", "c1", "make", "Ford", "year", 2020)));
        assertThat(r.mutatedDocumentIds()).containsExactly("c1");
        assertThat(r.items()).isEmpty();
        QueryResult s = db.store().execute("SELECT * FROM cars");
        assertThat(s.items()).hasSize(1);
        assertThat(s.items().get(0).json()).isEqualTo("{\"_id\":\"c1\",\"make\":\"Ford\",\"year\":2020}");
        assertThat(s.toJson())
                .isEqualTo("{\"items\":[{\"_id\":\"c1\",\"make\":\"Ford\",\"year\":2020}],\"mutatedDocumentIds\":[]}");
        assertThat(s.items().get(0).value()).isEqualTo(map("_id", "c1", "make", "Ford", "year", 2020L));
    }

    record Car(String make, long year) {}

    @Test
    void itemsMapToRecords() {
        Starling db = open();
        db.store().execute("INSERT INTO cars DOCUMENTS ({'make': 'Saab', 'year': 1999, 'extra': true})");
        assertThat(db.store().execute("SELECT * FROM cars").items().get(0).as(Car.class))
                .isEqualTo(new Car("Saab", 1999));
    }

    @Test
    void generatesUuidIdsWhenOmitted() {
        Starling db = open();
        QueryResult r = db.store().execute("INSERT INTO c DOCUMENTS ({'a': 1}), ({'a': 2})");
        assertThat(r.mutatedDocumentIds())
                .hasSize(2)
                .allSatisfy(id -> assertThat((String) id)
                        .matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"));
    }

    @Test
    void compositeIdsIgnoreKeyOrder() {
        Starling db = open();
        db.store().execute("INSERT INTO c DOCUMENTS (:d)", map("d", map("_id", map("a", 1, "b", "x"), "v", 1)));
        assertThatThrownBy(() -> db.store()
                        .execute("INSERT INTO c DOCUMENTS (:d)", map("d", map("_id", map("b", "x", "a", 1), "v", 2))))
                .isInstanceOf(StarlingException.class)
                .extracting(e -> ((StarlingException) e).errorCode())
                .isEqualTo(ErrorCode.DOCUMENT_ID_CONFLICT);
        assertThat(db.store()
                        .execute("SELECT v FROM c WHERE _id = :id", map("id", map("b", "x", "a", 1)))
                        .items())
                .hasSize(1);
    }

    @Test
    void rejectsBadIds() {
        Starling db = open();
        for (Object bad : new Object[] {1.5, 1.0, null, List.of(1), new byte[] {1}, map()}) {
            Map<String, Object> doc = map("_id", bad, "v", 1);
            assertThatThrownBy(() -> db.store().execute("INSERT INTO c DOCUMENTS (:d)", map("d", doc)))
                    .as("id %s", bad)
                    .isInstanceOfSatisfying(StarlingException.class, e -> {
                        assertThat(e.errorCode()).isEqualTo(ErrorCode.DOCUMENT_INVALID_ID);
                        assertThat(e.isUserError()).isTrue();
                    });
        }
        assertThat(db.store().execute("SELECT * FROM c").items()).isEmpty();
    }

    @Test
    void idConflictFailsTheWholeStatement() {
        Starling db = open();
        db.store().execute("INSERT INTO c DOCUMENTS ({'_id': 2, 'v': 'old'})");
        assertThatThrownBy(() -> db.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1}), ({'_id': 2}), ({'_id': 3})"))
                .isInstanceOf(StarlingException.class)
                .hasMessageContaining("already exists");
        assertThat(db.store().execute("SELECT _id FROM c").items()).hasSize(1); // 1 was rolled back
    }

    @Test
    void onIdConflictModes() {
        Starling db = open();
        db.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'a': 1, 'b': 1})");
        assertThat(db.store()
                        .execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'a': 9}) ON ID CONFLICT DO NOTHING")
                        .mutatedDocumentIds())
                .isEmpty();
        assertThat(db.store()
                        .execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'a': 2}) ON ID CONFLICT DO UPDATE")
                        .mutatedDocumentIds())
                .containsExactly(1L);
        assertThat(db.store().execute("SELECT * FROM c").items().get(0).value())
                .isEqualTo(map("_id", 1L, "a", 2L, "b", 1L));
        assertThat(db.store()
                        .execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'a': 2}) ON ID CONFLICT DO UPDATE_LOCAL_DIFF")
                        .mutatedDocumentIds())
                .isEmpty();
        assertThat(db.store()
                        .execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'a': 3}) ON ID CONFLICT DO UPDATE_LOCAL_DIFF")
                        .mutatedDocumentIds())
                .containsExactly(1L);
    }

    @Test
    void initialDocumentsOnlyFillAbsentIdsAndLoseToRealWrites() {
        Starling db = open();
        db.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'a': 'real'})");
        db.store().execute("DELETE FROM c WHERE _id = 1");
        QueryResult r = db.store()
                .execute("INSERT INTO c INITIAL DOCUMENTS ({'_id': 1, 'a': 'init'}), ({'_id': 2, 'a': 'init'})");
        assertThat(r.mutatedDocumentIds()).containsExactly(2L);
        assertThat(db.store().execute("SELECT * FROM c").items())
                .extracting(i -> i.json())
                .containsExactly("{\"_id\":2,\"a\":\"init\"}");
        DefaultStore store = ((DefaultStarling) db).defaultStore();
        DocumentState initial = store.documentState("c", Value.of(2));
        assertThat(initial.maxStamp().hlc()).isZero();
    }

    @Test
    void updateSetUnsetApply() {
        Starling db = open();
        db.store().execute("INSERT INTO c DOCUMENTS ({'_id': 'x', 'a': 1, 'o': {'p': 1, 'q': 2}, 'gone': true})");
        QueryResult r = db.store()
                .execute("UPDATE c APPLY n INCREMENT BY 5 SET a = a + 1, o = {'p': 10} UNSET gone WHERE _id = 'x'");
        assertThat(r.mutatedDocumentIds()).containsExactly("x");
        db.store().execute("UPDATE c APPLY n INCREMENT BY 2");
        assertThat(db.store().execute("SELECT * FROM c").items().get(0).value())
                .isEqualTo(map("_id", "x", "a", 2L, "n", 7L, "o", map("p", 10L, "q", 2L)));
        db.store().execute("UPDATE c APPLY n RESTART WITH 100");
        assertThat(db.store().execute("SELECT n FROM c").items().get(0).json()).isEqualTo("{\"n\":100}");
    }

    @Test
    void deleteThenUpdateDoesNotResurrectAndReinsertStartsClean() {
        Starling db = open();
        db.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'a': 1, 'b': 2})");
        assertThat(db.store().execute("DELETE FROM c WHERE _id = 1").mutatedDocumentIds())
                .containsExactly(1L);
        assertThat(db.store().execute("UPDATE c SET a = 5 WHERE _id = 1").mutatedDocumentIds())
                .isEmpty();
        assertThat(db.store().execute("SELECT * FROM c").items()).isEmpty();
        db.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'c': 3})");
        assertThat(db.store().execute("SELECT * FROM c").items().get(0).value()).isEqualTo(map("_id", 1L, "c", 3L));
    }

    /**
     * After EVICT and an older copy received back, this store holds an older copy of its own counter series: its next
     * increment must start a new series (the series ledger), or the sum it writes would replace the newer one held
     * elsewhere and lose the increments in between.
     */
    @Test
    void afterEvictAndAnOlderCopyBackAnIncrementStartsANewSeries() {
        Starling db = open();
        DefaultStore store = ((DefaultStarling) db).defaultStore();
        db.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'n': 0})");
        db.store().execute("UPDATE c APPLY n INCREMENT BY 1 WHERE _id = 1");
        DocumentState older = store.documentState("c", Value.of(1)); // n = 1: what one peer holds
        db.store().execute("UPDATE c APPLY n INCREMENT BY 10 WHERE _id = 1");
        DocumentState newer = store.documentState("c", Value.of(1)); // n = 11: what another peer holds
        db.store().execute("EVICT FROM c WHERE _id = 1");
        store.mergeRemote(List.of(new DefaultStore.RemoteDocument("c", Value.of(1), older)));
        db.store().execute("UPDATE c APPLY n INCREMENT BY 100 WHERE _id = 1");
        DocumentState mine = store.documentState("c", Value.of(1));
        assertThat(mine.fields().get("n")).isEqualTo(Value.of(101));
        assertThat(mine.merge(newer).fields().get("n"))
                .as("every increment counts once")
                .isEqualTo(Value.of(111));
    }

    @Test
    void evictRemovesTheRowWithoutATombstone() {
        Starling db = open();
        db.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1}), ({'_id': 2})");
        assertThat(db.store().execute("EVICT FROM c WHERE _id = 1").mutatedDocumentIds())
                .containsExactly(1L);
        DefaultStore store = ((DefaultStarling) db).defaultStore();
        assertThat(store.documentState("c", Value.of(1)).isEmpty()).isTrue();
        assertThat(db.store().execute("SELECT _id FROM c").items()).hasSize(1);
    }

    @Test
    void transactionCommitsTogetherOrNotAtAll() {
        Starling db = open();
        db.store().transaction(tx -> {
            tx.execute("INSERT INTO c DOCUMENTS ({'_id': 1})");
            assertThat(tx.execute("SELECT * FROM c").items()).hasSize(1); // sees its own write
            return tx.execute("INSERT INTO c DOCUMENTS ({'_id': 2})");
        });
        assertThatThrownBy(() -> db.store().transaction(tx -> {
                    tx.execute("INSERT INTO c DOCUMENTS ({'_id': 3})");
                    throw new IllegalStateException("app failure");
                }))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("app failure");
        assertThatThrownBy(() -> db.store().transaction(tx -> {
                    tx.execute("INSERT INTO c DOCUMENTS ({'_id': 4})");
                    throw new java.io.IOException("checked");
                }))
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.TRANSACTION_FAILED))
                .hasRootCauseInstanceOf(java.io.IOException.class);
        assertThat(db.store().execute("SELECT _id FROM c").items())
                .extracting(i -> i.value().get("_id"))
                .containsExactly(1L, 2L);
    }

    @Test
    void readTransactionRefusesWritesAndSeesASnapshot() {
        Starling db = open();
        db.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1})");
        assertThatThrownBy(() -> db.store().readTransaction(tx -> tx.execute("DELETE FROM c")))
                .isInstanceOfSatisfying(
                        StarlingException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.TRANSACTION_READ_ONLY));
        java.util.concurrent.CountDownLatch written = new java.util.concurrent.CountDownLatch(1);
        List<Integer> counts = db.store().readTransaction(tx -> {
            int before = tx.execute("SELECT _id FROM c").items().size();
            Thread writer = new Thread(() -> {
                db.store().execute("INSERT INTO c DOCUMENTS ({'_id': 2})");
                written.countDown();
            });
            writer.start();
            assertThat(written.await(30, java.util.concurrent.TimeUnit.SECONDS))
                    .isTrue(); // readers do not block writers
            return List.of(before, tx.execute("SELECT _id FROM c").items().size());
        });
        assertThat(counts).containsExactly(1, 1);
        assertThat(db.store().execute("SELECT _id FROM c").items()).hasSize(2);
    }

    @Test
    void syntaxErrorsNameThePlace() {
        Starling db = open();
        assertThatThrownBy(() -> db.store().execute("SELECT * FORM cars"))
                .isInstanceOfSatisfying(QueryException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.QUERY_SYNTAX);
                    assertThat(e.line()).isEqualTo(1);
                    assertThat(e.column()).isEqualTo(10);
                    assertThat(e.getMessage()).startsWith("line 1, column 10: ");
                });
        assertThatThrownBy(() -> db.store().execute("SELECT * FROM c WHERE a = :missing"))
                .isInstanceOfSatisfying(
                        QueryException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.QUERY_ARGUMENT))
                .hasMessageContaining(":missing");
    }

    @Test
    void oversizeDocumentsAreRefusedAndNothingIsWritten() {
        Starling db = open();
        String big = "x".repeat(5 * 1024 * 1024 + 1);
        assertThatThrownBy(() -> db.store()
                        .execute("INSERT INTO c DOCUMENTS ({'_id': 1}), (:d)", map("d", map("_id", 2, "big", big))))
                .isInstanceOfSatisfying(
                        StarlingException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.DOCUMENT_TOO_LARGE));
        assertThat(db.store().execute("SELECT * FROM c").items()).isEmpty();
        String fine = "x".repeat(300 * 1024); // above the warning threshold only
        assertThat(db.store()
                        .execute("INSERT INTO c DOCUMENTS (:d)", map("d", map("_id", 3, "big", fine)))
                        .mutatedDocumentIds())
                .hasSize(1);
    }

    @Test
    void aFailureHalfwayThroughAnUpdateLeavesNothingWritten() {
        Starling db = open();
        db.store()
                .execute(
                        "INSERT INTO c DOCUMENTS ({'_id': 1, 'n': 1}), ({'_id': 2, 'n': 'text'}), ({'_id': 3, 'n': 3})");
        assertThatThrownBy(() -> db.store().execute("UPDATE c APPLY n INCREMENT BY 1"))
                .isInstanceOfSatisfying(StarlingException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.DOCUMENT_INVALID);
                    assertThat(e.isUserError()).isTrue();
                })
                .hasMessageContaining("cannot INCREMENT n: it holds a string");
        assertThat(db.store().execute("SELECT n FROM c").toJson())
                .isEqualTo("{\"items\":[{\"n\":1},{\"n\":\"text\"},{\"n\":3}],\"mutatedDocumentIds\":[]}");
    }

    @Test
    void wrongArgumentTypesAreUserErrors() {
        Starling db = open();
        db.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1})");
        assertThatThrownBy(() -> db.store().execute("SELECT * FROM c LIMIT :n", map("n", "ten")))
                .isInstanceOfSatisfying(
                        QueryException.class, e -> assertThat(e.isUserError()).isTrue());
        assertThatThrownBy(() -> db.store().execute("UPDATE c APPLY n INCREMENT BY :by", map("by", "one")))
                .isInstanceOfSatisfying(
                        QueryException.class, e -> assertThat(e.isUserError()).isTrue());
        assertThatThrownBy(() -> db.store().execute("INSERT INTO c DOCUMENTS (:d)", map("d", 42)))
                .isInstanceOfSatisfying(
                        StarlingException.class,
                        e -> assertThat(e.isUserError()).isTrue());
        assertThatThrownBy(() -> db.store().execute("SELECT * FROM c WHERE a = :a", map("a", new Object())))
                .isInstanceOfSatisfying(
                        QueryException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.QUERY_ARGUMENT))
                .hasMessageContaining(":a");
        assertThat(db.store().execute("SELECT * FROM c").items()).hasSize(1);
    }

    @Test
    void aForeignSqliteDatabaseIsRefusedAndLeftUntouched() throws Exception {
        Path file = dir.resolve("starling.db");
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + file);
                java.sql.Statement st = c.createStatement()) {
            st.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)");
            st.execute("INSERT INTO invoices (total) VALUES (12.5)");
        }
        byte[] before = Files.readAllBytes(file);
        assertThatThrownBy(this::open)
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.STORE_CORRUPT))
                .hasMessageContaining("not a Starling database");
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
    }

    @Test
    void stringsThatAreNotUnicodeAreRefused() {
        Starling db = open();
        assertThatThrownBy(() -> db.store().execute("INSERT INTO c DOCUMENTS (:d)", map("d", map("s", "x\uD800y"))))
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.DOCUMENT_INVALID))
                .hasMessageContaining("not valid Unicode");
        assertThatThrownBy(() -> db.store().execute("INSERT INTO c DOCUMENTS (:d)", map("d", map("k\uDC00", 1))))
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.DOCUMENT_INVALID));
        db.store().execute("INSERT INTO c DOCUMENTS (:d)", map("d", map("_id", 1, "s", "emoji \uD83D\uDE00 ok")));
        assertThatThrownBy(() -> db.store().execute("UPDATE c SET s = :s", map("s", "\uDBFF")))
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.DOCUMENT_INVALID));
        assertThat(db.store().execute("SELECT s FROM c").items().get(0).value().get("s"))
                .isEqualTo("emoji \uD83D\uDE00 ok");
    }

    @Test
    void nonFiniteNumbersAreRefused() {
        Starling db = open();
        assertThatThrownBy(() -> db.store().execute("INSERT INTO c DOCUMENTS (:d)", map("d", map("v", Double.NaN))))
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.DOCUMENT_INVALID));
    }

    @Test
    void secondOpenOfTheSameDirectoryFailsClearly() {
        open();
        assertThatThrownBy(this::open)
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.STORE_LOCKED))
                .hasMessageContaining(dir.getFileName().toString());
    }

    @Test
    void corruptOrForeignDatabaseFileFailsClearly() throws Exception {
        Files.write(
                dir.resolve("starling.db"),
                "this is not a database, just some text padding it out..."
                        .repeat(100)
                        .getBytes());
        assertThatThrownBy(this::open)
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.STORE_CORRUPT));
        // and the directory is not left locked
        Files.delete(dir.resolve("starling.db"));
        open().close();
    }

    @Test
    void appIdIsPersistedAndChecked() {
        open(StarlingConfig.builder().databaseDirectory(dir).appId("shop").build())
                .close();
        Starling again = open(StarlingConfig.builder().databaseDirectory(dir).build());
        assertThat(again.config().appId()).isEqualTo("shop");
        again.close();
        assertThatThrownBy(() -> open(StarlingConfig.builder()
                        .databaseDirectory(dir)
                        .appId("other")
                        .build()))
                .isInstanceOfSatisfying(
                        StarlingException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.STORE_APP_MISMATCH));
    }

    @Test
    void siteIdIsGeneratedOnceAndPersisted() {
        Starling first = open();
        long site = first.config().siteId().getAsLong();
        first.close();
        assertThat(site).isNotZero();
        assertThat(open().config().siteId().getAsLong()).isEqualTo(site);
    }

    @Test
    void clockIsMonotonicAcrossRestartsEvenWhenTheWallClockGoesBack() {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        DefaultStarling db = open(Clock.fixed(t, ZoneOffset.UTC));
        db.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1})");
        Stamp first = db.defaultStore().documentState("c", Value.of(1)).maxStamp();
        db.close();
        DefaultStarling again = open(Clock.fixed(t.minus(Duration.ofHours(1)), ZoneOffset.UTC));
        again.store().execute("UPDATE c SET a = 1 WHERE _id = 1");
        Stamp second = again.defaultStore().documentState("c", Value.of(1)).maxStamp();
        assertThat(second.hlc()).isGreaterThan(first.hlc());
    }

    @Test
    void remoteMergeGoesThroughTheWritePath() {
        DefaultStarling db = open(Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC));
        DefaultStore store = db.defaultStore();
        List<List<DocumentWriter.Change>> seen = new ArrayList<>();
        store.addChangeListener(seen::add);
        db.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'a': 1})");
        long seqBefore = store.lastSequence();
        long remoteSite = 77;
        long nowHlc = store.documentState("c", Value.of(1)).maxStamp().hlc();
        DocumentState remote = DocumentState.empty()
                .insert((Value.Obj) Value.fromJava(map("b", 2)), new Stamp(nowHlc + 5, remoteSite));
        List<DocumentWriter.Change> changes =
                store.mergeRemote(List.of(new DefaultStore.RemoteDocument("c", Value.of(1), remote)));
        assertThat(changes).hasSize(1);
        assertThat(store.lastSequence()).isEqualTo(seqBefore + 1);
        assertThat(seen).hasSize(2);
        assertThat(db.store().execute("SELECT * FROM c").items().get(0).value())
                .isEqualTo(map("_id", 1L, "a", 1L, "b", 2L));
        // replay: nothing changes, no sequence number is used
        assertThat(store.mergeRemote(List.of(new DefaultStore.RemoteDocument("c", Value.of(1), remote))))
                .isEmpty();
        assertThat(store.lastSequence()).isEqualTo(seqBefore + 1);
        // local writes after the merge are stamped above it
        db.store().execute("UPDATE c SET a = 2 WHERE _id = 1");
        assertThat(store.documentState("c", Value.of(1)).maxStamp().hlc()).isGreaterThan(nowHlc + 5);
    }

    @Test
    void remoteStateFromTheFarFutureIsRejectedWhole() {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        DefaultStarling db = open(Clock.fixed(now, ZoneOffset.UTC));
        DefaultStore store = db.defaultStore();
        long future = (now.plus(Duration.ofMinutes(11)).toEpochMilli()) << 16;
        DocumentState ok = DocumentState.empty().insert(Value.Obj.EMPTY, new Stamp(now.toEpochMilli() << 16, 5));
        DocumentState bad = DocumentState.empty().insert(Value.Obj.EMPTY, new Stamp(future, 5));
        assertThatThrownBy(() -> store.mergeRemote(List.of(
                        new DefaultStore.RemoteDocument("c", Value.of(1), ok),
                        new DefaultStore.RemoteDocument("c", Value.of(2), bad))))
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.CLOCK_DRIFT));
        assertThat(db.store().execute("SELECT * FROM c").items()).isEmpty();
    }

    @Test
    void closedInstanceRefusesWork() {
        Starling db = open();
        db.close();
        db.close(); // idempotent
        assertThatThrownBy(() -> db.store().execute("SELECT * FROM c"))
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.CLOSED));
    }

    @Test
    void nestedStoreCallInsideATransactionIsRefusedNotDeadlocked() {
        Starling db = open();
        assertThatThrownBy(() -> db.store().transaction(tx -> db.store().execute("SELECT * FROM c")))
                .isInstanceOf(StarlingException.class)
                .hasMessageContaining("use the Transaction passed to the callback");
    }
}
