package io.starling.internal.storage.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.Endpoint;
import io.starling.ErrorCode;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.internal.core.Value;
import io.starling.internal.engine.DefaultStarling;
import io.starling.testsupport.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several engines on one PostgreSQL database are one logical peer (docs/SERVER.md): one peer id, a site id of their
 * own for write stamps, checkpoints valid on every node, and a write on any node reaching the peers of every node.
 * Devices are SQLite peers syncing with the nodes over TCP on 127.0.0.1.
 */
class ServerNodesTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final String TASKS = "SELECT * FROM tasks";

    private final List<Starling> open = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void closeAll() {
        for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
    }

    private Starling node(String url) {
        Starling db = Starling.open(StarlingConfig.builder()
                .storageUrl(url)
                .databaseDirectory(dir.resolve("node" + open.size())) // each node's own files
                .appId("tasks")
                .listen("tcp://127.0.0.1:0")
                .build());
        open.add(db);
        db.sync().registerSubscription(TASKS, Map.of());
        return db;
    }

    private Starling device(String name, Starling node) {
        Starling db = Starling.open(StarlingConfig.builder()
                .databaseDirectory(dir.resolve(name))
                .appId("tasks")
                .connect(List.of(endpoint(node)))
                .build());
        open.add(db);
        db.sync().registerSubscription(TASKS, Map.of());
        return db;
    }

    private static Endpoint endpoint(Starling node) {
        return node.sync().listening().get(0);
    }

    private static long count(Starling db) {
        return db.store()
                                .execute("SELECT COUNT(*) AS n FROM tasks")
                                .items()
                                .get(0)
                                .value()
                                .get("n")
                        instanceof Number n
                ? n.longValue()
                : -1;
    }

    private static boolean holds(Starling db, String id) {
        return !db.store()
                .execute("SELECT * FROM tasks WHERE _id = :id", Map.of("id", id))
                .items()
                .isEmpty();
    }

    private static void insert(Starling db, String id) {
        db.store().execute("INSERT INTO tasks DOCUMENTS (:d)", Map.of("d", Map.of("_id", id, "title", "t " + id)));
    }

    /**
     * A node's directory holds its attachment files, which a starting node cleans and a node's collector deletes: two
     * nodes sharing one would delete each other's uploads in progress. The second is refused with the reason, and gets
     * the directory once the first has closed.
     */
    @Test
    void twoNodesCannotShareOneDirectory() {
        String url = TestPostgres.newSchemaUrl();
        StarlingConfig config = StarlingConfig.builder()
                .storageUrl(url)
                .databaseDirectory(dir.resolve("shared"))
                .build();
        Starling first = Starling.open(config);
        open.add(first);
        assertThat(first.config().databaseDirectory())
                .as(
                        "where the node keeps its own files (credentials, API keys, cursors), not a path named after the URL")
                .isEqualTo(dir.resolve("shared").toAbsolutePath().normalize());
        assertThatThrownBy(() -> Starling.open(config))
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.STORE_LOCKED))
                .hasMessageContaining(dir.resolve("shared").toString())
                .hasMessageContaining("this node's attachment files")
                .hasMessageContaining("STARLING_DB_PATH");
        first.close();
        Starling second = Starling.open(config);
        open.add(second);
        insert(second, "after");
        assertThat(holds(second, "after")).isTrue();
    }

    @Test
    void nodesPresentOnePeerIdButStampTheirWritesWithSitesOfTheirOwn() {
        String url = TestPostgres.newSchemaUrl();
        Starling a = node(url);
        Starling b = node(url);
        long peerA = a.presence().graph().local().peerId();
        assertThat(b.presence().graph().local().peerId())
                .as("one peer identity toward devices")
                .isEqualTo(peerA);
        assertThat(b.config().siteId()).isEqualTo(a.config().siteId());

        insert(a, "x");
        long siteA = stampSite(a, "x");
        b.store().execute("UPDATE tasks SET title = 'b' WHERE _id = 'x'");
        long siteB = stampSite(b, "x");
        assertThat(siteA).as("node A's write stamp site").isNotEqualTo(peerA);
        assertThat(siteB).as("node B's write stamp site").isNotEqualTo(peerA).isNotEqualTo(siteA);
        // B's stamp is above A's although B never merged it: every write starts from the stored clock
        assertThat(a.store()
                        .execute("SELECT title FROM tasks WHERE _id = 'x'")
                        .items()
                        .get(0)
                        .value())
                .containsEntry("title", "b");
    }

    private static long stampSite(Starling db, String id) {
        return ((DefaultStarling) db)
                .defaultStore()
                .documentState("tasks", Value.of(id))
                .maxStamp()
                .site();
    }

    @Test
    void aWriteOnAnyNodeReachesThePeersOfEveryNode() {
        String url = TestPostgres.newSchemaUrl();
        Starling a = node(url);
        Starling b = node(url);
        Starling onA = device("on-a", a);
        Starling onB = device("on-b", b);

        insert(onA, "from-device-on-a");
        Await.until(
                "the write of the device on node A reaches the device on node B",
                DEADLINE,
                () -> holds(onB, "from-device-on-a"));
        insert(onB, "from-device-on-b");
        Await.until(
                "the write of the device on node B reaches the device on node A",
                DEADLINE,
                () -> holds(onA, "from-device-on-b"));
        insert(b, "from-node-b");
        insert(a, "from-node-a");
        Await.until(
                "writes made on each node reach the devices of both",
                DEADLINE,
                () -> holds(onA, "from-node-b")
                        && holds(onB, "from-node-a")
                        && holds(onA, "from-node-a")
                        && holds(onB, "from-node-b"));
    }

    @Test
    void liveQueriesAndTheChangeFeedOfANodeSeeWritesOfAnotherNode() {
        String url = TestPostgres.newSchemaUrl();
        Starling a = node(url);
        Starling b = node(url);
        List<Integer> sizes = new java.util.concurrent.CopyOnWriteArrayList<>();
        var observer = b.store()
                .registerObserver(
                        TASKS, Map.of(), result -> sizes.add(result.items().size()));
        java.util.concurrent.atomic.AtomicInteger commits = new java.util.concurrent.atomic.AtomicInteger();
        var commitHandle = b.store().observeCommits(commits::incrementAndGet);
        try {
            insert(a, "one");
            insert(a, "two");
            Await.until(
                    "node B's live query sees both writes of node A", DEADLINE, () -> sizes.contains(2), () -> sizes);
            Await.until("node B's commit observers are woken", DEADLINE, () -> commits.get() > 0);
            assertThat(b.store().changes(0, 10, java.util.Set.of()).changes())
                    .extracting(c -> c.idJson())
                    .containsExactly("\"one\"", "\"two\"");
        } finally {
            observer.close();
            commitHandle.close();
        }
    }

    private static String explain(Starling db, String query) {
        List<String> out = new ArrayList<>();
        for (var item : db.store().execute("EXPLAIN " + query).items()) out.add(item.json());
        return String.join("\n", out);
    }

    /**
     * Creating an index takes no sequence number, so no tail sees it in the log: each node's tail reads the stored
     * definitions with the log's last sequence, and node B plans with an index node A created (or dropped) within
     * about its safety poll, without a restart.
     */
    @Test
    void anIndexCreatedOrDroppedOnOneNodeIsPlannedWithByAnotherWithoutARestart() {
        String url = TestPostgres.newSchemaUrl();
        Starling a = node(url);
        Starling b = node(url);
        insert(a, "one");
        String query = "SELECT * FROM tasks WHERE title = 't one'";
        assertThat(explain(b, query)).contains("FullScan");
        a.store().execute("CREATE INDEX by_title ON tasks (title)");
        Await.until(
                "node B plans with the index node A created",
                DEADLINE,
                () -> explain(b, query).contains("by_title"),
                () -> explain(b, query));
        assertThat(b.store().execute(query).items()).hasSize(1);
        a.store().execute("DROP INDEX by_title ON tasks");
        Await.until(
                "node B stops planning with the index node A dropped",
                DEADLINE,
                () -> explain(b, query).contains("FullScan"),
                () -> explain(b, query));
        assertThat(b.store().execute(query).items()).hasSize(1);
    }

    @Test
    void aDeviceThatMovesToAnotherNodeResumesInsteadOfResyncing() {
        String url = TestPostgres.newSchemaUrl();
        Starling a = node(url);
        Starling b = node(url);
        int documents = 300;
        java.util.Random random = new java.util.Random(documents); // incompressible titles: bytes count documents
        a.store().transaction(tx -> {
            for (int i = 0; i < documents; i++) {
                String title = new java.math.BigInteger(256, random).toString(36);
                tx.execute("INSERT INTO tasks DOCUMENTS (:d)", Map.of("d", Map.of("_id", "t" + i, "title", title)));
            }
            return null;
        });
        Starling first = device("mobile", a);
        Await.until("the device holds every document through node A", DEADLINE, () -> count(first) == documents);
        long initialBytes = first.sync().metrics().bytesReceived();
        first.close();
        open.remove(first);

        for (int i = 0; i < 10; i++) insert(b, "new" + i);
        Starling moved = device("mobile", b); // the same database, now connecting to node B
        Await.until(
                "the moved device receives the ten new documents through node B",
                DEADLINE,
                () -> count(moved) == documents + 10);
        Map<String, Long> facts = new HashMap<>();
        facts.put("initial sync bytes", initialBytes);
        facts.put("resume bytes", moved.sync().metrics().bytesReceived());
        facts.put("resume documents", moved.sync().metrics().documentsReceived());
        System.out.println("device moved from node A to node B: " + facts);
        assertThat(moved.sync().metrics().documentsReceived())
                .as("documents received on resuming at node B (%s)", facts)
                .isLessThanOrEqualTo(20);
        assertThat(moved.sync().metrics().bytesReceived())
                .as("bytes received on resuming at node B (%s)", facts)
                .isLessThan(initialBytes / 4);
    }
}
