package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.ErrorCode;
import io.starling.QueryException;
import io.starling.QueryResultChange;
import io.starling.StarlingConfig;
import io.starling.StoreObserver;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Live queries over a real store. Waits are on deliveries with deadlines; nothing sleeps. */
class ObserverTest {
    @TempDir
    Path dir;

    DefaultStarling db;
    DefaultStore store;

    @BeforeEach
    void open() {
        db = DefaultStarling.open(
                StarlingConfig.builder().databaseDirectory(dir).build(), java.time.Clock.systemUTC());
        store = db.defaultStore();
    }

    @AfterEach
    void closeAndCheckForLeaks() {
        ObserverRegistry registry = store.observers();
        assertThat(registry.observers()).as("observers left open by the test").isZero();
        assertThat(registry.liveQueries()).as("live queries left behind").isZero();
        db.close();
        assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(t -> t.getName().startsWith("starling-observer") && t.isAlive());
    }

    /** Records deliveries; await(p) waits for one that satisfies p. */
    static final class Recorder {
        final BlockingQueue<QueryResultChange> queue = new LinkedBlockingQueue<>();
        final List<QueryResultChange> all = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();

        void accept(QueryResultChange c) {
            threads.add(Thread.currentThread().getName());
            all.add(c);
            queue.add(c);
        }

        QueryResultChange await(Predicate<QueryResultChange> p) throws InterruptedException {
            while (true) {
                QueryResultChange c = queue.poll(30, TimeUnit.SECONDS);
                assertThat(c).as("a delivery within 30 s").isNotNull();
                if (p.test(c)) return c;
            }
        }
    }

    static List<String> json(QueryResultChange c) {
        List<String> out = new ArrayList<>();
        c.items().forEach(i -> out.add(i.json()));
        return out;
    }

    @Test
    void deliversTheInitialResultThenEachChangeWithADiff() throws Exception {
        store.execute("INSERT INTO cars DOCUMENTS ({'_id': 'a', 'make': 'Ford'})");
        Recorder r = new Recorder();
        try (StoreObserver o = store.registerObserver("SELECT * FROM cars ORDER BY _id", Map.of(), r::accept)) {
            QueryResultChange initial = r.await(c -> true);
            assertThat(initial.isInitial()).isTrue();
            assertThat(json(initial)).containsExactly("{\"_id\":\"a\",\"make\":\"Ford\"}");
            assertThat(initial.diff().insertions()).containsExactly(0);

            store.execute("INSERT INTO cars DOCUMENTS ({'_id': 'b', 'make': 'Saab'})");
            QueryResultChange inserted = r.await(c -> c.items().size() == 2);
            assertThat(inserted.isInitial()).isFalse();
            assertThat(inserted.diff().insertions()).containsExactly(1);
            assertThat(inserted.diff().deletions()).isEmpty();

            store.execute("UPDATE cars SET make = 'Volvo' WHERE _id = 'a'");
            QueryResultChange updated = r.await(c -> json(c).get(0).contains("Volvo"));
            assertThat(updated.diff().updates()).containsExactly(0);
            assertThat(updated.diff().insertions()).isEmpty();

            store.execute("DELETE FROM cars WHERE _id = 'a'");
            QueryResultChange deleted = r.await(c -> c.items().size() == 1);
            assertThat(deleted.diff().deletions()).containsExactly(0);
            assertThat(o.query()).isEqualTo("SELECT * FROM cars ORDER BY _id");
        }
        assertThat(r.threads).allMatch(t -> t.startsWith("starling-observer-delivery"));
    }

    @Test
    void aTransactionIsDeliveredWhole() throws Exception {
        Recorder r = new Recorder();
        try (StoreObserver o = store.registerObserver("SELECT _id FROM c", Map.of(), r::accept)) {
            r.await(QueryResultChange::isInitial);
            for (int round = 0; round < 20; round++) {
                int base = round * 3;
                store.transaction(tx -> {
                    for (int k = 0; k < 3; k++)
                        tx.execute("INSERT INTO c DOCUMENTS (:d)", Map.of("d", Map.of("_id", base + k)));
                    return null;
                });
            }
            r.await(c -> c.items().size() == 60);
            assertThat(r.all)
                    .allSatisfy(c -> assertThat(c.items().size() % 3)
                            .as("never part of a transaction")
                            .isZero());
        }
    }

