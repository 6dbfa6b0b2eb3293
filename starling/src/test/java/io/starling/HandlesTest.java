package io.starling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.starling.testsupport.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every handle the API gives out ({@link StoreObserver}, {@link SyncSubscription}, the {@link ObserverHandle}s of
 * presence and peer observers, {@link Starling} itself) closes without throwing: twice, from inside its own
 * callback, and after the instance was closed. Once {@code close()} has returned, its callback is not called again.
 */
class HandlesTest {
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private Starling open() {
        return Starling.open(StarlingConfig.builder().databaseDirectory(dir).build());
    }

    @Test
    void everyHandleClosesTwiceWithoutThrowing() {
        try (Starling db = open()) {
            List<AutoCloseable> handles = List.of(
                    db.store().registerObserver("SELECT * FROM c", Map.of(), change -> {}),
                    db.store().registerObserverWithSignalNext("SELECT * FROM c", Map.of(), (c, next) -> next.run()),
                    db.sync().registerSubscription("SELECT * FROM c", Map.of()),
                    db.sync().observePeers(peers -> {}),
                    db.presence().observe(graph -> {}));
            for (AutoCloseable h : handles) {
                assertThatCode(() -> {
                            h.close();
                            h.close();
                        })
                        .as("closing %s twice", h)
                        .doesNotThrowAnyException();
            }
            assertThat(handles).allSatisfy(h -> assertThat(isClosed(h)).isTrue());
            assertThat(db.sync().subscriptions()).isEmpty();
        }
    }

    @Test
    void handlesCloseQuietlyAfterTheInstanceClosedAndTheInstanceClosesTwice() {
        Starling db = open();
        List<AutoCloseable> handles = List.of(
                db.store().registerObserver("SELECT * FROM c", Map.of(), change -> {}),
                db.sync().registerSubscription("SELECT * FROM c", Map.of()),
                db.sync().observePeers(peers -> {}),
                db.presence().observe(graph -> {}));
        db.close();
        assertThatCode(db::close).as("closing the instance again").doesNotThrowAnyException();
        for (AutoCloseable h : handles) {
            assertThatCode(h::close).as("closing %s after the instance", h).doesNotThrowAnyException();
        }
        assertThat(handles).allSatisfy(h -> assertThat(isClosed(h)).isTrue());
    }

    @Test
    void aPresenceObserverIsNotCalledOnceClosedAndMayCloseItselfFromItsCallback() {
        try (Starling db = open()) {
            AtomicInteger calls = new AtomicInteger();
            ObserverHandle counting = db.presence().observe(graph -> calls.incrementAndGet());
            AtomicReference<ObserverHandle> self = new AtomicReference<>();
            AtomicInteger selfCalls = new AtomicInteger();
            self.set(db.presence().observe(graph -> {
                selfCalls.incrementAndGet();
                self.get().close(); // from inside its own callback: no deadlock, no exception
            }));

            db.presence().setMetadata(Map.of("n", 1)); // delivered on this thread
            assertThat(calls).hasValue(1);
            assertThat(selfCalls).hasValue(1);
            assertThat(self.get().isClosed()).isTrue();

            counting.close();
            db.presence().setMetadata(Map.of("n", 2));
            assertThat(calls).as("no call after close() returned").hasValue(1);
            assertThat(selfCalls).hasValue(1);
        }
    }

    @Test
    void aStoreObserverMayCloseItselfFromItsCallback() {
        try (Starling db = open()) {
            AtomicReference<StoreObserver> self = new AtomicReference<>();
            AtomicInteger calls = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            java.util.concurrent.CountDownLatch registered = new java.util.concurrent.CountDownLatch(1);
            self.set(db.store().registerObserver("SELECT * FROM c", Map.of(), change -> {
                calls.incrementAndGet();
                try {
                    Await.latch("the registration to return", DEADLINE, registered);
                    self.get().close();
                } catch (Throwable t) {
                    failure.set(t);
                }
            }));
            registered.countDown();
            Await.until(
                    "the initial delivery closed its observer",
                    DEADLINE,
                    () -> self.get().isClosed());
            db.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1})");
            assertThat(failure.get()).isNull();
            assertThat(calls).hasValue(1);
        }
    }

    private static boolean isClosed(AutoCloseable h) {
        if (h instanceof ObserverHandle o) return o.isClosed();
        if (h instanceof SyncSubscription s) return s.isClosed();
        throw new AssertionError("not a handle of the API: " + h);
    }
}
