package io.starling.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.TransactionWork;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The local-store budgets (docs/BENCHMARKS.md, "Budgets"), measured against a baseline in the same run:
 *
 * <ol>
 *   <li>inserts of ~200-byte documents in batches of 1,000 through Starling, against raw sqlite-jdbc
 *       inserting the same JSON bytes into {@code (id TEXT PRIMARY KEY, body BLOB)} with JDBC batches of
 *       1,000 (addBatch/executeBatch, one transaction each), with the same journal (WAL) and sync (FULL)
 *       settings — budget ≥ 50% of raw. A Starling batch is one statement, {@code INSERT INTO docs
 *       DOCUMENTS (:d0), (:d1), …, (:d999)}; for comparison, a transaction of 1,000 one-document INSERT
 *       statements is measured too;
 *   <li>warm {@code _id} lookup latency, p50 and p99 — budget p50 ≤ 20 µs;
 *   <li>a filtered scan ({@code WHERE category = 'c3' AND score > 50000}, ~5% of rows) over N documents.
 * </ol>
 *
 * Usage: {@code bench/local-store [--docs N] [--rounds R]} (defaults 100000 and 5). Each round uses fresh
 * directories; figures are the median (and min) over rounds. Machines here are shared and noisy: compare
 * the ratio, not the absolute numbers, across runs.
 */