    @Test
    void remoteMergesAreDelivered() throws Exception {
        Recorder r = new Recorder();
        try (StoreObserver o = store.registerObserver("SELECT * FROM c WHERE v > 1", Map.of(), r::accept)) {
            r.await(QueryResultChange::isInitial);
            long hlc = System.currentTimeMillis() << 16;
            DocumentState remote =
                    DocumentState.empty().insert((Value.Obj) Value.fromJava(Map.of("v", 5)), new Stamp(hlc, 99));
            store.mergeRemote(List.of(new DefaultStore.RemoteDocument("c", Value.of("r1"), remote)));
            QueryResultChange c = r.await(x -> x.items().size() == 1);
            assertThat(json(c)).containsExactly("{\"_id\":\"r1\",\"v\":5}");
        }
    }

    @Test
    void aMatchingWriteUpdatesTheResultWithoutReRunningTheQuery() throws Exception {
        Recorder r = new Recorder();
        for (int i = 1; i <= 5; i++) store.execute("INSERT INTO c DOCUMENTS ({'_id': " + i + ", 'n': " + i + "})");
        try (StoreObserver o =
                store.registerObserver("SELECT _id FROM c WHERE n > 1 ORDER BY n DESC LIMIT 2", Map.of(), r::accept)) {
            r.await(QueryResultChange::isInitial);
            store.observers().awaitEvaluations();
            long reruns = store.observers().reruns.get();
            store.execute("UPDATE c SET n = 10 WHERE _id = 2"); // enters the window at the top
            assertThat(json(r.await(c -> c.items().size() == 2 && json(c).get(0).equals("{\"_id\":2}"))))
                    .containsExactly("{\"_id\":2}", "{\"_id\":5}");
            store.execute("UPDATE c SET n = 0 WHERE _id = 1"); // matches neither before nor after
            store.observers().awaitEvaluations();
            assertThat(store.observers().reruns.get()).isEqualTo(reruns);
            store.execute("DELETE FROM c WHERE _id = 2"); // leaves a full window: the query re-runs to refill it
            assertThat(json(r.await(c -> json(c).get(0).equals("{\"_id\":5}"))))
                    .containsExactly("{\"_id\":5}", "{\"_id\":4}");
            assertThat(store.observers().reruns.get()).isEqualTo(reruns + 1);
        }
    }

