package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.ErrorCode;
import io.starling.ObserverHandle;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.Store;
import io.starling.StoreChange;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store's change feed ({@link Store#changes}) and its commit signal ({@link Store#observeCommits}). */
class ChangeFeedTest {
    @TempDir
    Path dir;

    private Starling db;
    private Store store;

    @BeforeEach
    void open() {
        db = Starling.open(StarlingConfig.builder().databaseDirectory(dir).build());
        store = db.store();
    }

    @AfterEach
    void close() {
        db.close();
    }

    private void insert(String collection, String id, int n) {
        store.execute(
                "INSERT INTO " + collection + " DOCUMENTS (:d) ON ID CONFLICT DO UPDATE",
                Map.of("d", Map.of("_id", id, "n", n)));
    }

    /** Every entry from {@code after}, page by page of {@code pageSize}. */
    private List<StoreChange> all(long after, int pageSize, Set<String> collections) {
        List<StoreChange> out = new ArrayList<>();
        long cursor = after;
        while (true) {
            StoreChange.Page page = store.changes(cursor, pageSize, collections);
            out.addAll(page.changes());
            if (page.cursor() == cursor) return out;
            assertThat(page.cursor()).isGreaterThan(cursor);
            cursor = page.cursor();
        }
    }

    private static List<String> ids(List<StoreChange> changes) {
        return changes.stream().map(StoreChange::idJson).toList();
    }

    @Test
    void anEmptyStoreHasNoChanges() {
        StoreChange.Page page = store.changes(0, 10, Set.of());
        assertThat(page.changes()).isEmpty();
        assertThat(page.cursor()).isZero();
    }

    @Test
    void aChangeIsOneLineOfJsonInTheFeedsShape() {
        assertThat(new StoreChange(17, "c\"a\nr", "{\"k\":1}", false, "{\"_id\":{\"k\":1},\"n\":2}", 42).toJson())
                .isEqualTo("{\"cursor\":\"17\",\"collection\":\"c\\\"a\\nr\",\"id\":{\"k\":1},\"op\":\"upsert\","
                        + "\"value\":{\"_id\":{\"k\":1},\"n\":2},\"hlc\":42}");
        assertThat(new StoreChange(3, "cars", "\"a\"", true, null, 7).toJson())
                .isEqualTo("{\"cursor\":\"3\",\"collection\":\"cars\",\"id\":\"a\",\"op\":\"delete\","
                        + "\"value\":null,\"hlc\":7}");
    }

    @Test
    void entriesCarryTheLatestValueAndComeInCommitOrder() {
        insert("cars", "a", 1);
        insert("cars", "b", 2);
        List<StoreChange> changes = all(0, 10, Set.of());
        assertThat(ids(changes)).containsExactly("\"a\"", "\"b\"");
        StoreChange a = changes.get(0);
        assertThat(a.collection()).isEqualTo("cars");
        assertThat(a.deleted()).isFalse();
        assertThat(a.valueJson()).isEqualTo("{\"_id\":\"a\",\"n\":1}");
        assertThat(a.hlc()).isPositive();
        assertThat(changes.get(1).cursor()).isGreaterThan(a.cursor());
        assertThat(changes.get(1).hlc()).isGreaterThan(a.hlc());
    }

    @Test
    void aDocumentWrittenAgainMovesToTheEndWithItsLatestState() {
        insert("cars", "a", 1);
        insert("cars", "b", 2);
        insert("cars", "a", 3);
        List<StoreChange> changes = all(0, 10, Set.of());
        assertThat(ids(changes)).containsExactly("\"b\"", "\"a\"");
        assertThat(changes.get(1).valueJson()).isEqualTo("{\"_id\":\"a\",\"n\":3}");
    }

    @Test
    void resumingFromAnyCursorGivesEveryLaterChangeAndNothingEarlier() {
        for (int i = 0; i < 25; i++) insert("cars", "d" + i, i);
        List<StoreChange> everything = all(0, 7, Set.of());
        assertThat(everything).hasSize(25);
        for (int k = 0; k < everything.size(); k++) {
            long cursor = everything.get(k).cursor();
            assertThat(all(cursor, 4, Set.of()))
                    .as("resumed after entry %d", k)
                    .isEqualTo(everything.subList(k + 1, everything.size()));
        }
    }

    @Test
    void deletesAreEntriesWithoutAValue() {
        insert("cars", "a", 1);
        long before = store.changes(0, 10, Set.of()).cursor();
        store.execute("DELETE FROM cars WHERE _id = 'a'");
        List<StoreChange> changes = all(before, 10, Set.of());
        assertThat(changes).hasSize(1);
        StoreChange delete = changes.get(0);
        assertThat(delete.deleted()).isTrue();
        assertThat(delete.valueJson()).isNull();
        assertThat(delete.idJson()).isEqualTo("\"a\"");
        assertThat(delete.collection()).isEqualTo("cars");
    }

