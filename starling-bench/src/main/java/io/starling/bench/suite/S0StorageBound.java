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
            out.add(BenchRecord.of(
                    id(), "sqlite-jdbc", n, "inserts_per_s", rawInserts(dir.resolve("raw.db"), docs), "docs/s"));
            try (DefaultStarling db = Bench.open(dir.resolve("starling"))) {
                long start = System.nanoTime();
                Bench.load(db, docs);
                out.add(BenchRecord.of(
                        id(), "starling", n, "inserts_per_s", n / ((System.nanoTime() - start) / 1e9), "docs/s"));
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
