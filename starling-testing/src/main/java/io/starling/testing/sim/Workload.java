package io.starling.testing.sim;

import io.starling.ErrorCode;
import io.starling.QueryResult;
import io.starling.StarlingException;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.sync.SyncStoreView;
import io.starling.internal.sync.ZombieRule;
import io.starling.testing.check.Observed;
import io.starling.testing.check.WriteStamp;
import io.starling.testing.model.DocumentHistory;
import io.starling.testing.model.DocumentModel;
import io.starling.testing.model.ModelOp;
import io.starling.testing.model.ModelStamp;
import io.starling.testing.model.ModelStatement;
import io.starling.testing.model.ModelValues;
import io.starling.testing.model.ModelWrite;
import io.starling.testing.model.Plan;
import io.starling.testing.model.RandomOps;
import io.starling.testing.sim.SimPeer.SubscriptionSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/*
 * Design note — the workload and what it expects.
 *
 * Every statement is issued with its meaning for each document it may touch (a ModelOp). Before it runs, the model
 * plans it against the writer's knowledge (Knowledge: the writes that replica has received, followed by the
 * simulator, not read from the engine): will it write, change nothing, not match, or be refused — and with which
 * effects. The statement's outcome must agree: a refusal the model predicts and no other, exactly the mutated ids
 * the model says, a new stamp in the writer's state for every document written (read with the model's own codec
 * reader: newer than the state before, the writer's site, not behind its clock, above its previous stamps), nothing
 * changed elsewhere, and then the writer's visible document equal to the model's. Any disagreement is a problem of
 * the run. Only then does the write join the writer's knowledge, with the effects the model derived.
 */