    @Test
    void compositeAndIntegerIdsAreJson() {
        store.execute("INSERT INTO t DOCUMENTS ({'_id': 7}), ({'_id': {'b': 1, 'a': 'x'}})");
        assertThat(ids(all(0, 10, Set.of()))).containsExactlyInAnyOrder("7", "{\"a\":\"x\",\"b\":1}");
    }

    @Test
    void theCollectionsFilterSkipsOthersButStillAdvancesTheCursor() {
        insert("cars", "a", 1);
        insert("boats", "b", 2);
        insert("planes", "c", 3);
        insert("cars", "d", 4);
        assertThat(ids(all(0, 10, Set.of("cars", "planes")))).containsExactly("\"a\"", "\"c\"", "\"d\"");
        StoreChange.Page boatsOnly = store.changes(0, 1, Set.of("boats"));
        assertThat(boatsOnly.changes()).isEmpty(); // the first entry examined is a car
        assertThat(boatsOnly.cursor()).isPositive();
        assertThat(ids(all(boatsOnly.cursor(), 1, Set.of("boats")))).containsExactly("\"b\"");
        assertThat(all(0, 10, Set.of("nothing"))).isEmpty();
    }

    @Test
    void aPageStopsAtItsSizeAndNearOneMebibyteOfValues() {
        String big = "x".repeat(300 * 1024);
        for (int i = 0; i < 6; i++) {
            store.execute("INSERT INTO big DOCUMENTS (:d)", Map.of("d", Map.of("_id", "b" + i, "s", big)));
        }
        StoreChange.Page page = store.changes(0, 100, Set.of());
        assertThat(page.changes()).hasSize(4); // 4 × 300 KiB passes 1 MiB
        assertThat(store.changes(0, 2, Set.of()).changes()).hasSize(2);
        assertThat(all(0, 100, Set.of())).hasSize(6);
    }

