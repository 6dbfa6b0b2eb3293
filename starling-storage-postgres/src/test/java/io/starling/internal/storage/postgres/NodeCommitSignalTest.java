package io.starling.internal.storage.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.ObserverHandle;
import io.starling.StarlingConfig;
import io.starling.StoreChange;
import io.starling.internal.engine.DefaultStarling;
import io.starling.testsupport.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Engine nodes on one PostgreSQL whose tails read the log only once an hour: what reaches another node's observers
 * reaches it through the commit signal (LISTEN/NOTIFY, docs/SERVER.md "Tailing the change log") alone. Without the
 * signal, none of these writes would reach node B within the tests' deadlines.
 */
class NodeCommitSignalTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final Duration NO_POLL = Duration.ofHours(1);
    private static final String TASKS = "SELECT * FROM tasks";

    private final List<DefaultStarling> open = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void closeAll() {
        for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
    }

    private DefaultStarling node(String url) {
        Path own = dir.resolve("node" + open.size());
        PostgresStorage storage =
                PostgresStorage.open(url, PostgresStorage.Options.defaults().withValues(DocumentValues.INSTANCE));
        DefaultStarling db = DefaultStarling.openNodeReadingTheLogEvery(
                StarlingConfig.builder().databaseDirectory(own).appId("tasks").build(), own, storage, NO_POLL);
        open.add(db);
        return db;
    }

    private static void insert(DefaultStarling db, String id) {
        db.store().execute("INSERT INTO tasks DOCUMENTS (:d)", Map.of("d", Map.of("_id", id, "title", "t " + id)));
    }

    private static List<String> changedIds(DefaultStarling db) {
        List<String> ids = new ArrayList<>();
        long after = 0;
        while (true) {
            StoreChange.Page page = db.store().changes(after, 500, Set.of());
            for (StoreChange c : page.changes()) ids.add(c.idJson());
            if (page.changes().isEmpty()) return ids;
            after = page.cursor();
        }
    }

    private static PostgresStorage storageOf(DefaultStarling db) {
        return (PostgresStorage) db.storage();
    }

    @Test
    void aCommitOnOneNodeReachesTheObserversOfAnotherWithoutAPoll() {
        String url = TestPostgres.newSchemaUrl();
        DefaultStarling a = node(url);
        DefaultStarling b = node(url);
        Await.until("node B listens for commits", DEADLINE, b::tailListening);
        List<Integer> sizes = new CopyOnWriteArrayList<>();
        AtomicInteger commits = new AtomicInteger();
        try (ObserverHandle live = b.store()
                        .registerObserver(
                                TASKS, Map.of(), r -> sizes.add(r.items().size()));
                ObserverHandle feed = b.store().observeCommits(commits::incrementAndGet)) {
            insert(a, "one");
            Await.until("node B's live query sees node A's write", DEADLINE, () -> sizes.contains(1), () -> sizes);
            Await.until("node B's commit observers are woken", DEADLINE, () -> commits.get() > 0);
            insert(a, "two");
            Await.until("and the next one", DEADLINE, () -> sizes.contains(2), () -> sizes);
        }
    }

    @Test
    void aListenerWhoseConnectionIsTerminatedReconnectsAndNothingIsLostOrReordered() {
        String url = TestPostgres.newSchemaUrl();
        DefaultStarling a = node(url);
        DefaultStarling b = node(url);
        Await.until("node B listens for commits", DEADLINE, () -> storageOf(b).listenerBackendPid() != 0);
        int pid = storageOf(b).listenerBackendPid();
        List<Integer> sizes = new CopyOnWriteArrayList<>();
        try (ObserverHandle live = b.store()
                .registerObserver(TASKS, Map.of(), r -> sizes.add(r.items().size()))) {
            insert(a, "before");
            Await.until("node B sees the first write", DEADLINE, () -> sizes.contains(1), () -> sizes);
            TestPostgres.execute(url, "SELECT pg_terminate_backend(" + pid + ")");
            // written while node B's listener is down or reconnecting (or just after): no notification of it may
            // reach B; the wake-up that comes with listening again carries them
            List<String> expected = new ArrayList<>(List.of("\"before\""));
            for (int i = 0; i < 20; i++) {
                insert(a, "while" + i);
                expected.add("\"while" + i + "\"");
            }
            Await.until(
                    "node B listens again, on a new connection",
                    DEADLINE,
                    () -> storageOf(b).listenerBackendPid() != 0 && storageOf(b).listenerBackendPid() != pid);
            Await.until("node B sees every write", DEADLINE, () -> sizes.contains(21), () -> sizes);
            insert(a, "after");
            expected.add("\"after\"");
            Await.until(
                    "a write after the reconnection reaches node B by its notification",
                    DEADLINE,
                    () -> sizes.contains(22),
                    () -> sizes);
            assertThat(changedIds(b)).as("node B's change feed, in log order").containsExactlyElementsOf(expected);
        }
    }

    @Test
    void aRolledBackTransactionReachesNobody() {
        String url = TestPostgres.newSchemaUrl();
        DefaultStarling a = node(url);
        DefaultStarling b = node(url);
        Await.until("node B listens for commits", DEADLINE, b::tailListening);
        List<List<String>> results = new CopyOnWriteArrayList<>();
        try (ObserverHandle live = b.store().registerObserver(TASKS, Map.of(), r -> {
            List<String> ids = new ArrayList<>();
            for (var item : r.items()) ids.add(String.valueOf(item.value().get("_id")));
            results.add(ids);
        })) {
            assertThatThrownBy(() -> a.store().transaction(tx -> {
                        tx.execute(
                                "INSERT INTO tasks DOCUMENTS (:d)",
                                Map.of("d", Map.of("_id", "rolled-back", "title", "x")));
                        throw new IllegalStateException("roll back");
                    }))
                    .hasMessageContaining("roll back");
            insert(a, "committed");
            Await.until(
                    "node B sees the committed write",
                    DEADLINE,
                    () -> results.contains(List.of("committed")),
                    () -> results);
            assertThat(results)
                    .as("every result node B's live query saw")
                    .allSatisfy(ids -> assertThat(ids).doesNotContain("rolled-back"));
            assertThat(changedIds(b)).containsExactly("\"committed\"");
        }
    }
}
