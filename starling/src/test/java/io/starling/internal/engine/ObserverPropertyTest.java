package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.QueryResultChange;
import io.starling.QueryResultDiff;
import io.starling.QueryResultItem;
import io.starling.StarlingConfig;
import io.starling.StoreObserver;
import io.starling.internal.core.Value;
import io.starling.internal.storage.InMemoryStorage;
import io.starling.testsupport.Await;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Observers over random write sequences: every delivered diff turns the previous delivery into the
 * current one and equals a diff recomputed from scratch; with signalNext and a consumer that signals at
 * random moments, nothing is lost: the last delivery equals the final query result. The seed is jqwik's
 * sample.
 */
class ObserverPropertyTest {
    static final String[] QUERIES = {
        "SELECT * FROM c ORDER BY n, _id",
        "SELECT * FROM c WHERE n > 3",
        "SELECT _id, n FROM c WHERE tag = 'x' ORDER BY n DESC LIMIT 4",
        "SELECT n FROM c",
        "SELECT tag, COUNT(*) AS k FROM c GROUP BY tag ORDER BY tag",
        "SELECT DISTINCT tag FROM c",
    };

    @Property(tries = 200)
    void diffsAreExactAndNothingIsLost(@ForAll long seed) throws Exception {
        Random r = new Random(seed);
        DefaultStarling db = DefaultStarling.open(
                StarlingConfig.builder().build(), Path.of("memory"), new InMemoryStorage(), Clock.systemUTC());
        try {
            DefaultStore store = db.defaultStore();
            String query = QUERIES[r.nextInt(QUERIES.length)];
            List<QueryResultChange> plain = new CopyOnWriteArrayList<>();
            List<QueryResultChange> signalled = new CopyOnWriteArrayList<>();
            AtomicReference<Runnable> signal = new AtomicReference<>();
            try (StoreObserver a = store.registerObserver(query, Map.of(), plain::add);
                    StoreObserver b = store.registerObserverWithSignalNext(query, Map.of(), (c, next) -> {
                        signalled.add(c);
                        signal.set(next);
                    })) {
                for (int step = 0; step < 30; step++) {
                    randomWrite(store, r);
                    if (r.nextInt(4) == 0 && signal.get() != null)
                        signal.getAndSet(null).run();
                }
                List<Value.Obj> expected = store.evaluateForTest(query);
                // the plain observer converges by itself; the signalNext one once it is signalled
                awaitLast(store, plain, expected, null);
                awaitLast(store, signalled, expected, signal);
                checkChain(plain);
                checkChain(signalled);
            }
        } finally {
            db.close();
        }
    }

    private static void awaitLast(
            DefaultStore store,
            List<QueryResultChange> deliveries,
            List<Value.Obj> expected,
            AtomicReference<Runnable> signal) {
        Await.until(
                "the final state delivered",
                Duration.ofSeconds(30),
                () -> {
                    try {
                        store.observers().awaitEvaluations();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new AssertionError(e);
                    }
                    if (signal != null && signal.get() != null)
                        signal.getAndSet(null).run();
                    return !deliveries.isEmpty()
                            && items(deliveries.get(deliveries.size() - 1)).equals(expected);
                },
                () -> "the last delivery holds "
                        + (deliveries.isEmpty() ? "nothing" : items(deliveries.get(deliveries.size() - 1)))
                        + ", expected " + expected);
    }

    private static void checkChain(List<QueryResultChange> deliveries) {
        assertThat(deliveries.get(0).isInitial()).isTrue();
        List<Value.Obj> previous = List.of();
        for (QueryResultChange c : deliveries) {
            List<Value.Obj> current = items(c);
            QueryResultDiff recomputed = ResultDiffer.diff(previous, current);
            assertThat(c.diff()).isEqualTo(recomputed);
            assertThat(ResultDiffer.apply(previous, c.diff(), current)).isEqualTo(current);
            previous = current;
        }
    }

    static List<Value.Obj> items(QueryResultChange c) {
        List<Value.Obj> out = new ArrayList<>();
        for (QueryResultItem i : c.items()) out.add((Value.Obj) Value.fromJava(i.value()));
        return out;
    }

    /** Statements whose results are kept up to date from the changed documents (LiveResult), without an index. */
    static final String[] INCREMENTAL = {
        "SELECT * FROM c WHERE tag = 'x'",
        "SELECT _id, n FROM c WHERE n >= 3 ORDER BY n DESC LIMIT 3",
        "SELECT n AS k, tag FROM c ORDER BY tag, k LIMIT 4 OFFSET 1",
        "SELECT _id FROM c WHERE tag = 'y' ORDER BY n LIMIT 2",
        "SELECT * FROM c ORDER BY m DESC",
    };