public final class LocalStoreBenchmark {
    private static final int BATCH = 1000;
    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        int docs = 100_000, rounds = 5;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--docs":
                    docs = Integer.parseInt(args[++i]);
                    break;
                case "--rounds":
                    rounds = Integer.parseInt(args[++i]);
                    break;
                default:
                    throw new IllegalArgumentException("unknown option " + args[i] + " (use --docs N --rounds R)");
            }
        }
        DocumentGenerator gen = new DocumentGenerator(42);
        List<Map<String, Object>> data = new ArrayList<>(docs);
        long payload = 0;
        for (int i = 0; i < docs; i++) {
            Map<String, Object> d = gen.document(i);
            data.add(d);
            payload += JSON.writeValueAsBytes(d).length;
        }
        System.out.printf(
                "machine: %d cores, java %s, max heap %d MB%n",
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"),
                Runtime.getRuntime().maxMemory() >> 20);
        System.out.printf(
                "data: %d documents, %.0f bytes of JSON each on average, batches of %d%n",
                docs, (double) payload / docs, BATCH);

        double[] raw = new double[rounds],
                starling = new double[rounds],
                ratio = new double[rounds],
                perStatement = new double[rounds];
        double[] p50 = new double[rounds], p99 = new double[rounds], scan = new double[rounds];
        double[] scanAll = new double[rounds];
        double[] eqIndexed = new double[rounds], eqScan = new double[rounds];
        for (int round = -1; round < rounds; round++) {
            boolean warmUp = round < 0; // JIT compilation happens here; its figures are printed, not counted
            int at = Math.max(round, 0);
            Path tmp = Files.createTempDirectory("starling-bench");
            try {
                raw[at] = rawInserts(tmp.resolve("raw.db"), data);
                try (Starling db = Starling.open(StarlingConfig.builder()
                        .databaseDirectory(tmp.resolve("starling"))
                        .build())) {
                    starling[at] = starlingInserts(db, data);
                    ratio[at] = starling[at] / raw[at];
                    perStatement[at] = starlingStatementInserts(db, data);
                    double[] lat = lookups(db, docs, 20_000);
                    p50[at] = lat[0];
                    p99[at] = lat[1];
                    scan[at] = scanMillis(db);
                    scanAll[at] = scanMillis(db, "SELECT * FROM docs WHERE category = 'c3' AND score > 50000");
                    eqScan[at] = equalityMillis(db, 20);
                    db.store().execute("CREATE INDEX by_score ON docs (score)");
                    eqIndexed[at] = equalityMillis(db, 2_000);
                }
            } finally {
                delete(tmp);
            }
            System.out.printf(
                    (warmUp ? "warm-up" : "round " + (round + 1))
                            + ": raw %.0f docs/s, starling %.0f docs/s (%.0f%%), per-statement %.0f docs/s, _id lookup p50 %.1f µs p99 %.1f µs, scan %.1f ms%n",
                    raw[at],
                    starling[at],
                    100 * ratio[at],
                    perStatement[at],
                    p50[at],
                    p99[at],
                    scan[at]);
            System.out.printf("         the same filter, SELECT *: %.1f ms%n", scanAll[at]);
            System.out.printf(
                    "         score = :s  p50 %.3f ms indexed, %.1f ms without index%n", eqIndexed[at], eqScan[at]);
        }
        System.out.println();
        System.out.println("| metric | median | min | budget |");
        System.out.println("|---|---|---|---|");
        System.out.printf("| raw sqlite-jdbc inserts, docs/s | %.0f | %.0f | baseline |%n", median(raw), min(raw));
        System.out.printf(
                "| Starling inserts (1,000-document INSERT statements), docs/s | %.0f | %.0f | |%n",
                median(starling), min(starling));
        System.out.printf("| Starling / raw | %.0f%% | %.0f%% | ≥ 50%% |%n", 100 * median(ratio), 100 * min(ratio));
        System.out.printf(
                "| Starling inserts (transactions of 1,000 one-document statements), docs/s | %.0f | %.0f | |%n",
                median(perStatement), min(perStatement));
        System.out.printf("| _id lookup p50, µs | %.1f | %.1f | ≤ 20 |%n", median(p50), min(p50));
        System.out.printf("| _id lookup p99, µs | %.1f | %.1f | |%n", median(p99), min(p99));
        System.out.printf(
                "| filtered scan of %d docs (`SELECT _id, name, score`), ms | %.1f | %.1f | ≤ 60 |%n",
                docs, median(scan), min(scan));
        System.out.printf(
                "| the same filter, `SELECT *` (whole documents), ms | %.1f | %.1f | |%n",
                median(scanAll), min(scanAll));
        System.out.printf(
                "| equality `WHERE score = :s` on %d docs, indexed, p50 ms | %.3f | %.3f | ≤ 1 |%n",
                docs, median(eqIndexed), min(eqIndexed));
        System.out.printf(
                "| the same without the index, p50 ms | %.1f | %.1f | (%.0f× slower) |%n",
                median(eqScan), min(eqScan), median(eqScan) / median(eqIndexed));
    }

    /** Raw sqlite-jdbc: the same JSON bytes, same batches, WAL + synchronous=FULL like Starling's default. */
    public static double rawInserts(Path file, List<Map<String, Object>> data) throws SQLException, IOException {
        return rawInserts(file, data, false);
    }

    /**
     * As above; with {@code encodeTimed}, encoding the documents to JSON is inside the timed part (the application
     * holds maps, as it does when it hands them to Starling), else the bytes are made before the clock starts.
     */
    public static double rawInserts(Path file, List<Map<String, Object>> data, boolean encodeTimed)
            throws SQLException, IOException {
        return rawInsertsTimed(file, data, encodeTimed)[0];
    }

    /**
     * As above: docs/s (wall), and the inserting thread's CPU time per document in µs over the same interval (SQLite
     * runs on that thread; on a loaded machine the wall time is mostly waiting for a core or the disk).
     */
    public static double[] rawInsertsTimed(Path file, List<Map<String, Object>> data, boolean encodeTimed)
            throws SQLException, IOException {
        byte[][] bodies = new byte[data.size()][];
        if (!encodeTimed) for (int i = 0; i < data.size(); i++) bodies[i] = JSON.writeValueAsBytes(data.get(i));
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("CREATE TABLE docs (id TEXT PRIMARY KEY, body BLOB NOT NULL)");
            }
            c.setAutoCommit(false);
            long start = System.nanoTime();
            long cpuStart = threadCpuNanos();
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO docs (id, body) VALUES (?, ?)")) {
                for (int i = 0; i < data.size(); i++) {
                    ps.setString(1, (String) data.get(i).get("_id"));
                    ps.setBytes(2, encodeTimed ? JSON.writeValueAsBytes(data.get(i)) : bodies[i]);
                    ps.addBatch();
                    if ((i + 1) % BATCH == 0 || i == data.size() - 1) {
                        ps.executeBatch();
                        c.commit();
                    }
                }
            }
            long cpu = threadCpuNanos() - cpuStart;
            return new double[] {data.size() / ((System.nanoTime() - start) / 1e9), cpu / 1e3 / data.size()};
        }
    }

    /** The calling thread's CPU time, ns (0 where the JVM cannot tell). */
    public static long threadCpuNanos() {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        return threads.isCurrentThreadCpuTimeSupported() ? threads.getCurrentThreadCpuTime() : 0;
    }

    /** One INSERT statement per batch of 1,000 documents. */
    static double starlingInserts(Starling db, List<Map<String, Object>> data) {
        StringBuilder sql = new StringBuilder("INSERT INTO docs DOCUMENTS ");
        for (int i = 0; i < BATCH; i++)
            sql.append(i == 0 ? "" : ", ").append("(:d").append(i).append(')');
        String statement = sql.toString();
        long start = System.nanoTime();
        for (int from = 0; from + BATCH <= data.size(); from += BATCH) {
            Map<String, Object> args = new java.util.HashMap<>(BATCH * 2);
            for (int i = 0; i < BATCH; i++) args.put("d" + i, data.get(from + i));
            db.store().execute(statement, args);
        }
        return (data.size() / BATCH * BATCH) / ((System.nanoTime() - start) / 1e9);
    }

    /** A transaction of 1,000 one-document INSERT statements per batch, into a second collection. */
    static double starlingStatementInserts(Starling db, List<Map<String, Object>> data) {
        long start = System.nanoTime();
        for (int from = 0; from < data.size(); from += BATCH) {
            List<Map<String, Object>> batch = data.subList(from, Math.min(data.size(), from + BATCH));
            // returns null, as TransactionWork<T extends @Nullable Object> allows; NullAway checks that bound only
            // in its JSpecify mode
            @SuppressWarnings("NullAway")
            TransactionWork<@Nullable Void> insertAll = tx -> {
                for (Map<String, Object> d : batch) tx.execute("INSERT INTO docs2 DOCUMENTS (:d)", Map.of("d", d));
                return null;
            };
            db.store().transaction(insertAll);
        }
        return data.size() / ((System.nanoTime() - start) / 1e9);
    }

    /** Warm lookups of random existing ids; returns {p50, p99} in microseconds. */
    static double[] lookups(Starling db, int docs, int n) {
        Random r = new Random(7);
        for (int i = 0; i < 5_000; i++) lookup(db, r.nextInt(docs)); // warm-up
        long[] nanos = new long[n];
        for (int i = 0; i < n; i++) {
            int k = r.nextInt(docs);
            long t = System.nanoTime();
            lookup(db, k);
            nanos[i] = System.nanoTime() - t;
        }
        Arrays.sort(nanos);
        return new double[] {nanos[n / 2] / 1e3, nanos[(int) (n * 0.99)] / 1e3};
    }

    private static void lookup(Starling db, int k) {
        if (db.store()
                        .execute("SELECT * FROM docs WHERE _id = :id", Map.of("id", DocumentGenerator.id(k)))
                        .items()
                        .size()
                != 1) {
            throw new IllegalStateException("lookup of " + k + " found nothing");
        }
    }

    static double scanMillis(Starling db) {
        return scanMillis(db, "SELECT _id, name, score FROM docs WHERE category = 'c3' AND score > 50000");
    }

    /** Median of 5 runs of a query after one warm-up run, in ms. */
    static double scanMillis(Starling db, String q) {
        db.store().execute(q); // warm-up
        long[] runs = new long[5];
        for (int i = 0; i < runs.length; i++) {
            long t = System.nanoTime();
            db.store().execute(q);
            runs[i] = System.nanoTime() - t;
        }
        Arrays.sort(runs);
        return runs[runs.length / 2] / 1e6;
    }

    /** p50 of {@code SELECT * FROM docs WHERE score = :s} over random scores (about one match each), in ms. */
    static double equalityMillis(Starling db, int n) {
        Random r = new Random(11);
        for (int i = 0; i < Math.min(n, 200); i++)
            db.store().execute("SELECT * FROM docs WHERE score = :s", Map.of("s", (long) r.nextInt(100_000)));
        long[] nanos = new long[n];
        for (int i = 0; i < n; i++) {
            long t = System.nanoTime();
            db.store().execute("SELECT * FROM docs WHERE score = :s", Map.of("s", (long) r.nextInt(100_000)));
            nanos[i] = System.nanoTime() - t;
        }
        Arrays.sort(nanos);
        return nanos[n / 2] / 1e6;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    private static void delete(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        }
    }
}
