package io.starling.internal.query;

import io.starling.internal.core.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Builds the EXPLAIN item: {@code {"plan": operator}}, where each operator is an object with its name under
 * {@code "operator"}, its details, and the operator it reads from under {@code "input"} (a Union has
 * {@code "inputs"}). The tree is printed from the last step down to the access path, e.g.
 * <pre>
 * Limit ─▶ Project ─▶ Sort (avoided) ─▶ Filter ─▶ IndexScan
 * </pre>
 * The operator names and fields are listed in docs/QUERY-LANGUAGE.md ("EXPLAIN").
 */
final class Explain {
    private Explain() {}

    static Value.Obj of(Statement s, DocumentSource src, Env env) {
        Value.Obj tree;
        if (s instanceof SelectStatement select) {
            tree = select(select, src, env);
        } else {
            QueryPlan plan = Planner.forMatching(s.collection(), QueryExecutor.whereOf(s), src, env);
            String name = s instanceof UpdateStatement ? "Update" : s instanceof DeleteStatement ? "Delete" : "Evict";
            tree = op(name, "collection", Value.of(s.collection()), "input", matches(plan));
        }
        return op(null, "plan", tree);
    }

    private static Value.Obj select(SelectStatement s, DocumentSource src, Env env) {
        long limit = SelectExecution.bound(s.limit, "LIMIT", env, Long.MAX_VALUE);
        long offset = SelectExecution.bound(s.offset, "OFFSET", env, 0);
        QueryPlan plan = Planner.forSelect(s, src, env);
        boolean plain = !s.isAggregate() && !s.distinct;
        boolean byIndex = plain && plan.orderedPrefix > 0;
        Value.Obj t;
        if (plan.isCountFastPath()) {
            t = op("CountFastPath", "collection", Value.of(s.collection()), "aggregates", dqlList(s.aggregates));
        } else {
            t = byIndex ? filtered(plan) : matches(plan);
            if (s.isAggregate()) {
                t = op("Aggregate", "groupBy", dqlList(s.groupBy), "aggregates", dqlList(s.aggregates), "input", t);
            }
        }
        if (s.having != null) t = op("Having", "condition", Value.of(s.having.toDql()), "input", t);
        t = op("Project", "columns", s.selectAll ? Value.of("*") : strings(s.columns()), "input", t);
        if (s.distinct) t = op("Distinct", "input", t);
        if (!s.orderBy.isEmpty()) {
            List<String> keys = new ArrayList<>();
            for (SelectStatement.OrderItem o : s.orderBy) {
                StringBuilder sb = new StringBuilder();
                if (o.projectionIndex() >= 0)
                    Keywords.appendIdentifier(
                            sb, s.projections.get(o.projectionIndex()).name());
                else o.expr().print(sb);
                keys.add(sb.append(o.descending() ? " DESC" : "").toString());
            }
            Value tieGroups = null;
            if (byIndex && plan.sortGroups) {
                List<String> rest = new ArrayList<>(keys.subList(plan.orderedPrefix, keys.size()));
                rest.add("_id");
                tieGroups = strings(rest);
            }
            t = op(
                    "Sort",
                    "keys",
                    strings(keys),
                    "avoided",
                    Value.of(byIndex),
                    "tieGroupsSortedBy",
                    tieGroups,
                    "input",
                    t);
        }
        if (s.limit != null || s.offset != null) {
            boolean pushed = s.limit != null
                    && plain
                    && (byIndex || (s.orderBy.isEmpty() && !plan.isCountFastPath() && !plan.sortsById()));
            t = op(
                    "Limit",
                    "count",
                    s.limit == null ? null : Value.of(limit),
                    "offset",
                    s.offset == null ? null : Value.of(offset),
                    "pushedDown",
                    Value.of(pushed),
                    "input",
                    t);
        }
        return t;
    }

    /** The access path, the WHERE filter, and the sort by _id when the access order is not _id order. */
    private static Value.Obj matches(QueryPlan plan) {
        Value.Obj t = filtered(plan);
        return plan.sortsById() ? op("Sort", "keys", strings(List.of("_id")), "input", t) : t;
    }

    private static Value.Obj filtered(QueryPlan plan) {
        Value.Obj t = Objects.requireNonNull(plan.access).explain();
        if (plan.where != null && !(plan.access instanceof AccessPath.Empty)) {
            t = op("Filter", "condition", Value.of(plan.where.toDql()), "input", t);
        }
        return t;
    }

    /** An operator object; {@code kv} alternates names and values, null values are left out. */
    static Value.Obj op(@Nullable String name, @Nullable Object... kv) {
        LinkedHashMap<String, Value> m = new LinkedHashMap<>();
        if (name != null) m.put("operator", Value.of(name));
        for (int i = 0; i < kv.length; i += 2) {
            if (kv[i + 1] != null) m.put((String) kv[i], (Value) kv[i + 1]);
        }
        return Value.Obj.ofOwned(m);
    }

    /** The nodes as DQL, each text once (an aggregate used twice is computed once per slot, shown once). */
    private static Value dqlList(List<? extends Node> nodes) {
        Set<String> texts = new LinkedHashSet<>();
        for (Node n : nodes) texts.add(n.toDql());
        return strings(new ArrayList<>(texts));
    }

    private static Value strings(List<String> items) {
        List<Value> out = new ArrayList<>(items.size());
        for (String i : items) out.add(Value.of(i));
        return new Value.Arr(out);
    }
}
