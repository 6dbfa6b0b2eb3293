package io.starling.bench.suite;

import io.starling.bench.DocumentGenerator;
import io.starling.internal.engine.DefaultStarling;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * S1, local operations: inserts (batches of 1,000), 1,000 one-field updates, 1,000 deletes one by one, 1,000
 * random {@code _id} lookups, a filtered query without an index 20 times; heap (used heap after GC minus the
 * same before the store was opened, so the harness's copy of the data is not counted) and RSS (the whole JVM,
 * which holds every system measured so far in this process).
 */
final class S1Local implements Scenario {
    static final String QUERY = "SELECT * FROM docs WHERE category = 'c3' AND score > 50000";
    static final int OPS = 1000;

    @Override
    public String id() {
        return "S1";
    }

    @Override
    public String title() {
        return "local: insert, update, delete, _id lookup, filtered query (no index), memory";
    }

    @Override
    public List<BenchRecord> run(Context ctx, int n) throws Exception {
        List<BenchRecord> out = new ArrayList<>();
        measure(out, "starling", n, () -> starling(ctx, n));
        measure(out, "automerge-jni", n, () -> automerge(ctx, n));
        return out;
    }

    /** The same random choices for every system: ids to update, to delete, to look up (never deleted). */
    record Plan(List<String> updates, List<String> deletes, List<String> lookups) {
        static Plan of(int n) {
            Random r = new Random(1234);
            int ops = Math.min(OPS, n / 2);
            List<String> updates = new ArrayList<>();
            for (int i = 0; i < ops; i++) updates.add(DocumentGenerator.id(r.nextInt(n)));
            Set<Integer> del = new LinkedHashSet<>();
            while (del.size() < ops) del.add(r.nextInt(n));
            List<String> deletes = del.stream().map(DocumentGenerator::id).toList();
            List<String> lookups = new ArrayList<>();
            while (lookups.size() < ops) {
                int k = r.nextInt(n);
                if (!del.contains(k)) lookups.add(DocumentGenerator.id(k));
            }
            return new Plan(updates, deletes, lookups);
        }
    }

    List<BenchRecord> starling(Context ctx, int n) throws Exception {
        String sys = "starling";
        List<Map<String, Object>> docs = ctx.docs(n);
        Plan plan = Plan.of(n);
        List<BenchRecord> out = new ArrayList<>();
        Path dir = ctx.newDir("s1");
        long heapBefore = Bench.usedHeapAfterGc();
        try (DefaultStarling db = Bench.open(dir)) {
            long start = System.nanoTime();
            Bench.load(db, docs);
            out.add(BenchRecord.of(id(), sys, n, "inserts_per_s", n / ((System.nanoTime() - start) / 1e9), "docs/s"));
            out.add(BenchRecord.of(id(), sys, n, "heap_mb", Bench.mb(Bench.usedHeapAfterGc() - heapBefore), "MB"));
            out.add(BenchRecord.of(id(), sys, n, "rss_mb", Bench.mb(Bench.rss()), "MB"));

            long[] lat = new long[plan.updates().size()];
            long t0 = System.nanoTime();
            for (int i = 0; i < lat.length; i++) {
                long t = System.nanoTime();
                db.store()
                        .execute(
                                "UPDATE docs SET score = :s WHERE _id = :id",
                                Map.of("s", (long) i, "id", plan.updates().get(i)));
                lat[i] = System.nanoTime() - t;
            }
            perOp(out, sys, n, "update", lat, System.nanoTime() - t0);

            t0 = System.nanoTime();
            for (String d : plan.deletes()) db.store().execute("DELETE FROM docs WHERE _id = :id", Map.of("id", d));
            out.add(BenchRecord.of(
                    id(),
                    sys,
                    n,
                    "delete_ops_per_s",
                    plan.deletes().size() / ((System.nanoTime() - t0) / 1e9),
                    "ops/s"));

            lat = new long[plan.lookups().size()];
            t0 = System.nanoTime();
            for (int i = 0; i < lat.length; i++) {
                long t = System.nanoTime();
                if (db.store()
                                .execute(
                                        "SELECT * FROM docs WHERE _id = :id",
                                        Map.of("id", plan.lookups().get(i)))
                                .items()
                                .size()
                        != 1) {
                    throw new IllegalStateException("lookup found nothing");
                }
                lat[i] = System.nanoTime() - t;
            }
            perOp(out, sys, n, "lookup", lat, System.nanoTime() - t0);

            query(out, sys, n, () -> db.store().execute(QUERY).items().size());
        } finally {
            Bench.delete(dir);
        }
        return out;
    }

