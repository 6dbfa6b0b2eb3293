package io.starling.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The columns a SELECT asks for, read from its text: for each projection, in order, the name its values carry in
 * the result items and the header a table shows for it. A result item is a map that leaves out MISSING values, so
 * the items alone cannot say the projection's order; and an expression without an alias is named {@code ($1)},
 * {@code ($2)}, … in the items (as in Ditto's DQL), which tells a reader nothing — the table shows its source text
 * instead, as other SQL shells do.
 *
 * <p>The names follow the query language's rules: an alias ({@code expr AS name} or {@code expr name}) names its
 * column; a path or member access ({@code a.b.c}, {@code f(x).name}) is named after its last field; anything else is
 * {@code ($n)}, counting the unnamed ones from 1. This is a lexical reading, not a parse: the caller checks the names
 * against the items and falls back to their keys when they disagree. Stateless and thread-safe.
 */
final class ResultColumns {
    private ResultColumns() {}

    /** One column: the key in the result items, and the header to show. */
    record Column(String name, String header) {}

    /** The reserved words of DQL (they cannot be aliases; the query language's list). */
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

    /** Reserved words that end an expression, so that an identifier after them is an alias. */
    private static final Set<String> ENDS_EXPRESSION = Set.of("END", "NULL", "MISSING", "TRUE", "FALSE");

    enum Kind {
        WORD,
        QUOTED, // `backtick identifier`
        STRING,
        NUMBER,
        ARG, // :name
        SYMBOL
    }

    record Token(Kind kind, String text, int start, int end) {
        boolean is(String symbol) {
            return kind == Kind.SYMBOL && text.equals(symbol);
        }

        boolean isWord(String word) {
            return kind == Kind.WORD && text.equalsIgnoreCase(word);
        }

        boolean reserved() {
            return kind == Kind.WORD && RESERVED.contains(text.toUpperCase(Locale.ROOT));
        }

        /** An identifier: a backtick name or a word that is not reserved. */
        boolean identifier() {
            return kind == Kind.QUOTED || (kind == Kind.WORD && !reserved());
        }

        /** The name an identifier stands for. */
        String name() {
            return kind == Kind.QUOTED ? text.substring(1, text.length() - 1).replace("``", "`") : text;
        }
    }

    /**
     * The projection's columns of a {@code SELECT} statement, in order; empty for {@code SELECT *}, for any other
     * statement, and for text this reading cannot follow.
     */
    static List<Column> of(String statement) {
        List<Token> tokens = tokens(statement);
        int i = 0;
        if (i >= tokens.size() || !tokens.get(i).isWord("SELECT")) return List.of();
        i++;
        if (i < tokens.size() && tokens.get(i).isWord("DISTINCT")) i++;
        if (i >= tokens.size() || tokens.get(i).is("*")) return List.of();
        List<List<Token>> projections = new ArrayList<>();
        List<Token> current = new ArrayList<>();
        int depth = 0;
        for (; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            if (depth == 0 && t.isWord("FROM")) break;
            if (t.is("(") || t.is("[") || t.is("{")) depth++;
            else if (t.is(")") || t.is("]") || t.is("}")) depth--;
            if (depth == 0 && t.is(",")) {
                projections.add(current);
                current = new ArrayList<>();
            } else {
                current.add(t);
            }
        }
        if (i >= tokens.size() || depth != 0) return List.of(); // no FROM at the top level: not a SELECT we can read
        projections.add(current);

        List<Column> columns = new ArrayList<>();
        int unnamed = 0;
        for (List<Token> p : projections) {
            if (p.isEmpty()) return List.of();
            int n = p.size();
            Token last = p.get(n - 1);
            if (n >= 3 && last.identifier() && p.get(n - 2).isWord("AS")) {
                columns.add(new Column(last.name(), last.name()));
                continue;
            }
            if (n >= 2 && last.identifier() && endsExpression(p.get(n - 2))) {
                columns.add(new Column(last.name(), last.name()));
                continue;
            }
            String derived = derivedName(p, 0, n);
            if (derived != null) {
                columns.add(new Column(derived, derived));
            } else {
                String source = statement.substring(p.get(0).start(), last.end());
                columns.add(new Column("($" + (++unnamed) + ")", source.replaceAll("\\s+", " ")));
            }
        }
        return List.copyOf(columns);
    }

    private static boolean endsExpression(Token t) {
        return switch (t.kind()) {
            case QUOTED, STRING, NUMBER, ARG -> true;
            case WORD -> !t.reserved() || ENDS_EXPRESSION.contains(t.text().toUpperCase(Locale.ROOT));
            case SYMBOL -> t.is(")") || t.is("]") || t.is("}");
        };
    }

    /**
     * The name of an expression without an alias: its last field when it is a path or a member access (a primary
     * followed only by {@code .name} and {@code [index]} steps), the name inside redundant parentheses; else null.
     */
    private static @Nullable String derivedName(List<Token> p, int from, int to) {
        if (to - from >= 2 && p.get(from).is("(") && closing(p, from) == to - 1)
            return derivedName(p, from + 1, to - 1);
        int i = from;
        Token first = p.get(i);
        String name = null;
        if (first.identifier()) {
            name = first.name();
            i++;
            if (i < to && p.get(i).is("(")) { // a function call
                i = closing(p, i) + 1;
                name = null;
            }
        } else if (first.kind() == Kind.ARG) {
            i++;
        } else if (first.is("(") || first.is("{") || first.is("[")) {
            i = closing(p, i) + 1;
        } else {
            return null;
        }
        while (i < to) {
            Token t = p.get(i);
            if (t.is(".")
                    && i + 1 < to
                    && (p.get(i + 1).identifier() || p.get(i + 1).kind() == Kind.WORD)) {
                name = p.get(i + 1).name();
                i += 2;
            } else if (t.is("[")) {
                i = closing(p, i) + 1;
                name = null;
            } else {
                return null;
            }
        }
        return i == to ? name : null;
    }

    /** The index of the bracket that closes the one at {@code open}, or the end when it is not closed. */
    private static int closing(List<Token> p, int open) {
        int depth = 0;
        for (int i = open; i < p.size(); i++) {
            Token t = p.get(i);
            if (t.is("(") || t.is("[") || t.is("{")) depth++;
            else if ((t.is(")") || t.is("]") || t.is("}")) && --depth == 0) return i;
        }
        return p.size();
    }

    /**
     * The tokens of DQL text, comments and white space left out, by the query language's lexical rules (see {@link
     * StatementSplitter}). Never fails: an unterminated string or comment ends the tokens.
     */
    static List<Token> tokens(String s) {
        List<Token> out = new ArrayList<>();
        int n = s.length();
        int i = 0;
        while (i < n) {
            char c = s.charAt(i);
            char next = i + 1 < n ? s.charAt(i + 1) : '\0';
            int start = i;
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '-' && next == '-') {
                while (i < n && s.charAt(i) != '\n') i++;
            } else if (c == '/' && next == '*') {
                int end = s.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
            } else if (isWordStart(c)) {
                while (i < n && isWordPart(s.charAt(i))) i++;
                out.add(new Token(Kind.WORD, s.substring(start, i), start, i));
            } else if (c >= '0' && c <= '9') {
                while (i < n && (isWordPart(s.charAt(i)) || s.charAt(i) == '.')) i++;
                out.add(new Token(Kind.NUMBER, s.substring(start, i), start, i));
            } else if (c == '\'' || c == '"') {
                i++;
                while (i < n) {
                    char d = s.charAt(i);
                    if (d == '\\') {
                        i += 2;
                    } else if (d == c) {
                        if (i + 1 < n && s.charAt(i + 1) == c) i += 2;
                        else break;
                    } else {
                        i++;
                    }
                }
                if (i >= n) return out;
                i++;
                out.add(new Token(Kind.STRING, s.substring(start, i), start, i));
            } else if (c == '`') {
                i++;
                while (i < n) {
                    if (s.charAt(i) == '`') {
                        if (i + 1 < n && s.charAt(i + 1) == '`') i += 2;
                        else break;
                    } else {
                        i++;
                    }
                }
                if (i >= n) return out;
                i++;
                out.add(new Token(Kind.QUOTED, s.substring(start, i), start, i));
            } else if (c == ':' && isWordStart(next)) {
                i++;
                while (i < n && isWordPart(s.charAt(i))) i++;
                out.add(new Token(Kind.ARG, s.substring(start, i), start, i));
            } else {
                String two = i + 1 < n ? s.substring(i, i + 2) : "";
                int len = switch (two) {
                    case "==", "!=", "<>", "<=", ">=", "||" -> 2;
                    default -> 1;
                };
                i += len;
                out.add(new Token(Kind.SYMBOL, s.substring(start, i), start, i));
            }
        }
        return out;
    }

    private static boolean isWordStart(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    }

    private static boolean isWordPart(char c) {
        return isWordStart(c) || (c >= '0' && c <= '9');
    }
}
