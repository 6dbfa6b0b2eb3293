package io.starling.internal.crdt;

import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import io.starling.internal.core.ValueOrder;
import java.math.BigInteger;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * One node of a document's CRDT tree: the state of one path. Mutable, package-private; {@link
 * DocumentState} owns it and never lets it escape. See docs/DATA-MODEL.md for the rules; in short:
 *
 * <ul>
 *   <li>{@code assign}: the last-writer-wins <em>non-map assignment</em> of this path — a register value, a
 *       removal (UNSET, or DELETE at the root) or a counter restart — with its stamp.
 *   <li>{@code mapStamp}: the latest stamp at which this path was made an object (an INSERT at the root).
 *   <li>{@code entries}: the children, for when the path is an object.
 *   <li>{@code contributions}: counter increments, as running sums: each <em>series</em> is one site's
 *       sum of increments since the clear it had seen ({@code basis}), keyed by the stamp of its first
 *       increment. A site continues its series while it holds it; a site that does not (it evicted the
 *       document, or never had its own series for this basis) starts a new one, so a sum never silently
 *       replaces increments it does not include.
 * </ul>
 *
 * <p>Normal form ({@link #normalize}): everything at or below the <em>effective clear</em> {@code E} — the
 * latest non-map assignment on this path or any ancestor — is dropped, because no later write can make
 * it visible again. Merging is union followed by normalisation; both are deterministic, so equal sets of
 * writes give equal trees and, through the canonical codec, identical bytes.
 */
final class Node {
    static final int NONE = 0, REGISTER = 1, REMOVED = 2, COUNTER = 3;

    int assignKind = NONE;
    Stamp assignStamp = Stamp.NONE;
    /** The register value, or the counter's base (Int or Dbl). Null unless REGISTER or COUNTER. */
    @Nullable
    Value assignValue;

    Stamp mapStamp = Stamp.NONE;

    @Nullable
    TreeMap<String, Node> entries;
    /** series (the stamp of its first increment; its site is the writer) to contribution, in stamp order. */
    @Nullable
    TreeMap<Stamp, Contribution> contributions;

    /**
     * One series: the increments of one site since the clear {@code basis}, started at {@code series};
     * {@code stamp} is its latest increment and {@code sum} their total.
     */
    record Contribution(Stamp basis, Stamp series, Stamp stamp, Value sum) {}

    Node copy() {
        Node n = new Node();
        n.assignKind = assignKind;
        n.assignStamp = assignStamp;
        n.assignValue = assignValue;
        n.mapStamp = mapStamp;
        if (entries != null) {
            n.entries = new TreeMap<>();
            for (Map.Entry<String, Node> e : entries.entrySet())
                n.entries.put(e.getKey(), e.getValue().copy());
        }
        if (contributions != null) n.contributions = new TreeMap<>(contributions);
        return n;
    }

    boolean isEmpty() {
        return assignKind == NONE
                && mapStamp.isNone()
                && (entries == null || entries.isEmpty())
                && (contributions == null || contributions.isEmpty());
    }

    TreeMap<Stamp, Contribution> contributionsForWrite() {
        if (contributions == null) contributions = new TreeMap<>();
        return contributions;
    }

    /** Makes this path a plain assignment (register, removal or counter restart) at {@code stamp}. */
    void assign(int kind, Stamp stamp, @Nullable Value value) {
        assignKind = kind;
        assignStamp = stamp;
        assignValue = value;
        // everything else here is older than the new assignment, so it is dominated
        entries = null;
        mapStamp = Stamp.NONE;
        contributions = null;
    }

    Node child(String key) {
        if (entries == null) entries = new TreeMap<>();
        return entries.computeIfAbsent(key, k -> new Node());
    }

    @Nullable
    Node existingChild(String key) {
        return entries == null ? null : entries.get(key);
    }

    /** This path's effective clear, given the parent's. */
    Stamp effectiveClear(Stamp parentClear) {
        return Stamp.max(parentClear, assignStamp);
    }

    /** True when this path is visibly an object. */
    boolean isMap() {
        return !mapStamp.isNone() && mapStamp.after(assignStamp);
    }

    // ---- normal form --------------------------------------------------------------------------------

    /** Brings the subtree into normal form under the parent's effective clear. */
    void normalize(Stamp parentClear) {
        if (assignKind != NONE && !assignStamp.after(parentClear)) {
            assignKind = NONE;
            assignStamp = Stamp.NONE;
            assignValue = null;
        }
        Stamp clear = effectiveClear(parentClear);
        if (!mapStamp.after(clear)) mapStamp = Stamp.NONE;
        if (entries != null) {
            for (Iterator<Node> it = entries.values().iterator(); it.hasNext(); ) {
                Node c = it.next();
                c.normalize(clear);
                if (c.isEmpty()) it.remove();
            }
            if (entries.isEmpty()) entries = null;
        }
        if (contributions != null) {
            contributions.values().removeIf(c -> c.basis().compareTo(clear) < 0);
            if (contributions.isEmpty()) contributions = null;
        }
    }

    // ---- merge ---------------------------------------------------------------------------------------

    /** Unions {@code other} into this node (not normalised; the caller normalises the whole tree). */
    void absorb(Node other) {
        int c = other.assignStamp.compareTo(assignStamp);
        if (c > 0 || (c == 0 && other.assignKind != NONE && compareAssignment(other, this) > 0)) {
            assignKind = other.assignKind;
            assignStamp = other.assignStamp;
            assignValue = other.assignValue;
        }
        mapStamp = Stamp.max(mapStamp, other.mapStamp);
        if (other.entries != null) {
            for (Map.Entry<String, Node> e : other.entries.entrySet()) {
                Node mine = existingChild(e.getKey());
                if (mine == null) child(e.getKey()).absorb(e.getValue());
                else mine.absorb(e.getValue());
            }
        }
        if (other.contributions != null) {
            for (Map.Entry<Stamp, Contribution> e : other.contributions.entrySet()) {
                contributionsForWrite().merge(e.getKey(), e.getValue(), Node::laterContribution);
            }
        }
    }

    /**
     * Two assignments with one stamp can only come from one write, so they are equal; should corrupt input
     * ever disagree, an arbitrary but deterministic choice keeps merge commutative.
     */
    private static int compareAssignment(Node a, Node b) {
        if (a.assignKind != b.assignKind) return Integer.compare(a.assignKind, b.assignKind);
        if (a.assignValue == null || b.assignValue == null) return 0;
        return ValueOrder.compare(a.assignValue, b.assignValue);
    }

    private static Contribution laterContribution(Contribution a, Contribution b) {
        int c = a.stamp().compareTo(b.stamp());
        if (c == 0) c = a.basis().compareTo(b.basis());
        if (c == 0) c = ValueOrder.compare(a.sum(), b.sum());
        return c >= 0 ? a : b;
    }

    // ---- reading -------------------------------------------------------------------------------------

    /** The visible value of this path: an object, a register value, a counter total, or MISSING. */
    Value visible(Stamp parentClear) {
        Stamp clear = effectiveClear(parentClear);
        if (isMap()) {
            java.util.LinkedHashMap<String, Value> fields =
                    new java.util.LinkedHashMap<>(entries == null ? 2 : entries.size() * 2);
            if (entries != null) {
                for (Map.Entry<String, Node> e : entries.entrySet()) {
                    Value v = e.getValue().visible(clear);
                    if (!v.isMissing()) fields.put(e.getKey(), v);
                }
            }
            return Value.Obj.ofOwned(fields);
        }
        Value assigned = assignKind == REGISTER || assignKind == COUNTER
                ? Objects.requireNonNull(assignValue, "a register or counter without a value")
                : null;
        if (assigned != null && assignKind == REGISTER && (contributions == null || !assigned.isNumber()))
            return assigned;
        if (assigned != null || contributions != null) {
            // a counter: its base (a restart, a plain number, or 0) plus the series that counted toward it
            Sum total = new Sum(assigned != null ? assigned : new Value.Int(0));
            if (contributions != null) {
                for (Contribution c : contributions.values()) {
                    if (c.basis().equals(clear)) total.add(c.sum());
                }
            }
            return total.value();
        }
        return Value.MISSING;
    }

    /**
     * Every series is finite (a local increment that would overflow is refused), but the sum of several sites'
     * series may not be: it saturates at the largest float, the same on every replica (series are summed in
     * stamp order), so that a non-finite number never shows.
     */
    static Value finite(Value total) {
        if (total instanceof Value.Dbl d && !Double.isFinite(d.value())) {
            return new Value.Dbl(d.value() > 0 ? Double.MAX_VALUE : -Double.MAX_VALUE);
        }
        return total;
    }

    /**
     * A counter's total: its base plus the series that counted toward it. Integers add exactly whatever their order
     * (a partial sum may leave 64 bits, the total shows as an integer when it fits and as the nearest float when it
     * does not); once a float takes part, the numbers add as floats in series order, the same on every replica.
     */
    static final class Sum {
        private Value total;
        private boolean integers;
        private long exact;
        private @Nullable BigInteger big; // the exact sum once a partial sum left 64 bits

        Sum(Value base) {
            this.total = base;
            this.integers = base instanceof Value.Int;
            this.exact = base instanceof Value.Int i ? i.value() : 0;
        }

        void add(Value term) {
            total = Node.add(total, term);
            if (!integers) return;
            if (!(term instanceof Value.Int i)) {
                integers = false;
                return;
            }
            BigInteger b = big;
            if (b != null) {
                big = b.add(BigInteger.valueOf(i.value()));
                return;
            }
            long r = exact + i.value();
            if (((exact ^ r) & (i.value() ^ r)) < 0) {
                big = BigInteger.valueOf(exact).add(BigInteger.valueOf(i.value()));
            } else {
                exact = r;
            }
        }

        Value value() {
            if (!integers) return finite(total);
            BigInteger b = big;
            if (b == null) return new Value.Int(exact);
            return b.bitLength() < 64 ? new Value.Int(b.longValue()) : new Value.Dbl(b.doubleValue());
        }
    }

    /** True when this path is visibly a counter. */
    boolean isCounter() {
        return !isMap() && (assignKind == COUNTER || (assignKind != REGISTER && contributions != null));
    }

    /** Number addition for counters: integers stay integers until they would overflow. */
    static Value add(Value a, Value b) {
        if (a instanceof Value.Int x && b instanceof Value.Int y) {
            long r = x.value() + y.value();
            if (((x.value() ^ r) & (y.value() ^ r)) >= 0) return new Value.Int(r);
            return new Value.Dbl((double) x.value() + (double) y.value());
        }
        return new Value.Dbl(toDouble(a) + toDouble(b));
    }

    private static double toDouble(Value v) {
        return v instanceof Value.Int i ? (double) i.value() : ((Value.Dbl) v).value();
    }

    /** The greatest stamp anywhere in the subtree. */
    Stamp maxStamp() {
        Stamp m = Stamp.max(assignStamp, mapStamp);
        if (entries != null) for (Node c : entries.values()) m = Stamp.max(m, c.maxStamp());
        if (contributions != null) for (Contribution c : contributions.values()) m = Stamp.max(m, c.stamp());
        return m;
    }
}
