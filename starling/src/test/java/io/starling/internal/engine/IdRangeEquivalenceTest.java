package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.Starling;
import io.starling.StarlingException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * The {@code _id} range scan (keyset paging) returns exactly what a full scan and sort return, over a real store
 * (SQLite and in memory): storage keeps rows by the byte order of their encoded ids, the query language orders
 * {@code _id} by ValueOrder, and this test is what says the two agree. Random ids of every id type (integers
 * across the sign and magnitude, strings with multi-byte and NUL characters, booleans, composite ids with their
 * fields in either order), random bounds of any type ({@code 1.5}, {@code NULL}, arrays, objects), {@code > >= <
 * <= BETWEEN LIKE}, AND/NOT, another field's condition, {@code ORDER BY _id [DESC]}, LIMIT and OFFSET. The
 * reference is the same statement with {@code _id} written as {@code IFMISSING(_id, 0)} (the same value for every
 * document, as ids are never missing), which the planner cannot use: a full scan, filter and sort. EXPLAIN checks
 * that the fast path is the one taken. The seed is printed by jqwik on failure (and in the message).
 */
class IdRangeEquivalenceTest {
    private static final AtomicInteger COLLECTIONS = new AtomicInteger();
    private static final AtomicInteger FAST = new AtomicInteger();
    private static final TwoStores STORES = new TwoStores("id-range");

    @AfterContainer
    static void close() throws IOException {
        STORES.close();
        // the generator must reach the fast path often, or the property proves little
        assertThat(FAST.get()).as("statements served by IdRange").isGreaterThan(100);
    }

    @Property(tries = 300)
    void idRangesReturnWhatAFullScanAndSortReturn(@ForAll long seed) {
        Random r = new Random(seed);
        String c = "c" + COLLECTIONS.incrementAndGet();
        List<Map<String, Object>> docs = new ArrayList<>();
        Map<String, Object> args = new LinkedHashMap<>();
        StringBuilder insert = new StringBuilder("INSERT INTO " + c + " DOCUMENTS ");
        int n = 1 + r.nextInt(40);
        for (int i = 0; i < n; i++) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("_id", id(r));
            doc.put("n", (long) r.nextInt(5));
            docs.add(doc);
            args.put("d" + i, doc);
            insert.append(i == 0 ? "" : ", ").append("(:d").append(i).append(')');
        }
        insert.append(" ON ID CONFLICT DO NOTHING");
        for (Starling s : List.of(STORES.sqlite(), STORES.memory())) {
            s.store().execute(insert.toString(), args);
            // a deleted document leaves a tombstone in the key order, which the range must skip
            s.store()
                    .execute(
                            "DELETE FROM " + c + " WHERE _id = :id",
                            Map.of("id", docs.get(0).get("_id")));
        }

        for (int q = 0; q < 8; q++) {
            Map<String, Object> qargs = new LinkedHashMap<>();
            String where = where(r, qargs);
            String order = switch (r.nextInt(4)) {
                case 0 -> "";
                case 1 -> " ORDER BY _id";
                case 2 -> " ORDER BY _id DESC";
                default -> " ORDER BY _id DESC, n";
            };
            String page = r.nextBoolean() ? " LIMIT " + (1 + r.nextInt(6)) : "";
            if (!page.isEmpty() && r.nextBoolean()) page += " OFFSET " + r.nextInt(4);
            String fast = "SELECT _id, n FROM " + c + where + order + page;
            String reference =
                    fast.replace("_id", "IFMISSING(_id, 0)").replace("SELECT IFMISSING(_id, 0), n", "SELECT _id, n");
            for (Starling s : List.of(STORES.sqlite(), STORES.memory())) {
                String context = "seed " + seed + " (" + STORES.label(s) + ")" + "\n  docs: " + docs + "\n  fast: "
                        + fast + "\n  reference: " + reference + "\n  args: " + qargs;
                String expected = run(s, reference, qargs);
                String actual = run(s, fast, qargs);
                assertThat(actual).as(context).isEqualTo(expected);
                String plan = run(s, "EXPLAIN " + fast, qargs);
                boolean usesRange = plan.contains("\"IdRange\"");
                if (usesRange) FAST.incrementAndGet();
                assertThat(run(s, "EXPLAIN " + reference, qargs)).as(context).contains("\"FullScan\"");
                Statistics.label("access")
                        .collect(usesRange ? "IdRange" : plan.contains("IdLookup") ? "IdLookup" : "other");
            }
        }
    }

    private static String run(Starling s, String statement, Map<String, Object> args) {
        try {
            return s.store().execute(statement, args).toJson();
        } catch (StarlingException e) {
            return "! " + e.errorCode().code() + ": " + e.getMessage();
        }
    }

    /** An id: every id type, with neighbours in the encoding (sign changes, prefixes, NUL, multi-byte). */
    private static Object id(Random r) {
        return switch (r.nextInt(8)) {
            case 0, 1 -> (long) (r.nextInt(41) - 20);
            case 2 ->
                List.of(Long.MIN_VALUE, Long.MAX_VALUE, 1L << 53, -(1L << 53) - 1, 255L, 256L, -256L)
                        .get(r.nextInt(7));
            case 3, 4 -> string(r);
            case 5 -> r.nextBoolean();
            default -> {
                Map<String, Object> composite = new LinkedHashMap<>();
                if (r.nextBoolean()) {
                    composite.put("b", string(r));
                    composite.put("a", (long) r.nextInt(3));
                } else {
                    composite.put("a", (long) r.nextInt(3));
                    if (r.nextBoolean()) composite.put("b", string(r));
                }
                yield composite;
            }
        };
    }

    private static String string(Random r) {
        String[] parts = {"", "a", "b", "ab", "é", "😀", "\u0000", "z", "A", "a\u0000"};
        StringBuilder sb = new StringBuilder();
        int k = r.nextInt(3);
        for (int i = 0; i < k; i++) sb.append(parts[r.nextInt(parts.length)]);
        return sb.toString();
    }

    /** A bound: ids, and values that are not ids (floats, NULL, arrays, objects), passed as arguments. */
    private static Object bound(Random r) {
        return switch (r.nextInt(10)) {
            case 0 -> r.nextInt(7) - 3 + 0.5;
            case 1 -> (double) (r.nextInt(7) - 3);
            case 2 -> List.of((long) r.nextInt(3));
            default -> id(r);
        };
    }

    private static String where(Random r, Map<String, Object> args) {
        List<String> conjuncts = new ArrayList<>();
        int k = r.nextInt(3);
        for (int i = 0; i < k; i++) {
            String a = "a" + args.size();
            args.put(a, bound(r));
            switch (r.nextInt(8)) {
                case 0 -> conjuncts.add("_id > :" + a);
                case 1 -> conjuncts.add("_id >= :" + a);
                case 2 -> conjuncts.add("_id < :" + a);
                case 3 -> conjuncts.add("_id <= :" + a);
                case 4 -> {
                    String b = "a" + args.size();
                    args.put(b, bound(r));
                    conjuncts.add("_id BETWEEN :" + a + " AND :" + b);
                }
                case 5 -> {
                    args.put(a, string(r) + "%");
                    conjuncts.add("_id LIKE :" + a);
                }
                case 6 -> conjuncts.add("NOT (_id < :" + a + ")");
                default -> {
                    args.put(a, (long) r.nextInt(5));
                    conjuncts.add("n <> :" + a);
                }
            }
        }
        return conjuncts.isEmpty() ? "" : " WHERE " + String.join(" AND ", conjuncts);
    }
}