    @Test
    void aCursorThisStoreNeverGaveIsRefused() {
        insert("cars", "a", 1);
        long last = store.changes(0, 10, Set.of()).cursor();
        assertThat(store.changes(last, 10, Set.of()).changes()).isEmpty();
        assertThatThrownBy(() -> store.changes(last + 1, 10, Set.of()))
                .isInstanceOfSatisfying(StarlingException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.CHANGES_CURSOR);
                    assertThat(e.isUserError()).isTrue();
                })
                .hasMessageContaining("cursor " + (last + 1))
                .hasMessageContaining("its last change is " + last);
        assertThatThrownBy(() -> store.changes(-1, 10, Set.of()))
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.CHANGES_CURSOR))
                .hasMessageContaining("never negative");
        assertThatThrownBy(() -> store.changes(0, 0, Set.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.changes(0, 10_001, Set.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aCursorOlderThanAPurgedDeleteIsRefusedInsteadOfSkippingIt() {
        insert("cars", "a", 1);
        insert("cars", "b", 2);
        long beforeDelete = store.changes(0, 10, Set.of()).cursor();
        store.execute("DELETE FROM cars WHERE _id = 'a'");
        long afterDelete = store.changes(0, 10, Set.of()).cursor();
        insert("cars", "c", 3);
        assertThat(all(beforeDelete, 10, Set.of()))
                .extracting(StoreChange::deleted)
                .containsExactly(true, false);

        // purge every tombstone: the delete of 'a' leaves the feed
        DefaultStore internal = ((DefaultStarling) db).defaultStore();
        assertThat(internal.purgeTombstones(Long.MAX_VALUE)).isEqualTo(1);

        assertThatThrownBy(() -> store.changes(beforeDelete, 10, Set.of()))
                .isInstanceOfSatisfying(StarlingException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.CHANGES_CURSOR_EXPIRED);
                    assertThat(e.errorCode().code()).isEqualTo("store/cursor-expired");
                })
                .hasMessageContaining("cursor " + beforeDelete + " is older than deletes purged")
                .hasMessageContaining("read again from 0");
        // a reader that had seen the delete reads on; one that starts over gets the current state
        assertThat(all(afterDelete, 10, Set.of()))
                .extracting(StoreChange::idJson)
                .containsExactly("\"c\"");
        assertThat(all(0, 10, Set.of())).extracting(StoreChange::idJson).containsExactly("\"b\"", "\"c\"");

        // a later purge that removes nothing does not move the bound back
        assertThat(internal.purgeTombstones(Long.MAX_VALUE)).isZero();
        assertThatThrownBy(() -> store.changes(beforeDelete, 10, Set.of())).isInstanceOf(StarlingException.class);
    }

    @Test
    void theCursorsSurviveARestart() {
        insert("cars", "a", 1);
        long cursor = store.changes(0, 10, Set.of()).cursor();
        db.close();
        open();
        insert("cars", "b", 2);
        assertThat(ids(all(cursor, 10, Set.of()))).containsExactly("\"b\"");
    }

    @Test
    void commitObserversAreToldAfterEachCommitThatChangedDocuments() {
        AtomicInteger calls = new AtomicInteger();
        ObserverHandle handle = store.observeCommits(calls::incrementAndGet);
        insert("cars", "a", 1);
        assertThat(calls).hasValue(1); // on the committing thread, before the write returned
        // the tail: what a waiting reader finds once told
        StoreChange.Page page = store.changes(0, 10, Set.of());
        assertThat(ids(page.changes())).containsExactly("\"a\"");
        store.execute("SELECT * FROM cars");
        store.execute("UPDATE cars SET n = 1 WHERE _id = 'nobody'");
        assertThat(calls).as("reads and writes that changed nothing").hasValue(1);
        store.transaction(tx -> {
            tx.execute("INSERT INTO cars DOCUMENTS ({'_id': 'b'}), ({'_id': 'c'})");
            return null;
        });
        assertThat(calls).as("one call per transaction").hasValue(2);
        handle.close();
        assertThat(handle.isClosed()).isTrue();
        insert("cars", "d", 1);
        assertThat(calls).hasValue(2);
    }

    @Test
    void aThrowingCommitObserverStaysRegisteredAndTheWriteSucceeds() {
        AtomicInteger calls = new AtomicInteger();
        try (ObserverHandle h = store.observeCommits(() -> {
            calls.incrementAndGet();
            throw new IllegalStateException("boom");
        })) {
            insert("cars", "a", 1);
            insert("cars", "b", 1);
            assertThat(calls).hasValue(2);
            assertThat(h.isClosed()).isFalse();
        }
    }

    @Test
    void closingTheInstanceEndsCommitObserversAndRefusesReads() {
        ObserverHandle h = store.observeCommits(() -> {});
        db.close();
        assertThat(h.isClosed()).isTrue();
        assertThatThrownBy(() -> store.changes(0, 1, Set.of()))
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.CLOSED));
        open(); // for close()
    }

    @Test
    void changesMergedFromAPeerWakeCommitObserversAndEnterTheFeed() {
        DefaultStarling a = memoryPeer(), b = memoryPeer();
        try {
            AtomicInteger wakes = new AtomicInteger();
            ObserverHandle h = b.store().observeCommits(wakes::incrementAndGet);
            b.sync().registerSubscription("SELECT * FROM cars", Map.of());
            a.store().execute("INSERT INTO cars DOCUMENTS ({'_id': 'remote', 'n': 1})");
            try (InMemoryTransport.Link link = InMemoryTransport.connect(a, b)) {
                io.starling.testsupport.Await.until(
                        "the merged document in b's feed",
                        java.time.Duration.ofSeconds(60),
                        () -> !b.store()
                                .changes(0, 10, Set.of("cars"))
                                .changes()
                                .isEmpty());
                StoreChange merged =
                        b.store().changes(0, 10, Set.of("cars")).changes().get(0);
                assertThat(merged.valueJson()).isEqualTo("{\"_id\":\"remote\",\"n\":1}");
                // the HLC is the writer's, carried by sync
                assertThat(merged.hlc())
                        .isEqualTo(a.store()
                                .changes(0, 10, Set.of())
                                .changes()
                                .get(0)
                                .hlc());
                // told after the commit, so possibly a moment after the feed shows it
                io.starling.testsupport.Await.until(
                        "the merge's commit to wake the observer",
                        java.time.Duration.ofSeconds(60),
                        () -> wakes.get() > 0);
            }
            h.close();
        } finally {
            a.close();
            b.close();
        }
    }

    private static DefaultStarling memoryPeer() {
        return DefaultStarling.open(
                StarlingConfig.builder().appId("feedtest").build(),
                Path.of("memory"),
                new io.starling.internal.storage.InMemoryStorage(),
                java.time.Clock.systemUTC());
    }

    @Test
    void theFeedCannotBeReadFromInsideATransaction() {
        assertThatThrownBy(() -> store.transaction(tx -> store.changes(0, 1, Set.of())))
                .isInstanceOfSatisfying(
                        StarlingException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.TRANSACTION_FAILED));
    }
}