    @Test
    void changesThatCannotMatterAreNotEvaluated() throws Exception {
        Recorder r = new Recorder();
        try (StoreObserver o = store.registerObserver("SELECT * FROM c WHERE kind = 'watched'", Map.of(), r::accept)) {
            r.await(QueryResultChange::isInitial);
            store.observers().awaitEvaluations();
            long before = store.observers().evaluations.get();
            store.execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'kind': 'other'})");
            store.execute("INSERT INTO other DOCUMENTS ({'_id': 1, 'kind': 'watched'})");
            store.execute("UPDATE c SET n = 1 WHERE _id = 1");
            store.observers().awaitEvaluations();
            assertThat(store.observers().evaluations.get()).isEqualTo(before);
            store.execute("UPDATE c SET kind = 'watched' WHERE _id = 1"); // starts matching
            r.await(c -> c.items().size() == 1);
            assertThat(store.observers().evaluations.get()).isEqualTo(before + 1);
            store.execute("UPDATE c SET kind = 'gone' WHERE _id = 1"); // stops matching: the before state matched
            r.await(c -> c.items().isEmpty());
        }
    }

    @Test
    void signalNextCoalescesEverythingUntilSignalled() throws Exception {
        BlockingQueue<QueryResultChange> deliveries = new LinkedBlockingQueue<>();
        AtomicReference<Runnable> signal = new AtomicReference<>();
        try (StoreObserver o =
                store.registerObserverWithSignalNext("SELECT _id FROM c ORDER BY _id", Map.of(), (c, next) -> {
                    deliveries.add(c);
                    signal.set(next);
                })) {
            assertThat(deliveries.poll(30, TimeUnit.SECONDS).isInitial()).isTrue();
            for (int i = 0; i < 10; i++) store.execute("INSERT INTO c DOCUMENTS (:d)", Map.of("d", Map.of("_id", i)));
            store.observers().awaitEvaluations();
            assertThat(deliveries).as("nothing until signalled").isEmpty();
            signal.get().run();
            QueryResultChange next = deliveries.poll(30, TimeUnit.SECONDS);
            assertThat(next.items()).hasSize(10);
            assertThat(next.diff().insertions()).hasSize(10);
            signal.get().run();
            signal.get().run(); // harmless twice
            store.observers().awaitEvaluations();
            assertThat(deliveries).isEmpty(); // no change since
        }
    }

    @Test
    void callbacksRunOnTheGivenExecutorAndStopAtClose() throws Exception {
        ExecutorService app = Executors.newSingleThreadExecutor(r -> new Thread(r, "app-ui"));
        try {
            Recorder r = new Recorder();
            StoreObserver o = store.registerObserver("SELECT * FROM c", Map.of(), app, r::accept);
            r.await(QueryResultChange::isInitial);
            store.execute("INSERT INTO c DOCUMENTS ({'_id': 1})");
            r.await(c -> c.items().size() == 1);
            assertThat(r.threads).containsOnly("app-ui");
            o.close();
            assertThat(o.isClosed()).isTrue();
            int seen = r.all.size();
            store.execute("INSERT INTO c DOCUMENTS ({'_id': 2})");
            store.observers().awaitEvaluations();
            app.submit(() -> null).get(30, TimeUnit.SECONDS); // drain the app executor
            assertThat(r.all).hasSize(seen);
            o.close(); // idempotent
        } finally {
            app.shutdownNow();
        }
    }

    @Test
    void observersOfTheSameQueryShareOneEvaluation() throws Exception {
        List<StoreObserver> handles = new ArrayList<>();
        List<Recorder> recorders = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Recorder r = new Recorder();
            recorders.add(r);
            handles.add(store.registerObserver("SELECT * FROM c WHERE n >= :min", Map.of("min", 0), r::accept));
        }
        StoreObserver other = store.registerObserver("SELECT * FROM c WHERE n >= :min", Map.of("min", 1), c -> {});
        assertThat(store.observers().liveQueries()).isEqualTo(2);
        store.execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'n': 1})");
        for (Recorder r : recorders) r.await(c -> c.items().size() == 1);
        handles.forEach(StoreObserver::close);
        other.close();
    }

    @Test
    void aCallbackMayCloseItsObserver() throws Exception {
        Recorder r = new Recorder();
        AtomicReference<StoreObserver> self = new AtomicReference<>();
        self.set(store.registerObserver("SELECT * FROM c", Map.of(), c -> {
            if (!c.isInitial()) self.get().close();
            r.accept(c); // recorded after the close, so the test sees it closed
        }));
        r.await(QueryResultChange::isInitial);
        store.execute("INSERT INTO c DOCUMENTS ({'_id': 1})");
        r.await(c -> !c.isInitial());
        assertThat(self.get().isClosed()).isTrue();
    }

    /** Store.registerObserver's javadoc says so: the delivery thread holds no lock a statement needs. */
    @Test
    void aCallbackMayReadAndWriteTheStore() throws Exception {
        Recorder r = new Recorder();
        try (StoreObserver o = store.registerObserver("SELECT * FROM c", Map.of(), c -> {
            if (c.items().size() == 1) {
                long n = store.execute("SELECT * FROM log").items().size();
                store.execute("INSERT INTO log DOCUMENTS (:d)", Map.of("d", Map.of("_id", n)));
            }
            r.accept(c);
        })) {
            r.await(QueryResultChange::isInitial);
            store.execute("INSERT INTO c DOCUMENTS ({'_id': 1})");
            r.await(c -> c.items().size() == 1);
            assertThat(store.execute("SELECT _id FROM log").items()).hasSize(1);
        }
    }

    @Test
    void onlyValidSelectsCanBeObserved() {
        assertThatThrownBy(() -> store.registerObserver("DELETE FROM c", Map.of(), c -> {}))
                .isInstanceOfSatisfying(
                        QueryException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.QUERY_INVALID));
        assertThatThrownBy(() -> store.registerObserver("SELECT * FROM c WHERE a = :a", Map.of(), c -> {}))
                .isInstanceOfSatisfying(
                        QueryException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.QUERY_ARGUMENT));
        assertThatThrownBy(() -> store.registerObserver("SELEC", Map.of(), c -> {}))
                .isInstanceOfSatisfying(
                        QueryException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.QUERY_SYNTAX));
    }

    @Test
    void closingTheInstanceClosesItsObservers() throws Exception {
        Recorder r = new Recorder();
        StoreObserver o = store.registerObserver("SELECT * FROM c", Map.of(), r::accept);
        r.await(QueryResultChange::isInitial);
        store.markClosed();
        assertThat(o.isClosed()).isTrue();
    }
}
