package io.starling.internal.query;

import io.starling.internal.core.Value;
import java.util.Map;

/**
 * The one limit on the values a statement builds — strings made by {@code repeat}, {@code ||}, {@code concat},
 * {@code replace}, {@code split}, {@code upper}/{@code lower} and {@code tostring}; arrays and objects made by
 * constructors, {@code ARRAY … FOR} and {@code array_concat} — so that no statement can exhaust memory
 * ({@code repeat('a', 1e12)}, or doubling an array forty times). It is checked where the value is built, before
 * anything that large is allocated where the size is known in advance.
 *
 * <p>The size of a value counts the characters of its strings (field names included) and the bytes of its binary
 * values, plus one for each other value, array item and object field: roughly its size in memory divided by the
 * cost of one character. The limit, 16 Mi, is above any document a store accepts (5 MiB), so building a value from
 * stored data never reaches it; going past it is an {@code INVALID} error naming the function or operator.
 */
final class ValueSize {
    private ValueSize() {}

    /** The largest value a statement may build: 16 Mi (16,777,216) characters, items and fields. */
    static final long MAX = 16L * 1024 * 1024;

    /** The size of {@code v}; once it exceeds {@code limit}, counting stops and a number above it is returned. */
    static long of(Value v, long limit) {
        if (v instanceof Value.Str s) return Math.max(1, s.value().length());
        if (v instanceof Value.Bin b) return Math.max(1, b.bytes().length);
        if (v instanceof Value.Arr a) {
            long n = 1;
            for (Value item : a.items()) {
                n += of(item, limit - n);
                if (n > limit) return n;
            }
            return n;
        }
        if (v instanceof Value.Obj o) {
            long n = 1;
            for (Map.Entry<String, Value> e : o.fields().entrySet()) {
                n += e.getKey().length() + of(e.getValue(), limit - n);
                if (n > limit) return n;
            }
            return n;
        }
        return 1;
    }

    /** The size of {@code v}, counted up to just past {@link #MAX}. */
    static long of(Value v) {
        return of(v, MAX);
    }

    /** {@code a * b} for non-negative operands, saturating at {@code Long.MAX_VALUE}. */
    static long times(long a, long b) {
        long hi = Math.multiplyHigh(a, b), lo = a * b;
        return hi != 0 || lo < 0 ? Long.MAX_VALUE : lo;
    }

    /**
     * Refuses a value of {@code size} built by {@code what}.
     *
     * @throws DqlException INVALID when {@code size > MAX}
     */
    static void check(long size, String what) {
        if (size > MAX) throw tooLarge(size, what);
    }

    /** Returns {@code built} after {@link #check}ing its size. */
    static Value checked(Value built, String what) {
        check(of(built), what);
        return built;
    }

    static DqlException tooLarge(long size, String what) {
        return new DqlException(
                DqlException.Kind.INVALID,
                what + " would build a value of size " + size + " or more, above the limit of " + MAX
                        + " for a value built by a statement (the size counts characters of text, bytes of binary and"
                        + " one for each other value, array item and object field)");
    }
}
