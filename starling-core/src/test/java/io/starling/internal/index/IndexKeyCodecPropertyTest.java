package io.starling.internal.index;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.core.CodecException;
import io.starling.internal.core.Path;
import io.starling.internal.core.Value;
import io.starling.internal.core.ValueOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

/**
 * The codec's contract as properties over values of every type, biased towards edge cases ({@link KeyArbitraries}):
 * byte order equals {@link ValueOrder} per value and per tuple with mixed directions, tuple prefixes are byte
 * prefixes, {@link IndexKeyCodec#range} selects exactly the keys its definition selects, ids and keys round-trip,
 * and garbage never decodes to anything but a canonical value or a {@link CodecException}. jqwik prints the seed and
 * the sample of a failure; rerun one with {@code @Property(seed = "...")}.
 */
class IndexKeyCodecPropertyTest {

    static int signum(int c) {
        return Integer.signum(c);
    }

    static int compareTuples(List<Value> a, List<Value> b, List<Boolean> descending) {
        for (int i = 0; i < a.size(); i++) {
            int c = ValueOrder.compare(a.get(i), b.get(i));
            if (c != 0) return descending.get(i) ? -c : c;
        }
        return 0;
    }

    static byte[] key(Value v, boolean descending) {
        return IndexKeyCodec.encodeKey(List.of(v), List.of(descending));
    }

    // ---- order

    @Property(tries = 5000)
    void byteOrderOfOneValueIsValueOrder(
            @ForAll("components") Value a, @ForAll("components") Value b, @ForAll boolean descending) {
        int expected = signum(ValueOrder.compare(a, b)) * (descending ? -1 : 1);
        assertThat(signum(Arrays.compareUnsigned(key(a, descending), key(b, descending))))
                .as("%s vs %s, %s", a, b, descending ? "DESC" : "ASC")
                .isEqualTo(expected);
        assertThat(Arrays.equals(key(a, descending), key(b, descending))).isEqualTo(a.equals(b));
    }

    @Property(tries = 3000)
    void numbersInterleaveExactly(@ForAll("numbers") Value a, @ForAll("numbers") Value b) {
        assertThat(signum(Arrays.compareUnsigned(key(a, false), key(b, false))))
                .as(
                        "%s (%s) vs %s (%s)",
                        a, a.getClass().getSimpleName(), b, b.getClass().getSimpleName())
                .isEqualTo(signum(ValueOrder.compare(a, b)));
    }

    /** An Int against the doubles around it: the place where a lossy encoding would collapse neighbours. */
    @Property(tries = 3000)
    void anIntAndTheDoublesAroundItCompareExactly(
            @ForAll("longs") long l, @ForAll @IntRange(min = -3, max = 3) int ulps) {
        double d = (double) l;
        for (int i = 0; i < Math.abs(ulps); i++) d = ulps > 0 ? Math.nextUp(d) : Math.nextDown(d);
        Value i = Value.of(l);
        Value f = Value.of(d);
        assertThat(signum(Arrays.compareUnsigned(key(i, false), key(f, false))))
                .as("%d vs %s", l, d)
                .isEqualTo(signum(ValueOrder.compare(i, f)));
        assertThat(signum(Arrays.compareUnsigned(key(f, true), key(i, true))))
                .isEqualTo(signum(ValueOrder.compare(i, f)));
    }

    @Property(tries = 1000)
    void sortingByBytesSortsByValueOrder(@ForAll("componentLists") List<Value> values, @ForAll boolean descending) {
        List<Value> byBytes = new ArrayList<>(values);
        byBytes.sort((x, y) -> Arrays.compareUnsigned(key(x, descending), key(y, descending)));
        Comparator<Value> order = descending ? ValueOrder.TOTAL.reversed() : ValueOrder.TOTAL;
        for (int i = 1; i < byBytes.size(); i++) {
            assertThat(order.compare(byBytes.get(i - 1), byBytes.get(i)))
                    .as("%s before %s", byBytes.get(i - 1), byBytes.get(i))
                    .isLessThanOrEqualTo(0);
        }
    }

