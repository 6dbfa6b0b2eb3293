package io.starling.internal.query;

import io.starling.internal.core.Value;
import java.util.Base64;
import java.util.Map;

/** Renders a value as JSON text, for {@code tostring()} of arrays and objects. MISSING renders as {@code null}. */
final class JsonText {
    private JsonText() {}

    /** The whole JSON text of a value (EXPLAIN plans, tests). */
    static String write(Value v) {
        StringBuilder sb = new StringBuilder();
        write(sb, v, Long.MAX_VALUE);
        return sb.toString();
    }

    /**
     * The JSON text of a value built by {@code what} (a conversion to string).
     *
     * @throws DqlException INVALID when the text would be longer than {@link ValueSize#MAX} characters
     */
    static String write(Value v, String what) {
        StringBuilder sb = new StringBuilder();
        if (!write(sb, v, ValueSize.MAX)) throw ValueSize.tooLarge(sb.length(), what);
        return sb.toString();
    }

    /** The JSON text of a value for a message: at most about {@code max} characters, then an ellipsis. */
    static String abbreviated(Value v, int max) {
        StringBuilder sb = new StringBuilder();
        if (!write(sb, v, max)) {
            sb.setLength(Math.min(sb.length(), max));
            sb.append('…');
        }
        return sb.toString();
    }

    /** Appends the text; false (with the text cut anywhere past {@code limit}) once it is longer than that. */
    private static boolean write(StringBuilder sb, Value v, long limit) {
        if (v.isAbsent()) sb.append("null");
        else if (v instanceof Value.Bool b) sb.append(b.value());
        else if (v.isNumber()) sb.append(TypeFunctions.numberText(v));
        else if (v instanceof Value.Str s) string(sb, s.value());
        else if (v instanceof Value.Arr a) {
            sb.append('[');
            for (int i = 0; i < a.size(); i++) {
                if (i > 0) sb.append(',');
                if (!write(sb, a.items().get(i), limit)) return false;
            }
            sb.append(']');
        } else if (v instanceof Value.Obj o) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<String, Value> e : o.fields().entrySet()) {
                if (!first) sb.append(',');
                first = false;
                string(sb, e.getKey());
                sb.append(':');
                if (!write(sb, e.getValue(), limit)) return false;
            }
            sb.append('}');
        } else {
            string(sb, Base64.getEncoder().encodeToString(((Value.Bin) v).bytes()));
        }
        return sb.length() <= limit;
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    sb.append("\\\"");
                    break;
                case '\\':
                    sb.append("\\\\");
                    break;
                case '\n':
                    sb.append("\\n");
                    break;
                case '\r':
                    sb.append("\\r");
                    break;
                case '\t':
                    sb.append("\\t");
                    break;
                default:
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
            }
        }
        sb.append('"');
    }
}
