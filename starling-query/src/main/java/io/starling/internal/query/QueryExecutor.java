package io.starling.internal.query;

import io.starling.internal.core.Value;
import io.starling.internal.core.ValueOrder;
import io.starling.internal.crdt.FieldOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Runs parsed statements over a {@link DocumentSource}. Pure and stateless: no I/O of its own, no threads, no
 * clock (the time comes in {@link EvalContext}); safe to call from any number of threads at once, each call
 * using its own frame. The engine handles ids, CRDT merging, conflicts, storage and atomicity.
 *
 * <p>Every method first checks that the statement's named arguments are supplied
 * ({@link DqlException.Kind#ARGUMENT}). SELECT, UPDATE, DELETE and EVICT read their documents the way the
 * {@link Planner} chooses — {@code _id} lookups, index scans, a union of those, or a full scan — and always apply the
 * whole WHERE to what they read. Results without ORDER BY come in {@code _id} order ({@link ValueOrder}) whatever
 * the plan; ORDER BY ties are broken by {@code _id}.
 */
public final class QueryExecutor {
    private QueryExecutor() {}

    /**
     * Checks that every {@code :name} the statement references is in {@code args}.
     *
     * @throws DqlException ARGUMENT at the first unsupplied reference: {@code "argument :city was not supplied"}
     */
    public static void checkArguments(Statement s, Map<String, Value> args) {
        for (ArgUse u : ((BaseStatement) s).argUses) {
            if (!args.containsKey(u.name())) {
                throw new DqlException(
                        DqlException.Kind.ARGUMENT,
                        u.line(),
                        u.column(),
                        "argument :" + u.name() + " was not supplied");
            }
        }
    }

    /** Runs a SELECT: the result items in order (see docs/QUERY-LANGUAGE.md for the pipeline). */
    public static List<Value.Obj> select(SelectStatement s, DocumentSource src, EvalContext ctx) {
        checkArguments(s, ctx.arguments());
        return SelectExecution.run(s, Interruptible.source(src, ctx.cancellation()), new Env(ctx, s.frameSize));
    }

    /**
     * The documents the WHERE of an UPDATE, DELETE, EVICT (or SELECT) matches — all documents when there is no
     * WHERE — in {@code _id} order.
     *
     * @throws IllegalArgumentException for INSERT, CREATE INDEX, DROP INDEX and EXPLAIN
     */
    public static List<Value.Obj> matching(Statement s, DocumentSource src, EvalContext ctx) {
        checkArguments(s, ctx.arguments());
        Node where = whereOf(s);
        List<Value.Obj> out = new ArrayList<>();
        Env env = new Env(ctx, ((BaseStatement) s).frameSize);
        DocumentSource polled = Interruptible.source(src, ctx.cancellation());
        Planner.forMatching(s.collection(), where, polled, env).forEachMatch(polled, env, doc -> {
            out.add(doc);
            return true;
        });
        return out;
    }

    /**
     * The plan a SELECT, UPDATE, DELETE or EVICT would run with, as one item {@code {"plan": operator}}: a tree of
     * operators, each an object with an {@code "operator"} name, its details and its {@code "input"} (see
     * docs/QUERY-LANGUAGE.md, "EXPLAIN"). Reads no document: only {@link DocumentSource#indexes}. LIMIT and OFFSET
     * arguments are checked as when running.
     */
    public static Value.Obj explain(ExplainStatement s, DocumentSource src, EvalContext ctx) {
        checkArguments(s, ctx.arguments());
        Statement inner = s.explained();
        Env env = new Env(ctx, ((BaseStatement) inner).frameSize);
        return Explain.of(inner, src, env);
    }

    /**
     * Whether one document satisfies the statement's WHERE (true when there is none). For observers and
     * subscriptions that test documents as they change.
     */
    public static boolean matches(Statement s, Value.Obj doc, EvalContext ctx) {
        checkArguments(s, ctx.arguments());
        Node where = whereOf(s);
        if (where == null) return true;
        Env env = new Env(ctx, ((BaseStatement) s).frameSize);
        env.row = doc;
        return Comparisons.isTrue(where.eval(env));
    }

    /**
     * The field operations an UPDATE makes to one document, in clause order, with every right-hand side evaluated
     * against the document as it was before the update. {@code SET f = <MISSING>} becomes an unset.
     *
     * @throws DqlException INVALID at the amount when an INCREMENT BY / RESTART WITH amount is not a number
     */
    public static List<FieldOp> updateOps(UpdateStatement s, Value.Obj doc, EvalContext ctx) {
        checkArguments(s, ctx.arguments());
        Env env = new Env(ctx, s.frameSize);
        env.row = doc;
        List<FieldOp> ops = new ArrayList<>(s.clauses.size());
        for (UpdateStatement.Clause c : s.clauses) {
            if (c instanceof UpdateStatement.Set set) {
                Value v = set.value().eval(env);
                ops.add(v == Value.MISSING ? new FieldOp.Unset(set.path()) : new FieldOp.Set(set.path(), v));
            } else if (c instanceof UpdateStatement.Unset unset) {
                ops.add(new FieldOp.Unset(unset.path()));
            } else {
                UpdateStatement.Apply a = (UpdateStatement.Apply) c;
                Value v = a.amount().eval(env);
                boolean increment = a.kind() == UpdateStatement.ApplyKind.INCREMENT;
                if (!v.isNumber()) {
                    throw new DqlException(
                            DqlException.Kind.INVALID,
                            a.line(),
                            a.column(),
                            (increment ? "INCREMENT BY" : "RESTART WITH") + " needs a number but got " + describe(v));
                }
                ops.add(increment ? new FieldOp.Increment(a.path(), v) : new FieldOp.Restart(a.path(), v));
            }
        }
        return ops;
    }

    /**
     * The evaluated DOCUMENTS of an INSERT, in order; each is an object. A DOCUMENTS expression that evaluates to an
     * array ({@code DOCUMENTS (:docs)}) contributes each of its items, in order.
     *
     * @throws DqlException INVALID at the expression when it is neither an object nor an array of objects
     */
    public static List<Value> insertDocuments(InsertStatement s, EvalContext ctx) {
        checkArguments(s, ctx.arguments());
        Env env = new Env(ctx, s.frameSize);
        List<Node> docs = s.documentNodes();
        List<Value> out = new ArrayList<>(docs.size());
        for (int i = 0; i < docs.size(); i++) {
            Value v = docs.get(i).eval(env);
            String problem = documentsProblem(v);
            if (problem != null) {
                int[] pos = s.positions.get(i);
                throw new DqlException(DqlException.Kind.INVALID, pos[0], pos[1], problem);
            }
            if (v instanceof Value.Arr arr) out.addAll(arr.items());
            else out.add(v);
        }
        return out;
    }

    /** Why a DOCUMENTS value cannot be inserted, or null: it must be an object or an array of objects. */
    static @Nullable String documentsProblem(Value v) {
        if (v instanceof Value.Obj) return null;
        if (v instanceof Value.Arr arr) {
            for (int i = 0; i < arr.size(); i++) {
                Value item = arr.items().get(i);
                if (!(item instanceof Value.Obj)) {
                    return "DOCUMENTS needs objects, but item " + i + " of the array is " + describe(item);
                }
            }
            return null;
        }
        return "DOCUMENTS needs an object or an array of objects but got " + describe(v);
    }

    // ---------------------------------------------------------------------------------------------- internals

    static String describe(Value v) {
        if (v == Value.MISSING) return "MISSING";
        if (v == Value.NULL) return "NULL";
        String t = v.typeName();
        return (t.startsWith("a") || t.startsWith("o") ? "an " : "a ") + t;
    }

    static @Nullable Node whereOf(Statement s) {
        if (s instanceof SelectStatement x) return x.where;
        if (s instanceof UpdateStatement x) return x.where;
        if (s instanceof DeleteStatement x) return x.where;
        if (s instanceof EvictStatement x) return x.where;
        throw new IllegalArgumentException("matching() needs SELECT, UPDATE, DELETE or EVICT, not " + s);
    }
}
