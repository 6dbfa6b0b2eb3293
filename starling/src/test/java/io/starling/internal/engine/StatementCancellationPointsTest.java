package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.ErrorCode;
import io.starling.StarlingException;
import io.starling.internal.storage.DocumentStorage;
import io.starling.internal.storage.InMemoryStorage;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The polls of the write phases that nothing else polls: CREATE INDEX's scan of the collection, the loops of
 * UPDATE, DELETE and EVICT that write the matched documents, and INSERT's resolution of its ids. Deterministic: the
 * store's deadline clock, wall clock and storage are the test's, so the deadline passes, or the store starts
 * closing, exactly where the test says.
 */
class StatementCancellationPointsTest {
    static final long SITE = 0x5eed;

    /** Nanoseconds that stand still until {@link #run} is set, then move a second per reading. */
    final AtomicLong nanos = new AtomicLong();

    volatile boolean run;

    /** The wall clock; once {@link #readsUntilClose} reaches 0 on a reading, the store starts closing. */
    final AtomicInteger readsUntilClose = new AtomicInteger(-1);

    DefaultStore store;

    final Clock wall = new Clock() {
        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            if (readsUntilClose.getAndDecrement() == 1) store.cancelRunning();
            return Instant.ofEpochMilli(1_700_000_000_000L);
        }
    };

    final InMemoryStorage storage = new InMemoryStorage();

    /** Once this reaches 0 on a row removal, the store starts closing (EVICT reads no clock to hook instead). */
    final AtomicInteger removesUntilClose = new AtomicInteger(-1);

    /** The storage, with {@link #removesUntilClose} counted down before each row removal. */
    final DocumentStorage hooked = new DocumentStorage() {
        @Override
        public <T> T write(WriteWork<T> work) {
            return storage.write(tx -> work.run(withRemoveHook(tx)));
        }

        @Override
        public <T> T read(ReadWork<T> work) {
            return storage.read(work);
        }

        @Override
        public void close() {
            storage.close();
        }
    };

    private DocumentStorage.WriteTx withRemoveHook(DocumentStorage.WriteTx tx) {
        return (DocumentStorage.WriteTx) Proxy.newProxyInstance(
                DocumentStorage.WriteTx.class.getClassLoader(),
                new Class<?>[] {DocumentStorage.WriteTx.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("remove") && removesUntilClose.getAndDecrement() == 1) {
                        store.cancelRunning();
                    }
                    try {
                        return method.invoke(tx, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    final java.util.List<DefaultStore> stores = new java.util.ArrayList<>();

    /** A store over the test's storage, with the test's clocks (a closing store stays closing: one per close). */
    DefaultStore open(Clock clock) {
        DefaultStore s = new DefaultStore(
                hooked,
                new Timestamps(SITE, 0, 60_000, clock),
                new EngineMetrics(),
                new SystemCollections.Info(Path.of("memory"), SITE, "cancel"),
                new RunningStatements(
                        Duration.ofMillis(300), () -> run ? nanos.addAndGet(1_000_000_000L) : nanos.get()));
        stores.add(s);
        return s;
    }

    StatementCancellationPointsTest() {
        store = open(wall);
    }

    @AfterEach
    void close() {
        stores.forEach(DefaultStore::markClosed);
        storage.close();
    }

    @Test
    void createIndexStopsAtTheDeadlineWhileItScansTheCollection() {
        store.execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'v': 1}), ({'_id': 2, 'v': 2})");
        run = true; // the deadline has passed at the first poll
        assertThatThrownBy(() -> store.execute("CREATE INDEX by_v ON c (v)"))
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.QUERY_TIMEOUT));
        run = false;
        assertThat(store.execute("SELECT * FROM system:indexes").items()).isEmpty();
    }

    @Test
    void updateAndDeleteStopBetweenTheDocumentsTheyWrite() {
        store.execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'v': 1}), ({'_id': 2, 'v': 2}), ({'_id': 3, 'v': 3})");
        for (String write : new String[] {"UPDATE c SET v = 0", "DELETE FROM c"}) {
            store = open(wall);
            // the statement reads the wall clock for its NOW, then once per stamp: the store starts closing as the
            // first document is stamped, after the scan that found all three
            readsUntilClose.set(2);
            assertThatThrownBy(() -> store.execute(write))
                    .as(write)
                    .isInstanceOfSatisfying(
                            StarlingException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.CLOSED));
            assertThat(readsUntilClose.get())
                    .as("closing began at the first stamp")
                    .isLessThan(1);
            // nothing was kept; a fresh store over the same storage sees the three documents unchanged
            assertThat(open(Clock.systemUTC())
                            .execute("SELECT _id FROM c WHERE v > 0")
                            .items())
                    .hasSize(3);
        }
    }

    @Test
    void anInsertStopsAfterItsBatchBeforeResolvingItsIds() {
        // NOW, then one stamp per document: the store starts closing as the last of the three is stamped, so the
        // first loop has polled for the last time and only the second loop's poll can notice
        readsUntilClose.set(4);
        assertThatThrownBy(() -> store.execute("INSERT INTO c DOCUMENTS ({'_id': 1}), ({'_id': 2}), ({'_id': 3})"))
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.CLOSED));
        assertThat(readsUntilClose.get()).isZero();
        assertThat(open(Clock.systemUTC()).execute("SELECT _id FROM c").items()).isEmpty();
    }

    @Test
    void evictStopsBetweenTheDocumentsItRemoves() {
        store.execute("INSERT INTO c DOCUMENTS ({'_id': 1}), ({'_id': 2}), ({'_id': 3})");
        removesUntilClose.set(1); // the store starts closing as the first document is removed
        assertThatThrownBy(() -> store.execute("EVICT FROM c"))
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.CLOSED));
        assertThat(removesUntilClose.get()).as("one removal began").isZero();
        assertThat(open(Clock.systemUTC()).execute("SELECT _id FROM c").items()).hasSize(3);
    }
}
