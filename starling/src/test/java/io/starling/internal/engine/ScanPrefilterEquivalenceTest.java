package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.Starling;
import io.starling.StarlingException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.statistics.Statistics;
import org.jspecify.annotations.Nullable;

/**
 * An unindexed {@code SELECT … WHERE} tests its WHERE on the values of only the top-level fields the WHERE names,
 * read straight from each state ({@code _id} only when the WHERE reads it), and reads the rest of a row, and whole
 * documents (or, for a projection, the fields it names), only for the rows that pass; this test says it returns
 * exactly what reading whole documents returns, over a real store (SQLite and in memory). Random documents (fields missing, NULL, numbers,
 * strings, booleans, arrays, nested objects; updated and deleted ones too) and random filters (nested paths, array
 * elements, {@code _id}, IS NULL / MISSING / VALUED, IN, LIKE, functions, two fields compared, CASE, ANY … SATISFIES,
 * AND / OR / NOT), with LIMIT and OFFSET; an UPDATE with the same WHERE changes exactly the reference's rows. The reference is the same statement with {@code ORDER BY _id}, which the
 * planner serves by the {@code _id} range scan reading whole documents (same order, no prefilter); EXPLAIN checks
 * that the statement under test is the full scan. The seed is printed by jqwik on failure (and in the message).
 */
class ScanPrefilterEquivalenceTest {
    private static final AtomicInteger COLLECTIONS = new AtomicInteger();
    private static final AtomicInteger PREFILTERED = new AtomicInteger();
    private static final TwoStores STORES = new TwoStores("scan-prefilter");
    /** The value of {@code :s} in this property run's statements. */
    private static String argument = "";

    @AfterContainer
    static void close() throws IOException {
        STORES.close();
        // the generator must reach the prefiltered scan often, or the property proves little
        assertThat(PREFILTERED.get())
                .as("statements served by the prefiltered full scan")
                .isGreaterThan(500);
    }

    @Property(tries = 200)
    void aPrefilteredScanReturnsWhatWholeDocumentsReturn(@ForAll long seed) {
        Random r = new Random(seed);
        argument = STRINGS.get(r.nextInt(STRINGS.size()));
        String c = "c" + COLLECTIONS.incrementAndGet();
        List<Map<String, Object>> docs = new ArrayList<>();
        Map<String, Object> args = new LinkedHashMap<>();
        StringBuilder insert = new StringBuilder("INSERT INTO " + c + " DOCUMENTS ");
        int n = 1 + r.nextInt(40);
        for (int i = 0; i < n; i++) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("_id", (long) i);
            for (String f : List.of("a", "b", "c", "d")) {
                Object v = value(r, 2);
                if (v != MISSING) doc.put(f, v);
            }
            docs.add(doc);
            args.put("d" + i, doc);
            insert.append(i == 0 ? "" : ", ").append("(:d").append(i).append(')');
        }
        Map<String, Object> update = new LinkedHashMap<>();
        update.put("id", (long) r.nextInt(n));
        Object v = value(r, 1);
        update.put("v", v == MISSING ? null : v);
        for (Starling s : List.of(STORES.sqlite(), STORES.memory())) {
            s.store().execute(insert.toString(), args);
            // a changed document and an unset field (the state keeps its history), and a tombstone to skip
            s.store().execute("UPDATE " + c + " SET a = :v, b = MISSING WHERE _id = :id", update);
            s.store().execute("DELETE FROM " + c + " WHERE _id = " + r.nextInt(n));
        }

