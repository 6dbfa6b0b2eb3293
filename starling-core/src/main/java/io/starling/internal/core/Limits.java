package io.starling.internal.core;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The limits of the data model, each one value enforced at every entry point — local writes, DQL literals and
 * paths, arguments, and document states received from peers — so that nothing is ever accepted that cannot be
 * read back. docs/DATA-MODEL.md ("Limits") states them for users.
 *
 * <p>The checks return a description of the first problem (or null) rather than throwing, so that each layer
 * wraps it in its own exception with its own context (a line and column, a field path, a peer).
 */
public final class Limits {
    /**
     * Objects and arrays nest at most this deep in a document: {@code {"a": 1}} has depth 1, {@code {"a": [1]}}
     * depth 2. It bounds the recursion of every reader of a document (codec, comparison, JSON), so it applies to
     * every stored value, to the document state's tree as a whole, and to what a peer sends.
     */
    public static final int MAX_DEPTH = 128;

    /** A path has at most this many segments: a longer one could never name a stored value. */
    public static final int MAX_PATH_SEGMENTS = MAX_DEPTH;

    /** A local write may make a document at most this large (its canonical binary encoding). */
    public static final int MAX_DOCUMENT_BYTES = 5 * 1024 * 1024;

    /** Above this size a document is logged as large (still accepted). */
    public static final int WARN_DOCUMENT_BYTES = 256 * 1024;

    /** Collection and index names: 1 to this many bytes of UTF-8. */
    public static final int MAX_NAME_BYTES = 256;

    /** Field names (object keys): at most this many bytes of UTF-8. */
    public static final int MAX_FIELD_NAME_BYTES = 1024;

    /** Composite {@code _id}s nest at most this deep. */
    public static final int MAX_ID_DEPTH = 16;

    /** The encoded form of an {@code _id} (its storage key) is at most this many bytes. */
    public static final int MAX_ID_BYTES = 4096;

    private Limits() {}

    /**
     * What is wrong with a collection or index name, or null: it must be 1 to {@link #MAX_NAME_BYTES} bytes of
     * valid Unicode with no control characters (they would alias names in storage and logs).
     *
     * @param what what the name names, for the message ("collection name", "index name")
     */
    public static @Nullable String nameProblem(String what, String name) {
        if (name.isEmpty()) return "a " + what + " must not be empty";
        int surrogate = loneSurrogateAt(name);
        if (surrogate >= 0)
            return what + " " + quoted(name) + " is not valid Unicode (a lone surrogate at " + surrogate + ")";
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isISOControl(c)) {
                return what + " " + quoted(name) + " holds a control character (U+" + String.format("%04X", (int) c)
                        + ") at " + i;
            }
        }
        int bytes = utf8Length(name, MAX_NAME_BYTES);
        if (bytes > MAX_NAME_BYTES) {
            return what + " " + quoted(name) + " is " + bytes + " bytes long; the limit is " + MAX_NAME_BYTES;
        }
        return null;
    }

    /** What is wrong with a field name, or null: valid Unicode of at most {@link #MAX_FIELD_NAME_BYTES} bytes. */
    public static @Nullable String fieldNameProblem(String name) {
        int surrogate = loneSurrogateAt(name);
        if (surrogate >= 0) {
            return "field name " + quoted(name) + " is not valid Unicode (a lone surrogate at " + surrogate + ")";
        }
        int bytes = utf8Length(name, MAX_FIELD_NAME_BYTES);
        if (bytes > MAX_FIELD_NAME_BYTES) {
            return "field name " + quoted(name) + " is " + bytes + " bytes long; the limit is " + MAX_FIELD_NAME_BYTES;
        }
        return null;
    }

    /**
     * What keeps a value from being stored, or null: nesting deeper than {@code maxDepth} (see {@link
     * #MAX_DEPTH}; a value nested inside a document gets what is left of the document's depth), a number that is
     * not finite (NaN and infinities have no JSON form and no place in the order), a string or field name that
     * is not valid Unicode, a field name that is too long. MISSING inside arrays is a problem too; objects never
     * hold it.
     */
    public static @Nullable String valueProblem(Value v, int maxDepth) {
        return problem(v, maxDepth, 0);
    }

    private static @Nullable String problem(Value v, int maxDepth, int level) {
        if (v instanceof Value.Str s) {
            int at = loneSurrogateAt(s.value());
            return at < 0 ? null : "holds a string that is not valid Unicode (a lone surrogate at " + at + ")";
        }
        if (v instanceof Value.Dbl d) {
            return Double.isFinite(d.value()) ? null : "holds " + d + "; only finite numbers can be stored";
        }
        if (v instanceof Value.Missing) return "holds MISSING, which is not a value that can be stored";
        if (!(v instanceof Value.Arr) && !(v instanceof Value.Obj)) return null;
        if (level + 1 > maxDepth) {
            return "nests objects and arrays more than " + MAX_DEPTH + " levels deep (the limit of a document)";
        }
        if (v instanceof Value.Arr a) {
            for (Value item : a.items()) {
                String p = problem(item, maxDepth, level + 1);
                if (p != null) return p;
            }
            return null;
        }
        for (Map.Entry<String, Value> e : ((Value.Obj) v).fields().entrySet()) {
            String p = fieldNameProblem(e.getKey());
            if (p != null) return "has an invalid " + p;
            p = problem(e.getValue(), maxDepth, level + 1);
            if (p != null) return p;
        }
        return null;
    }

    /** The index of the first lone surrogate (a string with no UTF-8 form), or -1 for valid Unicode. */
    public static int loneSurrogateAt(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c & 0xF800) != 0xD800) continue; // not a surrogate (U+D800–U+DFFF): one test for almost every char
            if (Character.isHighSurrogate(c)) {
                if (i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) return i;
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    /** The UTF-8 length of {@code s}, or 0 when it is surely within {@code max} (a UTF-16 unit takes ≤ 3 bytes). */
    private static int utf8Length(String s, int max) {
        if (s.length() <= max / 3) return 0;
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** A name for a message: quoted, cut to 40 characters, lone surrogates and controls escaped. */
    private static String quoted(String name) {
        StringBuilder sb = new StringBuilder("'");
        int n = Math.min(name.length(), 40);
        for (int i = 0; i < n; i++) {
            char c = name.charAt(i);
            if (Character.isSurrogate(c) || Character.isISOControl(c)) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        if (n < name.length()) sb.append("…");
        return sb.append('\'').toString();
    }
}
