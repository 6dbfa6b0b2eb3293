package io.starling.internal.query;

import io.starling.internal.core.Value;
import io.starling.internal.core.ValueOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * DQL comparison semantics (see docs/QUERY-LANGUAGE.md, "Comparisons").
 *
 * <ul>
 *   <li>MISSING in → MISSING out, then NULL in → NULL out ({@code x = NULL} never matches);
 *   <li>numbers compare by value across Int and Dbl ({@code 1 = 1.0});
 *   <li>{@code =}: values of different types are unequal (FALSE); arrays and objects compare structurally;
 *   <li>{@code < <= > >=}: values of the same type are ordered (numbers, strings by code point, false &lt; true,
 *       arrays element-wise, objects and binary as in {@link ValueOrder}); values of different types are not
 *       comparable and give NULL, so a range filter never matches a value of another type.
 * </ul>
 * None of these allocate.
 */
final class Comparisons {
    private Comparisons() {}

    static boolean isTrue(Value v) {
        return v instanceof Value.Bool b && b.value();
    }

    static Value.Bool bool(boolean b) {
        return b ? Value.TRUE : Value.FALSE;
    }

    /** Three-valued {@code a = b}. */
    static Value equal(Value a, Value b) {
        if (a == Value.MISSING || b == Value.MISSING) return Value.MISSING;
        if (a == Value.NULL || b == Value.NULL) return Value.NULL;
        return bool(deepEquals(a, b));
    }

    /** Structural equality with numbers by value; MISSING equals MISSING, NULL equals NULL. */
    static boolean deepEquals(Value a, Value b) {
        if (a == b) return true;
        if (a instanceof Value.Str sa)
            return b instanceof Value.Str sb && sa.value().equals(sb.value());
        if (a.isNumber()) return b.isNumber() && ValueOrder.compareNumbers(a, b) == 0;
        if (a instanceof Value.Bool ba) return b instanceof Value.Bool bb && ba.value() == bb.value();
        if (a instanceof Value.Arr aa) {
            if (!(b instanceof Value.Arr ab) || aa.size() != ab.size()) return false;
            for (int i = 0; i < aa.size(); i++) {
                if (!deepEquals(aa.items().get(i), ab.items().get(i))) return false;
            }
            return true;
        }
        if (a instanceof Value.Obj oa) {
            if (!(b instanceof Value.Obj ob) || oa.size() != ob.size()) return false;
            for (Map.Entry<String, Value> e : oa.fields().entrySet()) {
                Value other = ob.fields().get(e.getKey());
                if (other == null || !deepEquals(e.getValue(), other)) return false;
            }
            return true;
        }
        return a.equals(b); // MISSING, NULL, binary
    }

    /** Hash consistent with {@link #deepEquals}. */
    static int deepHash(Value v) {
        if (v instanceof Value.Int i) return Long.hashCode(i.value());
        if (v instanceof Value.Dbl d) {
            double x = d.value();
            if (x == Math.rint(x) && x >= -0x1p63 && x < 0x1p63) return Long.hashCode((long) x);
            return Double.hashCode(x);
        }
        if (v instanceof Value.Arr a) {
            int h = 1;
            for (Value item : a.items()) h = 31 * h + deepHash(item);
            return h;
        }
        if (v instanceof Value.Obj o) {
            int h = 0;
            for (Map.Entry<String, Value> e : o.fields().entrySet())
                h += e.getKey().hashCode() ^ deepHash(e.getValue());
            return h;
        }
        return v.hashCode();
    }

    /**
     * Three-valued ordering comparison. {@code sign} is the required sign of compare(a, b): -1 for {@code <},
     * 1 for {@code >}; {@code orEqual} admits 0.
     */
    static Value order(Value a, Value b, int sign, boolean orEqual) {
        if (a == Value.MISSING || b == Value.MISSING) return Value.MISSING;
        if (a == Value.NULL || b == Value.NULL) return Value.NULL;
        if (!sameType(a, b)) return Value.NULL;
        int c = collate(a, b);
        return bool(c == 0 ? orEqual : Integer.signum(c) == sign);
    }

    static boolean sameType(Value a, Value b) {
        if (a.isNumber()) return b.isNumber();
        return a.getClass() == b.getClass();
    }

    /**
     * Like {@link ValueOrder#compare} but numbers of equal value compare equal ({@code 1} vs {@code 1.0} is 0), also
     * inside arrays and objects, so that ordering agrees with {@code =}.
     */
    static int collate(Value a, Value b) {
        if (a.isNumber() && b.isNumber()) return ValueOrder.compareNumbers(a, b);
        if (a instanceof Value.Arr aa && b instanceof Value.Arr ab) {
            int n = Math.min(aa.size(), ab.size());
            for (int i = 0; i < n; i++) {
                int c = collate(aa.items().get(i), ab.items().get(i));
                if (c != 0) return c;
            }
            return Integer.compare(aa.size(), ab.size());
        }
        if (a instanceof Value.Obj oa && b instanceof Value.Obj ob) {
            if (oa.size() != ob.size()) return Integer.compare(oa.size(), ob.size());
            List<String> ka = sortedKeys(oa), kb = sortedKeys(ob);
            for (int i = 0; i < ka.size(); i++) {
                int c = ValueOrder.compareStrings(ka.get(i), kb.get(i));
                if (c != 0) return c;
            }
            for (String k : ka) {
                int c = collate(oa.get(k), ob.get(k));
                if (c != 0) return c;
            }
            return 0;
        }
        return ValueOrder.compare(a, b);
    }

    static List<String> sortedKeys(Value.Obj o) {
        List<String> keys = new ArrayList<>(o.fields().keySet());
        keys.sort(ValueOrder::compareStrings);
        return keys;
    }

    /** True when the array holds an item equal to {@code v} (numbers by value). */
    static boolean contains(Value.Arr arr, Value v) {
        for (Value item : arr.items()) {
            if (deepEquals(item, v)) return true;
        }
        return false;
    }
}
