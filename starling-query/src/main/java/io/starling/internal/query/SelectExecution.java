package io.starling.internal.query;

import io.starling.internal.core.Value;
import io.starling.internal.core.ValueOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The SELECT pipeline:
 * <pre>
 *   access path (see Planner) ─▶ WHERE ─▶ [_id sort] ─▶ [GROUP BY + aggregates ─▶ HAVING] ─▶ projection (+ sort keys)
 *     ─▶ DISTINCT ─▶ ORDER BY (stable, ValueOrder, ties by _id) ─▶ OFFSET ─▶ LIMIT
 * </pre>
 * Rows enter the pipeline in {@code _id} order whatever the access path (index candidates that come in another
 * order are sorted first), so every plan gives the same result. Two shapes stream and stop reading early: a plain
 * query (no grouping, DISTINCT or ORDER BY) once OFFSET + LIMIT rows are out, and a plain query whose ORDER BY the
 * index order delivers, once OFFSET + LIMIT rows are out and the current tie group is complete.
 */
final class SelectExecution {
    private SelectExecution() {}

    /** A result row, the values it sorts by, and the document's _id (null for a group). */
    record Row(Value.Obj item, Value[] keys, @Nullable Value id) {}

    static List<Value.Obj> run(SelectStatement s, DocumentSource src, Env env) {
        long limit = bound(s.limit, "LIMIT", env, Long.MAX_VALUE);
        long offset = bound(s.offset, "OFFSET", env, 0);
        if (limit == 0) return List.of();
        src = narrowed(s, src);
        QueryPlan plan = Planner.forSelect(s, src, env);
        boolean plain = !s.isAggregate() && !s.distinct;
        if (plain && s.orderBy.isEmpty()) {
            List<Value.Obj> out = new ArrayList<>();
            long[] skipped = {0};
            plan.forEachMatch(src, env, doc -> {
                if (skipped[0] < offset) {
                    skipped[0]++;
                    return true;
                }
                out.add(project(s, env));
                return out.size() < limit;
            });
            return out;
        }
        if (plain && plan.orderedPrefix > 0) return ordered(s, plan, src, env, offset, limit);
        List<Row> rows = s.isAggregate() ? grouped(s, plan, src, env) : ungrouped(s, plan, src, env);
        if (s.distinct) {
            Set<ValueKey> seen = new HashSet<>();
            List<Row> unique = new ArrayList<>(rows.size());
            for (Row r : rows) {
                env.cancellation.check();
                if (seen.add(new ValueKey(r.item()))) unique.add(r);
            }
            rows = unique;
        }
        if (!s.orderBy.isEmpty()) rows.sort(Interruptible.comparator(byKeys(s.orderBy, 0, false), env.cancellation));
        List<Value.Obj> out = new ArrayList<>();
        for (long i = offset; i < rows.size() && out.size() < limit; i++)
            out.add(rows.get((int) i).item());
        return out;
    }

    /**
     * ORDER BY delivered by the index order: rows come sorted on the first {@code orderedPrefix} items; groups of
     * rows equal on them are re-sorted (rest of the ORDER BY, then _id) when the plan says so. Stops once OFFSET +
     * LIMIT rows are out and the group in progress is complete.
     */
    private static List<Value.Obj> ordered(
            SelectStatement s, QueryPlan plan, DocumentSource src, Env env, long offset, long limit) {
        long need = offset + limit < 0 ? Long.MAX_VALUE : offset + limit;
        int prefix = plan.orderedPrefix;
        Comparator<Row> withinGroup = Interruptible.comparator(byKeys(s.orderBy, prefix, true), env.cancellation);
        List<Row> out = new ArrayList<>();
        List<Row> group = new ArrayList<>();
        plan.forEachInAccessOrder(src, env, doc -> {
            Row r = row(s, env, doc.get("_id"));
            if (!plan.sortGroups) {
                out.add(r);
                return out.size() < need;
            }
            if (!group.isEmpty() && !equalOn(group.get(0), r, prefix)) {
                group.sort(withinGroup);
                out.addAll(group);
                group.clear();
                if (out.size() >= need) return false;
            }
            group.add(r);
            return true;
        });
        group.sort(withinGroup);
        out.addAll(group);
        List<Value.Obj> items = new ArrayList<>();
        for (long i = offset; i < out.size() && items.size() < limit; i++)
            items.add(out.get((int) i).item());
        return items;
    }

