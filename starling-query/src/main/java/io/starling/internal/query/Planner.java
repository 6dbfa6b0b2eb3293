package io.starling.internal.query;

import io.starling.internal.core.Path;
import io.starling.internal.core.Value;
import io.starling.internal.core.ValueOrder;
import io.starling.internal.index.IndexDefinition;
import io.starling.internal.index.IndexRange;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/*
 * Planner design note
 * -------------------
 * The planner picks how a statement reads its candidate documents (an AccessPath) and whether the index order
 * makes the ORDER BY sort unnecessary. It never decides which documents match: the evaluator stays the single
 * source of truth, and every candidate still goes through the full WHERE. A plan may therefore over-approximate
 * (read documents that fail the WHERE) but must never leave one out; the property test IndexEquivalenceTest
 * checks that every plan returns exactly what a full scan returns, in the same order.
 *
 * What the WHERE says about indexed paths comes from Constraints: per path, a ValueSet (sorted disjoint
 * intervals in ValueOrder) that holds the path's value whenever the WHERE is TRUE. Choosing, in this order:
 *
 *   1. IdLookup   a conjunct `_id = c` / `_id IN c` (c constant), or a WHERE that pins _id to a list of values;
 *   2. Empty      some path can hold no value at all (`a = NULL`, `a = 1 AND a = 2`, `a < 5 AND a > 'x'`);
 *   3. IndexScan  the best index whose leading components are constrained (rule below), when it has an
 *                 equality prefix;
 *   3½. IdRange   the WHERE bounds _id (`_id > :last`, `_id BETWEEN a AND b`, `_id LIKE 'k%'`): the intervals of
 *                 _id read from the primary key order (storage keeps rows by their id's order-preserving encoding,
 *                 which is ValueOrder), forward, or backward for ORDER BY _id DESC;
 *   4. IndexScan  the best index with only a range on its first component;
 *   5. Union      when no single index applies: an OR conjunct whose every branch (ANDed with the other
 *                 conjuncts) has an access path of its own; candidates are merged by _id;
 *   6. IdRange    over the whole collection when the ORDER BY starts with _id (either direction): the order is
 *                 delivered, and with a LIMIT the scan stops after OFFSET + LIMIT rows;
 *   7. IndexScan  over a whole index, only to deliver the ORDER BY order when there is a LIMIT to stop at;
 *   8. FullScan   otherwise.
 *
 * An IdRange led by ORDER BY _id delivers the whole ORDER BY (ids are unique: nothing after _id can break a tie),
 * so keyset paging (`WHERE _id > :last ORDER BY _id LIMIT n`, and `WHERE _id < :first ORDER BY _id DESC LIMIT n`
 * for the page before) costs a seek and n rows however deep the page is. IdRangeEquivalenceTest checks it against
 * a full scan and sort over a real store.
 *
 * Index rule. For each index, its leading key components that the WHERE pins to finitely many exact values
 * (`=`, IN, IS NULL, IS MISSING; `a = 5` pins two: 5 and 5.0) form the equality prefix, and the next constrained
 * component, if any, gives a range (`< <= > >= BETWEEN`, LIKE 'abc%'). The ranges are the product of the prefix
 * values and the range's intervals (at most MAX_RANGES: beyond, the last component gets one range spanning all its
 * values, and no further component is used). Candidates are ranked by:
 * more equality components; then having a range; then delivering the wanted order (ORDER BY, or _id order for a
 * LIMIT without ORDER BY); then fewer ranges; then fewer key fields; then the index name (so plans are stable).
 *
 * Order. Results without ORDER BY come in _id order whatever the plan; ORDER BY ties are broken by _id. An
 * index scan yields rows by key (each component's direction) and ties by _id ascending, reversed when scanned
 * backwards. Components pinned to one exact value do not affect that order; the others ("free" components)
 * do. The ORDER BY is delivered by the scan when its leading items, skipping items on pinned components and
 * repeated items, are the free components in key order, all in the index's directions (forward scan) or all
 * opposite (reverse scan). The scan then yields rows sorted on those items ("the delivered prefix"); rows equal on
 * the prefix form tie groups that are re-sorted by the rest of the ORDER BY and _id when needed (a reverse scan,
 * free components left over, or ORDER BY items past the prefix). LIMIT stops the scan once OFFSET + LIMIT rows are
 * out and the group in progress is complete, so the rows at the boundary are the right ones. Index scans that are
 * not in _id order and not delivering the ORDER BY are sorted by _id before the rest of the pipeline (grouping,
 * DISTINCT, the stable ORDER BY sort), so every plan feeds the pipeline the same sequence.
 *
 * Planning evaluates constant operands once (with an empty row) and calls DocumentSource.indexes once; it reads no
 * document. It allocates in proportion to the WHERE, not to the data.
 */

