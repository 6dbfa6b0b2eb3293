package io.starling.internal.query;

import io.starling.internal.core.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * String functions. Positions and lengths count Unicode code points and are 0-based (SQL++'s SUBSTR);
 * non-string arguments give NULL.
 */
final class StringFunctions {
    private StringFunctions() {}

    static void register(FunctionRegistry.Builder b) {
        b.fn(
                "lower",
                1,
                1,
                (env, a) ->
                        a[0] instanceof Value.Str s ? built(s.value().toLowerCase(Locale.ROOT), "lower") : Value.NULL);
        b.fn(
                "upper",
                1,
                1,
                (env, a) ->
                        a[0] instanceof Value.Str s ? built(s.value().toUpperCase(Locale.ROOT), "upper") : Value.NULL);
        b.fn(
                "char_length",
                1,
                1,
                (env, a) -> {
                    String s = str(a[0]);
                    return s == null ? Value.NULL : Value.of((long) s.codePointCount(0, s.length()));
                },
                "character_length",
                "length");
        b.fn("byte_length", 1, 1, (env, a) -> {
            String s = str(a[0]);
            return s == null ? Value.NULL : Value.of(utf8Length(s));
        });
        b.fn("contains", 2, 2, (env, a) -> test(a, 0));
        b.fn("starts_with", 2, 2, (env, a) -> test(a, 1));
        b.fn("ends_with", 2, 2, (env, a) -> test(a, 2));
        b.fn("substr", 2, 3, (env, a) -> substr(a), "substring");
        b.fn("concat", 1, -1, (env, a) -> {
            long length = 0;
            for (Value v : a) {
                if (!(v instanceof Value.Str s)) return Value.NULL;
                length += s.value().length();
            }
            ValueSize.check(length, "concat");
            StringBuilder sb = new StringBuilder((int) length);
            for (Value v : a) sb.append(((Value.Str) v).value());
            return Value.of(sb.toString());
        });
        b.fn("trim", 1, 2, (env, a) -> trim(a, true, true));
        b.fn("ltrim", 1, 2, (env, a) -> trim(a, true, false));
        b.fn("rtrim", 1, 2, (env, a) -> trim(a, false, true));
        b.fn("replace", 3, 4, (env, a) -> replace(a));
        b.fn("position", 2, 2, (env, a) -> {
            String s = str(a[0]), sub = str(a[1]);
            if (s == null || sub == null) return Value.NULL;
            int i = s.indexOf(sub);
            return Value.of(i < 0 ? -1L : (long) s.codePointCount(0, i));
        });
        b.fn("split", 1, 2, (env, a) -> split(a));
        b.fn("repeat", 2, 2, (env, a) -> {
            String s = str(a[0]);
            Long n = NumericFunctions.integral(a[1]);
            if (s == null || n == null || n < 0) return Value.NULL;
            ValueSize.check(ValueSize.times(s.length(), n), "repeat");
            return Value.of(s.repeat(n.intValue()));
        });
        b.fn("reverse", 1, 1, (env, a) -> {
            String s = str(a[0]);
            return s == null
                    ? Value.NULL
                    : Value.of(new StringBuilder(s).reverse().toString());
        });
        b.bound("regexp_like", 2, -1, true, StringFunctions::bindRegexpLike);
    }

    /** A string a function built, refused when larger than {@link ValueSize#MAX}. */
    private static Value built(String s, String function) {
        ValueSize.check(s.length(), function);
        return Value.of(s);
    }

    static @Nullable String str(Value v) {
        return v instanceof Value.Str s ? s.value() : null;
    }

    private static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) n += 1;
            else if (c < 0x800) n += 2;
            else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else n += 3;
        }
        return n;
    }

    private static Value test(Value[] a, int which) {
        String s = str(a[0]), t = str(a[1]);
        if (s == null || t == null) return Value.NULL;
        return Comparisons.bool(which == 0 ? s.contains(t) : which == 1 ? s.startsWith(t) : s.endsWith(t));
    }

    private static Value substr(Value[] a) {
        String s = str(a[0]);
        Long pos = NumericFunctions.integral(a[1]);
        Long len = a.length > 2 ? NumericFunctions.integral(a[2]) : null;
        if (s == null || pos == null || (a.length > 2 && (len == null || len < 0))) return Value.NULL;
        int cps = s.codePointCount(0, s.length());
        long start = pos < 0 ? cps + pos : pos;
        if (start < 0) start = 0;
        if (start > cps) return Value.NULL;
        long end = len == null ? cps : Math.min(cps, start + len);
        int from = s.offsetByCodePoints(0, (int) start);
        int to = s.offsetByCodePoints(from, (int) (end - start));
        return Value.of(s.substring(from, to));
    }

    private static Value trim(Value[] a, boolean left, boolean right) {
        String s = str(a[0]);
        String chars = a.length > 1 ? str(a[1]) : null;
        if (s == null || (a.length > 1 && chars == null)) return Value.NULL;
        int from = 0, to = s.length();
        while (left && from < to && trimmed(s.charAt(from), chars)) from++;
        while (right && to > from && trimmed(s.charAt(to - 1), chars)) to--;
        return Value.of(s.substring(from, to));
    }

    private static boolean trimmed(char c, @Nullable String chars) {
        return chars == null ? Character.isWhitespace(c) : chars.indexOf(c) >= 0;
    }

    private static Value replace(Value[] a) {
        String s = str(a[0]), from = str(a[1]), to = str(a[2]);
        Long limit = a.length > 3 ? NumericFunctions.integral(a[3]) : null;
        if (s == null || from == null || to == null || (a.length > 3 && limit == null)) return Value.NULL;
        if (from.isEmpty()) return a[0];
        long max = limit == null || limit < 0 ? Long.MAX_VALUE : limit;
        StringBuilder sb = new StringBuilder();
        int i = 0;
        long done = 0;
        while (done < max) {
            int j = s.indexOf(from, i);
            if (j < 0) break;
            ValueSize.check((long) sb.length() + (j - i) + to.length(), "replace");
            sb.append(s, i, j).append(to);
            i = j + from.length();
            done++;
        }
        sb.append(s, i, s.length());
        return Value.of(sb.toString());
    }

    private static Value split(Value[] a) {
        String s = str(a[0]);
        String sep = a.length > 1 ? str(a[1]) : null;
        if (s == null || (a.length > 1 && (sep == null || sep.isEmpty()))) return Value.NULL;
        List<Value> parts = new ArrayList<>();
        if (sep == null) {
            String t = s.trim();
            long size = 1;
            for (int i = 0; i < t.length(); ) { // counted first, as below
                int end = i;
                while (end < t.length() && !isSpace(t.charAt(end))) end++;
                if (end > i) size += 1 + (end - i);
                i = end + 1;
            }
            ValueSize.check(size, "split");
            for (int i = 0; i < t.length(); ) {
                int end = i;
                while (end < t.length() && !isSpace(t.charAt(end))) end++;
                if (end > i) parts.add(Value.of(t.substring(i, end)));
                i = end + 1;
            }
        } else {
            long size = 1; // counted first: many empty parts cost memory although the text is short
            int i = 0;
            while (true) {
                int j = s.indexOf(sep, i);
                size += 1 + Math.max(1, (j < 0 ? s.length() : j) - i);
                if (j < 0) break;
                i = j + sep.length();
            }
            ValueSize.check(size, "split");
            i = 0;
            while (true) {
                int j = s.indexOf(sep, i);
                if (j < 0) break;
                parts.add(Value.of(s.substring(i, j)));
                i = j + sep.length();
            }
            parts.add(Value.of(s.substring(i)));
        }
        return new Value.Arr(parts);
    }

    /** The white space {@code split} without a separator splits on (the regex class {@code \\s}). */
    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
    }

    // ---------------------------------------------------------------------------------------------- regexp_like

    /** A compiled regular expression for one pattern text and flag set; the last one is cached per call site. */
    private record Compiled(
            String pattern, String flags, @Nullable Pattern regex) {}

    private static FunctionDef.Impl bindRegexpLike(List<Node> args) {
        boolean constant = args.subList(1, args.size()).stream().allMatch(n -> n instanceof Node.Literal);
        if (constant) {
            String pattern = literalString(args.get(1));
            StringBuilder flags = new StringBuilder();
            for (Node n : args.subList(2, args.size())) flags.append(literalString(n));
            if (pattern == null || args.subList(2, args.size()).stream().anyMatch(n -> literalString(n) == null)) {
                throw new IllegalArgumentException("regexp_like needs string pattern and flags");
            }
            Pattern regex = Objects.requireNonNull(compile(pattern, flags.toString(), true)); // strict: throws instead
            return (env, a) -> a[0] instanceof Value.Str s ? find(regex, s.value(), env) : Value.NULL;
        }
        return new FunctionDef.Impl() {
            private volatile @Nullable Compiled last;

            @Override
            public Value apply(Env env, Value[] a) {
                String s = str(a[0]), pattern = str(a[1]);
                StringBuilder flags = new StringBuilder();
                for (int i = 2; i < a.length; i++) {
                    if (str(a[i]) == null) return Value.NULL;
                    flags.append(str(a[i]));
                }
                if (s == null || pattern == null) return Value.NULL;
                Compiled c = last;
                if (c == null || !c.pattern.equals(pattern) || !c.flags.equals(flags.toString())) {
                    c = new Compiled(pattern, flags.toString(), compile(pattern, flags.toString(), false));
                    last = c;
                }
                return c.regex == null ? Value.NULL : find(c.regex, s, env);
            }
        };
    }

    /**
     * Whether the regex matches somewhere in {@code s}. Backtracking can take exponential time, so the matcher reads
     * the text through {@link Interruptible#chars}, which stops it when the statement must stop; its recursion can
     * also outgrow the thread's stack on long inputs, which is reported as an error of the statement.
     */
    private static Value find(Pattern regex, String s, Env env) {
        try {
            return Comparisons.bool(
                    regex.matcher(Interruptible.chars(s, env.cancellation)).find());
        } catch (StackOverflowError tooDeep) {
            throw new DqlException(
                    DqlException.Kind.INVALID,
                    "regexp_like: the regular expression " + Keywords.abbreviatedString(regex.pattern(), 40)
                            + " recursed too deeply on a string of " + s.length()
                            + " characters; simplify the pattern (fewer nested groups or alternations)");
        }
    }

    private static @Nullable String literalString(Node n) {
        return n instanceof Node.Literal l && l.value() instanceof Value.Str s ? s.value() : null;
    }

    /** Compiles; on a bad pattern or flag throws (strict, at parse time) or returns null (at run time). */
    private static @Nullable Pattern compile(String pattern, String flags, boolean strict) {
        int f = 0;
        for (int i = 0; i < flags.length(); i++) {
            char c = flags.charAt(i);
            switch (c) {
                case 'i':
                    f |= Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE;
                    break;
                case 'c':
                    f &= ~(Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
                    break;
                case 'm':
                    f |= Pattern.MULTILINE;
                    break;
                case 's':
                    f |= Pattern.DOTALL;
                    break;
                case 'x':
                    f |= Pattern.COMMENTS;
                    break;
                default:
                    if (strict)
                        throw new IllegalArgumentException(
                                "unknown regexp_like flag '" + c + "' (expected i, c, m, s or x)");
                    return null;
            }
        }
        try {
            return Pattern.compile(pattern, f);
        } catch (PatternSyntaxException e) {
            if (strict) throw new IllegalArgumentException("invalid regular expression: " + e.getDescription());
            return null;
        }
    }
}
