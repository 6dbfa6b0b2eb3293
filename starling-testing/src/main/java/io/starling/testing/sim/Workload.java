package io.starling.testing.sim;

import io.starling.ErrorCode;
import io.starling.QueryResult;
import io.starling.StarlingException;
import io.starling.TransactionWork;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.index.IndexKeyCodec;
import io.starling.internal.storage.DocumentStorage;
import io.starling.testing.sim.SimPeer.SubscriptionSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The application side of the simulation: random statements at random peers over a small id space (so that
 * documents collide), transactions, evictions and subscription changes. Every statement that returns normally
 * and changes a document becomes an {@link AckedWrite}; a refused statement must leave the store untouched.
 */
final class Workload {
    static final String[] COLLECTIONS = {"a", "b", "c"};

    /** The subscriptions peers choose from: whole collections, a filter on an immutable field, and mutable ones. */
    static final List<SubscriptionSpec> CATALOG = List.of(
            new SubscriptionSpec("a", "SELECT * FROM a", Map.of()),
            new SubscriptionSpec("a", "SELECT * FROM a WHERE grp = :g", Map.of("g", 0L)),
            new SubscriptionSpec("a", "SELECT * FROM a WHERE grp = :g", Map.of("g", 1L)),
            new SubscriptionSpec("b", "SELECT * FROM b", Map.of()),
            new SubscriptionSpec("b", "SELECT * FROM b WHERE n > :min", Map.of("min", 2L)),
            new SubscriptionSpec("c", "SELECT * FROM c", Map.of()),
            new SubscriptionSpec("c", "SELECT * FROM c WHERE x IS NOT MISSING", Map.of()));

    private final Simulation sim;
    private final Random rnd;
    final int idSpace;
    final List<AckedWrite> writes = new ArrayList<>();
    /** Every eviction, in order: the peer, the document, and how many writes had been acknowledged by then. */
    final List<Eviction> evictions = new ArrayList<>();

    /** {@code peer} evicted {@code doc} after {@code writesBefore} acknowledged writes (of any document). */
    record Eviction(int peer, DocKey doc, int writesBefore) {}

    int statements, refused, transactions;

    /** Some seeds write documents larger than a frame (64 KiB), which travel in parts and continued batches. */
    private final boolean bigDocuments;
    /** Relative frequencies of {@link #ACTIONS}, drawn per seed: some seeds are heavy on counters, some on evictions. */
    private final double[] weights;

    Workload(Simulation sim, Random rnd) {
        this.sim = sim;
        this.rnd = rnd;
        this.idSpace = 3 + rnd.nextInt(6);
        this.bigDocuments = rnd.nextDouble() < 0.15;
        this.weights = mix();
    }

    /** The subscriptions a peer starts with. */
    void initialSubscriptions(SimPeer p) {
        if (rnd.nextDouble() < 0.85) p.subscribe(CATALOG.get(0));
        else p.subscribe(CATALOG.get(1 + rnd.nextInt(2)));
        if (rnd.nextDouble() < 0.6) p.subscribe(CATALOG.get(3));
        else if (rnd.nextDouble() < 0.5) p.subscribe(CATALOG.get(4));
        if (rnd.nextDouble() < 0.5) p.subscribe(CATALOG.get(5 + rnd.nextInt(2)));
    }

    static final String[] ACTIONS = {
        "insert", "update", "increment", "delete", "evict", "update many", "transaction", "subscription change"
    };
    private static final double[] BASE_WEIGHTS = {26, 22, 12, 8, 3, 4, 15, 10};

    /** This seed's mix of actions: the base weights, each scaled by a factor from 1/4 to 4. */
    private double[] mix() {
        double[] w = new double[BASE_WEIGHTS.length];
        for (int i = 0; i < w.length; i++) w[i] = BASE_WEIGHTS[i] * Math.pow(4, 2 * rnd.nextDouble() - 1);
        return w;
    }

    /** One random application action at {@code p} (which is up). */
    void act(SimPeer p) {
        double total = 0;
        for (double w : weights) total += w;
        double r = rnd.nextDouble() * total;
        int kind = 0;
        while (kind < weights.length - 1 && r >= weights[kind]) r -= weights[kind++];
        sim.noteAction("at peer " + p.index + " (" + ACTIONS[kind] + ")");
        switch (kind) {
            case 0 -> insert(p);
            case 1 -> update(p);
            case 2 -> increment(p);
            case 3 -> delete(p);
            case 4 -> evict(p);
            case 5 -> updateMany(p);
            case 6 -> transaction(p);
            default -> changeSubscription(p);
        }
    }

    // ---- statements -------------------------------------------------------------------------------------

    /** A statement on documents of one collection, with what it means for each document it may change. */
    private record Stmt(String collection, String text, Map<String, Object> args, Map<Long, DocOp> ops) {}

