package io.starling.bench.suite;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.internal.engine.DefaultStarling;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/** Helpers shared by the scenarios: opening peers, loading, awaiting, memory, percentiles. */
final class Bench {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int BATCH = 1000;
    private static final String BATCH_INSERT;
    /** The batch statement's argument names, made once (as an application would) rather than per batch. */
    private static final String[] NAMES = new String[BATCH];

    static {
        StringBuilder sql = new StringBuilder("INSERT INTO docs DOCUMENTS ");
        for (int i = 0; i < BATCH; i++) {
            NAMES[i] = "d" + i;
            sql.append(i == 0 ? "" : ", ").append("(:d").append(i).append(')');
        }
        BATCH_INSERT = sql.toString();
    }

    private Bench() {}

    static DefaultStarling open(Path dir) {
        return (DefaultStarling) Starling.open(
                StarlingConfig.builder().databaseDirectory(dir).appId("bench").build());
    }

    /** Inserts the documents with one 1,000-document INSERT statement per batch (the tail one by one). */
    static void load(Starling db, List<Map<String, Object>> docs) {
        int from = 0;
        for (; from + BATCH <= docs.size(); from += BATCH) {
            Map<String, Object> args = new HashMap<>(BATCH * 2);
            for (int i = 0; i < BATCH; i++) args.put(NAMES[i], docs.get(from + i));
            db.store().execute(BATCH_INSERT, args);
        }
        for (; from < docs.size(); from++)
            db.store().execute("INSERT INTO docs DOCUMENTS (:d)", Map.of("d", docs.get(from)));
    }

    /** The encoded ids and states of every row (what a sync must move at least). */
    static long payload(DefaultStarling db) {
        return io.starling.bench.SyncBenchmark.payload(db);
    }

    static long siteId(Starling db) {
        return db.config().siteId().getAsLong();
    }

    static void await(String what, BooleanSupplier condition) {
        await(what, condition, 600);
    }

    static void await(String what, BooleanSupplier condition, int seconds) {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new IllegalStateException(what + ": not done in " + seconds + " s");
            LockSupport.parkNanos(200_000);
        }
    }

    /** Waits until {@code counter} has not changed for {@code quietMillis} (traffic after "done" counted too). */
    static void awaitQuiet(LongSupplier counter, long quietMillis) {
        long last = counter.getAsLong(), since = System.nanoTime(), deadline = since + 30_000_000_000L;
        while (System.nanoTime() - since < quietMillis * 1_000_000L && System.nanoTime() < deadline) {
            LockSupport.parkNanos(2_000_000);
            long now = counter.getAsLong();
            if (now != last) {
                last = now;
                since = System.nanoTime();
            }
        }
    }

    static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            LockSupport.parkNanos(20_000_000);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** VmRSS of this process from /proc/self/status, bytes (−1 where there is no /proc). */
    static long rss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | NumberFormatException e) {
            // no /proc
        }
        return -1;
    }

    static double mb(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    /** Percentile of sorted-in-place nanosecond samples. */
    static long percentile(long[] nanos, double p) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) (s.length * p))];
    }

    static long directorySize(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile)
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        }
    }

    static void delete(Path p) {
        if (p == null || !Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        } catch (IOException e) {
            System.err.println("could not delete " + p + ": " + e);
        }
    }

    static long jsonBytes(List<Map<String, Object>> docs) {
        long total = 0;
        for (Map<String, Object> d : docs) {
            try {
                total += JSON.writeValueAsBytes(d).length;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return total;
    }
}
