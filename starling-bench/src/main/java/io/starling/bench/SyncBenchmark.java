package io.starling.bench;

import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.internal.engine.DefaultStarling;
import io.starling.internal.engine.InMemoryTransport;
import io.starling.internal.sync.SyncStoreView;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * Sync budgets (docs/BENCHMARKS.md, "Budgets"), from byte-counting transports (two SQLite-backed peers in one JVM over the
 * in-memory transport):
 *
 * <ol>
 *   <li>initial sync of N ~200-byte documents (N = 10k and 100k): wire bytes both ways against the encoded
 *       payload (the sum of the documents' encoded ids and states, what must cross) — budget ≤ 1.3×; time;
 *   <li>a reconnect after 10 changes in 100k documents: bytes and messages — budget ≤ 16 KB;
 *   <li>peak heap used during the 100k initial sync (sampled every 5 ms), for the whole JVM (both peers).
 * </ol>
 *
 * Usage: {@code bench/sync [--max N]} (default 100000). Run with {@code STARLING_BENCH_JAVA_OPTS=-Xmx64m} to
 * show the 100k sync fits in a 64 MB heap.
 */
public final class SyncBenchmark {
    public static void main(String[] args) throws Exception {
        int max = 100_000;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--max")) max = Integer.parseInt(args[++i]);
            else throw new IllegalArgumentException("unknown option " + args[i] + " (use --max N)");
        }
        System.out.printf(
                "machine: %d cores, java %s, max heap %d MB%n%n",
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"),
                Runtime.getRuntime().maxMemory() >> 20);
        System.out.println(
                "| scenario | documents | payload bytes | wire bytes (both ways) | ratio | messages | seconds | docs/s | peak heap MB |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        for (int n : new int[] {10_000, 100_000}) {
            if (n > max) continue;
            run(n);
        }
    }

    static void run(int n) throws Exception {
        Path dir = Files.createTempDirectory("starling-sync-bench");
        try (DefaultStarling a = open(dir.resolve("a"));
                DefaultStarling b = open(dir.resolve("b"))) {
            LiveQueryBenchmark.load(a, n);
            long payload = payload(a);
            b.sync().registerSubscription("SELECT * FROM docs", Map.of());

            System.gc();
            PeakHeap peak = new PeakHeap();
            long start = System.nanoTime();
            InMemoryTransport.Link link = InMemoryTransport.connect(a, b);
            long seq = a.defaultStore().lastSequence();
            long peerB = b.config().siteId().getAsLong();
            await(() -> a.sync().hasReached(peerB, seq));
            double seconds = (System.nanoTime() - start) / 1e9;
            long peakMb = peak.stop() >> 20;
            long wire = link.bytesAToB() + link.bytesBToA();
            System.out.printf(
                    "| initial sync | %d | %d | %d | %.3f× | %d | %.2f | %.0f | %d |%n",
                    n,
                    payload,
                    wire,
                    (double) wire / payload,
                    link.messagesAToB() + link.messagesBToA(),
                    seconds,
                    n / seconds,
                    peakMb);
            link.close();
            await(() -> a.sync().peers().isEmpty() && b.sync().peers().isEmpty());

            for (int i = 0; i < 10; i++) {
                a.store()
                        .execute(
                                "UPDATE docs SET score = :s WHERE _id = :id",
                                Map.of("s", -1L - i, "id", DocumentGenerator.id(i * (n / 10))));
            }
            long seq2 = a.defaultStore().lastSequence();
            start = System.nanoTime();
            InMemoryTransport.Link again = InMemoryTransport.connect(a, b);
            await(() -> a.sync().hasReached(peerB, seq2));
            double reconnect = (System.nanoTime() - start) / 1e9;
            long bytes = again.bytesAToB() + again.bytesBToA();
            System.out.printf(
                    "| reconnect after 10 changes | %d | | %d | (budget ≤ 16,384 B) | %d | %.3f | | |%n",
                    n, bytes, again.messagesAToB() + again.messagesBToA(), reconnect);
            again.close();
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    static DefaultStarling open(Path dir) {
        return (DefaultStarling) Starling.open(
                StarlingConfig.builder().databaseDirectory(dir).appId("bench").build());
    }

    /** The encoded ids and states of every row: what a sync must move at least. */
    public static long payload(DefaultStarling db) {
        long total = 0;
        byte[] after = null;
        while (true) {
            List<SyncStoreView.Row> rows = db.syncStore().scanCollection("docs", after, 10_000);
            if (rows.isEmpty()) return total;
            for (SyncStoreView.Row r : rows) total += r.id().length + r.state().length;
            after = rows.get(rows.size() - 1).id();
        }
    }

    static void await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + 600_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("sync did not finish in 10 minutes");
            LockSupport.parkNanos(200_000);
        }
    }
}
