package io.starling.internal.storage.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.storage.DocumentStorage;
import io.starling.internal.storage.DocumentStorage.Row;
import io.starling.testsupport.Await;
import io.starling.testsupport.Seed;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trap of tailing a change log by sequence number: rows commit out of sequence order, and a reader that moves
 * its cursor to the highest number it has seen skips the rows that commit later with lower numbers. These tests show
 * the trap on the same server with a naive log (so the checks can fail), and that several PostgresStorage instances
 * on one database, committing concurrently, never make a tailing reader skip a row.
 */
class ChangeLogTailTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    /** A reader of the log: asks for rows above its cursor, then moves its cursor to the last one it got. */
    private static final class Tailer {
        long cursor;
        final List<Row> seen = new ArrayList<>();

        /** One poll; returns the number of rows it got. */
        int poll(DocumentStorage storage) {
            List<Row> batch = storage.read(tx -> {
                List<Row> rows = new ArrayList<>();
                tx.changesSince(cursor, 50, rows::add);
                return rows;
            });
            for (Row row : batch) {
                assertThat(row.sequence()).as("rows come in sequence order").isGreaterThan(cursor);
                cursor = row.sequence();
                seen.add(row);
            }
            return batch.size();
        }

        Set<String> seenIds() {
            Set<String> ids = new TreeSet<>();
            for (Row row : seen) ids.add(new String(row.id(), StandardCharsets.UTF_8));
            return ids;
        }
    }

    @Test
    void severalNodesCommittingConcurrentlyNeverMakeATailingReaderSkipARow(@Seed long seed) throws Exception {
        String url = TestPostgres.newSchemaUrl();
        int nodeCount = 3;
        int writersPerNode = 2;
        int transactionsPerWriter = 60;
        List<PostgresStorage> nodes = new ArrayList<>();
        for (int n = 0; n < nodeCount; n++) nodes.add(PostgresStorage.open(url, PostgresStorage.Options.defaults()));
        PostgresStorage readerNode = PostgresStorage.open(url, PostgresStorage.Options.defaults());
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        Set<String> rolledBack = ConcurrentHashMap.newKeySet();
        ExecutorService executor = Executors.newCachedThreadPool();
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int n = 0; n < nodeCount; n++) {
                for (int w = 0; w < writersPerNode; w++) {
                    PostgresStorage node = nodes.get(n);
                    String writer = "n" + n + "w" + w;
                    Random random = new Random(seed + 31L * n + w);
                    writers.add(executor.submit(() -> {
                        for (int t = 0; t < transactionsPerWriter; t++) {
                            List<String> ids = new ArrayList<>();
                            int rows = 1 + random.nextInt(3);
                            for (int r = 0; r < rows; r++) ids.add(writer + "-" + t + "-" + r);
                            boolean rollBack = random.nextInt(8) == 0;
                            try {
                                node.write(tx -> {
                                    for (String id : ids) {
                                        tx.put("c" + random.nextInt(3), utf8(id), true, utf8(id));
                                        // widen the window between taking a number and committing
                                        for (int i = random.nextInt(3); i > 0; i--) tx.get("c0", utf8(id));
                                    }
                                    if (rollBack) throw new IllegalStateException("rolled back on purpose");
                                    return null;
                                });
                                acknowledged.addAll(ids);
                            } catch (IllegalStateException e) {
                                rolledBack.addAll(ids);
                            }
                        }
                        return null;
                    }));
                }
            }
            Tailer tailer = new Tailer();
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (!writers.stream().allMatch(Future::isDone)) {
                tailer.poll(readerNode);
                assertThat(System.nanoTime())
                        .as("writers finish before the deadline")
                        .isLessThan(deadline);
            }
            for (Future<?> writer : writers) writer.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            long last = readerNode.read(DocumentStorage.ReadTx::lastSequence);
            while (tailer.cursor < last) {
                if (tailer.poll(readerNode) == 0) break;
            }

            assertThat(acknowledged).as("writes committed").isNotEmpty();
            assertThat(tailer.seenIds())
                    .as("the tailing reader saw every committed row, and only those (seed %d)", seed)
                    .isEqualTo(new TreeSet<>(acknowledged));
            assertThat(tailer.seenIds()).doesNotContainAnyElementsOf(rolledBack);
            // what the database holds is what the reader saw, row for row, number for number
            List<Row> stored = readerNode.read(tx -> {
                List<Row> rows = new ArrayList<>();
                tx.changesSince(0, Integer.MAX_VALUE, rows::add);
                return rows;
            });
            assertThat(stored)
                    .extracting(Row::sequence)
                    .containsExactlyElementsOf(
                            tailer.seen.stream().map(Row::sequence).toList());
            System.out.printf(
                    "%d nodes committed %d rows (%d rolled back) while a reader tailed them (%d rows seen); last sequence %d%n",
                    nodeCount, acknowledged.size(), rolledBack.size(), tailer.seen.size(), last);
        } finally {
            executor.shutdownNow();
            assertThat(executor.awaitTermination(DEADLINE.toSeconds(), TimeUnit.SECONDS))
                    .isTrue();
            for (PostgresStorage node : nodes) node.close();
            readerNode.close();
        }
    }

    /**
     * The trap itself, on this server, with a log numbered by a database SEQUENCE: a row that took its number first
     * but commits last is skipped by a reader that polled in between. The same interleaving is then tried with two
     * PostgresStorage nodes: the second writer cannot take a number until the first has committed.
     */
    @Test
    void theInterleavingThatSkipsARowOfANaiveLogCannotHappenAcrossNodes() throws Exception {
        String url = TestPostgres.newSchemaUrl();
        try (Connection a = DriverManager.getConnection(url);
                Connection b = DriverManager.getConnection(url);
                Connection reader = DriverManager.getConnection(url);
                Statement setup = reader.createStatement()) {
            setup.execute("CREATE TABLE naive_log (seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL)");
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            a.createStatement().execute("INSERT INTO naive_log (id) VALUES ('first')"); // takes 1, not committed
            b.createStatement().execute("INSERT INTO naive_log (id) VALUES ('second')"); // takes 2
            b.commit();
            long cursor = 0;
            List<String> seen = new ArrayList<>();
            cursor = pollNaive(reader, cursor, seen); // sees 2, moves past 1
            a.commit();
            cursor = pollNaive(reader, cursor, seen); // 1 is below the cursor: never seen
            assertThat(seen)
                    .as("the naive log's reader skipped the row that committed last")
                    .containsExactly("second");
            assertThat(cursor).isEqualTo(2);
        }

        try (PostgresStorage first = PostgresStorage.open(url, PostgresStorage.Options.defaults());
                PostgresStorage second = PostgresStorage.open(url, PostgresStorage.Options.defaults());
                PostgresStorage readerNode = PostgresStorage.open(url, PostgresStorage.Options.defaults())) {
            ExecutorService executor = Executors.newCachedThreadPool();
            try {
                CountDownLatch firstTookANumber = new CountDownLatch(1);
                CountDownLatch releaseFirst = new CountDownLatch(1);
                Future<Long> firstWrite = executor.submit(() -> first.write(tx -> {
                    long seq = tx.put("c", utf8("first"), true, utf8("1"));
                    firstTookANumber.countDown();
                    Await.latch("releaseFirst", DEADLINE, releaseFirst);
                    return seq;
                }));
                Await.latch("firstTookANumber", DEADLINE, firstTookANumber);
                Future<Long> secondWrite =
                        executor.submit(() -> second.write(tx -> tx.put("c", utf8("second"), true, utf8("2"))));
                // the second node's transaction waits on the counter row the first one holds
                Await.until("the second node waits for the counter lock", DEADLINE, () -> waitingOnALock(url));
                Tailer tailer = new Tailer();
                assertThat(tailer.poll(readerNode))
                        .as("nothing is committed yet")
                        .isZero();
                releaseFirst.countDown();
                assertThat(firstWrite.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS))
                        .isEqualTo(1);
                assertThat(secondWrite.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS))
                        .isEqualTo(2);
                while (tailer.poll(readerNode) > 0) {
                    // drain
                }
                assertThat(tailer.seenIds()).containsExactly("first", "second");
            } finally {
                executor.shutdownNow();
                assertThat(executor.awaitTermination(DEADLINE.toSeconds(), TimeUnit.SECONDS))
                        .isTrue();
            }
        }
    }

    private static long pollNaive(Connection reader, long cursor, List<String> seen) throws SQLException {
        try (var s = reader.prepareStatement("SELECT seq, id FROM naive_log WHERE seq > ? ORDER BY seq")) {
            s.setLong(1, cursor);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    cursor = rs.getLong(1);
                    seen.add(rs.getString(2));
                }
            }
        }
        return cursor;
    }

    /** Whether a backend of this database waits for a lock on starling_counter (the second node's first statement). */
    private static boolean waitingOnALock(String url) {
        try (Connection c = DriverManager.getConnection(url);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        + "AND query LIKE '%starling_counter%FOR UPDATE%'")) {
            return rs.next() && rs.getLong(1) > 0;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The same through the engine: nodes (engines on one database) commit transactions concurrently, some rolled back,
     * while a reader on another node follows the public change feed, woken by its commit observer — which, for the
     * other nodes' commits, is the node's tail of the shared log. The reader must see every committed document and
     * none of the rolled-back ones, and the write stamps must rise in log order: each write transaction starts from
     * the stored clock, so no node stamps below a commit it follows, and no two nodes share a stamp.
     */
    @Test
    void engineNodesCommittingConcurrentlyReachAChangeFeedReaderOnAnotherNodeWhole(@Seed long seed, @TempDir Path dir)
            throws Exception {
        String url = TestPostgres.newSchemaUrl();
        int nodeCount = 3;
        List<io.starling.Starling> nodes = new ArrayList<>();
        ExecutorService executor = Executors.newCachedThreadPool();
        try {
            for (int n = 0; n <= nodeCount; n++) {
                nodes.add(io.starling.Starling.open(io.starling.StarlingConfig.builder()
                        .storageUrl(url)
                        .databaseDirectory(dir.resolve("node" + n)) // each node's own files
                        .build()));
            }
            io.starling.Starling readerNode = nodes.get(nodeCount);
            java.util.concurrent.Semaphore woken = new java.util.concurrent.Semaphore(0);
            io.starling.ObserverHandle wake = readerNode.store().observeCommits(woken::release);
            Set<String> acknowledged = ConcurrentHashMap.newKeySet();
            Set<String> rolledBack = ConcurrentHashMap.newKeySet();
            List<Future<?>> writers = new ArrayList<>();
            for (int n = 0; n < nodeCount; n++) {
                for (int w = 0; w < 2; w++) {
                    io.starling.Starling node = nodes.get(n);
                    String writer = "n" + n + "w" + w;
                    Random random = new Random(seed + 31L * n + w);
                    writers.add(executor.submit(() -> {
                        for (int t = 0; t < 40; t++) {
                            List<String> ids = new ArrayList<>();
                            for (int r = 1 + random.nextInt(3); r > 0; r--) ids.add(writer + "-" + t + "-" + r);
                            boolean rollBack = random.nextInt(8) == 0;
                            try {
                                node.store().transaction(tx -> {
                                    for (String id : ids) {
                                        tx.execute(
                                                "INSERT INTO c" + random.nextInt(3) + " DOCUMENTS (:d)",
                                                java.util.Map.of("d", java.util.Map.of("_id", id)));
                                    }
                                    if (rollBack) throw new IllegalStateException("rolled back on purpose");
                                    return null;
                                });
                                acknowledged.addAll(ids);
                            } catch (IllegalStateException e) {
                                rolledBack.addAll(ids);
                            }
                        }
                        return null;
                    }));
                }
            }
            List<io.starling.StoreChange> seen = new ArrayList<>();
            long cursor = 0;
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (true) {
                boolean writing = !writers.stream().allMatch(Future::isDone);
                io.starling.StoreChange.Page page = readerNode.store().changes(cursor, 100, Set.of());
                seen.addAll(page.changes());
                cursor = page.cursor();
                if (page.changes().isEmpty()) {
                    if (!writing && seen.size() >= acknowledged.size()) break;
                    assertThat(woken.tryAcquire(DEADLINE.toMillis(), TimeUnit.MILLISECONDS))
                            .as(
                                    "the reader node's commit observer wakes it while rows are missing (seed %d; seen %d"
                                            + " of %d)",
                                    seed, seen.size(), acknowledged.size())
                            .isTrue();
                }
                assertThat(System.nanoTime()).as("done before the deadline").isLessThan(deadline);
            }
            wake.close();
            for (Future<?> writer : writers) writer.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);

            Set<String> seenIds = new TreeSet<>();
            for (io.starling.StoreChange c : seen) seenIds.add(c.idJson().replace("\"", ""));
            assertThat(seenIds)
                    .as(
                            "the change feed of another node holds every committed document, and only those (seed %d)",
                            seed)
                    .isEqualTo(new TreeSet<>(acknowledged));
            assertThat(seen).hasSize(acknowledged.size());
            assertThat(seenIds).doesNotContainAnyElementsOf(rolledBack);
            List<Long> stamps = seen.stream().map(io.starling.StoreChange::hlc).toList();
            for (int i = 1; i < stamps.size(); i++) {
                assertThat(stamps.get(i))
                        .as("write stamps rise in log order across nodes (entry %d, seed %d)", i, seed)
                        .isGreaterThan(stamps.get(i - 1));
            }
            System.out.printf(
                    "%d engine nodes committed %d documents (%d rolled back); another node's change feed saw them all%n",
                    nodeCount, acknowledged.size(), rolledBack.size());
        } finally {
            executor.shutdownNow();
            for (io.starling.Starling node : nodes) node.close();
        }
    }
}