    List<BenchRecord> automerge(Context ctx, int n) {
        String sys = "automerge-jni";
        List<Map<String, Object>> docs = ctx.docs(n);
        Plan plan = Plan.of(n);
        List<BenchRecord> out = new ArrayList<>();
        long heapBefore = Bench.usedHeapAfterGc();
        long rssBefore = Bench.rss();
        AmDocs am = AmDocs.create();
        try {
            long start = System.nanoTime();
            am.insertAll(docs);
            out.add(BenchRecord.of(id(), sys, n, "inserts_per_s", n / ((System.nanoTime() - start) / 1e9), "docs/s"));
            out.add(BenchRecord.of(id(), sys, n, "heap_mb", Bench.mb(Bench.usedHeapAfterGc() - heapBefore), "MB"));
            out.add(BenchRecord.of(id(), sys, n, "rss_mb", Bench.mb(Bench.rss()), "MB"));
            out.add(BenchRecord.of(id(), sys, n, "native_rss_growth_mb", Bench.mb(Bench.rss() - rssBefore), "MB"));

            long[] lat = new long[plan.updates().size()];
            long t0 = System.nanoTime();
            for (int i = 0; i < lat.length; i++) {
                long t = System.nanoTime();
                am.setScore(plan.updates().get(i), i);
                lat[i] = System.nanoTime() - t;
            }
            perOp(out, sys, n, "update", lat, System.nanoTime() - t0);

            t0 = System.nanoTime();
            for (String d : plan.deletes()) am.delete(d);
            out.add(BenchRecord.of(
                    id(),
                    sys,
                    n,
                    "delete_ops_per_s",
                    plan.deletes().size() / ((System.nanoTime() - t0) / 1e9),
                    "ops/s"));

            lat = new long[plan.lookups().size()];
            t0 = System.nanoTime();
            for (int i = 0; i < lat.length; i++) {
                long t = System.nanoTime();
                if (am.lookup(plan.lookups().get(i)) == null) throw new IllegalStateException("lookup found nothing");
                lat[i] = System.nanoTime() - t;
            }
            perOp(out, sys, n, "lookup", lat, System.nanoTime() - t0);

            query(out, sys, n, am::query);
        } finally {
            am.doc.free();
        }
        return out;
    }

    private void perOp(List<BenchRecord> out, String sys, int n, String op, long[] lat, long totalNanos) {
        out.add(BenchRecord.of(id(), sys, n, op + "_ops_per_s", lat.length / (totalNanos / 1e9), "ops/s"));
        out.add(BenchRecord.of(id(), sys, n, op + "_p50_us", Bench.percentile(lat, 0.5) / 1e3, "us"));
        out.add(BenchRecord.of(id(), sys, n, op + "_p99_us", Bench.percentile(lat, 0.99) / 1e3, "us"));
    }

    private void query(List<BenchRecord> out, String sys, int n, java.util.function.IntSupplier q) {
        int rows = q.getAsInt(); // warm-up
        out.add(BenchRecord.of(id(), sys, n, "query_rows", rows, "count"));
        int times = n >= 100_000 ? 5 : 20;
        long[] lat = new long[times];
        long t0 = System.nanoTime();
        for (int i = 0; i < times; i++) {
            long t = System.nanoTime();
            int again = q.getAsInt(); // used, so that the JIT cannot drop the query
            lat[i] = System.nanoTime() - t;
            if (again != rows) throw new IllegalStateException("the query gave " + rows + " rows, then " + again);
        }
        out.add(BenchRecord.of(id(), sys, n, "query_ops_per_s", times / ((System.nanoTime() - t0) / 1e9), "ops/s"));
        out.add(BenchRecord.of(id(), sys, n, "query_p50_ms", Bench.percentile(lat, 0.5) / 1e6, "ms"));
    }
}
