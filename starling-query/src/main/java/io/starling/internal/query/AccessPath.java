package io.starling.internal.query;

import io.starling.internal.core.Path;
import io.starling.internal.core.Value;
import io.starling.internal.core.ValueOrder;
import io.starling.internal.index.IndexDefinition;
import io.starling.internal.index.IndexRange;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * How a plan reads candidate documents: the leaves of a {@link QueryPlan}. Candidates are not yet filtered; every
 * one of them still goes through the full WHERE. Immutable.
 */
sealed interface AccessPath {

    /** Visits the candidates in this path's order until the visitor returns false. */
    void visit(DocumentSource src, Predicate<Value.Obj> visitor);

    /** True when the candidates come in ascending {@code _id} order (ValueOrder). */
    boolean idOrdered();

    /** The operator for EXPLAIN. */
    Value.Obj explain();

    /** Every live document of the collection, by {@code DocumentSource.scan}. */
    record FullScan(String collection) implements AccessPath {
        @Override
        public void visit(DocumentSource src, Predicate<Value.Obj> visitor) {
            src.scan(collection, visitor);
        }

        @Override
        public boolean idOrdered() {
            return true;
        }

        @Override
        public Value.Obj explain() {
            return Explain.op("FullScan", "collection", Value.of(collection));
        }
    }

    /** Documents fetched by id ({@code _id = c}, {@code _id IN list}): each id once, ids ascending. */
    record IdLookup(String collection, List<Value> ids) implements AccessPath {
        public IdLookup {
            ids = List.copyOf(ids);
        }

        @Override
        public void visit(DocumentSource src, Predicate<Value.Obj> visitor) {
            for (Value id : ids) {
                Value.Obj doc = src.get(collection, id);
                if (doc != null && !visitor.test(doc)) return;
            }
        }

        @Override
        public boolean idOrdered() {
            return true;
        }

        @Override
        public Value.Obj explain() {
            return Explain.op("IdLookup", "collection", Value.of(collection), "ids", new Value.Arr(ids));
        }
    }

    /**
     * Documents whose {@code _id} lies in some intervals, read from the primary key order by
     * {@link DocumentSource#scanIds}: a seek to each interval's first id and a step per document, ascending, or
     * descending with {@code reverse} (intervals last to first). Keyset paging ({@code WHERE _id > :last ORDER BY _id
     * LIMIT n}) reads only its page this way. One unbounded interval is the whole collection, for {@code ORDER BY _id}
     * without a condition on it.
     *
     * @param intervals disjoint, ascending in ValueOrder (as a {@link ValueSet} holds them)
     */
    record IdRange(String collection, List<ValueSet.Interval> intervals, boolean reverse) implements AccessPath {
        public IdRange {
            intervals = List.copyOf(intervals);
        }

        @Override
        public void visit(DocumentSource src, Predicate<Value.Obj> visitor) {
            boolean[] stopped = {false};
            Predicate<Value.Obj> v = doc -> {
                if (visitor.test(doc)) return true;
                stopped[0] = true;
                return false;
            };
            for (int i = 0; i < intervals.size() && !stopped[0]; i++) {
                ValueSet.Interval iv = intervals.get(reverse ? intervals.size() - 1 - i : i);
                src.scanIds(collection, iv.lower(), iv.upper(), reverse, null, v);
            }
        }

        @Override
        public boolean idOrdered() {
            return !reverse;
        }

        @Override
        public Value.Obj explain() {
            List<Value> shown = new ArrayList<>(intervals.size());
            for (ValueSet.Interval iv : intervals) {
                StringBuilder sb = new StringBuilder();
                ValueSet.appendInterval(sb, iv.lower(), iv.upper());
                shown.add(Value.of(sb.toString()));
            }
            return Explain.op(
                    "IdRange",
                    "collection",
                    Value.of(collection),
                    "ranges",
                    new Value.Arr(shown),
                    "reverse",
                    Value.of(reverse));
        }
    }

