package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.QueryResult;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.internal.core.Limits;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.storage.InMemoryStorage;
import io.starling.internal.sync.SyncStoreView;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * Adversarial documents through every local entry point (arguments, DQL literals, SET at a path) and adversarial
 * states through the merge of a peer, checked after each step: what is accepted reads back as written, can be
 * changed, deleted and synced to another peer byte for byte; what is refused is refused with a user error, and
 * nothing else in the store changes. A failing try prints its seed (jqwik's sample); the generators aim at the
 * edges of every limit (docs/DATA-MODEL.md, "Limits").
 */
class AdversarialInputPropertyTest {
    static final int MAX = Limits.MAX_DEPTH;
    static final java.util.concurrent.atomic.AtomicInteger ACCEPTED = new java.util.concurrent.atomic.AtomicInteger();
    static final java.util.concurrent.atomic.AtomicInteger REFUSED = new java.util.concurrent.atomic.AtomicInteger();

    /** The generators must reach both sides of the limits, or the property proves little. */
    @net.jqwik.api.lifecycle.AfterContainer
    static void bothOutcomesWereExercised() {
        assertThat(ACCEPTED.get()).as("accepted writes").isGreaterThan(50);
        assertThat(REFUSED.get()).as("refused writes").isGreaterThan(50);
    }

    @Property(tries = 40)
    void whatIsAcceptedReadsBackAndSyncsWhatIsRefusedChangesNothing(@ForAll long seed) {
        Random r = new Random(seed);
        DefaultStarling a = open(), b = open();
        try {
            b.sync().registerSubscription("SELECT * FROM t", Map.of());
            a.store().execute("INSERT INTO t DOCUMENTS ({'_id': 'sentinel', 'v': 1})");
            for (int step = 0; step < 12; step++) {
                Map<String, String> before = states(a);
                String id = "d" + step;
                Object value = value(r, depthTarget(r));
                try {
                    Object expected = write(a, r, id, value);
                    ACCEPTED.incrementAndGet();
                    Map<String, Object> read = readBack(a, id);
                    assertThat(Value.fromJava(read.get("f")))
                            .as("seed %s step %s: what was written reads back", seed, step)
                            .isEqualTo(Value.fromJava(expected));
                    a.store().execute("UPDATE t SET touched = true WHERE _id = :id", Map.of("id", id));
                    if (r.nextBoolean()) {
                        a.store().execute("DELETE FROM t WHERE _id = :id", Map.of("id", id));
                        assertThat(a.store()
                                        .execute("SELECT * FROM t WHERE _id = :id", Map.of("id", id))
                                        .items())
                                .isEmpty();
                    }
                } catch (StarlingException refused) {
                    REFUSED.incrementAndGet();
                    assertThat(refused.errorCode().isUserError())
                            .as("seed %s step %s: %s is a user error", seed, step, refused.getMessage())
                            .isTrue();
                    assertThat(refused.getMessage()).isNotBlank();
                    assertThat(states(a)).as("a refused write changes nothing").isEqualTo(before);
                }
            }
            // hostile states from a peer: refused alone, the rest applied
            mergeHostileStates(a, r);
            // everything accepted syncs, byte for byte
            SyncTest.syncsByteForByte(a, b, "t");
        } finally {
            a.close();
            b.close();
        }
    }

    private static DefaultStarling open() {
        return DefaultStarling.open(
                StarlingConfig.builder().appId("adversarial").build(),
                Path.of("memory"),
                new InMemoryStorage(),
                Clock.systemUTC());
    }

    /** Writes {@code value} as field {@code f} of document {@code id} through a random entry point; returns what reads back. */
    private static Object write(DefaultStarling a, Random r, String id, Object value) {
        switch (r.nextInt(4)) {
            case 0: { // an argument holding the whole document
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("_id", id);
                doc.put("f", value);
                a.store().execute("INSERT INTO t DOCUMENTS (:d)", Map.of("d", doc));
                return value;
            }
            case 1: { // a literal, where the value has one
                String literal = literal(value);
                if (literal == null) return write(a, r, id, value);
                a.store().execute("INSERT INTO t DOCUMENTS ({'_id': '" + id + "', 'f': " + literal + "})");
                return value;
            }
            case 2: { // SET of an existing document's field
                a.store().execute("INSERT INTO t DOCUMENTS ({'_id': '" + id + "'})");
                try {
                    a.store().execute("UPDATE t SET f = :v WHERE _id = :id", args("v", value, "id", id));
                } catch (StarlingException e) {
                    a.store().execute("EVICT FROM t WHERE _id = :id", Map.of("id", id)); // keep "nothing changed" exact
                    throw e;
                }
                return value;
            }
            default: { // SET below a path: the value sits deeper than it is
                int depth = 1 + r.nextInt(4);
                String path = "f" + ".p".repeat(depth - 1);
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("_id", id);
                a.store().execute("INSERT INTO t DOCUMENTS (:d)", Map.of("d", doc));
                try {
                    a.store().execute("UPDATE t SET " + path + " = :v WHERE _id = :id", args("v", value, "id", id));
                } catch (StarlingException e) {
                    a.store().execute("EVICT FROM t WHERE _id = :id", Map.of("id", id));
                    throw e;
                }
                Object expected = value;
                for (int i = 1; i < depth; i++) expected = args("p", expected);
                return expected;
            }
        }
    }

    /** Arguments, nulls allowed. */
    private static Map<String, Object> args(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    /** States a peer could send: well-formed, damaged and too deep, in one batch with a good one. */
    private static void mergeHostileStates(DefaultStarling a, Random r) {
        List<SyncStoreView.Doc> batch = new ArrayList<>();
        byte[] good = DocumentState.empty()
                .insert((Value.Obj) Value.fromJava(Map.of("v", 2)), new io.starling.internal.core.Stamp(5, 99))
                .encode();
        batch.add(new SyncStoreView.Doc("t", DocumentIds.encode(Value.of("from-peer")), good));
        batch.add(new SyncStoreView.Doc("t", DocumentIds.encode(Value.of("deep")), LimitsTest.tooDeepState()));
        byte[] garbled = good.clone();
        garbled[r.nextInt(garbled.length)] ^= (byte) (1 + r.nextInt(255));
        batch.add(new SyncStoreView.Doc("t", DocumentIds.encode(Value.of("garbled")), garbled));
        SyncStoreView.ApplyResult result = a.syncStore().apply(99, batch, null);
        assertThat(result.refused())
                .extracting(x -> DocumentIds.decode(x.doc().id()))
                .contains(Value.of("deep"));
        assertThat(readBack(a, "from-peer")).containsEntry("v", 2L);
    }

    private static Map<String, Object> readBack(DefaultStarling a, String id) {
        QueryResult res = a.store().execute("SELECT * FROM t WHERE _id = :id", Map.of("id", id));
        assertThat(res.items()).hasSize(1);
        return res.items().get(0).value();
    }

    /** Every row's state (base64), by id: the whole store as sync would compare it. */
    static Map<String, String> states(DefaultStarling p) {
        return SyncTest.storedStates(p, "t");
    }

    // ---- generators ------------------------------------------------------------------------------------------

    /** Nesting to aim for: mostly shallow, often right at the limit or just past it. */
    private static int depthTarget(Random r) {
        int[] targets = {0, 1, 3, MAX - 3, MAX - 2, MAX - 1, MAX, MAX + 1, MAX + 8};
        return targets[r.nextInt(targets.length)];
    }

    private static Object value(Random r, int depth) {
        if (depth <= 0) return scalar(r);
        Object inner = value(r, depth - 1);
        if (r.nextBoolean()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put(key(r), inner);
            if (r.nextInt(4) == 0) m.put(key(r), scalar(r));
            return m;
        }
        List<Object> l = new ArrayList<>();
        l.add(inner);
        if (r.nextInt(4) == 0) l.add(scalar(r));
        return l;
    }

    private static Object scalar(Random r) {
        switch (r.nextInt(12)) {
            case 0:
                return null;
            case 1:
                return r.nextBoolean();
            case 2:
                return new long[] {Long.MIN_VALUE, Long.MAX_VALUE, 0, -1}[r.nextInt(4)];
            case 3:
                return new double[] {
                            Double.NaN,
                            Double.POSITIVE_INFINITY,
                            Double.NEGATIVE_INFINITY,
                            Double.MAX_VALUE,
                            -Double.MAX_VALUE,
                            Double.MIN_VALUE,
                            -0.0,
                            1.5
                        }
                        [r.nextInt(8)];
            case 4:
                return new byte[] {0, (byte) 255, 1};
            case 5:
                return "x".repeat(r.nextInt(3) == 0 ? 100_000 : 3);
            default:
                return string(r);
        }
    }

    private static String string(Random r) {
        String[] tricky = {
            "",
            "plain",
            "é",
            "😀",
            "\uD800",
            "a\uDC00b",
            "\u0000",
            "\u001f",
            "'quoted'",
            "`back`",
            "\\",
            "\n",
            "a.b",
            "_id"
        };
        return tricky[r.nextInt(tricky.length)];
    }

    private static String key(Random r) {
        if (r.nextInt(6) == 0) return "k".repeat(Limits.MAX_FIELD_NAME_BYTES + r.nextInt(2)); // at or past the limit
        return string(r);
    }

    /** The DQL literal of a value, or null when it has none (binary, NaN and infinities, -0.0 prints as 0). */
    static String literal(Object v) {
        if (v == null) return "null";
        if (v instanceof Boolean b) return b.toString();
        if (v instanceof Long l) return l == Long.MIN_VALUE ? null : Long.toString(l);
        if (v instanceof Double d) return Double.isFinite(d) ? Double.toString(d) : null;
        if (v instanceof String s) return s.indexOf('\u0000') >= 0 ? null : quote(s);
        if (v instanceof List<?> l) {
            StringBuilder sb = new StringBuilder("[");
            for (Object item : l) {
                String x = literal(item);
                if (x == null) return null;
                if (sb.length() > 1) sb.append(", ");
                sb.append(x);
            }
            return sb.append(']').toString();
        }
        if (v instanceof Map<?, ?> m) {
            StringBuilder sb = new StringBuilder("{");
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String x = literal(e.getValue());
                if (x == null) return null;
                if (sb.length() > 1) sb.append(", ");
                sb.append(quote((String) e.getKey())).append(": ").append(x);
            }
            return sb.append('}').toString();
        }
        return null;
    }

    private static String quote(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'";
    }
}
