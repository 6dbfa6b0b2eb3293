package io.starling.internal.engine;

import static io.starling.internal.engine.EngineSyncStoreTest.id;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.ErrorCode;
import io.starling.QueryException;
import io.starling.QueryResultChange;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.Store;
import io.starling.StoreObserver;
import io.starling.Transaction;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.storage.InMemoryStorage;
import io.starling.internal.sync.SyncStoreView.DocRef;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The store's guards, each on its own: every entry point refuses a closed store (before the storage is closed, so
 * the store's own check is what answers), a transaction refuses use after its callback, from another thread and
 * calls to the store from inside it; the tombstone horizon never moves back; a live query sees an eviction.
 */
class DefaultStoreGuardsTest {
    final List<DefaultStarling> peers = new ArrayList<>();

    DefaultStarling peer() {
        DefaultStarling p = DefaultStarling.open(
                StarlingConfig.builder().appId("guards").build(),
                Path.of("memory"),
                new InMemoryStorage(),
                java.time.Clock.systemUTC());
        peers.add(p);
        return p;
    }

    @AfterEach
    void closeAll() {
        peers.forEach(DefaultStarling::close);
    }

    static void assertFails(ErrorCode code, String message, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StarlingException.class, e -> {
            assertThat(e.errorCode()).as(e.getMessage()).isEqualTo(code);
            assertThat(e).hasMessageContaining(message);
        });
    }

    @Test
    void everyEntryPointRefusesAClosedStore() {
        DefaultStarling p = peer();
        p.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1})");
        DefaultStore store = p.defaultStore();
        EngineSyncStore sync = p.syncStore();
        store.markClosed(); // the storage stays open: only the store's own guard can answer
        String closed = "this Starling instance is closed";
        assertFails(ErrorCode.CLOSED, closed, () -> store.execute("SELECT * FROM c"));
        assertFails(ErrorCode.CLOSED, closed, () -> store.execute("INSERT INTO c DOCUMENTS ({'_id': 2})"));
        assertFails(ErrorCode.CLOSED, closed, () -> store.transaction(tx -> "ran"));
        assertFails(ErrorCode.CLOSED, closed, () -> store.readTransaction(tx -> "ran"));
        assertFails(ErrorCode.CLOSED, closed, () -> store.documentState("c", Value.of(1)));
        assertFails(ErrorCode.CLOSED, closed, store::lastSequence);
        assertFails(ErrorCode.CLOSED, closed, () -> store.purgeTombstones(1));
        assertFails(ErrorCode.CLOSED, closed, sync::lastSequence);
        assertFails(ErrorCode.CLOSED, closed, () -> sync.evict(List.of(new DocRef("c", id(1)))));
        assertFails(ErrorCode.CLOSED, closed, () -> sync.apply(7, List.of(), null));
        assertFails(ErrorCode.CLOSED, closed, () -> store.registerObserver("SELECT * FROM c", Map.of(), change -> {}));
        assertFails(
                ErrorCode.CLOSED,
                closed,
                () -> store.registerObserverWithSignalNext(
                        "SELECT * FROM c", Map.of(), Runnable::run, (change, signalNext) -> {}));
        assertThat((Object) p.storage().read(tx -> tx.get("c", id(1))))
                .as("still there")
                .isNotNull();
    }

    @Test
    void aTransactionRefusesStatementsOnceTheStoreIsClosing() {
        DefaultStarling p = peer();
        DefaultStore store = p.defaultStore();
        assertFails(
                ErrorCode.CLOSED,
                "this Starling instance is closed",
                () -> store.transaction(tx -> {
                    store.markClosed();
                    return tx.execute("INSERT INTO c DOCUMENTS ({'_id': 1})");
                }));
        assertThat((Object) p.storage().read(tx -> tx.get("c", id(1)))).isNull();
    }

    @Test
    void aTransactionIsUsableOnlyInsideItsCallbackOnItsThread() throws Exception {
        Store store = peer().store();
        AtomicReference<Transaction> leaked = new AtomicReference<>();
        store.transaction(tx -> {
            leaked.set(tx);
            return null;
        });
        assertFails(
                ErrorCode.TRANSACTION_FAILED,
                "this transaction has ended",
                () -> leaked.get().execute("INSERT INTO c DOCUMENTS ({'_id': 1})"));
        store.readTransaction(tx -> {
            leaked.set(tx);
            return null;
        });
        assertFails(
                ErrorCode.TRANSACTION_FAILED,
                "this transaction has ended",
                () -> leaked.get().execute("SELECT * FROM c"));

        AtomicReference<Throwable> fromOtherThread = new AtomicReference<>();
        store.transaction(tx -> {
            Thread t = new Thread(() -> {
                try {
                    tx.execute("INSERT INTO c DOCUMENTS ({'_id': 2})");
                } catch (Throwable e) {
                    fromOtherThread.set(e);
                }
            });
            t.start();
            t.join();
            return null;
        });
        assertThat(fromOtherThread.get())
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.TRANSACTION_FAILED))
                .hasMessageContaining("only be used on the thread that runs its callback");
        assertThat(store.execute("SELECT * FROM c").items()).isEmpty();
    }

    @Test
    void theStoreRefusesCallsFromInsideATransactionCallback() {
        Store store = peer().store();
        String inside = "called from inside a transaction callback";
        assertFails(ErrorCode.TRANSACTION_FAILED, inside, () -> store.transaction(tx -> store.transaction(t -> 1)));
        assertFails(
                ErrorCode.TRANSACTION_FAILED, inside, () -> store.readTransaction(tx -> store.readTransaction(t -> 1)));
        assertFails(
                ErrorCode.TRANSACTION_FAILED,
                inside,
                () -> store.readTransaction(tx -> store.execute("SELECT * FROM c")));
    }

    @Test
    void aTransactionSaysWhetherItIsReadOnly() {
        Store store = peer().store();
        assertThat(store.transaction(Transaction::isReadOnly)).isFalse();
        assertThat(store.readTransaction(Transaction::isReadOnly)).isTrue();
    }

    @Test
    void aNullStatementIsASyntaxError() {
        Store store = peer().store();
        assertThatThrownBy(() -> store.execute(null)).isInstanceOfSatisfying(QueryException.class, e -> {
            assertThat(e.errorCode()).isEqualTo(ErrorCode.QUERY_SYNTAX);
            assertThat(e).hasMessage("statement is null");
        });
    }

    @Test
    void aRemoteDocumentWithAnInvalidIdIsRefused() {
        DefaultStore store = peer().defaultStore();
        DocumentState state =
                DocumentState.empty().insert((Value.Obj) Value.fromJava(Map.of("v", 1)), new Stamp(1 << 16, 7));
        Value tooLong = Value.fromJava("x".repeat(io.starling.internal.core.Limits.MAX_ID_BYTES + 1));
        assertFails(
                ErrorCode.DOCUMENT_INVALID_ID,
                "invalid _id",
                () -> store.mergeRemote(List.of(new DefaultStore.RemoteDocument("c", tooLong, state))));
        assertThat(store.execute("SELECT * FROM c").items()).isEmpty();
    }

    @Test
    void theTombstoneHorizonNeverMovesBack() {
        DefaultStarling p = peer();
        p.defaultStore().purgeTombstones(1_000 << 16);
        assertThat(p.syncStore().tombstoneHorizon()).isEqualTo(1_000 << 16);
        p.defaultStore().purgeTombstones(10 << 16);
        assertThat(p.syncStore().tombstoneHorizon()).isEqualTo(1_000 << 16);
        p.defaultStore().purgeTombstones(2_000L << 16);
        assertThat(p.syncStore().tombstoneHorizon()).isEqualTo(2_000L << 16);
    }

    @Test
    void aLiveQueryWithAWhereSeesDocumentsEvictedBySyncAndByEvict() throws Exception {
        DefaultStarling p = peer();
        Store store = p.store();
        store.execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'v': 1}), ({'_id': 2, 'v': 1}), ({'_id': 3, 'v': 1})");
        ObserverTest.Recorder r = new ObserverTest.Recorder();
        // with a WHERE, a change is looked at only if the document matched before or after it
        try (StoreObserver o = store.registerObserver("SELECT _id FROM c WHERE v > 0", Map.of(), r::accept)) {
            assertThat(r.await(QueryResultChange::isInitial).items()).hasSize(3);
            p.syncStore().evict(List.of(new DocRef("c", id(1))));
            assertThat(r.await(c -> true).items()).hasSize(2);
            store.execute("EVICT FROM c WHERE _id = 2");
            assertThat(r.await(c -> true).items()).hasSize(1);
        }
    }

    @Test
    void anObserverWithSignalNextIsRegisteredAndDelivers() throws Exception {
        Store store = peer().store();
        store.execute("INSERT INTO c DOCUMENTS ({'_id': 1})");
        java.util.concurrent.BlockingQueue<Integer> sizes = new java.util.concurrent.LinkedBlockingQueue<>();
        try (StoreObserver o = store.registerObserverWithSignalNext(
                "SELECT * FROM c", Map.of(), Runnable::run, (change, signalNext) -> {
                    sizes.add(change.items().size());
                    signalNext.run();
                })) {
            assertThat(o).isNotNull();
            assertThat(sizes.poll(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(1);
        }
    }
}