/** Chooses the access path of a statement; see the design note above. One instance per planning. */
final class Planner {
    /** The most ranges one index scan may have (products of IN lists grow fast). */
    static final int MAX_RANGES = 1024;
    /** Bounds the work of exploring OR branches for a Union. */
    private static final int MAX_PLANNING_STEPS = 64;

    private static final Path ID = Path.of("_id");

    /** An ORDER BY item the planner can match to an index component: a field path and its direction. */
    record OrderKey(Path path, boolean descending) {}

    /**
     * What the consumer would like the access order to be.
     *
     * @param orderKeys the ORDER BY items, up to the first one that is not a plain field path; null when an index
     *     order cannot help (no ORDER BY, grouping, DISTINCT)
     * @param idOrderPays a plain query with LIMIT and no ORDER BY: an index already in _id order can stop early
     * @param orderOnlyPays a plain query with ORDER BY and LIMIT: scanning a whole index for its order can stop early
     * @param orderBySize the number of ORDER BY items
     */
    record Wish(@Nullable List<OrderKey> orderKeys, boolean idOrderPays, boolean orderOnlyPays, int orderBySize) {
        static final Wish NONE = new Wish(null, false, false, 0);
    }

    /**
     * The chosen access path; with {@code orderedPrefix > 0} it delivers the first {@code orderedPrefix} ORDER BY
     * items, and {@code sortGroups} says whether tie groups on that prefix must be re-sorted.
     */
    record Choice(AccessPath access, int orderedPrefix, boolean sortGroups) {
        Choice(AccessPath access) {
            this(access, 0, false);
        }
    }

    private final String collection;
    private final Env env;
    private final List<IndexDefinition> indexes;
    /** The paths constraints are worth computing for: index fields and _id. */
    private final Set<Path> paths = new HashSet<>();

    private int steps;

    private Planner(String collection, DocumentSource src, Env env) {
        this.collection = collection;
        this.env = env;
        List<IndexDefinition> all = src.indexes(collection);
        List<IndexDefinition> mine = new ArrayList<>(all.size());
        for (IndexDefinition d : all) if (d.collection().equals(collection)) mine.add(d);
        this.indexes = mine;
        paths.add(ID);
        for (IndexDefinition d : indexes) for (IndexDefinition.Field f : d.fields()) paths.add(f.path());
    }

    // ---------------------------------------------------------------------------------------------- entry points

    /** The plan of a SELECT. */
    static QueryPlan forSelect(SelectStatement s, DocumentSource src, Env env) {
        if (isCountAll(s)) return QueryPlan.countFastPath(s.collection());
        boolean plain = !s.isAggregate() && !s.distinct;
        boolean limited = s.limit != null;
        Wish wish = Wish.NONE;
        if (plain && s.orderBy.isEmpty()) {
            wish = new Wish(null, limited, false, 0);
        } else if (plain) {
            wish = new Wish(orderKeys(s), false, limited, s.orderBy.size());
        }
        Planner p = new Planner(s.collection(), src, env);
        Choice c = p.choose(s.where, wish);
        return new QueryPlan(s.collection(), c.access(), s.where, c.orderedPrefix(), c.sortGroups());
    }

    /** The plan that finds the documents a statement's WHERE matches (UPDATE, DELETE, EVICT, SELECT), in _id order. */
    static QueryPlan forMatching(String collection, @Nullable Node where, DocumentSource src, Env env) {
        Planner p = new Planner(collection, src, env);
        return new QueryPlan(collection, p.choose(where, Wish.NONE).access(), where, 0, false);
    }

    /** {@code SELECT COUNT(*) [, COUNT(*)…] FROM c} with no WHERE and no GROUP BY: the source counts. */
    private static boolean isCountAll(SelectStatement s) {
        if (s.where != null || !s.groupBy.isEmpty() || s.aggregates.isEmpty()) return false;
        for (Node.Aggregate a : s.aggregates) {
            if (a.kind() != Node.AggregateKind.COUNT || a.argument() != null) return false;
        }
        return true;
    }