    private static boolean equalOn(Row a, Row b, int prefix) {
        for (int i = 0; i < prefix; i++) if (ValueOrder.compare(a.keys()[i], b.keys()[i]) != 0) return false;
        return true;
    }

    /** ORDER BY items {@code from..} in their directions, then (with {@code byId}) _id ascending. */
    static Comparator<Row> byKeys(List<SelectStatement.OrderItem> order, int from, boolean byId) {
        return (a, b) -> {
            for (int i = from; i < order.size(); i++) {
                int c = ValueOrder.compare(a.keys()[i], b.keys()[i]);
                if (c != 0) return order.get(i).descending() ? -c : c;
            }
            return byId ? ValueOrder.compare(Objects.requireNonNull(a.id()), Objects.requireNonNull(b.id())) : 0;
        };
    }

    private static List<Row> ungrouped(SelectStatement s, QueryPlan plan, DocumentSource src, Env env) {
        List<Row> rows = new ArrayList<>();
        plan.forEachMatch(src, env, doc -> {
            rows.add(row(s, env, null));
            return true;
        });
        return rows;
    }

    private static List<Row> grouped(SelectStatement s, QueryPlan plan, DocumentSource src, Env env) {
        if (plan.isCountFastPath()) return counted(s, src, env);
        Map<List<ValueKey>, Group> groups = new LinkedHashMap<>();
        plan.forEachMatch(src, env, doc -> {
            List<ValueKey> key = new ArrayList<>(s.groupBy.size());
            for (Node g : s.groupBy) key.add(new ValueKey(g.eval(env)));
            Group group = groups.computeIfAbsent(key, k -> new Group(doc, s.aggregates));
            group.add(s.aggregates, env);
            return true;
        });
        if (groups.isEmpty() && s.groupBy.isEmpty()) {
            groups.put(List.of(), new Group(Value.Obj.EMPTY, s.aggregates)); // aggregates over no rows: one row
        }
        List<Row> rows = new ArrayList<>(groups.size());
        for (Group g : groups.values()) {
            env.cancellation.check();
            env.row = g.first;
            env.aggregates = g.results();
            if (s.having != null && !Comparisons.isTrue(s.having.eval(env))) continue;
            rows.add(row(s, env, null));
        }
        env.aggregates = null;
        return rows;
    }

    /** {@code SELECT COUNT(*) … FROM c} without WHERE or GROUP BY: one group whose counts the source gives. */
    private static List<Row> counted(SelectStatement s, DocumentSource src, Env env) {
        Value n = Value.of(src.count(s.collection()));
        Value[] results = new Value[s.aggregates.size()];
        java.util.Arrays.fill(results, n);
        env.row = Value.Obj.EMPTY;
        env.aggregates = results;
        List<Row> rows = new ArrayList<>(1);
        if (s.having == null || Comparisons.isTrue(s.having.eval(env))) rows.add(row(s, env, null));
        env.aggregates = null;
        return rows;
    }

    private static final Value[] NO_KEYS = new Value[0];

    static Row row(SelectStatement s, Env env, @Nullable Value id) {
        Value.Obj item = project(s, env);
        Value[] keys = s.orderBy.isEmpty() ? NO_KEYS : new Value[s.orderBy.size()];
        for (int i = 0; i < keys.length; i++) {
            SelectStatement.OrderItem o = s.orderBy.get(i);
            keys[i] = o.projectionIndex() >= 0
                    ? item.get(s.projections.get(o.projectionIndex()).name())
                    : o.expr().eval(env);
        }
        return new Row(item, keys, id);
    }

    /** The result item of the current row: the whole document for *, else the projections minus MISSING ones. */
    private static Value.Obj project(SelectStatement s, Env env) {
        if (s.selectAll) return (Value.Obj) env.row;
        Map<String, Value> fields = new LinkedHashMap<>();
        for (SelectStatement.Projection p : s.projections) {
            Value v = p.expr().eval(env);
            if (v != Value.MISSING) fields.put(p.name(), v);
        }
        return new Value.Obj(fields);
    }

    static long bound(SelectStatement.@Nullable Bound b, String clause, Env env, long absent) {
        if (b == null) return absent;
        Value v = b.expr().eval(env);
        Long n = NumericFunctions.integral(v);
        if (n == null || n < 0) {
            String shown = b.expr() instanceof Node.Arg a
                    ? ":" + a.name() + " was " + describe(v)
                    : b.expr().toDql();
            throw new DqlException(
                    DqlException.Kind.INVALID,
                    b.line(),
                    b.column(),
                    clause + " must be a non-negative integer but " + shown);
        }
        return n;
    }

