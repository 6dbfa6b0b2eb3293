package io.starling.internal.query;

import io.starling.internal.core.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The top-level fields of a document that a SELECT reads, so that a scan can leave the others undecoded. Only a
 * {@link Node.Field} reads the current row (every other node reads its operands, arguments or variables), so the
 * fields are the first keys of the statement's field paths. {@code SELECT *} and a path that names the whole row
 * need every field.
 */
final class FieldRefs {
    private FieldRefs() {}

    /** The functions whose value is the execution's time: a result that uses them changes with time alone. */
    private static final Set<String> CLOCK_FUNCTIONS = Set.of("clock", "now_str", "now_millis");

    /** True when the statement calls a function that reads the execution's time. */
    static boolean readsClock(SelectStatement s) {
        boolean[] found = {false};
        forEachNode(s, n -> {
            if (n instanceof Node.Call c && CLOCK_FUNCTIONS.contains(c.fn.name)) found[0] = true;
        });
        return found[0];
    }

    /** Every node of the statement's expressions, depth first. */
    private static void forEachNode(SelectStatement s, java.util.function.Consumer<Node> f) {
        walk(s.where, f);
        for (SelectStatement.Projection p : s.projections) walk(p.expr(), f);
        for (Node g : s.groupBy) walk(g, f);
        walk(s.having, f);
        for (SelectStatement.OrderItem o : s.orderBy) walk(o.expr(), f);
        for (Node.Aggregate a : s.aggregates) walk(a, f);
    }

    /** The top-level fields the statement reads (never {@code _id}, which every document carries), or null: all. */
    static @Nullable Set<String> of(SelectStatement s) {
        if (s.selectAll) return null;
        return fieldsRead(f -> forEachNode(s, f));
    }

    /**
     * The top-level fields one expression reads (never {@code _id}), or null when it may read the whole row: what a
     * document must hold for the expression to evaluate exactly as on the whole document.
     */
    static @Nullable Set<String> of(Node expr) {
        return fieldsRead(f -> walk(expr, f));
    }

    /**
     * As {@link #of(Node)}, but with {@code _id} among the fields when the expression reads it: what a document
     * must hold, {@code _id} included, for the expression to evaluate exactly as on the whole document.
     */
    static @Nullable Set<String> withId(Node expr) {
        Set<String> fields = of(expr);
        if (fields == null) return null;
        boolean[] id = {false};
        walk(expr, n -> {
            if (n instanceof Node.Field f
                    && !f.path().segments().isEmpty()
                    && f.path().segments().get(0) instanceof Path.Key k
                    && k.name().equals("_id")) id[0] = true;
        });
        if (!id[0]) return fields;
        Set<String> out = new HashSet<>(fields);
        out.add("_id");
        return Set.copyOf(out);
    }

    private static @Nullable Set<String> fieldsRead(
            java.util.function.Consumer<java.util.function.Consumer<Node>> nodes) {
        Set<String> out = new HashSet<>();
        boolean[] whole = {false};
        nodes.accept(n -> {
            if (n instanceof Node.Field f) {
                List<Path.Segment> segs = f.path().segments();
                if (segs.isEmpty()) whole[0] = true;
                else if (segs.get(0) instanceof Path.Key k) out.add(k.name());
                // a path that starts with an index reads nothing of an object: always MISSING
            } else if (!KNOWN.contains(n.getClass())) {
                whole[0] = true; // a node this walker does not know: read everything
            }
        });
        if (whole[0]) return null;
        out.remove("_id");
        return Set.copyOf(out);
    }

    /** The node types whose children {@link #walk} visits. */
    private static final Set<Class<?>> KNOWN = Set.of(
            Node.Field.class,
            Node.Literal.class,
            Node.Arg.class,
            Node.VarPath.class,
            Node.Member.class,
            Node.Element.class,
            Node.Neg.class,
            Node.Not.class,
            Node.Binary.class,
            Node.Between.class,
            Node.In.class,
            Node.Like.class,
            Node.Is.class,
            Node.Case.class,
            Node.ArrayCtor.class,
            Node.ObjectCtor.class,
            Node.Call.class,
            Node.Aggregate.class,
            Node.Quantified.class,
            Node.ArrayFor.class);

    private static void walk(@Nullable Node n, java.util.function.Consumer<Node> f) {
        if (n == null) return;
        f.accept(n);
        if (n instanceof Node.Member m) {
            walk(m.base(), f);
        } else if (n instanceof Node.Element e) {
            walk(e.base(), f);
            walk(e.index(), f);
        } else if (n instanceof Node.Neg x) {
            walk(x.operand(), f);
        } else if (n instanceof Node.Not x) {
            walk(x.operand(), f);
        } else if (n instanceof Node.Binary b) {
            walk(b.left(), f);
            walk(b.right(), f);
        } else if (n instanceof Node.Between b) {
            walk(b.value(), f);
            walk(b.low(), f);
            walk(b.high(), f);
        } else if (n instanceof Node.In in) {
            walk(in.value, f);
            walk(in.list, f);
        } else if (n instanceof Node.Like like) {
            walk(like.value, f);
            walk(like.pattern, f);
            walk(like.escape, f);
        } else if (n instanceof Node.Is is) {
            walk(is.value(), f);
        } else if (n instanceof Node.Case c) {
            walk(c.operand(), f);
            for (Node.WhenThen w : c.whens()) {
                walk(w.when(), f);
                walk(w.then(), f);
            }
            walk(c.otherwise(), f);
        } else if (n instanceof Node.ArrayCtor a) {
            for (Node item : a.items) walk(item, f);
        } else if (n instanceof Node.ObjectCtor o) {
            for (Node.Entry e : o.entries) walk(e.value(), f);
        } else if (n instanceof Node.Call c) {
            for (Node arg : c.args) walk(arg, f);
        } else if (n instanceof Node.Aggregate a) {
            walk(a.argument(), f);
        } else if (n instanceof Node.Quantified q) {
            walk(q.source(), f);
            walk(q.condition(), f);
        } else if (n instanceof Node.ArrayFor a) {
            walk(a.mapping(), f);
            walk(a.source(), f);
            walk(a.condition(), f);
        }
    }
}
