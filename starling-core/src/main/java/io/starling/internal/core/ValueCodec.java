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
    /** Nesting deeper than this is refused when decoding (and when encoding, to stay symmetric). */
    public static final int MAX_DEPTH = 128;

    static final int NULL = 0, FALSE = 1, TRUE = 2, INT = 3, DBL = 4, STR = 5, BIN = 6, ARR = 7, OBJ = 8;

    private ValueCodec() {}

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

    public static void write(BinaryWriter w, Value v) {
        write(w, v, 0);
    }

    private static void write(BinaryWriter w, Value v, int depth) {
        if (depth > MAX_DEPTH) throw new IllegalArgumentException("value nested deeper than " + MAX_DEPTH);
        if (v instanceof Value.Null) {
            w.writeByte(NULL);
        } else if (v instanceof Value.Bool b) {
            w.writeByte(b.value() ? TRUE : FALSE);
        } else if (v instanceof Value.Int i) {
            w.writeByte(INT).writeSignedVarLong(i.value());
        } else if (v instanceof Value.Dbl d) {
            w.writeByte(DBL).writeFixedLong(Double.doubleToLongBits(d.value()));
        } else if (v instanceof Value.Str s) {
            w.writeByte(STR).writeString(s.value());
        } else if (v instanceof Value.Bin b) {
            w.writeByte(BIN).writeBytes(b.bytes());
        } else if (v instanceof Value.Arr a) {
            w.writeByte(ARR).writeVarInt(a.size());
            for (Value item : a.items()) write(w, item, depth + 1);
        } else if (v instanceof Value.Obj o) {
            w.writeByte(OBJ).writeVarInt(o.size());
            List<String> keys = new ArrayList<>(o.fields().keySet());
            keys.sort(ValueOrder::compareStrings);
            for (String k : keys) {
                w.writeString(k);
                write(w, Objects.requireNonNull(o.fields().get(k)), depth + 1);
            }
        } else {
            throw new IllegalArgumentException("MISSING cannot be stored");
        }
    }

    public static Value read(BinaryReader r) {
        return read(r, 0);
    }

    private static Value read(BinaryReader r, int depth) {
        if (depth > MAX_DEPTH) throw new CodecException("value nested deeper than " + MAX_DEPTH);
        int tag = r.readByte();
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
}
