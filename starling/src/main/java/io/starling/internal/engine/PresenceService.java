package io.starling.internal.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.starling.ErrorCode;
import io.starling.ObserverHandle;
import io.starling.Presence;
import io.starling.StarlingException;
import io.starling.internal.sync.Message;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Design note — presence is link state.
 *
 * Every peer originates one record about itself: its metadata and its direct neighbours (with transports),
 * stamped with a sequence number that only grows (the wall clock in ms at the change, or the last + 1). It
 * sends every neighbour the records it knows — its own first, then the others nearest first, within the
 * PRESENCE size limit — whenever one of them changes; a receiver keeps, per origin, the record with the
 * highest sequence and forwards only when something it holds changed, so a flood stops by itself.
 *
 * The graph is computed, never stored: an edge exists only when both ends' records list each other (a
 * crashed peer's stale record cannot keep it on the map, because its neighbours' newer records no longer
 * list it), and a peer is shown only when it is reachable from this one over such edges; its hop count is
 * its breadth-first distance. Records of unreachable peers are dropped. Gossiping only self-originated
 * records is what keeps a departed peer or a broken link from living on in a loop of neighbours that
 * learned it from each other.
 *
 * Everything here runs on the sync thread except setMetadata / observe / graph, which synchronize.
 */

/** The presence graph of one instance, its gossip and the connection-request hook. Thread-safe. */
final class PresenceService implements Presence {
    private static final Logger log = LoggerFactory.getLogger(PresenceService.class);
    static final int MAX_METADATA_BYTES = 4 << 10;
    static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(5);

    private final long localPeer;
    private final LongSupplier clock;
    private final CallbackList<Graph> observers = new CallbackList<>("a presence observer", log);
    private volatile SyncService service;
    private volatile ConnectionRequestHandler handler;
    private volatile Duration handlerTimeout = DEFAULT_REQUEST_TIMEOUT;

    // guarded by this
    private Map<String, Object> metadata = Map.of();
    private long sequence;
    private Map<Long, String> neighbours = Map.of();
    private final Map<Long, Record> known = new HashMap<>();
    private Graph graph;
    private byte[] payload;

    PresenceService(long localPeer, LongSupplier clock) {
        this.localPeer = localPeer;
        this.clock = clock;
        this.graph = new Graph(new Peer(localPeer, 0, Map.of()), List.of(), List.of());
    }

    void attach(SyncService service) {
        this.service = service;
    }

    // ---- the API

    @Override
    public synchronized Graph graph() {
        return graph;
    }

    @Override
    public ObserverHandle observe(Consumer<Graph> callback) {
        return observers.add(callback);
    }

    /** The instance is closing: no observer is called again. */
    void closeObservers() {
        observers.closeAll();
    }

    @Override
    public void setMetadata(Map<String, ?> metadata) {
        Objects.requireNonNull(metadata, "metadata");
        Map<String, Object> copy;
        try {
            byte[] encoded = Json.MAPPER.writeValueAsBytes(metadata);
            if (encoded.length > MAX_METADATA_BYTES) {
                throw new StarlingException(
                        ErrorCode.CONFIG_INVALID,
                        "peer metadata is " + encoded.length + " bytes encoded; the limit is " + MAX_METADATA_BYTES);
            }
            copy = Json.MAPPER.readValue(encoded, new TypeReference<LinkedHashMap<String, Object>>() {});
        } catch (IOException e) {
            throw new StarlingException(
                    ErrorCode.CONFIG_INVALID,
                    "peer metadata must be JSON-like (maps, lists, " + "strings, numbers, booleans, null): "
                            + e.getMessage());
        }
        synchronized (this) {
            this.metadata = copy;
            sequence = nextSequence();
        }
        recompute();
    }

