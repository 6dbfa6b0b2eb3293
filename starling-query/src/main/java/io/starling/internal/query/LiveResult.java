package io.starling.internal.query;

import io.starling.internal.core.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
    private final Map<Value, SelectExecution.Row> byId;
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
        this.byId = new HashMap<>(rows.size() * 2);
        for (SelectExecution.Row r : rows) byId.put(Objects.requireNonNull(r.id()), r);
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
            plan.forEachMatch(polled, env, doc -> {
                rows.add(SelectExecution.row(s, env, doc.get("_id")));
                return true;
            });
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
        SelectExecution.Row old = byId.get(id);
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
            rows.remove(indexOf(old));
            byId.remove(id);
        }
        items = null;
        if (fresh == null) return truncated ? Outcome.REFILL : Outcome.CHANGED;
        if (truncated && last != null && order.compare(fresh, last) > 0) {
            // it sorts after the window's last row: behind documents the window does not hold
            return old != null ? Outcome.REFILL : Outcome.UNCHANGED;
        }
        int at = Collections.binarySearch(rows, fresh, order);
        rows.add(at < 0 ? -at - 1 : at, fresh);
        byId.put(id, fresh);
        if (rows.size() > capacity) {
            SelectExecution.Row dropped = rows.remove(rows.size() - 1);
            byId.remove(Objects.requireNonNull(dropped.id()));
            truncated = true;
        }
        return Outcome.CHANGED;
    }

    private static boolean sameRow(SelectExecution.Row a, SelectExecution.Row b) {
        if (!a.item().equals(b.item())) return false;
        for (int i = 0; i < a.keys().length; i++) if (!a.keys()[i].equals(b.keys()[i])) return false;
        return true;
    }

    private int indexOf(SelectExecution.Row row) {
        int at = Collections.binarySearch(rows, row, order);
        if (at >= 0 && rows.get(at).equals(row)) return at;
        return rows.indexOf(row); // not reached: rows sort strictly (ties broken by _id)
    }
}
