package io.starling.internal.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;

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
