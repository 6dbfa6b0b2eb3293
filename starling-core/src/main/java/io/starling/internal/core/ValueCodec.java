package io.starling.internal.core;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The canonical binary encoding of values. Object fields are written in sorted order, so that values that
 * are {@link Value#equals equal} encode to identical bytes (this is what makes document states and ids
 * byte-identical across replicas). MISSING cannot be encoded.
 *
 * <pre>
 * value := 0x00 null | 0x01 false | 0x02 true | 0x03 zigzag-varlong | 0x04 8-byte IEEE double
 *        | 0x05 varint-length UTF-8 | 0x06 varint-length bytes | 0x07 varint-count value*
 *        | 0x08 varint-count (string value)*   -- strings sorted by code point
 * </pre>
 */
public final class ValueCodec {
    /** Containers nest at most this deep ({@link Limits#MAX_DEPTH}), on encoding and on decoding alike. */
    public static final int MAX_DEPTH = Limits.MAX_DEPTH;

    static final int NULL = 0, FALSE = 1, TRUE = 2, INT = 3, DBL = 4, STR = 5, BIN = 6, ARR = 7, OBJ = 8;

    private ValueCodec() {}

    /**
     * The canonical encoding of a value that stands alone (its outermost container is at level 1).
     *
     * @throws CodecException for a value that could not be decoded again: nested deeper than {@link #MAX_DEPTH},
     *     a NaN or infinite number, MISSING, or a string that is not valid Unicode
     */
    public static byte[] encode(Value v) {
        BinaryWriter w = new BinaryWriter();
        write(w, v);
        return w.toByteArray();
    }

    public static Value decode(byte[] bytes) {
        BinaryReader r = new BinaryReader(bytes);
        Value v = read(r);
        if (r.hasRemaining()) throw new CodecException("trailing bytes after value at byte " + r.position());
        return v;
    }

    /** {@link #encode} into a writer. */
    public static void write(BinaryWriter w, Value v) {
        write(w, v, 0);
    }

    /**
     * Writes a value that sits inside {@code enclosing} levels of containers (a field of a document's root
     * object: 1), so that the depth limit counts the whole document. Refuses exactly what {@link #read(BinaryReader,
     * int)} would refuse.
     *
     * @throws CodecException see {@link #encode}
     */
    public static void write(BinaryWriter w, Value v, int enclosing) {
        if (v instanceof Value.Null) {
            w.writeByte(NULL);
        } else if (v instanceof Value.Bool b) {
            w.writeByte(b.value() ? TRUE : FALSE);
        } else if (v instanceof Value.Int i) {
            w.writeByte(INT).writeSignedVarLong(i.value());
        } else if (v instanceof Value.Dbl d) {
            if (!Double.isFinite(d.value())) throw new CodecException("cannot encode the non-finite number " + d);
            w.writeByte(DBL).writeFixedLong(Double.doubleToLongBits(d.value()));
        } else if (v instanceof Value.Str s) {
            w.writeByte(STR);
            writeString(w, s.value());
        } else if (v instanceof Value.Bin b) {
            w.writeByte(BIN).writeBytes(b.bytes());
        } else if (v instanceof Value.Arr a) {
            checkDepth(enclosing + 1);
            w.writeByte(ARR).writeVarInt(a.size());
            for (Value item : a.items()) write(w, item, enclosing + 1);
        } else if (v instanceof Value.Obj o) {
            checkDepth(enclosing + 1);
            w.writeByte(OBJ).writeVarInt(o.size());
            List<String> keys = new ArrayList<>(o.fields().keySet());
            keys.sort(ValueOrder::compareStrings);
            for (String k : keys) {
                writeString(w, k);
                write(w, Objects.requireNonNull(o.fields().get(k)), enclosing + 1);
            }
        } else {
            throw new CodecException("MISSING cannot be stored");
        }
    }

