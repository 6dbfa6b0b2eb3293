package io.starling.internal.index;

import io.starling.internal.core.CodecException;
import io.starling.internal.core.Value;
import io.starling.internal.core.ValueCodec;
import io.starling.internal.core.ValueOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/*
 * Design note
 * -----------
 * Goal. Storage compares keys as unsigned bytes (memcmp), the query layer compares values with ValueOrder. This
 * codec maps tuples of values to bytes so that the two orders agree exactly:
 *
 *     compareUnsigned(encodeKey(a, dirs), encodeKey(b, dirs))  has the sign of  tuple-compare(a, b, dirs)
 *
 * where tuple-compare compares component by component with ValueOrder.compare, reversed for a descending one.
 * Then an index range scan, an ORDER BY served by an index, and the id order of a collection scan are plain
 * byte ranges for the storage, which knows nothing of values.
 *
 * Two properties carry everything:
 *   (1) per value, the ascending encoding is order-preserving and injective (equal bytes iff Value.equals);
 *   (2) it is prefix-free: no value's encoding is a proper prefix of another's (every encoding says where it
 *       ends). Then concatenating components preserves the tuple order (the first differing component decides,
 *       and it differs at a byte inside both encodings), a tuple prefix is a byte prefix, and a descending
 *       component is the bitwise complement of its ascending encoding: complementing reverses the comparison of
 *       the first differing byte, and prefix-freeness means there always is such a byte.
 *
 * Layout (ascending; T = one tag byte; tags are ordered like ValueOrder's type ranks, and are neither 0x00 nor
 * 0xFF so that neither a component nor its complement is all 0xFF, which keeps prefix successors defined):
 *
 *   MISSING  04                       NULL 08            false 0C            true 0D
 *   numbers  10 -inf | 11 negative | 12 zero | 13 positive | 14 +inf | 15 NaN     (Double.compare puts NaN last)
 *            zero:     12 kind
 *            positive: 13 e1 e0 m* kind   magnitude = 1.f x 2^e, exactly (every long and double is a dyadic
 *                      rational): e + 1075 as 2 bytes big-endian (e is -1074..1023 for doubles, 0..63 for longs),
 *                      then the bits f after the leading one, trailing zeros dropped, 7 per byte in the high
 *                      bits, low bit 1 = "more bytes follow" (one 00 byte when f is empty). A longer f that
 *                      agrees on a prefix is larger, and its byte there has the continuation bit set: the order
 *                      of the bytes is the order of the fractions, and the last byte (bit 0 clear) ends it.
 *            negative: 11, the positive layout's e and m bytes complemented (larger magnitude sorts first), kind
 *            kind:     00 Int, 01 Dbl: only decides between an Int and a Dbl of equal value (Int first, as
 *                      ValueOrder); not complemented for negatives, since the tie rule does not flip with sign.
 *   string   20 utf8* 00 01           code points in UTF-8 (also lone surrogates, as 3-byte sequences, so the
 *                                     byte order is ValueOrder's code point order for every Java string);
 *                                     a 00 byte (U+0000) is escaped as 00 FF: "a" 20 61 00 01 < "a\0" 20 61 00
 *                                     FF 00 01 < "ab" 20 61 62 00 01
 *   array    30 element* 00           elements never start with 00, so a prefix array sorts first
 *   object   40 count name* value*    count order-preserving (below F8 one byte; else F8+k-1 then k bytes
 *                                     big-endian); all names (escaped like strings, sorted by code point), then
 *                                     the values in name order: exactly ValueOrder's count, names, values
 *   binary   50 bytes* 00 01          escaped like strings: unsigned bytes, then the shorter first
 *
 * Numbers are exact: Int and Dbl go through the same (sign, e, f) form, so 2^53 + 1 (an Int) sorts strictly
 * between the doubles 2^53 and 2^53 + 2, and Long.MIN_VALUE equals -2^63 as a double up to the kind byte.
 *
 * Decoding (ids come from peers) is bounds-checked and depth-limited, refuses unknown tags, bad UTF-8, unsorted or
 * repeated object names and numbers outside their type, and finally re-encodes the value and requires the very same
 * bytes: a decoded key is always canonical, so two different byte strings never decode to one value.
 */

