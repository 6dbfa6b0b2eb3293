package io.starling.internal.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.core.Limits;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * {@link NewDocument}, the one-walk encoding of an INSERT's map argument, against the ordinary path it replaces:
 * {@code Value.fromJava}, the storable checks ({@link Limits#valueProblem}) and {@link DocumentState#encodeInserted}.
 *
 * <p>For random maps holding every type an application may pass (and some it may not), at and one past every limit:
 * whenever the walk takes a map, the ordinary path accepts it too and writes the very same bytes, reads the same
 * {@code _id} and converts the same value; and the walk takes exactly the maps the generator built from plain values
 * within the limits, so it neither lets through what the ordinary path refuses (that path reports those errors, as
 * before) nor sends the common document down the slow path. The seed of a failing map is the jqwik sample.
 */
class NewDocumentEquivalenceTest {
    /** A stand-in for the engine's attachment tokens: a map {@code {"_att": "…"}} is binary, another {@code _att} bad. */
    private static final Value.Special SPECIAL = o -> {
        if (o instanceof Map<?, ?> m && m.size() == 1 && m.containsKey("_att")) {
            if (m.get("_att") instanceof String s) return new Value.Bin(s.getBytes(StandardCharsets.UTF_8));
            throw new IllegalArgumentException("\"_att\" must hold a string");
        }
        return null;
    };

    private static final Stamp STAMP = new Stamp(1_733_000_000_000L << 16, 0x8000_0000_0000_0001L);

    @Property(tries = 3000)
    void theWalkTakesExactlyThePlainMapsAndWritesWhatTheOrdinaryPathWrites(@ForAll long seed) {
        Gen g = new Gen(new Random(seed));
        Map<String, Object> doc = g.document();
        check(doc, g.plain, "seed " + seed);
    }

    @Test
    void edgeCases() {
        // numbers at their edges, -0.0 stored as 0.0, integral BigDecimals as integers
        check(
                map(
                        "a",
                        -0.0d,
                        "b",
                        Long.MIN_VALUE,
                        "c",
                        Long.MAX_VALUE,
                        "d",
                        Double.MIN_VALUE,
                        "e",
                        -Double.MAX_VALUE),
                true,
                "numbers");
        check(
                map(
                        "f",
                        -0.0f,
                        "g",
                        (short) -7,
                        "h",
                        (byte) 3,
                        "i",
                        new BigDecimal("12.000"),
                        "j",
                        new BigDecimal("0.1")),
                true,
                "more numbers");
        check(map("a", BigInteger.ONE.shiftLeft(63).subtract(BigInteger.ONE)), true, "2^63 - 1");
        check(map("a", BigInteger.ONE.shiftLeft(63).negate()), true, "-2^63");
        check(map("a", BigInteger.ONE.shiftLeft(63)), false, "2^63");
        check(map("a", Double.NaN), false, "NaN");
        check(map("a", Float.NEGATIVE_INFINITY), false, "-inf");
        check(map("a", new BigDecimal("1e400")), false, "a BigDecimal beyond double");
        // keys: empty, unicode, the two sort orders (UTF-16 in the CRDT map, code point inside arrays), at the limit
        String ff61 = "\uFF61", emoji = "\uD83D\uDE00";
        check(map(ff61, 1L, emoji, 2L, "", 3L, "list", List.of(map(ff61, 1L, emoji, 2L))), true, "sort orders");
        check(map("é".repeat(512), 1L), true, "a key of 1,024 bytes");
        check(map("é".repeat(512) + "a", 1L), false, "a key of 1,025 bytes");
        check(map("\uD83D", 1L), false, "a key with a lone surrogate");
        check(map("a", "x\uDE00y"), false, "a string with a lone surrogate");
        check(map("a", "é".repeat(300) + emoji), true, "a long non-ASCII string");
        // ids
        check(map("_id", "x", "a", 1L), true, "a string id");
        check(map("_id", map("b", 1L, "a", 2L)), true, "a composite id");
        check(map("_id", null, "a", 1L), true, "a null id (refused by the id rules, later)");
        check(map("_id", Value.of(3)), false, "an id given as a Value");
        check(map("_id", map("_att", "t")), false, "an id in an attachment token's form");
        check(map("_id", "\uD800"), false, "an id with a lone surrogate");
        check(map("x", map("_id", 5L)), true, "_id below the root is an ordinary field");
        // depth: exactly at the limit, one past, for objects and arrays
        for (int levels : new int[] {Limits.MAX_DEPTH - 1, Limits.MAX_DEPTH, Limits.MAX_DEPTH + 1}) {
            check(nestedMaps(levels), levels <= Limits.MAX_DEPTH, levels + " levels of objects");
            check(nestedLists(levels), levels <= Limits.MAX_DEPTH, levels + " levels ending in arrays");
            check(emptyMapAt(levels), levels <= Limits.MAX_DEPTH, "an empty object at level " + levels);
        }
        // what the ordinary path converts or refuses
        check(map("a", map("_att", "t")), false, "an attachment token's form");
        check(map("a", map("_att", 1L)), false, "a bad attachment token's form");
        check(map("a", List.of(map("_att", "t"))), false, "an attachment token's form in an array");
        check(map("a", new AtomicLong(1)), false, "an unsupported type");
        check(map("a", Value.of("v")), false, "a Value inside");
        Map<Object, Object> intKey = new HashMap<>();
        intKey.put(1, "x");
        check(map("a", intKey), false, "a non-string key");
        // other forms of the same values
        check(
                map("a", new Object[] {1L, "x", null}, "b", new StringBuilder("sb"), "c", 'c', "d", new byte[] {1, 2}),
                true,
                "arrays, char sequences, characters, bytes");
        TreeMap<String, Object> tree = new TreeMap<>();
        tree.put("z", 1L);
        tree.put("a", List.of());
        check(map("t", tree, "empty", new HashMap<>()), true, "a TreeMap, an empty map");
    }

    /** The outcome of both paths for one map; {@code plain}: the walk must take it. */
    private static void check(Map<?, ?> doc, boolean plain, String what) {
        NewDocument fast = NewDocument.of(doc, SPECIAL);
        Value.Obj ordinary = null;
        byte[] expected = null;
        try {
            Value v = Value.fromJava(doc, SPECIAL);
            if (v instanceof Value.Obj o && Limits.valueProblem(o, Limits.MAX_DEPTH) == null) {
                ordinary = o;
                expected = DocumentState.encodeInserted(o, STAMP);
            }
        } catch (IllegalArgumentException | DocumentException refused) {
            // the ordinary path refuses it: the walk must not take it
        }
        assertThat(fast != null).as("the walk takes the map (%s)", what).isEqualTo(plain);
        if (fast == null) return;
        assertThat(expected)
                .as("the ordinary path accepts what the walk took (%s)", what)
                .isNotNull();
        assertThat(fast.encode(STAMP)).as("the state's bytes (%s)", what).isEqualTo(expected);
        assertThat(fast.id()).as("the id (%s)", what).isEqualTo(ordinary.get("_id"));
        assertThat(fast.value()).as("the value (%s)", what).isEqualTo(ordinary);
        // and the bytes read back as the document
        assertThat(DocumentState.decode(fast.encode(STAMP)).document(Value.of("id")))
                .isEqualTo(DocumentState.decode(expected).document(Value.of("id")));
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    /** A document whose deepest container is at {@code levels} (the root: 1), all objects. */
    private static Map<String, Object> nestedMaps(int levels) {
        Map<String, Object> m = map("leaf", 1L);
        for (int i = 1; i < levels; i++) m = map("k", m);
        return m;
    }

    /** A document of objects whose deepest containers are arrays, at {@code levels}. */
    private static Map<String, Object> nestedLists(int levels) {
        Object v = List.of(1L);
        for (int i = 2; i < levels; i++) v = i % 2 == 0 ? List.of(v) : map("k", v);
        return map("a", v);
    }

    private static Map<String, Object> emptyMapAt(int levels) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 1; i < levels; i++) m = map("k", m);
        return m;
    }

    /** Random documents; {@link #plain} stays true while everything put in is a plain value within the limits. */
    private static final class Gen {
        private final Random r;
        boolean plain = true;

        Gen(Random r) {
            this.r = r;
        }

        Map<String, Object> document() {
            Map<String, Object> doc = newMap();
            if (r.nextInt(3) == 0) doc.put("_id", id());
            int n = r.nextInt(8);
            for (int i = 0; i < n; i++) put(doc, 1);
            if (r.nextInt(20) == 0) {
                int levels = Limits.MAX_DEPTH - 1 + r.nextInt(3);
                String k = "deep" + r.nextInt(3);
                if (!doc.containsKey(k)) {
                    doc.put(k, r.nextBoolean() ? nestedMaps(levels - 1) : nestedLists(levels - 1));
                    if (levels > Limits.MAX_DEPTH) plain = false;
                }
            }
            return doc;
        }

        /** Puts a random field at a key the map does not hold yet (an overwritten field would leave no trace). */
        private void put(Map<String, Object> m, int level) {
            boolean before = plain;
            String k = key();
            if (m.containsKey(k)) {
                plain = before;
                return;
            }
            m.put(k, value(level));
        }

        private Map<String, Object> newMap() {
            return switch (r.nextInt(3)) {
                case 0 -> new HashMap<>();
                case 1 -> new LinkedHashMap<>();
                default -> new TreeMap<>();
            };
        }

        private Object id() {
            return switch (r.nextInt(4)) {
                case 0 -> "id-" + r.nextInt(1000);
                case 1 -> (long) r.nextInt();
                case 2 -> map("a", (long) r.nextInt(10), "b", string());
                default -> List.of("x", 1L);
            };
        }

        private String key() {
            return switch (r.nextInt(12)) {
                case 0 -> "";
                case 1 -> "\uFF61" + r.nextInt(3);
                case 2 -> "\uD83D\uDE00" + r.nextInt(3);
                case 3 -> "é".repeat(512); // 1,024 bytes: at the limit
                case 4 -> {
                    if (r.nextInt(4) != 0) yield "k" + r.nextInt(50);
                    plain = false;
                    yield r.nextBoolean() ? "é".repeat(512) + "a" : "bad\uDC00"; // one past the limit; a lone surrogate
                }
                case 5 -> "_id";
                default -> "k" + r.nextInt(50);
            };
        }

        private String string() {
            return switch (r.nextInt(6)) {
                case 0 -> "";
                case 1 -> "ünïcødé \uD83D\uDE00";
                case 2 -> "x".repeat(100 + r.nextInt(100)); // around the writer's short-ASCII bound
                case 3 -> {
                    if (r.nextInt(3) != 0) yield "s" + r.nextLong();
                    plain = false;
                    yield "lone \uD800 surrogate";
                }
                default -> "s" + r.nextInt(100);
            };
        }

        private Object value(int level) {
            int pick = r.nextInt(level < 6 ? 26 : 20);
            switch (pick) {
                case 0:
                case 1:
                    return string();
                case 2:
                    return r.nextLong();
                case 3:
                    return r.nextInt();
                case 4:
                    return null;
                case 5:
                    return r.nextBoolean();
                case 6: {
                    double[] edges = {-0.0d, 0.0d, Double.MIN_VALUE, Double.MAX_VALUE, 1e300, -1.5, r.nextDouble()};
                    return edges[r.nextInt(edges.length)];
                }
                case 7:
                    return r.nextFloat() - 0.5f;
                case 8:
                    return (short) r.nextInt();
                case 9:
                    return (byte) r.nextInt();
                case 10: {
                    BigInteger[] edges = {
                        BigInteger.valueOf(Long.MAX_VALUE), BigInteger.valueOf(Long.MIN_VALUE), BigInteger.TEN
                    };
                    if (r.nextInt(4) == 0) {
                        plain = false;
                        return BigInteger.valueOf(Long.MAX_VALUE).add(BigInteger.ONE);
                    }
                    return edges[r.nextInt(edges.length)];
                }
                case 11:
                    return r.nextBoolean() ? new BigDecimal(r.nextInt(1000)) : new BigDecimal("1.25");
                case 12: {
                    byte[] b = new byte[r.nextInt(5)];
                    r.nextBytes(b);
                    return b;
                }
                case 13:
                    return r.nextBoolean() ? new StringBuilder(string()) : (Object) (char) ('a' + r.nextInt(26));
                case 14: {
                    plain = false; // things the ordinary path converts or refuses
                    return switch (r.nextInt(6)) {
                        case 0 -> Double.NaN;
                        case 1 -> Double.POSITIVE_INFINITY;
                        case 2 -> Value.of(r.nextInt(10));
                        case 3 -> new AtomicLong(3);
                        case 4 -> map("_att", "token");
                        default -> map("_att", 7L);
                    };
                }
                case 15: {
                    if (r.nextInt(5) != 0) return r.nextLong();
                    plain = false;
                    Map<Object, Object> m = new HashMap<>();
                    m.put(r.nextInt(10), "int key");
                    return m;
                }
                case 16:
                case 17:
                case 18:
                case 19:
                    return r.nextLong();
                default: {
                    // containers, at most a few levels deep at random (the depth limit has its own cases)
                    int n = r.nextInt(4);
                    if (r.nextInt(3) == 0) {
                        List<Object> l = new ArrayList<>();
                        for (int i = 0; i < n; i++) l.add(value(level + 1));
                        return r.nextBoolean() ? l : l.toArray();
                    }
                    Map<String, Object> m = newMap();
                    for (int i = 0; i < n; i++) put(m, level + 1);
                    return m;
                }
            }
        }
    }

    @Test
    void theTestCatchesAWrongSortOrder() {
        // a sanity check of the comparison itself: two maps that differ only in order encode alike
        Map<String, Object> a = map("b", 1L, "a", 2L), b = map("a", 2L, "b", 1L);
        assertThat(Arrays.equals(
                        NewDocument.of(a, SPECIAL).encode(STAMP),
                        NewDocument.of(b, SPECIAL).encode(STAMP)))
                .isTrue();
    }
}
