package io.starling.bench;

import io.starling.internal.core.Value;
import io.starling.internal.engine.DefaultStarling;
import io.starling.internal.query.Permissions;
import io.starling.internal.sync.Message;
import io.starling.internal.sync.Principal;
import io.starling.internal.sync.RemoteIdentity;
import io.starling.internal.sync.SessionConfig;
import io.starling.internal.sync.SessionListener;
import io.starling.internal.sync.Subscription;
import io.starling.internal.sync.SyncSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Sync throughput with permissions enforced against the same sync without (docs/BENCHMARKS.md, "Permissions"): two
 * SQLite-backed peers in one JVM, their two sessions driven back to back on one thread (messages encoded and decoded
 * as on the wire, no transport, no waiting), an initial sync of N documents that the remote may all read and write.
 * With permissions on, the sender's session holds the receiver to a read permission and the receiver's store holds
 * the sender to a write permission, each of two DQL conditions per document ({@code category = :metadata.category},
 * which is false for 90% of them, then {@code score >= 0}); off, both sides are unrestricted (a shared-key peer).
 * Runs alternate off/on, fresh stores each time; the best of each is reported, with the ratio on/off.
 *
 * <p>Usage: {@code bench/permissions [--docs N] [--rounds R]} (defaults 20,000 and 3).
 */
public final class PermissionsBenchmark {
    private static final Permissions PERMISSIONS = Permissions.parse(Value.fromJava(Map.of(
            "read",
            Map.of("queriesByCollection", Map.of("docs", List.of("category = :metadata.category", "score >= 0"))),
            "write",
            Map.of("queriesByCollection", Map.of("docs", List.of("category = :metadata.category", "score >= 0"))))));

    private PermissionsBenchmark() {}

    public static void main(String[] args) throws Exception {
        int docs = 20_000, rounds = 3;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--docs" -> docs = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                default ->
                    throw new IllegalArgumentException("unknown option " + args[i] + " (use --docs N, --rounds R)");
            }
        }
        System.out.printf(
                "machine: %d cores, java %s, max heap %d MB; %d documents, best of %d rounds%n",
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"),
                Runtime.getRuntime().maxMemory() >> 20,
                docs,
                rounds);
        run(docs / 10, false); // warm-up of both paths
        run(docs / 10, true);
        double[] off = {Double.MAX_VALUE, Double.MAX_VALUE}, on = {Double.MAX_VALUE, Double.MAX_VALUE};
        for (int r = 0; r < rounds; r++) {
            best(off, run(docs, false));
            best(on, run(docs, true));
        }
        System.out.printf(
                "permissions off: %.2f s wall (%.0f docs/s), %.2f s CPU (%.0f docs/CPU-s)%n",
                off[0], docs / off[0], off[1], docs / off[1]);
        System.out.printf(
                "permissions on:  %.2f s wall (%.0f docs/s), %.2f s CPU (%.0f docs/CPU-s)%n",
                on[0], docs / on[0], on[1], docs / on[1]);
        System.out.printf(
                "ratio on/off (throughput): %.2f× by wall time, %.2f× by CPU time (requirement ≥ 0.80×)%n",
                off[0] / on[0], off[1] / on[1]);
    }

    private static void best(double[] best, double[] run) {
        best[0] = Math.min(best[0], run[0]);
        best[1] = Math.min(best[1], run[1]);
    }

    /**
     * One initial sync of {@code n} documents from a to b: the seconds it took, wall and CPU of this thread (which
     * runs both sessions and both stores' SQLite work; the CPU time is what a loaded machine does not distort).
     */
    static double[] run(int n, boolean permissions) throws Exception {
        Path dir = Files.createTempDirectory("starling-permissions-bench");
        try (DefaultStarling a = SyncBenchmark.open(dir.resolve("a"));
                DefaultStarling b = SyncBenchmark.open(dir.resolve("b"))) {
            LiveQueryBenchmark.load(a, n);
            long last = a.defaultStore().lastSequence();
            long siteA = a.config().siteId().getAsLong(),
                    siteB = b.config().siteId().getAsLong();
            Value.Obj metadata = (Value.Obj) Value.fromJava(Map.of("category", "c0"));
            Principal bSeenByA =
                    permissions ? a.syncStore().principal("reader", metadata, PERMISSIONS) : Principal.UNRESTRICTED;
            Principal aSeenByB =
                    permissions ? b.syncStore().principal("writer", metadata, PERMISSIONS) : Principal.UNRESTRICTED;
            SyncSession sa = new SyncSession(
                    a.syncStore(), SessionConfig.defaults(), SessionListener.NONE, new RemoteIdentity(siteB, bSeenByA));
            SyncSession sb = new SyncSession(
                    b.syncStore(), SessionConfig.defaults(), SessionListener.NONE, new RemoteIdentity(siteA, aSeenByB));
            sb.setSubscriptions(List.of(Subscription.of("docs", "SELECT * FROM docs", Value.Obj.EMPTY)));
            ArrayDeque<byte[]> toA = new ArrayDeque<>(), toB = new ArrayDeque<>();
            java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
            long start = System.nanoTime(), startCpu = cpu.getCurrentThreadCpuTime();
            send(sa, sa.start(), toB);
            send(sb, sb.start(), toA);
            while (!toA.isEmpty() || !toB.isEmpty()) {
                if (!toB.isEmpty()) send(sb, sb.onFrame(toB.poll()), toA);
                if (!toA.isEmpty()) send(sa, sa.onFrame(toA.poll()), toB);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpuSeconds = (cpu.getCurrentThreadCpuTime() - startCpu) / 1e9;
            if (sa.ackedSequence() < last || sa.isClosed() || sb.isClosed())
                throw new IllegalStateException("the sync did not complete: acknowledged " + sa.ackedSequence() + " of "
                        + last + ", closed " + sa.closeReason() + "/" + sb.closeReason());
            long held = b.syncStore()
                    .scanCollection("docs", null, Integer.MAX_VALUE)
                    .size();
            if (held != n) throw new IllegalStateException("the receiver holds " + held + " of " + n + " documents");
            if (sa.withheld() != 0 || sb.denied() != 0)
                throw new IllegalStateException("a permitted document was refused");
            return new double[] {seconds, cpuSeconds};
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    private static void send(SyncSession from, List<Message> out, ArrayDeque<byte[]> to) {
        for (Message m : out) to.add(from.encode(m));
    }
}
