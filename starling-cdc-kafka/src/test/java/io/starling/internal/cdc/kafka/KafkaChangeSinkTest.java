package io.starling.internal.cdc.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.Store;
import io.starling.StoreChange;
import io.starling.testsupport.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka sink against a real KRaft broker in this JVM (one for the class): records keyed by collection and id, in
 * order per document; a crash resumes from the stored cursor with duplicates but no gap; per-collection topics; a
 * broker that is down and comes back; an expired cursor.
 */
class KafkaChangeSinkTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path brokerDir;

    private static KRaftBroker broker;

    @TempDir
    Path dir;

    private Starling db;
    private Store store;
    private final List<KafkaChangeSink> sinks = new ArrayList<>();

    @BeforeAll
    static void startBroker() throws Exception {
        broker = KRaftBroker.start(brokerDir);
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @BeforeEach
    void open() {
        broker.up(); // a test that stopped it may have failed before starting it again
        db = Starling.open(
                StarlingConfig.builder().databaseDirectory(dir.resolve("db")).build());
        store = db.store();
    }

    @AfterEach
    void close() {
        sinks.forEach(KafkaChangeSink::close);
        db.close();
    }

    private KafkaChangeSink sink(KafkaSinkConfig config) {
        KafkaChangeSink sink = KafkaChangeSink.start(store, config);
        sinks.add(sink);
        return sink;
    }

    private KafkaSinkConfig config(KafkaSinkConfig.Topics topics) {
        return KafkaSinkConfig.of(broker.bootstrap(), topics, dir.resolve("kafka-sink.cursor"))
                .withTimeouts(Duration.ofSeconds(5), Duration.ofMillis(100), Duration.ofSeconds(1));
    }

    private void put(String collection, String id, int n) {
        store.execute(
                "INSERT INTO `" + collection + "` DOCUMENTS (:d) ON ID CONFLICT DO UPDATE",
                Map.of("d", Map.of("_id", id, "n", n)));
    }

    private void delete(String collection, String id) {
        store.execute("DELETE FROM `" + collection + "` WHERE _id = :id", Map.of("id", id));
    }

    /** The store's feed from 0: the latest state of every document, by key. */
    private Map<String, StoreChange> latest() {
        Map<String, StoreChange> out = new LinkedHashMap<>();
        long cursor = 0;
        while (true) {
            StoreChange.Page page = store.changes(cursor, 1000, Set.of());
            page.changes()
                    .forEach(c ->
                            out.put(new String(KafkaChangeSink.key(c), java.nio.charset.StandardCharsets.UTF_8), c));
            if (page.cursor() == cursor) return out;
            cursor = page.cursor();
        }
    }

    private long lastCursor() {
        return latest().values().stream().mapToLong(StoreChange::cursor).max().orElse(0);
    }

    private void awaitCaughtUp(KafkaChangeSink sink) {
        long last = lastCursor();
        Await.until(
                "the sink acknowledged every change up to " + last,
                WAIT,
                () -> sink.status().cursor() >= last && sink.status().state() == KafkaChangeSink.State.CAUGHT_UP,
                sink::status);
    }

    /** Every record of {@code topics}, once every key of the store has its latest state there. */
    private List<ConsumerRecord<String, String>> consumeUntilLatest(Set<String> topics) {
        Map<String, StoreChange> latest = latest();
        return broker.readAll(
                topics,
                records -> {
                    Set<String> seen = new TreeSet<>();
                    for (ConsumerRecord<String, String> r : records) {
                        StoreChange want = latest.get(r.key());
                        if (want != null && r.value() != null && r.value().equals(want.toJson())) seen.add(r.key());
                    }
                    return seen.equals(latest.keySet());
                },
                WAIT);
    }

    /**
     * The checks every scenario shares: each key lives in one partition; along it, the cursors never go back
     * (duplicates allowed); every document's latest state is there; a delete is followed by its tombstone.
     */
    private void assertAtLeastOnceInOrder(List<ConsumerRecord<String, String>> records) throws Exception {
        Map<String, StoreChange> latest = latest();
        Map<String, Integer> partitionOf = new HashMap<>();
        Map<String, Long> lastCursorOf = new HashMap<>();
        Map<String, String> lastValueOf = new HashMap<>();
        Map<String, List<ConsumerRecord<String, String>>> byPartition = new LinkedHashMap<>();
        for (ConsumerRecord<String, String> r : records) {
            byPartition
                    .computeIfAbsent(r.topic() + "/" + r.partition(), k -> new ArrayList<>())
                    .add(r);
        }
        for (List<ConsumerRecord<String, String>> partition : byPartition.values()) {
            for (int i = 0; i < partition.size(); i++) {
                ConsumerRecord<String, String> r = partition.get(i);
                String where = r.topic() + "/" + r.partition() + "@" + r.offset();
                assertThat(partitionOf.putIfAbsent(r.topic() + " " + r.key(), r.partition()))
                        .as("the partition of %s (%s)", r.key(), where)
                        .isIn(null, r.partition());
                if (r.value() == null) { // a tombstone follows the delete it stands for
                    assertThat(lastValueOf.get(r.key()))
                            .as("what precedes the tombstone at %s", where)
                            .isNotNull();
                    assertThat(JSON.readTree(lastValueOf.get(r.key())).get("op").asText())
                            .isEqualTo("delete");
                    continue;
                }
                JsonNode change = JSON.readTree(r.value());
                JsonNode key = JSON.readTree(r.key());
                assertThat(key.get("collection")).isEqualTo(change.get("collection"));
                assertThat(key.get("id")).isEqualTo(change.get("id"));
                long cursor = Long.parseLong(change.get("cursor").asText());
                Long before = lastCursorOf.put(r.key(), cursor);
                if (before != null) {
                    assertThat(cursor)
                            .as("the cursor of %s at %s after %s", r.key(), where, before)
                            .isGreaterThanOrEqualTo(before);
                }
                lastValueOf.put(r.key(), r.value());
                if (change.get("op").asText().equals("delete")) {
                    assertThat(change.get("value").isNull()).isTrue();
                    assertThat(i + 1 < partition.size()
                                    && partition.get(i + 1).value() == null
                                    && partition.get(i + 1).key().equals(r.key()))
                            .as("a tombstone right after the delete at %s", where)
                            .isTrue();
                }
            }
        }
        for (Map.Entry<String, StoreChange> e : latest.entrySet()) {
            assertThat(lastValueOf.get(e.getKey()))
                    .as("the last state of %s in Kafka", e.getKey())
                    .isEqualTo(e.getValue().toJson());
        }
    }

    @Test
    void everyChangeArrivesKeyedByCollectionAndIdInOrderPerDocument() throws Exception {
        for (int i = 0; i < 40; i++) put("cars", "c" + i, 0);
        KafkaChangeSink sink = sink(config(KafkaSinkConfig.Topics.single("order.changes")));
        // writes while it sends: more than a page, documents written again and again, deletes, another collection
        for (int round = 1; round <= 8; round++) {
            for (int i = 0; i < 40; i++) put(i % 2 == 0 ? "cars" : "bikes", "c" + i, round);
        }
        delete("cars", "c0");
        delete("bikes", "c1");
        put("cars", "c2", 99);
        awaitCaughtUp(sink);

        List<ConsumerRecord<String, String>> records = consumeUntilLatest(Set.of("order.changes"));
        assertAtLeastOnceInOrder(records);
        assertThat(records).anySatisfy(r -> assertThat(r.key()).isEqualTo("{\"collection\":\"cars\",\"id\":\"c0\"}"));
        assertThat(records.stream().filter(r -> r.value() == null).map(ConsumerRecord::key))
                .containsExactlyInAnyOrder(
                        "{\"collection\":\"cars\",\"id\":\"c0\"}", "{\"collection\":\"bikes\",\"id\":\"c1\"}");
        assertThat(sink.status().recordsSent()).isGreaterThanOrEqualTo(latest().size() + 2);
        assertThat(Files.readString(dir.resolve("kafka-sink.cursor")))
                .contains("cursor=" + lastCursor())
                .contains("topics=topic:order.changes");
    }

    @Test
    void aCrashResumesFromTheStoredCursorWithDuplicatesButNoGap() throws Exception {
        KafkaSinkConfig config = config(KafkaSinkConfig.Topics.single("crash.changes"));
        Path cursorFile = dir.resolve("kafka-sink.cursor");
        for (int i = 0; i < 30; i++) put("tasks", "t" + i, 1);
        KafkaChangeSink first = sink(config);
        awaitCaughtUp(first);
        // what a crash right after Kafka acknowledged and before the cursor was stored leaves behind: an older file
        Path stale = dir.resolve("stale.cursor");
        Files.copy(cursorFile, stale);
        for (int i = 30; i < 60; i++) put("tasks", "t" + i, 1);
        awaitCaughtUp(first);
        first.close();
        Files.copy(stale, cursorFile, StandardCopyOption.REPLACE_EXISTING);
        // written while no sink runs
        for (int i = 0; i < 10; i++) put("tasks", "t" + i, 2);
        for (int i = 60; i < 70; i++) put("tasks", "t" + i, 1);

        // where it resumed shows in what it sends (t45 again, below): its thread may be past the stale cursor already
        KafkaChangeSink second = sink(config);
        awaitCaughtUp(second);

        List<ConsumerRecord<String, String>> records = consumeUntilLatest(Set.of("crash.changes"));
        assertAtLeastOnceInOrder(records);
        // at least once, not exactly once: what the stale cursor did not cover was sent again
        long t45 = records.stream()
                .filter(r -> r.key().equals("{\"collection\":\"tasks\",\"id\":\"t45\"}"))
                .count();
        assertThat(t45).as("copies of t45 in Kafka").isEqualTo(2);
    }

    private static long stateCursor(Path file) {
        CursorFile.Position p = new CursorFile(file).load();
        assertThat(p).isNotNull();
        return p.cursor();
    }

    @Test
    void closingWhileAPageIsInFlightLosesNothing() throws Exception {
        KafkaSinkConfig config = config(KafkaSinkConfig.Topics.single("abort.changes"));
        for (int i = 0; i < 600; i++) put("notes", "n" + i, i);
        KafkaChangeSink first = sink(config);
        Await.until("the sink started sending", WAIT, () -> first.status().recordsSent() > 0, first::status);
        first.close(); // mid-stream: whatever it had not stored is sent again by the next one
        assertThat(first.status().state()).isEqualTo(KafkaChangeSink.State.STOPPED);
        first.close(); // idempotent

        KafkaChangeSink second = sink(config);
        awaitCaughtUp(second);
        assertAtLeastOnceInOrder(consumeUntilLatest(Set.of("abort.changes")));
    }

    @Test
    void perCollectionTopicsCarryEachCollectionsChanges() throws Exception {
        KafkaSinkConfig config = config(KafkaSinkConfig.Topics.perCollection("pc."));
        put("cars", "a", 1);
        put("bikes", "b", 1);
        put("my tasks", "t", 1);
        KafkaChangeSink sink = sink(config);
        delete("cars", "a");
        awaitCaughtUp(sink);

        List<ConsumerRecord<String, String>> records = consumeUntilLatest(Set.of("pc.cars", "pc.bikes", "pc.my_tasks"));
        assertAtLeastOnceInOrder(records);
        for (ConsumerRecord<String, String> r : records) {
            String collection = JSON.readTree(r.key()).get("collection").asText();
            assertThat(r.topic()).isEqualTo(config.topics().topicFor(collection));
        }
        assertThat(records).extracting(ConsumerRecord::topic).contains("pc.cars", "pc.bikes", "pc.my_tasks");
    }

    @Test
    void aBrokerThatIsDownIsRetriedAndTheSinkCatchesUpWhenItIsBack() throws Exception {
        KafkaSinkConfig config = config(KafkaSinkConfig.Topics.single("outage.changes"));
        put("log", "before", 1);
        KafkaChangeSink sink = sink(config);
        awaitCaughtUp(sink);

        broker.down();
        try {
            for (int i = 0; i < 20; i++) put("log", "during" + i, i); // the peer writes on
            Await.until(
                    "the sink reports the outage",
                    WAIT,
                    () -> sink.status().deliveryFailures() > 0
                            && sink.status().state() == KafkaChangeSink.State.RETRYING
                            && sink.status().lagSeconds() > 0,
                    sink::status);
            assertThat(sink.status().lastError()).isNotBlank();
        } finally {
            broker.up();
        }
        awaitCaughtUp(sink);
        assertThat(sink.status().lagSeconds()).isZero();
        assertAtLeastOnceInOrder(consumeUntilLatest(Set.of("outage.changes")));
    }

    @Test
    void anExpiredCursorStartsOverFromTheBeginningAndSaysSo() throws Exception {
        KafkaSinkConfig config = config(KafkaSinkConfig.Topics.single("expired.changes"));
        put("docs", "kept", 1);
        put("docs", "gone", 1);
        KafkaChangeSink first = sink(config);
        awaitCaughtUp(first);
        first.close();
        long stored = stateCursor(dir.resolve("kafka-sink.cursor"));

        put("docs", "later", 1);
        delete("docs", "gone");
        Await.until("the tombstone is purged", WAIT, () -> db.sync().purgeTombstones(Duration.ZERO) > 0);
        put("docs", "kept", 2);

        assertThat(stored)
                .as("the first sink stored a cursor past the purged delete")
                .isPositive();
        KafkaChangeSink second = sink(config); // its thread finds the stored cursor expired at once: no check between
        Await.until("the sink reset its cursor", WAIT, () -> second.status().cursorResets() == 1, second::status);
        awaitCaughtUp(second);
        assertAtLeastOnceInOrder(consumeUntilLatest(Set.of("expired.changes")));
    }

    @Test
    void aSinkPointedAtOtherTopicsStartsOverThere() throws Exception {
        put("docs", "a", 1);
        KafkaChangeSink first = sink(config(KafkaSinkConfig.Topics.single("moved.one")));
        awaitCaughtUp(first);
        first.close();

        // starting over shows in "a" reaching the new topic: its thread may have sent it before any check here
        KafkaChangeSink second = sink(config(KafkaSinkConfig.Topics.single("moved.two")));
        awaitCaughtUp(second);
        assertAtLeastOnceInOrder(consumeUntilLatest(Set.of("moved.two")));
    }

    /**
     * The lease of server nodes on one database, as the database row keeps it: a holder, when its time runs out
     * (this JVM's clock standing in for the database's), the stored position. {@link #node} is one node's view; a
     * node that {@link Node#die}s loses its connection: every call fails, and its lease runs out.
     */
    static final class SharedLease {
        private String holder = "";
        private long expiresAtNanos;
        private SinkPosition.@Nullable Stored position;

        Node node(String name, Duration leaseTime) {
            return new Node(name, leaseTime);
        }

        final class Node implements SinkPosition {
            private final String name;
            private final Duration leaseTime;
            private volatile boolean dead;

            Node(String name, Duration leaseTime) {
                this.name = name;
                this.leaseTime = leaseTime;
            }

            void die() {
                dead = true;
            }

            private void alive() {
                if (dead) throw new IllegalStateException(name + " lost its connection to the database");
            }

            @Override
            public Claim claim() {
                alive();
                synchronized (SharedLease.this) {
                    long now = System.nanoTime();
                    if (!holder.equals(name) && now < expiresAtNanos) return new Claim(false, null);
                    holder = name;
                    expiresAtNanos = now + leaseTime.toNanos();
                    return new Claim(true, position);
                }
            }

            @Override
            public boolean save(Stored p) {
                alive();
                synchronized (SharedLease.this) {
                    if (!holder.equals(name)) return false;
                    position = p;
                    expiresAtNanos = System.nanoTime() + leaseTime.toNanos();
                    return true;
                }
            }

            @Override
            public void release() {
                alive();
                synchronized (SharedLease.this) {
                    if (holder.equals(name)) expiresAtNanos = 0;
                }
            }

            @Override
            public Duration leaseTime() {
                return leaseTime;
            }

            @Override
            public String describe() {
                return "the shared lease (" + name + ")";
            }
        }
    }

    /** A document of its own per write, and every tenth write also updates one of five hot documents. */
    private void writes(int from, int to) {
        for (int i = from; i < to; i++) {
            put("tasks", "d" + i, i);
            if (i % 10 == 0) put("tasks", "hot" + (i % 5), i);
        }
    }

    @Test
    void twoNodesSendOneAtATimeAndWhenTheHolderDiesTheOtherCarriesOnFromTheStoredPositionWithNoGap() throws Exception {
        // two nodes of one server read one change log (here: one store) and share the sink's lease
        KafkaSinkConfig config = KafkaSinkConfig.of(
                        broker.bootstrap(), KafkaSinkConfig.Topics.single("lease.changes"), null)
                .withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(100), Duration.ofSeconds(1));
        SharedLease lease = new SharedLease();
        Duration leaseTime = Duration.ofSeconds(4);
        SharedLease.Node one = lease.node("node-1", leaseTime);
        SharedLease.Node two = lease.node("node-2", leaseTime);
        KafkaChangeSink first = KafkaChangeSink.start(store, config, one);
        sinks.add(first);
        Await.until("node 1 holds the lease", WAIT, () -> first.status().state() != KafkaChangeSink.State.STARTING);
        KafkaChangeSink second = KafkaChangeSink.start(store, config, two);
        sinks.add(second);
        writes(0, 300);
        awaitCaughtUp(first);
        Await.until("node 2 waits", WAIT, () -> second.status().state() == KafkaChangeSink.State.STANDBY);
        assertThat(second.status().recordsSent())
                .as("node 2 sent nothing while node 1 held the lease")
                .isZero();

        // node 1 dies in the middle of a stream of writes: its connection to the database is gone and it stops
        writes(300, 400);
        one.die();
        first.close();
        writes(400, 500);

        awaitCaughtUp(second);
        assertThat(second.status().recordsSent())
                .as("node 2 resumed from the position node 1 stored, not from the start (%s documents)", 505)
                .isLessThan(400);
        assertAtLeastOnceInOrder(consumeUntilLatest(Set.of("lease.changes")));
    }
}
