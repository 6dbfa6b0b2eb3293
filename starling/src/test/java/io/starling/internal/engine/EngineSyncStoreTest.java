package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.StarlingConfig;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.index.IndexDefinition;
import io.starling.internal.storage.DocumentStorage;
import io.starling.internal.storage.InMemoryStorage;
import io.starling.internal.storage.StorageException;
import io.starling.internal.sync.Subscription;
import io.starling.internal.sync.SubscriptionKey;
import io.starling.internal.sync.SyncStoreView;
import io.starling.internal.sync.SyncStoreView.ApplyResult;
import io.starling.internal.sync.SyncStoreView.Checkpoint;
import io.starling.internal.sync.SyncStoreView.Doc;
import io.starling.internal.sync.SyncStoreView.DocRef;
import io.starling.internal.sync.SyncStoreView.Row;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The engine's store as the sync session sees it, called directly: backfill scans (their order, bounds and page
 * size), subscription matching (tombstones, other collections, subscriptions that are not plain filters, runaway
 * subscriptions), the rows and collections it reports, and what {@code apply} and {@code evict} do to the store and
 * the checkpoint. The session tests use a fake store; these pin the real one.
 */
class EngineSyncStoreTest {
    static final Value.Obj NO_ARGS = (Value.Obj) Value.fromJava(Map.of());

    final List<DefaultStarling> peers = new ArrayList<>();

    /** Storage that refuses writes as a full disk would, while {@link #full} is set. */
    static final class FillableStorage implements DocumentStorage {
        final InMemoryStorage inner = new InMemoryStorage();
        volatile boolean full;

        @Override
        public <T> T write(WriteWork<T> work) {
            if (full) throw new StorageException(StorageException.Code.FULL, "no space left on the test's disk");
            return inner.write(work);
        }