    /** The ORDER BY items up to the first that is not a field path (an alias of a field path counts). */
    private static List<OrderKey> orderKeys(SelectStatement s) {
        List<OrderKey> keys = new ArrayList<>();
        for (SelectStatement.OrderItem o : s.orderBy) {
            Node e = o.projectionIndex() >= 0
                    ? s.projections.get(o.projectionIndex()).expr()
                    : o.expr();
            if (!(e instanceof Node.Field f)) break;
            keys.add(new OrderKey(f.path(), o.descending()));
        }
        return keys;
    }

    // ---------------------------------------------------------------------------------------------- choosing

    private Choice choose(@Nullable Node where, Wish wish) {
        if (where != null) {
            Choice c = filtering(flattenAnd(where), wish);
            if (c != null) return c;
        }
        if (wish.orderKeys() != null && deliversById(wish.orderKeys())) return idRange(ValueSet.ALL.intervals(), wish);
        if (wish.orderOnlyPays() && wish.orderKeys() != null) {
            Candidate best = null;
            for (IndexDefinition d : indexes) {
                Candidate c = new Candidate(d, List.of(), null, 1);
                c.order(wish);
                if (c.orderedPrefix == 0) continue;
                if (best == null || ORDER_ONLY.compare(c, best) < 0) best = c;
            }
            if (best != null) return best.choice();
        }
        return new Choice(new AccessPath.FullScan(collection));
    }

    /** Steps 1 to 5 of the design note; null when only a full scan (or a whole-index scan) would do. */
    private @Nullable Choice filtering(List<Node> conjuncts, Wish wish) {
        if (++steps > MAX_PLANNING_STEPS) return null;
        List<Value> ids = idLookup(conjuncts, env);
        if (ids != null) return new Choice(new AccessPath.IdLookup(collection, ids));
        Map<Path, ValueSet> constraints = Map.of();
        for (Node c : conjuncts) constraints = Constraints.intersect(constraints, Constraints.of(c, paths, env));
        for (Map.Entry<Path, ValueSet> e : constraints.entrySet()) {
            if (e.getValue().isEmpty()) {
                return new Choice(new AccessPath.Empty(
                        "no value of " + AccessPath.IndexScan.text(e.getKey()) + " satisfies the WHERE"));
            }
        }
        ValueSet id = constraints.get(ID);
        if (id != null && id.isPoints()) return new Choice(new AccessPath.IdLookup(collection, idsOf(id.points())));
        Candidate best = null;
        for (IndexDefinition d : indexes) {
            Candidate c = candidate(d, constraints);
            if (c == null) continue;
            c.order(wish);
            if (best == null || better(c, best, wish) < 0) best = c;
        }
        if (best != null && !best.points.isEmpty()) return best.choice();
        if (id != null) return idRange(id.intervals(), wish);
        if (best != null) return best.choice();
        return union(conjuncts);
    }

    /**
     * Step 3½ of the design note: an IdRange over the intervals, forward or (for {@code ORDER BY _id DESC}) backward.
     * With ORDER BY led by {@code _id} the scan delivers the whole ORDER BY: {@code _id} is unique, so later items
     * never break a tie.
     */
    private Choice idRange(List<ValueSet.Interval> intervals, Wish wish) {
        List<OrderKey> keys = wish.orderKeys();
        if (keys == null || !deliversById(keys))
            return new Choice(new AccessPath.IdRange(collection, intervals, false));
        boolean descending = keys.get(0).descending();
        return new Choice(new AccessPath.IdRange(collection, intervals, descending), wish.orderBySize(), false);
    }

    private static boolean deliversById(List<OrderKey> keys) {
        return !keys.isEmpty() && keys.get(0).path().equals(ID);
    }

    /** A Union over the first OR conjunct whose every branch, with the other conjuncts, has an access path. */
    private @Nullable Choice union(List<Node> conjuncts) {
        for (int i = 0; i < conjuncts.size(); i++) {
            if (!(conjuncts.get(i) instanceof Node.Binary b) || b.op() != Node.BinaryOp.OR) continue;
            List<Node> rest = new ArrayList<>(conjuncts);
            rest.remove(i);
            List<AccessPath> inputs = new ArrayList<>();
            boolean all = true;
            for (Node branch : flattenOr(b)) {
                List<Node> branchConjuncts = new ArrayList<>(rest);
                branchConjuncts.addAll(flattenAnd(branch));
                Choice c = filtering(branchConjuncts, Wish.NONE);
                if (c == null) {
                    all = false;
                    break;
                }
                if (c.access() instanceof AccessPath.Union u) inputs.addAll(u.inputs());
                else if (!(c.access() instanceof AccessPath.Empty)) inputs.add(c.access());
            }
            if (!all) continue;
            if (inputs.isEmpty()) return new Choice(new AccessPath.Empty("no branch of the OR can be satisfied"));
            return new Choice(new AccessPath.Union(inputs));
        }
        return null;
    }