    @Property(tries = 3000)
    void byteOrderOfTuplesIsTupleOrder(@ForAll("tuplePairs") Tuple.Tuple3<List<Value>, List<Value>, List<Boolean>> t) {
        List<Value> a = t.get1(), b = t.get2();
        List<Boolean> dirs = t.get3();
        byte[] ka = IndexKeyCodec.encodeKey(a, dirs), kb = IndexKeyCodec.encodeKey(b, dirs);
        assertThat(signum(Arrays.compareUnsigned(ka, kb)))
                .as("%s vs %s with descending %s", a, b, dirs)
                .isEqualTo(signum(compareTuples(a, b, dirs)));
        assertThat(Arrays.equals(ka, kb)).isEqualTo(a.equals(b));
    }

    @Property(tries = 2000)
    void aTuplePrefixIsABytePrefixAndComponentsConcatenate(
            @ForAll("tuplePairs") Tuple.Tuple3<List<Value>, List<Value>, List<Boolean>> t) {
        List<Value> a = t.get1();
        List<Boolean> dirs = t.get3();
        byte[] whole = IndexKeyCodec.encodeKey(a, dirs);
        int offset = 0;
        for (int i = 0; i <= a.size(); i++) {
            byte[] prefix = IndexKeyCodec.encodeKey(a.subList(0, i), dirs.subList(0, i));
            assertThat(prefix.length).isEqualTo(offset);
            assertThat(Arrays.copyOf(whole, prefix.length)).isEqualTo(prefix);
            if (i < a.size()) {
                byte[] component = key(a.get(i), dirs.get(i));
                assertThat(Arrays.copyOfRange(whole, offset, offset + component.length))
                        .isEqualTo(component);
                offset += component.length;
            }
        }
        assertThat(offset).isEqualTo(whole.length);
    }

    // ---- ranges

    static boolean inRangeByDefinition(List<Value> key, IndexRange r) {
        int k = r.equal().size();
        for (int i = 0; i < k; i++) {
            if (!key.get(i).equals(r.equal().get(i))) return false;
        }
        if (r.lower() != null) {
            int c = ValueOrder.compare(key.get(k), r.lower().value());
            if (c < 0 || (c == 0 && !r.lower().inclusive())) return false;
        }
        if (r.upper() != null) {
            int c = ValueOrder.compare(key.get(k), r.upper().value());
            if (c > 0 || (c == 0 && !r.upper().inclusive())) return false;
        }
        return true;
    }

    static boolean inInterval(byte[] key, byte[][] interval) {
        return (interval[0] == null || Arrays.compareUnsigned(key, interval[0]) >= 0)
                && (interval[1] == null || Arrays.compareUnsigned(key, interval[1]) < 0);
    }

    @Property(tries = 3000)
    void rangeHoldsExactlyTheKeysItsDefinitionSelects(
            @ForAll("pools") List<Value> pool,
            @ForAll @IntRange(min = 1, max = 3) int fieldCount,
            @ForAll("directions3") List<Boolean> directions,
            @ForAll long seed) {
        Random random = new Random(seed);
        List<Value> candidates = new ArrayList<>(pool);
        for (Value v : pool) { // numeric twins: Int(1) next to Dbl(1.0), where ties are broken by kind
            if (v instanceof Value.Int i) candidates.add(Value.of((double) i.value()));
            if (v instanceof Value.Dbl d && Double.isFinite(d.value()) && Math.abs(d.value()) < 0x1p63) {
                candidates.add(Value.of((long) d.value()));
            }
        }
        List<IndexDefinition.Field> fields = new ArrayList<>();
        for (int i = 0; i < fieldCount; i++) fields.add(new IndexDefinition.Field(Path.of("f" + i), directions.get(i)));
        IndexDefinition index = new IndexDefinition("i", "c", fields);

        int k = random.nextInt(fieldCount + 1);
        List<Value> equal = new ArrayList<>();
        for (int i = 0; i < k; i++) equal.add(pick(candidates, random));
        IndexRange.Bound lower = null, upper = null;
        if (k < fieldCount) {
            if (random.nextInt(3) > 0) lower = new IndexRange.Bound(pick(candidates, random), random.nextBoolean());
            if (random.nextInt(3) > 0) upper = new IndexRange.Bound(pick(candidates, random), random.nextBoolean());
        }
        IndexRange range = new IndexRange(equal, lower, upper);
        byte[][] interval = IndexKeyCodec.range(index, range);

        int hits = 0;
        for (int n = 0; n < 60; n++) {
            List<Value> key = new ArrayList<>();
            for (int i = 0; i < fieldCount; i++) {
                key.add(i < k && random.nextBoolean() ? equal.get(i) : pick(candidates, random));
            }
            boolean expected = inRangeByDefinition(key, range);
            if (expected) hits++;
            assertThat(inInterval(IndexKeyCodec.keyOf(index, document(key)), interval))
                    .as("key %s in %s over %s", key, range, directions.subList(0, fieldCount))
                    .isEqualTo(expected);
        }
        Statistics.label("keys in range").collect(hits == 0 ? "none" : hits < 10 ? "1-9" : "10+");
        Statistics.label("shape")
                .collect("equal " + k + (lower != null ? " lower" : "") + (upper != null ? " upper" : ""));
    }

