package io.starling.internal.query;

import io.starling.internal.core.Value;

/**
 * DQL arithmetic (see docs/QUERY-LANGUAGE.md, "Arithmetic").
 *
 * <ul>
 *   <li>MISSING in → MISSING out, then NULL in → NULL out; any other non-number operand → NULL;
 *   <li>two integers give an integer: {@code 10 / 4 = 2} (truncated toward zero), {@code 10 % 4 = 2} (sign of the
 *       dividend); an integer result that overflows 64 bits is computed in floating point instead;
 *   <li>any float operand gives a float; a non-finite float result (overflow to infinity) gives NULL;
 *   <li>division or modulo by zero (integer or float) gives NULL.
 * </ul>
 */
final class Arithmetic {
    private Arithmetic() {}

    enum Op {
        ADD("+"),
        SUB("-"),
        MUL("*"),
        DIV("/"),
        MOD("%");

        final String symbol;

        Op(String symbol) {
            this.symbol = symbol;
        }
    }

    static Value apply(Op op, Value a, Value b) {
        if (a == Value.MISSING || b == Value.MISSING) return Value.MISSING;
        if (!a.isNumber() || !b.isNumber()) return Value.NULL;
        if (a instanceof Value.Int ia && b instanceof Value.Int ib) return ints(op, ia.value(), ib.value());
        return dbl(doubles(op, toDouble(a), toDouble(b)));
    }

    static double toDouble(Value v) {
        return v instanceof Value.Int i ? (double) i.value() : ((Value.Dbl) v).value();
    }

    private static Value ints(Op op, long x, long y) {
        switch (op) {
            case ADD: {
                long r = x + y;
                return ((x ^ r) & (y ^ r)) < 0 ? dbl((double) x + (double) y) : Value.of(r);
            }
            case SUB: {
                long r = x - y;
                return ((x ^ y) & (x ^ r)) < 0 ? dbl((double) x - (double) y) : Value.of(r);
            }
            case MUL: {
                long hi = Math.multiplyHigh(x, y), lo = x * y;
                boolean fits = (hi == 0 && lo >= 0) || (hi == -1 && lo < 0);
                return fits ? Value.of(lo) : dbl((double) x * (double) y);
            }
            case DIV:
                if (y == 0) return Value.NULL;
                if (x == Long.MIN_VALUE && y == -1) return dbl(-(double) Long.MIN_VALUE);
                return Value.of(x / y);
            default:
                if (y == 0) return Value.NULL;
                return Value.of(x % y);
        }
    }

    private static double doubles(Op op, double x, double y) {
        switch (op) {
            case ADD:
                return x + y;
            case SUB:
                return x - y;
            case MUL:
                return x * y;
            case DIV:
                return y == 0 ? Double.NaN : x / y;
            default:
                return y == 0 ? Double.NaN : x % y;
        }
    }

    /** A float result, or NULL when it is not finite. */
    static Value dbl(double d) {
        return Double.isFinite(d) ? Value.of(d) : Value.NULL;
    }

    static Value negate(Value a) {
        if (a == Value.MISSING) return Value.MISSING;
        if (a instanceof Value.Int i) {
            return i.value() == Long.MIN_VALUE ? dbl(-(double) Long.MIN_VALUE) : Value.of(-i.value());
        }
        if (a instanceof Value.Dbl d) return Value.of(-d.value());
        return Value.NULL;
    }

    /** {@code a || b}: two strings concatenate; MISSING → MISSING; anything else → NULL. */
    static Value concat(Value a, Value b) {
        if (a == Value.MISSING || b == Value.MISSING) return Value.MISSING;
        if (a instanceof Value.Str sa && b instanceof Value.Str sb) {
            ValueSize.check((long) sa.value().length() + sb.value().length(), "||");
            return Value.of(sa.value() + sb.value());
        }
        return Value.NULL;
    }
}