    /** The equality prefix and range an index gets from the constraints; null when its first component has none. */
    private static @Nullable Candidate candidate(IndexDefinition d, Map<Path, ValueSet> constraints) {
        List<List<Value>> points = new ArrayList<>();
        List<ValueSet.Interval> range = null;
        long count = 1;
        for (IndexDefinition.Field f : d.fields()) {
            ValueSet s = constraints.get(f.path());
            if (s == null) break;
            if (s.isPoints() && count * s.intervals().size() <= MAX_RANGES) {
                points.add(s.points());
                count *= s.intervals().size();
                continue;
            }
            if (count * s.intervals().size() <= MAX_RANGES) {
                range = s.intervals();
                count *= s.intervals().size();
            } else {
                range = List.of(s.hull()); // too many values: one range around them all, the filter decides
            }
            break;
        }
        if (points.isEmpty() && range == null) return null;
        return new Candidate(d, points, range, count);
    }

    /** The ranking of the design note: negative when {@code a} is the better index. */
    private static int better(Candidate a, Candidate b, Wish wish) {
        int c = Integer.compare(b.points.size(), a.points.size());
        if (c != 0) return c;
        c = Boolean.compare(b.range != null, a.range != null);
        if (c != 0) return c;
        c = Boolean.compare(b.delivers(wish), a.delivers(wish));
        if (c != 0) return c;
        c = Boolean.compare(a.sortGroups, b.sortGroups);
        if (c != 0) return c;
        c = Long.compare(a.rangeCount, b.rangeCount);
        if (c != 0) return c;
        c = Integer.compare(a.index.fields().size(), b.index.fields().size());
        if (c != 0) return c;
        return a.index.name().compareTo(b.index.name());
    }

    /** Among whole-index scans for order: longest delivered prefix, no group sorting, fewest fields, name. */
    private static final Comparator<Candidate> ORDER_ONLY = Comparator.comparingInt((Candidate c) -> -c.orderedPrefix)
            .thenComparing(c -> c.sortGroups)
            .thenComparingInt(c -> c.index.fields().size())
            .thenComparing(c -> c.index.name());

    /** One index with the prefix values and range the WHERE gives it, and what its order delivers. */
    private static final class Candidate {
        final IndexDefinition index;
        /** Per equality component, its exact values ascending. */
        final List<List<Value>> points;
        /** The intervals of the component after the prefix, ascending; null when none. */
        final @Nullable List<ValueSet.Interval> range;

        final long rangeCount;
        boolean reverse;
        boolean idOrdered;
        int orderedPrefix;
        boolean sortGroups;

        Candidate(
                IndexDefinition index,
                List<List<Value>> points,
                @Nullable List<ValueSet.Interval> range,
                long rangeCount) {
            this.index = index;
            this.points = points;
            this.range = range;
            this.rangeCount = rangeCount;
        }

        boolean delivers(Wish wish) {
            return wish.orderKeys() != null ? orderedPrefix > 0 : wish.idOrderPays() && idOrdered;
        }

        /** Works out the order this scan delivers (see the design note). */
        void order(Wish wish) {
            List<IndexDefinition.Field> fields = index.fields();
            Set<Path> pinned = new HashSet<>();
            List<IndexDefinition.Field> free = new ArrayList<>();
            for (int j = 0; j < fields.size(); j++) {
                if (j < points.size() && points.get(j).size() == 1)
                    pinned.add(fields.get(j).path());
                else free.add(fields.get(j));
            }
            idOrdered = free.isEmpty();
            if (wish.orderKeys() == null) return;
            Set<Path> seen = new HashSet<>();
            Boolean forward = null;
            int matched = 0, prefix = 0;
            for (OrderKey k : wish.orderKeys()) {
                if (seen.add(k.path()) && !pinned.contains(k.path())) {
                    if (matched >= free.size() || !free.get(matched).path().equals(k.path())) break;
                    boolean same = free.get(matched).descending() == k.descending();
                    if (forward != null && forward != same) break;
                    forward = same;
                    matched++;
                }
                prefix++;
            }
            if (prefix == 0 || (matched == 0 && !free.isEmpty())) return;
            orderedPrefix = prefix;
            reverse = forward != null && !forward;
            sortGroups = reverse || matched < free.size() || prefix < wish.orderBySize();
        }