    /** A document whose fields f0, f1, ... hold the key (MISSING components are left out, as keyOf finds them). */
    static Value.Obj document(List<Value> key) {
        java.util.LinkedHashMap<String, Value> fields = new java.util.LinkedHashMap<>();
        for (int i = 0; i < key.size(); i++) fields.put("f" + i, key.get(i));
        return new Value.Obj(fields);
    }

    private static Value pick(List<Value> candidates, Random random) {
        return random.nextInt(12) == 0 ? Value.MISSING : candidates.get(random.nextInt(candidates.size()));
    }

    // ---- round trips

    @Property(tries = 3000)
    void idsRoundTripAndEqualIdsEncodeIdentically(@ForAll("ids") Value id) {
        byte[] bytes = IndexKeyCodec.encodeId(id);
        Value back = IndexKeyCodec.decodeId(bytes);
        assertThat(back).isEqualTo(id);
        assertThat(IndexKeyCodec.encodeId(back)).isEqualTo(bytes);
        assertThat(bytes).isEqualTo(key(id, false));
        if (id instanceof Value.Obj o) {
            assertThat(IndexKeyCodec.encodeId(KeyArbitraries.reversed(o))).isEqualTo(bytes);
            List<String> names = new ArrayList<>(((Value.Obj) back).fields().keySet());
            List<String> sorted = new ArrayList<>(names);
            sorted.sort(ValueOrder::compareStrings);
            assertThat(names).as("decoded names in sorted order").isEqualTo(sorted);
        }
    }

    @Property(tries = 2000)
    void keysRoundTrip(@ForAll("tuplePairs") Tuple.Tuple3<List<Value>, List<Value>, List<Boolean>> t) {
        byte[] bytes = IndexKeyCodec.encodeKey(t.get1(), t.get3());
        assertThat(IndexKeyCodec.decodeKey(bytes, t.get3())).isEqualTo(t.get1());
    }

    // ---- hostile input

    @Property(tries = 5000)
    void garbageDecodesToACanonicalValueOrThrowsCodecException(
            @ForAll("garbage") byte[] bytes, @ForAll("directions3") List<Boolean> directions) {
        try {
            Value id = IndexKeyCodec.decodeId(bytes);
            assertThat(IndexKeyCodec.encodeId(id)).isEqualTo(bytes);
            Statistics.label("id").collect("decoded");
        } catch (CodecException expected) {
            Statistics.label("id").collect("CodecException");
        }
        for (int n = 1; n <= 3; n++) {
            List<Boolean> dirs = directions.subList(0, n);
            try {
                List<Value> key = IndexKeyCodec.decodeKey(bytes, dirs);
                assertThat(IndexKeyCodec.encodeKey(key, dirs)).isEqualTo(bytes);
            } catch (CodecException expected) {
                // the only failure allowed
            }
        }
    }

    // ---- arbitraries

    @Provide
    Arbitrary<Value> components() {
        return KeyArbitraries.components();
    }

    @Provide
    Arbitrary<Value> numbers() {
        return KeyArbitraries.numbers();
    }

