package io.starling.internal.query;

import org.jspecify.annotations.Nullable;

/**
 * A compiled LIKE / ILIKE pattern: {@code %} matches any sequence, {@code _} exactly one character, and the
 * escape character (backslash unless {@code ESCAPE} names another) makes the next character literal.
 * Plain shapes ({@code 'abc'}, {@code 'abc%'}, {@code '%abc'}, {@code '%abc%'}) compile to string tests; other
 * patterns run a wildcard matcher that backtracks only to the last {@code %} (at most length × pattern-length steps,
 * never exponential) and allocates nothing. Immutable.
 */
final class LikePattern {
    private static final int ANY_ONE = -1;
    private static final int ANY_SEQ = -2;

    private enum Shape {
        EXACT,
        PREFIX,
        SUFFIX,
        CONTAINS,
        GENERAL
    }

    private final Shape shape;
    private final String literal;
    private final int[] program;
    private final boolean ignoreCase;

    private LikePattern(Shape shape, String literal, int[] program, boolean ignoreCase) {
        this.shape = shape;
        this.literal = literal;
        this.program = program;
        this.ignoreCase = ignoreCase;
    }

    /** Compiles a pattern, or returns null when it is malformed (an escape character at the very end). */
    static @Nullable LikePattern compile(String pattern, char escape, boolean ignoreCase) {
        int[] prog = new int[pattern.length()];
        int n = 0;
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == escape) {
                if (++i >= pattern.length()) return null;
                prog[n++] = fold(pattern.charAt(i), ignoreCase);
            } else if (c == '%') {
                if (n == 0 || prog[n - 1] != ANY_SEQ) prog[n++] = ANY_SEQ;
            } else if (c == '_') {
                prog[n++] = ANY_ONE;
            } else {
                prog[n++] = fold(c, ignoreCase);
            }
        }
        int[] program = java.util.Arrays.copyOf(prog, n);
        int wildcardsInside = 0, anyOne = 0;
        for (int i = 0; i < n; i++) {
            if (program[i] == ANY_ONE) anyOne++;
            if (program[i] == ANY_SEQ && i != 0 && i != n - 1) wildcardsInside++;
        }
        if (anyOne == 0 && wildcardsInside == 0) {
            boolean lead = n > 0 && program[0] == ANY_SEQ, trail = n > 1 && program[n - 1] == ANY_SEQ;
            StringBuilder lit = new StringBuilder();
            for (int x : program) if (x >= 0) lit.append((char) x);
            Shape s = lead && trail ? Shape.CONTAINS : lead ? Shape.SUFFIX : trail ? Shape.PREFIX : Shape.EXACT;
            if (n == 1 && lead) s = Shape.CONTAINS; // '%' alone matches everything
            return new LikePattern(s, lit.toString(), program, ignoreCase);
        }
        return new LikePattern(Shape.GENERAL, "", program, ignoreCase);
    }

    /** The literal text a pattern starts with, and whether that is the whole pattern (no wildcard at all). */
    record Prefix(String text, boolean exact) {}

    /**
     * The literal prefix of a LIKE pattern: the characters before its first {@code %} or {@code _}, escapes
     * resolved. Null when the pattern is malformed (ends with its escape character). Every string the pattern
     * matches starts with the prefix; an exact pattern matches the prefix only.
     */
    static @Nullable Prefix literalPrefix(String pattern, char escape) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == escape) {
                if (++i >= pattern.length()) return null;
                sb.append(pattern.charAt(i));
            } else if (c == '%' || c == '_') {
                return new Prefix(sb.toString(), false);
            } else {
                sb.append(c);
            }
        }
        return new Prefix(sb.toString(), true);
    }

    private static int fold(char c, boolean ignoreCase) {
        return ignoreCase ? Character.toLowerCase(Character.toUpperCase(c)) : c;
    }

    boolean matches(String s) {
        return matches(s, Cancellation.NONE);
    }

    /**
     * Whether the whole of {@code s} matches. The general matcher backtracks to the last {@code %} and so may take
     * up to length × pattern-length steps; it polls {@code cancellation} every {@link Interruptible#EVERY} steps.
     */
    boolean matches(String s, Cancellation cancellation) {
        switch (shape) {
            case EXACT:
                return ignoreCase ? s.equalsIgnoreCase(literal) : s.equals(literal);
            case PREFIX:
                return s.regionMatches(ignoreCase, 0, literal, 0, literal.length());
            case SUFFIX:
                return s.length() >= literal.length()
                        && s.regionMatches(ignoreCase, s.length() - literal.length(), literal, 0, literal.length());
            case CONTAINS:
                if (!ignoreCase) return s.contains(literal);
                for (int i = 0; i + literal.length() <= s.length(); i++) {
                    if ((i & (Interruptible.EVERY - 1)) == Interruptible.EVERY - 1) cancellation.check();
                    if (s.regionMatches(true, i, literal, 0, literal.length())) return true;
                }
                return false;
            default:
                return general(s, cancellation);
        }
    }

    private boolean general(String str, Cancellation cancellation) {
        int[] pat = program;
        int n = str.length(), m = pat.length;
        int s = 0, p = 0, starP = -1, starS = -1, steps = 0;
        while (s < n) {
            if ((++steps & (Interruptible.EVERY - 1)) == 0) cancellation.check();
            if (p < m && pat[p] == ANY_ONE) {
                s += charCount(str, s);
                p++;
            } else if (p < m && pat[p] == ANY_SEQ) {
                starP = p++;
                starS = s;
            } else if (p < m && pat[p] >= 0 && pat[p] == fold(str.charAt(s), ignoreCase)) {
                s++;
                p++;
            } else if (starP >= 0) {
                p = starP + 1;
                starS += charCount(str, starS);
                s = starS;
            } else {
                return false;
            }
        }
        while (p < m && pat[p] == ANY_SEQ) p++;
        return p == m;
    }

    private static int charCount(String s, int i) {
        return Character.isHighSurrogate(s.charAt(i)) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
                ? 2
                : 1;
    }
}
