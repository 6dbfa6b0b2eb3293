package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.starling.Endpoint;
import io.starling.QueryResultItem;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.Sync;
import io.starling.internal.storage.postgres.TestPostgres;
import io.starling.testsupport.Await;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Server nodes on one PostgreSQL under concurrent writes from devices and the HTTP API: a node killed with SIGKILL
 * loses no acknowledged write and its devices carry on through another node; three nodes with devices on each
 * converge. Devices are engines of this JVM on SQLite, syncing over TCP on 127.0.0.1.
 */
class ServerClusterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration DEADLINE = Duration.ofSeconds(120);
    private static final String TASKS = "SELECT * FROM tasks";
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<Thread> writers = new ArrayList<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Throwable> writerFailures = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        stop.set(true);
        for (Thread t : writers) t.join(DEADLINE.toMillis());
        for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
    }

    private <T extends AutoCloseable> T keep(T resource) {
        open.add(resource);
        return resource;
    }

    private Starling device(String name, String endpoint) {
        Starling db = keep(Starling.open(StarlingConfig.builder()
                .databaseDirectory(dir.resolve(name))
                .connect(List.of(Endpoint.parse(endpoint)))
                .build()));
        db.sync().registerSubscription(TASKS, Map.of());
        return db;
    }

    /** Runs {@code body} on a thread of its own until {@link #stop} (or until it returns false). */
    private void writer(String name, WriterStep body) {
        Thread t = new Thread(
                () -> {
                    try {
                        for (int i = 1; !stop.get(); i++) {
                            if (!body.step(i)) return;
                        }
                    } catch (Throwable e) {
                        writerFailures.add(e);
                    }
                },
                name);
        writers.add(t);
        t.start();
    }

    private void stopWriters() throws InterruptedException {
        stop.set(true);
        for (Thread t : writers) t.join(DEADLINE.toMillis());
        assertThat(writerFailures).as("failures of the writers").isEmpty();
    }

    @FunctionalInterface
    private interface WriterStep {
        /** One write; false: this writer is done. */
        boolean step(int i) throws Exception;
    }

    private static Set<String> ids(Starling db) {
        Set<String> ids = new HashSet<>();
        for (QueryResultItem item : db.store().execute("SELECT _id FROM tasks").items()) {
            ids.add(String.valueOf(item.value().get("_id")));
        }
        return ids;
    }

    private static Set<String> ids(String httpUrl) {
        Set<String> ids = new HashSet<>();
        for (JsonNode item : query(httpUrl, "SELECT _id FROM tasks"))
            ids.add(item.get("_id").asText());
        return ids;
    }

    private static JsonNode query(String httpUrl, String statement) {
        try {
            HttpResponse<String> r = post(httpUrl, statement, Map.of());
            assertThat(r.statusCode()).as(statement + " → " + r.body()).isEqualTo(200);
            return JSON.readTree(r.body()).get("items");
        } catch (Exception e) {
            throw new AssertionError(httpUrl + ": " + statement + ": " + e, e);
        }
    }

    private static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static HttpResponse<String> post(String httpUrl, String statement, Map<String, Object> args)
            throws Exception {
        String body = JSON.writeValueAsString(Map.of("statement", statement, "args", args));
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(httpUrl + HttpApi.EXECUTE))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static InetSocketAddress address(String endpoint) {
        Endpoint e = Endpoint.parse(endpoint);
        return new InetSocketAddress(e.host(), e.port());
    }

    /** The live documents' ids in the shared database, read with SQL from the jsonb values. */
    private static Set<String> idsInPostgres(String url) throws Exception {
        Set<String> ids = new HashSet<>();
        try (Connection c = DriverManager.getConnection(url);
                Statement s = c.createStatement();
                ResultSet r =
                        s.executeQuery("SELECT value->>'_id' FROM starling_docs WHERE collection = 'tasks' AND live")) {
            while (r.next()) ids.add(r.getString(1));
        }
        return ids;
    }

    private static Set<String> missing(Set<String> expected, Set<String> held) {
        Set<String> m = new java.util.TreeSet<>(expected);
        m.removeAll(held);
        return m;
    }

    private static Sync.PeerStatus server(Starling device) {
        List<Sync.PeerStatus> peers = device.sync().peers();
        assertThat(peers).as("the device's peers").hasSize(1);
        return peers.get(0);
    }

    private static boolean connected(Starling device) {
        List<Sync.PeerStatus> peers = device.sync().peers();
        return peers.size() == 1 && peers.get(0).connected();
    }

    private static final int PRELOAD = 1_500;
    private static final int WRITES_PER_WRITER = 200;

    /**
     * Two {@code starling server} processes on one PostgreSQL, a load balancer in front of them (node 1 first, node 2
     * when node 1 does not answer); two devices dial the balancer (so reach node 1), a third dials node 2. While
     * every device writes and the HTTP API of both nodes takes writes, node 1 is killed with SIGKILL. Then every write
     * node 1 acknowledged — HTTP writes answered 200, device writes it had acknowledged to the device — is in
     * PostgreSQL, and every write of anyone reaches every device; node 1's devices reconnect through the balancer
     * to node 2, resume (they are not sent the data set again) and their new writes reach everyone.
     */
    @Test
    void aNodeKilledWithSigkillLosesNoAcknowledgedWriteAndItsDevicesCarryOnThroughAnotherNode() throws Exception {
        String url = TestPostgres.newSchemaUrl();
        PeerProcess one = keep(PeerProcess.startServer(
                dir, "node1", "--postgres", url, "--listen", "tcp://127.0.0.1:0", "--collection", "tasks"));
        PeerProcess two = keep(PeerProcess.startServer(
                dir, "node2", "--postgres", url, "--listen", "tcp://127.0.0.1:0", "--collection", "tasks"));
        FailoverProxy balancer =
                keep(new FailoverProxy(List.of(address(one.syncEndpoint()), address(two.syncEndpoint()))));

        List<Map<String, Object>> preload = new ArrayList<>();
        for (int i = 0; i < PRELOAD; i++) preload.add(Map.of("_id", "p" + i, "title", "preloaded " + i));
        HttpResponse<String> loaded = post(one.url(), "INSERT INTO tasks DOCUMENTS (:docs)", Map.of("docs", preload));
        assertThat(loaded.statusCode()).as(loaded.body()).isEqualTo(200);

        Starling d1 = device("d1", balancer.endpoint());
        Starling d2 = device("d2", balancer.endpoint());
        Starling d3 = device("d3", two.syncEndpoint());
        for (Starling d : List.of(d1, d2, d3)) {
            Await.until("a device holds the preloaded documents", DEADLINE, () -> ids(d).size() >= PRELOAD);
        }
        assertThat(balancer.forwardedTo(0))
                .as("connections of the devices to node 1")
                .isGreaterThanOrEqualTo(2);
        assertThat(balancer.forwardedTo(1))
                .as("devices that reached node 2 through the balancer")
                .isZero();

        // the writers: HTTP on both nodes, and every device
        Set<String> httpAcknowledged = ConcurrentHashMap.newKeySet();
        AtomicInteger node1Refused = new AtomicInteger();
        writer("http-node1", i -> {
            if (i > WRITES_PER_WRITER) return false;
            String id = "h1-" + i;
            try {
                if (post(one.url(), "INSERT INTO tasks DOCUMENTS (:d)", Map.of("d", Map.of("_id", id)))
                                .statusCode()
                        == 200) httpAcknowledged.add(id);
                return true;
            } catch (java.io.IOException killed) {
                node1Refused.incrementAndGet();
                return false; // node 1 is gone: that write was never acknowledged
            }
        });
        writer("http-node2", i -> {
            if (i > WRITES_PER_WRITER) return false;
            String id = "h2-" + i;
            HttpResponse<String> r =
                    post(two.url(), "INSERT INTO tasks DOCUMENTS (:d)", Map.of("d", Map.of("_id", id)));
            assertThat(r.statusCode()).as(id + ": " + r.body()).isEqualTo(200);
            httpAcknowledged.add(id);
            return true;
        });
        Map<String, ConcurrentMap<String, Long>> deviceWrites = new TreeMap<>(); // device → id → commit sequence
        Map<String, Starling> devices = new LinkedHashMap<>();
        devices.put("d1", d1);
        devices.put("d2", d2);
        devices.put("d3", d3);
        for (var e : devices.entrySet()) {
            ConcurrentMap<String, Long> written = new ConcurrentHashMap<>();
            deviceWrites.put(e.getKey(), written);
            Starling d = e.getValue();
            writer("device-" + e.getKey(), i -> {
                if (i > WRITES_PER_WRITER) return false;
                String id = e.getKey() + "-" + i;
                long seq = d.store()
                        .execute("INSERT INTO tasks DOCUMENTS (:d)", Map.of("d", Map.of("_id", id)))
                        .commitSequence();
                written.put(id, seq);
                return true;
            });
        }

        // node 1 dies while writes are in flight, once it has acknowledged some of each kind
        Await.until(
                "node 1 acknowledges HTTP writes and device writes",
                DEADLINE,
                () -> httpAcknowledged.stream()
                                        .filter(id -> id.startsWith("h1-"))
                                        .count()
                                >= 10
                        && acknowledgedByServer(d1, deviceWrites.get("d1")).size() >= 5
                        && acknowledgedByServer(d2, deviceWrites.get("d2")).size() >= 5);
        Set<String> h1AcknowledgedBeforeKill = new HashSet<>(httpAcknowledged);
        Set<String> devicesAcknowledgedByNode1 = new HashSet<>(acknowledgedByServer(d1, deviceWrites.get("d1")));
        devicesAcknowledgedByNode1.addAll(acknowledgedByServer(d2, deviceWrites.get("d2")));
        long d1ReceivedBefore = d1.sync().metrics().documentsReceived();
        long d2ReceivedBefore = d2.sync().metrics().documentsReceived();
        one.kill();
        // the HTTP writer of node 1 may have had an answer in flight: it counts only if it came back 200

        Await.until(
                "node 1's devices reconnect through the balancer to node 2",
                DEADLINE,
                () -> balancer.forwardedTo(1) >= 2 && connected(d1) && connected(d2),
                () -> "connections to node 2: " + balancer.forwardedTo(1) + ", d1 "
                        + d1.sync().peers() + ", d2 " + d2.sync().peers());
        stopWriters();
        // new writes of node 1's former devices, made through node 2
        d1.store().execute("INSERT INTO tasks DOCUMENTS ({'_id': 'after-d1'})");
        d2.store().execute("INSERT INTO tasks DOCUMENTS ({'_id': 'after-d2'})");

        Set<String> acknowledged = new HashSet<>(httpAcknowledged);
        for (var w : deviceWrites.values()) acknowledged.addAll(w.keySet());
        acknowledged.add("after-d1");
        acknowledged.add("after-d2");
        String facts = String.format(
                "HTTP writes acknowledged: %d (%d by node 1 before the kill, %d refused after it); device writes: %s;"
                        + " device writes node 1 acknowledged before the kill: %d",
                httpAcknowledged.size(),
                h1AcknowledgedBeforeKill.stream()
                        .filter(id -> id.startsWith("h1-"))
                        .count(),
                node1Refused.get(),
                deviceWrites.entrySet().stream()
                        .map(e -> e.getKey() + "=" + e.getValue().size())
                        .toList(),
                devicesAcknowledgedByNode1.size());
        System.out.println("SIGKILL of node 1: " + facts);

        Await.until(
                "every acknowledged write in PostgreSQL, at node 2 and at every device",
                DEADLINE,
                () -> ids(two.url()).containsAll(acknowledged)
                        && devices.values().stream().allMatch(d -> ids(d).containsAll(acknowledged)),
                () -> "missing at node 2: " + missing(acknowledged, ids(two.url())) + "; at the devices: "
                        + devices.entrySet().stream()
                                .map(e -> e.getKey() + " " + missing(acknowledged, ids(e.getValue())))
                                .toList());
        assertThat(idsInPostgres(url))
                .as("the writes node 1 acknowledged, in PostgreSQL (%s)", facts)
                .containsAll(h1AcknowledgedBeforeKill)
                .containsAll(devicesAcknowledgedByNode1)
                .containsAll(acknowledged);

        // resumed, not resynchronised: after the kill, node 1's devices were sent what changed, not the data set
        long d1Resumed = d1.sync().metrics().documentsReceived() - d1ReceivedBefore;
        long d2Resumed = d2.sync().metrics().documentsReceived() - d2ReceivedBefore;
        System.out.println("documents received after the kill: d1 " + d1Resumed + ", d2 " + d2Resumed
                + " (a resync would send at least the " + PRELOAD + " preloaded)");
        assertThat(d1Resumed).as("documents d1 received after the kill").isLessThan(PRELOAD);
        assertThat(d2Resumed).as("documents d2 received after the kill").isLessThan(PRELOAD);
        assertThat(server(d1).peerId()).isEqualTo(server(d3).peerId());
    }

    /**
     * Three nodes on one PostgreSQL, each with its HTTP API and two devices. Every device and every node's HTTP API
     * write at once — new documents of their own, and SETs and INCREMENTs of the same shared documents — and then
     * every device and every node holds the same documents with the same values: the shared counters hold the sum of
     * every increment, and each writer's documents are everywhere.
     */
    @Test
    void threeNodesWithDevicesOnEachConvergeUnderConcurrentWritesFromEveryone() throws Exception {
        String url = TestPostgres.newSchemaUrl();
        List<Starling> nodes = new ArrayList<>();
        List<HttpApiServer> apis = new ArrayList<>();
        for (int n = 0; n < 3; n++) {
            Starling node = keep(Starling.open(StarlingConfig.builder()
                    .storageUrl(url)
                    .databaseDirectory(dir.resolve("node" + n)) // each node's own files
                    .listen("tcp://127.0.0.1:0")
                    .build()));
            node.sync().registerSubscription(TASKS, Map.of());
            nodes.add(node);
            HttpApiServer api =
                    HttpApiServer.start(node, new InetSocketAddress("127.0.0.1", 0), HttpApiServer.Settings.defaults());
            open.add(api::close);
            apis.add(api);
        }
        int shared = 3;
        for (int k = 0; k < shared; k++) {
            nodes.get(0).store().execute("INSERT INTO tasks DOCUMENTS (:d)", Map.of("d", Map.of("_id", "shared" + k)));
        }
        Map<String, Starling> devices = new LinkedHashMap<>();
        for (int n = 0; n < 3; n++) {
            for (int d = 0; d < 2; d++) {
                String name = "n" + n + "d" + d;
                devices.put(
                        name,
                        device(name, nodes.get(n).sync().listening().get(0).toString()));
            }
        }
        for (var e : devices.entrySet()) {
            Await.until(
                    e.getKey() + " receives the shared documents",
                    DEADLINE,
                    () -> ids(e.getValue()).size() == shared);
        }

        int writes = 40;
        AtomicInteger increments = new AtomicInteger();
        Map<String, Integer> ownDocuments = new ConcurrentHashMap<>();
        for (var e : devices.entrySet()) {
            Starling d = e.getValue();
            writer("device-" + e.getKey(), i -> {
                if (i > writes) return false;
                String me = e.getKey();
                d.store().execute("INSERT INTO tasks DOCUMENTS (:d)", Map.of("d", Map.of("_id", me + "-" + i, "n", i)));
                String target = "shared" + (i % shared);
                d.store()
                        .execute(
                                "UPDATE tasks SET author = :me, o.last = :i WHERE _id = :id",
                                Map.of("me", me, "i", i, "id", target));
                d.store().execute("UPDATE tasks APPLY count INCREMENT BY 1 WHERE _id = :id", Map.of("id", target));
                increments.incrementAndGet();
                ownDocuments.merge(me, 1, Integer::sum);
                return true;
            });
        }
        for (int n = 0; n < 3; n++) {
            String api = apis.get(n).url();
            String me = "http" + n;
            writer("http-node" + n, i -> {
                if (i > writes) return false;
                for (String[] statement : new String[][] {
                    {"INSERT INTO tasks DOCUMENTS (:d)", null},
                    {"UPDATE tasks SET author = :me, o.last = :i WHERE _id = :id", "shared" + (i % shared)},
                    {"UPDATE tasks APPLY count INCREMENT BY 1 WHERE _id = :id", "shared" + (i % shared)}
                }) {
                    Map<String, Object> args = statement[1] == null
                            ? Map.of("d", Map.of("_id", me + "-" + i, "n", i))
                            : Map.of("me", me, "i", i, "id", statement[1]);
                    HttpResponse<String> r = post(api, statement[0], args);
                    assertThat(r.statusCode())
                            .as(statement[0] + " → " + r.body())
                            .isEqualTo(200);
                }
                increments.incrementAndGet();
                ownDocuments.merge(me, 1, Integer::sum);
                return true;
            });
        }
        for (Thread t : writers) t.join(DEADLINE.toMillis());
        stopWriters();
        assertThat(ownDocuments.values()).as("writes per writer").allMatch(c -> c == writes);
        assertThat(increments.get()).isEqualTo(9 * writes);

        Set<String> expected = new HashSet<>();
        for (int k = 0; k < shared; k++) expected.add("shared" + k);
        for (String writer : ownDocuments.keySet()) {
            for (int i = 1; i <= writes; i++) expected.add(writer + "-" + i);
        }
        AtomicReference<String> reference = new AtomicReference<>("");
        Await.until(
                "every device and every node holds the same documents with the same values",
                DEADLINE,
                () -> {
                    String atNode = contents(nodes.get(0));
                    reference.set(atNode);
                    if (!ids(nodes.get(0)).equals(expected)) return false;
                    for (Starling node : nodes) if (!contents(node).equals(atNode)) return false;
                    for (Starling d : devices.values()) if (!contents(d).equals(atNode)) return false;
                    for (HttpApiServer api : apis) {
                        if (!query(api.url(), "SELECT * FROM tasks ORDER BY _id")
                                .equals(tree(atNode))) return false;
                    }
                    return true;
                },
                () -> "node 1 holds " + ids(nodes.get(0)).size() + " of " + expected.size() + "; devices: "
                        + devices.entrySet().stream()
                                .map(e -> e.getKey() + " missing "
                                        + missing(expected, ids(e.getValue())).size())
                                .toList());
        long total = 0;
        for (JsonNode doc : tree(reference.get())) {
            if (doc.get("_id").asText().startsWith("shared"))
                total += doc.get("count").asLong();
        }
        assertThat(total)
                .as("the shared counters: every increment of every writer")
                .isEqualTo(9L * writes);
    }

    /** Every document, ordered by id, as JSON text. */
    private static String contents(Starling db) {
        StringBuilder json = new StringBuilder("[");
        for (QueryResultItem item :
                db.store().execute("SELECT * FROM tasks ORDER BY _id").items()) {
            if (json.length() > 1) json.append(',');
            json.append(item.json());
        }
        return json.append(']').toString();
    }

    /** The ids among {@code written} whose commit the device's server has acknowledged. */
    private static Set<String> acknowledgedByServer(Starling device, Map<String, Long> written) {
        List<Sync.PeerStatus> peers = device.sync().peers();
        if (peers.isEmpty()) return Set.of();
        long peer = peers.get(0).peerId();
        Set<String> acked = new HashSet<>();
        for (var e : written.entrySet()) {
            if (device.sync().hasReached(peer, e.getValue())) acked.add(e.getKey());
        }
        return acked;
    }
}