        Choice choice() {
            return new Choice(
                    new AccessPath.IndexScan(index, ranges(), reverse, idOrdered && !reverse),
                    orderedPrefix,
                    sortGroups);
        }

        /** The product of the prefix values and the range's intervals, in index order (each component's direction). */
        List<IndexRange> ranges() {
            List<IndexDefinition.Field> fields = index.fields();
            List<List<Value>> ordered = new ArrayList<>(points.size());
            for (int j = 0; j < points.size(); j++) {
                List<Value> vs = new ArrayList<>(points.get(j));
                if (fields.get(j).descending()) Collections.reverse(vs);
                ordered.add(vs);
            }
            List<ValueSet.Interval> tail = null;
            if (range != null) {
                tail = new ArrayList<>(range);
                if (fields.get(points.size()).descending()) Collections.reverse(tail);
            }
            List<IndexRange> out = new ArrayList<>();
            int[] at = new int[ordered.size()];
            while (true) {
                List<Value> equal = new ArrayList<>(ordered.size() + 1);
                for (int j = 0; j < at.length; j++) equal.add(ordered.get(j).get(at[j]));
                if (tail == null) {
                    out.add(IndexRange.equalTo(equal));
                } else {
                    for (ValueSet.Interval iv : tail) {
                        if (iv.isPoint()) {
                            List<Value> e = new ArrayList<>(equal);
                            e.add(Objects.requireNonNull(iv.lower()).value());
                            out.add(IndexRange.equalTo(e));
                        } else {
                            out.add(new IndexRange(equal, iv.lower(), iv.upper()));
                        }
                    }
                }
                int j = at.length - 1;
                while (j >= 0 && ++at[j] == ordered.get(j).size()) at[j--] = 0;
                if (j < 0) return out;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- helpers

    /** The ids named by an {@code _id = c} / {@code _id IN c} conjunct, sorted and distinct; null when there is none. */
    static @Nullable List<Value> idLookup(List<Node> conjuncts, Env env) {
        for (Node c : conjuncts) {
            Node constant = null;
            boolean list = false;
            if (c instanceof Node.Binary b && b.op() == Node.BinaryOp.EQ) {
                if (isId(b.left()) && Constraints.isConstant(b.right())) constant = b.right();
                else if (isId(b.right()) && Constraints.isConstant(b.left())) constant = b.left();
            } else if (c instanceof Node.In in
                    && !in.negated()
                    && isId(in.value())
                    && Constraints.isConstant(in.list())) {
                constant = in.list();
                list = true;
            }
            if (constant == null) continue;
            Value v = Constraints.eval(constant, env);
            return idsOf(list && v instanceof Value.Arr arr ? arr.items() : List.of(v));
        }
        return null;
    }

    /**
     * Ids to look up: absent values dropped, each once, ascending, and every integral float (also inside a composite
     * id) as the integer: ids hold no floats, and {@code =} compares numbers by value.
     */
    private static List<Value> idsOf(List<Value> raw) {
        TreeMap<Value, Value> sorted = new TreeMap<>(ValueOrder.TOTAL);
        for (Value id : raw) {
            if (id.isAbsent()) continue;
            Value key = Constraints.lowest(id);
            sorted.putIfAbsent(key, key);
        }
        return new ArrayList<>(sorted.values());
    }

    private static boolean isId(Node n) {
        return n instanceof Node.Field f && f.path().equals(ID);
    }

    static List<Node> flattenAnd(Node n) {
        List<Node> out = new ArrayList<>();
        flatten(n, Node.BinaryOp.AND, out);
        return out;
    }

    private static List<Node> flattenOr(Node n) {
        List<Node> out = new ArrayList<>();
        flatten(n, Node.BinaryOp.OR, out);
        return out;
    }

    private static void flatten(Node n, Node.BinaryOp op, List<Node> out) {
        if (n instanceof Node.Binary b && b.op() == op) {
            flatten(b.left(), op, out);
            flatten(b.right(), op, out);
        } else {
            out.add(n);
        }
    }
}
