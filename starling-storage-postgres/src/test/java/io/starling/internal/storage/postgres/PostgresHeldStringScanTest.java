package io.starling.internal.storage.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.ErrorCode;
import io.starling.QueryException;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An unindexed {@code SELECT … WHERE path = string AND …} over PostgreSQL, where the store leaves out in the database
 * the states that lack a held string's UTF-8 bytes ({@code position(? IN state)}, in chunks): it returns what the same
 * statement with {@code ORDER BY _id} returns (the {@code _id} range scan, which leaves nothing out) and what SQLite
 * returns, for strings with NUL, multi-byte UTF-8, LIKE's {@code %} and {@code _}, a quote, a 4 MiB string and several
 * conjuncts; and it still stops at the statement's deadline when PostgreSQL skips every row.
 */
class PostgresHeldStringScanTest {
    @TempDir
    Path dir;

    private final List<Starling> open = new ArrayList<>();

    @AfterEach
    void closeAll() {
        for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
    }

    private Starling postgres(String url, String node, Duration statementTimeout) {
        Starling db = Starling.open(StarlingConfig.builder()
                .storageUrl(url)
                .databaseDirectory(dir.resolve(node))
                .statementTimeout(statementTimeout)
                .build());
        open.add(db);
        return db;
    }

    private Starling sqlite() {
        Starling db = Starling.open(StarlingConfig.builder()
                .databaseDirectory(dir.resolve("sqlite"))
                .build());
        open.add(db);
        return db;
    }

    /** A string of 4 MiB (under the 5 MiB a document may take) ending in a two-byte character. */
    private static final String LONG = "L".repeat(4 * 1024 * 1024) + "é";

    /** Stored and compared strings: bytes that mean something to SQL or LIKE, NUL, multi-byte UTF-8. */
    private static final List<String> STRINGS = List.of(
            "ab",
            "a\u0000b",
            "\u0000\u0000",
            "x%_y",
            "x_%y",
            "xAy",
            "%",
            "__",
            "é",
            "e\u0301",
            "日本",
            "日",
            "😀x",
            "it's",
            "\\x00",
            "AB",
            LONG,
            LONG.substring(0, LONG.length() - 1),
            "LL");

    private static final String[] PATHS = {"a", "b", "c", "a.x", "b[0]", "c.x"};

    private static @Nullable Object value(Random r, int depth) {
        int k = r.nextInt(depth > 0 ? 6 : 4);
        return switch (k) {
            case 0 -> null;
            case 1 -> (long) r.nextInt(3);
            case 2, 3 -> STRINGS.get(r.nextInt(STRINGS.size()));
            case 4 -> {
                List<Object> items = new ArrayList<>();
                for (int i = r.nextInt(3); i > 0; i--) items.add(value(r, depth - 1));
                yield items;
            }
            default -> {
                Map<String, Object> obj = new LinkedHashMap<>();
                obj.put("x", value(r, depth - 1));
                yield obj;
            }
        };
    }

    private static String run(Starling db, String statement, Map<String, ?> args) {
        try {
            return db.store().execute(statement, args).toJson();
        } catch (StarlingException e) {
            return "! " + e.errorCode().code() + ": " + e.getMessage();
        }
    }

    @Test
    void aHeldStringScanReturnsWhatTheIdScanAndSqliteReturn() {
        long seed = new Random().nextLong();
        System.out.println("PostgresHeldStringScanTest seed " + seed);
        Random r = new Random(seed);
        Starling pg = postgres(TestPostgres.newSchemaUrl(), "pg", Duration.ofSeconds(60));
        Starling lite = sqlite();
        List<Map<String, Object>> docs = new ArrayList<>();
        for (int i = 0; i < 300; i++) { // several chunks: the first has 64 rows, the next ones more
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("_id", (long) i);
            // the long strings in two documents only (a document takes at most 5 MiB)
            for (String f : List.of("a", "b", "c")) doc.put(f, shortOnly(value(r, 2)));
            docs.add(doc);
        }
        docs.get(7).put("a", LONG); // the long strings, surely
        docs.get(8).put("b", LONG.substring(0, LONG.length() - 1));
        for (Starling db : List.of(pg, lite)) {
            for (int from = 0; from < docs.size(); from += 50) {
                db.store().execute("INSERT INTO c DOCUMENTS (:d)", Map.of("d", docs.subList(from, from + 50)));
            }
            db.store().execute("UPDATE c SET a = 'changed', b = MISSING WHERE _id = 3"); // history in the state
            db.store().execute("DELETE FROM c WHERE _id = 4"); // a tombstone to leave out
        }
        int nonEmpty = 0;
        for (int q = 0; q < 120; q++) {
            Map<String, Object> args = new LinkedHashMap<>();
            StringBuilder where = new StringBuilder();
            int conjuncts = 1 + r.nextInt(3);
            for (int k = 0; k < conjuncts; k++) {
                String p = "p" + k;
                args.put(p, STRINGS.get(r.nextInt(STRINGS.size())));
                where.append(k == 0 ? "" : " AND ")
                        .append(PATHS[r.nextInt(PATHS.length)])
                        .append(" = :")
                        .append(p);
            }
            if (r.nextInt(4) == 0) where.append(" AND b != 1"); // not a string equality: tested, not held
            String select = r.nextBoolean() ? "SELECT * FROM c WHERE " : "SELECT _id, c FROM c WHERE ";
            String scanned = select + where;
            String reference = scanned + " ORDER BY _id";
            String context = "seed " + seed + ": " + scanned + " with " + abbreviated(args);
            assertThat(run(pg, "EXPLAIN " + scanned, args)).as(context).contains("\"FullScan\"");
            assertThat(run(pg, "EXPLAIN " + reference, args)).as(context).doesNotContain("\"FullScan\"");
            String expected = run(pg, reference, args);
            assertThat(expected).as(context).doesNotStartWith("!");
            assertThat(run(pg, scanned, args)).as(context).isEqualTo(expected);
            assertThat(run(lite, scanned, args)).as(context + " on SQLite").isEqualTo(expected);
            if (!expected.contains("\"items\":[]")) nonEmpty++;
        }
        // the queries must find documents often, or equality proves little
        assertThat(nonEmpty).as("seed " + seed + ": queries with matches").isGreaterThan(10);
    }

