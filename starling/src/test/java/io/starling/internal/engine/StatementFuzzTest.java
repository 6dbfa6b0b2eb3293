package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.ErrorCode;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.internal.storage.InMemoryStorage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Hostile statements: every statement of the golden DQL scripts, mutated at random (characters and tokens deleted,
 * inserted, duplicated and swapped, numbers made huge, lone surrogates and control characters, nesting multiplied)
 * and run against a store holding data. Whatever the text, the answer is a result or a {@link StarlingException}
 * whose code is not {@code internal} — never another exception, a stack overflow or a hang — and afterwards every
 * stored document still decodes and syncs to another peer byte for byte. The seed is jqwik's sample.
 */
class StatementFuzzTest {
    private static final List<String> CORPUS = corpus();
    private static final String[] INSERTS = {
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ",",
        ".",
        ":",
        ";",
        "'",
        "`",
        "\"",
        "*",
        "-",
        "+",
        "/",
        "%",
        "=",
        "<",
        ">",
        "!",
        "|",
        " ",
        "\n",
        "0",
        "9",
        "1e309",
        "99999999999999999999",
        "-9223372036854775808",
        "NULL",
        "MISSING",
        "AND",
        "OR",
        "NOT",
        "SELECT",
        "FROM",
        "WHERE",
        "SET",
        "UNSET",
        "APPLY",
        "INCREMENT BY",
        "DOCUMENTS",
        "ON ID CONFLICT",
        "ANY",
        "END",
        "CASE",
        "WHEN",
        "\uD800",
        "\u0000",
        "\u001f",
        "😀",
        ":arg",
        ":missing",
        "a.b.c",
        "[0]",
        "[-1]",
        "repeat('x', 100000)",
        "regexp_like('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '^(a+)+$')",
        "system:indexes"
    };

    private static final Map<String, java.util.concurrent.atomic.AtomicInteger> OUTCOMES =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** The mutants must reach the executor, not only the parser, or the property proves little. */
    @net.jqwik.api.lifecycle.AfterContainer
    static void mutantsRanAsWellAsFailedToParse() {
        System.out.println("StatementFuzzTest outcomes: " + new java.util.TreeMap<>(OUTCOMES));
        assertThat(OUTCOMES.getOrDefault("ok", new java.util.concurrent.atomic.AtomicInteger())
                        .get())
                .as("statements that ran")
                .isGreaterThan(100);
        assertThat(OUTCOMES.keySet()).contains("query/syntax-error", "query/invalid");
    }

    private static void count(String outcome) {
        OUTCOMES.computeIfAbsent(outcome, k -> new java.util.concurrent.atomic.AtomicInteger())
                .incrementAndGet();
    }