/**
 * The order-preserving byte encoding of index keys and document ids: unsigned lexicographic order of the bytes
 * equals the order of the tuples under {@link ValueOrder}, per component reversed when descending. See the
 * design note in the source and docs/STORAGE.md ("Index keys") for the layout, which is a storage format:
 * changing it means a migration.
 *
 * <p>Pure and stateless; thread-safe. Encoding refuses nesting deeper than {@link #MAX_DEPTH} with
 * {@link IllegalArgumentException}; decoding refuses malformed, non-canonical or too deep input with
 * {@link CodecException} and nothing else.
 */
public final class IndexKeyCodec {
    /** Nesting deeper than this is refused, in both directions; the same limit as {@link ValueCodec}. */
    public static final int MAX_DEPTH = ValueCodec.MAX_DEPTH;

    static final int END = 0x00;
    static final int MISSING = 0x04, NULL = 0x08, FALSE = 0x0C, TRUE = 0x0D;
    static final int NEG_INF = 0x10, NEG = 0x11, ZERO = 0x12, POS = 0x13, POS_INF = 0x14, NAN = 0x15;
    static final int STR = 0x20, ARR = 0x30, OBJ = 0x40, BIN = 0x50;
    static final int KIND_INT = 0x00, KIND_DBL = 0x01;
    /** Second byte of an escape: 00 FF is a 00 byte, 00 01 ends the string or binary. */
    static final int ESCAPED_ZERO = 0xFF, TERMINATOR = 0x01;
    /** e + 1075 is 1..2098 for every double and long. */
    static final int EXPONENT_BIAS = 1075;

    static final int MIN_EXPONENT = -1074, MAX_EXPONENT = 1023;
    /** Counts below this are one byte. */
    static final int COUNT_ONE_BYTE_LIMIT = 0xF8;

    private IndexKeyCodec() {}

    // ---- encoding

    /**
     * Encodes a key tuple. Components may be MISSING (it sorts lowest). Unsigned byte order of the results equals
     * the tuple order: component by component by {@link ValueOrder#compare}, reversed where {@code descending}
     * says so. Each component is self-delimiting, so the encoding of a tuple's prefix is a byte prefix of the
     * tuple's encoding.
     *
     * @throws IllegalArgumentException when the two lists differ in size or a value nests deeper than
     *     {@link #MAX_DEPTH}
     */
    public static byte[] encodeKey(List<Value> components, List<Boolean> descending) {
        Objects.requireNonNull(components, "components");
        Objects.requireNonNull(descending, "descending");
        if (components.size() != descending.size()) {
            throw new IllegalArgumentException(
                    components.size() + " key components but " + descending.size() + " directions");
        }
        Out out = new Out(16 * components.size() + 8);
        for (int i = 0; i < components.size(); i++) {
            writeComponent(out, Objects.requireNonNull(components.get(i), "component"), descending.get(i));
        }
        return out.toByteArray();
    }

    /** The key of a document in an index: {@link #encodeKey} of {@link IndexDefinition#keyOf}. */
    public static byte[] keyOf(IndexDefinition index, Value.Obj document) {
        return encodeKey(index.keyOf(document), index.descending());
    }

    /**
     * Encodes a document id as one ascending component, so that the byte order of ids is {@link ValueOrder}.
     * Equal ids encode identically (a composite id's fields in any order).
     *
     * @throws IllegalArgumentException for MISSING or a value nested deeper than {@link #MAX_DEPTH}
     */
    public static byte[] encodeId(Value id) {
        Objects.requireNonNull(id, "id");
        if (id.isMissing()) throw new IllegalArgumentException("MISSING is not an id");
        Out out = new Out(id instanceof Value.Str s ? s.value().length() + 4 : 24);
        writeValue(out, id, 0);
        return out.toByteArray();
    }

    private static void writeComponent(Out out, Value v, boolean descending) {
        int start = out.length();
        writeValue(out, v, 0);
        if (descending) out.complement(start);
    }