    private static @Nullable Object shortOnly(@Nullable Object v) {
        if (v instanceof String s) return s.length() > 1000 ? "LL" : s;
        if (v instanceof List<?> items) {
            List<Object> out = new ArrayList<>();
            for (Object item : items) out.add(shortOnly(item));
            return out;
        }
        if (v instanceof Map<?, ?> obj) {
            Map<String, Object> out = new LinkedHashMap<>();
            obj.forEach((k, x) -> out.put((String) k, shortOnly(x)));
            return out;
        }
        return v;
    }

    private static String abbreviated(Map<String, Object> args) {
        Map<String, Object> out = new LinkedHashMap<>();
        args.forEach((k, v) -> out.put(k, v instanceof String s && s.length() > 40 ? s.length() + " chars" : v));
        return out.toString();
    }

    /**
     * 5,000 states of 16,000 'a's, searched for 8,000 'a's and a 'b': the engine hands over the run's last 64 bytes
     * (StatementRunner.MAX_HELD_RUN), 63 'a's and a 'b', about a megabyte of comparisons a state and none found.
     */
    private String fillWithNearMisses(String url) {
        Starling filler = postgres(url, "filler", Duration.ofMinutes(10));
        String as = "a".repeat(16_000);
        for (int from = 0; from < 5_000; from += 100) {
            List<Map<String, Object>> docs = new ArrayList<>();
            for (int i = from; i < from + 100; i++) docs.add(Map.of("_id", i, "s", as));
            filler.store().execute("INSERT INTO c DOCUMENTS (:docs)", Map.of("docs", docs));
        }
        filler.close();
        open.remove(filler);
        return "a".repeat(8_000) + "b";
    }

    /**
     * PostgreSQL tests every state and returns none: only the polls between chunks can stop the statement. In one
     * statement the search takes several times the limit (five gigabytes of comparisons) and ends with no rows and no
     * error.
     */
    @Test
    void aScanThatPostgresqlNarrowsToNothingStopsAtTheDeadline() {
        String url = TestPostgres.newSchemaUrl();
        String needle = fillWithNearMisses(url);
        Starling pg = postgres(url, "pg", Duration.ofMillis(50));
        assertThatThrownBy(() -> pg.store().execute("SELECT * FROM c WHERE s = :p", Map.of("p", needle)))
                .isInstanceOfSatisfying(QueryException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.QUERY_TIMEOUT);
                    assertThat(e.getMessage())
                            .isEqualTo("the statement ran longer than its time limit of 50 ms and was stopped;"
                                    + " nothing it changed was kept (the limit is StarlingConfig.statementTimeout,"
                                    + " --statement-timeout on the command line)");
                });
        // the store goes on serving, and a timed-out scan inside a transaction leaves the transaction usable (a
        // cancelled PostgreSQL statement would have aborted it)
        String done = pg.store().transaction(tx -> {
            tx.execute("INSERT INTO c DOCUMENTS ({'_id': 'before'})");
            assertThatThrownBy(() -> tx.execute("SELECT _id FROM c WHERE s = :p", Map.of("p", needle)))
                    .isInstanceOfSatisfying(
                            QueryException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.QUERY_TIMEOUT));
            tx.execute("INSERT INTO c DOCUMENTS ({'_id': 'after'})");
            return "done";
        });
        assertThat(done).isEqualTo("done");
        assertThat(pg.store()
                        .execute("SELECT _id FROM c WHERE _id IN ['before', 'after'] ORDER BY _id")
                        .toJson())
                .isEqualTo("{\"items\":[{\"_id\":\"after\"},{\"_id\":\"before\"}],\"mutatedDocumentIds\":[]}");
    }
}
