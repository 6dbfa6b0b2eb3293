package io.starling.internal.query;

import io.starling.internal.core.Value;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Type tests and conversions: {@code type()}, {@code is_number()} and friends, {@code cast()},
 * {@code tostring()}, {@code tonumber()}, {@code toboolean()}. A value that cannot be converted gives NULL.
 */
final class TypeFunctions {
    private TypeFunctions() {}

    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

    /** Cast target types by accepted spelling. */
    enum Target {
        STRING,
        NUMBER,
        INT,
        FLOAT,
        BOOLEAN,
        ARRAY,
        OBJECT;

        static @Nullable Target of(String name) {
            switch (name.toLowerCase(Locale.ROOT)) {
                case "string":
                case "str":
                case "text":
                    return STRING;
                case "number":
                case "numeric":
                    return NUMBER;
                case "int":
                case "integer":
                case "bigint":
                    return INT;
                case "float":
                case "double":
                case "real":
                    return FLOAT;
                case "boolean":
                case "bool":
                    return BOOLEAN;
                case "array":
                    return ARRAY;
                case "object":
                    return OBJECT;
                default:
                    return null;
            }
        }
    }

    static void register(FunctionRegistry.Builder b) {
        b.raw("type", 1, 1, (env, a) -> Value.of(a[0].typeName()), "typeof", "type_of");
        b.fn("is_boolean", 1, 1, (env, a) -> Comparisons.bool(a[0] instanceof Value.Bool), "isboolean");
        b.fn("is_number", 1, 1, (env, a) -> Comparisons.bool(a[0].isNumber()), "isnumber");
        b.fn("is_string", 1, 1, (env, a) -> Comparisons.bool(a[0] instanceof Value.Str), "isstring");
        b.fn("is_array", 1, 1, (env, a) -> Comparisons.bool(a[0] instanceof Value.Arr), "isarray");
        b.fn("is_object", 1, 1, (env, a) -> Comparisons.bool(a[0] instanceof Value.Obj), "isobject");
        b.fn("is_binary", 1, 1, (env, a) -> Comparisons.bool(a[0] instanceof Value.Bin), "isbinary");
        b.bound("cast", 2, 2, true, TypeFunctions::bindCast);
        b.fn("tostring", 1, 1, (env, a) -> convert(a[0], Target.STRING), "to_string");
        b.fn("tonumber", 1, 1, (env, a) -> convert(a[0], Target.NUMBER), "to_number");
        b.fn("toboolean", 1, 1, (env, a) -> convert(a[0], Target.BOOLEAN), "to_boolean");
    }

    private static FunctionDef.Impl bindCast(List<Node> args) {
        if (args.get(1) instanceof Node.Literal lit) {
            Target t = lit.value() instanceof Value.Str s ? Target.of(s.value()) : null;
            if (t == null) {
                throw new IllegalArgumentException("unknown cast type " + lit.toDql()
                        + " (expected string, number, int, float, boolean, array or object)");
            }
            return (env, a) -> convert(a[0], t);
        }
        return (env, a) -> {
            Target t = a[1] instanceof Value.Str s ? Target.of(s.value()) : null;
            return t == null ? Value.NULL : convert(a[0], t);
        };
    }

    static Value convert(Value v, Target t) {
        switch (t) {
            case STRING:
                if (v instanceof Value.Str) return v;
                if (v instanceof Value.Bin) return Value.NULL;
                return Value.of(v.isNumber() ? numberText(v) : JsonText.write(v, "a conversion to string"));
            case NUMBER:
                if (v.isNumber()) return v;
                if (v instanceof Value.Bool b) return Value.of(b.value() ? 1L : 0L);
                if (v instanceof Value.Str s) return parseNumber(s.value());
                return Value.NULL;
            case INT: {
                Value n = convert(v, Target.NUMBER);
                if (n instanceof Value.Dbl d) {
                    double x = d.value();
                    return x >= -0x1p63 && x < 0x1p63 ? Value.of((long) x) : Value.NULL;
                }
                return n;
            }
            case FLOAT: {
                Value n = convert(v, Target.NUMBER);
                return n instanceof Value.Int i ? Value.of((double) i.value()) : n;
            }
            case BOOLEAN:
                if (v instanceof Value.Bool) return v;
                if (v.isNumber()) return Comparisons.bool(Arithmetic.toDouble(v) != 0);
                if (v instanceof Value.Str s) {
                    String x = s.value().trim();
                    if (x.equalsIgnoreCase("true")) return Value.TRUE;
                    if (x.equalsIgnoreCase("false")) return Value.FALSE;
                }
                return Value.NULL;
            case ARRAY:
                return v instanceof Value.Arr ? v : new Value.Arr(List.of(v));
            default:
                return v instanceof Value.Obj ? v : Value.NULL;
        }
    }

    static Value parseNumber(String text) {
        String s = text.trim();
        if (!NUMBER.matcher(s).matches()) return Value.NULL;
        if (s.indexOf('.') < 0 && s.indexOf('e') < 0 && s.indexOf('E') < 0) {
            try {
                return Value.of(Long.parseLong(s));
            } catch (NumberFormatException tooBig) {
                // falls through to a float
            }
        }
        return Arithmetic.dbl(Double.parseDouble(s));
    }

    /** A number as text: integers (and integral floats below 1e15) without a decimal point. */
    static String numberText(Value v) {
        if (v instanceof Value.Int i) return Long.toString(i.value());
        double d = ((Value.Dbl) v).value();
        if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
        return Double.toString(d);
    }
}