    private static void writeValue(Out out, Value v, int depth) {
        if (depth > MAX_DEPTH) throw new IllegalArgumentException("value nested deeper than " + MAX_DEPTH);
        if (v instanceof Value.Str s) {
            out.put(STR);
            writeString(out, s.value());
        } else if (v instanceof Value.Int i) {
            writeLong(out, i.value());
        } else if (v instanceof Value.Dbl d) {
            writeDouble(out, d.value());
        } else if (v instanceof Value.Bool b) {
            out.put(b.value() ? TRUE : FALSE);
        } else if (v instanceof Value.Obj o) {
            writeObject(out, o, depth);
        } else if (v instanceof Value.Arr a) {
            out.put(ARR);
            for (Value item : a.items()) writeValue(out, item, depth + 1);
            out.put(END);
        } else if (v instanceof Value.Bin b) {
            out.put(BIN);
            for (int i = 0; i < b.length(); i++) writeEscapedByte(out, b.byteAt(i) & 0xff);
            out.put(END);
            out.put(TERMINATOR);
        } else if (v.isNull()) {
            out.put(NULL);
        } else {
            out.put(MISSING);
        }
    }

    private static void writeLong(Out out, long v) {
        if (v == 0) {
            out.put(ZERO);
        } else {
            // -Long.MIN_VALUE overflows to itself, which read unsigned is 2^63: the right magnitude
            writeMagnitude(out, v < 0, v < 0 ? -v : v, 0);
        }
        out.put(KIND_INT);
    }

    private static void writeDouble(Out out, double d) {
        if (Double.isNaN(d)) {
            out.put(NAN);
            return;
        }
        if (Double.isInfinite(d)) {
            out.put(d > 0 ? POS_INF : NEG_INF);
            return;
        }
        if (d == 0) {
            out.put(ZERO);
        } else {
            long bits = Double.doubleToRawLongBits(d);
            int biasedExponent = (int) ((bits >>> 52) & 0x7ff);
            long mantissa = bits & 0xFFFFFFFFFFFFFL;
            if (biasedExponent == 0) { // subnormal: mantissa x 2^-1074
                writeMagnitude(out, bits < 0, mantissa, MIN_EXPONENT);
            } else { // (2^52 + mantissa) x 2^(exponent - 1075)
                writeMagnitude(out, bits < 0, mantissa | (1L << 52), biasedExponent - EXPONENT_BIAS);
            }
        }
        out.put(KIND_DBL);
    }

    /** Writes the tag and the exact magnitude {@code m * 2^scale}, {@code m} a non-zero unsigned long. */
    private static void writeMagnitude(Out out, boolean negative, long m, int scale) {
        out.put(negative ? NEG : POS);
        int start = out.length();
        int top = 63 - Long.numberOfLeadingZeros(m); // the leading one: the value is 1.f x 2^(scale + top)
        int biased = scale + top + EXPONENT_BIAS;
        out.put(biased >>> 8);
        out.put(biased & 0xff);
        long fraction = top == 0 ? 0 : m << (64 - top); // the bits after the leading one, left-aligned
        do {
            int group = (int) (fraction >>> 57);
            fraction <<= 7;
            out.put(group << 1 | (fraction != 0 ? 1 : 0));
        } while (fraction != 0);
        if (negative) out.complement(start);
    }

    /** UTF-8 by code point (lone surrogates included), 00 escaped, then the terminator. */
    private static void writeString(Out out, String s) {
        int n = s.length();
        out.ensure(n + 2);
        for (int i = 0; i < n; ) {
            char c = s.charAt(i);
            if (c < 0x80 && c != 0) { // ASCII fast path
                out.put(c);
                i++;
                continue;
            }
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == 0) {
                out.put(END);
                out.put(ESCAPED_ZERO);
            } else if (cp < 0x800) {
                out.put(0xC0 | (cp >>> 6));
                out.put(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                out.put(0xE0 | (cp >>> 12));
                out.put(0x80 | ((cp >>> 6) & 0x3F));
                out.put(0x80 | (cp & 0x3F));
            } else {
                out.put(0xF0 | (cp >>> 18));
                out.put(0x80 | ((cp >>> 12) & 0x3F));
                out.put(0x80 | ((cp >>> 6) & 0x3F));
                out.put(0x80 | (cp & 0x3F));
            }
        }
        out.put(END);
        out.put(TERMINATOR);
    }

