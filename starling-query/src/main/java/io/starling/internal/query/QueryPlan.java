package io.starling.internal.query;

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
                        doc -> {
                            env.row = doc;
                            return Comparisons.isTrue(w.eval(env));
                        },
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