    /**
     * An observer kept up to date incrementally ends every step of random writes — single statements, transactions
     * of several, evictions, and bursts from two threads at once (whose commits hand their changes over in either
     * order) — showing exactly what the query re-run from scratch gives. The statistics show how many runs updated a
     * result without re-running the query.
     */
    @Property(tries = 100)
    void incrementalResultsEqualAFullReRun(@ForAll long seed) throws Exception {
        Random r = new Random(seed);
        DefaultStarling db = DefaultStarling.open(
                StarlingConfig.builder().build(), Path.of("memory"), new InMemoryStorage(), Clock.systemUTC());
        try {
            DefaultStore store = db.defaultStore();
            String query = INCREMENTAL[r.nextInt(INCREMENTAL.length)];
            for (int i = 0; i < 8; i++) randomWrite(store, r);
            List<QueryResultChange> plain = new CopyOnWriteArrayList<>();
            try (StoreObserver a = store.registerObserver(query, Map.of(), plain::add)) {
                for (int step = 0; step < 25; step++) {
                    switch (r.nextInt(5)) {
                        case 0 ->
                            store.transaction(tx -> {
                                for (int i = 0, n = 2 + r.nextInt(3); i < n; i++) {
                                    tx.execute(
                                            "INSERT INTO c DOCUMENTS (:d) ON ID CONFLICT DO UPDATE",
                                            Map.of("d", Map.of("_id", r.nextInt(12), "n", (long) r.nextInt(8))));
                                }
                                return null;
                            });
                        case 1 -> store.execute("EVICT FROM c WHERE _id = :id", Map.of("id", r.nextInt(12)));
                        case 2 -> {
                            long other = r.nextLong();
                            Thread t = new Thread(() -> {
                                Random tr = new Random(other);
                                for (int i = 0; i < 3; i++) randomWrite(store, tr);
                            });
                            t.start();
                            for (int i = 0; i < 3; i++) randomWrite(store, r);
                            t.join(30_000);
                        }
                        default -> randomWrite(store, r);
                    }
                    awaitLast(store, plain, store.evaluateForTest(query), null);
                }
                checkChain(plain);
            }
            net.jqwik.api.statistics.Statistics.label("updates without a re-run")
                    .collect(store.observers().evaluations.get()
                                    - store.observers().reruns.get()
                            > 0);
        } finally {
            db.close();
        }
    }

    private static void randomWrite(DefaultStore store, Random r) {
        int id = r.nextInt(12);
        switch (r.nextInt(4)) {
            case 0:
            case 1: {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("_id", id);
                doc.put("n", (long) r.nextInt(8));
                doc.put("tag", r.nextBoolean() ? "x" : "y");
                if (r.nextBoolean()) doc.put("m", r.nextInt(3));
                store.execute("INSERT INTO c DOCUMENTS (:d) ON ID CONFLICT DO UPDATE", Map.of("d", doc));
                break;
            }
            case 2:
                store.execute("UPDATE c SET n = :n WHERE _id = :id", Map.of("n", (long) r.nextInt(8), "id", id));
                break;
            default:
                store.execute("DELETE FROM c WHERE _id = :id", Map.of("id", id));
        }
    }

    @Property(tries = 2000)
    void differRebuildsTheCurrentList(@ForAll long seed) {
        Random r = new Random(seed);
        List<Value.Obj> previous = randomList(r), current = randomList(r);
        QueryResultDiff d = ResultDiffer.diff(previous, current);
        assertThat(ResultDiffer.apply(previous, d, current)).isEqualTo(current);
        assertThat(ResultDiffer.diff(current, current).isEmpty()).isTrue();
        assertThat(d.deletions().size() + d.moves().size()).isLessThanOrEqualTo(previous.size());
        assertThat(d.insertions().size() + (current.size() - d.insertions().size()))
                .isEqualTo(current.size());
    }

    private static List<Value.Obj> randomList(Random r) {
        List<Value.Obj> out = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < 10; i++) ids.add(i);
        java.util.Collections.shuffle(ids, r);
        boolean withIds = r.nextBoolean();
        int n = r.nextInt(8);
        for (int i = 0; i < n; i++) {
            Map<String, Value> m = new LinkedHashMap<>();
            if (withIds) m.put("_id", Value.of(ids.get(i)));
            m.put("v", Value.of(r.nextInt(3)));
            out.add(new Value.Obj(m));
        }
        return out;
    }
}
