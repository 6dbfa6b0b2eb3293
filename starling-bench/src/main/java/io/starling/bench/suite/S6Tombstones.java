package io.starling.bench.suite;

import io.starling.bench.DocumentGenerator;
import io.starling.internal.engine.DefaultStarling;
import io.starling.internal.engine.InMemoryTransport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.automerge.Document;
import org.automerge.NewValue;
import org.automerge.SyncState;
import org.automerge.Transaction;

/**
 * S6, tombstones: insert N, update every document 10 times (Starling: 10 × {@code UPDATE docs SET score =
 * score + 1}; Automerge: 10 passes of one set per document, transactions of 1,000), delete 90% (the documents
 * whose number is not a multiple of 10). Then a fresh peer's initial sync bytes (both ways) and the size at rest:
 * Starling's database directory after close (SQLite checkpoints its WAL on close; no tombstone purge), Automerge's
 * {@code save()} length.
 */
final class S6Tombstones implements Scenario {
    @Override
    public String id() {
        return "S6";
    }

    @Override
    public String title() {
        return "tombstones: insert N, 10 updates each, delete 90%; fresh peer sync and size at rest";
    }

    @Override
    public List<BenchRecord> run(Context ctx, int n) throws Exception {
        List<BenchRecord> out = new ArrayList<>();
        measure(out, "starling", n, () -> starling(ctx, n));
        measure(out, "automerge-jni", n, () -> automerge(ctx, n));
        return out;
    }

    List<BenchRecord> starling(Context ctx, int n) throws Exception {
        String sys = "starling";
        List<BenchRecord> out = new ArrayList<>();
        Path dir = ctx.newDir("s6");
        try {
            try (DefaultStarling a = Bench.open(dir.resolve("a"));
                    DefaultStarling f = Bench.open(dir.resolve("fresh"))) {
                Bench.load(a, ctx.docs(n));
                for (int i = 0; i < 10; i++) a.store().execute("UPDATE docs SET score = score + 1");
                a.store().execute("DELETE FROM docs WHERE category != 'c0'");
                f.sync().registerSubscription("SELECT * FROM docs", Map.of());
                long seq = a.defaultStore().lastSequence();
                long peer = Bench.siteId(f);
                InMemoryTransport.Link link = InMemoryTransport.connect(a, f);
                Bench.await("S6 sync", () -> a.sync().hasReached(peer, seq));
                Bench.awaitQuiet(() -> link.bytesAToB() + link.bytesBToA(), 100);
                out.add(BenchRecord.of(id(), sys, n, "fresh_sync_bytes", link.bytesAToB() + link.bytesBToA(), "B"));
                link.close();
            }
            out.add(BenchRecord.of(id(), sys, n, "disk_bytes", Bench.directorySize(dir.resolve("a")), "B"));
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
        Document f = new Document();
        SyncState sa = new SyncState(), sf = new SyncState();
        try {
            a.insertAll(docs);
            List<org.automerge.ObjectId> ids = new ArrayList<>(n);
            for (int i = 0; i < n; i++) ids.add(a.docId(DocumentGenerator.id(i)));
            for (int round = 1; round <= 10; round++) {
                for (int from = 0; from < n; from += Bench.BATCH) {
                    try (Transaction tx = a.doc.startTransaction()) {
                        for (int i = from; i < Math.min(n, from + Bench.BATCH); i++) {
                            tx.set(
                                    ids.get(i),
                                    "score",
                                    NewValue.integer((Long) Objects.requireNonNull(
                                                    docs.get(i).get("score"))
                                            + round));
                        }
                        tx.commit();
                    }
                }
            }
            for (int from = 0; from < n; from += Bench.BATCH) {
                try (Transaction tx = a.doc.startTransaction()) {
                    for (int i = from; i < Math.min(n, from + Bench.BATCH); i++)
                        if (i % 10 != 0) tx.delete(a.docs, DocumentGenerator.id(i));
                    tx.commit();
                }
            }
            AmDocs.SyncStats s = AmDocs.sync(a.doc, sa, f, sf);
            out.add(BenchRecord.of(id(), sys, n, "fresh_sync_bytes", s.bytesAToB() + s.bytesBToA(), "B"));
            out.add(BenchRecord.of(id(), sys, n, "encoded_bytes", a.doc.save().length, "B"));
        } finally {
            sa.free();
            sf.free();
            a.doc.free();
            f.free();
        }
        return out;
    }
}
