package io.starling.bench.suite;

import io.starling.internal.engine.DefaultStarling;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * S0, the storage lower bound: raw sqlite-jdbc inserting each document's JSON bytes into
 * {@code (id TEXT PRIMARY KEY, body BLOB)}, addBatch/executeBatch of 1,000 and one transaction per batch, WAL +
 * synchronous=FULL (the raw path of LocalStoreBenchmark, which is package-private there) — against Starling's
 * 1,000-document INSERT statements on the same documents.
 *
 * <p>Both start from the same in-memory maps. {@code inserts_per_s} of sqlite-jdbc encodes them to JSON before its
 * clock starts (the storage bound proper, and the budget's baseline); {@code inserts_json_timed_per_s} times that
 * encoding too, as Starling's time includes converting the maps into its values and CRDT states. The tables are
 * alike in shape (a rowid table and one unique index each), the durability the same, the rows Starling's larger
 * (collection, sequence, write group and liveness besides id and state).
 *
 * <p>{@code cpu_us_per_doc} is the inserting thread's CPU time per document over the timed interval (SQLite and,
 * for Starling, the whole write path run on it): on a shared machine the wall figures swing with the load (waiting for
 * a core, fsyncs queued behind other processes' writes), the CPU figures far less.
 */
final class S0StorageBound implements Scenario {
    @Override
    public String id() {
        return "S0";
    }

    @Override
    public String title() {
        return "storage bound: inserts in batches of 1,000, raw sqlite-jdbc vs Starling";
    }

    @Override
    public List<BenchRecord> run(Context ctx, int n) throws Exception {
        List<Map<String, Object>> docs = ctx.docs(n);
        List<BenchRecord> out = new ArrayList<>();
        Path dir = ctx.newDir("s0");
        try {
            double[] raw = io.starling.bench.LocalStoreBenchmark.rawInsertsTimed(dir.resolve("raw.db"), docs, false);
            out.add(BenchRecord.of(id(), "sqlite-jdbc", n, "inserts_per_s", raw[0], "docs/s"));
            out.add(BenchRecord.of(id(), "sqlite-jdbc", n, "cpu_us_per_doc", raw[1], "us"));
            // the same, with encoding the maps to JSON timed as Starling's conversion of them is (see the class doc)
            double[] json =
                    io.starling.bench.LocalStoreBenchmark.rawInsertsTimed(dir.resolve("raw-json.db"), docs, true);
            out.add(BenchRecord.of(id(), "sqlite-jdbc", n, "inserts_json_timed_per_s", json[0], "docs/s"));
            out.add(BenchRecord.of(id(), "sqlite-jdbc", n, "json_timed_cpu_us_per_doc", json[1], "us"));
            try (DefaultStarling db = Bench.open(dir.resolve("starling"))) {
                long start = System.nanoTime();
                long cpuStart = io.starling.bench.LocalStoreBenchmark.threadCpuNanos();
                Bench.load(db, docs);
                long cpu = io.starling.bench.LocalStoreBenchmark.threadCpuNanos() - cpuStart;
                out.add(BenchRecord.of(
                        id(), "starling", n, "inserts_per_s", n / ((System.nanoTime() - start) / 1e9), "docs/s"));
                out.add(BenchRecord.of(id(), "starling", n, "cpu_us_per_doc", cpu / 1e3 / n, "us"));
            }
        } finally {
            Bench.delete(dir);
        }
        return out;
    }

    static double rawInserts(Path file, List<Map<String, Object>> data) throws Exception {
        return io.starling.bench.LocalStoreBenchmark.rawInserts(file, data); // the same raw path as bench/local-store
    }
}
