package io.starling.bench.suite;

import io.starling.internal.engine.DefaultStarling;
import io.starling.internal.engine.InMemoryTransport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.automerge.Document;
import org.automerge.NewValue;
import org.automerge.ObjectId;
import org.automerge.SyncState;
import org.automerge.Transaction;
import org.jspecify.annotations.Nullable;

/**
 * S4, concurrent edits on two disconnected replicas of one document, then a sync: does each system converge
 * (both replicas show the same document, unit "bool") and by what rule (unit "text"). B always writes after A
 * in wall-clock time. Cases: {@code same_field} (both set {@code name}), {@code different_fields} (A sets
 * {@code name}, B sets {@code score}), {@code delete_vs_update} (A deletes the document, B updates a field),
 * {@code counter} (a counter at 1, each side adds 1). Deterministic: one run, at the first N only.
 */
final class S4Concurrent implements Scenario {
    static final List<String> CASES = List.of("same_field", "different_fields", "delete_vs_update", "counter");

    @Override
    public String id() {
        return "S4";
    }

    @Override
    public String title() {
        return "concurrent edits: convergence and merge rule";
    }

    @Override
    public boolean appliesTo(int n, Context ctx) {
        return ctx.sizes.isEmpty() || n == ctx.sizes.get(0);
    }

    @Override
    public int runs(int requested) {
        return 1;
    }

    @Override
    public List<BenchRecord> run(Context ctx, int n) throws Exception {
        List<BenchRecord> out = new ArrayList<>();
        measure(out, "starling", n, () -> starling(ctx, n));
        measure(out, "automerge-jni", n, () -> automerge(n));
        return out;
    }

    private static void both(DefaultStarling a, DefaultStarling b) {
        long seqA = a.defaultStore().lastSequence(), seqB = b.defaultStore().lastSequence();
        long idA = Bench.siteId(a), idB = Bench.siteId(b);
        Bench.await("S4 sync", () -> a.sync().hasReached(idB, seqA) && b.sync().hasReached(idA, seqB), 60);
    }

    private static @Nullable Map<String, Object> get(DefaultStarling db, String id) {
        var items = db.store()
                .execute("SELECT * FROM docs WHERE _id = :id", Map.of("id", id))
                .items();
        return items.isEmpty() ? null : items.get(0).value();
    }

    List<BenchRecord> starling(Context ctx, int n) throws Exception {
        String sys = "starling";
        List<BenchRecord> out = new ArrayList<>();
        Path dir = ctx.newDir("s4");
        try (DefaultStarling a = Bench.open(dir.resolve("a"));
                DefaultStarling b = Bench.open(dir.resolve("b"))) {
            a.sync().registerSubscription("SELECT * FROM docs", Map.of());
            b.sync().registerSubscription("SELECT * FROM docs", Map.of());
            for (String c : CASES) {
                a.store()
                        .execute(
                                "INSERT INTO docs DOCUMENTS (:d)",
                                Map.of("d", Map.of("_id", c, "name", "start", "score", 0L)));
            }
            a.store().execute("UPDATE docs APPLY hits INCREMENT BY 1 WHERE _id = 'counter'");
            InMemoryTransport.Link link = InMemoryTransport.connect(a, b);
            both(a, b);
            link.close();
            Bench.await(
                    "S4 disconnect",
                    () -> a.sync().peers().isEmpty() && b.sync().peers().isEmpty(),
                    60);

            a.store().execute("UPDATE docs SET name = 'from-A' WHERE _id = 'same_field'");
            a.store().execute("UPDATE docs SET name = 'from-A' WHERE _id = 'different_fields'");
            a.store().execute("DELETE FROM docs WHERE _id = 'delete_vs_update'");
            a.store().execute("UPDATE docs APPLY hits INCREMENT BY 1 WHERE _id = 'counter'");
            Thread.sleep(2); // B's writes are later in wall-clock time (so in HLC order)
            b.store().execute("UPDATE docs SET name = 'from-B' WHERE _id = 'same_field'");
            b.store().execute("UPDATE docs SET score = 7 WHERE _id = 'different_fields'");
            b.store().execute("UPDATE docs SET score = 9 WHERE _id = 'delete_vs_update'");
            b.store().execute("UPDATE docs APPLY hits INCREMENT BY 1 WHERE _id = 'counter'");

            link = InMemoryTransport.connect(a, b);
            both(a, b);
            Bench.awaitQuiet(
                    () -> a.defaultStore().lastSequence() + b.defaultStore().lastSequence(), 100);
            both(a, b);
            for (String c : CASES) {
                Map<String, Object> da = get(a, c), db = get(b, c);
                out.add(BenchRecord.of(id(), sys, n, "converged_" + c, Objects.equals(da, db) ? 1 : 0, "bool"));
                String rule = switch (c) {
                    case "same_field" ->
                        da == null ? "lost" : "LWW by HLC stamp: '" + da.get("name") + "' kept (the later write)";
                    case "different_fields" ->
                        da != null
                                        && "from-A".equals(da.get("name"))
                                        && da.get("score") instanceof Number x
                                        && x.doubleValue() == 7
                                ? "both kept (per-field merge)"
                                : "one lost: " + da;
                    case "delete_vs_update" ->
                        da == null
                                ? "delete wins (the later update stays hidden in the tombstone)"
                                : "update wins: " + da;
                    default -> da == null ? "lost" : "counter " + da.get("hits") + " (increments add up)";
                };
                out.add(BenchRecord.text(id(), sys, n, "rule_" + c, rule));
            }
            link.close();
        } finally {
            Bench.delete(dir);
        }
        return out;
    }

