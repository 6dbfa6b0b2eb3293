package io.starling.internal.index;

import io.starling.internal.core.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Random values for the key codec's properties, biased hard towards the places where an order-preserving encoding
 * goes wrong: numbers at the edges of long and double and where the two meet (2^53, 2^63), ±0, subnormals,
 * infinities and NaN; strings with U+0000, surrogates (paired and lone) and boundary code points of every UTF-8
 * length; bytes 00, 7F, 80, FF; small alphabets of names and values so that equal prefixes and ties are common.
 */
final class KeyArbitraries {
    private KeyArbitraries() {}

    static final long[] EDGE_LONGS = {
        0,
        1,
        -1,
        2,
        -2,
        3,
        7,
        8,
        127,
        128,
        -128,
        255,
        256,
        1000,
        -1000,
        Long.MAX_VALUE,
        Long.MIN_VALUE,
        Long.MAX_VALUE - 1,
        Long.MIN_VALUE + 1,
        1L << 53,
        (1L << 53) + 1,
        (1L << 53) - 1,
        (1L << 53) + 2,
        -(1L << 53),
        -(1L << 53) - 1,
        -(1L << 53) + 1,
        -(1L << 53) - 2,
        1L << 52,
        (1L << 52) + 1,
        1L << 54,
        (1L << 54) + 1,
        (1L << 54) + 2,
        1L << 62,
        (1L << 62) + 1,
        -(1L << 62),
        (1L << 63) - 1024,
        (1L << 63) - 1025,
        Long.MIN_VALUE + 1024,
        0x7FFFFFFFL,
        0x80000000L,
        -0x80000000L
    };

    static final double[] EDGE_DOUBLES = {
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -0.5,
        1.5,
        2.0,
        0.1,
        -0.1,
        1e-300,
        1e300,
        -1e300,
        Double.MIN_VALUE,
        -Double.MIN_VALUE,
        2 * Double.MIN_VALUE,
        Double.MIN_NORMAL,
        -Double.MIN_NORMAL,
        Math.nextDown(Double.MIN_NORMAL),
        Math.nextUp(Double.MIN_NORMAL),
        Double.MAX_VALUE,
        -Double.MAX_VALUE,
        Math.nextDown(Double.MAX_VALUE),
        Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY,
        Double.NaN,
        0x1p53,
        0x1p53 + 2,
        Math.nextDown(0x1p53),
        -0x1p53,
        0x1p52 + 0.5,
        0x1p63,
        -0x1p63,
        Math.nextDown(0x1p63),
        Math.nextUp(-0x1p63),
        Math.nextDown(-0x1p63),
        0x1p64,
        9.223372036854776E18,
        127.5,
        128.0,
        -128.0,
        255.99999999999997
    };

    /** Code points at every UTF-8 length boundary, surrogates included (they become pairs or stay lone). */
    static final int[] CODE_POINTS = {
        0, 1, 'a', 'b', 0x7F, 0x80, 0xFF, 0x7FF, 0x800, 0xD7FF, 0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0xE000, 0xFFFD, 0xFFFF,
        0x10000, 0x1F600, 0x10FFFF
    };

    static final List<String> NAMES =
            List.of("", "a", "b", "ab", "\u0000", "a\u0000", "\u00e9", "\uD83D\uDE00", "\uFFFF");

