package io.starling.bench;

import io.starling.Starling;
import io.starling.StarlingConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The unindexed filtered scan alone, on a database made once, so that two builds can be timed against the same
 * file in one session, alternating (the machine is shared: only a comparison made at the same time means much).
 * Uses the public API only, so the class compiles against any build.
 *
 * <pre>
 *   bench/java-main io.starling.bench.ScanBenchmark --create DIR [--docs 100000]
 *   bench/java-main io.starling.bench.ScanBenchmark --db DIR [--runs 21]
 * </pre>
 *
 * Prints, per query, the median and the minimum of the timed runs (after 5 warm-up runs), as wall time and as the
 * calling thread's CPU time (the scan, SQLite included, runs on it; on a loaded machine the wall time is mostly
 * waiting for a core), and the number of rows.
 */
public final class ScanBenchmark {
    private ScanBenchmark() {}

    /** The scan runs on the calling thread (SQLite included), so its CPU time is the cost without the queueing. */
    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    static final String[] QUERIES = {
        "SELECT _id, name, score FROM docs WHERE category = 'c3' AND score > 50000",
        "SELECT * FROM docs WHERE category = 'c3' AND score > 50000",
        // no string equality: SQLite cannot leave any state out (docs/BENCHMARKS.md, "Held strings")
        "SELECT * FROM docs WHERE score > 95000",
    };

    public static void main(String[] args) throws Exception {
        Path create = null, db = null;
        int docs = 100_000, runs = 21;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--create" -> create = Path.of(args[++i]);
                case "--db" -> db = Path.of(args[++i]);
                case "--docs" -> docs = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                default ->
                    throw new IllegalArgumentException(
                            "unknown option " + args[i] + " (use --create DIR [--docs N] or --db DIR [--runs R])");
            }
        }
        if (create != null) {
            DocumentGenerator gen = new DocumentGenerator(42);
            List<Map<String, Object>> data = new ArrayList<>(docs);
            for (int i = 0; i < docs; i++) data.add(gen.document(i));
            try (Starling s = Starling.open(
                    StarlingConfig.builder().databaseDirectory(create).build())) {
                LocalStoreBenchmark.starlingInserts(s, data);
            }
            System.out.println("created " + create + " with " + docs + " documents");
            return;
        }
        if (db == null) throw new IllegalArgumentException("give --create DIR or --db DIR");
        try (Starling s =
                Starling.open(StarlingConfig.builder().databaseDirectory(db).build())) {
            for (String q : QUERIES) {
                int rows = s.store().execute(q).items().size();
                for (int i = 0; i < 5; i++) s.store().execute(q);
                double[] ms = new double[runs], cpu = new double[runs];
                for (int i = 0; i < runs; i++) {
                    long c = THREADS.getCurrentThreadCpuTime();
                    long t = System.nanoTime();
                    s.store().execute(q);
                    ms[i] = (System.nanoTime() - t) / 1e6;
                    cpu[i] = (THREADS.getCurrentThreadCpuTime() - c) / 1e6;
                }
                Arrays.sort(ms);
                Arrays.sort(cpu);
                System.out.printf(
                        "%s | wall median %.1f ms, min %.1f ms | CPU median %.1f ms, min %.1f ms | %d rows%n",
                        q, ms[runs / 2], ms[0], cpu[runs / 2], cpu[0], rows);
            }
        }
    }
}
