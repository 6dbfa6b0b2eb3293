package io.starling.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starling.Presence;
import io.starling.Starling;
import io.starling.Store;
import io.starling.Sync;
import io.starling.SyncSubscription;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code GET /api/v1/sync} and {@code GET /api/v1/metrics}: the peer's replication state as JSON, for the dashboard
 * and for scripts that would rather not parse the Prometheus text. Read-only; what they show is exactly what the
 * library's {@link Sync#peers()}, {@link Sync#subscriptions()}, {@link Sync#metrics()} and {@link Presence#graph()}
 * say at the moment of the request. docs/HTTP-API.md is the reference. Stateless and thread-safe.
 */
final class StatusEndpoints {
    static final String SYNC = "/api/v1/sync";
    static final String METRICS = "/api/v1/metrics";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private StatusEndpoints() {}

    static boolean serves(String path) {
        return path.equals(SYNC) || path.equals(METRICS);
    }

    /** Answers a request for one of {@link #serves these paths}; the caller has checked the token. */
    static HttpApi.Response handle(HttpApi.Request request, Starling db) {
        if (!request.method().equals("GET")) {
            return HttpApi.error(405, HttpApi.METHOD_NOT_ALLOWED, "use GET").withHeader("Allow", "GET");
        }
        String body = request.path().equals(SYNC) ? sync(db) : metrics(db);
        return HttpApi.Response.of(200, HttpApi.JSON, body);
    }

    /**
     * <pre>{@code
     * {"local": "0123456789abcdef",
     *  "subscriptions": [{"query": "SELECT * FROM tasks", "arguments": {}}],
     *  "peers": [{"peerId": "fedcba9876543210", "connected": true, "acknowledgedSequence": 42,
     *             "documentsSent": 120, "documentsReceived": 3, "bytesSent": 3912, "bytesReceived": 1433,
     *             "writesDenied": 0, "documentsWithheld": 0, "lastExchange": "2026-12-05T14:50:01.250Z",
     *             "transport": "tcp", "hops": 1, "metadata": {}}]}
     * }</pre>
     */
    static String sync(Starling db) {
        Presence.Graph graph = db.presence().graph();
        Map<Long, Presence.Peer> byId = new HashMap<>();
        for (Presence.Peer p : graph.remotePeers()) byId.put(p.peerId(), p);
        long local = graph.local().peerId();
        Map<Long, String> transports = new HashMap<>();
        for (Presence.Connection c : graph.connections()) {
            if (c.peerA() == local) transports.put(c.peerB(), c.transport());
            else if (c.peerB() == local) transports.put(c.peerA(), c.transport());
        }
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("local", PresenceRenderer.hex(local));
        ArrayNode subscriptions = root.putArray("subscriptions");
        for (SyncSubscription s : db.sync().subscriptions()) {
            if (s.isClosed()) continue;
            ObjectNode node = subscriptions.addObject().put("query", s.query());
            node.set("arguments", MAPPER.valueToTree(s.arguments()));
        }
        ArrayNode peers = root.putArray("peers");
        for (Sync.PeerStatus p : db.sync().peers()) {
            ObjectNode node = peers.addObject()
                    .put("peerId", p.peerIdHex())
                    .put("connected", p.connected())
                    .put("acknowledgedSequence", p.acknowledgedSequence())
                    .put("documentsSent", p.documentsSent())
                    .put("documentsReceived", p.documentsReceived())
                    .put("bytesSent", p.bytesSent())
                    .put("bytesReceived", p.bytesReceived())
                    .put("writesDenied", p.writesDenied())
                    .put("documentsWithheld", p.documentsWithheld());
            java.time.Instant last = p.lastExchange();
            if (last == null) node.putNull("lastExchange");
            else node.put("lastExchange", last.toString());
            String transport = transports.get(p.peerId());
            if (transport == null) node.putNull("transport");
            else node.put("transport", transport);
            Presence.Peer seen = byId.get(p.peerId());
            if (seen == null) {
                node.putNull("hops");
                node.putObject("metadata");
            } else {
                node.put("hops", seen.hops());
                node.set("metadata", MAPPER.valueToTree(seen.metadata()));
            }
        }
        return root.toString();
    }

    /**
     * The counters of {@code /metrics} under short names, with the time they were read:
     *
     * <pre>{@code
     * {"bytesSent": 1200, "bytesReceived": 800, "documentsSent": 3, "documentsReceived": 2, "documentsRefused": 0,
     *  "messagesSent": 10, "messagesReceived": 9, "connections": 1, "connectionsRefused": 0, "presencePeers": 2,
     *  "storeHealthy": true, "storeProblem": null}
     * }</pre>
     */
    static String metrics(Starling db) {
        Sync.Metrics m = db.sync().metrics();
        Store.Health health = db.store().health();
        ObjectNode root = JsonNodeFactory.instance
                .objectNode()
                .put("bytesSent", m.bytesSent())
                .put("bytesReceived", m.bytesReceived())
                .put("documentsSent", m.documentsSent())
                .put("documentsReceived", m.documentsReceived())
                .put("documentsRefused", m.documentsRefused())
                .put("messagesSent", m.messagesSent())
                .put("messagesReceived", m.messagesReceived())
                .put("connections", m.connections())
                .put("connectionsRefused", m.connectionsRefused())
                .put("presencePeers", db.presence().graph().remotePeers().size())
                .put("storeHealthy", health.isHealthy());
        if (health.problem() == null) root.putNull("storeProblem");
        else root.put("storeProblem", health.problem().code());
        return root.toString();
    }
}
