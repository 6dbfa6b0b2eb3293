package io.starling.internal.query;

import io.starling.internal.core.Value;
import java.math.BigDecimal;
import java.math.RoundingMode;
import org.jspecify.annotations.Nullable;

/**
 * Math functions. Integer inputs stay integers where the result is integral ({@code abs}, {@code sign},
 * {@code round}/{@code trunc} without positive digits, {@code power} with a non-negative integer exponent);
 * {@code ceil}/{@code floor}/{@code round}/{@code trunc} of a float give an integer when it fits in 64 bits.
 * Non-numbers and non-finite results give NULL.
 */
final class NumericFunctions {
    private NumericFunctions() {}

    static void register(FunctionRegistry.Builder b) {
        b.fn("abs", 1, 1, (env, a) -> {
            if (a[0] instanceof Value.Int i) return i.value() >= 0 ? a[0] : Arithmetic.negate(a[0]);
            return a[0] instanceof Value.Dbl d ? Value.of(Math.abs(d.value())) : Value.NULL;
        });
        b.fn(
                "ceil",
                1,
                1,
                (env, a) -> a[0] instanceof Value.Dbl d ? integral(Math.ceil(d.value())) : intOrNull(a[0]),
                "ceiling");
        b.fn(
                "floor",
                1,
                1,
                (env, a) -> a[0] instanceof Value.Dbl d ? integral(Math.floor(d.value())) : intOrNull(a[0]));
        b.fn("round", 1, 2, (env, a) -> scale(a, RoundingMode.HALF_UP));
        b.fn("trunc", 1, 2, (env, a) -> scale(a, RoundingMode.DOWN), "truncate");
        b.fn(
                "sqrt",
                1,
                1,
                (env, a) -> a[0].isNumber() ? Arithmetic.dbl(Math.sqrt(Arithmetic.toDouble(a[0]))) : Value.NULL);
        b.fn("power", 2, 2, (env, a) -> power(a[0], a[1]), "pow");
        b.fn(
                "sign",
                1,
                1,
                (env, a) -> a[0].isNumber() ? Value.of((long) Math.signum(Arithmetic.toDouble(a[0]))) : Value.NULL);
        b.fn(
                "exp",
                1,
                1,
                (env, a) -> a[0].isNumber() ? Arithmetic.dbl(Math.exp(Arithmetic.toDouble(a[0]))) : Value.NULL);
        b.fn(
                "ln",
                1,
                1,
                (env, a) -> a[0].isNumber() ? Arithmetic.dbl(Math.log(Arithmetic.toDouble(a[0]))) : Value.NULL);
        b.fn(
                "log",
                1,
                1,
                (env, a) -> a[0].isNumber() ? Arithmetic.dbl(Math.log10(Arithmetic.toDouble(a[0]))) : Value.NULL,
                "log10");
        b.fn("pi", 0, 0, (env, a) -> Value.of(Math.PI));
    }

    /** The value as a long when it is an integer or an integral float in range; else null. */
    static @Nullable Long integral(Value v) {
        if (v instanceof Value.Int i) return i.value();
        if (v instanceof Value.Dbl d
                && d.value() == Math.rint(d.value())
                && d.value() >= -0x1p63
                && d.value() < 0x1p63) {
            return (long) d.value();
        }
        return null;
    }

    private static Value intOrNull(Value v) {
        return v instanceof Value.Int ? v : Value.NULL;
    }

    /** An integral double as an Int when it fits, else as a (finite) Dbl. */
    static Value integral(double d) {
        if (d >= -0x1p63 && d < 0x1p63) return Value.of((long) d);
        return Arithmetic.dbl(d);
    }

    private static Value scale(Value[] a, RoundingMode mode) {
        Value x = a[0];
        if (!x.isNumber()) return Value.NULL;
        Long digits = a.length > 1 ? integral(a[1]) : Long.valueOf(0);
        if (digits == null || Math.abs(digits) > 300) return Value.NULL;
        if (x instanceof Value.Int && digits == 0) return x;
        double d = Arithmetic.toDouble(x);
        if (!Double.isFinite(d)) return Value.NULL;
        BigDecimal bd = (x instanceof Value.Int i ? BigDecimal.valueOf(i.value()) : BigDecimal.valueOf(d))
                .setScale(digits.intValue(), mode);
        if (digits <= 0) {
            try {
                return Value.of(bd.longValueExact());
            } catch (ArithmeticException tooBig) {
                return Arithmetic.dbl(bd.doubleValue());
            }
        }
        return Arithmetic.dbl(bd.doubleValue());
    }

    private static Value power(Value x, Value y) {
        if (!x.isNumber() || !y.isNumber()) return Value.NULL;
        if (x instanceof Value.Int bx && y instanceof Value.Int ey && ey.value() >= 0) {
            long base = bx.value(), exp = ey.value(), result = 1;
            try {
                while (exp > 0) {
                    if ((exp & 1) == 1) result = Math.multiplyExact(result, base);
                    exp >>= 1;
                    if (exp > 0) base = Math.multiplyExact(base, base);
                }
                return Value.of(result);
            } catch (ArithmeticException overflow) {
                // falls back to floating point below
            }
        }
        return Arithmetic.dbl(Math.pow(Arithmetic.toDouble(x), Arithmetic.toDouble(y)));
    }
}