        for (int q = 0; q < 8; q++) {
            String where = " WHERE " + filter(r, 2);
            String page = r.nextBoolean() ? " LIMIT " + (1 + r.nextInt(6)) : "";
            if (!page.isEmpty() && r.nextBoolean()) page += " OFFSET " + r.nextInt(4);
            // SELECT * reads whole documents for the matches; a projection reads only the fields it names
            String select = "SELECT " + PROJECTIONS[r.nextInt(PROJECTIONS.length)] + " FROM ";
            String prefiltered = select + c + where + page;
            String reference = select + c + where + " ORDER BY _id" + page;
            for (Starling s : List.of(STORES.sqlite(), STORES.memory())) {
                String context = "seed " + seed + " (" + STORES.label(s) + ")" + "\n  docs: " + docs
                        + "\n  update: " + update + "\n  prefiltered: " + prefiltered + "\n  reference: "
                        + reference;
                String expected = run(s, reference);
                assertThat(run(s, prefiltered)).as(context).isEqualTo(expected);
                // again, now that the matches are in the document cache
                assertThat(run(s, prefiltered)).as(context).isEqualTo(expected);
                String plan = run(s, "EXPLAIN " + prefiltered);
                boolean fullScan = plan.contains("\"FullScan\"");
                if (fullScan) PREFILTERED.incrementAndGet();
                if (!expected.startsWith("!")) {
                    assertThat(run(s, "EXPLAIN " + reference)).as(context).doesNotContain("\"FullScan\"");
                }
                // UPDATE finds its documents through the same scan: it changes exactly the reference's rows
                String ids = run(s, "SELECT _id FROM " + c + where + " ORDER BY _id");
                if (!ids.startsWith("!")) {
                    List<Long> mutated = new ArrayList<>();
                    for (Object id : s.store()
                            .execute("UPDATE " + c + " SET z = " + q + where, Map.of("s", argument))
                            .mutatedDocumentIds()) {
                        mutated.add((Long) id);
                    }
                    mutated.sort(Comparator.naturalOrder());
                    StringBuilder items = new StringBuilder();
                    for (Long id : mutated)
                        items.append(items.isEmpty() ? "" : ",").append("{\"_id\":" + id + "}");
                    assertThat("{\"items\":[" + items + "],\"mutatedDocumentIds\":[]}")
                            .as(context + "\n  update where: " + where)
                            .isEqualTo(ids);
                }
                Statistics.label("access").collect(fullScan ? "FullScan" : "other");
                Statistics.label("result")
                        .collect(
                                expected.startsWith("!")
                                        ? "error"
                                        : expected.contains("\"items\":[]") ? "none" : "rows");
            }
        }
    }

    private static String run(Starling s, String statement) {
        try {
            return s.store().execute(statement, Map.of("s", argument)).toJson();
        } catch (StarlingException e) {
            return "! " + e.errorCode().code() + ": " + e.getMessage();
        }
    }

    private static final Object MISSING = new Object();

    /** A field's value: MISSING (left out), NULL, scalars, arrays and objects nesting {@code depth} more levels. */
    private static @Nullable Object value(Random r, int depth) {
        int kinds = depth > 0 ? 9 : 7;
        return switch (r.nextInt(kinds)) {
            case 0 -> MISSING;
            case 1 -> null; // NULL
            case 2 -> (long) (r.nextInt(5) - 1);
            case 3 -> r.nextInt(3) + 0.5;
            case 4 -> STRINGS.get(r.nextInt(STRINGS.size()));
            case 5 -> r.nextBoolean();
            case 6 -> MISSING;
            case 7 -> {
                List<Object> items = new ArrayList<>();
                int k = r.nextInt(4);
                for (int i = 0; i < k; i++) {
                    Object v = value(r, depth - 1);
                    items.add(v == MISSING ? 1L : v);
                }
                yield items;
            }
            default -> {
                Map<String, Object> obj = new LinkedHashMap<>();
                for (String f : List.of("x", "y")) {
                    Object v = value(r, depth - 1);
                    if (v != MISSING) obj.put(f, v);
                }
                yield obj;
            }
        };
    }

    private static final String[] PATHS = {
        "a", "b", "c", "d", "a", "b", "c", "d", "a.x", "b.y", "a[0]", "c[1]", "a.x.y", "d[0].x", "_id"
    };
    /** What the statements select: everything, or fields the WHERE may or may not read. */
    private static final String[] PROJECTIONS = {
        "*", "*", "*", "_id", "a", "_id, b", "c.x AS cx, d", "a, b, c, d", "{k: a} AS k", "b[0] AS b0, _id AS i"
    };

    private static final String[] LITERALS = {
        "0", "1", "0", "1", "'a'", "TRUE", "2.5", "-1", "'a'", "'ab'", "''", "TRUE", "FALSE", "NULL", "MISSING", "[1]",
        "{x: 1}", "[]", "{}"
    };
    private static final String[] OPS = {"=", "!=", "<", "<=", ">", ">="};

    /** Strings stored and compared: ASCII ones that are also field names' bytes, and multi-byte UTF-8. */
    private static final List<String> STRINGS = List.of("", "a", "ab", "b", "A", "é", "xé", "日本", "e\u0301");

    /** A string constant of a WHERE: a literal, or the argument {@code :s} (one of STRINGS, per property run). */
    private static String string(Random r) {
        int i = r.nextInt(STRINGS.size() + 2);
        return i >= STRINGS.size() ? ":s" : "'" + STRINGS.get(i) + "'";
    }

    private static String path(Random r) {
        return PATHS[r.nextInt(PATHS.length)];
    }

    private static String literal(Random r) {
        return LITERALS[r.nextInt(LITERALS.length)];
    }

    private static String filter(Random r, int depth) {
        if (depth > 0 && r.nextInt(3) == 0) {
            return switch (r.nextInt(3)) {
                case 0 -> "(" + filter(r, depth - 1) + " AND " + filter(r, depth - 1) + ")";
                case 1 -> "(" + filter(r, depth - 1) + " OR " + filter(r, depth - 1) + ")";
                default -> "NOT (" + filter(r, depth - 1) + ")";
            };
        }
        String p = path(r);
        return switch (r.nextInt(18)) {
            case 0, 1, 2 -> p + " " + OPS[r.nextInt(OPS.length)] + " " + literal(r);
            case 3 ->
                p + " IS " + (r.nextBoolean() ? "NOT " : "")
                        + List.of("NULL", "MISSING", "VALUED").get(r.nextInt(3));
            case 4 -> p + (r.nextBoolean() ? " NOT" : "") + " IN (" + literal(r) + ", " + literal(r) + ")";
            case 5 -> p + " LIKE '" + List.of("a%", "%", "_", "ab").get(r.nextInt(4)) + "'";
            case 6 ->
                "type(" + p + ") = '"
                        + List.of("missing", "null", "number", "string", "array", "object")
                                .get(r.nextInt(6)) + "'";
            case 7 -> "ANY v IN " + p + " SATISFIES v " + OPS[r.nextInt(OPS.length)] + " " + literal(r) + " END";
            case 8 -> p + " " + OPS[r.nextInt(OPS.length)] + " " + path(r);
            case 9 -> "nvl(" + p + ", " + path(r) + ") = " + literal(r);
            case 10 -> "CASE WHEN " + p + " IS MISSING THEN " + path(r) + " ELSE " + path(r) + " END = " + literal(r);
            case 11 -> "IFMISSING(_id, 0) " + OPS[r.nextInt(OPS.length)] + " " + r.nextInt(30) + " AND " + filter(r, 0);
            case 12 -> "array_length(" + p + ") > " + r.nextInt(3);
            case 13 -> "object_length(" + p + ") >= 1";
            case 14 -> p;
            case 15 -> "{k: " + p + "} = {k: " + literal(r) + "}";
            // a string the matches must hold (the store may leave out states without its bytes), alone or ANDed
            case 16 -> p + " = " + string(r);
            default -> "(" + string(r) + " = " + p + " AND " + filter(r, depth - 1) + ")";
        };
    }
}
