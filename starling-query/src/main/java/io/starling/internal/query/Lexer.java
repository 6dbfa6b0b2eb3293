package io.starling.internal.query;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns DQL text into tokens, eagerly. Skips whitespace, {@code -- line} and {@code /* block *}{@code /} comments.
 *
 * <p>Strings are {@code 'single'} or {@code "double"} quoted; inside, the quote is escaped by doubling it
 * ({@code 'it''s'}) or with a backslash. Backslash escapes follow JSON ({@code \n \t \r \b \f \\ \' \" \/} and backslash-u followed by four hex digits);
 * any other backslash pair is kept verbatim, so regular expressions such as {@code '\d+'} need no double escaping.
 * Backtick identifiers escape a backtick by doubling it. Numbers are integers ({@code 42}) or decimals
 * ({@code 4.2}, {@code 4e2}); a number glued to letters ({@code 1abc}) or a second fraction ({@code 1.2.3}) is a
 * syntax error. Every error carries the position where the offending token starts.
 */
final class Lexer {
    private final String src;
    private int pos;
    private int line = 1;
    private int lineStart;

    private Lexer(String src) {
        this.src = src;
    }

    static List<Token> tokenize(String src) {
        return new Lexer(src).run();
    }

    private List<Token> run() {
        List<Token> out = new ArrayList<>();
        while (true) {
            skipTrivia();
            if (pos >= src.length()) {
                out.add(new Token(Token.Type.EOF, "", pos, pos, line, col(pos)));
                return out;
            }
            out.add(next());
        }
    }

    private int col(int offset) {
        return offset - lineStart + 1;
    }

    private DqlException error(int offset, int errLine, int errLineStart, String msg) {
        return new DqlException(DqlException.Kind.SYNTAX, errLine, offset - errLineStart + 1, msg);
    }

    private void newline(int offsetOfNewline) {
        line++;
        lineStart = offsetOfNewline + 1;
    }

    private void skipTrivia() {
        while (pos < src.length()) {
            char c = src.charAt(pos);
            if (c == '\n') {
                newline(pos);
                pos++;
            } else if (Character.isWhitespace(c)) {
                pos++;
            } else if (c == '-' && peek(1) == '-') {
                while (pos < src.length() && src.charAt(pos) != '\n') pos++;
            } else if (c == '/' && peek(1) == '*') {
                int startLine = line, startLineStart = lineStart, start = pos;
                pos += 2;
                while (true) {
                    if (pos >= src.length()) {
                        throw error(start, startLine, startLineStart, "unterminated comment");
                    }
                    char d = src.charAt(pos);
                    if (d == '*' && peek(1) == '/') {
                        pos += 2;
                        break;
                    }
                    if (d == '\n') newline(pos);
                    pos++;
                }
            } else {
                return;
            }
        }
    }

    private char peek(int ahead) {
        int i = pos + ahead;
        return i < src.length() ? src.charAt(i) : '\0';
    }

    static boolean isIdentStart(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    }

    static boolean isIdentPart(char c) {
        return isIdentStart(c) || (c >= '0' && c <= '9');
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private Token next() {
        int start = pos;
        int startLine = line;
        int startCol = col(pos);
        char c = src.charAt(pos);
        if (isIdentStart(c)) {
            while (pos < src.length() && isIdentPart(src.charAt(pos))) pos++;
            return new Token(Token.Type.WORD, src.substring(start, pos), start, pos, startLine, startCol);
        }
        if (isDigit(c)) return number(start, startCol);
        if (c == '\'' || c == '"') return string(c, start, startCol);
        if (c == '`') return quotedIdent(start, startCol);
        String two = pos + 1 < src.length() ? src.substring(pos, pos + 2) : "";
        switch (two) {
            case "==":
            case "!=":
            case "<>":
            case "<=":
            case ">=":
            case "||":
                pos += 2;
                return new Token(Token.Type.SYMBOL, two, start, pos, startLine, startCol);
            default:
                break;
        }
        if ("=<>+-*/%()[]{},.:;".indexOf(c) >= 0) {
            pos++;
            return new Token(Token.Type.SYMBOL, String.valueOf(c), start, pos, startLine, startCol);
        }
        throw error(
                start,
                line,
                lineStart,
                "unexpected character '" + new String(Character.toChars(src.codePointAt(pos))) + "'");
    }

    private Token number(int start, int startCol) {
        boolean decimal = false;
        while (pos < src.length() && isDigit(src.charAt(pos))) pos++;
        if (pos < src.length() && src.charAt(pos) == '.' && isDigit(peek(1))) {
            decimal = true;
            pos++;
            while (pos < src.length() && isDigit(src.charAt(pos))) pos++;
        }
        if (pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
            int save = pos;
            pos++;
            if (pos < src.length() && (src.charAt(pos) == '+' || src.charAt(pos) == '-')) pos++;
            if (pos >= src.length() || !isDigit(src.charAt(pos))) {
                if (pos == save + 1) { // no sign: take the letters glued to the 'e' too ('1else')
                    while (pos < src.length() && isIdentPart(src.charAt(pos))) pos++;
                }
                throw error(start, line, lineStart, "malformed number '" + src.substring(start, pos) + "'");
            }
            while (pos < src.length() && isDigit(src.charAt(pos))) pos++;
            decimal = true;
        }
        boolean glued =
                pos < src.length() && (isIdentPart(src.charAt(pos)) || (src.charAt(pos) == '.' && isDigit(peek(1))));
        if (glued) {
            while (pos < src.length() && (isIdentPart(src.charAt(pos)) || src.charAt(pos) == '.')) pos++;
            throw error(start, line, lineStart, "malformed number '" + src.substring(start, pos) + "'");
        }
        return new Token(
                decimal ? Token.Type.DECIMAL : Token.Type.INTEGER,
                src.substring(start, pos),
                start,
                pos,
                line,
                startCol);
    }

    private Token string(char quote, int start, int startCol) {
        int startLine = line, startLineStart = lineStart;
        StringBuilder sb = new StringBuilder();
        pos++;
        while (true) {
            if (pos >= src.length()) throw error(start, startLine, startLineStart, "unterminated string");
            char c = src.charAt(pos);
            if (c == quote) {
                if (peek(1) == quote) {
                    sb.append(quote);
                    pos += 2;
                    continue;
                }
                pos++;
                return new Token(Token.Type.STRING, sb.toString(), start, pos, startLine, startCol);
            }
            if (c == '\\' && pos + 1 < src.length()) {
                char e = src.charAt(pos + 1);
                switch (e) {
                    case 'n':
                        sb.append('\n');
                        break;
                    case 't':
                        sb.append('\t');
                        break;
                    case 'r':
                        sb.append('\r');
                        break;
                    case 'b':
                        sb.append('\b');
                        break;
                    case 'f':
                        sb.append('\f');
                        break;
                    case '\\':
                    case '\'':
                    case '"':
                    case '/':
                        sb.append(e);
                        break;
                    case 'u': {
                        if (pos + 6 > src.length() || !isHex(src, pos + 2, 4)) {
                            throw error(pos, line, lineStart, "malformed \\u escape in string");
                        }
                        sb.append((char) Integer.parseInt(src.substring(pos + 2, pos + 6), 16));
                        pos += 6;
                        continue;
                    }
                    default:
                        sb.append(c).append(e); // kept verbatim: '\d' stays a regex escape
                        break;
                }
                if (e == '\n') newline(pos + 1);
                pos += 2;
                continue;
            }
            if (c == '\n') newline(pos);
            sb.append(c);
            pos++;
        }
    }

    private static boolean isHex(String s, int from, int n) {
        for (int i = from; i < from + n; i++) {
            if (Character.digit(s.charAt(i), 16) < 0) return false;
        }
        return true;
    }

    private Token quotedIdent(int start, int startCol) {
        int startLine = line, startLineStart = lineStart;
        StringBuilder sb = new StringBuilder();
        pos++;
        while (true) {
            if (pos >= src.length()) throw error(start, startLine, startLineStart, "unterminated quoted identifier");
            char c = src.charAt(pos);
            if (c == '`') {
                if (peek(1) == '`') {
                    sb.append('`');
                    pos += 2;
                    continue;
                }
                pos++;
                if (sb.length() == 0) throw error(start, startLine, startLineStart, "empty quoted identifier");
                return new Token(Token.Type.QUOTED_IDENT, sb.toString(), start, pos, startLine, startCol);
            }
            if (c == '\n') newline(pos);
            sb.append(c);
            pos++;
        }
    }
}
