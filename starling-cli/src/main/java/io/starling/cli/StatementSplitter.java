package io.starling.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Cuts shell input into statements at each {@code ;} that is real DQL punctuation: one inside a string literal,
 * a backtick identifier or a comment does not count. It follows the lexing rules of the query language (see
 * {@code io.starling.internal.query.Lexer}) without parsing anything:
 *
 * <ul>
 *   <li>strings are {@code 'single'} or {@code "double"} quoted; the quote is escaped by doubling it or with a
 *       backslash, and a backslash always takes the next character with it;
 *   <li>backtick identifiers escape a backtick by doubling it; backslashes mean nothing there;
 *   <li>{@code --} starts a comment up to the end of the line, {@code /*} one up to the next <code>*&#47;</code>
 *       (comments do not nest).
 * </ul>
 *
 * <p>The splitter never rejects input: an unterminated string or comment just leaves the input incomplete, and if
 * it is run anyway the engine reports the error with its position. Stateless and thread-safe.
 */
final class StatementSplitter {
    private StatementSplitter() {}

    /**
     * The result of {@link #split}.
     *
     * @param statements the complete statements in order, each without its {@code ;} and stripped of surrounding
     *     white space; statements that hold nothing but white space and comments are left out
     * @param remainder the text after the last {@code ;} when it holds more than white space and complete comments
     *     (the start of the next statement, or an open string or comment); empty otherwise
     */
    record Split(List<String> statements, String remainder) {
        /** True when the input ends inside a statement, so a shell should read more lines. */
        boolean incomplete() {
            return !remainder.isEmpty();
        }
    }

    private enum State {
        CODE,
        STRING,
        BACKTICK,
        LINE_COMMENT,
        BLOCK_COMMENT
    }

    static Split split(String text) {
        List<String> statements = new ArrayList<>();
        State state = State.CODE;
        char quote = 0;
        int start = 0;
        boolean significant = false; // anything but white space and comments since `start`
        int n = text.length();
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            char next = i + 1 < n ? text.charAt(i + 1) : '\0';
            switch (state) {
                case CODE:
                    if (c == '\'' || c == '"') {
                        state = State.STRING;
                        quote = c;
                        significant = true;
                    } else if (c == '`') {
                        state = State.BACKTICK;
                        significant = true;
                    } else if (c == '-' && next == '-') {
                        state = State.LINE_COMMENT;
                        i++;
                    } else if (c == '/' && next == '*') {
                        state = State.BLOCK_COMMENT;
                        i++;
                    } else if (c == ';') {
                        if (significant) statements.add(text.substring(start, i).strip());
                        start = i + 1;
                        significant = false;
                    } else if (!Character.isWhitespace(c)) {
                        significant = true;
                    }
                    break;
                case STRING:
                    if (c == '\\') {
                        i++; // the escaped character, whatever it is
                    } else if (c == quote) {
                        if (next == quote) i++;
                        else state = State.CODE;
                    }
                    break;
                case BACKTICK:
                    if (c == '`') {
                        if (next == '`') i++;
                        else state = State.CODE;
                    }
                    break;
                case LINE_COMMENT:
                    if (c == '\n') state = State.CODE;
                    break;
                case BLOCK_COMMENT:
                    if (c == '*' && next == '/') {
                        state = State.CODE;
                        i++;
                    }
                    break;
                default:
                    throw new AssertionError(state);
            }
            i++;
        }
        boolean open = state == State.STRING || state == State.BACKTICK || state == State.BLOCK_COMMENT;
        String remainder = significant || open ? text.substring(start).strip() : "";
        return new Split(List.copyOf(statements), remainder);
    }

    /**
     * The first word of a statement in upper case ({@code SELECT}, {@code INSERT}, …), skipping leading white space
     * and comments; empty if the statement does not start with a word.
     */
    static String firstKeyword(String statement) {
        int n = statement.length();
        int i = 0;
        while (i < n) {
            char c = statement.charAt(i);
            char next = i + 1 < n ? statement.charAt(i + 1) : '\0';
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '-' && next == '-') {
                while (i < n && statement.charAt(i) != '\n') i++;
            } else if (c == '/' && next == '*') {
                int end = statement.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
            } else {
                break;
            }
        }
        int start = i;
        while (i < n && isWordChar(statement.charAt(i))) i++;
        return statement.substring(start, i).toUpperCase(Locale.ROOT);
    }

    private static boolean isWordChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    }
}