    private static String describe(Value v) {
        return v.isAbsent() || v.isNumber()
                ? v.toString()
                : QueryExecutor.describe(v) + " " + JsonText.abbreviated(v, 80);
    }

    /** One group: its first row (which group-key expressions are evaluated against) and its accumulators. */
    private static final class Group {
        final Value.Obj first;
        final Accumulator[] accumulators;

        Group(Value.Obj first, List<Node.Aggregate> aggregates) {
            this.first = first;
            this.accumulators = new Accumulator[aggregates.size()];
            for (int i = 0; i < accumulators.length; i++) accumulators[i] = Accumulator.of(aggregates.get(i));
        }

        void add(List<Node.Aggregate> aggregates, Env env) {
            for (int i = 0; i < accumulators.length; i++) {
                Node arg = aggregates.get(i).argument();
                accumulators[i].add(arg == null ? Value.TRUE : arg.eval(env));
            }
        }

        Value[] results() {
            Value[] out = new Value[accumulators.length];
            for (int i = 0; i < out.length; i++) out[i] = accumulators[i].result();
            return out;
        }
    }

    /** The source, reading only the fields the statement needs in scans. */
    static DocumentSource narrowed(SelectStatement s, DocumentSource src) {
        return s.readFields == null ? src : new Narrowed(src, s.readFields);
    }

    /** A source whose scans read only the fields the statement needs (the documents never leave the statement). */
    private static final class Narrowed implements DocumentSource {
        private final DocumentSource src;
        private final Set<String> fields;

        Narrowed(DocumentSource src, Set<String> fields) {
            this.src = src;
            this.fields = fields;
        }

        @Override
        public void scan(String collection, java.util.function.Predicate<Value.Obj> visitor) {
            src.scan(collection, fields, visitor);
        }

        @Override
        public void scan(
                String collection, @Nullable Set<String> wanted, java.util.function.Predicate<Value.Obj> visitor) {
            src.scan(collection, wanted, visitor);
        }

        /** The filter reads its own fields; the matches hold the statement's. */
        @Override
        public void scanFiltered(
                String collection,
                Set<String> filterFields,
                java.util.function.Predicate<Value.Obj> filter,
                java.util.function.Predicate<Value.Obj> visitor) {
            src.scanFiltered(collection, filterFields, filter, fields, visitor);
        }

        @Override
        public void scanFiltered(
                String collection,
                Set<String> filterFields,
                java.util.function.Predicate<Value.Obj> filter,
                @Nullable Set<String> wanted,
                java.util.function.Predicate<Value.Obj> visitor) {
            src.scanFiltered(collection, filterFields, filter, wanted == null ? fields : wanted, visitor);
        }

        @Override
        public void scanFiltered(
                String collection,
                Set<String> filterFields,
                DocumentSource.HeldStrings heldStrings,
                java.util.function.Predicate<Value.Obj> filter,
                @Nullable Set<String> wanted,
                java.util.function.Predicate<Value.Obj> visitor) {
            src.scanFiltered(collection, filterFields, heldStrings, filter, wanted == null ? fields : wanted, visitor);
        }

        @Override
        public Value.@Nullable Obj get(String collection, Value id) {
            return src.get(collection, id);
        }

        @Override
        public void scanIds(
                String collection,
                io.starling.internal.index.IndexRange.@Nullable Bound lower,
                io.starling.internal.index.IndexRange.@Nullable Bound upper,
                boolean reverse,
                @Nullable Set<String> wanted,
                java.util.function.Predicate<Value.Obj> visitor) {
            src.scanIds(collection, lower, upper, reverse, wanted == null ? fields : wanted, visitor);
        }

        @Override
        public List<io.starling.internal.index.IndexDefinition> indexes(String collection) {
            return src.indexes(collection);
        }

        @Override
        public void scanIndex(
                io.starling.internal.index.IndexDefinition index,
                io.starling.internal.index.IndexRange range,
                boolean reverse,
                java.util.function.Predicate<Value.Obj> visitor) {
            src.scanIndex(index, range, reverse, visitor);
        }

        @Override
        public long count(String collection) {
            return src.count(collection);
        }
    }
}
