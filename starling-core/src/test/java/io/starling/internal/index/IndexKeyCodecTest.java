package io.starling.internal.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.core.CodecException;
import io.starling.internal.core.Path;
import io.starling.internal.core.Value;
import io.starling.internal.core.ValueOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Examples and pinned bytes for {@link IndexKeyCodec}. The golden encodings are a storage format (ids and index keys
 * on disk): a change that breaks one of them needs a migration, not a new expected value.
 */
class IndexKeyCodecTest {
    static final HexFormat HEX = HexFormat.ofDelimiter(" ");

    static String hex(byte[] b) {
        return HEX.formatHex(b);
    }

    static byte[] bytes(String hex) {
        return HEX.parseHex(hex);
    }

    static Value obj(Object... kv) {
        LinkedHashMap<String, Value> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], (Value) kv[i + 1]);
        return new Value.Obj(m);
    }

    static Value arr(Value... items) {
        return new Value.Arr(List.of(items));
    }

    static Value bin(int... b) {
        byte[] a = new byte[b.length];
        for (int i = 0; i < b.length; i++) a[i] = (byte) b[i];
        return new Value.Bin(a);
    }

    static byte[] asc(Value v) {
        return IndexKeyCodec.encodeKey(List.of(v), List.of(false));
    }

    /** Asserts that the values are strictly increasing in ValueOrder and in byte order, both directions. */
    static void assertStrictlyIncreasing(List<Value> values) {
        for (int i = 1; i < values.size(); i++) {
            Value a = values.get(i - 1), b = values.get(i);
            assertThat(ValueOrder.compare(a, b)).as("ValueOrder: %s < %s", a, b).isNegative();
            assertThat(Arrays.compareUnsigned(asc(a), asc(b)))
                    .as("bytes: %s < %s", a, b)
                    .isNegative();
            byte[] da = IndexKeyCodec.encodeKey(List.of(a), List.of(true));
            byte[] db = IndexKeyCodec.encodeKey(List.of(b), List.of(true));
            assertThat(Arrays.compareUnsigned(da, db))
                    .as("descending bytes: %s > %s", a, b)
                    .isPositive();
        }
    }

    // ---- order examples

    @Test
    void typesSortInValueOrderRanks() {
        assertStrictlyIncreasing(List.of(
                Value.MISSING,
                Value.NULL,
                Value.FALSE,
                Value.TRUE,
                Value.of(Double.NEGATIVE_INFINITY),
                Value.of(-1L),
                Value.of(0L),
                Value.of(1L),
                Value.of(Double.POSITIVE_INFINITY),
                Value.of(Double.NaN),
                Value.of(""),
                Value.of("z"),
                arr(),
                arr(Value.NULL),
                obj(),
                obj("a", Value.NULL),
                bin(),
                bin(0)));
    }

    @Test
    void numbersInterleaveExactlyWithIntBeforeAnEqualDouble() {
        long p53 = 1L << 53;
        assertStrictlyIncreasing(List.of(
                Value.of(Double.NEGATIVE_INFINITY),
                Value.of(-Double.MAX_VALUE),
                Value.of(-0x1p64),
                Value.of(Math.nextDown(-0x1p63)),
                Value.of(Long.MIN_VALUE),
                Value.of(-0x1p63),
                Value.of(Long.MIN_VALUE + 1),
                Value.of(-(double) p53 - 2),
                Value.of(-p53 - 1),
                Value.of((double) -p53),
                Value.of(-p53 + 1),
                Value.of(-1L),
                Value.of(-1.0),
                Value.of(-0.5),
                Value.of(-Double.MIN_NORMAL),
                Value.of(-Double.MIN_VALUE),
                Value.of(0L),
                Value.of(-0.0), // -0.0 is 0.0
                Value.of(Double.MIN_VALUE),
                Value.of(2 * Double.MIN_VALUE),
                Value.of(Double.MIN_NORMAL),
                Value.of(1e-300),
                Value.of(0.5),
                Value.of(1L),
                Value.of(1.0),
                Value.of(1.5),
                Value.of(2L),
                Value.of(p53 - 1),
                Value.of(p53),
                Value.of((double) p53),
                Value.of(p53 + 1),
                Value.of(p53 + 2),
                Value.of((double) (p53 + 2)),
                Value.of(p53 + 3),
                Value.of(Long.MAX_VALUE - 1),
                Value.of(Long.MAX_VALUE),
                Value.of(0x1p63),
                Value.of(Math.nextUp(0x1p63)),
                Value.of(1e300),
                Value.of(Double.MAX_VALUE),
                Value.of(Double.POSITIVE_INFINITY),
                Value.of(Double.NaN)));
        assertThat(asc(Value.of(-0.0))).isEqualTo(asc(Value.of(0.0)));
        assertThat(asc(Value.of(Double.longBitsToDouble(0x7ff8000000000123L)))).isEqualTo(asc(Value.of(Double.NaN)));
    }

    @Test
    void stringsSortByCodePointAndNeverCollideOnAPrefix() {
        assertStrictlyIncreasing(List.of(
                Value.of(""),
                Value.of("\u0000"),
                Value.of("\u0000\u0000"),
                Value.of("\u0001"),
                Value.of("a"),
                Value.of("a\u0000"),
                Value.of("a\u0000\u0000"),
                Value.of("a\u0000b"),
                Value.of("a\u0001"),
                Value.of("ab"),
                Value.of("b"),
                Value.of("\u007f"),
                Value.of("\u0080"),
                Value.of("\u07ff"),
                Value.of("\u0800"),
                Value.of("\uD800"), // a lone surrogate, by its code point
                Value.of("\uE000"),
                Value.of("\uFFFF"),
                // above U+FFFF by code point, although its UTF-16 units (D83D...) sort below U+E000
                Value.of("\uD83D\uDE00"),
                Value.of("\uDBFF\uDFFF")));
        assertThat(hex(asc(Value.of("a")))).isEqualTo("20 61 00 01");
        assertThat(hex(asc(Value.of("a\u0000")))).isEqualTo("20 61 00 ff 00 01");
        assertThat(hex(asc(Value.of("ab")))).isEqualTo("20 61 62 00 01");
    }

    @Test
    void arraysCompareElementWiseThenShorterFirst() {
        assertStrictlyIncreasing(List.of(
                arr(),
                arr(Value.NULL),
                arr(Value.NULL, Value.NULL),
                arr(Value.of(1L)),
                arr(Value.of(1L), Value.NULL),
                arr(Value.of(1L), Value.of(2L)),
                arr(Value.of(1.0)),
                arr(Value.of(2L)),
                arr(Value.of("")),
                arr(arr()),
                arr(arr(), Value.NULL),
                arr(arr(Value.NULL))));
    }

    @Test
    void objectsCompareByCountThenNamesThenValuesWhateverTheInsertionOrder() {
        assertStrictlyIncreasing(List.of(
                obj(),
                obj("a", Value.of(9L)),
                obj("b", Value.NULL),
                obj("a", Value.NULL, "b", Value.NULL),
                obj("b", Value.of(0L), "a", Value.of(1L)),
                obj("a", Value.of(1L), "b", Value.of(1L)),
                obj("a", Value.NULL, "c", Value.NULL),
                obj("a", Value.NULL, "b", Value.NULL, "c", Value.NULL)));
        assertThat(asc(obj("x", Value.of(1L), "y", Value.TRUE)))
                .isEqualTo(asc(obj("y", Value.TRUE, "x", Value.of(1L))));
    }

    @Test
    void binaryComparesUnsignedThenShorterFirst() {
        assertStrictlyIncreasing(
                List.of(bin(), bin(0), bin(0, 0), bin(0, 1), bin(1), bin(0x7f), bin(0x80), bin(0xff), bin(0xff, 0)));
    }

    // ---- pinned bytes (the on-disk format)

    @Test
    void goldenEncodings() {
        Map<Value, String> golden = new LinkedHashMap<>();
        golden.put(Value.NULL, "08");
        golden.put(Value.FALSE, "0c");
        golden.put(Value.TRUE, "0d");
        golden.put(Value.of(0L), "12 00");
        golden.put(Value.of(0.0), "12 01");
        golden.put(Value.of(1L), "13 04 33 00 00");
        golden.put(Value.of(1.0), "13 04 33 00 01");
        golden.put(Value.of(1.5), "13 04 33 80 01");
        golden.put(Value.of(-1L), "11 fb cc ff 00");
        golden.put(Value.of(3L), "13 04 34 80 00");
        golden.put(Value.of(1000L), "13 04 3c f4 00"); // 1111101000b: e=9, f=111101 -> 1111010 in the high bits
        golden.put(Value.of(Long.MIN_VALUE), "11 fb 8d ff 00");
        golden.put(Value.of(Long.MAX_VALUE), "13 04 71 ff ff ff ff ff ff ff ff fc 00");
        golden.put(Value.of(Double.MIN_VALUE), "13 00 01 00 01");
        golden.put(Value.of(Double.POSITIVE_INFINITY), "14");
        golden.put(Value.of(Double.NEGATIVE_INFINITY), "10");
        golden.put(Value.of(Double.NaN), "15");
        golden.put(Value.of(""), "20 00 01");
        golden.put(Value.of("\u00e9\uD83D\uDE00"), "20 c3 a9 f0 9f 98 80 00 01");
        golden.put(arr(), "30 00");
        golden.put(arr(Value.NULL, Value.of("a")), "30 08 20 61 00 01 00");
        // count, the names (sorted), then the values in name order
        golden.put(obj("b", Value.of(1L), "a", Value.TRUE), "40 02 61 00 01 62 00 01 0d 13 04 33 00 00");
        golden.put(bin(0x00, 0xff), "50 00 ff ff 00 01");
        for (Map.Entry<Value, String> e : golden.entrySet()) {
            assertThat(hex(asc(e.getKey()))).as("%s", e.getKey()).isEqualTo(e.getValue());
            assertThat(IndexKeyCodec.decodeId(bytes(e.getValue()))).isEqualTo(e.getKey());
        }
        assertThat(hex(IndexKeyCodec.encodeKey(List.of(Value.MISSING, Value.of("a")), List.of(false, true))))
                .isEqualTo("04 df 9e ff fe");
    }

    @Test
    void aCompositeIdIsCanonicalAndDecodesWithSortedNames() {
        Value id = obj("z", Value.of(1L), "a", Value.of("x"), "m", Value.TRUE);
        byte[] bytes = IndexKeyCodec.encodeId(id);
        assertThat(bytes)
                .isEqualTo(IndexKeyCodec.encodeId(obj("a", Value.of("x"), "m", Value.TRUE, "z", Value.of(1L))));
        Value back = IndexKeyCodec.decodeId(bytes);
        assertThat(back).isEqualTo(id);
        assertThat(((Value.Obj) back).fields().keySet()).containsExactly("a", "m", "z");
    }

    @Test
    void idsOfEveryScalarTypeRoundTrip() {
        for (Value id : List.of(
                Value.of("user-1"),
                Value.of(""),
                Value.of("\u0000"),
                Value.of("\uD800x"),
                Value.of(Long.MIN_VALUE),
                Value.of(Long.MAX_VALUE),
                Value.of(0L),
                Value.TRUE,
                Value.FALSE,
                Value.of(0.1),
                Value.of(Double.MIN_VALUE),
                Value.of(-Double.MAX_VALUE),
                Value.of(Double.NaN),
                Value.NULL,
                bin(0, 0xff),
                arr(obj("k", arr())))) {
            assertThat(IndexKeyCodec.decodeId(IndexKeyCodec.encodeId(id)))
                    .as("%s", id)
                    .isEqualTo(id);
        }
    }

    @Test
    void keysWithMixedDirectionsRoundTrip() {
        List<Value> key = List.of(Value.MISSING, Value.of(-2.5), Value.of("a\u0000"), obj("k", arr(Value.of(7L))));
        List<Boolean> dirs = List.of(true, false, true, true);
        assertThat(IndexKeyCodec.decodeKey(IndexKeyCodec.encodeKey(key, dirs), dirs))
                .isEqualTo(key);
    }

    // ---- ranges

    static final IndexDefinition AB = new IndexDefinition(
            "ab",
            "c",
            List.of(new IndexDefinition.Field(Path.of("a"), false), new IndexDefinition.Field(Path.of("b"), true)));

    static byte[] keyAB(Value a, Value b) {
        return IndexKeyCodec.encodeKey(List.of(a, b), List.of(false, true));
    }

    static boolean in(byte[] key, byte[][] range) {
        return IndexKeyCodecPropertyTest.inInterval(key, range);
    }

    @Test
    void theWholeIndexIsUnbounded() {
        byte[][] r = IndexKeyCodec.range(AB, IndexRange.all());
        assertThat(r.length).isEqualTo(2);
        assertThat(r[0]).isNull();
        assertThat(r[1]).isNull();
    }

    @Test
    void anEqualityPrefixLeavesLaterComponentsFree() {
        byte[][] r = IndexKeyCodec.range(AB, IndexRange.equalTo(List.of(Value.of(1L))));
        assertThat(in(keyAB(Value.of(1L), Value.MISSING), r)).isTrue();
        assertThat(in(keyAB(Value.of(1L), Value.of(Double.NaN)), r)).isTrue();
        assertThat(in(keyAB(Value.of(1L), bin(0xff, 0xff)), r)).isTrue();
        assertThat(in(keyAB(Value.of(1.0), Value.NULL), r))
                .as("Dbl(1.0) is not Int(1)")
                .isFalse();
        assertThat(in(keyAB(Value.of(0L), Value.NULL), r)).isFalse();
        assertThat(in(keyAB(Value.of(2L), Value.MISSING), r)).isFalse();
    }

    @Test
    void boundsOnADescendingComponentSwapEnds() {
        // a = 1 AND 5 <= b < 10, b descending
        byte[][] r = IndexKeyCodec.range(
                AB,
                new IndexRange(
                        List.of(Value.of(1L)),
                        new IndexRange.Bound(Value.of(5L), true),
                        new IndexRange.Bound(Value.of(10L), false)));
        assertThat(in(keyAB(Value.of(1L), Value.of(5L)), r)).isTrue();
        assertThat(in(keyAB(Value.of(1L), Value.of(9.5)), r)).isTrue();
        assertThat(in(keyAB(Value.of(1L), Value.of(4.999)), r)).isFalse();
        assertThat(in(keyAB(Value.of(1L), Value.of(10L)), r)).isFalse();
        assertThat(in(keyAB(Value.of(1L), Value.of(10.0)), r))
                .as("above Int(10) in ValueOrder")
                .isFalse();
        assertThat(in(keyAB(Value.of(2L), Value.of(7L)), r)).isFalse();
        // in byte order the larger b comes first
        assertThat(Arrays.compareUnsigned(keyAB(Value.of(1L), Value.of(9L)), keyAB(Value.of(1L), Value.of(5L))))
                .isNegative();
    }

    @Test
    void numericEqualityIsTheRangeFromTheIntToTheDouble() {
        IndexDefinition a = new IndexDefinition("a", "c", List.of(new IndexDefinition.Field(Path.of("a"), false)));
        byte[][] r = IndexKeyCodec.range(
                a,
                new IndexRange(
                        List.of(),
                        new IndexRange.Bound(Value.of(3L), true),
                        new IndexRange.Bound(Value.of(3.0), true)));
        List<Value> inside = new ArrayList<>();
        for (Value v : List.of(
                Value.of(2L),
                Value.of(2.9999),
                Value.of(3L),
                Value.of(3.0),
                Value.of(Math.nextUp(3.0)),
                Value.of(4L))) {
            if (in(IndexKeyCodec.encodeKey(List.of(v), List.of(false)), r)) inside.add(v);
        }
        assertThat(inside).containsExactly(Value.of(3L), Value.of(3.0));
    }

    @Test
    void anEmptyRangeGivesAnEmptyInterval() {
        IndexDefinition a = new IndexDefinition("a", "c", List.of(new IndexDefinition.Field(Path.of("a"), true)));
        byte[][] r = IndexKeyCodec.range(
                a,
                new IndexRange(
                        List.of(),
                        new IndexRange.Bound(Value.of(5L), false),
                        new IndexRange.Bound(Value.of(5L), true)));
        assertThat(Arrays.compareUnsigned(r[0], r[1])).isGreaterThanOrEqualTo(0);
    }

    @Test
    void aRangeMayNotConstrainMoreComponentsThanTheIndexHas() {
        assertThatThrownBy(() -> IndexKeyCodec.range(
                        AB,
                        new IndexRange(List.of(Value.NULL, Value.NULL), new IndexRange.Bound(Value.NULL, true), null)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("3 components");
        assertThatThrownBy(
                        () -> IndexKeyCodec.range(AB, IndexRange.equalTo(List.of(Value.NULL, Value.NULL, Value.NULL))))
                .isInstanceOf(IllegalArgumentException.class);
        // every component equal is fine: the keys of that value, any document id
        byte[][] r = IndexKeyCodec.range(AB, IndexRange.equalTo(List.of(Value.NULL, Value.TRUE)));
        assertThat(in(keyAB(Value.NULL, Value.TRUE), r)).isTrue();
    }

    @Test
    void successorIsTheFirstStringAfterEveryExtension() {
        assertThat(IndexKeyCodec.successor(bytes("01 ff ff"))).isEqualTo(bytes("02"));
        assertThat(IndexKeyCodec.successor(bytes("01 02"))).isEqualTo(bytes("01 03"));
        assertThat(IndexKeyCodec.successor(bytes("ff ff"))).isNull();
        assertThat(IndexKeyCodec.successor(new byte[0])).isNull();
    }

    // ---- refusals

    @Test
    void badArgumentsAreRefused() {
        assertThatThrownBy(() -> IndexKeyCodec.encodeKey(List.of(Value.NULL), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IndexKeyCodec.encodeId(Value.MISSING)).isInstanceOf(IllegalArgumentException.class);
        Value deep = Value.NULL;
        for (int i = 0; i <= IndexKeyCodec.MAX_DEPTH + 1; i++) deep = arr(deep);
        Value tooDeep = deep;
        assertThatThrownBy(() -> IndexKeyCodec.encodeId(tooDeep))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("deeper than");
    }

    @Test
    void malformedIdsAreRefusedWithCodecException() {
        List<String> bad = List.of(
                "", // nothing
                "04", // MISSING is not an id
                "08 08", // trailing bytes
                "ff",
                "00",
                "16", // unknown tags
                "13 04",
                "13 04 33",
                "13 04 33 01",
                "13 04 33 00", // truncated numbers
                "13 04 33 01 00 00", // a trailing zero group: non-canonical
                "13 04 33 00 07", // unknown kind
                "13 04 73 00 00", // 2^64 as an Int
                "13 04 72 00 00", // 2^63 as a positive Int
                "13 08 33 00 01", // exponent beyond double range
                "13 04 33 ff ff ff ff ff ff ff ff ff 00 01", // mantissa longer than 63 bits
                "13 04 33 ff ff ff ff ff ff ff fe 01", // 57 fraction bits in a double
                "20 61",
                "20 61 00",
                "20 61 00 02", // unterminated string, bad escape
                "20 c0 80 00 01", // overlong UTF-8
                "20 80 00 01", // stray continuation byte
                "20 f4 90 80 80 00 01", // above U+10FFFF
                "20 ed a0 bd ed b8 80 00 01", // a surrogate pair spelled as two 3-byte sequences: not canonical
                "30 08", // unterminated array
                "30 04 00", // MISSING inside an array
                "40 02 62 00 01 61 00 01 08 08", // unsorted names
                "40 02 61 00 01 61 00 01 08 08", // a repeated name
                "40 01 61 00 01 04", // a MISSING field
                "40 f8 01 61 00 01 08", // a count in the long form that fits one byte
                "40 fb ff ff ff ff", // a huge count
                "40 fc", // a bad count prefix
                "50 00",
                "50 00 00 01"); // unterminated binary, bad escape
        for (String hex : bad) {
            assertThatThrownBy(() -> IndexKeyCodec.decodeId(bytes(hex)))
                    .as("decodeId(%s)", hex)
                    .isInstanceOf(CodecException.class);
        }
    }

    @Test
    void deepNestingIsRefusedWithoutExhaustingTheStack() {
        byte[] arrays = new byte[100_000];
        Arrays.fill(arrays, (byte) 0x30);
        assertThatThrownBy(() -> IndexKeyCodec.decodeId(arrays))
                .isInstanceOf(CodecException.class)
                .hasMessageContaining("deeper than");
        byte[] objects = new byte[60_000];
        for (int i = 0; i < objects.length; i += 4) {
            objects[i] = 0x40;
            objects[i + 1] = 0x01;
            objects[i + 2] = 0x00;
            objects[i + 3] = 0x01;
        }
        assertThatThrownBy(() -> IndexKeyCodec.decodeId(objects)).isInstanceOf(CodecException.class);
        // exactly at the limit is fine
        Value v = Value.NULL;
        for (int i = 0; i < IndexKeyCodec.MAX_DEPTH; i++) v = arr(v);
        assertThat(IndexKeyCodec.decodeId(IndexKeyCodec.encodeId(v))).isEqualTo(v);
    }

    @Test
    void aKeyDecodedWithTheWrongDirectionsIsRefusedOrDifferent() {
        byte[] key = IndexKeyCodec.encodeKey(List.of(Value.of("x")), List.of(false));
        assertThatThrownBy(() -> IndexKeyCodec.decodeKey(key, List.of(true))).isInstanceOf(CodecException.class);
        assertThatThrownBy(() -> IndexKeyCodec.decodeKey(key, List.of(false, false)))
                .isInstanceOf(CodecException.class);
    }
}
