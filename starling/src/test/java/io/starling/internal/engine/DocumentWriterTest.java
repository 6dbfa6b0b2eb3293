package io.starling.internal.engine;

import static io.starling.internal.engine.EngineSyncStoreTest.id;
import static io.starling.internal.engine.EngineSyncStoreTest.indexEntryIds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.ErrorCode;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import io.starling.internal.core.ValueCodec;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.storage.InMemoryStorage;
import io.starling.internal.sync.SyncStoreView.ApplyResult;
import io.starling.internal.sync.SyncStoreView.Doc;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The engine's one write path: index entries follow every kind of write (local deletes, remote merges, evictions of
 * damaged rows, dropped and re-created indexes), the clock is stored with every write that stamped, and the size
 * limit of a local write is exact.
 */
class DocumentWriterTest {
    final List<DefaultStarling> peers = new ArrayList<>();
    final List<InMemoryStorage> storages = new ArrayList<>();

    DefaultStarling peer(java.time.Clock clock) {
        InMemoryStorage storage = new InMemoryStorage();
        DefaultStarling p = DefaultStarling.open(
                StarlingConfig.builder().appId("writertest").build(), Path.of("memory"), storage, clock);
        peers.add(p);
        storages.add(storage);
        return p;
    }

    DefaultStarling peer() {
        return peer(java.time.Clock.systemUTC());
    }

    @AfterEach
    void closeAll() {
        peers.forEach(DefaultStarling::close);
    }

    static List<Object> ids(DefaultStarling p, String query) {
        return p.store().execute(query).items().stream()
                .map(i -> i.value().get("_id"))
                .toList();
    }