    @Property(tries = 120)
    void anyTextIsAResultOrAUserFacingErrorAndTheStoreStaysReadable(@ForAll long seed) {
        Random r = new Random(seed);
        DefaultStarling a = open(), b = open();
        try {
            b.sync().registerSubscription("SELECT * FROM cars", Map.of());
            b.sync().registerSubscription("SELECT * FROM c", Map.of());
            a.store()
                    .execute("INSERT INTO cars DOCUMENTS ({'_id': 'c1', 'make': 'Ford', 'year': 2019, 'km': 5}),"
                            + " ({'_id': 'c2', 'make': 'Fiat', 'tags': ['a'], 'o': {'p': 1}})");
            a.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'a': 1, 's': 'x'})");
            for (int i = 0; i < 25; i++) {
                String statement = mutate(CORPUS.get(r.nextInt(CORPUS.size())), r);
                try {
                    a.store().execute(statement, Map.of("arg", r.nextBoolean() ? 1 : Map.of("k", List.of(1, "x"))));
                    count("ok");
                } catch (StarlingException e) {
                    count(e.errorCode().code());
                    assertThat(e.errorCode())
                            .as("seed %s: %s gave %s", seed, printable(statement), e)
                            .isNotEqualTo(ErrorCode.INTERNAL);
                } catch (RuntimeException | StackOverflowError e) {
                    throw new AssertionError("seed " + seed + ": " + printable(statement) + " threw " + e, e);
                }
            }
            // everything stored still decodes (readers would skip damaged rows: count them) and syncs
            assertThat(damaged(a)).as("seed %s: damaged rows", seed).isZero();
            SyncTest.syncsByteForByte(a, b, "cars", "c");
        } finally {
            a.close();
            b.close();
        }
    }

    private static DefaultStarling open() {
        return DefaultStarling.open(
                StarlingConfig.builder()
                        .appId("fuzz")
                        .statementTimeout(Duration.ofSeconds(2)) // a runaway mutant is stopped, not waited for
                        .build(),
                Path.of("memory"),
                new InMemoryStorage(),
                Clock.systemUTC());
    }

    private static long damaged(DefaultStarling p) {
        return ((DefaultStore) p.store()).runner().damagedCount();
    }

    private static final String[] HOSTILE_NUMBERS = {"0", "-1", "9223372036854775807", "1e308", "-1e308", "0.5", "-0.0"
    };
    private static final String[] HOSTILE_STRINGS = {"''", "'\uD800'", "'\u0000'", "'😀'", "'%'", "'_'", "'\\'"};

    /**
     * Half the time, literals swapped for hostile ones (the statement still parses, so it reaches the executor);
     * otherwise one to four edits of the text: characters and tokens in, out, doubled or swapped.
     */
    static String mutate(String text, Random r) {
        if (r.nextBoolean()) {
            String out = text;
            if (r.nextBoolean()) {
                out = out.replaceAll(
                        "(?<![\\w.'])\\d+(\\.\\d+)?(?![\\w'])", HOSTILE_NUMBERS[r.nextInt(HOSTILE_NUMBERS.length)]);
            } else {
                out = out.replaceAll(
                        "'[^'\\\\]*'",
                        java.util.regex.Matcher.quoteReplacement(HOSTILE_STRINGS[r.nextInt(HOSTILE_STRINGS.length)]));
            }
            if (!out.equals(text)) return out;
        }
        StringBuilder s = new StringBuilder(text);
        for (int edits = 1 + r.nextInt(4); edits > 0; edits--) {
            int at = s.length() == 0 ? 0 : r.nextInt(s.length() + 1);
            switch (r.nextInt(7)) {
                case 0 -> {
                    if (s.length() > 0) s.deleteCharAt(Math.min(at, s.length() - 1));
                }
                case 1, 2 -> s.insert(at, INSERTS[r.nextInt(INSERTS.length)]);
                case 3 -> { // duplicate a stretch
                    int end = Math.min(s.length(), at + 1 + r.nextInt(20));
                    s.insert(at, s.substring(at, end));
                }
                case 4 -> { // swap two stretches of words
                    String[] words = s.toString().split(" ");
                    if (words.length > 2) {
                        int i = r.nextInt(words.length), j = r.nextInt(words.length);
                        String w = words[i];
                        words[i] = words[j];
                        words[j] = w;
                        s = new StringBuilder(String.join(" ", words));
                    }
                }
                case 5 -> s.setLength(at); // truncate
                default -> { // nest deeper: wrap a stretch in many brackets
                    int end = Math.min(s.length(), at + 1 + r.nextInt(10));
                    int n = 1 + r.nextInt(300);
                    String open = r.nextBoolean() ? "(" : "[";
                    String close = open.equals("(") ? ")" : "]";
                    s.insert(end, close.repeat(n)).insert(at, open.repeat(n));
                }
            }
        }
        return s.toString();
    }

    /** Every statement of the golden scripts (continuation lines joined). */
    private static List<String> corpus() {
        try {
            Path dir = Path.of(StatementFuzzTest.class.getResource("/dql").toURI());
            List<String> statements = new ArrayList<>();
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".dql"))
                        .sorted()
                        .toList()) {
                    StringBuilder current = null;
                    for (String line : Files.readAllLines(f)) {
                        if (line.startsWith("> ")) {
                            if (current != null) statements.add(current.toString());
                            current = new StringBuilder(line.substring(2));
                        } else if (line.startsWith("... ") && current != null) {
                            current.append('\n').append(line.substring(4));
                        }
                    }
                    if (current != null) statements.add(current.toString());
                }
            }
            return statements;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String printable(String s) {
        String cut = s.length() > 300 ? s.substring(0, 300) + "…" : s;
        StringBuilder sb = new StringBuilder();
        cut.codePoints().forEach(c -> {
            if (Character.isISOControl(c) || (c >= 0xD800 && c <= 0xDFFF)) sb.append(String.format("\\u%04x", c));
            else sb.appendCodePoint(c);
        });
        return sb.toString();
    }
}
