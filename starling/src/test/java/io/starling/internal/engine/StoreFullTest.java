package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.ErrorCode;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.Store;
import io.starling.internal.storage.SqliteStorage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store whose disk is full (made deterministic with SQLite's {@code max_page_count}): every write fails with
 * {@code store/full} — never with a transaction-state error — and health says so; once space is freed, writes work
 * again without a restart and health recovers. A sync session into a full store closes with {@code store-full}
 * instead of failing as a bug, and sync catches up once space is freed.
 */
class StoreFullTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
    }

    private DefaultStarling peer(String name) {
        DefaultStarling p = (DefaultStarling) Starling.open(StarlingConfig.builder()
                .appId("fulltest")
                .databaseDirectory(tmp.resolve(name))
                .build());
        open.add(p);
        return p;
    }

    /** Caps the database at its current size plus {@code pages} pages. */
    private static void cap(DefaultStarling p, int pages) {
        SqliteStorage storage = (SqliteStorage) p.storage();
        storage.setMaxPageCountForTesting(storage.pageCountForTesting() + pages);
    }

    private static void freeSpace(DefaultStarling p) {
        ((SqliteStorage) p.storage()).setMaxPageCountForTesting(0);
    }

    private static void insert(Starling p, int id) {
        p.store().execute("INSERT INTO c DOCUMENTS (:d)", Map.of("d", Map.of("_id", id, "payload", "x".repeat(3000))));
    }

    private static long count(Starling p) {
        return (Long) p.store()
                .execute("SELECT COUNT(*) AS n FROM c")
                .items()
                .get(0)
                .value()
                .get("n");
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for: " + what).isLessThan(deadline);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    @Test
    void writesFailWithStoreFullAndHealthSaysSoUntilSpaceIsFreed() {
        DefaultStarling db = peer("db");
        insert(db, 0);
        assertThat(db.store().health().isHealthy()).isTrue();
        cap(db, 4);
        int written = 1;
        StarlingException full = null;
        for (; written < 1000 && full == null; written++) {
            try {
                insert(db, written);
            } catch (StarlingException e) {
                full = e;
            }
        }
        assertThat(full).as("the capped store never filled").isNotNull();
        assertThat(full.errorCode()).isEqualTo(ErrorCode.STORE_FULL);
        assertThat(full.errorCode().code()).isEqualTo("store/full");
        assertThat(full.isUserError()).isFalse();
        assertThat(full).hasMessageContaining("no space left");
        long stored = count(db);

        Store.Health health = db.store().health();
        assertThat(health.isHealthy()).isFalse();
        assertThat(health.problem()).isEqualTo(ErrorCode.STORE_FULL);
        assertThat(health.message()).contains("no space left");

        // every kind of write keeps failing the same way, and nothing half-applies
        // (a DELETE could succeed: a tombstone is smaller than the document it replaces)
        for (String statement : List.of(
                "UPDATE c SET payload = :big WHERE _id = 0",
                "UPDATE c SET more = :big",
                "INSERT INTO c DOCUMENTS ({'_id': 'x', 'payload': :big})")) {
            assertThatThrownBy(() -> db.store().execute(statement, Map.of("big", "y".repeat(50_000))))
                    .isInstanceOf(StarlingException.class)
                    .satisfies(e -> assertThat(((StarlingException) e).errorCode())
                            .as(e.getMessage())
                            .isEqualTo(ErrorCode.STORE_FULL));
        }
        // an application transaction that swallows the failure still commits nothing, and is told so
        assertThatThrownBy(() -> db.store().transaction(tx -> {
                    tx.execute("UPDATE c SET tag = 'half' WHERE _id = 0");
                    try {
                        tx.execute(
                                "INSERT INTO c DOCUMENTS ({'_id': 'y', 'payload': :big})",
                                Map.of("big", "z".repeat(100_000)));
                    } catch (StarlingException swallowed) {
                        assertThat(swallowed.errorCode()).isEqualTo(ErrorCode.STORE_FULL);
                    }
                    return null;
                }))
                .isInstanceOf(StarlingException.class)
                .satisfies(e -> assertThat(((StarlingException) e).errorCode()).isEqualTo(ErrorCode.STORE_FULL));
        assertThat(count(db)).isEqualTo(stored);
        assertThat(db.store().execute("SELECT * FROM c WHERE tag = 'half'").items())
                .isEmpty();
        // a user error does not change health, nor does a write that writes nothing
        assertThatThrownBy(() -> db.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1.5})"))
                .isInstanceOf(StarlingException.class);
        db.store().execute("UPDATE c SET tag = 't' WHERE _id = -1");
        assertThat(db.store().health().problem()).isEqualTo(ErrorCode.STORE_FULL);

        freeSpace(db);
        assertThat(db.store().health().isHealthy())
                .as("health follows writes, not the disk")
                .isFalse();
        insert(db, 5000);
        assertThat(db.store().health()).isEqualTo(Store.Health.healthy());
        assertThat(count(db)).isEqualTo(stored + 1);
        db.store().execute("UPDATE c SET tag = 'after' WHERE _id = 0");
        assertThat(db.store().execute("SELECT * FROM c WHERE tag = 'after'").items())
                .hasSize(1);
    }

    @Test
    void aSyncSessionIntoAFullStoreClosesWithStoreFullAndCatchesUpOnceSpaceIsFreed() {
        DefaultStarling a = peer("a");
        DefaultStarling b = peer("b");
        b.sync().registerSubscription("SELECT * FROM c", Map.of());
        for (int i = 0; i < 200; i++) insert(a, i);
        cap(b, 8);
        InMemoryTransport.Link first = InMemoryTransport.connect(a, b);
        open.add(first);
        await(
                "the session to close on the full store",
                () -> a.sync().peers().isEmpty()
                        && b.sync().peers().isEmpty()
                        && !first.endReasons().isEmpty());
        assertThat(first.endReasons()).contains("store-full").doesNotContain("internal");
        assertThat(b.store().health().problem()).isEqualTo(ErrorCode.STORE_FULL);
        long partial = count(b);
        assertThat(partial).isLessThan(200);
        first.close();

        freeSpace(b);
        InMemoryTransport.Link second = InMemoryTransport.connect(a, b);
        open.add(second);
        await("b caught up", () -> count(b) == 200);
        assertThat(b.store().health().isHealthy()).isTrue();
        assertThat(second.endReasons()).isEmpty();
    }
}