    private String collection() {
        return COLLECTIONS[rnd.nextInt(COLLECTIONS.length)];
    }

    private long id() {
        return rnd.nextInt(idSpace);
    }

    private Stmt insertStmt(String c, long id) {
        LinkedHashMap<String, Value> doc = new LinkedHashMap<>();
        doc.put("_id", Value.of(id));
        doc.put("grp", Value.of(id % 2));
        if (rnd.nextDouble() < 0.7) doc.put("x", scalar());
        if (rnd.nextDouble() < 0.5) doc.put("y", scalar());
        if (rnd.nextDouble() < 0.5) doc.put("n", Value.of(rnd.nextInt(10)));
        if (rnd.nextDouble() < 0.4) {
            LinkedHashMap<String, Value> o = new LinkedHashMap<>();
            if (rnd.nextBoolean()) o.put("p", scalar());
            if (rnd.nextBoolean()) o.put("q", scalar());
            doc.put("o", new Value.Obj(o));
        }
        if (rnd.nextDouble() < 0.25) doc.put("tags", array());
        if (bigDocuments && rnd.nextDouble() < 0.1) {
            doc.put("blob", Value.of((char) ('a' + rnd.nextInt(26)) + "-".repeat(10_000 + rnd.nextInt(90_000))));
        }
        String[] modes = {"FAIL", "DO_NOTHING", "DO_UPDATE", "DO_UPDATE_LOCAL_DIFF"};
        int m = rnd.nextInt(100);
        String mode = modes[m < 30 ? 0 : m < 45 ? 1 : m < 85 ? 2 : 3];
        String clause = mode.equals("FAIL") && rnd.nextBoolean()
                ? ""
                : " ON ID CONFLICT "
                        + mode.replace("DO_UPDATE_LOCAL_DIFF", "DO UPDATE_LOCAL_DIFF")
                                .replace("DO_", "DO ");
        Value.Obj fields = new Value.Obj(doc);
        return new Stmt(
                c,
                "INSERT INTO " + c + " DOCUMENTS (:doc)" + clause,
                Map.of("doc", fields),
                Map.of(id, new DocOp.Insert(fields, mode)));
    }

    private Stmt updateStmt(String c, long id) {
        List<DocOp.FieldChange> applies = new ArrayList<>(), sets = new ArrayList<>(), unsets = new ArrayList<>();
        boolean[] groups = new boolean[5];
        int k = 1 + rnd.nextInt(3);
        for (int i = 0; i < k; i++) groups[rnd.nextInt(5)] = true;
        if (groups[0]) field(List.of("x"), sets, unsets);
        if (groups[1]) field(List.of("y"), sets, unsets);
        if (groups[2]) {
            int r = rnd.nextInt(10);
            if (r < 5) applies.add(new DocOp.Increment(List.of("n"), amount()));
            else if (r < 7) applies.add(new DocOp.Restart(List.of("n"), Value.of(rnd.nextInt(5))));
            else sets.add(new DocOp.Set(List.of("n"), Value.of(rnd.nextInt(10))));
        }
        if (groups[3]) sets.add(new DocOp.Set(List.of("tags"), array()));
        if (groups[4]) {
            int r = rnd.nextInt(10);
            if (r < 2) {
                LinkedHashMap<String, Value> o = new LinkedHashMap<>();
                if (rnd.nextBoolean()) o.put("p", scalar());
                o.put("q", scalar());
                sets.add(new DocOp.Set(List.of("o"), new Value.Obj(o)));
            } else if (r < 3) {
                sets.add(new DocOp.Set(List.of("o"), scalar()));
            } else if (r < 4) {
                unsets.add(new DocOp.Unset(List.of("o")));
            } else if (r < 5) {
                applies.add(new DocOp.Increment(List.of("o", "c"), amount()));
            } else {
                field(List.of("o", "p"), sets, unsets);
                if (rnd.nextBoolean()) field(List.of("o", "q"), sets, unsets);
            }
        }
        List<DocOp.FieldChange> all = new ArrayList<>(applies);
        all.addAll(sets);
        all.addAll(unsets);
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("id", id);
        StringBuilder sql = new StringBuilder("UPDATE ").append(c);
        int a = 0;
        for (DocOp.FieldChange ch : applies) {
            sql.append(" APPLY ").append(String.join(".", ch.path()));
            if (ch instanceof DocOp.Increment inc) {
                sql.append(" INCREMENT BY :v").append(a);
                args.put("v" + a++, inc.amount());
            } else {
                sql.append(" RESTART WITH :v").append(a);
                args.put("v" + a++, ((DocOp.Restart) ch).value());
            }
        }
        for (int i = 0; i < sets.size(); i++) {
            DocOp.Set s = (DocOp.Set) sets.get(i);
            sql.append(i == 0 ? " SET " : ", ")
                    .append(String.join(".", s.path()))
                    .append(" = :v")
                    .append(a);
            args.put("v" + a++, s.value());
        }
        for (int i = 0; i < unsets.size(); i++) {
            sql.append(i == 0 ? " UNSET " : ", ")
                    .append(String.join(".", unsets.get(i).path()));
        }
        sql.append(" WHERE _id = :id");
        return new Stmt(c, sql.toString(), args, Map.of(id, new DocOp.Update(all)));
    }

