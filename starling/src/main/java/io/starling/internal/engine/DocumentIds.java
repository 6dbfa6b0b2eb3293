package io.starling.internal.engine;

import io.starling.ErrorCode;
import io.starling.StarlingException;
import io.starling.internal.core.Limits;
import io.starling.internal.core.Value;
import io.starling.internal.index.IndexKeyCodec;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The rules for {@code _id} (docs/DATA-MODEL.md, "Documents and ids"): a string, a 64-bit integer, a boolean, or
 * an object of those (a composite id, whose key order does not matter), nested at most {@link Limits#MAX_ID_DEPTH}
 * levels, at most {@link Limits#MAX_ID_BYTES} bytes in storage form, with every string valid Unicode. Null, floats,
 * binary and arrays are rejected. The
 * storage key is a canonical, order-preserving encoding: composite ids with the same fields in any order
 * are one id, and storage keeps rows in {@code ValueOrder} of their ids (the order of results without
 * ORDER BY).
 */
final class DocumentIds {
    private DocumentIds() {}

    /** Checks an id supplied by the application. */
    static void validate(Value id) {
        String problem = problem(id);
        if (problem != null) throw new StarlingException(ErrorCode.DOCUMENT_INVALID_ID, problem);
    }

    /** Checks an id supplied by the application ({@link #validate}) and returns its storage key ({@link #encode}). */
    static byte[] encodeValid(Value id) {
        String problem = problem(id, 0);
        byte[] key = problem == null ? encode(id) : null;
        if (key != null && key.length > Limits.MAX_ID_BYTES) {
            problem = "an _id may take at most " + Limits.MAX_ID_BYTES + " bytes";
        }
        if (problem != null || key == null) {
            throw new StarlingException(ErrorCode.DOCUMENT_INVALID_ID, "invalid _id " + describe(id) + ": " + problem);
        }
        return key;
    }

    /** What is wrong with an id (naming it), or null. */
    static @Nullable String problem(Value id) {
        String problem = problem(id, 0);
        if (problem == null && encode(id).length > Limits.MAX_ID_BYTES) {
            problem = "an _id may take at most " + Limits.MAX_ID_BYTES + " bytes";
        }
        return problem == null ? null : "invalid _id " + describe(id) + ": " + problem;
    }

    /** True when the value could be an id; lookups of anything else find nothing. */
    static boolean isValid(Value id) {
        return problem(id, 0) == null;
    }

    /** The id in its stored form: composite ids with their fields sorted (as a scan returns them). */
    static Value canonical(Value id) {
        return id instanceof Value.Obj ? decode(encode(id)) : id;
    }

    /** {@link #canonical(Value)} of an id whose storage key is already at hand. */
    static Value canonical(Value id, byte[] key) {
        return id instanceof Value.Obj ? decode(key) : id;
    }

    /** The storage key: order-preserving, so that storage's id order is {@code ValueOrder} of ids. */
    static byte[] encode(Value id) {
        return IndexKeyCodec.encodeId(id);
    }

    static Value decode(byte[] bytes) {
        return IndexKeyCodec.decodeId(bytes);
    }

    private static @Nullable String problem(Value id, int depth) {
        if (depth > Limits.MAX_ID_DEPTH) return "a composite _id may nest at most " + Limits.MAX_ID_DEPTH + " levels";
        if (id instanceof Value.Str s) {
            return Limits.loneSurrogateAt(s.value()) < 0
                    ? null
                    : "a string _id must be valid Unicode (it holds a lone surrogate)";
        }
        if (id instanceof Value.Int || id instanceof Value.Bool) return null;
        if (id instanceof Value.Obj o) {
            if (o.size() == 0) return "a composite _id needs at least one field";
            for (Map.Entry<String, Value> e : o.fields().entrySet()) {
                String p = Limits.fieldNameProblem(e.getKey());
                if (p == null) p = problem(e.getValue(), depth + 1);
                if (p != null) return "field '" + e.getKey() + "': " + p;
            }
            return null;
        }
        if (id instanceof Value.Dbl) return "an _id must not be a float (use an integer or a string)";
        if (id.isNull()) return "an _id must not be null";
        String type = id.typeName();
        return "an _id must be a string, an integer, a boolean or an object, not "
                + (type.startsWith("a") ? "an " : "a ") + type;
    }

    private static String describe(Value id) {
        String s = id.toString();
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }
}