    @Provide
    Arbitrary<Long> longs() {
        return KeyArbitraries.longs();
    }

    @Provide
    Arbitrary<Value> ids() {
        return KeyArbitraries.ids();
    }

    @Provide
    Arbitrary<List<Value>> componentLists() {
        return KeyArbitraries.components().list().ofMaxSize(12);
    }

    @Provide
    Arbitrary<List<Value>> pools() {
        return KeyArbitraries.components().list().ofMinSize(1).ofMaxSize(5);
    }

    @Provide
    Arbitrary<List<Boolean>> directions3() {
        return KeyArbitraries.directions(3);
    }

    /** Two tuples of one length (1..4) that share components often, and the directions. */
    @Provide
    Arbitrary<Tuple.Tuple3<List<Value>, List<Value>, List<Boolean>>> tuplePairs() {
        return Combinators.combine(
                        Arbitraries.integers().between(1, 4),
                        KeyArbitraries.components().list().ofSize(4),
                        KeyArbitraries.components().list().ofSize(4),
                        Arbitraries.integers().between(0, 15),
                        KeyArbitraries.directions(4))
                .as((n, a4, fresh, sameMask, dirs) -> {
                    List<Value> a = new ArrayList<>(a4.subList(0, n));
                    List<Value> b = new ArrayList<>(a);
                    for (int i = 0; i < n; i++) if ((sameMask >> i & 1) == 0) b.set(i, fresh.get(i));
                    return Tuple.of(a, b, new ArrayList<>(dirs.subList(0, n)));
                });
    }

    /** Random bytes over an alphabet of tags and edge bytes, and valid encodings with a few bytes mutated. */
    @Provide
    Arbitrary<byte[]> garbage() {
        Arbitrary<Byte> alphabet = Arbitraries.frequencyOf(
                Tuple.of(
                        3,
                        Arbitraries.of(bytesOf(
                                0x00, 0x01, 0x04, 0x08, 0x0C, 0x0D, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x20, 0x30,
                                0x40, 0x50, 0x61, 0x80, 0xC0, 0xED, 0xF0, 0xF8, 0xFB, 0xFF, 0x04, 0x33))),
                Tuple.of(1, Arbitraries.bytes()));
        Arbitrary<byte[]> random = alphabet.list().ofMaxSize(40).map(IndexKeyCodecPropertyTest::toArray);
        Arbitrary<byte[]> mutated = Combinators.combine(
                        KeyArbitraries.components().list().ofMinSize(1).ofMaxSize(3),
                        KeyArbitraries.directions(3),
                        Arbitraries.longs())
                .as((key, dirs, seed) ->
                        mutate(IndexKeyCodec.encodeKey(key, dirs.subList(0, key.size())), new Random(seed)));
        return Arbitraries.frequencyOf(Tuple.of(1, random), Tuple.of(2, mutated));
    }

    static byte[] mutate(byte[] bytes, Random random) {
        List<Byte> b = new ArrayList<>();
        for (byte x : bytes) b.add(x);
        int mutations = 1 + random.nextInt(3);
        for (int m = 0; m < mutations; m++) {
            int op = random.nextInt(5);
            int at = b.isEmpty() ? 0 : random.nextInt(b.size());
            switch (op) {
                case 0 -> {
                    if (!b.isEmpty()) b.set(at, (byte) (b.get(at) ^ (1 << random.nextInt(8))));
                }
                case 1 -> {
                    if (!b.isEmpty()) b.remove(at);
                }
                case 2 -> b.add(at, (byte) random.nextInt(256));
                case 3 -> {
                    while (b.size() > at) b.remove(b.size() - 1);
                }
                default -> {
                    if (!b.isEmpty()) b.set(at, (byte) ~b.get(at));
                }
            }
        }
        return toArray(b);
    }

    static Byte[] bytesOf(int... values) {
        Byte[] b = new Byte[values.length];
        for (int i = 0; i < values.length; i++) b[i] = (byte) values[i];
        return b;
    }

    static byte[] toArray(List<Byte> list) {
        byte[] a = new byte[list.size()];
        for (int i = 0; i < a.length; i++) a[i] = list.get(i);
        return a;
    }
}
