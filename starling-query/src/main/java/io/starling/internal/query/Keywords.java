package io.starling.internal.query;

import java.util.Locale;
import java.util.Set;

/**
 * The reserved words of DQL: they cannot be used as bare identifiers (quote them with backticks:
 * {@code `order`}). Other keywords ({@code DOCUMENTS}, {@code CONFLICT}, {@code INCREMENT}, {@code VALUED}, …) are
 * contextual and stay usable as field names. Function names are never reserved.
 */
final class Keywords {
    private Keywords() {}

    static final Set<String> RESERVED = Set.of(
            "ALL",
            "AND",
            "ANY",
            "APPLY",
            "ARRAY",
            "AS",
            "ASC",
            "BETWEEN",
            "BY",
            "CASE",
            "CREATE",
            "DELETE",
            "DESC",
            "DISTINCT",
            "DROP",
            "ELSE",
            "END",
            "EVERY",
            "EVICT",
            "EXPLAIN",
            "FALSE",
            "FOR",
            "FROM",
            "GROUP",
            "HAVING",
            "ILIKE",
            "IN",
            "INSERT",
            "INTO",
            "IS",
            "LIKE",
            "LIMIT",
            "MISSING",
            "NOT",
            "NULL",
            "OFFSET",
            "ON",
            "OR",
            "ORDER",
            "SATISFIES",
            "SELECT",
            "SET",
            "THEN",
            "TRUE",
            "UNSET",
            "UPDATE",
            "WHEN",
            "WHERE");

    static boolean isReserved(String word) {
        return RESERVED.contains(word.toUpperCase(Locale.ROOT));
    }

    /** True when {@code name} can be written without backticks. */
    static boolean isPlainIdentifier(String name) {
        if (name.isEmpty() || !Lexer.isIdentStart(name.charAt(0))) return false;
        for (int i = 1; i < name.length(); i++) {
            if (!Lexer.isIdentPart(name.charAt(i))) return false;
        }
        return !isReserved(name);
    }

    static void appendIdentifier(StringBuilder sb, String name) {
        if (isPlainIdentifier(name)) sb.append(name);
        else sb.append('`').append(name.replace("`", "``")).append('`');
    }

    static void appendString(StringBuilder sb, String s) {
        sb.append('\'');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\'':
                    sb.append("''");
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
        sb.append('\'');
    }
}
