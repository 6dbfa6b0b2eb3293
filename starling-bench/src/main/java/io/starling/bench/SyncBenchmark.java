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
 * Usage: {@code bench/sync [--max N]} (default 100000); {@code bench/sync --cold N}: peers that never met, N shared
 * documents and 1 … 10,000 differences, by ranges and by summaries ({@link #cold}). Run with {@code STARLING_BENCH_JAVA_OPTS=-Xmx64m} to
 * show the 100k sync fits in a 64 MB heap.
 */
public final class SyncBenchmark {
    public static void main(String[] args) throws Exception {
        int max = 100_000;
        int cold = 0;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--max")) max = Integer.parseInt(args[++i]);
            else if (args[i].equals("--cold")) cold = Integer.parseInt(args[++i]);
            else throw new IllegalArgumentException("unknown option " + args[i] + " (use --max N, --cold N)");
        }
        if (cold > 0) {
            cold(cold);
            return;
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

    /**
     * Peers that never met (docs/SYNC-PROTOCOL.md, "Peers that never met"): A holds {@code n} documents, D1 and D2
     * got the same states through a relay C and never met A. For each k, A changes k documents, then each D meets A
     * as if for the first time (its checkpoints forgotten): D1 reconciles by ranges, D2 is a peer without range
     * reconciliation and sends a summary. Bytes both ways, RANGES rounds, messages and time until A sees D's
     * acknowledgement of its last change.
     */
    static void cold(int n) throws Exception {
        Path dir = Files.createTempDirectory("starling-cold-bench");
        try (DefaultStarling a = open(dir.resolve("a"));
                DefaultStarling c = open(dir.resolve("c"));
                DefaultStarling d1 = open(dir.resolve("d1"));
                DefaultStarling d2 = open(dir.resolve("d2"))) {
            d2.useSessionConfig(io.starling.internal.sync.SessionConfig.builder()
                    .ranges(false)
                    .build());
            LiveQueryBenchmark.load(a, n);
            for (DefaultStarling s : new DefaultStarling[] {c, d1, d2})
                s.sync().registerSubscription("SELECT * FROM docs", Map.of());
            syncOnce(a, c);
            syncOnce(c, d1);
            syncOnce(c, d2);
            System.out.println("| documents | differences | peer D | bytes A→D | bytes D→A | both ways | RANGES rounds "
                    + "| messages | seconds |");
            System.out.println("|---:|---:|---|---:|---:|---:|---:|---:|---:|");
            int next = 0;
            for (int k : new int[] {1, 10, 100, 1_000, 10_000}) {
                if (k > n) break;
                for (int i = 0; i < k; i++, next++) {
                    a.store()
                            .execute(
                                    "UPDATE docs SET score = :s WHERE _id = :id",
                                    Map.of("s", -1L - next, "id", DocumentGenerator.id((int) ((next * 7919L) % n))));
                }
                for (DefaultStarling d : new DefaultStarling[] {d1, d2}) {
                    d.syncStore().forgetCheckpoints(); // D has never met A, as far as the protocol can tell
                    long seq = a.defaultStore().lastSequence();
                    long peer = d.config().siteId().getAsLong();
                    long start = System.nanoTime();
                    InMemoryTransport.Link link = InMemoryTransport.connect(a, d);
                    await(() -> a.sync().hasReached(peer, seq));
                    double seconds = (System.nanoTime() - start) / 1e9;
                    awaitQuiet(link);
                    System.out.printf(
                            "| %d | %d | %s | %,d | %,d | %,d | %d | %d | %.3f |%n",
                            n,
                            k,
                            d == d1 ? "ranges" : "summaries (no CAP_RANGES)",
                            link.bytesAToB(),
                            link.bytesBToA(),
                            link.bytesAToB() + link.bytesBToA(),
                            link.messagesBToA(14),
                            link.messagesAToB() + link.messagesBToA(),
                            seconds);
                    link.close();
                    await(() -> a.sync().peers().isEmpty());
                }
            }
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    private static void syncOnce(DefaultStarling from, DefaultStarling to) {
        long seq = from.defaultStore().lastSequence();
        long peer = to.config().siteId().getAsLong();
        InMemoryTransport.Link link = InMemoryTransport.connect(from, to);
        await(() -> from.sync().hasReached(peer, seq));
        link.close();
        await(() -> from.sync().peers().isEmpty());
    }

    /** Until the link carried nothing for 100 ms (the last acknowledgements and presence). */
    private static void awaitQuiet(InMemoryTransport.Link link) {
        long last = -1, since = System.nanoTime();
        while (System.nanoTime() - since < 100_000_000L) {
            long now = link.bytesAToB() + link.bytesBToA();
            if (now != last) {
                last = now;
                since = System.nanoTime();
            }
            LockSupport.parkNanos(5_000_000);
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
