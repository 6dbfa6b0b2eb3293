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

    /** Longer than any reserved word: such a word is never one (and is not upper-cased to find out). */
    private static final int LONGEST_RESERVED =
            RESERVED.stream().mapToInt(String::length).max().orElse(0);

    static boolean isReserved(String word) {
        return word.length() <= LONGEST_RESERVED && RESERVED.contains(word.toUpperCase(Locale.ROOT));
    }

    /**
     * {@code s} as a DQL string literal for a message, cut after {@code max} characters with an ellipsis: an error
     * about a megabyte-long string should not repeat it.
     */
    static String abbreviatedString(String s, int max) {
        StringBuilder sb = new StringBuilder();
        if (s.length() <= max) {
            appendString(sb, s);
        } else {
            int cut = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
            appendString(sb, s.substring(0, cut));
            sb.insert(sb.length() - 1, '…');
        }
        return sb.toString();
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