    /**
     * Writes a plain Java value as {@code write(w, Value.fromJava(o, special), enclosing)} would, byte for byte, with
     * no value objects in between — or returns false, having written an undefined part of it, for anything that walk
     * would not accept as it is or that a document could not store: a type or number {@link Value#fromJava} refuses
     * or leaves to {@code special}, a map that {@code special} converts, a non-string key, a key or string that is not
     * valid Unicode, a field name longer than {@link Limits#MAX_FIELD_NAME_BYTES}, a number that is not finite,
     * nesting deeper than {@link #MAX_DEPTH}, or an existing {@link Value}. The caller then converts the value the
     * ordinary way, which reports any error exactly as before: this is only a faster path for the common value.
     */
    public static boolean writeJava(BinaryWriter w, @Nullable Object o, int enclosing, Value.Special special) {
        // the types in the order Value.fromJava tests them, most frequent first
        if (o instanceof String s) return writeJavaString(w.writeByte(STR), s);
        if (o instanceof Long || o instanceof Integer) {
            w.writeByte(INT).writeSignedVarLong(((Number) o).longValue());
            return true;
        }
        if (o == null) {
            w.writeByte(NULL);
            return true;
        }
        if (o instanceof Map<?, ?> m) return writeJavaMap(w, m, enclosing, special);
        if (o instanceof Boolean b) {
            w.writeByte(b ? TRUE : FALSE);
            return true;
        }
        if (o instanceof Double || o instanceof Float) return writeJavaDouble(w, ((Number) o).doubleValue());
        if (o instanceof List<?> l) return writeJavaList(w, l, enclosing, special);
        if (o instanceof Value) return false; // already converted: the ordinary path writes it
        if (o instanceof Short || o instanceof Byte) {
            w.writeByte(INT).writeSignedVarLong(((Number) o).longValue());
            return true;
        }
        if (o instanceof BigInteger bi) {
            if (bi.bitLength() > 63) return false;
            w.writeByte(INT).writeSignedVarLong(bi.longValue());
            return true;
        }
        if (o instanceof BigDecimal bd) {
            long exact;
            try {
                exact = bd.longValueExact();
            } catch (ArithmeticException notIntegral) {
                return writeJavaDouble(w, bd.doubleValue());
            }
            w.writeByte(INT).writeSignedVarLong(exact);
            return true;
        }
        if (o instanceof CharSequence s) return writeJavaString(w.writeByte(STR), s.toString());
        if (o instanceof Character c) return writeJavaString(w.writeByte(STR), c.toString());
        if (o instanceof byte[] bytes) {
            w.writeByte(BIN).writeBytes(bytes);
            return true;
        }
        if (o instanceof Object[] arr) return writeJavaList(w, Arrays.asList(arr), enclosing, special);
        return false; // special's or unsupported: the ordinary path converts or refuses it
    }

    /** A string as {@link #writeString}, false for one that is not valid Unicode. */
    public static boolean writeJavaString(BinaryWriter w, String s) {
        try {
            w.writeString(s);
            return true;
        } catch (IllegalArgumentException notUnicode) {
            return false;
        }
    }

    private static boolean writeJavaDouble(BinaryWriter w, double d) {
        if (!Double.isFinite(d)) return false;
        // Value.Dbl's normalisation: -0.0 is stored as 0.0
        w.writeByte(DBL).writeFixedLong(Double.doubleToLongBits(d == 0.0d ? 0.0d : d));
        return true;
    }

    private static boolean writeJavaList(BinaryWriter w, List<?> l, int enclosing, Value.Special special) {
        if (enclosing + 1 > MAX_DEPTH) return false;
        w.writeByte(ARR).writeVarInt(l.size());
        for (Object item : l) if (!writeJava(w, item, enclosing + 1, special)) return false;
        return true;
    }

    private static boolean writeJavaMap(BinaryWriter w, Map<?, ?> m, int enclosing, Value.Special special) {
        if (isSpecial(m, special) || enclosing + 1 > MAX_DEPTH) return false;
        Map.Entry<?, ?>[] entries = sortedEntries(m, true);
        if (entries == null) return false;
        w.writeByte(OBJ).writeVarInt(entries.length);
        for (Map.Entry<?, ?> e : entries) {
            if (!writeJavaKey(w, (String) e.getKey())) return false;
            if (!writeJava(w, e.getValue(), enclosing + 1, special)) return false;
        }
        return true;
    }

    /**
     * A field name as {@link #writeString}, false for one a document cannot hold ({@link Limits#fieldNameProblem}). A
     * short ASCII name, the common one, is checked by writing it.
     */
    public static boolean writeJavaKey(BinaryWriter w, String key) {
        return w.writeAscii(key) || (Limits.fieldNameProblem(key) == null && writeJavaString(w, key));
    }

