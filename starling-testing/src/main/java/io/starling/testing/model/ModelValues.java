package io.starling.testing.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Values as the model holds them: plain Java, the way the public API returns documents
 * ({@code QueryResultItem.value()}): {@code null} (JSON null), Boolean, Long, Double, String, List and Map with
 * String keys. Objects are sorted maps (key order is not part of a value); everything is immutable. A path that
 * leads nowhere is {@link #MISSING}, which is never stored. Equality is Java's: {@code 1L} is not {@code 1.0}.
 */
public final class ModelValues {
    /** An absent field, or a path that leads nowhere. Not a value: never inside a document. */
    public static final Object MISSING = new Object() {
        @Override
        public String toString() {
            return "MISSING";
        }
    };

    private ModelValues() {}

    /**
     * An immutable copy with maps sorted by key and every integral number a Long (Float becomes Double).
     *
     * @throws IllegalArgumentException for anything else (binary values are not modelled)
     */
    public static @Nullable Object canonical(@Nullable Object v) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Double)
            return v;
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
        if (v instanceof Float f) return f.doubleValue();
        if (v instanceof Map<?, ?> m) {
            TreeMap<String, Object> out = new TreeMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String k))
                    throw new IllegalArgumentException("a key is not a string: " + e);
                out.put(k, canonical(e.getValue()));
            }
            return Collections.unmodifiableSortedMap(out);
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object o : l) out.add(canonical(o));
            return Collections.unmodifiableList(out);
        }
        throw new IllegalArgumentException(
                "the model does not hold " + v.getClass().getName() + " values: " + v);
    }

    public static boolean isNumber(@Nullable Object v) {
        return v instanceof Long || v instanceof Double;
    }

    /** Counter arithmetic (DATA-MODEL.md, "Counters"): integers stay integers until a sum overflows 64 bits. */
    public static Object add(Object a, Object b) {
        if (a instanceof Long x && b instanceof Long y) {
            long r = x + y;
            boolean overflow = ((x ^ r) & (y ^ r)) < 0;
            return overflow ? (Object) ((double) x + (double) y) : (Object) r;
        }
        return toDouble(a) + toDouble(b);
    }

    /**
     * A counter's total (DATA-MODEL.md, "Counters"): the true sum of its terms (the base and the increments that
     * count), computed exactly and rounded once. It is an integer when every term is one and the sum fits 64 bits,
     * else a float; a float beyond the range shows as the largest float of its sign.
     */
    public static Object total(List<Object> terms) {
        java.math.BigDecimal sum = java.math.BigDecimal.ZERO;
        boolean integers = true;
        for (Object t : terms) {
            if (t instanceof Long l) {
                sum = sum.add(java.math.BigDecimal.valueOf(l));
            } else {
                integers = false;
                sum = sum.add(new java.math.BigDecimal((Double) t));
            }
        }
        if (integers
                && sum.compareTo(java.math.BigDecimal.valueOf(Long.MAX_VALUE)) <= 0
                && sum.compareTo(java.math.BigDecimal.valueOf(Long.MIN_VALUE)) >= 0) return sum.longValueExact();
        return saturate(sum.doubleValue());
    }

    /** A total beyond the float range shows as the largest float of its sign, on every replica. */
    public static Object saturate(Object total) {
        if (total instanceof Double d && d.isInfinite()) return d > 0 ? Double.MAX_VALUE : -Double.MAX_VALUE;
        return total;
    }

    public static boolean isFinite(Object number) {
        return !(number instanceof Double d) || Double.isFinite(d);
    }

    private static double toDouble(Object v) {
        return v instanceof Long l ? (double) l : (Double) v;
    }

    /** Compact JSON-like text (strings quoted, maps sorted), for reports and for ordering ids. */
    public static String text(@Nullable Object v) {
        StringBuilder sb = new StringBuilder();
        append(sb, v);
        return sb.toString();
    }

    /** {@link #text}, cut to a few hundred characters (documents may hold 100 KB strings). */
    public static String brief(@Nullable Object v) {
        String t = v instanceof String s ? s : text(v);
        return t.length() <= 300 ? t : t.substring(0, 300) + "… (" + t.length() + " characters)";
    }

    private static void append(StringBuilder sb, @Nullable Object v) {
        if (v == MISSING) {
            sb.append("MISSING");
        } else if (v instanceof String s) {
            sb.append('"').append(s.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        } else if (v instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : new TreeMap<>(m).entrySet()) {
                if (!first) sb.append(", ");
                first = false;
                append(sb, e.getKey());
                sb.append(": ");
                append(sb, e.getValue());
            }
            sb.append('}');
        } else if (v instanceof List<?> l) {
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) sb.append(", ");
                append(sb, l.get(i));
            }
            sb.append(']');
        } else {
            sb.append(v);
        }
    }
}
