package io.starling.internal.query;

import io.starling.internal.core.Path;
import io.starling.internal.core.Value;
import io.starling.internal.core.ValueOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * How one execution reads its documents: the access path chosen by the {@link Planner}, the WHERE every candidate
 * goes through, and what the access order does for ORDER BY. Built per execution (it holds evaluated constants);
 * immutable.
 */
final class QueryPlan {
    static final Comparator<Value.Obj> BY_ID = (a, b) -> ValueOrder.compare(a.get("_id"), b.get("_id"));

    final String collection;
    /** Null for the COUNT(*) fast path, which reads no document. */
    final @Nullable AccessPath access;
    /** The full WHERE, or null. */
    final @Nullable Node where;
    /** How many leading ORDER BY items the access order delivers (0: sort as usual). */
    final int orderedPrefix;
    /** With {@link #orderedPrefix}: rows equal on the delivered items must be re-sorted (rest of ORDER BY, _id). */
    final boolean sortGroups;

    QueryPlan(
            String collection,
            @Nullable AccessPath access,
            @Nullable Node where,
            int orderedPrefix,
            boolean sortGroups) {
        this.collection = collection;
        this.access = access;
        this.where = where;
        this.orderedPrefix = orderedPrefix;
        this.sortGroups = sortGroups;
    }

    static QueryPlan countFastPath(String collection) {
        return new QueryPlan(collection, null, null, 0, false);
    }

    boolean isCountFastPath() {
        return access == null;
    }

    /**
     * Feeds the documents satisfying the WHERE to the visitor in access order, until it returns false; while the
     * visitor runs, {@code env.row} is the document.
     */
    void forEachInAccessOrder(DocumentSource src, Env env, Predicate<Value.Obj> visitor) {
        Node w = where;
        if (w != null && access instanceof AccessPath.FullScan scan) {
            Set<String> whereFields = FieldRefs.withId(w);
            if (whereFields != null) {
                // the WHERE is tested on documents holding only the fields it reads; the visitor gets whole ones
                src.scanFiltered(
                        scan.collection(),
                        whereFields,
                        new DocumentSource.HeldStrings(heldStrings(w, env), env.cancellation::check),
                        doc -> {
                            env.row = doc;
                            return Comparisons.isTrue(w.eval(env));
                        },
                        null, // whole documents, or what the source narrows them to
                        doc -> {
                            env.row = doc;
                            return visitor.test(doc);
                        });
                return;
            }
        }
        Objects.requireNonNull(access, "the count fast path visits no documents")
                .visit(src, doc -> {
                    env.row = doc;
                    if (w != null && !Comparisons.isTrue(w.eval(env))) return true;
                    return visitor.test(doc);
                });
    }

    /**
     * The strings every document the WHERE accepts holds, for {@link DocumentSource.HeldStrings}: those of the conjuncts (ANDed at the top) {@code path = s} or {@code s = path}, with
     * {@code s} a string literal or an argument whose value is a string, and {@code path} a path into the document
     * other than {@code _id} (the id is not among the document's stored values). Such a conjunct is TRUE only when
     * the path leads to a string equal to {@code s} (strings equal only strings, code point by code point), and a
     * path only walks into the document's values, so a document that holds no value {@code s} fails the WHERE.
     */
    static List<String> heldStrings(Node where, Env env) {
        List<String> out = new ArrayList<>();
        collectHeldStrings(where, env, out);
        return out;
    }

    private static void collectHeldStrings(Node n, Env env, List<String> out) {
        if (!(n instanceof Node.Binary b)) return;
        if (b.op() == Node.BinaryOp.AND) {
            collectHeldStrings(b.left(), env, out);
            collectHeldStrings(b.right(), env, out);
        } else if (b.op() == Node.BinaryOp.EQ) {
            String s = isStoredValue(b.left()) ? constantString(b.right(), env) : null;
            if (s == null && isStoredValue(b.right())) s = constantString(b.left(), env);
            if (s != null) out.add(s);
        }
    }

    /** A path into the document's stored values: a field, not {@code _id} (nor the whole row). */
    private static boolean isStoredValue(Node n) {
        if (!(n instanceof Node.Field f)) return false;
        List<Path.Segment> segments = f.path().segments();
        return !segments.isEmpty()
                && segments.get(0) instanceof Path.Key k
                && !k.name().equals("_id");
    }

    private static @Nullable String constantString(Node n, Env env) {
        Value v = n instanceof Node.Literal l ? l.value() : n instanceof Node.Arg a ? env.argument(a.name()) : null;
        return v instanceof Value.Str s ? s.value() : null;
    }

    /** As {@link #forEachInAccessOrder}, but always in {@code _id} order (index candidates are sorted first). */
    void forEachMatch(DocumentSource src, Env env, Predicate<Value.Obj> visitor) {
        if (Objects.requireNonNull(access, "the count fast path visits no documents")
                .idOrdered()) {
            forEachInAccessOrder(src, env, visitor);
            return;
        }
        List<Value.Obj> docs = new ArrayList<>();
        forEachInAccessOrder(src, env, doc -> {
            docs.add(doc);
            return true;
        });
        docs.sort(Interruptible.comparator(BY_ID, env.cancellation));
        for (Value.Obj doc : docs) {
            env.cancellation.check();
            env.row = doc;
            if (!visitor.test(doc)) return;
        }
    }

    /** True when matches must be sorted by {@code _id} before use (the access order is not that). */
    boolean sortsById() {
        return access != null && !access.idOrdered();
    }
}