    /**
     * Ranges of one index, scanned one after the other. The ranges are disjoint and listed in index order, so the
     * candidates come in index order (reversed with {@code reverse}: ranges last to first, each backwards).
     *
     * @param idOrdered set by the planner when the scan is in {@code _id} order (every key component is pinned to
     *     one value, one range, forward)
     */
    record IndexScan(IndexDefinition index, List<IndexRange> ranges, boolean reverse, boolean idOrdered)
            implements AccessPath {
        public IndexScan {
            ranges = List.copyOf(ranges);
        }

        @Override
        public void visit(DocumentSource src, Predicate<Value.Obj> visitor) {
            if (ranges.size() == 1) {
                src.scanIndex(index, ranges.get(0), reverse, visitor);
                return;
            }
            boolean[] stopped = {false};
            Predicate<Value.Obj> v = doc -> {
                if (visitor.test(doc)) return true;
                stopped[0] = true;
                return false;
            };
            for (int i = 0; i < ranges.size() && !stopped[0]; i++) {
                src.scanIndex(index, ranges.get(reverse ? ranges.size() - 1 - i : i), reverse, v);
            }
        }

        @Override
        public Value.Obj explain() {
            List<Value> fields = new ArrayList<>();
            for (IndexDefinition.Field f : index.fields())
                fields.add(Value.of(text(f.path()) + (f.descending() ? " DESC" : "")));
            List<Value> shown = new ArrayList<>(ranges.size());
            for (IndexRange r : ranges) shown.add(describe(r));
            return Explain.op(
                    "IndexScan",
                    "index",
                    Value.of(index.name()),
                    "collection",
                    Value.of(index.collection()),
                    "fields",
                    new Value.Arr(fields),
                    "ranges",
                    new Value.Arr(shown),
                    "reverse",
                    Value.of(reverse));
        }

        /** {@code {"make": "'Ford'", "year": "(2000, *)"}}: each constrained component, in key order. */
        private Value describe(IndexRange r) {
            Map<String, Value> m = new LinkedHashMap<>();
            List<IndexDefinition.Field> fields = index.fields();
            for (int i = 0; i < r.equal().size(); i++)
                m.put(text(fields.get(i).path()), literal(r.equal().get(i)));
            if (r.lower() != null || r.upper() != null) {
                StringBuilder sb = new StringBuilder();
                ValueSet.appendInterval(sb, r.lower(), r.upper());
                m.put(text(fields.get(r.equal().size()).path()), Value.of(sb.toString()));
            }
            return new Value.Obj(m);
        }

        static String text(Path p) {
            StringBuilder sb = new StringBuilder();
            Node.printSegments(sb, p.segments(), false);
            return sb.toString();
        }

        private static Value literal(Value v) {
            StringBuilder sb = new StringBuilder();
            ValueSet.appendLiteral(sb, v);
            return Value.of(sb.toString());
        }
    }

    /**
     * OR over branches that each have an access path: every branch's candidates, each document once, in {@code _id}
     * order (collected, then sorted).
     */
    record Union(List<AccessPath> inputs) implements AccessPath {
        public Union {
            inputs = List.copyOf(inputs);
        }

        @Override
        public void visit(DocumentSource src, Predicate<Value.Obj> visitor) {
            TreeMap<Value, Value.Obj> byId = new TreeMap<>(ValueOrder.TOTAL);
            for (AccessPath in : inputs) {
                in.visit(src, doc -> {
                    byId.putIfAbsent(doc.get("_id"), doc);
                    return true;
                });
            }
            for (Value.Obj doc : byId.values()) if (!visitor.test(doc)) return;
        }

        @Override
        public boolean idOrdered() {
            return true;
        }

        @Override
        public Value.Obj explain() {
            List<Value> shown = new ArrayList<>(inputs.size());
            for (AccessPath in : inputs) shown.add(in.explain());
            return Explain.op("Union", "dedupe", Value.of("_id"), "inputs", new Value.Arr(shown));
        }
    }

    /** No document can satisfy the WHERE (for example {@code a = 1 AND a = 2}, {@code a = NULL}): nothing is read. */
    record Empty(String reason) implements AccessPath {
        @Override
        public void visit(DocumentSource src, Predicate<Value.Obj> visitor) {}

        @Override
        public boolean idOrdered() {
            return true;
        }

        @Override
        public Value.Obj explain() {
            return Explain.op("Empty", "reason", Value.of(reason));
        }
    }
}
