package io.starling.internal.storage.postgres;

import io.starling.ObserverHandle;
import io.starling.StarlingConfig;
import io.starling.internal.engine.DefaultStarling;
import io.starling.internal.storage.DocumentStorage;
import io.starling.internal.storage.SharedBlobs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * How long a commit on node A takes to reach a commit observer of node B (docs/SERVER.md, "Tailing the change log"),
 * with the commit signal (LISTEN/NOTIFY, plus the 1 s safety poll) and without it (the 50 ms poll alone: the same
 * storage behind a wrapper that has no signal), in alternate rounds of one run; and what two idle nodes cost the
 * database in transactions per second each way. Figures only: nothing is asserted about speed. Run: {@code mvn -pl
 * starling-storage-postgres -am -Pslow test -Dtest=NodeLatencyBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("slow")
final class NodeLatencyBenchmarkTest {
    private static final int ROUNDS = 4;
    private static final int WRITES_PER_ROUND = 100;

    /** The storage without its commit signal: the tail polls every 50 ms, as before the signal. */
    private record NoSignal(DocumentStorage inner) implements DocumentStorage {
        @Override
        public <T> T write(WriteWork<T> work) {
            return inner.write(work);
        }

        @Override
        public <T> T read(ReadWork<T> work) {
            return inner.read(work);
        }

        @Override
        public @Nullable SharedBlobs sharedBlobs() {
            return inner.sharedBlobs();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    @Test
    void commitToAnotherNodesObserver() throws Exception {
        Random random = new Random(7);
        long[][] latencies = new long[2][ROUNDS * WRITES_PER_ROUND];
        double[][] idle = new double[2][ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            for (int mode = 0; mode < 2; mode++) {
                boolean signal =
                        (round % 2 == 0) == (mode == 0); // even rounds start with the signal, odd with the poll
                int m = signal ? 0 : 1;
                String url = TestPostgres.newSchemaUrl();
                Path dir = Files.createTempDirectory("node-latency");
                try (DefaultStarling a = node(url, dir.resolve("a"), signal);
                        DefaultStarling b = node(url, dir.resolve("b"), signal)) {
                    if (signal) {
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                        while (!b.tailListening() && System.nanoTime() < deadline) {
                            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                        }
                    }
                    AtomicLong seen = new AtomicLong();
                    try (ObserverHandle h = b.store().observeCommits(() -> seen.set(System.nanoTime()))) {
                        for (int i = 0; i < WRITES_PER_ROUND + 10; i++) {
                            // a random pause, so that writes do not fall into step with the poll
                            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(random.nextInt(30_000)));
                            long before = System.nanoTime();
                            seen.set(0);
                            a.store()
                                    .execute(
                                            "INSERT INTO tasks DOCUMENTS (:d)",
                                            Map.of("d", Map.of("_id", "w" + i, "title", "t")));
                            long deadline = before + TimeUnit.SECONDS.toNanos(60);
                            while (seen.get() < before && System.nanoTime() < deadline) {
                                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100));
                            }
                            if (i >= 10) latencies[m][round * WRITES_PER_ROUND + i - 10] = seen.get() - before;
                        }
                    }
                    idle[m][round] = idleTransactionsPerSecond(url);
                }
            }
        }
        for (int m = 0; m < 2; m++) {
            long[] l = latencies[m];
            System.out.printf(
                    "%s: a commit on node A reaches node B's commit observer in p50 %.2f ms, p90 %.2f ms, p99 %.2f ms,"
                            + " max %.2f ms (%d writes, %d rounds alternating); two idle nodes: %s transactions/s%n",
                    m == 0 ? "LISTEN/NOTIFY (+1 s safety poll)" : "50 ms poll only",
                    percentile(l, 50) / 1e6,
                    percentile(l, 90) / 1e6,
                    percentile(l, 99) / 1e6,
                    percentile(l, 100) / 1e6,
                    l.length,
                    ROUNDS,
                    Arrays.toString(idle[m]));
        }
    }

    private static DefaultStarling node(String url, Path dir, boolean signal) {
        PostgresStorage storage =
                PostgresStorage.open(url, PostgresStorage.Options.defaults().withValues(DocumentValues.INSTANCE));
        DocumentStorage s = signal ? storage : new NoSignal(storage);
        return DefaultStarling.open(
                StarlingConfig.builder().databaseDirectory(dir).appId("tasks").build(),
                dir,
                s,
                Clock.systemUTC(),
                new SecureRandom(),
                true);
    }

    /** Transactions committed on the database per second over 5 s while both nodes are idle. */
    private static double idleTransactionsPerSecond(String url) throws SQLException {
        // backends report their counts to the statistics up to a second late: let the writes' counts in first
        LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(3));
        long before = committedTransactions(url);
        long start = System.nanoTime();
        LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(5));
        long after = committedTransactions(url);
        // the two counting queries are transactions too
        return Math.round((after - before - 1) * 10.0 / ((System.nanoTime() - start) / 1e9)) / 10.0;
    }

    private static long committedTransactions(String url) throws SQLException {
        try (Connection c = DriverManager.getConnection(url);
                Statement s = c.createStatement()) {
            s.execute("SELECT pg_stat_clear_snapshot()");
            try (ResultSet rs =
                    s.executeQuery("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static double percentile(long[] values, int p) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.max(0, Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1))];
    }
}