/**
 * The application side of the simulation: random statements at random peers over a small id space of mixed id kinds
 * (so that documents collide), transactions, evictions, subscription changes, simultaneous writes at peers whose
 * clocks agree (stamp ties), tombstone purges and, in some seeds, documents moving in and out of filtered
 * subscriptions (hints).
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

    /** Every document of every collection. */
    static final SubscriptionSpec EVERY = new SubscriptionSpec("*", "SELECT * FROM *", Map.of());

    static final String[] ACTIONS = {
        "insert",
        "update",
        "increment",
        "delete",
        "evict",
        "update many",
        "transaction",
        "subscription change",
        "simultaneous writes",
        "purge",
        "move in or out of a filter"
    };
    private static final double[] BASE_WEIGHTS = {26, 22, 12, 8, 3, 4, 15, 10, 6, 0, 0};

    private final Simulation sim;
    private final Random rnd;
    /** This seed's document ids: integers, strings, booleans and composite ids, mixed. */
    final List<Object> ids;

    final List<AckedWrite> writes = new ArrayList<>();
    /** Per document, its acknowledged writes as issued (the model's record of them). */
    private final Map<DocKey, DocumentHistory> histories = new TreeMap<>();

    int statements, refused, transactions, bursts, purges;

    /** Some seeds move documents in and out of filtered subscriptions all the time: many hints. */
    final boolean manyHints;
    /**
     * Some seeds give server nodes and some devices the subscription to every collection ({@code SELECT * FROM *}),
     * drawn from a stream of its own so that the seed's other draws stay what they were.
     */
    final boolean everyCollection;

    private final Random everyRnd;
    /** Some seeds purge tombstones older than this (0: never). */
    final long retentionMillis;
    /** The statements on one document; some seeds use amounts near the float range (one sign per seed). */
    private final RandomOps draw;
    /** Relative frequencies of {@link #ACTIONS}, drawn per seed. */
    private final double[] weights;

    /** Per peer, the greatest stamp of its earlier statements: a site's stamps only grow, across restarts too. */
    private final ModelStamp[] lastStamp;
    /** The stamps of the statement (or transaction) being recorded: each document gets a fresh one. */
    private final List<ModelStamp> statementStamps = new ArrayList<>();

    Workload(Simulation sim, Random rnd, long retentionMillis) {
        this.sim = sim;
        this.rnd = rnd;
        this.ids = drawIds(3 + rnd.nextInt(6));
        boolean bigDocuments = rnd.nextDouble() < 0.15;
        this.manyHints = rnd.nextDouble() < 0.2;
        this.everyRnd = new Random(sim.options().seed() * 0xD1B54A32D192ED03L + 0x4F1BBCDCBFA53E0BL);
        this.everyCollection = everyRnd.nextDouble() < 0.4;
        double huge = rnd.nextDouble() < 0.1 ? (rnd.nextBoolean() ? 1.5e308 : -1.5e308) : 0;
        // some seeds write documents larger than a frame (64 KiB), which travel in parts and continued batches
        this.draw = new RandomOps(rnd, huge, bigDocuments ? 0.1 : 0, 10_000, 100_000);
        this.retentionMillis = retentionMillis;
        this.weights = mix();
        this.lastStamp = new ModelStamp[sim.peerCount];
        Arrays.fill(lastStamp, ModelStamp.ZERO);
    }

    /** Ids of every kind the data model allows; each seed mixes them differently. */
    private List<Object> drawIds(int n) {
        double intShare = rnd.nextDouble(), strShare = rnd.nextDouble() * (1 - intShare);
        List<Object> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        while (out.size() < n) {
            double r = rnd.nextDouble();
            Object id;
            if (r < intShare) {
                // 2^53 + 1 is the first integer a double cannot hold: an id passed through a float would change
                long[] special = {-7, 1L << 40, (1L << 53) + 1, Long.MIN_VALUE, Long.MAX_VALUE};
                id = rnd.nextInt(6) == 0 ? special[rnd.nextInt(special.length)] : (long) rnd.nextInt(10);
            } else if (r < intShare + strShare) {
                id = new String[] {"s0", "s1", "", "é-3", "10", "日本\uD83D\uDE00"}[rnd.nextInt(6)];
            } else if (r < intShare + strShare + 0.1) {
                id = rnd.nextBoolean();
            } else if (rnd.nextBoolean()) {
                id = Map.of("k", (long) rnd.nextInt(3), "r", new String[] {"x", "y"}[rnd.nextInt(2)]);
            } else {
                id = Map.of("a", Map.of("b", (long) rnd.nextInt(2)), "t", rnd.nextBoolean());
            }
            if (seen.add(ModelValues.text(ModelValues.canonical(id)))) out.add(ModelValues.canonical(id));
        }
        return out;
    }

    /** This seed's mix of actions: the base weights, each scaled by a factor from 1/4 to 4. */
    private double[] mix() {
        double[] w = new double[BASE_WEIGHTS.length];
        for (int i = 0; i < w.length; i++) w[i] = BASE_WEIGHTS[i] * Math.pow(4, 2 * rnd.nextDouble() - 1);
        if (retentionMillis > 0) w[9] = 4 + rnd.nextInt(8);
        if (manyHints) w[10] = 30 + rnd.nextInt(40);
        return w;
    }

    /** The subscriptions a peer starts with. */
    void initialSubscriptions(SimPeer p) {
        if (p.node()) { // a server holds all of the app's data
            if (everyCollection) p.subscribe(EVERY);
            else for (int i : new int[] {0, 3, 5}) p.subscribe(CATALOG.get(i));
            return;
        }
        if (everyCollection && everyRnd.nextDouble() < 0.3) p.subscribe(EVERY); // besides what it draws below
        if (manyHints) { // filters that documents move in and out of, next to whole collections
            p.subscribe(CATALOG.get(rnd.nextInt(3)));
            p.subscribe(CATALOG.get(rnd.nextInt(4) == 0 ? 3 : 4));
            p.subscribe(CATALOG.get(rnd.nextInt(4) == 0 ? 5 : 6));
            return;
        }
        if (rnd.nextDouble() < 0.85) p.subscribe(CATALOG.get(0));
        else p.subscribe(CATALOG.get(1 + rnd.nextInt(2)));
        if (rnd.nextDouble() < 0.6) p.subscribe(CATALOG.get(3));
        else if (rnd.nextDouble() < 0.5) p.subscribe(CATALOG.get(4));
        if (rnd.nextDouble() < 0.5) p.subscribe(CATALOG.get(5 + rnd.nextInt(2)));
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
            case 0 -> run(p, List.of(insertStmt(collection(), id())));
            case 1 -> run(p, List.of(updateStmt(collection(), id())));
            case 2 -> run(p, List.of(incrementStmt(collection(), id())));
            case 3 -> run(p, List.of(deleteStmt(collection(), id())));
            case 4 -> evict(p);
            case 5 -> updateMany(p);
            case 6 -> transaction(p);
            case 7 -> changeSubscription(p);
            case 8 -> simultaneous(p);
            case 9 -> purge(p);
            default -> moveAcrossFilters(p);
        }
    }

    // ---- statements -------------------------------------------------------------------------------------

    /** A statement on documents of one collection, with what it asks of each document it may change. */
    private record Stmt(String collection, String text, Map<String, Object> args, Map<DocKey, ModelOp> ops) {}

    private String collection() {
        return COLLECTIONS[rnd.nextInt(COLLECTIONS.length)];
    }

    private Object id() {
        return ids.get(rnd.nextInt(ids.size()));
    }

    /** The document's group (0 or 1, never changed): its position in this seed's ids, mod 2. */
    private long grp(Object id) {
        return ids.indexOf(id) % 2;
    }

    /** An id as the application passes it: composite ids with their keys in a random order (which must not matter). */
    private Object shuffled(Object id) {
        if (!(id instanceof Map<?, ?> m)) return id;
        List<String> keys = new ArrayList<>();
        for (Object k : m.keySet()) keys.add((String) k);
        Collections.shuffle(keys, rnd);
        LinkedHashMap<String, Object> out = new LinkedHashMap<>();
        for (String k : keys) out.put(k, shuffled(java.util.Objects.requireNonNull(m.get(k))));
        return out;
    }

    private Stmt insertStmt(String c, Object id) {
        RandomOps.DrawnInsert ins = draw.insert(grp(id));
        return stmt(c, id, ModelStatement.insert(c, shuffled(id), ins.op(), ins.conflictClause()), ins.op());
    }

    private static Stmt stmt(String c, Object id, ModelStatement s, ModelOp op) {
        return new Stmt(c, s.text(), s.args(), Map.of(new DocKey(c, id), op));
    }

    private Stmt updateStmt(String c, Object id) {
        return updateStmt(c, id, draw.update());
    }

    private Stmt incrementStmt(String c, Object id) {
        return updateStmt(c, id, draw.increment());
    }

    private Stmt updateStmt(String c, Object id, ModelOp.Update op) {
        return stmt(c, id, ModelStatement.update(c, shuffled(id), op), op);
    }

    private Stmt deleteStmt(String c, Object id) {
        return stmt(c, id, ModelStatement.delete(c, shuffled(id)), new ModelOp.Delete());
    }

    private @Nullable Object scalar() {
        return draw.scalar();
    }

    // ---- actions ----------------------------------------------------------------------------------------

    /** UPDATE … WHERE grp = :g: one statement writing several documents (those that exist, for the writer). */
    private void updateMany(SimPeer p) {
        String c = collection();
        long g = rnd.nextInt(2);
        Object v = scalar();
        Map<DocKey, ModelOp> ops = new TreeMap<>();
        for (Object id : ids) {
            if (grp(id) == g) ops.put(new DocKey(c, id), new ModelOp.Update(List.of(new ModelOp.Set(List.of("x"), v))));
        }
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("v", v);
        args.put("g", g);
        run(p, List.of(new Stmt(c, "UPDATE " + c + " SET x = :v WHERE grp = :g", args, ops)));
    }

    /** Two to four statements on distinct documents, in one transaction. */
    private void transaction(SimPeer p) {
        int n = 2 + rnd.nextInt(3);
        List<Stmt> stmts = new ArrayList<>();
        Set<DocKey> used = new TreeSet<>();
        for (int i = 0; i < n; i++) {
            String c = collection();
            Object id = id();
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

    /**
     * Two or three peers whose clocks read the same millisecond write the same document at the same virtual
     * instant: their stamps usually tie on the hlc, and the site ids (compared unsigned) decide.
     */
    private void simultaneous(SimPeer first) {
        List<SimPeer> same = new ArrayList<>();
        for (SimPeer q : sim.peers) {
            if (q.up() && q.clock.millis() == first.clock.millis()) same.add(q);
        }
        if (same.size() < 2) {
            run(first, List.of(updateStmt(collection(), id())));
            return;
        }
        Collections.shuffle(same, rnd);
        bursts++;
        String c = collection();
        Object id = id();
        int kind = rnd.nextInt(4);
        for (SimPeer q : same.subList(0, Math.min(same.size(), 2 + rnd.nextInt(2)))) {
            Stmt s = switch (kind) {
                case 0 -> updateStmt(c, id, new ModelOp.Update(List.of(new ModelOp.Set(List.of("x"), scalar()))));
                case 1 -> updateStmt(c, id, new ModelOp.Update(List.of(new ModelOp.Set(List.of("o", "p"), scalar()))));
                case 2 -> incrementStmt(c, id);
                default -> insertStmt(c, id);
            };
            run(q, List.of(s));
        }
    }

    /** Seeds with many hints: a document moves in or out of the filters {@code n > 2} and {@code x IS NOT MISSING}. */
    private void moveAcrossFilters(SimPeer p) {
        Object id = id();
        if (rnd.nextBoolean()) {
            ModelOp.Change ch = new ModelOp.Set(List.of("n"), rnd.nextBoolean() ? 0L : 5L);
            run(p, List.of(updateStmt("b", id, new ModelOp.Update(List.of(ch)))));
        } else {
            ModelOp.Change ch =
                    rnd.nextBoolean() ? new ModelOp.Unset(List.of("x")) : new ModelOp.Set(List.of("x"), scalar());
            run(p, List.of(updateStmt("c", id, new ModelOp.Update(List.of(ch)))));
        }
    }

    private void evict(SimPeer p) {
        DocKey d = new DocKey(collection(), id());
        DocumentModel known = sim.knowledge.of(p.index, d);
        long seq = sim.changeMark(p);
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("id", shuffled(d.id()));
        QueryResult r = p.db().store().execute("EVICT FROM " + d.collection() + " WHERE _id = :id", args);
        statements++;
        boolean evicted = false;
        for (Object o : r.mutatedDocumentIds()) {
            if (new DocKey(d.collection(), o).equals(d)) evicted = true;
            else sim.problem("EVICT of " + d + " at " + p + " reported evicting " + o);
        }
        sim.trace.event("evict", sim.now).add(p.index).add(d.toString()).add(evicted ? 1 : 0);
        if (evicted != known.exists()) {
            sim.problem("EVICT of " + d + " at " + p + (evicted ? " evicted it, which" : " did not evict it, which")
                    + " the model says " + (known.exists() ? "exists" : "does not exist") + " there");
        }
        if (evicted) {
            if (p.stateOf(d) != null) sim.problem("EVICT of " + d + " at " + p + " left a row");
            sim.knowledge.remove(p.index, d, Knowledge.RemovalKind.EVICT, writes.size(), sim.now);
        }
        sim.afterLocalWrite(p, seq);
    }

    private void changeSubscription(SimPeer p) {
        if (p.node()) return; // a server keeps subscribing to everything
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

    /**
     * {@code purgeTombstones(retention)} at {@code p}, checked against the rule (docs/SYNC-PROTOCOL.md, "Tombstone
     * horizon"; {@link ZombieRule#purges}): exactly the tombstones entirely older than the horizon go, live documents
     * stay, and the horizon is the one the simulator expects (now minus the retention, never lower than before).
     */
    private void purge(SimPeer p) {
        if (retentionMillis == 0) return;
        purges++;
        long horizon = Math.max(sim.knowledge.horizon(p.index), Math.max(0, p.clock.millis() - retentionMillis) << 16);
        Map<DocKey, SyncStoreView.Row> before = rows(p);
        long purged = p.db().sync().purgeTombstones(Duration.ofMillis(retentionMillis));
        Map<DocKey, SyncStoreView.Row> after = rows(p);
        sim.trace.event("purge", sim.now).add(p.index).add(purged);
        int removed = 0;
        for (Map.Entry<DocKey, SyncStoreView.Row> e : before.entrySet()) {
            SyncStoreView.Row row = e.getValue();
            boolean doomed = ZombieRule.purges(DocumentState.decode(row.state()), horizon);
            if (!after.containsKey(e.getKey())) {
                removed++;
                if (!doomed)
                    sim.problem("a purge at " + p + " removed " + e.getKey() + ", which is "
                            + (row.live() ? "live" : "a tombstone not older than the horizon"));
                sim.knowledge.remove(p.index, e.getKey(), Knowledge.RemovalKind.PURGE, writes.size(), sim.now);
                sim.stats.tombstonesPurged++;
            } else if (doomed) {
                sim.problem("a purge at " + p + " kept " + e.getKey() + ", a tombstone older than the horizon");
            }
        }
        if (removed != purged)
            sim.problem("a purge at " + p + " reported " + purged + " tombstones, removed " + removed);
        if (!before.keySet().containsAll(after.keySet())) sim.problem("a purge at " + p + " added rows");
        sim.knowledge.raiseHorizon(p.index, horizon);
        if (p.store().tombstoneHorizon() != horizon) {
            sim.problem("after a purge, " + p + " reports the horizon "
                    + p.store().tombstoneHorizon() + ", not " + horizon);
        }
    }

    private static Map<DocKey, SyncStoreView.Row> rows(SimPeer p) {
        Map<DocKey, SyncStoreView.Row> out = new TreeMap<>();
        for (String c : COLLECTIONS) {
            for (SyncStoreView.Row r : p.store().scanCollection(c, null, Integer.MAX_VALUE))
                out.put(DocKey.decode(c, r.id()), r);
        }
        return out;
    }

    // ---- running statements ------------------------------------------------------------------------------

    /**
     * Runs statements (one alone, several in a transaction) and checks their outcome against the model's plan for
     * each document, then records what they acknowledged (see the design note).
     */
    private void run(SimPeer p, List<Stmt> stmts) {
        if (stmts.isEmpty()) return;
        Knowledge k = sim.knowledge;
        Map<DocKey, byte[]> before = new TreeMap<>();
        List<Map<DocKey, Plan>> plans = new ArrayList<>();
        Plan refusal = null;
        String refusedText = null;
        for (Stmt s : stmts) {
            Map<DocKey, Plan> byDoc = new TreeMap<>();
            for (Map.Entry<DocKey, ModelOp> e : s.ops().entrySet()) {
                DocKey d = e.getKey();
                before.put(d, p.stateOf(d));
                DocumentModel known = k.of(p.index, d);
                Plan plan = isUpdateMany(s) && !Long.valueOf(grp(d.id())).equals(known.valueAt(List.of("grp")))
                        ? new Plan(Plan.Outcome.NOT_MATCHED, List.of(), "grp differs")
                        : known.plan(e.getValue());
                byDoc.put(d, plan);
                if (plan.refused() && refusal == null) {
                    refusal = plan;
                    refusedText = s.text() + " on " + d;
                }
            }
            plans.add(byDoc);
        }
        long seq = sim.changeMark(p);
        List<QueryResult> results = new ArrayList<>();
        statements += stmts.size();
        try {
            if (stmts.size() == 1) {
                results.add(execute(p, stmts.get(0), null));
            } else {
                // returns null, as TransactionWork<T extends @Nullable Object> allows; NullAway checks that bound
                // only in its JSpecify mode
                @SuppressWarnings("NullAway")
                io.starling.TransactionWork<@Nullable Void> all = tx -> {
                    for (Stmt s : stmts) results.add(execute(p, s, tx));
                    return null;
                };
                p.db().store().transaction(all);
            }
        } catch (StarlingException e) {
            ErrorCode code = e.errorCode();
            if (code != ErrorCode.DOCUMENT_ID_CONFLICT && code != ErrorCode.DOCUMENT_INVALID) throw e;
            refused++;
            sim.trace.event("refused", sim.now).add(p.index).add(code.code());
            if (sim.changeMark(p) != seq) {
                throw new IllegalStateException(
                        "a refused statement changed the store of " + p + ": " + e.getMessage());
            }
            ErrorCode expected = refusal == null
                    ? null
                    : refusal.outcome() == Plan.Outcome.REFUSED_CONFLICT
                            ? ErrorCode.DOCUMENT_ID_CONFLICT
                            : ErrorCode.DOCUMENT_INVALID;
            if (code != expected) {
                sim.problem(p + " refused " + stmtsText(stmts) + " (" + code.code() + ": " + e.getMessage() + "); "
                        + (refusal == null
                                ? "the model accepts it"
                                : "the model refuses " + refusedText + ": " + refusal));
            }
            return;
        }
        if (refusal != null) {
            sim.problem(p + " accepted " + refusedText + ", which the model refuses: " + refusal);
        }
        statementStamps.clear();
        for (int i = 0; i < stmts.size(); i++) {
            Stmt s = stmts.get(i);
            Set<DocKey> mutated = new TreeSet<>();
            for (Object o : results.get(i).mutatedDocumentIds()) {
                DocKey d = new DocKey(s.collection(), o);
                mutated.add(d);
                if (!s.ops().containsKey(d))
                    sim.problem(s.text() + " at " + p + " wrote " + d + ", which it does not name");
            }
            for (Map.Entry<DocKey, Plan> e : plans.get(i).entrySet()) {
                record(p, s, e.getKey(), e.getValue(), mutated.contains(e.getKey()), before.get(e.getKey()));
            }
        }
        if (new HashSet<>(statementStamps).size() != statementStamps.size())
            sim.problem(stmtsText(stmts) + " at " + p + " gave two documents one stamp: " + statementStamps);
        for (ModelStamp st : statementStamps) lastStamp[p.index] = ModelStamp.max(lastStamp[p.index], st);
        sim.afterLocalWrite(p, seq);
    }

    private static boolean isUpdateMany(Stmt s) {
        return s.text().endsWith("WHERE grp = :g");
    }

    private static String stmtsText(List<Stmt> stmts) {
        StringBuilder sb = new StringBuilder();
        for (Stmt s : stmts)
            sb.append(sb.length() == 0 ? "" : "; ").append(s.text()).append(' ').append(s.args());
        return stmts.size() == 1 ? sb.toString() : "the transaction [" + sb + "]";
    }

    /** Checks one document's outcome against its plan; a write joins the writer's knowledge. */
    private void record(SimPeer p, Stmt s, DocKey d, Plan plan, boolean reported, byte @Nullable [] before) {
        ModelOp op = java.util.Objects.requireNonNull(s.ops().get(d));
        Knowledge k = sim.knowledge;
        DocumentModel known = k.of(p.index, d);
        byte[] after = p.stateOf(d);
        java.util.function.Supplier<String> what =
                () -> s.text() + " " + ModelValues.brief(s.args()) + " at " + p + " on " + d;
        sim.trace.event("ack", sim.now).add(p.index).add(d.toString()).add(after == null ? new byte[0] : after);
        if (!plan.writes()) {
            if (reported && plan.outcome() == Plan.Outcome.NOT_MATCHED)
                sim.problem(what.get() + " reported writing it, but " + plan.reason() + " for the writer (the model)");
            if (!Arrays.equals(before, after))
                sim.problem(what.get() + " changed the stored document although the model says " + plan);
            return;
        }
        if (!reported) sim.problem(what.get() + " did not report writing it; the model says " + plan);
        WriteStamp stamped = WriteStamp.read(before, after);
        String stampProblem = stamped.problem(p.stampSite());
        if (stampProblem != null)
            sim.problem(what.get() + " reported success but " + stampProblem + "; the model says " + plan);
        if (after == null || !stamped.storedNew()) return;
        ModelStamp newest = stamped.newest();
        if (newest.millis() < p.clock.millis())
            sim.problem(what.get() + ": the stamp " + newest + " is behind the clock");
        if (!newest.after(lastStamp[p.index]))
            sim.problem(
                    what.get() + ": the stamp " + newest + " is not above the writer's earlier " + lastStamp[p.index]);
        statementStamps.add(newest);
        String label = s.text().substring(0, s.text().indexOf(' ')) + " at peer " + p.index + " " + op.summary();
        List<Integer> held = new ArrayList<>();
        for (ModelWrite v : known.writes()) held.add(v.id());
        // recorded as the soak records its writes: the statement, the stamp and the writes its writer held
        Plan recorded =
                histories.computeIfAbsent(d, x -> new DocumentHistory()).add(writes.size(), newest, op, held, label);
        if (!recorded.equals(plan))
            throw new IllegalStateException(
                    "the model planned " + what.get() + " twice differently: " + plan + ", " + recorded);
        ModelWrite w = java.util.Objects.requireNonNull(histories.get(d)).write(writes.size());
        if (w == null) throw new IllegalStateException("the model recorded no write for " + what.get());
        DocumentModel now = known.with(w);
        k.set(p.index, d, now, after);
        writes.add(new AckedWrite(writes.size(), p.index, p.stampSite(), d, op, w, before, after, sim.now));
        sim.compareWithModel(p, d, now, after, () -> "after " + w);
    }

    /** Runs a statement, with a planted engine fault if the options ask for one. */
    private QueryResult execute(SimPeer p, Stmt s, io.starling.@Nullable Transaction tx) {
        String text = s.text();
        Map<String, Object> args = s.args();
        EngineFault fault = sim.options().engineFault();
        ModelOp op = s.ops().size() == 1 && !isUpdateMany(s)
                ? s.ops().values().iterator().next()
                : null;
        Observed shown = op == null
                ? Observed.NONE
                : Observed.of(p.stateOf(s.ops().keySet().iterator().next()));
        if (fault == EngineFault.DROP_SET
                && op instanceof ModelOp.Update up
                && setsX(up)
                && shown.live()
                && !java.util.Objects.equals(
                        java.util.Objects.requireNonNull(shown.document()).get("x"), valueOfX(up))) {
            sim.stats.plantedFaults++; // planted: SET x is not stored, and the statement still says it wrote
            List<ModelOp.Change> kept = new ArrayList<>(up.changes());
            kept.removeIf(ch -> ch instanceof ModelOp.Set set && set.path().equals(List.of("x")));
            ModelStatement dropped = ModelStatement.update(
                    s.collection(), java.util.Objects.requireNonNull(args.get("id")), new ModelOp.Update(kept));
            text = dropped.text();
            args = dropped.args();
        } else if (fault == EngineFault.RESURRECT_ON_UPDATE && op instanceof ModelOp.Update up) {
            if (shown.held() && !shown.live()) {
                sim.stats.plantedFaults++; // planted: the update brings the deleted document back
                LinkedHashMap<String, Object> doc = new LinkedHashMap<>();
                doc.put("_id", args.get("id"));
                for (ModelOp.Change ch : up.changes())
                    if (ch instanceof ModelOp.Set set && set.path().size() == 1)
                        doc.put(set.path().get(0), set.value());
                text = "INSERT INTO " + s.collection() + " DOCUMENTS (:doc) ON ID CONFLICT DO UPDATE";
                args = Map.of("doc", doc);
            }
        }
        return tx == null ? p.db().store().execute(text, args) : tx.execute(text, args);
    }

    private static @Nullable Object valueOfX(ModelOp.Update up) {
        for (ModelOp.Change ch : up.changes())
            if (ch instanceof ModelOp.Set s && s.path().equals(List.of("x"))) return s.value();
        return null;
    }

    private static boolean setsX(ModelOp.Update up) {
        for (ModelOp.Change ch : up.changes())
            if (ch instanceof ModelOp.Set s && s.path().equals(List.of("x"))) return true;
        return false;
    }
}