    private static void writeEscapedByte(Out out, int b) {
        out.put(b);
        if (b == 0) out.put(ESCAPED_ZERO);
    }

    private static void writeObject(Out out, Value.Obj o, int depth) {
        String[] names = o.fields().keySet().toArray(new String[0]);
        Arrays.sort(names, ValueOrder::compareStrings);
        out.put(OBJ);
        writeCount(out, names.length);
        for (String name : names) writeString(out, name);
        for (String name : names)
            writeValue(out, Objects.requireNonNull(o.fields().get(name)), depth + 1);
    }

    private static void writeCount(Out out, int n) {
        if (n < COUNT_ONE_BYTE_LIMIT) {
            out.put(n);
            return;
        }
        int k = n <= 0xFF ? 1 : n <= 0xFFFF ? 2 : n <= 0xFFFFFF ? 3 : 4;
        out.put(COUNT_ONE_BYTE_LIMIT + k - 1);
        for (int i = k - 1; i >= 0; i--) out.put(n >>> (8 * i));
    }

    // ---- ranges

    /**
     * The byte interval of {@code range} in {@code index}: {@code {fromInclusive, toExclusive}}, each null when
     * unbounded. A key (as {@link #encodeKey} gives it with the index's directions) lies in the interval exactly
     * when its first {@code range.equal().size()} components equal those values ({@link Value#equals}) and its
     * next component lies within the range's bounds in {@link ValueOrder}; later components are free. A
     * descending component swaps the roles of the bounds. An empty range (lower above upper, or an exclusive
     * bound equal to the other end) gives {@code fromInclusive >= toExclusive}, an interval holding no key.
     *
     * <p>Note that {@link IndexRange#equal} is exact: {@code Int(1)} and {@code Dbl(1.0)} are different
     * components. A numeric equality {@code x = 1} is the range {@code [Int(1), Dbl(1.0)]}.
     *
     * @throws IllegalArgumentException when the range constrains more components than the index has
     */
    public static byte[][] range(IndexDefinition index, IndexRange range) {
        Objects.requireNonNull(index, "index");
        Objects.requireNonNull(range, "range");
        List<IndexDefinition.Field> fields = index.fields();
        int k = range.equal().size();
        boolean bounded = range.lower() != null || range.upper() != null;
        if (k + (bounded ? 1 : 0) > fields.size()) {
            throw new IllegalArgumentException("range constrains " + (k + (bounded ? 1 : 0)) + " components but index "
                    + index.name() + " has " + fields.size());
        }
        Out prefix = new Out(32);
        for (int i = 0; i < k; i++) {
            writeComponent(
                    prefix,
                    Objects.requireNonNull(range.equal().get(i), "equal value"),
                    fields.get(i).descending());
        }
        byte[] p = prefix.toByteArray();
        byte[] prefixFrom = k == 0 ? null : p;
        byte[] prefixTo = k == 0 ? null : successor(p);
        if (!bounded) return new byte[][] {prefixFrom, prefixTo};

        boolean descending = fields.get(k).descending();
        // in byte order, a descending component's upper value bound is the lower byte bound, and vice versa
        IndexRange.Bound byteLow = descending ? range.upper() : range.lower();
        IndexRange.Bound byteHigh = descending ? range.lower() : range.upper();
        byte[] from = prefixFrom;
        if (byteLow != null) {
            byte[] at = withComponent(prefix, byteLow.value(), descending);
            // keys whose component equals the bound all start with `at`: inclusive starts there, exclusive after
            from = byteLow.inclusive() ? at : successor(at);
        }
        byte[] to = prefixTo;
        if (byteHigh != null) {
            byte[] at = withComponent(prefix, byteHigh.value(), descending);
            to = byteHigh.inclusive() ? successor(at) : at;
        }
        return new byte[][] {from, to};
    }

