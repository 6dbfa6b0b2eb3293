package io.starling.internal.engine;

import io.starling.AttachmentToken;
import io.starling.internal.core.BinaryReader;
import io.starling.internal.core.BinaryWriter;
import io.starling.internal.core.CodecException;
import io.starling.internal.core.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * How a token is stored in a document (docs/ATTACHMENTS.md, "Tokens in documents"): a binary value that starts with
 * the 8 bytes {@code 00 'S' 'T' 'L' 'A' 'T' 'T' 01}, then the 32 bytes of the id, the length (varint), and the metadata
 * (a count, then key and value strings in key order). A binary value is one register, so a token is replaced whole
 * by a later write and never merged field by field with another. The engine converts at the edges: a token in a
 * statement argument (Java object, or the JSON shape {@code {"_attachment": {"id", "len", "metadata"}}}) becomes that
 * binary value, and such a value comes out of results as an {@link AttachmentToken} (JSON: the same shape).
 */
final class AttachmentTokens {
    static final byte[] MAGIC = {0, 'S', 'T', 'L', 'A', 'T', 'T', 1};
    static final String JSON_KEY = "_attachment";
    private static final HexFormat HEX = HexFormat.of();

    private AttachmentTokens() {}

    static byte[] encode(AttachmentToken t) {
        BinaryWriter w = new BinaryWriter(64);
        w.writeRaw(MAGIC).writeRaw(HEX.parseHex(t.id())).writeVarLong(t.len());
        w.writeVarInt(t.metadata().size());
        for (Map.Entry<String, String> e : t.metadata().entrySet())
            w.writeString(e.getKey()).writeString(e.getValue());
        return w.toByteArray();
    }

    /** The token a binary value holds, or null when it is not one. */
    static @Nullable AttachmentToken decode(byte[] b) {
        if (b.length < MAGIC.length + 32 + 2 || !Arrays.equals(b, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) return null;
        try {
            BinaryReader r = new BinaryReader(b, MAGIC.length + 32, b.length - MAGIC.length - 32);
            long len = r.readVarLong();
            int n = r.readLength(1024);
            TreeMap<String, String> meta = new TreeMap<>();
            for (int i = 0; i < n; i++) meta.put(r.readString(), r.readString());
            if (r.hasRemaining()) return null;
            return new AttachmentToken(HEX.formatHex(b, MAGIC.length, MAGIC.length + 32), len, meta);
        } catch (CodecException | IllegalArgumentException notAToken) {
            return null;
        }
    }

    /**
     * The stored form of a token in a statement argument (an {@link AttachmentToken}, or a map of the JSON shape), or
     * null for any other object: the {@link Value.Special} of argument conversion, which consults it for every map and
     * unknown type in the same walk that converts the argument.
     *
     * @throws IllegalArgumentException for a map with the token key whose value is not a valid token
     */
    static @Nullable Value asArgument(Object o) {
        if (o instanceof AttachmentToken t) return new Value.Bin(encode(t));
        if (o instanceof Map<?, ?> m) {
            AttachmentToken t = fromJsonShape(m);
            if (t != null) return new Value.Bin(encode(t));
        }
        return null;
    }

    /**
     * The token of {@code {"_attachment": {"id": …, "len": …, "metadata": {…}}}} (the only key); null for any other map.
     *
     * @throws IllegalArgumentException for a map with the key whose value is not a valid token
     */
    static @Nullable AttachmentToken fromJsonShape(Map<?, ?> m) {
        if (m.size() != 1 || !m.containsKey(JSON_KEY)) return null;
        if (!(m.get(JSON_KEY) instanceof Map<?, ?> t))
            throw new IllegalArgumentException("\"" + JSON_KEY + "\" must hold {\"id\", \"len\", \"metadata\"}");
        if (!(t.get("id") instanceof String id))
            throw new IllegalArgumentException("\"" + JSON_KEY + ".id\" must be the attachment id, a string");
        if (!(t.get("len") instanceof Number len) || len instanceof Double || len instanceof Float)
            throw new IllegalArgumentException("\"" + JSON_KEY + ".len\" must be the attachment's length, an integer");
        Map<String, String> meta = new TreeMap<>();
        Object md = t.get("metadata");
        if (md instanceof Map<?, ?> mm) {
            for (Map.Entry<?, ?> e : mm.entrySet()) {
                if (!(e.getKey() instanceof String k) || !(e.getValue() instanceof String v))
                    throw new IllegalArgumentException("\"" + JSON_KEY + ".metadata\" maps strings to strings");
                meta.put(k, v);
            }
        } else if (md != null) {
            throw new IllegalArgumentException("\"" + JSON_KEY + ".metadata\" must be an object of strings");
        }
        return new AttachmentToken(id, len.longValue(), meta);
    }

    /**
     * A result value ({@code Value.toJava()} form) with every stored token replaced by an {@link AttachmentToken};
     * the same object when it holds none (the common case costs a walk, no copy).
     */
    static @Nullable Object fromResult(@Nullable Object o) {
        return convert(o, false);
    }

    /** A result value for JSON: tokens in their JSON shape. */
    static @Nullable Object forJson(@Nullable Object o) {
        return convert(o, true);
    }

    private static @Nullable Object convert(@Nullable Object o, boolean json) {
        if (o instanceof byte[] b) {
            AttachmentToken t = decode(b);
            return t == null ? b : json ? jsonShape(t) : t;
        }
        if (o instanceof Map<?, ?> m) {
            Map<String, @Nullable Object> out = null;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                Object v = e.getValue();
                Object c = convert(v, json);
                if (c != v && out == null) {
                    out = new LinkedHashMap<>();
                    for (Map.Entry<?, ?> before : m.entrySet()) {
                        if (before.getKey().equals(e.getKey())) break;
                        out.put((String) before.getKey(), before.getValue());
                    }
                }
                if (out != null) out.put((String) e.getKey(), c);
            }
            return out == null ? o : java.util.Collections.unmodifiableMap(out);
        }
        if (o instanceof List<?> l) {
            List<@Nullable Object> out = null;
            for (int i = 0; i < l.size(); i++) {
                Object v = l.get(i);
                Object c = convert(v, json);
                if (c != v && out == null) out = new ArrayList<>(l.subList(0, i));
                if (out != null) out.add(c);
            }
            return out == null ? o : java.util.Collections.unmodifiableList(out);
        }
        return o;
    }

    static Map<String, Object> jsonShape(AttachmentToken t) {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("id", t.id());
        inner.put("len", t.len());
        inner.put("metadata", t.metadata());
        return Map.of(JSON_KEY, inner);
    }

    /** Whether {@code state} (a document's stored bytes) contains the stored form of a token with {@code id}. */
    static void collectIds(byte[] state, java.util.Set<String> into) {
        int end = state.length - MAGIC.length - 32;
        outer:
        for (int i = 0; i <= end; i++) {
            for (int k = 0; k < MAGIC.length; k++) if (state[i + k] != MAGIC[k]) continue outer;
            into.add(HEX.formatHex(state, i + MAGIC.length, i + MAGIC.length + 32));
        }
    }
}
