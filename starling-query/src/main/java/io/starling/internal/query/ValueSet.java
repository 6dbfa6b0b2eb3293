package io.starling.internal.query;

import io.starling.internal.core.Value;
import io.starling.internal.core.ValueOrder;
import io.starling.internal.index.IndexRange.Bound;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A set of values as a sorted list of disjoint, non-empty intervals in {@link ValueOrder}: what the planner knows
 * about the value at one path when a WHERE is TRUE. A point {@code [v, v]} is one exact value ({@code Value.equals},
 * so {@code 5} and {@code 5.0} are two points). A null bound is unbounded. Immutable.
 */
final class ValueSet {
    /** One interval; lower/upper null when unbounded. Never empty. */
    record Interval(@Nullable Bound lower, @Nullable Bound upper) {
        boolean isPoint() {
            return lower != null
                    && upper != null
                    && lower.inclusive()
                    && upper.inclusive()
                    && ValueOrder.compare(lower.value(), upper.value()) == 0;
        }

        boolean contains(Value v) {
            if (lower != null) {
                int c = ValueOrder.compare(v, lower.value());
                if (c < 0 || (c == 0 && !lower.inclusive())) return false;
            }
            if (upper != null) {
                int c = ValueOrder.compare(v, upper.value());
                if (c > 0 || (c == 0 && !upper.inclusive())) return false;
            }
            return true;
        }
    }

    static final ValueSet NONE = new ValueSet(List.of());
    static final ValueSet ALL = new ValueSet(List.of(new Interval(null, null)));

    private final List<Interval> intervals;

    private ValueSet(List<Interval> intervals) {
        this.intervals = List.copyOf(intervals);
    }

    static ValueSet point(Value v) {
        return new ValueSet(List.of(new Interval(new Bound(v, true), new Bound(v, true))));
    }

    /** The values between two bounds (null: unbounded); NONE when that is empty. */
    static ValueSet between(@Nullable Bound lower, @Nullable Bound upper) {
        return empty(lower, upper) ? NONE : new ValueSet(List.of(new Interval(lower, upper)));
    }

    static ValueSet ofPoints(List<Value> values) {
        List<ValueSet> points = new ArrayList<>(values.size());
        for (Value v : values) points.add(point(v));
        return unionAll(points);
    }

    /**
     * The union of many sets in one sort of all their intervals: O(n log n) for n intervals, where folding
     * {@link #union} over a long IN list would sort the growing set again for every item.
     */
    static ValueSet unionAll(List<ValueSet> sets) {
        List<Interval> all = new ArrayList<>();
        for (ValueSet s : sets) all.addAll(s.intervals);
        return all.isEmpty() ? NONE : new ValueSet(merged(all));
    }

    List<Interval> intervals() {
        return intervals;
    }

    boolean isEmpty() {
        return intervals.isEmpty();
    }

    /** True when the set is a finite list of exact values (and not empty). */
    boolean isPoints() {
        if (intervals.isEmpty()) return false;
        for (Interval i : intervals) if (!i.isPoint()) return false;
        return true;
    }

    /** The exact values of a {@link #isPoints()} set, ascending. */
    List<Value> points() {
        List<Value> out = new ArrayList<>(intervals.size());
        for (Interval i : intervals) out.add(Objects.requireNonNull(i.lower()).value());
        return out;
    }

    /** The smallest single interval containing the set (the set must not be empty). */
    Interval hull() {
        return new Interval(
                intervals.get(0).lower(), intervals.get(intervals.size() - 1).upper());
    }

    boolean contains(Value v) {
        for (Interval i : intervals) if (i.contains(v)) return true;
        return false;
    }

    ValueSet intersect(ValueSet other) {
        List<Interval> out = new ArrayList<>();
        int i = 0, j = 0;
        while (i < intervals.size() && j < other.intervals.size()) {
            Interval a = intervals.get(i), b = other.intervals.get(j);
            Bound lo = compareLower(a.lower(), b.lower()) >= 0 ? a.lower() : b.lower();
            Bound hi = compareUpper(a.upper(), b.upper()) <= 0 ? a.upper() : b.upper();
            if (!empty(lo, hi)) out.add(new Interval(lo, hi));
            if (compareUpper(a.upper(), b.upper()) <= 0) i++;
            else j++;
        }
        return new ValueSet(out);
    }

