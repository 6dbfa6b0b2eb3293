package io.starling.internal.query;

import io.starling.internal.core.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/*
 * Design note — results kept up to date from the documents that change.
 *
 * A plain SELECT (no grouping, aggregates or DISTINCT, and no function of the execution's time) is a filter, a
 * projection and an order: a document's row depends on that document alone. So the result is a sorted window of
 * rows — ORDER BY items then _id, or _id alone, exactly the order SelectExecution gives — holding the first
 * OFFSET + LIMIT matching rows (all of them without LIMIT), with each row's _id. A changed document leaves the
 * window (its old row is removed by _id), and its new version enters at its sorted position if it matches.
 *
 * With LIMIT the window may be "truncated": more documents match than it holds, all of them sorting after its
 * last row. A new row that sorts before that last row enters and pushes the last one out; one that sorts after
 * stays out. Only when a row leaves a truncated window without a replacement known to sort before everything
 * outside does the window not know its next row: apply() says so and the caller re-runs the query (a refill).
 *
 * Pure and not thread-safe: one thread (the engine's evaluation thread) owns an instance.
 */

/** The result of a live query, kept up to date document by document. See the design note above. */
public final class LiveResult {
    private final SelectStatement statement;
    private final long offset;
    /** OFFSET + LIMIT: the rows the window keeps (Long.MAX_VALUE without LIMIT). */
    private final long capacity;

    private final Comparator<SelectExecution.Row> order;
    private final ArrayList<SelectExecution.Row> rows;
    /** True when matching documents exist beyond the window (all of them after its last row). */
    private boolean truncated;

    private @Nullable List<Value.Obj> items;

    /** What a change did to the result. */
    public enum Outcome {
        /** The result is the same. */
        UNCHANGED,
        /** The result changed and is up to date. */
        CHANGED,
        /** A row left a window that cannot tell its next row: re-run the query with {@link #evaluate}. */
        REFILL
    }

    private LiveResult(
            SelectStatement statement,
            long offset,
            long capacity,
            ArrayList<SelectExecution.Row> rows,
            boolean truncated) {
        this.statement = statement;
        this.offset = offset;
        this.capacity = capacity;
        this.order = SelectExecution.byKeys(statement.orderBy, 0, true);
        this.rows = rows;
        this.truncated = truncated;
    }

    /**
     * True when changes can be applied to the statement's result: no GROUP BY, aggregates or DISTINCT, and no call
     * of a function that reads the execution's time.
     */
    public static boolean supports(SelectStatement s) {
        return !s.isAggregate() && !s.distinct && !FieldRefs.readsClock(s);
    }

    /**
     * Runs the statement ({@link #supports} must hold) and keeps its rows.
     *
     * @throws DqlException as {@link QueryExecutor#select}
     */
    public static LiveResult evaluate(SelectStatement s, DocumentSource src, EvalContext ctx) {
        if (!supports(s)) throw new IllegalArgumentException("not a statement a live result can follow: " + s);
        QueryExecutor.checkArguments(s, ctx.arguments());
        Env env = new Env(ctx, s.frameSize);
        long limit = SelectExecution.bound(s.limit, "LIMIT", env, Long.MAX_VALUE);
        long offset = SelectExecution.bound(s.offset, "OFFSET", env, 0);
        long capacity = offset + limit < 0 ? Long.MAX_VALUE : offset + limit;
        ArrayList<SelectExecution.Row> rows = new ArrayList<>();
        if (capacity > 0) {
            DocumentSource polled = SelectExecution.narrowed(s, Interruptible.source(src, ctx.cancellation()));
            QueryPlan plan = Planner.forSelect(s, polled, env);
            // when the rows come in the result's order (no ORDER BY: _id order; or an ORDER BY the access path
            // delivers whole), the window is the first rows: read one more than it holds, to know it is truncated,
            // and stop — a page of keyset paging costs a page, not the collection
            long wanted = capacity == Long.MAX_VALUE ? Long.MAX_VALUE : capacity + 1;
            if (s.orderBy.isEmpty()) {
                plan.forEachMatch(polled, env, doc -> {
                    rows.add(SelectExecution.row(s, env, doc.get("_id")));
                    return rows.size() < wanted;
                });
            } else if (plan.orderedPrefix > 0 && !plan.sortGroups) {
                plan.forEachInAccessOrder(polled, env, doc -> {
                    rows.add(SelectExecution.row(s, env, doc.get("_id")));
                    return rows.size() < wanted;
                });
            } else {
                plan.forEachMatch(polled, env, doc -> {
                    rows.add(SelectExecution.row(s, env, doc.get("_id")));
                    return true;
                });
            }
        }
        Comparator<SelectExecution.Row> order = SelectExecution.byKeys(s.orderBy, 0, true);
        rows.sort(Interruptible.comparator(order, ctx.cancellation()));
        boolean truncated = rows.size() > capacity;
        if (truncated) rows.subList((int) capacity, rows.size()).clear();
        rows.trimToSize();
        return new LiveResult(s, offset, capacity, rows, truncated);
    }

