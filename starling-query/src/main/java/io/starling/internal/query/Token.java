package io.starling.internal.query;

/**
 * One lexical token. {@code text} is the decoded payload (the identifier, the unescaped string, the digits);
 * {@code start}/{@code end} are char offsets in the source, used to tell whether two tokens touch
 * ({@code :name} is a COLON touching a WORD).
 */
record Token(Type type, String text, int start, int end, int line, int column) {

    enum Type {
        /** An unquoted word: a keyword or an identifier, decided by the parser. */
        WORD,
        /** A backtick-quoted identifier; never a keyword. */
        QUOTED_IDENT,
        STRING,
        INTEGER,
        DECIMAL,
        /** Punctuation and operators; {@code text} is the symbol. */
        SYMBOL,
        EOF
    }

    boolean isSymbol(String s) {
        return type == Type.SYMBOL && text.equals(s);
    }

    /** A keyword test: an unquoted word equal to {@code kw}, ignoring case. */
    boolean isWord(String kw) {
        return type == Type.WORD && text.equalsIgnoreCase(kw);
    }

    /** At most 40 characters of a token's text for a message, then an ellipsis. */
    private static String abbreviated(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "…";
    }

    /** How the token reads in an error message (a long string or word is cut). */
    String describe() {
        switch (type) {
            case EOF:
                return "end of input";
            case STRING:
                return "string " + Keywords.abbreviatedString(text, 40);
            case QUOTED_IDENT:
                return "`" + abbreviated(text) + "`";
            default:
                return "'" + abbreviated(text) + "'";
        }
    }
}
