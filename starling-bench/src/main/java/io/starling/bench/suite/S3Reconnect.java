package io.starling.bench.suite;

import io.starling.bench.DocumentGenerator;
import io.starling.internal.engine.DefaultStarling;
import io.starling.internal.engine.InMemoryTransport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.automerge.Document;
import org.automerge.SyncState;

/**
 * S3, reconnect after k ∈ {1, 10, 100} changes (N ∈ {10k, 100k}; any N with --quick), bytes both ways and time.
 *
 * <ul>
 *   <li>warm: A and B met before; B was in sync, A makes k one-document updates, the link comes back. Starling
 *       resumes from its checkpoints (in-memory transport).
 *   <li>cold: both hold the same data but never met. Starling: a relay C is brought up to date from A, a fresh
 *       peer D_k is filled from C (D_k never talks to A), then A makes the k changes and D_k connects to A for the
 *       first time. Done = A sees D_k's acknowledgement of its last change; bytes are counted until the link has
 *       been quiet for 100 ms.
 *   <li>automerge-jni: warm keeps both SyncStates; cold is a fork of A (new actor, the same history) taken before
 *       the k changes, synced with fresh SyncStates.
 * </ul>
 */
final class S3Reconnect implements Scenario {
    static final int[] KS = {1, 10, 100};

    @Override
    public String id() {
        return "S3";
    }

    @Override
    public String title() {
        return "reconnect after k changes (warm: met before; cold: same data, never met)";
    }

    @Override
    public boolean appliesTo(int n, Context ctx) {
        return n >= 10_000 || ctx.quick;
    }

    @Override
    public List<BenchRecord> run(Context ctx, int n) throws Exception {
        List<BenchRecord> out = new ArrayList<>();
        measure(out, "starling", n, () -> starling(ctx, n));
        measure(out, "automerge-jni", n, () -> automerge(ctx, n));
        return out;
    }

    /** Syncs {@code to} from {@code from} and closes the link; returns {seconds, bytes both ways}. */
    static double[] syncOnce(DefaultStarling from, DefaultStarling to) {
        long seq = from.defaultStore().lastSequence();
        long peer = Bench.siteId(to);
        long start = System.nanoTime();
        InMemoryTransport.Link link = InMemoryTransport.connect(from, to);
        Bench.await("sync", () -> from.sync().hasReached(peer, seq));
        double seconds = (System.nanoTime() - start) / 1e9;
        Bench.awaitQuiet(() -> link.bytesAToB() + link.bytesBToA(), 100);
        double bytes = link.bytesAToB() + link.bytesBToA();
        link.close();
        Bench.await("disconnect", () -> from.sync().peers().stream().noneMatch(p -> p.peerId() == peer));
        return new double[] {seconds, bytes};
    }

    List<BenchRecord> starling(Context ctx, int n) throws Exception {
        String sys = "starling";
        List<BenchRecord> out = new ArrayList<>();
        Path dir = ctx.newDir("s3");
        try (DefaultStarling a = Bench.open(dir.resolve("a"));
                DefaultStarling b = Bench.open(dir.resolve("b"));
                DefaultStarling c = Bench.open(dir.resolve("c"))) {
            Bench.load(a, ctx.docs(n));
            b.sync().registerSubscription("SELECT * FROM docs", Map.of());
            c.sync().registerSubscription("SELECT * FROM docs", Map.of());
            syncOnce(a, b);
            int next = 0;
            for (int k : KS) {
                syncOnce(a, c); // the relay catches up with A
                Path dDir = dir.resolve("d" + k);
                try (DefaultStarling d = Bench.open(dDir)) {
                    d.sync().registerSubscription("SELECT * FROM docs", Map.of());
                    syncOnce(c, d); // D_k holds A's data, never met A
                    for (int i = 0; i < k; i++) {
                        a.store()
                                .execute(
                                        "UPDATE docs SET score = :s WHERE _id = :id",
                                        Map.of("s", -1L - next, "id", DocumentGenerator.id((int)
                                                ((next * 7919L) % n))));
                        next++;
                    }
                    double[] warm = syncOnce(a, b);
                    out.add(BenchRecord.of(id(), sys, n, "reconnect_bytes_k" + k + "_warm", warm[1], "B"));
                    out.add(BenchRecord.of(id(), sys, n, "reconnect_seconds_k" + k + "_warm", warm[0], "s"));
                    double[] cold = syncOnce(a, d);
                    out.add(BenchRecord.of(id(), sys, n, "reconnect_bytes_k" + k + "_cold", cold[1], "B"));
                    out.add(BenchRecord.of(id(), sys, n, "reconnect_seconds_k" + k + "_cold", cold[0], "s"));
                }
                Bench.delete(dDir);
            }
        } finally {
            Bench.delete(dir);
        }
        return out;
    }

    List<BenchRecord> automerge(Context ctx, int n) {
        String sys = "automerge-jni";
        List<BenchRecord> out = new ArrayList<>();
        List<Map<String, Object>> docs = ctx.docs(n);
        AmDocs a = AmDocs.create();
        Document b = new Document();
        SyncState sa = new SyncState(), sb = new SyncState();
        try {
            a.insertAll(docs);
            AmDocs.sync(a.doc, sa, b, sb);
            int next = 0;
            for (int k : KS) {
                Document d = a.doc.fork();
                try {
                    for (int i = 0; i < k; i++) {
                        a.setScore(DocumentGenerator.id((int) ((next * 7919L) % n)), -1L - next);
                        next++;
                    }
                    long start = System.nanoTime();
                    AmDocs.SyncStats warm = AmDocs.sync(a.doc, sa, b, sb);
                    double warmSeconds = (System.nanoTime() - start) / 1e9;
                    out.add(BenchRecord.of(
                            id(), sys, n, "reconnect_bytes_k" + k + "_warm", warm.bytesAToB() + warm.bytesBToA(), "B"));
                    out.add(BenchRecord.of(id(), sys, n, "reconnect_seconds_k" + k + "_warm", warmSeconds, "s"));
                    SyncState ca = new SyncState(), cd = new SyncState();
                    try {
                        start = System.nanoTime();
                        AmDocs.SyncStats cold = AmDocs.sync(a.doc, ca, d, cd);
                        double coldSeconds = (System.nanoTime() - start) / 1e9;
                        out.add(BenchRecord.of(
                                id(),
                                sys,
                                n,
                                "reconnect_bytes_k" + k + "_cold",
                                cold.bytesAToB() + cold.bytesBToA(),
                                "B"));
                        out.add(BenchRecord.of(id(), sys, n, "reconnect_seconds_k" + k + "_cold", coldSeconds, "s"));
                    } finally {
                        ca.free();
                        cd.free();
                    }
                } finally {
                    d.free();
                }
            }
        } finally {
            sa.free();
            sb.free();
            a.doc.free();
            b.free();
        }
        return out;
    }
}