    /**
     * The entries of a map with string keys, sorted by key: by code point ({@link ValueOrder#compareStrings}, the
     * order of an object value) or else by {@link String#compareTo} (the order of a document's fields in its state).
     * Null when a key is not a string or the map is not a plain one (its size and its entries disagree, or a key comes
     * twice), which the ordinary path converts.
     */
    public static Map.Entry<?, ?> @Nullable [] sortedEntries(Map<?, ?> m, boolean byCodePoint) {
        int n = m.size();
        Map.Entry<?, ?>[] entries = new Map.Entry<?, ?>[n];
        int k = 0;
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (k == n || !(e.getKey() instanceof String key)) return null;
            int i = k++;
            if (n <= SHORT_MAP) { // insertion sort as the entries come: a document has a handful of fields
                while (i > 0 && compare((String) entries[i - 1].getKey(), key, byCodePoint) > 0) {
                    entries[i] = entries[i - 1];
                    i--;
                }
            }
            entries[i] = e;
        }
        if (k != n) return null;
        if (n > SHORT_MAP) {
            Arrays.sort(entries, (a, b) -> compare((String) a.getKey(), (String) b.getKey(), byCodePoint));
        }
        for (int i = 1; i < n; i++) {
            if (compare((String) entries[i - 1].getKey(), (String) entries[i].getKey(), byCodePoint) >= 0) return null;
        }
        return entries;
    }

    /** Up to this many fields, {@link #sortedEntries} sorts by insertion. */
    private static final int SHORT_MAP = 16;

    private static int compare(String a, String b, boolean byCodePoint) {
        return byCodePoint ? ValueOrder.compareStrings(a, b) : a.compareTo(b);
    }

    /**
     * Whether {@code special} converts the map itself (an attachment token's JSON form), or refuses it: either way
     * the ordinary path must convert it.
     */
    public static boolean isSpecial(Map<?, ?> m, Value.Special special) {
        try {
            return special.convert(m) != null;
        } catch (IllegalArgumentException refused) {
            return true;
        }
    }

    /** A string in UTF-8; one that has no UTF-8 form (a lone surrogate) cannot be stored. */
    public static void writeString(BinaryWriter w, String s) {
        try {
            w.writeString(s);
        } catch (IllegalArgumentException notUnicode) {
            throw new CodecException("cannot encode a string that is not valid Unicode (a lone surrogate)");
        }
    }

    private static void checkDepth(int level) {
        if (level > MAX_DEPTH) throw new CodecException("value nested deeper than " + MAX_DEPTH + " levels");
    }

    public static Value read(BinaryReader r) {
        return read(r, 0);
    }

    /** Reads a value that sits inside {@code enclosing} levels of containers (see {@link #write(BinaryWriter, Value, int)}). */
    public static Value read(BinaryReader r, int enclosing) {
        int tag = r.readByte();
        if (tag == ARR || tag == OBJ) checkDepth(enclosing + 1);
        int depth = enclosing;
        switch (tag) {
            case NULL:
                return Value.NULL;
            case FALSE:
                return Value.FALSE;
            case TRUE:
                return Value.TRUE;
            case INT:
                return new Value.Int(r.readSignedVarLong());
            case DBL: {
                double d = Double.longBitsToDouble(r.readFixedLong());
                if (Double.isNaN(d) || Double.isInfinite(d)) throw new CodecException("non-finite number");
                return new Value.Dbl(d);
            }
            case STR:
                return new Value.Str(r.readString());
            case BIN:
                return new Value.Bin(r.readBytes());
            case ARR: {
                int n = r.readLength(r.remaining());
                ArrayList<Value> items = new ArrayList<>(Math.min(n, 1024));
                for (int i = 0; i < n; i++) items.add(read(r, depth + 1));
                return Value.Arr.ofOwned(items);
            }
            case OBJ: {
                int n = r.readLength(r.remaining());
                LinkedHashMap<String, Value> fields = new LinkedHashMap<>(Math.min(n, 1024) * 2);
                String prev = null;
                for (int i = 0; i < n; i++) {
                    String k = r.readString();
                    if (prev != null && ValueOrder.compareStrings(prev, k) >= 0) {
                        throw new CodecException("object keys not in canonical order at byte " + r.position());
                    }
                    prev = k;
                    fields.put(k, read(r, depth + 1));
                }
                return Value.Obj.ofOwned(fields);
            }
            default:
                throw new CodecException("unknown value tag " + tag + " at byte " + (r.position() - 1));
        }
    }

    /**
     * Skips one value that sits inside {@code enclosing} levels of containers, building nothing. Checks the
     * structure (tags, lengths, depth) but not the contents (UTF-8, key order, finite numbers) that {@link
     * #read(BinaryReader, int)} checks: a reader that skips a value never shows it.
     */
    public static void skip(BinaryReader r, int enclosing) {
        int tag = r.readByte();
        switch (tag) {
            case NULL, FALSE, TRUE -> {}
            case INT -> r.readVarLong();
            case DBL -> r.skip(8);
            case STR, BIN -> r.skipRun();
            case ARR -> {
                checkDepth(enclosing + 1);
                int n = r.readLength(r.remaining());
                for (int i = 0; i < n; i++) skip(r, enclosing + 1);
            }
            case OBJ -> {
                checkDepth(enclosing + 1);
                int n = r.readLength(r.remaining());
                for (int i = 0; i < n; i++) {
                    r.skipRun();
                    skip(r, enclosing + 1);
                }
            }
            default -> throw new CodecException("unknown value tag " + tag + " at byte " + (r.position() - 1));
        }
    }
}
