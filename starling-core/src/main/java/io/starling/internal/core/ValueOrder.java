package io.starling.internal.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The fixed total order over all values, used by ORDER BY, MIN/MAX, DISTINCT and (later) indexes.
 *
 * <p>Across types: {@code MISSING < NULL < false < true < numbers < strings < arrays < objects < binary}
 * (the order of SQL++/N1QL, which DQL follows). Within a type:
 * <ul>
 *   <li>numbers by numeric value, integers and floats compared exactly ({@code 1 = 1.0}); ties between an
 *       integer and an equal float are broken integer-first so that the order stays total and consistent
 *       with {@link Value#equals};
 *   <li>strings by Unicode code point;
 *   <li>arrays element by element, then the shorter first;
 *   <li>objects by field count, then by their sorted field names, then by the values in name order;
 *   <li>binary by unsigned bytes, then the shorter first.
 * </ul>
 */
public final class ValueOrder {
    private ValueOrder() {}

    /** The total order. Consistent with {@link Value#equals}: returns 0 only for equal values. */
    public static final Comparator<Value> TOTAL = ValueOrder::compare;

    public static int compare(Value a, Value b) {
        int ra = rank(a), rb = rank(b);
        if (ra != rb) return Integer.compare(ra, rb);
        switch (ra) {
            case 0:
            case 1:
                return 0;
            case 2:
                return Boolean.compare(((Value.Bool) a).value(), ((Value.Bool) b).value());
            case 3: {
                int c = compareNumbers(a, b);
                if (c != 0) return c;
                // numerically equal: Int before Dbl, so the order is total
                return Boolean.compare(a instanceof Value.Dbl, b instanceof Value.Dbl);
            }
            case 4:
                return compareStrings(((Value.Str) a).value(), ((Value.Str) b).value());
            case 5:
                return compareArrays((Value.Arr) a, (Value.Arr) b);
            case 6:
                return compareObjects((Value.Obj) a, (Value.Obj) b);
            default:
                return compareBinary((Value.Bin) a, (Value.Bin) b);
        }
    }

    private static int rank(Value v) {
        if (v instanceof Value.Missing) return 0;
        if (v instanceof Value.Null) return 1;
        if (v instanceof Value.Bool) return 2;
        if (v instanceof Value.Int || v instanceof Value.Dbl) return 3;
        if (v instanceof Value.Str) return 4;
        if (v instanceof Value.Arr) return 5;
        if (v instanceof Value.Obj) return 6;
        return 7;
    }

    /** Numeric comparison of two numbers (Int or Dbl), exact across the two representations. */
    public static int compareNumbers(Value a, Value b) {
        if (a instanceof Value.Int ia) {
            if (b instanceof Value.Int ib) return Long.compare(ia.value(), ib.value());
            return compareLongDouble(ia.value(), ((Value.Dbl) b).value());
        }
        double da = ((Value.Dbl) a).value();
        if (b instanceof Value.Int ib) return -compareLongDouble(ib.value(), da);
        return Double.compare(da, ((Value.Dbl) b).value());
    }

    /** True when both are numbers of equal value ({@code 1 = 1.0}). */
    public static boolean numbersEqual(Value a, Value b) {
        return a.isNumber() && b.isNumber() && compareNumbers(a, b) == 0;
    }

    static int compareLongDouble(long l, double d) {
        if (Double.isNaN(d)) return -1;
        if (d >= 0x1p63) return -1;
        if (d < -0x1p63) return 1;
        long truncated = (long) d;
        if (l != truncated) return Long.compare(l, truncated);
        double fraction = d - truncated;
        return fraction > 0 ? -1 : fraction < 0 ? 1 : 0;
    }

    public static int compareStrings(String a, String b) {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i), cb = b.codePointAt(j);
            if (ca != cb) return Integer.compare(ca, cb);
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }

    private static int compareArrays(Value.Arr a, Value.Arr b) {
        int n = Math.min(a.size(), b.size());
        for (int i = 0; i < n; i++) {
            int c = compare(a.items().get(i), b.items().get(i));
            if (c != 0) return c;
        }
        return Integer.compare(a.size(), b.size());
    }

    private static int compareObjects(Value.Obj a, Value.Obj b) {
        if (a.size() != b.size()) return Integer.compare(a.size(), b.size());
        List<String> ka = sortedKeys(a.fields()), kb = sortedKeys(b.fields());
        for (int i = 0; i < ka.size(); i++) {
            int c = compareStrings(ka.get(i), kb.get(i));
            if (c != 0) return c;
        }
        for (String k : ka) {
            int c = compare(a.get(k), b.get(k));
            if (c != 0) return c;
        }
        return 0;
    }

    private static List<String> sortedKeys(Map<String, Value> fields) {
        List<String> keys = new ArrayList<>(fields.keySet());
        keys.sort(ValueOrder::compareStrings);
        return keys;
    }

    private static int compareBinary(Value.Bin a, Value.Bin b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            int c = Integer.compare(a.byteAt(i) & 0xff, b.byteAt(i) & 0xff);
            if (c != 0) return c;
        }
        return Integer.compare(a.length(), b.length());
    }
}
