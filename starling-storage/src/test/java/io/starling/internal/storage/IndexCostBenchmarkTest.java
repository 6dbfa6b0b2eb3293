package io.starling.internal.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not a benchmark harness (the official one lives in starling-bench): what index entries cost in this layer, for
 * docs/STORAGE.md. (1) The insert path: 100 batches of 1,000 documents of 200 bytes, one write transaction per
 * batch, with and without one {@code putIndexEntry} per document, for both the one-by-one ({@code insertIfAbsent})
 * and the batched ({@code insertAllIfAbsent}) insert; rounds alternate the order, the first is discarded. (2) A point
 * range scan (the interval of one key) among 100,000 entries with unique keys: inside an open read, as a whole
 * read, and followed by the row lookup an indexed query does. Keys are random strings (each batch touches pages all
 * over the index: the worst case) or increasing (a timestamp: every entry lands at the end); entries are written one
 * call each or as one {@code putIndexEntries} batch. Keys and ids have the shape the engine's key codec
 * gives them: a string id is {@code 20 utf8 00 01} (39 bytes for a UUID), a short string key {@code 20 + 10 + 00 01}.
 * Run with {@code mvn -pl starling-storage -Pslow test -Dtest=IndexCostBenchmarkTest}.
 */
@Tag("slow")
final class IndexCostBenchmarkTest {
    private static final int BATCH = 1_000;
    private static final int BATCHES = 100;
    private static final int ROUNDS = 5;
    private static final String INDEX = "bench/by_name";

    @TempDir
    Path tmp;

    private final byte[][] ids = new byte[BATCH * BATCHES][];
    private final byte[][] keys = new byte[BATCH * BATCHES][];
    /** Keys in insertion order (a timestamp or a counter): every entry lands at the end of the index. */
    private final byte[][] increasingKeys = new byte[BATCH * BATCHES][];

    private final byte[][] bodies = new byte[BATCH * BATCHES][];
    private int run;

    @Test
    void indexEntryCost() throws Exception {
        long seed = 42;
        Random random = new Random(seed);
        for (int i = 0; i < ids.length; i++) {
            ids[i] = stringKey(new UUID(random.nextLong(), random.nextLong()).toString());
            StringBuilder name = new StringBuilder();
            for (int c = 0; c < 10; c++) name.append((char) ('a' + random.nextInt(26)));
            keys[i] = stringKey(name.toString());
            increasingKeys[i] = stringKey(String.format("t%09d", i));
            bodies[i] = new byte[200];
            random.nextBytes(bodies[i]);
        }
        System.out.printf(
                "%d batches of %d x 200-byte documents, one index entry per document, %d rounds (the first"
                        + " is warm-up), seed %d%n",
                BATCHES, BATCH, ROUNDS, seed);
        // {batched documents, batched entries, increasing keys}
        boolean[][] scenarios = {
            {false, false, false}, {true, false, false}, {true, true, false}, {true, false, true}, {true, true, true}
        };
        for (boolean[] scenario : scenarios) {
            boolean batched = scenario[0];
            boolean batchedEntries = scenario[1];
            byte[][] indexKeys = scenario[2] ? increasingKeys : keys;
            double[] plain = new double[ROUNDS - 1];
            double[] indexed = new double[ROUNDS - 1];
            for (int round = 0; round < ROUNDS; round++) {
                boolean plainFirst = round % 2 == 0;
                double p = plainFirst ? insert(batched, false, null) : 0;
                double x = insert(batched, batchedEntries, indexKeys);
                if (!plainFirst) p = insert(batched, false, null);
                if (round > 0) {
                    plain[round - 1] = p;
                    indexed[round - 1] = x;
                }
            }
            double p = median(plain), x = median(indexed);
            System.out.printf(
                    "%s + %s, %s keys: without index %,.0f docs/s (%.2f ms per batch), with one entry per"
                            + " doc %,.0f docs/s (%.2f ms per batch): %.0f%% of the throughput, +%.2f us per entry%n",
                    batched ? "insertAllIfAbsent" : "insertIfAbsent",
                    batchedEntries ? "putIndexEntries" : "putIndexEntry",
                    scenario[2] ? "increasing" : "random",
                    p,
                    1e3 * BATCH / p,
                    x,
                    1e3 * BATCH / x,
                    100 * x / p,
                    1e6 / x - 1e6 / p);
        }
    }

    /** A string as the key codec encodes it: tag 20, UTF-8 (no 00 here), terminator 00 01. */
    static byte[] stringKey(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        byte[] k = new byte[utf8.length + 3];
        k[0] = 0x20;
        System.arraycopy(utf8, 0, k, 1, utf8.length);
        k[k.length - 1] = 0x01;
        return k;
    }