    /**
     * The byte interval of the ids between two bounds in {@link ValueOrder} (each null when unbounded):
     * {@code {fromInclusive, toExclusive}}, each null when unbounded, such that an id's {@link #encodeId} lies in it
     * exactly when the id lies between the bounds. The bounds may be any value, ids or not ({@code _id > 1.5}, {@code
     * _id < 'k'}): ids are encoded as one ascending key component, whose byte order is ValueOrder. An empty interval
     * gives {@code fromInclusive >= toExclusive}.
     */
    public static byte[][] idRange(IndexRange.@Nullable Bound lower, IndexRange.@Nullable Bound upper) {
        Out none = new Out(0);
        byte[] from = null;
        if (lower != null) {
            byte[] at = withComponent(none, lower.value(), false);
            // encodings are self-delimiting: no other value's encoding starts with `at`, so "after" is its successor
            from = lower.inclusive() ? at : successor(at);
        }
        byte[] to = null;
        if (upper != null) {
            byte[] at = withComponent(none, upper.value(), false);
            to = upper.inclusive() ? successor(at) : at;
        }
        return new byte[][] {from, to};
    }

    private static byte[] withComponent(Out prefix, Value v, boolean descending) {
        Out out = prefix.copy();
        writeComponent(out, v, descending);
        return out.toByteArray();
    }

    /**
     * The smallest byte string greater than every string starting with {@code prefix}, or null when there is none
     * (the prefix is empty or all 0xFF: every key is below "unbounded").
     */
    static byte @Nullable [] successor(byte[] prefix) {
        int i = prefix.length - 1;
        while (i >= 0 && prefix[i] == (byte) 0xFF) i--;
        if (i < 0) return null;
        byte[] s = Arrays.copyOf(prefix, i + 1);
        s[i]++;
        return s;
    }

    // ---- decoding

    /**
     * Decodes a document id written by {@link #encodeId}. A composite id comes back with its fields in sorted
     * name order.
     *
     * @throws CodecException for anything {@link #encodeId} cannot have produced: truncated, trailing or unknown
     *     bytes, bad UTF-8, unsorted object names, out-of-range numbers, non-canonical forms, nesting deeper
     *     than {@link #MAX_DEPTH}, or MISSING
     */
    public static Value decodeId(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        Reader r = new Reader(bytes, 0);
        Value id = r.readValue(0, false);
        r.expectEnd();
        requireCanonical(bytes, encodeId(id));
        return id;
    }

