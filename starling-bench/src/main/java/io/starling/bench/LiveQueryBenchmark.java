package io.starling.bench;

import io.starling.QueryResultChange;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.StoreObserver;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Live-query budgets (docs/BENCHMARKS.md, "Budgets"):
 *
 * <ol>
 *   <li>local write → observer callback latency (p50/p99; budget p99 ≤ 5 ms): one UPDATE, then wait for the
 *       delivery that shows it, repeated; for an observer of one document by {@code _id}, and for a
 *       filtered, ordered, limited query over the whole collection (indexed when {@code --index});
 *   <li>heap held by 100 observers over a 10k-document collection: 100 observers of one statement (they
 *       share one evaluation), and 100 observers of 100 different statements, against the heap of one
 *       materialised result of the same query in the same run.
 * </ol>
 *
 * Usage: {@code bench/live-query [--docs N] [--writes W]} (defaults 10000 and 2000).
 */
public final class LiveQueryBenchmark {
    private static long nextScore;

    public static void main(String[] args) throws Exception {
        int docs = 10_000, writes = 2_000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--docs":
                    docs = Integer.parseInt(args[++i]);
                    break;
                case "--writes":
                    writes = Integer.parseInt(args[++i]);
                    break;
                default:
                    throw new IllegalArgumentException("unknown option " + args[i] + " (use --docs N --writes W)");
            }
        }
        Path dir = Files.createTempDirectory("starling-live-bench");
        try (Starling db =
                Starling.open(StarlingConfig.builder().databaseDirectory(dir).build())) {
            load(db, docs);
            System.out.printf(
                    "machine: %d cores, java %s; %d documents%n",
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), docs);
            System.out.println();
            System.out.println("| metric | p50 | p99 | budget |");
            System.out.println("|---|---|---|---|");
            latency(db, "SELECT * FROM docs WHERE _id = 'doc-0000042'", writes, "_id observer", docs);
            String top = "SELECT _id, score FROM docs WHERE category = 'c3' ORDER BY score DESC LIMIT 20";
            latency(db, top, writes, "filtered top-20 observer, no index", docs);
            latency(
                    db,
                    "SELECT _id, score FROM docs WHERE category = 'c3' AND score >= 200000",
                    writes,
                    "filter-only observer, no index",
                    docs);
            db.store().execute("CREATE INDEX by_category_score ON docs (category, score DESC)");
            latency(db, top, writes, "filtered top-20 observer, indexed", docs);
            System.out.println();
            memory(db, docs);
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    public static void load(Starling db, int docs) {
        DocumentGenerator gen = new DocumentGenerator(42);
        StringBuilder sql = new StringBuilder("INSERT INTO docs DOCUMENTS ");
        for (int i = 0; i < 1000; i++)
            sql.append(i == 0 ? "" : ", ").append("(:d").append(i).append(')');
        for (int from = 0; from < docs; from += 1000) {
            Map<String, Object> args = new HashMap<>();
            for (int i = 0; i < 1000; i++) args.put("d" + i, gen.document(from + i));
            db.store().execute(sql.toString(), args);
        }
    }

    /** Latency from just before an UPDATE to the callback that shows it, one write at a time. */
    static void latency(Starling db, String query, int writes, String label, int docs) throws InterruptedException {
        BlockingQueue<Long> seen = new LinkedBlockingQueue<>();
        long[] nanos = new long[writes];
        try (StoreObserver o =
                db.store().registerObserver(query, Map.of(), (QueryResultChange c) -> seen.add(System.nanoTime()))) {
            if (seen.poll(30, TimeUnit.SECONDS) == null) throw new IllegalStateException("no initial delivery");
            for (int i = 0; i < writes; i++) {
                long start = System.nanoTime();
                // category c3 documents are every 10th; bump the score of one of them so the top-20 changes
                // ever-higher scores, across runs too, so that every write enters the top 20
                db.store()
                        .execute(
                                "UPDATE docs SET score = :s WHERE _id = :id",
                                Map.of(
                                        "s",
                                        200_000L + nextScore++,
                                        "id",
                                        query.contains("_id =")
                                                ? "doc-0000042"
                                                : DocumentGenerator.id(3 + 10 * (i % (docs / 10)))));
                Long at = seen.poll(30, TimeUnit.SECONDS);
                if (at == null) throw new IllegalStateException("no delivery for write " + i);
                nanos[i] = at - start;
            }
        }
        // the first tenth warms the JIT and is dropped
        long[] measured = Arrays.copyOfRange(nanos, writes / 10, writes);
        Arrays.sort(measured);
        double p50 = measured[measured.length / 2] / 1e6, p99 = measured[(int) (measured.length * 0.99)] / 1e6;
        System.out.printf(
                "| write → callback, %s (%d writes), ms | %.2f | %.2f | p99 ≤ 5 |%n", label, measured.length, p50, p99);
    }

    static void memory(Starling db, int docs) throws InterruptedException {
        long base = usedHeap();
        List<?> materialised = db.store().execute("SELECT * FROM docs").items();
        long oneResult = usedHeap() - base;
        if (materialised.size() != docs) throw new IllegalStateException();
        materialised = null;

        base = usedHeap();
        List<StoreObserver> same = register(db, 100, i -> "SELECT * FROM docs");
        long sameQuery = usedHeap() - base;
        same.forEach(StoreObserver::close);

        base = usedHeap();
        List<StoreObserver> different = register(db, 100, i -> "SELECT * FROM docs WHERE score >= " + i);
        long differentQueries = usedHeap() - base;
        different.forEach(StoreObserver::close);

        System.out.println("| heap | MB | per observer |");
        System.out.println("|---|---|---|");
        System.out.printf(
                "| one materialised result of SELECT * (%d docs), baseline | %.1f | |%n", docs, oneResult / 1e6);
        System.out.printf(
                "| 100 observers of SELECT * (one shared evaluation) | %.1f | %.1f KB |%n",
                sameQuery / 1e6, sameQuery / 1e3 / 100);
        System.out.printf(
                "| 100 observers of 100 different SELECT * … WHERE score >= k | %.1f | %.1f KB (%.3f× one result each) |%n",
                differentQueries / 1e6, differentQueries / 1e3 / 100, differentQueries / 100.0 / oneResult);
    }

    interface Query {
        String of(int i);
    }

    static List<StoreObserver> register(Starling db, int n, Query q) throws InterruptedException {
        List<StoreObserver> out = new ArrayList<>();
        BlockingQueue<Boolean> initial = new LinkedBlockingQueue<>();
        for (int i = 0; i < n; i++) out.add(db.store().registerObserver(q.of(i), Map.of(), c -> initial.add(true)));
        for (int i = 0; i < n; i++) {
            if (initial.poll(60, TimeUnit.SECONDS) == null) throw new IllegalStateException("missing initial delivery");
        }
        return out;
    }

    /** Heap in use after collections settle (a few GCs; good enough for MB-level figures). */
    static long usedHeap() {
        for (int i = 0; i < 4; i++) System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