    static Arbitrary<Long> longs() {
        return Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.of(boxed(EDGE_LONGS))),
                Tuple.of(2, Arbitraries.longs().between(-300, 300)),
                Tuple.of(3, Arbitraries.longs()),
                // powers of two and their neighbours, where doubles run out of precision
                Tuple.of(
                        2,
                        Combinators.combine(
                                        Arbitraries.integers().between(0, 63),
                                        Arbitraries.integers().between(-2, 2),
                                        Arbitraries.of(true, false))
                                .as((p, d, neg) -> ((1L << p) + d) * (neg ? -1 : 1))));
    }

    static Arbitrary<Double> doubles() {
        return Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.of(boxedDoubles(EDGE_DOUBLES))),
                Tuple.of(2, Arbitraries.longs().map(Double::longBitsToDouble)), // any bit pattern, NaNs included
                Tuple.of(2, Arbitraries.doubles()),
                // integral doubles and their neighbours: where Int and Dbl meet
                Tuple.of(
                        3,
                        Combinators.combine(longs(), Arbitraries.integers().between(-2, 2))
                                .as((l, steps) -> {
                                    double d = (double) l;
                                    for (int i = 0; i < Math.abs(steps); i++)
                                        d = steps > 0 ? Math.nextUp(d) : Math.nextDown(d);
                                    return d;
                                })),
                Tuple.of(1, Arbitraries.integers().between(-64, 64).map(k -> k / 8.0)),
                // tiny and huge: subnormals and exponents near the ends
                Tuple.of(1, Arbitraries.longs().between(1, 1L << 20).map(m -> m * Double.MIN_VALUE)),
                Tuple.of(1, Arbitraries.longs().between(1, 1L << 20).map(m -> Double.MAX_VALUE / m)));
    }

    static Arbitrary<Value> numbers() {
        return Arbitraries.frequencyOf(
                Tuple.of(5, longs().map(Value::of)),
                Tuple.of(5, doubles().map(Value::of)),
                // the Int twin of a double, where one exists
                Tuple.of(
                        1,
                        doubles()
                                .map(d -> Double.isFinite(d) && Math.abs(d) < 0x1p63
                                        ? (Value) Value.of((long) d.doubleValue())
                                        : Value.of(d))));
    }

    static Arbitrary<String> strings() {
        return Arbitraries.frequencyOf(
                Tuple.of(
                        5,
                        Arbitraries.of(boxed(CODE_POINTS)).list().ofMaxSize(4).map(KeyArbitraries::fromCodePoints)),
                Tuple.of(2, Arbitraries.of(NAMES)),
                Tuple.of(1, Arbitraries.strings().ofMaxLength(6)), // any char, lone surrogates included
                Tuple.of(1, Arbitraries.strings().ascii().ofMaxLength(12)));
    }

    static Arbitrary<byte[]> binaries() {
        Arbitrary<Byte> b = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of((byte) 0, (byte) 1, (byte) 0x7F, (byte) 0x80, (byte) 0xFF)),
                Tuple.of(1, Arbitraries.bytes()));
        return b.list().ofMaxSize(5).map(l -> {
            byte[] bytes = new byte[l.size()];
            for (int i = 0; i < bytes.length; i++) bytes[i] = l.get(i);
            return bytes;
        });
    }

    static Arbitrary<Value> scalars() {
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.of(Value.NULL, Value.TRUE, Value.FALSE)),
                Tuple.of(6, numbers()),
                Tuple.of(4, strings().map(Value::of)),
                Tuple.of(1, binaries().map(Value.Bin::new)));
    }

    /** A value that may be stored: no MISSING at any level. */
    static Arbitrary<Value> values() {
        return values(3);
    }

    static Arbitrary<Value> values(int depth) {
        if (depth == 0) return scalars();
        return Arbitraries.frequencyOf(
                Tuple.of(8, scalars()),
                Tuple.of(
                        1,
                        Arbitraries.lazy(() -> values(depth - 1))
                                .list()
                                .ofMaxSize(3)
                                .map(Value.Arr::new)),
                Tuple.of(1, objects(depth - 1)));
    }

    /** Objects with fields in random insertion order (the encoding must not depend on it). */
    static Arbitrary<Value> objects(int depth) {
        return Combinators.combine(
                        Arbitraries.of(NAMES).list().uniqueElements().ofMaxSize(3),
                        Arbitraries.lazy(() -> values(depth)).list().ofSize(3))
                .as((names, vals) -> {
                    LinkedHashMap<String, Value> fields = new LinkedHashMap<>();
                    for (int i = 0; i < names.size(); i++) fields.put(names.get(i), vals.get(i));
                    return (Value) Value.Obj.ofOwned(fields);
                });
    }

    /** A key component: any value, MISSING included. */
    static Arbitrary<Value> components() {
        return Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(Value.MISSING)), Tuple.of(12, values()));
    }

    /** What the engine accepts as _id: strings, integers, booleans, objects of those. */
    static Arbitrary<Value> ids() {
        Arbitrary<Value> scalar = Arbitraries.frequencyOf(
                Tuple.of(4, strings().map(Value::of)),
                Tuple.of(3, longs().map(Value::of)),
                Tuple.of(1, Arbitraries.of(Value.TRUE, Value.FALSE)));
        Arbitrary<Value> composite = Combinators.combine(
                        Arbitraries.of(NAMES)
                                .list()
                                .uniqueElements()
                                .ofMinSize(1)
                                .ofMaxSize(4),
                        scalar.list().ofSize(4))
                .as((names, vals) -> {
                    LinkedHashMap<String, Value> fields = new LinkedHashMap<>();
                    for (int i = 0; i < names.size(); i++) fields.put(names.get(i), vals.get(i));
                    return (Value) Value.Obj.ofOwned(fields);
                });
        return Arbitraries.frequencyOf(Tuple.of(3, scalar), Tuple.of(1, composite), Tuple.of(1, values()));
    }

    static Arbitrary<List<Boolean>> directions(int size) {
        return Arbitraries.of(true, false).list().ofSize(size);
    }

    static String fromCodePoints(List<Integer> cps) {
        StringBuilder sb = new StringBuilder();
        for (int cp : cps) sb.appendCodePoint(cp);
        return sb.toString();
    }

    static Value.Obj reversed(Value.Obj o) {
        List<String> names = new ArrayList<>(o.fields().keySet());
        LinkedHashMap<String, Value> fields = new LinkedHashMap<>();
        for (int i = names.size() - 1; i >= 0; i--)
            fields.put(names.get(i), o.fields().get(names.get(i)));
        return Value.Obj.ofOwned(fields);
    }

    private static Long[] boxed(long[] values) {
        Long[] b = new Long[values.length];
        for (int i = 0; i < values.length; i++) b[i] = values[i];
        return b;
    }

    private static Integer[] boxed(int[] values) {
        Integer[] b = new Integer[values.length];
        for (int i = 0; i < values.length; i++) b[i] = values[i];
        return b;
    }

    private static Double[] boxedDoubles(double[] values) {
        Double[] b = new Double[values.length];
        for (int i = 0; i < values.length; i++) b[i] = values[i];
        return b;
    }
}
