package io.starling.internal.storage.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.storage.DocumentStorage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What a write costs on the embedded PostgreSQL (loopback, fsync off: the storage's own cost, not the disk's), for
 * docs/STORAGE.md: batches of 1,000 new 200-byte documents in one write transaction, single-document write
 * transactions (the counter row locked and written back each time), and point reads. Figures only: nothing is
 * asserted about speed. Run: {@code mvn -pl starling-storage-postgres -am -Pslow test
 * -Dtest=PostgresCostBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("slow")
final class PostgresCostBenchmarkTest {
    @Test
    void writeAndReadCosts() {
        Random random = new Random(1);
        try (PostgresStorage storage =
                PostgresStorage.open(TestPostgres.newSchemaUrl(), PostgresStorage.Options.defaults())) {
            int batches = 30;
            int batchSize = 1000;
            long[] batchNanos = new long[batches];
            List<byte[]> allIds = new ArrayList<>();
            for (int b = 0; b < batches; b++) {
                List<byte[]> ids = new ArrayList<>();
                List<byte[]> states = new ArrayList<>();
                for (int i = 0; i < batchSize; i++) {
                    ids.add(UUID.randomUUID().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    byte[] state = new byte[200];
                    random.nextBytes(state);
                    states.add(state);
                }
                allIds.addAll(ids);
                long start = System.nanoTime();
                storage.write(tx -> tx.insertAllIfAbsent("docs", ids, true, states));
                batchNanos[b] = System.nanoTime() - start;
            }
            int singles = 1000;
            long[] singleNanos = new long[singles];
            for (int i = 0; i < singles; i++) {
                byte[] id = allIds.get(random.nextInt(allIds.size()));
                long start = System.nanoTime();
                storage.write(tx -> tx.put("docs", id, true, new byte[200]));
                singleNanos[i] = System.nanoTime() - start;
            }
            int reads = 2000;
            long[] readNanos = new long[reads];
            for (int i = 0; i < reads; i++) {
                byte[] id = allIds.get(random.nextInt(allIds.size()));
                long start = System.nanoTime();
                DocumentStorage.Row row = storage.read(tx -> tx.get("docs", id));
                readNanos[i] = System.nanoTime() - start;
                assertThat(row).isNotNull();
            }
            long[] measured = Arrays.copyOfRange(batchNanos, 5, batches); // the first batches warm up
            System.out.printf(
                    "batches of %d inserts: median %.1f ms (%.0f docs/s); single-document write transactions: p50 %.2f ms,"
                            + " p99 %.2f ms; read transactions with one get: p50 %.2f ms, p99 %.2f ms%n",
                    batchSize,
                    percentile(measured, 50) / 1e6,
                    batchSize / (percentile(measured, 50) / 1e9),
                    percentile(singleNanos, 50) / 1e6,
                    percentile(singleNanos, 99) / 1e6,
                    percentile(readNanos, 50) / 1e6,
                    percentile(readNanos, 99) / 1e6);
        }
    }

    private static double percentile(long[] values, int p) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }
}