    List<BenchRecord> automerge(int n) {
        String sys = "automerge-jni";
        List<BenchRecord> out = new ArrayList<>();
        AmDocs a = AmDocs.create();
        try (Transaction tx = a.doc.startTransaction()) {
            for (String c : CASES) {
                AmDocs.put(tx, Objects.requireNonNull(a.docs), Map.of("_id", c, "name", "start", "score", 0L));
            }
            tx.commit();
        }
        ObjectId ctr = a.docId("counter");
        try (Transaction tx = a.doc.startTransaction()) {
            tx.set(ctr, "hits", NewValue.counter(1));
            tx.commit();
        }
        Document bDoc = a.doc.fork(); // B: a replica with its own actor id, same history
        AmDocs b = AmDocs.wrap(bDoc);
        SyncState sa = new SyncState(), sb = new SyncState();
        try {
            try (Transaction tx = a.doc.startTransaction()) {
                tx.set(a.docId("same_field"), "name", "from-A");
                tx.set(a.docId("different_fields"), "name", "from-A");
                tx.delete(a.docs, "delete_vs_update");
                tx.increment(a.docId("counter"), "hits", 1);
                tx.commit();
            }
            try (Transaction tx = b.doc.startTransaction()) {
                tx.set(b.docId("same_field"), "name", "from-B");
                tx.set(b.docId("different_fields"), "score", NewValue.integer(7));
                tx.set(b.docId("delete_vs_update"), "score", NewValue.integer(9));
                tx.increment(b.docId("counter"), "hits", 1);
                tx.commit();
            }
            AmDocs.sync(a.doc, sa, b.doc, sb);
            for (String c : CASES) {
                Map<String, Object> da = a.lookup(c), db = b.lookup(c);
                out.add(BenchRecord.of(id(), sys, n, "converged_" + c, Objects.equals(da, db) ? 1 : 0, "bool"));
                String rule = switch (c) {
                    case "same_field" ->
                        da == null
                                ? "lost"
                                : "LWW by (Lamport counter, actor id): '" + da.get("name")
                                        + "' shown (the other stays readable as a conflict)";
                    case "different_fields" ->
                        da != null
                                        && "from-A".equals(da.get("name"))
                                        && da.get("score") instanceof Number x
                                        && x.doubleValue() == 7
                                ? "both kept (per-field merge)"
                                : "one lost: " + da;
                    case "delete_vs_update" ->
                        da == null
                                ? "delete wins (the key stays deleted; the nested update is orphaned)"
                                : "update wins: " + da;
                    default -> da == null ? "lost" : "counter " + da.get("hits") + " (increments add up)";
                };
                out.add(BenchRecord.text(id(), sys, n, "rule_" + c, rule));
            }
        } finally {
            sa.free();
            sb.free();
            a.doc.free();
            bDoc.free();
        }
        return out;
    }
}
