package io.starling.internal.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.storage.SqliteStorage.Durability;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not a benchmark harness (the official one lives in starling-bench): a quick measurement of what this layer costs
 * above raw sqlite-jdbc, for docs/STORAGE.md. Inserts 200-byte documents in batches of 1,000 (one transaction each,
 * 1,000 insertIfAbsent calls) and compares with raw sqlite-jdbc inserting the same bytes into a plain
 * {@code (id TEXT PRIMARY KEY, body BLOB)} table in the same batches, same journal mode and synchronous setting.
 * Then measures warm point reads. Run with {@code mvn -pl starling-storage -Pslow test -Dtest=InsertCostBenchmarkTest}.
 */
@Tag("slow")
final class InsertCostBenchmarkTest {
    private static final int BATCH = 1_000;
    private static final int BATCHES = 100;
    private static final int ROUNDS = 8;

    @TempDir
    Path tmp;

    private final String[] ids = new String[BATCH * BATCHES];
    private final byte[][] bodies = new byte[BATCH * BATCHES][];
    private int run;

    @Test
    void insertCostAgainstRawSqlite() throws Exception {
        long seed = 42;
        Random random = new Random(seed);
        for (int i = 0; i < ids.length; i++) {
            ids[i] = new UUID(random.nextLong(), random.nextLong()).toString();
            bodies[i] = new byte[200];
            random.nextBytes(bodies[i]);
        }
        System.out.printf(
                "%d batches of %d x 200-byte documents, %d rounds (the first one is warm-up), seed %d%n",
                BATCHES, BATCH, ROUNDS, seed);
        for (Durability durability : Durability.values()) {
            double[] raw = new double[ROUNDS - 1];
            double[] ours = new double[ROUNDS - 1];
            double[] ratios = new double[ROUNDS - 1];
            for (int round = 0; round < ROUNDS; round++) {
                // alternate the order so that neither side always runs on a warmer page cache
                boolean rawFirst = round % 2 == 0;
                double o = rawFirst ? 0 : storage(durability);
                double r = raw(durability);
                if (rawFirst) {
                    o = storage(durability);
                }
                if (round > 0) {
                    raw[round - 1] = r;
                    ours[round - 1] = o;
                    ratios[round - 1] = o / r;
                }
            }
            double rawMedian = median(raw);
            double oursMedian = median(ours);
            double[] sortedRatios = ratios.clone();
            Arrays.sort(sortedRatios);
            System.out.printf(
                    "synchronous=%s: raw sqlite-jdbc %,.0f docs/s, SqliteStorage %,.0f docs/s (medians);"
                            + " per batch of 1,000: raw %.2f ms, SqliteStorage %.2f ms;"
                            + " SqliteStorage/raw per round: median %.0f%%, min %.0f%%, max %.0f%%%n",
                    durability,
                    rawMedian,
                    oursMedian,
                    1e3 * BATCH / rawMedian,
                    1e3 * BATCH / oursMedian,
                    100 * median(ratios),
                    100 * sortedRatios[0],
                    100 * sortedRatios[sortedRatios.length - 1]);
        }
        pointReads();
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private Path freshDirectory() throws Exception {
        return Files.createDirectories(tmp.resolve("run-" + run++));
    }

    /** Docs per second for raw sqlite-jdbc. */
    private double raw(Durability durability) throws Exception {
        Path file = freshDirectory().resolve("raw.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode = WAL");
                s.execute("PRAGMA synchronous = " + durability.name());
                s.execute("CREATE TABLE docs (id TEXT PRIMARY KEY, body BLOB)");
            }
            c.setAutoCommit(false);
            long start = System.nanoTime();
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO docs (id, body) VALUES (?, ?)")) {
                for (int b = 0; b < BATCHES; b++) {
                    for (int i = b * BATCH; i < (b + 1) * BATCH; i++) {
                        insert.setString(1, ids[i]);
                        insert.setBytes(2, bodies[i]);
                        insert.executeUpdate();
                    }
                    c.commit();
                }
            }
            return ids.length / ((System.nanoTime() - start) / 1e9);
        }
    }

    /** Docs per second for SqliteStorage. */
    private double storage(Durability durability) throws Exception {
        Path dir = freshDirectory();
        try (SqliteStorage storage =
                SqliteStorage.open(dir, SqliteStorage.Options.defaults().withDurability(durability))) {
            long start = System.nanoTime();
            for (int b = 0; b < BATCHES; b++) {
                int batch = b;
                storage.write(tx -> {
                    for (int i = batch * BATCH; i < (batch + 1) * BATCH; i++) {
                        tx.insertIfAbsent("bench", ids[i].getBytes(StandardCharsets.UTF_8), true, bodies[i]);
                    }
                    return null;
                });
            }
            double docsPerSecond = ids.length / ((System.nanoTime() - start) / 1e9);
            assertThat(storage.<Long>read(tx -> tx.lastSequence())).isEqualTo((long) ids.length);
            return docsPerSecond;
        }
    }

    private void pointReads() throws Exception {
        try (SqliteStorage storage = SqliteStorage.open(freshDirectory(), SqliteStorage.Options.defaults())) {
            for (int b = 0; b < BATCHES; b++) {
                int batch = b;
                storage.write(tx -> {
                    for (int i = batch * BATCH; i < (batch + 1) * BATCH; i++) {
                        tx.insertIfAbsent("bench", ids[i].getBytes(StandardCharsets.UTF_8), true, bodies[i]);
                    }
                    tx.put("bench", ("tomb-" + batch).getBytes(StandardCharsets.UTF_8), false, new byte[0]);
                    return null;
                });
            }
            Random random = new Random(7);
            int n = 200_000;
            List<Long> perRead = new ArrayList<>(n);
            List<Long> perGet = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                byte[] id = ids[random.nextInt(ids.length)].getBytes(StandardCharsets.UTF_8);
                long t0 = System.nanoTime();
                DocumentStorage.Row row = storage.read(tx -> tx.get("bench", id));
                perRead.add(System.nanoTime() - t0);
                assertThat(row).isNotNull();
            }
            storage.read(tx -> {
                for (int i = 0; i < n; i++) {
                    byte[] id = ids[random.nextInt(ids.length)].getBytes(StandardCharsets.UTF_8);
                    long t0 = System.nanoTime();
                    tx.get("bench", id);
                    perGet.add(System.nanoTime() - t0);
                }
                return null;
            });
            perRead.sort(null);
            perGet.sort(null);
            System.out.printf(
                    "warm point read of %,d docs: read(tx -> tx.get) p50 %.1f us, p99 %.1f us;"
                            + " tx.get inside one read p50 %.1f us, p99 %.1f us%n",
                    ids.length,
                    perRead.get(n / 2) / 1e3,
                    perRead.get(n * 99 / 100) / 1e3,
                    perGet.get(n / 2) / 1e3,
                    perGet.get(n * 99 / 100) / 1e3);
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                long live = storage.read(tx -> tx.countLive("bench"));
                long t1 = System.nanoTime();
                long[] scanned = {0};
                storage.read(tx -> {
                    tx.scan("bench", true, row -> ++scanned[0] > 0);
                    return null;
                });
                long t2 = System.nanoTime();
                long collections = storage.read(tx -> tx.collections().size());
                long t3 = System.nanoTime();
                if (i == 2) {
                    System.out.printf(
                            "%,d live docs: countLive %.1f ms, live scan %.1f ms, collections() %.3f ms%n",
                            live, (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6);
                }
                assertThat(scanned[0]).isEqualTo(live);
                assertThat(collections).isEqualTo(1);
            }
        }
    }
}
