package io.starling.internal.query;

import io.starling.internal.core.Value;
import java.util.Base64;
import java.util.Map;

/** Renders a value as JSON text, for {@code tostring()} of arrays and objects. MISSING renders as {@code null}. */
final class JsonText {
    private JsonText() {}

    static String write(Value v) {
        StringBuilder sb = new StringBuilder();
        write(sb, v);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Value v) {
        if (v.isAbsent()) sb.append("null");
        else if (v instanceof Value.Bool b) sb.append(b.value());
        else if (v.isNumber()) sb.append(TypeFunctions.numberText(v));
        else if (v instanceof Value.Str s) string(sb, s.value());
        else if (v instanceof Value.Arr a) {
            sb.append('[');
            for (int i = 0; i < a.size(); i++) {
                if (i > 0) sb.append(',');
                write(sb, a.items().get(i));
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
                write(sb, e.getValue());
            }
            sb.append('}');
        } else {
            string(sb, Base64.getEncoder().encodeToString(((Value.Bin) v).bytes()));
        }
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
