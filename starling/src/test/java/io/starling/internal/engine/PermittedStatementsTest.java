package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.ErrorCode;
import io.starling.QueryResult;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.internal.core.Value;
import io.starling.internal.query.Permissions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Statements run with a permission set ({@link DefaultStore#execute(String, Map, Permissions.Grant)}): what they read
 * is exactly what {@code SELECT … WHERE (the read conditions)} returns, and writes are checked before and after.
 */
class PermittedStatementsTest {
    @TempDir
    Path dir;

    private Starling db;
    private DefaultStore store;

    @BeforeEach
    void open() {
        db = Starling.open(
                StarlingConfig.builder().databaseDirectory(dir.resolve("db")).build());
        store = (DefaultStore) db.store();
    }

    @AfterEach
    void close() {
        db.close();
    }

    private static Permissions.Grant grant(String user, String read, String write) {
        Map<String, Object> r = Map.of("queriesByCollection", Map.of("c", List.of(read)));
        Map<String, Object> w = Map.of("queriesByCollection", Map.of("c", List.of(write)));
        return Permissions.parse(Value.fromJava(Map.of("read", r, "write", w))).grant(user, Value.Obj.EMPTY);
    }

    private static List<String> json(QueryResult r) {
        List<String> out = new ArrayList<>();
        r.items().forEach(i -> out.add(i.json()));
        return out;
    }

    /** Random documents and conditions: a restricted SELECT equals the unrestricted one with the condition ANDed. */
    @Test
    void aRestrictedSelectReturnsWhatTheConditionSelects() {
        long seed = new Random().nextLong();
        System.out.println("PermittedStatementsTest seed " + seed);
        Random random = new Random(seed);
        String[] owners = {"alice", "bob", "carol"};
        for (int i = 0; i < 200; i++) {
            store.execute(
                    "INSERT INTO c DOCUMENTS (:d)",
                    Map.of(
                            "d",
                            Map.of(
                                    "_id",
                                    i,
                                    "owner",
                                    owners[random.nextInt(3)],
                                    "n",
                                    (long) random.nextInt(50),
                                    "shared",
                                    random.nextBoolean())));
        }
        if (random.nextBoolean()) store.execute("CREATE INDEX by_n ON c (n)");
        String[] conditions = {"owner = :userId", "shared = true", "n < 10 OR owner = :userId", "n >= 25 AND shared"};
        String[] queries = {
            "SELECT * FROM c ORDER BY _id",
            "SELECT * FROM c WHERE n > 20 ORDER BY n, _id",
            "SELECT COUNT(*) AS k FROM c",
            "SELECT owner, COUNT(*) AS k FROM c GROUP BY owner ORDER BY owner",
            "SELECT * FROM c WHERE _id = 7"
        };
        for (int round = 0; round < 20; round++) {
            String user = owners[random.nextInt(3)];
            String condition = conditions[random.nextInt(conditions.length)];
            Permissions.Grant g = grant(user, condition, "false");
            for (String q : queries) {
                String filtered = q.contains("WHERE")
                        ? q.replace("WHERE ", "WHERE (" + condition + ") AND (").replace(" ORDER", ") ORDER")
                        : q.replace("FROM c", "FROM c WHERE " + condition);
                if (q.endsWith("_id = 7")) filtered = filtered + ")";
                assertThat(json(store.execute(q, Map.of(), g)))
                        .as("seed %d, %s as %s with %s", seed, q, user, condition)
                        .isEqualTo(json(store.execute(filtered, Map.of("userId", user))));
            }
        }
    }

    @Test
    void writesNeedTheDocumentWritableBeforeAndAfterAndFailWhole() {
        store.execute("INSERT INTO c DOCUMENTS ({'_id': 'a', 'owner': 'alice'}), ({'_id': 'b', 'owner': 'bob'})");
        Permissions.Grant alice = grant("alice", "owner = :userId", "owner = :userId");
        assertThat(store.execute("UPDATE c SET x = 1", Map.of(), alice).mutatedDocumentIds())
                .containsExactly("a");
        assertThatThrownBy(() -> store.execute("UPDATE c SET owner = 'bob'", Map.of(), alice))
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.PERMISSION_DENIED))
                .hasMessageContaining("new value");
        assertThatThrownBy(() -> store.execute(
                        "INSERT INTO c DOCUMENTS ({'_id': 'b', 'owner': 'alice'}) ON ID CONFLICT DO UPDATE",
                        Map.of(),
                        alice))
                .hasMessageContaining("stored value");
        assertThatThrownBy(() -> store.execute(
                        "INSERT INTO c DOCUMENTS ({'_id': 'c1', 'owner': 'alice'}), ({'_id': 'c2', 'owner': 'x'})",
                        Map.of(),
                        alice))
                .hasMessageContaining("\"c2\"");
        assertThat(json(store.execute("SELECT _id, owner FROM c ORDER BY _id")))
                .containsExactly("{\"_id\":\"a\",\"owner\":\"alice\"}", "{\"_id\":\"b\",\"owner\":\"bob\"}");
        assertThat(store.execute("DELETE FROM c", Map.of(), alice).mutatedDocumentIds())
                .containsExactly("a");

        // the change feed as the grant sees it: bob's document skipped, the delete of a shown
        List<String> ids = new ArrayList<>();
        store.changes(0, 100, Set.of(), alice)
                .changes()
                .forEach(ch -> ids.add(ch.idJson() + (ch.deleted() ? "-" : "")));
        assertThat(ids).containsExactly("\"a\"-");
    }
}