        @Override
        public <T> T read(ReadWork<T> work) {
            return inner.read(work);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    final List<FillableStorage> storages = new ArrayList<>();

    DefaultStarling peer() {
        FillableStorage storage = new FillableStorage();
        DefaultStarling p = DefaultStarling.open(
                StarlingConfig.builder().appId("esstest").build(),
                Path.of("memory"),
                storage,
                java.time.Clock.systemUTC());
        peers.add(p);
        storages.add(storage);
        return p;
    }

    @AfterEach
    void closeAll() {
        peers.forEach(DefaultStarling::close);
    }

    static byte[] id(Object id) {
        return DocumentIds.encode(Value.fromJava(id));
    }

    static Object idOf(Row row) {
        return DocumentIds.decode(row.id()).toJava();
    }

    static List<Object> ids(List<Row> rows) {
        return rows.stream().map(EngineSyncStoreTest::idOf).toList();
    }

    static Subscription sub(String collection, String query) {
        return Subscription.of(collection, query, NO_ARGS);
    }

    /** Documents 1..5 in c with v = id; 3 deleted (a tombstone). */
    static DefaultStarling withFive(DefaultStarling p) {
        p.store()
                .execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'v': 1}), ({'_id': 2, 'v': 2}), ({'_id': 3, 'v': 3}),"
                        + " ({'_id': 4, 'v': 4}), ({'_id': 5, 'v': 5})");
        p.store().execute("DELETE FROM c WHERE _id = 3");
        return p;
    }

    static Row row(DefaultStarling p, String collection, Object id) {
        Row r = p.syncStore().rowOf(collection, id(id));
        assertThat(r).as("row of %s in %s", id, collection).isNotNull();
        return r;
    }

    /** Ids held in the entries of every index of a collection, straight from the storage. */
    static List<Object> indexEntryIds(DefaultStarling p, String collection) {
        return p.storage().read(tx -> {
            List<Object> out = new ArrayList<>();
            for (IndexDefinition d : IndexCatalog.load(tx).of(collection)) {
                tx.scanIndex(IndexCatalog.storageName(d), null, null, false, (key, entryId) -> {
                    out.add(DocumentIds.decode(entryId).toJava());
                    return true;
                });
            }
            return out;
        });
    }

    @Test
    void theIncarnationIsTheOneStoredWithTheDatabaseAndDiffersBetweenDatabases() {
        DefaultStarling a = peer(), b = peer();
        byte[] stored = a.storage().read(tx -> tx.meta(EngineSyncStore.META_INCARNATION));
        assertThat(a.syncStore().incarnation())
                .isEqualTo(ByteBuffer.wrap(stored).getLong());
        assertThat(a.syncStore().incarnation()).isNotEqualTo(b.syncStore().incarnation());
    }

    @Test
    void changesSinceListsEveryChangeAfterASequenceInOrderAtMostAPage() {
        DefaultStarling a = withFive(peer());
        EngineSyncStore s = a.syncStore();
        List<Row> all = s.changesSince(0, 100);
        assertThat(ids(all)).containsExactly(1L, 2L, 4L, 5L, 3L); // the delete of 3 came last
        assertThat(all).extracting(Row::sequence).isSorted().doesNotHaveDuplicates();
        assertThat(all.get(4).live()).isFalse();
        assertThat(all.get(4).sequence()).isEqualTo(s.lastSequence());
        assertThat(ids(s.changesSince(0, 3))).containsExactly(1L, 2L, 4L);
        assertThat(ids(s.changesSince(all.get(2).sequence(), 100))).containsExactly(5L, 3L);
        assertThat(s.changesSince(s.lastSequence(), 100)).isEmpty();
    }

    @Test
    void matchingWhileTheStoreClosesMatchesNothingAndDoesNotThrow() {
        DefaultStarling a = peer();
        a.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1, 's': :s})", Map.of("s", StatementTimeoutTest.FORTY_AS));
        String query = "SELECT * FROM c WHERE regexp_like(s, " + StatementTimeoutTest.CATASTROPHIC + ") OR true";
        a.defaultStore().cancelRunning(); // the first step of closing: every evaluation stops at its first poll
        assertThat(a.syncStore().matches(sub("c", query), row(a, "c", 1))).isFalse();
        assertThat(a.syncStore().tooSlow()).as("stopped, not too slow").isEmpty();
        assertThat(a.defaultStore().running().size()).isZero();
    }

    @Test
    void scanCollectionPagesThroughLiveRowsAndTombstonesInIdOrder() {
        DefaultStarling a = withFive(peer());
        List<Row> first = a.syncStore().scanCollection("c", null, 2);
        assertThat(ids(first)).containsExactly(1L, 2L);
        List<Row> rest = a.syncStore().scanCollection("c", first.get(1).id(), 10);
        assertThat(ids(rest)).containsExactly(3L, 4L, 5L);
        assertThat(rest.get(0).live()).as("3 is a tombstone").isFalse();
        assertThat(rest.get(1).live()).isTrue();
        assertThat(a.syncStore().scanCollection("c", null, 1)).hasSize(1);
        assertThat(a.syncStore().scanCollection("none", null, 10)).isEmpty();
    }

    @Test
    void scanMatchingReturnsLiveMatchingDocumentsInIdOrderAtMostAPage() {
        DefaultStarling a = withFive(peer());
        EngineSyncStore s = a.syncStore();
        Subscription over1 = sub("c", "SELECT * FROM c WHERE v > 1");
        List<Row> page = s.scanMatching(over1, null, 2);
        assertThat(ids(page)).containsExactly(2L, 4L);
        assertThat(page).allSatisfy(r -> assertThat(r.live()).isTrue());
        assertThat(page.get(0).state()).isEqualTo(row(a, "c", 2).state());
        assertThat(ids(s.scanMatching(over1, page.get(1).id(), 2))).containsExactly(5L);
        assertThat(ids(s.scanMatching(over1, null, 1))).containsExactly(2L);

        // the whole collection: every live document, no tombstone
        assertThat(ids(s.scanMatching(sub("c", "SELECT * FROM c"), null, 10))).containsExactly(1L, 2L, 4L, 5L);
        assertThat(ids(s.scanMatching(sub("c", "SELECT * FROM c"), null, 3))).containsExactly(1L, 2L, 4L);
    }

    @Test
    void aSubscriptionThatIsNotAPlainFilterOnItsCollectionScansAndMatchesNothing() {
        DefaultStarling a = withFive(peer());
        EngineSyncStore s = a.syncStore();
        Row one = row(a, "c", 1);
        for (Subscription bad : List.of(
                sub("c", "SELECT * FROM c ORDER BY v LIMIT 2"),
                sub("c", "SELECT * FROM d"),
                sub("c", "SELECT v, COUNT(*) AS n FROM c GROUP BY v"),
                sub("c", "this is not DQL"))) {
            assertThat(s.scanMatching(bad, null, 10)).as(bad.query()).isEmpty();
            assertThat(s.matches(bad, one)).as(bad.query()).isFalse();
        }
    }

    @Test
    void matchesOnlyLiveDocumentsOfTheSubscriptionsCollectionThatPassItsWhere() {
        DefaultStarling a = withFive(peer());
        a.store().execute("INSERT INTO d DOCUMENTS ({'_id': 1, 'v': 1})");
        EngineSyncStore s = a.syncStore();
        Subscription all = sub("c", "SELECT * FROM c");
        Subscription over1 = sub("c", "SELECT * FROM c WHERE v > 1");
        assertThat(s.matches(all, row(a, "c", 1))).isTrue();
        assertThat(s.matches(all, row(a, "c", 3))).as("a tombstone").isFalse();
        assertThat(s.matches(over1, row(a, "c", 3))).as("a tombstone").isFalse();
        assertThat(s.matches(all, row(a, "d", 1))).as("another collection").isFalse();
        assertThat(s.matches(over1, row(a, "c", 1))).isFalse();
        assertThat(s.matches(over1, row(a, "c", 2))).isTrue();
        // a row whose state does not decode matches nothing (and does not throw)
        Row one = row(a, "c", 2);
        assertThat(s.matches(over1, new Row(one.sequence(), one.group(), "c", one.id(), true, new byte[] {1, 0, 31})))
                .isFalse();
    }

    @Test
    void aSubscriptionStoppedForRunningTooLongMatchesNothingFromThenOn() {
        DefaultStarling a = peer();
        a.store()
                .execute(
                        "INSERT INTO c DOCUMENTS ({'_id': 1, 's': :s, 'v': 0}), ({'_id': 2, 's': '', 'v': 1})",
                        Map.of("s", StatementTimeoutTest.FORTY_AS));
        EngineSyncStore s = a.syncStore();
        String query = "SELECT * FROM c WHERE regexp_like(s, " + StatementTimeoutTest.CATASTROPHIC + ") OR v = 1";
        Subscription slow = sub("c", query);
        Subscription same = sub("c", "SELECT * FROM c WHERE regexp_like(s, '^(.*a){20}b') OR v = 1");
        assertThat(s.matches(same, row(a, "c", 2)))
                .as("quick on a short string")
                .isTrue();
        assertThat(s.matches(slow, row(a, "c", 1))).as("runs past the limit").isFalse();
        assertThat(s.tooSlow()).containsExactly(query);
        assertThat(s.matches(slow, row(a, "c", 2)))
                .as("a quick document after the subscription was stopped")
                .isFalse();
        assertThat(s.scanMatching(slow, null, 10)).isEmpty();
        assertThat(a.defaultStore().running().size()).isZero();
    }

    @Test
    void rowOfIsTheStoredRowOrNull() {
        DefaultStarling a = withFive(peer());
        EngineSyncStore s = a.syncStore();
        assertThat(s.rowOf("c", id(9))).isNull();
        assertThat(s.rowOf("d", id(1))).isNull();
        Row two = row(a, "c", 2);
        assertThat(two.live()).isTrue();
        assertThat(two.collection()).isEqualTo("c");
        assertThat(DocumentState.decode(two.state()).document(Value.of(2)))
                .isEqualTo(Value.fromJava(Map.of("_id", 2, "v", 2)));
        assertThat(row(a, "c", 3).live()).isFalse();
        assertThat(s.stateOf("c", id(9))).isNull();
    }

    @Test
    void holdsAnyIsTrueForACollectionWithAnyRowTombstonesIncluded() {
        DefaultStarling a = peer();
        EngineSyncStore s = a.syncStore();
        assertThat(s.holdsAny("c")).isFalse();
        a.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1})");
        assertThat(s.holdsAny("c")).isTrue();
        assertThat(s.holdsAny("d")).isFalse();
        a.store().execute("DELETE FROM c");
        assertThat(s.holdsAny("c")).as("a tombstone is a row").isTrue();
    }

    @Test
    void aBatchStampedFarAheadOfOurClockIsRefusedAsClockDriftAndNothingIsApplied() {
        DefaultStarling a = peer();
        long farAhead =
                (System.currentTimeMillis() + java.time.Duration.ofDays(30).toMillis()) << 16;
        byte[] state = DocumentState.empty()
                .insert((Value.Obj) Value.fromJava(Map.of("v", 1)), new Stamp(farAhead, 7))
                .encode();
        assertThatThrownBy(() ->
                        a.syncStore().apply(7, List.of(new Doc("c", id(1), state)), new Checkpoint(1, 5, Set.of())))
                .isInstanceOfSatisfying(
                        SyncStoreView.RemoteRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo("clock-drift"));
        assertThat(a.syncStore().rowOf("c", id(1))).isNull();
        assertThat(a.syncStore().checkpoint(7)).isNull();
    }

    @Test
    void aStateOlderThanOursIsReportedBehindAndHoldsTheCheckpoint() {
        DefaultStarling a = peer();
        a.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'v': 1})");
        byte[] older = DocumentState.empty()
                .insert((Value.Obj) Value.fromJava(Map.of("v", 0)), new Stamp(1, 7))
                .encode();
        // ours is newer: nothing changes, we owe the sender our state first
        SyncStoreView.ApplyResult result =
                a.syncStore().apply(7, List.of(new Doc("c", id(1), older)), new Checkpoint(1, 5, Set.of()));
        assertThat(result.behind()).containsExactly(new DocRef("c", id(1)));
        assertThat(a.syncStore().checkpoint(7))
                .as("not past a document we owe back")
                .isNull();

        // the same state we hold is not behind, and the checkpoint moves
        byte[] same = row(a, "c", 1).state();
        result = a.syncStore().apply(7, List.of(new Doc("c", id(1), same)), new Checkpoint(1, 6, Set.of()));
        assertThat(result).isEqualTo(new ApplyResult(List.of(), List.of(), List.of()));
        assertThat(a.syncStore().checkpoint(7).sequence()).isEqualTo(6);
    }

    @Test
    void aMergeThatMovesTheClockPersistsItWithTheMerge() {
        DefaultStarling a = peer();
        long ahead = (System.currentTimeMillis() + 60_000) << 16;
        byte[] state = DocumentState.empty()
                .insert((Value.Obj) Value.fromJava(Map.of("v", 1)), new Stamp(ahead, 7))
                .encode();
        a.syncStore().apply(7, List.of(new Doc("c", id(1), state)), null);
        byte[] hlc = a.storage().read(tx -> tx.meta(DefaultStore.META_HLC));
        assertThat(hlc).as("the clock is stored").isNotNull();
        assertThat(ByteBuffer.wrap(hlc).getLong())
                .as("a restart must not stamp below what we merged")
                .isGreaterThanOrEqualTo(ahead);
    }

    @Test
    void evictRemovesHeldDocumentsAndTheirIndexEntriesAndIgnoresTheRest() {
        DefaultStarling a = withFive(peer());
        a.store().execute("CREATE INDEX by_v ON c (v)");
        assertThat(indexEntryIds(a, "c")).containsExactlyInAnyOrder(1L, 2L, 4L, 5L);
        a.syncStore()
                .evict(List.of(
                        new DocRef("c", id(2)),
                        new DocRef("c", id(9)), // not held
                        new DocRef("d", id(1)), // no such collection
                        new DocRef("c", new byte[] {(byte) 0xff, 0}))); // does not decode
        assertThat(a.syncStore().rowOf("c", id(2))).as("no tombstone either").isNull();
        assertThat(ids(a.syncStore().scanCollection("c", null, 10))).containsExactly(1L, 3L, 4L, 5L);
        assertThat(indexEntryIds(a, "c")).containsExactlyInAnyOrder(1L, 4L, 5L);
    }

    @Test
    void evictOnAFullStoreFailsAsStoreFull() {
        DefaultStarling a = withFive(peer());
        storages.get(0).full = true;
        assertThatThrownBy(() -> a.syncStore().evict(List.of(new DocRef("c", id(2)))))
                .isInstanceOf(SyncStoreView.StoreFullException.class)
                .hasMessageContaining("no space left");
        storages.get(0).full = false;
        a.syncStore().evict(List.of(new DocRef("c", id(2))));
        assertThat(a.syncStore().rowOf("c", id(2))).isNull();
    }

    @Test
    void theCheckpointAndItsCoveredSubscriptionsReadBackAsStored() {
        Set<SubscriptionKey> keys = Set.of(
                SubscriptionKey.of("SELECT * FROM a", NO_ARGS),
                SubscriptionKey.of("SELECT * FROM b", NO_ARGS),
                SubscriptionKey.of("SELECT * FROM c WHERE v = :v", (Value.Obj) Value.fromJava(Map.of("v", 1))));
        for (Checkpoint c : List.of(
                new Checkpoint(-5, 0, Set.of()),
                new Checkpoint(Long.MAX_VALUE, Long.MAX_VALUE, keys),
                new Checkpoint(42, 1L << 40, Set.of(keys.iterator().next())))) {
            assertThat(EngineSyncStore.decode(EngineSyncStore.encode(c))).isEqualTo(c);
        }
        DefaultStarling a = peer();
        Checkpoint stored = new Checkpoint(3, 9, keys);
        a.syncStore().apply(-1, List.of(), stored);
        assertThat(a.syncStore().checkpoint(-1)).isEqualTo(stored);
        assertThat(a.syncStore().checkpoint(1)).isNull();
    }

    /**
     * Checkpoints are laid out as before 2026-12-06: bytes written by the earlier code read back as the same checkpoint
     * (every covered key a subscription's own), and a coverage taken while the collection was not held is one more
     * 16-byte key (docs/SYNC-PROTOCOL.md, "Coverage taken while a collection was not held").
     */
    @Test
    void checkpointBytesOfTheEarlierLayoutReadBackAndUnhintedKeysUseTheSameLayout() {
        SubscriptionKey k = SubscriptionKey.of("SELECT * FROM c WHERE v = 1", NO_ARGS);
        StringBuilder hex = new StringBuilder("0000000000000003" + "09" + "01" + "10");
        for (byte b : k.bytes()) hex.append(String.format("%02x", b));
        byte[] old = HexFormat.of().parseHex(hex);
        assertThat(EngineSyncStore.decode(old)).isEqualTo(new Checkpoint(3, 9, Set.of(k)));
        Checkpoint unhinted = new Checkpoint(3, 9, Set.of(k.unhinted()));
        byte[] bytes = EngineSyncStore.encode(unhinted);
        assertThat(bytes).hasSameSizeAs(old);
        assertThat(Arrays.copyOf(bytes, 11)).isEqualTo(Arrays.copyOf(old, 11));
        assertThat(EngineSyncStore.decode(bytes)).isEqualTo(unhinted);
        assertThat(k.unhinted()).isNotEqualTo(k);
    }
}