    private void field(List<String> path, List<DocOp.FieldChange> sets, List<DocOp.FieldChange> unsets) {
        if (rnd.nextInt(4) == 0) unsets.add(new DocOp.Unset(path));
        else sets.add(new DocOp.Set(path, scalar()));
    }

    private Stmt incrementStmt(String c, long id) {
        List<String> path = rnd.nextInt(5) == 0 ? List.of("o", "c") : List.of("n");
        Value amount = amount();
        return new Stmt(
                c,
                "UPDATE " + c + " APPLY " + String.join(".", path) + " INCREMENT BY :k WHERE _id = :id",
                Map.of("k", amount, "id", id),
                Map.of(id, new DocOp.Update(List.of(new DocOp.Increment(path, amount)))));
    }

    private Stmt deleteStmt(String c, long id) {
        return new Stmt(c, "DELETE FROM " + c + " WHERE _id = :id", Map.of("id", id), Map.of(id, new DocOp.Delete()));
    }

    private Value scalar() {
        return switch (rnd.nextInt(6)) {
            case 0, 1 -> Value.of(rnd.nextInt(20) - 5);
            case 2 -> Value.of("s" + rnd.nextInt(8));
            case 3 -> Value.of(rnd.nextBoolean());
            case 4 -> Value.NULL;
            default -> Value.of(rnd.nextInt(8) + 0.5);
        };
    }

    private Value array() {
        List<Value> items = new ArrayList<>();
        int n = rnd.nextInt(4);
        for (int i = 0; i < n; i++) items.add(scalar());
        return new Value.Arr(items);
    }

    private Value amount() {
        return rnd.nextInt(8) == 0 ? Value.of(0.5) : Value.of(rnd.nextInt(9) - 3);
    }

    // ---- actions ----------------------------------------------------------------------------------------

    private void insert(SimPeer p) {
        String c = collection();
        run(p, List.of(insertStmt(c, id())));
    }

    private void update(SimPeer p) {
        String c = collection();
        run(p, List.of(updateStmt(c, id())));
    }

    private void increment(SimPeer p) {
        String c = collection();
        run(p, List.of(incrementStmt(c, id())));
    }

    private void delete(SimPeer p) {
        String c = collection();
        run(p, List.of(deleteStmt(c, id())));
    }

    /** UPDATE … WHERE grp = :g: one statement writing several documents. */
    private void updateMany(SimPeer p) {
        String c = collection();
        long g = rnd.nextInt(2);
        Value v = scalar();
        Map<Long, DocOp> ops = new TreeMap<>();
        for (long id = g; id < idSpace; id += 2) ops.put(id, new DocOp.Update(List.of(new DocOp.Set(List.of("x"), v))));
        run(p, List.of(new Stmt(c, "UPDATE " + c + " SET x = :v WHERE grp = :g", Map.of("v", v, "g", g), ops)));
    }

    /** Two to four statements on distinct documents, in one transaction. */
    private void transaction(SimPeer p) {
        int n = 2 + rnd.nextInt(3);
        List<Stmt> stmts = new ArrayList<>();
        Set<DocKey> used = new TreeSet<>();
        for (int i = 0; i < n; i++) {
            String c = collection();
            long id = id();
            if (!used.add(new DocKey(c, id))) continue;
            int r = rnd.nextInt(10);
            stmts.add(
                    r < 4
                            ? insertStmt(c, id)
                            : r < 7 ? updateStmt(c, id) : r < 9 ? incrementStmt(c, id) : deleteStmt(c, id));
        }
        transactions++;
        run(p, stmts);
    }