    ValueSet union(ValueSet other) {
        if (other.intervals.isEmpty()) return this;
        if (intervals.isEmpty()) return other;
        List<Interval> all = new ArrayList<>(intervals);
        all.addAll(other.intervals);
        return new ValueSet(merged(all));
    }

    /** Sorted, with overlapping or adjoining intervals joined; {@code all} must not be empty. */
    private static List<Interval> merged(List<Interval> all) {
        all.sort((a, b) -> compareLower(a.lower(), b.lower()));
        List<Interval> out = new ArrayList<>();
        Interval cur = all.get(0);
        for (int k = 1; k < all.size(); k++) {
            Interval next = all.get(k);
            if (touches(cur.upper(), next.lower())) {
                if (compareUpper(next.upper(), cur.upper()) > 0) cur = new Interval(cur.lower(), next.upper());
            } else {
                out.add(cur);
                cur = next;
            }
        }
        out.add(cur);
        return out;
    }

    /** True when an interval ending at {@code upper} overlaps or adjoins one starting at {@code lower}. */
    private static boolean touches(@Nullable Bound upper, @Nullable Bound lower) {
        if (upper == null || lower == null) return true;
        int c = ValueOrder.compare(lower.value(), upper.value());
        return c < 0 || (c == 0 && (lower.inclusive() || upper.inclusive()));
    }

    private static boolean empty(@Nullable Bound lower, @Nullable Bound upper) {
        if (lower == null || upper == null) return false;
        int c = ValueOrder.compare(lower.value(), upper.value());
        return c > 0 || (c == 0 && !(lower.inclusive() && upper.inclusive()));
    }

    /** Lower bounds: unbounded first; at equal values an inclusive bound starts earlier. */
    private static int compareLower(@Nullable Bound a, @Nullable Bound b) {
        if (a == null || b == null) return a == null ? (b == null ? 0 : -1) : 1;
        int c = ValueOrder.compare(a.value(), b.value());
        if (c != 0) return c;
        return a.inclusive() == b.inclusive() ? 0 : a.inclusive() ? -1 : 1;
    }

    /** Upper bounds: unbounded last; at equal values an exclusive bound ends earlier. */
    private static int compareUpper(@Nullable Bound a, @Nullable Bound b) {
        if (a == null || b == null) return a == null ? (b == null ? 0 : 1) : -1;
        int c = ValueOrder.compare(a.value(), b.value());
        if (c != 0) return c;
        return a.inclusive() == b.inclusive() ? 0 : a.inclusive() ? 1 : -1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ValueSet s && intervals.equals(s.intervals);
    }

    @Override
    public int hashCode() {
        return intervals.hashCode();
    }

    /** Interval notation with DQL literals: {@code ['a', 'b')}, {@code (TRUE, 5]}, {@code [2, *)}; a point as its literal. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Interval i : intervals) {
            if (sb.length() > 0) sb.append(" ∪ ");
            appendInterval(sb, i.lower(), i.upper());
        }
        return intervals.isEmpty() ? "∅" : sb.toString();
    }

    static void appendInterval(StringBuilder sb, @Nullable Bound lower, @Nullable Bound upper) {
        if (lower != null
                && upper != null
                && lower.inclusive()
                && upper.inclusive()
                && ValueOrder.compare(lower.value(), upper.value()) == 0) {
            appendLiteral(sb, lower.value());
            return;
        }
        sb.append(lower != null && lower.inclusive() ? '[' : '(');
        if (lower == null) sb.append('*');
        else appendLiteral(sb, lower.value());
        sb.append(", ");
        if (upper == null) sb.append('*');
        else appendLiteral(sb, upper.value());
        sb.append(upper != null && upper.inclusive() ? ']' : ')');
    }

    static void appendLiteral(StringBuilder sb, Value v) {
        if (v instanceof Value.Bin) sb.append(v);
        else Node.Literal.printValue(sb, v);
    }
}
