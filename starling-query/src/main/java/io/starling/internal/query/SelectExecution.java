package io.starling.internal.query;

import io.starling.internal.core.Value;
import io.starling.internal.core.ValueOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The SELECT pipeline:
 * <pre>
 *   source (scan, or _id lookups) ─▶ WHERE ─▶ [GROUP BY + aggregates ─▶ HAVING] ─▶ projection (+ sort keys)
 *     ─▶ DISTINCT ─▶ ORDER BY (stable, ValueOrder) ─▶ OFFSET ─▶ LIMIT
 * </pre>
 * A plain query (no grouping, DISTINCT or ORDER BY) streams: it stops scanning once OFFSET + LIMIT rows are out.
 * Without ORDER BY rows keep the source order ({@code _id} order; groups in order of their first row).
 */
final class SelectExecution {
    private SelectExecution() {}

    /** A result row and the values it sorts by. */
    private record Row(Value.Obj item, Value[] keys) {}

    static List<Value.Obj> run(SelectStatement s, DocumentSource src, Env env) {
        long limit = bound(s.limit, "LIMIT", env, Long.MAX_VALUE);
        long offset = bound(s.offset, "OFFSET", env, 0);
        if (limit == 0) return List.of();
        if (!s.isAggregate() && !s.distinct && s.orderBy.isEmpty()) {
            List<Value.Obj> out = new ArrayList<>();
            long[] skipped = {0};
            QueryExecutor.candidates(s.collection(), s.where, src, env, doc -> {
                if (skipped[0] < offset) {
                    skipped[0]++;
                    return true;
                }
                out.add(project(s, env));
                return out.size() < limit;
            });
            return out;
        }
        List<Row> rows = s.isAggregate() ? grouped(s, src, env) : ungrouped(s, src, env);
        if (s.distinct) {
            Set<ValueKey> seen = new HashSet<>();
            List<Row> unique = new ArrayList<>(rows.size());
            for (Row r : rows) if (seen.add(new ValueKey(r.item()))) unique.add(r);
            rows = unique;
        }
        if (!s.orderBy.isEmpty()) {
            List<SelectStatement.OrderItem> order = s.orderBy;
            rows.sort((a, b) -> {
                for (int i = 0; i < order.size(); i++) {
                    int c = ValueOrder.compare(a.keys()[i], b.keys()[i]);
                    if (c != 0) return order.get(i).descending() ? -c : c;
                }
                return 0;
            });
        }
        List<Value.Obj> out = new ArrayList<>();
        for (long i = offset; i < rows.size() && out.size() < limit; i++) out.add(rows.get((int) i).item());
        return out;
    }

    private static List<Row> ungrouped(SelectStatement s, DocumentSource src, Env env) {
        List<Row> rows = new ArrayList<>();
        QueryExecutor.candidates(s.collection(), s.where, src, env, doc -> {
            rows.add(row(s, env));
            return true;
        });
        return rows;
    }

    private static List<Row> grouped(SelectStatement s, DocumentSource src, Env env) {
        Map<List<ValueKey>, Group> groups = new LinkedHashMap<>();
        QueryExecutor.candidates(s.collection(), s.where, src, env, doc -> {
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
            env.row = g.first;
            env.aggregates = g.results();
            if (s.having != null && !Comparisons.isTrue(s.having.eval(env))) continue;
            rows.add(row(s, env));
        }
        env.aggregates = null;
        return rows;
    }

    private static Row row(SelectStatement s, Env env) {
        Value.Obj item = project(s, env);
        Value[] keys = new Value[s.orderBy.size()];
        for (int i = 0; i < keys.length; i++) {
            SelectStatement.OrderItem o = s.orderBy.get(i);
            keys[i] = o.projectionIndex() >= 0 ? item.get(s.projections.get(o.projectionIndex()).name()) : o.expr().eval(env);
        }
        return new Row(item, keys);
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

    private static long bound(SelectStatement.Bound b, String clause, Env env, long absent) {
        if (b == null) return absent;
        Value v = b.expr().eval(env);
        Long n = NumericFunctions.integral(v);
        if (n == null || n < 0) {
            String shown = b.expr() instanceof Node.Arg a ? ":" + a.name() + " was " + describe(v) : b.expr().toDql();
            throw new DqlException(DqlException.Kind.INVALID, b.line(), b.column(),
                    clause + " must be a non-negative integer but " + shown);
        }
        return n;
    }

    private static String describe(Value v) {
        return v.isAbsent() || v.isNumber() ? v.toString() : QueryExecutor.describe(v) + " " + JsonText.write(v);
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
}