    @Test
    void aDeletedDocumentLeavesNoIndexEntry() {
        DefaultStarling a = peer();
        a.store().execute("CREATE INDEX by_v ON c (v)");
        a.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'v': 1}), ({'_id': 2, 'v': 2})");
        a.store().execute("DELETE FROM c WHERE _id = 1");
        assertThat(indexEntryIds(a, "c")).containsExactly(2L);
        a.store().execute("UPDATE c SET v = 5 WHERE _id = 2");
        assertThat(indexEntryIds(a, "c")).containsExactly(2L);
        assertThat(ids(a, "SELECT _id FROM c WHERE v = 5")).containsExactly(2L);
        assertThat(ids(a, "SELECT _id FROM c WHERE v = 2")).isEmpty();
    }

    @Test
    void aRemoteDocumentIsIndexedWhenItArrivesAndUnindexedWhenItsDeleteArrives() {
        DefaultStarling a = peer(), b = peer();
        a.store().execute("CREATE INDEX by_v ON c (v)");
        b.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'v': 7})");
        a.syncStore().apply(9, List.of(new Doc("c", id(1), b.syncStore().stateOf("c", id(1)))), null);
        assertThat(indexEntryIds(a, "c")).containsExactly(1L);
        assertThat(ids(a, "SELECT _id FROM c WHERE v = 7")).containsExactly(1L);
        b.store().execute("DELETE FROM c");
        a.syncStore().apply(9, List.of(new Doc("c", id(1), b.syncStore().stateOf("c", id(1)))), null);
        assertThat(indexEntryIds(a, "c")).isEmpty();
    }

    @Test
    void evictingADamagedRowRemovesItsEntryFromEveryIndexAndNoOtherEntry() {
        DefaultStarling a = peer();
        a.store().execute("CREATE INDEX by_v ON c (v)");
        a.store().execute("CREATE INDEX by_w ON c (w DESC)");
        a.store()
                .execute("INSERT INTO c DOCUMENTS ({'_id': 'a', 'v': 1, 'w': 3}), ({'_id': 'b', 'v': 2, 'w': 2}),"
                        + " ({'_id': 'c', 'v': 3, 'w': 1})");
        // 'b' sits in the middle of both indexes; its row is overwritten with bytes that do not decode
        storages.get(0).write(tx -> tx.put("c", id("b"), true, new byte[] {1, 0, 31}));
        assertThat(a.store().execute("EVICT FROM c WHERE _id = 'b'").mutatedDocumentIds())
                .containsExactly("b");
        assertThat(indexEntryIds(a, "c")).containsExactlyInAnyOrder("a", "c", "a", "c");
        assertThat(a.syncStore().rowOf("c", id("b"))).isNull();
    }

    @Test
    void aDroppedIndexTakesItsEntriesAlongAndARecreatedOneHasOnlyCurrentOnes() {
        DefaultStarling a = peer();
        a.store().execute("CREATE INDEX by_v ON c (v)");
        a.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'v': 1}), ({'_id': 2, 'v': 2})");
        a.store().execute("DROP INDEX by_v ON c");
        a.store().execute("DELETE FROM c WHERE _id = 2");
        a.store().execute("UPDATE c SET v = 5 WHERE _id = 1");
        a.store().execute("CREATE INDEX by_v ON c (v)");
        assertThat(indexEntryIds(a, "c")).containsExactly(1L);
        assertThat(ids(a, "SELECT _id FROM c WHERE v = 1")).isEmpty();
        assertThat(ids(a, "SELECT _id FROM c WHERE v = 5")).containsExactly(1L);
    }

    private static long storedClock(DefaultStarling p) {
        byte[] b = p.storage().read(tx -> tx.meta(DefaultStore.META_HLC));
        return b == null ? 0 : ByteBuffer.wrap(b).getLong();
    }

    @Test
    void everyLocalWriteStoresTheClockItStampedWith() {
        SyncTest.ManualClock clock = new SyncTest.ManualClock();
        DefaultStarling a = peer(clock);
        a.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'v': 1})");
        assertThat(storedClock(a)).isGreaterThanOrEqualTo(clock.millis << 16);
        for (String write : List.of("UPDATE c SET v = 2", "DELETE FROM c", "INSERT INTO c DOCUMENTS ({'_id': 1})")) {
            clock.millis += 3_600_000;
            a.store().execute(write);
            assertThat(storedClock(a))
                    .as("after %s, a restart must not stamp below it", write)
                    .isGreaterThanOrEqualTo(clock.millis << 16);
        }
    }

    /** A document {@code {_id, s}} whose fields encode to exactly {@code bytes} bytes. */
    private static Map<String, Object> documentOf(Object id, int bytes) {
        int overhead = ValueCodec.encode(Value.fromJava(Map.of("s", "x".repeat(bytes / 2)))).length - bytes / 2;
        Map<String, Object> doc = Map.of("_id", id, "s", "x".repeat(bytes - overhead));
        Map<String, Object> fields = Map.of("s", doc.get("s"));
        assertThat(ValueCodec.encode(Value.fromJava(fields))).hasSize(bytes);
        return doc;
    }

    @Test
    void aLocalWriteOfExactlyTheLimitIsAcceptedAndOneByteMoreIsRefused() {
        DefaultStarling a = peer();
        int max = DocumentWriter.MAX_LOCAL_BYTES;
        a.store().execute("INSERT INTO c DOCUMENTS (:d)", Map.of("d", documentOf(1, max)));
        assertThat(a.store().execute("SELECT _id FROM c").items()).hasSize(1);
        assertThatThrownBy(() -> a.store().execute("INSERT INTO c DOCUMENTS (:d)", Map.of("d", documentOf(2, max + 1))))
                .isInstanceOfSatisfying(
                        StarlingException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.DOCUMENT_TOO_LARGE));
        // through UPDATE (the commit path) as well
        a.store().execute("INSERT INTO c DOCUMENTS ({'_id': 3, 's': ''})");
        String exact = (String) documentOf(3, max).get("s");
        a.store().execute("UPDATE c SET s = :s WHERE _id = 3", Map.of("s", exact));
        assertThatThrownBy(() -> a.store().execute("UPDATE c SET s = :s WHERE _id = 3", Map.of("s", exact + "x")))
                .isInstanceOfSatisfying(
                        StarlingException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.DOCUMENT_TOO_LARGE));
    }

    @Test
    void aMergedDocumentAboveTheLocalLimitIsKept() {
        DefaultStarling a = peer();
        Map<String, Object> big = documentOf(1, DocumentWriter.MAX_LOCAL_BYTES + 10);
        byte[] state = DocumentState.empty()
                .insert((Value.Obj) Value.fromJava(Map.of("s", big.get("s"))), new Stamp(1 << 16, 9))
                .encode();
        assertThat(a.syncStore().apply(9, List.of(new Doc("c", id(1), state)), null))
                .isEqualTo(new ApplyResult(List.of(), List.of(), List.of()));
        assertThat(DocumentState.decode(a.syncStore().stateOf("c", id(1))).document(Value.of(1)))
                .isEqualTo(DocumentState.decode(state).document(Value.of(1)));
    }
}
