package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.QueryResultItem;
import io.starling.StarlingConfig;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.storage.InMemoryStorage;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * Indexes stay exact under every write path: two stores receive the same random writes (inserts with
 * every conflict mode, updates, deletes, evictions, remote merges, rolled-back transactions), one with
 * indexes and one without; every query must return the same items, and EXPLAIN must show that the
 * indexed store used an index where one applies.
 */
class IndexMaintenanceTest {
    static final String[] QUERIES = {
        "SELECT _id, a FROM c WHERE a = 2",
        "SELECT _id FROM c WHERE a IN [1, 3, 'x']",
        "SELECT _id, a, b.n FROM c WHERE a >= 2 ORDER BY a DESC, _id LIMIT 3",
        "SELECT _id FROM c WHERE b.n < 5 OR a = 'x'",
        "SELECT _id FROM c WHERE a IS MISSING",
        "SELECT _id, s FROM c WHERE s LIKE 'ab%'",
        "SELECT COUNT(*) AS n FROM c",
        "SELECT a, COUNT(*) AS n FROM c WHERE a > 0 GROUP BY a ORDER BY a",
    };

    static DefaultStarling memoryStore() {
        return DefaultStarling.open(
                StarlingConfig.builder().build(), Path.of("memory"), new InMemoryStorage(), Clock.systemUTC());
    }

    @Property(tries = 150)
    void indexedAndUnindexedStoresAnswerAlike(@ForAll long seed) {
        Random r = new Random(seed);
        try (DefaultStarling indexed = memoryStore();
                DefaultStarling plain = memoryStore()) {
            // some indexes exist before the data, some are created (back-filled) halfway
            indexed.store().execute("CREATE INDEX by_a ON c (a)");
            for (int step = 0; step < 60; step++) {
                if (step == 30) {
                    indexed.store().execute("CREATE INDEX by_bn_a ON c (b.n DESC, a)");
                    indexed.store().execute("CREATE INDEX by_s ON c (s)");
                }
                randomWrite(r, seed, step, indexed.defaultStore(), plain.defaultStore());
            }
            for (String q : QUERIES) {
                assertThat(json(indexed, q)).as("%s (seed %s)", q, seed).isEqualTo(json(plain, q));
            }
            assertThat(json(indexed, "EXPLAIN SELECT _id FROM c WHERE a = 2")).contains("IndexScan");
        }
    }

    private static void randomWrite(Random r, long seed, int step, DefaultStore... stores) {
        int id = r.nextInt(15);
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("_id", id);
        if (r.nextInt(5) > 0) doc.put("a", r.nextInt(6) == 0 ? "x" : (Object) (long) r.nextInt(4));
        if (r.nextBoolean()) doc.put("b", Map.of("n", (long) r.nextInt(8)));
        if (r.nextBoolean()) doc.put("s", r.nextBoolean() ? "abc" + r.nextInt(3) : "zz");
        long remoteHlc = (System.currentTimeMillis() << 16) + step;
        DocumentState remote =
                DocumentState.empty().insert((Value.Obj) Value.fromJava(doc), new Stamp(remoteHlc, 424242));
        int kind = r.nextInt(8);
        for (DefaultStore store : stores) {
            switch (kind) {
                case 0:
                    store.execute("INSERT INTO c DOCUMENTS (:d) ON ID CONFLICT DO UPDATE", Map.of("d", doc));
                    break;
                case 1:
                    store.execute("INSERT INTO c DOCUMENTS (:d) ON ID CONFLICT DO NOTHING", Map.of("d", doc));
                    break;
                case 2:
                    store.execute("UPDATE c SET a = :a WHERE _id = :id", Map.of("a", (long) (step % 4), "id", id));
                    break;
                case 3:
                    store.execute("UPDATE c UNSET a, b WHERE _id = :id", Map.of("id", id));
                    break;
                case 4:
                    store.execute("DELETE FROM c WHERE _id = :id", Map.of("id", id));
                    break;
                case 5:
                    store.execute("EVICT FROM c WHERE _id = :id", Map.of("id", id));
                    break;
                case 6:
                    store.mergeRemote(List.of(new DefaultStore.RemoteDocument("c", Value.of(id), remote)));
                    break;
                default:
                    assertThatThrownBy(() -> store.transaction(tx -> {
                                tx.execute("INSERT INTO c DOCUMENTS (:d) ON ID CONFLICT DO UPDATE", Map.of("d", doc));
                                throw new IllegalStateException("roll back (seed " + seed + ")");
                            }))
                            .isInstanceOf(IllegalStateException.class);
            }
        }
    }

    static String json(DefaultStarling db, String q) {
        List<String> out = new ArrayList<>();
        for (QueryResultItem i : db.store().execute(q).items()) out.add(i.json());
        return String.join("\n", out);
    }

    @Test
    void aRolledBackCreateIndexLeavesNoIndex() {
        try (DefaultStarling db = memoryStore()) {
            db.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'a': 1})");
            assertThatThrownBy(() -> db.store().transaction(tx -> {
                        tx.execute("CREATE INDEX by_a ON c (a)");
                        assertThat(tx.execute("EXPLAIN SELECT * FROM c WHERE a = 1")
                                        .items()
                                        .get(0)
                                        .json())
                                .contains("IndexScan");
                        throw new IllegalStateException("no");
                    }))
                    .isInstanceOf(IllegalStateException.class);
            assertThat(json(db, "SELECT name FROM system:indexes")).isEmpty();
            assertThat(json(db, "EXPLAIN SELECT * FROM c WHERE a = 1")).contains("FullScan");
            db.store().execute("CREATE INDEX by_a ON c (a)"); // the name is free
            assertThat(json(db, "SELECT _id FROM c WHERE a = 1")).isEqualTo("{\"_id\":1}");
        }
    }

    @Test
    void indexesSurviveAReopen(@org.junit.jupiter.api.io.TempDir Path dir) {
        StarlingConfig config = StarlingConfig.builder().databaseDirectory(dir).build();
        try (DefaultStarling db = DefaultStarling.open(config, Clock.systemUTC())) {
            db.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'a': 1}), ({'_id': 2, 'a': 2})");
            db.store().execute("CREATE INDEX by_a ON c (a DESC)");
        }
        try (DefaultStarling db = DefaultStarling.open(config, Clock.systemUTC())) {
            assertThat(json(db, "EXPLAIN SELECT * FROM c WHERE a = 2")).contains("by_a");
            db.store().execute("UPDATE c SET a = 5 WHERE _id = 1");
            assertThat(json(db, "SELECT _id FROM c WHERE a = 5")).isEqualTo("{\"_id\":1}");
            assertThat(json(db, "SELECT _id FROM c WHERE a = 1")).isEmpty();
        }
    }
}
