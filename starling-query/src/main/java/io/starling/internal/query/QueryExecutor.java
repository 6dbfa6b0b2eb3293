package io.starling.internal.query;

import io.starling.internal.core.Value;
import io.starling.internal.core.ValueOrder;
import io.starling.internal.crdt.FieldOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Runs parsed statements over a {@link DocumentSource}. Pure and stateless: no I/O of its own, no threads, no
 * clock (the time comes in {@link EvalContext}); safe to call from any number of threads at once, each call
 * using its own frame. The engine handles ids, CRDT merging, conflicts, storage and atomicity.
 *
 * <p>Every method first checks that the statement's named arguments are supplied
 * ({@link DqlException.Kind#ARGUMENT}). Statements with {@code WHERE _id = <constant or :arg>} or
 * {@code WHERE _id IN <constants or :arg>} (possibly ANDed with other conditions) look documents up with
 * {@link DocumentSource#get} instead of scanning, and still apply the whole WHERE to what they find; results of
 * such lookups come in {@link ValueOrder} of the ids.
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
                throw new DqlException(DqlException.Kind.ARGUMENT, u.line(), u.column(),
                        "argument :" + u.name() + " was not supplied");
            }
        }
    }

    /** Runs a SELECT: the result items in order (see docs/QUERY-LANGUAGE.md for the pipeline). */
    public static List<Value.Obj> select(SelectStatement s, DocumentSource src, EvalContext ctx) {
        checkArguments(s, ctx.arguments());
        return SelectExecution.run(s, src, new Env(ctx, s.frameSize));
    }

    /**
     * The documents the WHERE of an UPDATE, DELETE, EVICT (or SELECT) matches — all documents when there is no
     * WHERE — in {@code _id} order.
     *
     * @throws IllegalArgumentException for INSERT and unsupported statements
     */
    public static List<Value.Obj> matching(Statement s, DocumentSource src, EvalContext ctx) {
        checkArguments(s, ctx.arguments());
        Node where = whereOf(s);
        List<Value.Obj> out = new ArrayList<>();
        Env env = new Env(ctx, ((BaseStatement) s).frameSize);
        candidates(s.collection(), where, src, env, doc -> {
            out.add(doc);
            return true;
        });
        return out;
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
                    throw new DqlException(DqlException.Kind.INVALID, a.line(), a.column(),
                            (increment ? "INCREMENT BY" : "RESTART WITH") + " needs a number but got " + describe(v));
                }
                ops.add(increment ? new FieldOp.Increment(a.path(), v) : new FieldOp.Restart(a.path(), v));
            }
        }
        return ops;
    }

    /**
     * The evaluated DOCUMENTS of an INSERT, in order; each is an object.
     *
     * @throws DqlException INVALID at the expression when a document is not an object
     */
    public static List<Value> insertDocuments(InsertStatement s, EvalContext ctx) {
        checkArguments(s, ctx.arguments());
        Env env = new Env(ctx, s.frameSize);
        List<Node> docs = s.documentNodes();
        List<Value> out = new ArrayList<>(docs.size());
        for (int i = 0; i < docs.size(); i++) {
            Value v = docs.get(i).eval(env);
            if (!(v instanceof Value.Obj)) {
                int[] pos = s.positions.get(i);
                throw new DqlException(DqlException.Kind.INVALID, pos[0], pos[1], "DOCUMENTS needs objects but got " + describe(v));
            }
            out.add(v);
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------- internals

    static String describe(Value v) {
        if (v == Value.MISSING) return "MISSING";
        if (v == Value.NULL) return "NULL";
        String t = v.typeName();
        return (t.startsWith("a") || t.startsWith("o") ? "an " : "a ") + t;
    }

    private static Node whereOf(Statement s) {
        if (s instanceof SelectStatement x) return x.where;
        if (s instanceof UpdateStatement x) return x.where;
        if (s instanceof DeleteStatement x) return x.where;
        if (s instanceof EvictStatement x) return x.where;
        throw new IllegalArgumentException("matching() needs SELECT, UPDATE, DELETE or EVICT, not " + s);
    }

    /**
     * Feeds the documents satisfying {@code where} to the visitor (until it returns false), using the {@code _id}
     * fast path when the WHERE allows it.
     */
    static void candidates(String collection, Node where, DocumentSource src, Env env, Predicate<Value.Obj> visitor) {
        List<Value> ids = where == null ? null : idLookup(where, env);
        if (ids != null) {
            for (Value id : ids) {
                Value.Obj doc = src.get(collection, id);
                if (doc == null) continue;
                env.row = doc;
                if (Comparisons.isTrue(where.eval(env)) && !visitor.test(doc)) return;
            }
            return;
        }
        src.scan(collection, doc -> {
            env.row = doc;
            if (where != null && !Comparisons.isTrue(where.eval(env))) return true;
            return visitor.test(doc);
        });
    }

    /** The ids named by an {@code _id = c} / {@code _id IN c} conjunct, sorted and distinct; null when there is none. */
    static List<Value> idLookup(Node where, Env env) {
        List<Node> conjuncts = new ArrayList<>();
        flattenAnd(where, conjuncts);
        for (Node c : conjuncts) {
            Node constant = null;
            boolean list = false;
            if (c instanceof Node.Binary b && b.op() == Node.BinaryOp.EQ) {
                if (isId(b.left()) && isConstant(b.right())) constant = b.right();
                else if (isId(b.right()) && isConstant(b.left())) constant = b.left();
            } else if (c instanceof Node.In in && !in.negated() && isId(in.value()) && isConstant(in.list())) {
                constant = in.list();
                list = true;
            }
            if (constant == null) continue;
            env.row = Value.Obj.EMPTY;
            Value v = constant.eval(env);
            List<Value> raw = list && v instanceof Value.Arr arr ? arr.items() : List.of(v);
            TreeMap<Value, Value> sorted = new TreeMap<>(ValueOrder.TOTAL);
            for (Value id : raw) {
                if (id.isAbsent()) continue;
                Long integral = id instanceof Value.Dbl ? NumericFunctions.integral(id) : null;
                Value key = integral != null ? Value.of(integral) : id;
                sorted.putIfAbsent(key, key);
            }
            return new ArrayList<>(sorted.values());
        }
        return null;
    }

    private static void flattenAnd(Node n, List<Node> out) {
        if (n instanceof Node.Binary b && b.op() == Node.BinaryOp.AND) {
            flattenAnd(b.left(), out);
            flattenAnd(b.right(), out);
        } else {
            out.add(n);
        }
    }

    private static boolean isId(Node n) {
        return n instanceof Node.Field f && f.path().length() == 1 && f.path().first() instanceof io.starling.internal.core.Path.Key k
                && k.name().equals("_id");
    }

    /** Literals, arguments and constructors/negations of them: values that do not depend on the document. */
    private static boolean isConstant(Node n) {
        if (n instanceof Node.Literal || n instanceof Node.Arg) return true;
        if (n instanceof Node.Neg neg) return isConstant(neg.operand());
        if (n instanceof Node.ArrayCtor a) return a.items.stream().allMatch(QueryExecutor::isConstant);
        if (n instanceof Node.ObjectCtor o) return o.entries.stream().allMatch(e -> isConstant(e.value()));
        return false;
    }
}
