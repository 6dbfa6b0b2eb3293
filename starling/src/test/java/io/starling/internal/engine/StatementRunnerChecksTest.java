package io.starling.internal.engine;

import static io.starling.internal.engine.EngineSyncStoreTest.id;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.ErrorCode;
import io.starling.QueryException;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.Store;
import io.starling.internal.core.Limits;
import io.starling.internal.core.Value;
import io.starling.internal.storage.InMemoryStorage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The statement runner's own checks, each where it is the only one: what a write may store (values from arguments,
 * which no parser sees), the deepest path a write may use, statements on system collections, damaged rows met by
 * readers and by id, and ids that cannot name a document.
 */
class StatementRunnerChecksTest {
    final List<DefaultStarling> peers = new ArrayList<>();
    final List<InMemoryStorage> storages = new ArrayList<>();

    DefaultStarling peer() {
        InMemoryStorage storage = new InMemoryStorage();
        DefaultStarling p = DefaultStarling.open(
                StarlingConfig.builder().appId("runnertest").build(),
                Path.of("memory"),
                storage,
                java.time.Clock.systemUTC());
        peers.add(p);
        storages.add(storage);
        return p;
    }

    @AfterEach
    void closeAll() {
        peers.forEach(DefaultStarling::close);
    }

    static void assertInvalid(String message, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StarlingException.class, e -> {
            assertThat(e.errorCode()).as(e.getMessage()).isEqualTo(ErrorCode.DOCUMENT_INVALID);
            assertThat(e).hasMessageStartingWith(message);
        });
    }

    static final String LONE = "a\uD800b";

    @Test
    void anInsertedDocumentThatCannotBeStoredIsRefusedAsTheDocument() {
        Store store = peer().store();
        // the runner names the problem before the codec would refuse the encoding
        assertInvalid(
                "the document holds a string that is not valid Unicode",
                () -> store.execute("INSERT INTO c DOCUMENTS (:d)", Map.of("d", Map.of("_id", 1, "s", LONE))));
        assertInvalid(
                "the document holds a string that is not valid Unicode",
                () -> store.execute("INSERT INTO c DOCUMENTS ({'_id': 1, 's': :s})", Map.of("s", LONE)));
        assertThat(store.execute("SELECT * FROM c").items()).isEmpty();
    }

    @Test
    void anUpdatedValueThatCannotBeStoredIsRefusedWithItsField() {
        Store store = peer().store();
        store.execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'o': {}})");
        assertInvalid("field s ", () -> store.execute("UPDATE c SET s = :s", Map.of("s", LONE)));
        assertInvalid("field o.t ", () -> store.execute("UPDATE c SET o.t = :s", Map.of("s", List.of(LONE))));
        assertThat(store.execute("SELECT * FROM c").items().get(0).value()).isEqualTo(Map.of("_id", 1L, "o", Map.of()));
    }

    @Test
    void aPathAsDeepAsADocumentMayBeWrittenAndUnset() {
        Store store = peer().store();
        store.execute("INSERT INTO c DOCUMENTS ({'_id': 1})");
        String path = String.join(".", java.util.Collections.nCopies(Limits.MAX_PATH_SEGMENTS, "a"));
        store.execute("UPDATE c SET " + path + " = 1");
        Object v = store.execute("SELECT " + path + " AS v FROM c")
                .items()
                .get(0)
                .value()
                .get("v");
        assertThat(v).isEqualTo(1L);
        store.execute("UPDATE c UNSET " + path);
        assertThat(store.execute("SELECT " + path + " AS v FROM c")
                        .items()
                        .get(0)
                        .value())
                .doesNotContainKey("v");
    }

    @Test
    void readingSystemCollectionsInsideAWriteTransactionSeesThem() {
        Store store = peer().store();
        store.execute("CREATE INDEX by_v ON c (v)");
        List<?> inside = store.transaction(
                tx -> tx.execute("SELECT * FROM system:indexes").items());
        assertThat(inside).hasSize(1);
    }

    @Test
    void indexStatementsOnASystemCollectionAreRefusedWhereTheyStart() {
        Store store = peer().store();
        for (String statement : List.of(
                "\n  CREATE INDEX x ON `system:info` (a)",
                "\n  DROP INDEX x ON `system:info`",
                "\n  DELETE FROM system:info")) {
            assertThatThrownBy(() -> store.execute(statement)).isInstanceOfSatisfying(QueryException.class, e -> {
                assertThat(e.errorCode()).as(e.getMessage()).isEqualTo(ErrorCode.QUERY_INVALID);
                assertThat(e).hasMessageContaining("read-only system collection");
                if (!statement.contains("DELETE")) {
                    assertThat(e.line()).as(statement).isEqualTo(2);
                    assertThat(e.column()).as(statement).isEqualTo(3);
                }
            });
        }
    }

    @Test
    void damagedRowsAreCountedWhenReadersSkipThemAndNamedWhenReadById() {
        DefaultStarling p = peer();
        p.store().execute("INSERT INTO c DOCUMENTS ({'_id': 'ok'}), ({'_id': 'bad'})");
        storages.get(0).write(tx -> tx.put("c", id("bad"), true, new byte[] {1, 0, 31}));
        assertThat(p.defaultStore().runner().damagedCount()).isZero();
        assertThat(p.store().execute("SELECT _id FROM c").items()).hasSize(1);
        assertThat(p.defaultStore().runner().damagedCount()).isEqualTo(1);
        assertThat(p.store().execute("SELECT _id FROM c").items()).hasSize(1);
        assertThat(p.defaultStore().runner().damagedCount()).isEqualTo(2);
        assertThatThrownBy(() -> p.defaultStore().documentState("c", Value.of("bad")))
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.STORE_CORRUPT))
                .hasMessageStartingWith("document \"bad\" in c is damaged");
    }

    @Test
    void aLookupByAnIdThatCannotNameADocumentFindsNothing() {
        Store store = peer().store();
        store.execute("INSERT INTO c DOCUMENTS ({'_id': 1})");
        for (String id : List.of("1.5", "null", "[1, 2]", "{}")) {
            assertThat(store.execute("SELECT * FROM c WHERE _id = " + id).items())
                    .as(id)
                    .isEmpty();
        }
        assertThat(store.execute("SELECT * FROM c WHERE _id = :id", Map.of("id", 1.5))
                        .items())
                .isEmpty();
    }
}