    static byte[] successor(byte[] prefix) {
        int i = prefix.length - 1;
        while (i >= 0 && prefix[i] == (byte) 0xFF) i--;
        byte[] s = Arrays.copyOf(prefix, i + 1);
        s[i]++;
        return s;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private Path freshDirectory() throws Exception {
        return Files.createDirectories(tmp.resolve("run-" + run++));
    }

    /** Docs per second; {@code indexKeys} null for no index. */
    private double insert(boolean batched, boolean batchedEntries, byte[][] indexKeys) throws Exception {
        try (SqliteStorage storage = SqliteStorage.open(freshDirectory(), SqliteStorage.Options.defaults())) {
            long start = System.nanoTime();
            for (int b = 0; b < BATCHES; b++) {
                int from = b * BATCH, to = from + BATCH;
                storage.write(tx -> {
                    if (batched) {
                        tx.insertAllIfAbsent(
                                "bench",
                                Arrays.asList(ids).subList(from, to),
                                true,
                                Arrays.asList(bodies).subList(from, to));
                    } else {
                        for (int i = from; i < to; i++) tx.insertIfAbsent("bench", ids[i], true, bodies[i]);
                    }
                    if (indexKeys != null && batchedEntries) {
                        tx.putIndexEntries(
                                INDEX,
                                Arrays.asList(indexKeys).subList(from, to),
                                Arrays.asList(ids).subList(from, to));
                    } else if (indexKeys != null) {
                        for (int i = from; i < to; i++) tx.putIndexEntry(INDEX, indexKeys[i], ids[i]);
                    }
                    return null;
                });
            }
            double docsPerSecond = ids.length / ((System.nanoTime() - start) / 1e9);
            assertThat(storage.<Long>read(tx -> tx.lastSequence())).isEqualTo((long) ids.length);
            return docsPerSecond;
        }
    }

    private void pointScans() throws Exception {
        try (SqliteStorage storage = SqliteStorage.open(freshDirectory(), SqliteStorage.Options.defaults())) {
            for (int b = 0; b < BATCHES; b++) {
                int from = b * BATCH, to = from + BATCH;
                storage.write(tx -> {
                    tx.insertAllIfAbsent(
                            "bench",
                            Arrays.asList(ids).subList(from, to),
                            true,
                            Arrays.asList(bodies).subList(from, to));
                    tx.putIndexEntries(
                            INDEX,
                            Arrays.asList(keys).subList(from, to),
                            Arrays.asList(ids).subList(from, to));
                    return null;
                });
            }
            Random random = new Random(7);
            int n = 100_000;
            for (int pass = 0; pass < 2; pass++) { // the first pass warms the page cache and the JIT
                List<Long> inRead = new ArrayList<>(n);
                List<Long> inReadReverse = new ArrayList<>(n);
                List<Long> wholeRead = new ArrayList<>(n);
                List<Long> withRow = new ArrayList<>(n);
                storage.read(tx -> {
                    for (int i = 0; i < n; i++) {
                        byte[] key = keys[random.nextInt(keys.length)];
                        byte[] end = successor(key);
                        int[] found = {0};
                        long t0 = System.nanoTime();
                        tx.scanIndex(INDEX, key, end, false, (k, id) -> ++found[0] > 0);
                        long t1 = System.nanoTime();
                        tx.scanIndex(INDEX, key, end, true, (k, id) -> ++found[0] > 0);
                        long t2 = System.nanoTime();
                        inRead.add(t1 - t0);
                        inReadReverse.add(t2 - t1);
                        assertThat(found[0]).isGreaterThanOrEqualTo(2);
                    }
                    return null;
                });
                for (int i = 0; i < n; i++) {
                    byte[] key = keys[random.nextInt(keys.length)];
                    byte[] end = successor(key);
                    long t0 = System.nanoTime();
                    List<byte[]> hits = storage.read(tx -> {
                        List<byte[]> found = new ArrayList<>(1);
                        tx.scanIndex(INDEX, key, end, false, (k, id) -> found.add(id));
                        return found;
                    });
                    long t1 = System.nanoTime();
                    int rows = storage.read(tx -> {
                        List<byte[]> found = new ArrayList<>(1);
                        tx.scanIndex(INDEX, key, end, false, (k, id) -> found.add(id));
                        int r = 0;
                        for (byte[] id : found) if (tx.get("bench", id) != null) r++;
                        return r;
                    });
                    long t2 = System.nanoTime();
                    wholeRead.add(t1 - t0);
                    withRow.add(t2 - t1);
                    assertThat(rows).isEqualTo(hits.size()).isPositive();
                }
                if (pass == 1) {
                    System.out.printf(
                            "point range scan among %,d entries (unique keys): inside an open read p50 %.1f us,"
                                    + " p99 %.1f us; reverse p50 %.1f us; a whole read(tx -> scanIndex) p50 %.1f us,"
                                    + " p99 %.1f us; read with scanIndex + get of the row p50 %.1f us, p99 %.1f us%n",
                            keys.length,
                            p(inRead, 50),
                            p(inRead, 99),
                            p(inReadReverse, 50),
                            p(wholeRead, 50),
                            p(wholeRead, 99),
                            p(withRow, 50),
                            p(withRow, 99));
                }
            }
        }
    }

    private static double p(List<Long> nanos, int percentile) {
        List<Long> sorted = new ArrayList<>(nanos);
        sorted.sort(null);
        return sorted.get(sorted.size() * percentile / 100) / 1e3;
    }
}