    /**
     * Decodes a key written by {@link #encodeKey} with the same directions. Objects come back with sorted names.
     *
     * @throws CodecException as {@link #decodeId} does (MISSING components are allowed)
     */
    public static List<Value> decodeKey(byte[] key, List<Boolean> descending) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(descending, "descending");
        Reader r = new Reader(key, 0);
        List<Value> components = new ArrayList<>(descending.size());
        for (boolean desc : descending) {
            r.mask = desc ? 0xFF : 0;
            components.add(r.readValue(0, true));
        }
        r.expectEnd();
        requireCanonical(key, encodeKey(components, descending));
        return components;
    }

    private static void requireCanonical(byte[] input, byte[] reencoded) {
        if (!Arrays.equals(input, reencoded)) {
            int i = Arrays.mismatch(input, reencoded);
            throw new CodecException("non-canonical key encoding (differs from the canonical form at byte " + i + ")");
        }
    }

    /** Reads bytes XOR {@link #mask} (0xFF inside a descending component); every read is bounds-checked. */
    private static final class Reader {
        private final byte[] buf;
        private int pos;
        int mask;

        Reader(byte[] buf, int mask) {
            this.buf = buf;
            this.mask = mask;
        }

        int next() {
            if (pos >= buf.length) throw new CodecException("truncated key at byte " + pos);
            return (buf[pos++] & 0xff) ^ mask;
        }

        int peek() {
            if (pos >= buf.length) throw new CodecException("truncated key at byte " + pos);
            return (buf[pos] & 0xff) ^ mask;
        }

        void expectEnd() {
            if (pos != buf.length) throw new CodecException("trailing bytes after the key at byte " + pos);
        }

        Value readValue(int depth, boolean missingAllowed) {
            if (depth > MAX_DEPTH) throw new CodecException("key nested deeper than " + MAX_DEPTH);
            int at = pos;
            int tag = next();
            switch (tag) {
                case MISSING:
                    if (!missingAllowed) throw new CodecException("MISSING not allowed here, at byte " + at);
                    return Value.MISSING;
                case NULL:
                    return Value.NULL;
                case FALSE:
                    return Value.FALSE;
                case TRUE:
                    return Value.TRUE;
                case NEG_INF:
                    return Value.of(Double.NEGATIVE_INFINITY);
                case POS_INF:
                    return Value.of(Double.POSITIVE_INFINITY);
                case NAN:
                    return Value.of(Double.NaN);
                case ZERO: {
                    int kind = next();
                    if (kind == KIND_INT) return Value.of(0L);
                    if (kind == KIND_DBL) return Value.of(0.0d);
                    throw new CodecException("unknown number kind " + kind + " at byte " + (pos - 1));
                }
                case NEG:
                case POS:
                    return readMagnitude(tag == NEG, at);
                case STR:
                    return Value.of(readString());
                case BIN:
                    return new Value.Bin(readEscapedBytes());
                case ARR: {
                    ArrayList<Value> items = new ArrayList<>();
                    while (peek() != END) items.add(readValue(depth + 1, false));
                    pos++;
                    return Value.Arr.ofOwned(items);
                }
                case OBJ:
                    return readObject(depth);
                default:
                    throw new CodecException("unknown key tag " + tag + " at byte " + at);
            }
        }

        private Value readMagnitude(boolean negative, int at) {
            int flip = negative ? 0xFF : 0;
            int biased = (next() ^ flip) << 8;
            biased |= next() ^ flip;
            int e = biased - EXPONENT_BIAS;
            long fraction = 0;
            for (int i = 0; ; i++) {
                if (i == 9) throw new CodecException("number mantissa longer than 63 bits at byte " + at);
                int b = next() ^ flip;
                fraction |= (long) (b >>> 1) << (57 - 7 * i);
                if ((b & 1) == 0) break;
            }
            int fractionBits = fraction == 0 ? 0 : 64 - Long.numberOfTrailingZeros(fraction);
            int kind = next();
            if (kind == KIND_INT) {
                if (e < 0 || e > 63 || fractionBits > e || (e == 63 && (fraction != 0 || !negative))) {
                    throw new CodecException("integer out of 64-bit range or not integral at byte " + at);
                }
                long magnitude = e == 0 ? 1 : (1L << e) | (fraction >>> (64 - e));
                return Value.of(negative ? -magnitude : magnitude);
            }
            if (kind != KIND_DBL) throw new CodecException("unknown number kind " + kind + " at byte " + (pos - 1));
            if (e < MIN_EXPONENT || e > MAX_EXPONENT) {
                throw new CodecException("float exponent " + e + " out of range at byte " + at);
            }
            long bits;
            if (e >= -1022) { // normal
                if (fractionBits > 52) throw new CodecException("float with more than 53 bits at byte " + at);
                bits = ((long) (e + 1023) << 52) | (fraction >>> 12);
            } else { // subnormal: the leading one is bit (e + 1074) of the mantissa field
                int width = e - MIN_EXPONENT;
                if (fractionBits > width) throw new CodecException("subnormal float too precise at byte " + at);
                bits = (1L << width) | (width == 0 ? 0 : fraction >>> (64 - width));
            }
            double d = Double.longBitsToDouble(bits);
            return Value.of(negative ? -d : d);
        }

        /** Reads an escaped run up to its terminator, unescaped. */
        private byte[] readEscapedBytes() {
            Out out = new Out(16);
            while (true) {
                int b = next();
                if (b == END) {
                    int second = next();
                    if (second == TERMINATOR) return out.toByteArray();
                    if (second != ESCAPED_ZERO) {
                        throw new CodecException(
                                "bad escape 00 " + Integer.toHexString(second) + " at byte " + (pos - 2));
                    }
                }
                out.put(b);
            }
        }

        private String readString() {
            int start = pos;
            String ascii = readAsciiString();
            if (ascii != null) return ascii;
            byte[] utf8 = readEscapedBytes();
            StringBuilder sb = new StringBuilder(utf8.length);
            int i = 0;
            while (i < utf8.length) {
                int b0 = utf8[i] & 0xff;
                int n;
                int cp;
                int min;
                if (b0 < 0x80) {
                    n = 1;
                    cp = b0;
                    min = 0;
                } else if (b0 >= 0xC2 && b0 < 0xE0) {
                    n = 2;
                    cp = b0 & 0x1F;
                    min = 0x80;
                } else if (b0 >= 0xE0 && b0 < 0xF0) {
                    n = 3;
                    cp = b0 & 0x0F;
                    min = 0x800;
                } else if (b0 >= 0xF0 && b0 < 0xF5) {
                    n = 4;
                    cp = b0 & 0x07;
                    min = 0x10000;
                } else {
                    throw new CodecException("invalid UTF-8 in a key string starting at byte " + start);
                }
                if (i + n > utf8.length) throw new CodecException("truncated UTF-8 in a key string at byte " + start);
                for (int j = 1; j < n; j++) {
                    int b = utf8[i + j] & 0xff;
                    if ((b & 0xC0) != 0x80) {
                        throw new CodecException("invalid UTF-8 in a key string starting at byte " + start);
                    }
                    cp = cp << 6 | (b & 0x3F);
                }
                if (cp < min || cp > Character.MAX_CODE_POINT) {
                    throw new CodecException("overlong or out-of-range UTF-8 in a key string at byte " + start);
                }
                sb.appendCodePoint(cp);
                i += n;
            }
            return sb.toString();
        }

        /**
         * The common case: plain ASCII (01..7F) up to the terminator, read without copying through a buffer. Returns
         * null, having consumed nothing, for anything else.
         */
        private @Nullable String readAsciiString() {
            int i = pos;
            while (i < buf.length) {
                int b = (buf[i] & 0xff) ^ mask;
                if (b == END) {
                    if (i + 1 >= buf.length || ((buf[i + 1] & 0xff) ^ mask) != TERMINATOR) return null;
                    char[] chars = new char[i - pos];
                    for (int j = 0; j < chars.length; j++) chars[j] = (char) ((buf[pos + j] & 0xff) ^ mask);
                    pos = i + 2;
                    return new String(chars);
                }
                if (b >= 0x80) return null;
                i++;
            }
            return null;
        }

        private Value readObject(int depth) {
            int at = pos - 1;
            int n = readCount();
            // each field takes at least three bytes (a two-byte name terminator and a tag)
            if (n > (buf.length - pos) / 3) {
                throw new CodecException("object count " + n + " exceeds the input at byte " + at);
            }
            String[] names = new String[n];
            for (int i = 0; i < n; i++) {
                int nameAt = pos;
                names[i] = readString();
                if (i > 0 && ValueOrder.compareStrings(names[i - 1], names[i]) >= 0) {
                    throw new CodecException("object names not sorted or repeated at byte " + nameAt);
                }
            }
            LinkedHashMap<String, Value> fields = new LinkedHashMap<>(Math.max(4, n * 2));
            for (String name : names) fields.put(name, readValue(depth + 1, false));
            return Value.Obj.ofOwned(fields);
        }

        private int readCount() {
            int b = next();
            if (b < COUNT_ONE_BYTE_LIMIT) return b;
            int k = b - COUNT_ONE_BYTE_LIMIT + 1;
            if (k > 4) throw new CodecException("bad object count prefix " + b + " at byte " + (pos - 1));
            long n = 0;
            for (int i = 0; i < k; i++) n = n << 8 | next();
            long min = k == 1 ? COUNT_ONE_BYTE_LIMIT : 1L << (8 * (k - 1));
            if (n < min || n > Integer.MAX_VALUE) throw new CodecException("non-canonical object count at byte " + pos);
            return (int) n;
        }
    }

    /** A growable byte buffer. */
    private static final class Out {
        private byte[] buf;
        private int len;

        Out(int capacity) {
            buf = new byte[Math.max(8, capacity)];
        }

        int length() {
            return len;
        }

        void ensure(int more) {
            if (len + more > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
        }

        void put(int b) {
            if (len == buf.length) buf = Arrays.copyOf(buf, buf.length * 2);
            buf[len++] = (byte) b;
        }

        void complement(int from) {
            for (int i = from; i < len; i++) buf[i] = (byte) ~buf[i];
        }

        Out copy() {
            Out o = new Out(len + 32);
            System.arraycopy(buf, 0, o.buf, 0, len);
            o.len = len;
            return o;
        }

        byte[] toByteArray() {
            return Arrays.copyOf(buf, len);
        }
    }
}