    /** The result items, as {@link QueryExecutor#select} gives them; an immutable list. */
    public List<Value.Obj> items() {
        List<Value.Obj> out = items;
        if (out == null) {
            ArrayList<Value.Obj> list = new ArrayList<>(Math.max(0, rows.size() - (int) Math.min(offset, rows.size())));
            for (int i = (int) Math.min(offset, rows.size()); i < rows.size(); i++)
                list.add(rows.get(i).item());
            items = out = Collections.unmodifiableList(list);
        }
        return out;
    }

    /**
     * Applies one committed change of a document of the statement's collection: {@code after} is the document as
     * it now is, or null when it no longer exists (deleted or evicted). Changes must come in commit order.
     */
    public Outcome apply(Value id, Value.@Nullable Obj after, EvalContext ctx) {
        int oldAt = find(id);
        SelectExecution.Row old = oldAt < 0 ? null : rows.get(oldAt);
        SelectExecution.Row fresh = null;
        if (after != null) {
            Env env = new Env(ctx, statement.frameSize);
            env.row = after;
            if (statement.where == null || Comparisons.isTrue(statement.where.eval(env)))
                fresh = SelectExecution.row(statement, env, id);
        }
        if (old == null && fresh == null) return Outcome.UNCHANGED;
        SelectExecution.Row last = rows.isEmpty() ? null : rows.get(rows.size() - 1);
        if (old != null) {
            if (fresh != null && sameRow(old, fresh)) return Outcome.UNCHANGED;
            rows.remove(oldAt);
        }
        items = null;
        if (fresh == null) return truncated ? Outcome.REFILL : Outcome.CHANGED;
        if (truncated && last != null && order.compare(fresh, last) > 0) {
            // it sorts after the window's last row: behind documents the window does not hold
            return old != null ? Outcome.REFILL : Outcome.UNCHANGED;
        }
        int at = Collections.binarySearch(rows, fresh, order);
        rows.add(at < 0 ? -at - 1 : at, fresh);
        if (rows.size() > capacity) {
            rows.remove(rows.size() - 1);
            truncated = true;
        }
        return Outcome.CHANGED;
    }

    private static boolean sameRow(SelectExecution.Row a, SelectExecution.Row b) {
        if (!a.item().equals(b.item())) return false;
        for (int i = 0; i < a.keys().length; i++) if (!a.keys()[i].equals(b.keys()[i])) return false;
        return true;
    }

    /**
     * The position of the row of this document, or -1. Rows hold no index by id (a result may hold many rows, and
     * each observer's memory is its rows): in {@code _id} order a binary search, else a pass over the window.
     */
    private int find(Value id) {
        if (statement.orderBy.isEmpty()) {
            int at = Collections.binarySearch(rows, new SelectExecution.Row(Value.Obj.EMPTY, NO_KEYS, id), order);
            return Math.max(at, -1);
        }
        for (int i = 0; i < rows.size(); i++) if (id.equals(rows.get(i).id())) return i;
        return -1;
    }

    private static final Value[] NO_KEYS = new Value[0];
}