    private void evict(SimPeer p) {
        String c = collection();
        long id = id();
        long seq = p.lastSequence();
        QueryResult r = p.db().store().execute("EVICT FROM " + c + " WHERE _id = :id", Map.of("id", id));
        statements++;
        sim.trace
                .event("evict", sim.now)
                .add(p.index)
                .add(c)
                .add(id)
                .add(r.mutatedDocumentIds().size());
        for (Object o : r.mutatedDocumentIds()) {
            DocKey d = new DocKey(c, ((Number) o).longValue());
            evictions.add(new Eviction(p.index, d, writes.size()));
            for (AckedWrite w : writes) {
                if (w.peer != p.index || !w.doc.equals(d) || w.heldAtEviction != null) continue;
                // where the write got to: held there, and not merely superseded (its stamp is still in the state;
                // what superseded it may be discarded by evictions later, and then the write never escaped)
                Set<Integer> held = new TreeSet<>();
                for (SimPeer q : sim.peers) {
                    DocumentState st = storedState(q, d);
                    if (q != p && st.merge(w.after).equals(st) && StateCodecReader.holdsStamp(st.encode(), w.stamp)) {
                        held.add(q.index);
                    }
                }
                w.heldAtEviction = held;
            }
        }
        sim.afterLocalWrite(p, seq);
    }

    private void changeSubscription(SimPeer p) {
        List<SubscriptionSpec> mine = p.subscriptions;
        if (!mine.isEmpty() && rnd.nextInt(5) < 2) {
            SubscriptionSpec s = mine.get(rnd.nextInt(mine.size()));
            p.unsubscribe(s);
            sim.trace.event("unsubscribe", sim.now).add(p.index).add(s.toString());
        } else {
            SubscriptionSpec s = CATALOG.get(rnd.nextInt(CATALOG.size()));
            p.subscribe(s);
            sim.trace.event("subscribe", sim.now).add(p.index).add(s.toString());
        }
        sim.subscriptionsChanged(p);
    }

    /** The committed state of a document in a peer's storage (readable while the peer is down, too). */
    static DocumentState storedState(SimPeer q, DocKey d) {
        byte[] id = IndexKeyCodec.encodeId(d.idValue());
        return q.disk.read(tx -> {
            DocumentStorage.Row row = tx.get(d.collection(), id);
            return row == null ? DocumentState.empty() : DocumentState.decode(row.state());
        });
    }

    /**
     * Runs statements (one alone, several in a transaction) and records what they acknowledged. A refused
     * statement (an id conflict, an increment of a non-number) must change nothing at all.
     */
    private void run(SimPeer p, List<Stmt> stmts) {
        if (stmts.isEmpty()) return;
        Map<DocKey, DocumentState> before = new TreeMap<>();
        for (Stmt s : stmts) {
            for (long id : s.ops().keySet()) {
                DocKey d = new DocKey(s.collection(), id);
                before.put(d, p.db().defaultStore().documentState(d.collection(), d.idValue()));
            }
        }
        long seq = p.lastSequence();
        List<QueryResult> results = new ArrayList<>();
        statements += stmts.size();
        try {
            if (stmts.size() == 1) {
                results.add(
                        p.db().store().execute(stmts.get(0).text(), stmts.get(0).args()));
            } else {
                // returns null, as TransactionWork<T extends @Nullable Object> allows; NullAway checks that bound
                // only in its JSpecify mode
                @SuppressWarnings("NullAway")
                TransactionWork<@Nullable Void> all = tx -> {
                    for (Stmt s : stmts) results.add(tx.execute(s.text(), s.args()));
                    return null;
                };
                p.db().store().transaction(all);
            }
        } catch (StarlingException e) {
            ErrorCode code = e.errorCode();
            if (code != ErrorCode.DOCUMENT_ID_CONFLICT && code != ErrorCode.DOCUMENT_INVALID) throw e;
            refused++;
            sim.trace.event("refused", sim.now).add(p.index).add(code.code());
            if (p.lastSequence() != seq) {
                throw new IllegalStateException(
                        "a refused statement changed the store of " + p + ": " + e.getMessage());
            }
            return;
        }
        for (int i = 0; i < stmts.size(); i++) {
            Stmt s = stmts.get(i);
            for (Object o : results.get(i).mutatedDocumentIds()) {
                long id = ((Number) o).longValue();
                DocOp op = s.ops().get(id);
                if (op == null)
                    throw new IllegalStateException(s.text() + " changed document " + id + ", which it does not name");
                DocKey d = new DocKey(s.collection(), id);
                record(
                        p,
                        d,
                        op,
                        Objects.requireNonNull(before.get(d)),
                        p.db().defaultStore().documentState(d.collection(), d.idValue()));
            }
        }
        sim.afterLocalWrite(p, seq);
    }

    private void record(SimPeer p, DocKey d, DocOp op, DocumentState before, DocumentState after) {
        Stamp stamp = after.maxStamp();
        sim.trace
                .event("ack", sim.now)
                .add(p.index)
                .add(d.collection())
                .add(d.id())
                .add(after.encode());
        if (!stamp.after(before.maxStamp())) return; // it stored nothing new (UNSET below a non-object)
        writes.add(new AckedWrite(writes.size(), p.index, p.site, d, op, stamp, before, after, sim.now));
    }
}