    @Override
    public void setConnectionRequestHandler(ConnectionRequestHandler handler, Duration timeout) {
        if (handler != null) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new StarlingException(
                        ErrorCode.CONFIG_INVALID, "the connection-request timeout must be positive: " + timeout);
            }
            handlerTimeout = timeout;
        }
        this.handler = handler;
    }

    boolean hasConnectionRequestHandler() {
        return handler != null;
    }

    ConnectionRequestHandler connectionRequestHandler() {
        ConnectionRequestHandler h = handler;
        return h != null ? h : request -> java.util.concurrent.CompletableFuture.completedFuture(true);
    }

    Duration connectionRequestTimeout() {
        return handlerTimeout;
    }

    // ---- the engine side (sync thread)

    /** Sessions were established or ended. */
    void neighboursChanged() {
        SyncService s = service;
        if (s == null) return;
        Map<Long, String> now = s.neighbours();
        synchronized (this) {
            if (now.equals(neighbours)) return;
            neighbours = Map.copyOf(now);
            sequence = nextSequence();
        }
        recompute();
    }

    /** A neighbour's PRESENCE. Malformed views are ignored (presence is best effort) with a warning. */
    void received(long fromPeer, byte[] bytes) {
        List<Record> records;
        try {
            records = decode(bytes);
        } catch (IOException | RuntimeException e) {
            log.warn(
                    "ignoring a malformed presence view from peer {}: {}",
                    EngineSyncStore.hex(fromPeer),
                    e.getMessage());
            return;
        }
        boolean changed = false;
        synchronized (this) {
            for (Record r : records) {
                if (r.origin == localPeer) continue;
                Record old = known.get(r.origin);
                // the origin itself is the authority on its record, whatever the sequence (a restart with a clock
                // behind)
                if (old == null || r.sequence > old.sequence || (r.origin == fromPeer && r.sequence != old.sequence)) {
                    known.put(r.origin, r);
                    changed = true;
                }
            }
        }
        if (changed) recompute();
    }

    /** The view to send a newly established neighbour, or null before there is one. */
    synchronized byte[] currentPayload() {
        return payload;
    }

    private void recompute() {
        Graph g;
        byte[] p;
        boolean graphChanged;
        synchronized (this) {
            Record self = new Record(localPeer, sequence, metadata, neighbours);
            Map<Long, Record> all = new HashMap<>(known);
            all.put(localPeer, self);
            // breadth-first over edges both ends agree on
            Map<Long, Integer> hops = new LinkedHashMap<>();
            ArrayDeque<Long> queue = new ArrayDeque<>();
            hops.put(localPeer, 0);
            queue.add(localPeer);
            List<Connection> connections = new ArrayList<>();
            while (!queue.isEmpty()) {
                long at = queue.poll();
                Record r = all.get(at);
                if (r == null) continue;
                for (Map.Entry<Long, String> link : r.links.entrySet()) {
                    long to = link.getKey();
                    Record other = all.get(to);
                    if (other == null || !other.links.containsKey(at)) continue;
                    if (Long.compareUnsigned(at, to) < 0) connections.add(new Connection(at, to, link.getValue()));
                    if (!hops.containsKey(to)) {
                        hops.put(to, hops.get(at) + 1);
                        queue.add(to);
                    }
                }
            }
            known.keySet().retainAll(hops.keySet());
            List<Peer> remote = new ArrayList<>();
            for (Map.Entry<Long, Integer> e : hops.entrySet()) {
                if (e.getKey() == localPeer) continue;
                Record r = all.get(e.getKey());
                remote.add(new Peer(e.getKey(), e.getValue(), r == null ? Map.of() : r.metadata));
            }
            remote.sort(Comparator.comparingInt(Peer::hops).thenComparing(Peer::peerId, Long::compareUnsigned));
            connections.removeIf(c -> !hops.containsKey(c.peerA()) || !hops.containsKey(c.peerB()));
            connections.sort(Comparator.comparing(Connection::peerA, Long::compareUnsigned)
                    .thenComparing(Connection::peerB, Long::compareUnsigned));
            g = new Graph(new Peer(localPeer, 0, metadata), remote, connections);
            graphChanged = !g.equals(graph);
            graph = g;
            List<Record> ordered = new ArrayList<>();
            ordered.add(self);
            for (Peer peer : remote) ordered.add(all.get(peer.peerId()));
            p = encode(ordered);
            if (java.util.Arrays.equals(p, payload)) p = null;
            else payload = p;
        }
        SyncService s = service;
        if (p != null && s != null) s.broadcastPresence(p);
        if (graphChanged) observers.deliver(this::graph); // the latest graph, even if another change overtook g
    }

    private long nextSequence() {
        return Math.max(clock.getAsLong(), sequence + 1);
    }

    // ---- the PRESENCE payload: JSON, {"v":1,"records":[{"origin":"hex","seq":n,"meta":{},"links":{"hex":"tcp"}}]}

    private record Record(long origin, long sequence, Map<String, Object> metadata, Map<Long, String> links) {}

    private static byte[] encode(List<Record> records) {
        List<Map<String, Object>> out = new ArrayList<>();
        int size = 32;
        for (Record r : records) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("origin", EngineSyncStore.hex(r.origin));
            m.put("seq", r.sequence);
            m.put("meta", r.metadata);
            Map<String, String> links = new LinkedHashMap<>();
            r.links.forEach((peer, transport) -> links.put(EngineSyncStore.hex(peer), transport));
            m.put("links", links);
            byte[] one = write(m);
            if (size + one.length + 1 > Message.Presence.MAX_BYTES) break; // the farthest records are left out
            size += one.length + 1;
            out.add(m);
        }
        return write(Map.of("v", 1, "records", out));
    }

    private static byte[] write(Object o) {
        try {
            return Json.MAPPER.writeValueAsBytes(o);
        } catch (JsonProcessingException e) {
            throw new StarlingException(ErrorCode.INTERNAL, "cannot encode presence: " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Record> decode(byte[] bytes) throws IOException {
        Map<String, Object> root = Json.MAPPER.readValue(bytes, new TypeReference<Map<String, Object>>() {});
        if (!Objects.equals(((Number) root.getOrDefault("v", 0)).intValue(), 1))
            throw new IOException("unknown presence version " + root.get("v"));
        List<Record> out = new ArrayList<>();
        for (Object o : (List<Object>) root.get("records")) {
            Map<String, Object> m = (Map<String, Object>) o;
            long origin = Long.parseUnsignedLong((String) m.get("origin"), 16);
            long seq = ((Number) m.get("seq")).longValue();
            Map<String, Object> meta = (Map<String, Object>) m.getOrDefault("meta", Map.of());
            Map<Long, String> links = new LinkedHashMap<>();
            ((Map<String, Object>) m.getOrDefault("links", Map.of()))
                    .forEach((k, v) -> links.put(Long.parseUnsignedLong(k, 16), (String) v));
            out.add(new Record(origin, seq, meta == null ? Map.of() : meta, links));
        }
        return out;
    }
}
