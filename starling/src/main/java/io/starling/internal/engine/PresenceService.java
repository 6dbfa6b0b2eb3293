package io.starling.internal.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.starling.ErrorCode;
import io.starling.ObserverHandle;
import io.starling.Presence;
import io.starling.StarlingException;
import io.starling.internal.net.RefusalLog;
import io.starling.internal.sync.Message;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
import org.jspecify.annotations.Nullable;
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
 * A neighbour is never sent its own record (it ignores it: the origin is the authority on its record), and a session
 * sends a view only when it differs from the one it sent last (SyncService.Driver). So when two peers meet, each sends
 * the other one view (its own record, now listing the other) instead of one per step of the handshake and an echo of
 * the other's record. A view the neighbour received is one it holds, with one exception: a neighbour whose own record
 * did not list us yet (its neighbour update was spaced out) dropped our records as unreachable; so when a neighbour's
 * record starts listing us after one that did not, the session sends its view again. The view for a neighbour is
 * assembled from the records' encodings kept with the view, so a peer with many neighbours encodes each record once
 * per change, not once per neighbour.
 *
 * Resumed sessions. A peer's own record is restamped whenever a session starts or ends, so the first view a session
 * sends always differs from the last view sent to that peer, if only by that sequence. Between peers that both announce
 * CAP_PRESENCE_RESUME, a session whose first view is exactly the last view sent to that peer (in an earlier session)
 * with only its own record's sequence changed sends a marker instead: the digest of that last view and the new
 * sequence (markerFor). The receiver keeps the last view it received from each peer (PresenceMemory); when the digest
 * matches it, it restamps that view the same way, byte for byte, and takes the result as if it had arrived whole
 * (expand, received); otherwise it asks for the view whole (WANTED). Both sides restamp with the same byte rule
 * (restamp: the digits of the first record's seq, which must be the sender's own), so the receiver ends up with the
 * very bytes the full view would have carried; a lying or stale marker can only name a view that peer itself sent,
 * and costs at most a WANTED round trip.
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
    private volatile @Nullable SyncService service;
    private volatile @Nullable ConnectionRequestHandler handler;
    private volatile Duration handlerTimeout = DEFAULT_REQUEST_TIMEOUT;

    // guarded by this
    private Map<String, Object> metadata = Map.of();
    private long sequence;
    private Map<Long, String> neighbours = Map.of();
    private Map<Long, PeerCertificate> certificates = Map.of(); // verified, of direct neighbours (online mode)
    private final Map<Long, Record> known = new HashMap<>();
    private Graph graph;
    private byte @Nullable [] payload;
    private long[] payloadOrigins = new long[0]; // the origin of each record of payload, in order
    private List<byte[]> payloadRecords = List.of(); // the encoding of each record of payload, in order
    private final java.util.concurrent.atomic.AtomicLong malformed = new java.util.concurrent.atomic.AtomicLong();
    /** Views sent and received per peer, for markers on resumed sessions. */
    private final PresenceMemory memory = new PresenceMemory();
    /** Markers sent, markers from neighbours expanded, and markers from neighbours answered with WANTED (tests). */
    final java.util.concurrent.atomic.AtomicLong markersSent = new java.util.concurrent.atomic.AtomicLong(),
            markersExpanded = new java.util.concurrent.atomic.AtomicLong(),
            markersMissed = new java.util.concurrent.atomic.AtomicLong();
    /** Malformed views are logged at a rate: a peer could send one after another. */
    private final RefusalLog malformedLog;

    PresenceService(long localPeer, LongSupplier clock) {
        this.localPeer = localPeer;
        this.clock = clock;
        this.malformedLog = new RefusalLog(log::warn, () -> clock.getAsLong() * 1_000_000L, RefusalLog.WINDOW);
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
        Map<Long, PeerCertificate> certs = s.neighbourCertificates();
        synchronized (this) {
            if (now.equals(neighbours) && certs.equals(certificates)) return;
            neighbours = Map.copyOf(now);
            certificates = Map.copyOf(certs);
            sequence = nextSequence();
        }
        recompute();
    }

    /** Malformed views refused so far (tests). */
    long malformedViews() {
        return malformed.get();
    }

    /**
     * A neighbour's PRESENCE. A malformed view is ignored whole (presence is best effort), counted and logged at a
     * rate; sync goes on.
     *
     * @return whether the view holds the neighbour's own record and that record lists this peer as its neighbour (a
     *     malformed view, or one without the neighbour's record: false)
     */
    boolean received(long fromPeer, byte[] bytes) {
        memory.received(fromPeer, bytes); // what a marker from it will name (a malformed one too: its marker fails too)
        List<Record> records;
        try {
            records = decode(bytes);
        } catch (IOException | RuntimeException e) {
            malformed.incrementAndGet();
            malformedLog.refused(
                    "malformed presence view", "from peer " + EngineSyncStore.hex(fromPeer) + ": " + e.getMessage());
            return false;
        }
        boolean changed = false, listsUs = false;
        synchronized (this) {
            for (Record r : records) {
                if (r.origin == localPeer) continue;
                if (r.origin == fromPeer && r.links.containsKey(localPeer)) listsUs = true;
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
        return listsUs;
    }

    /**
     * The current view as sent to {@code neighbour}: every record but the neighbour's own (it ignores its own record),
     * or null before there is a view. Sync thread.
     */
    synchronized byte @Nullable [] payloadFor(long neighbour) {
        if (payload == null) return null;
        List<byte[]> parts = new ArrayList<>(payloadRecords.size());
        for (int i = 0; i < payloadRecords.size(); i++) {
            if (payloadOrigins[i] != neighbour) parts.add(payloadRecords.get(i));
        }
        return view(parts);
    }

    /**
     * The marker that stands for {@code view} (as {@link #payloadFor} gave it for {@code neighbour}), or null: when the
     * last view sent to the neighbour, with our own record's sequence set to the one {@code view} carries, is {@code
     * view} byte for byte. Sync thread.
     */
    Message.@Nullable SamePresence markerFor(long neighbour, byte[] view) {
        byte[] last = memory.sentTo(neighbour);
        if (last == null) return null;
        long sequence = ownSequence(view, localPeer);
        if (sequence < 0) return null;
        byte[] restamped = restamp(last, localPeer, sequence);
        if (restamped == null || !java.util.Arrays.equals(restamped, view)) return null;
        return new Message.SamePresence(digest(last), sequence);
    }

    /** {@code view} went to {@code neighbour}, whole or as its marker. Sync thread. */
    void sent(long neighbour, byte[] view, boolean asMarker) {
        memory.sent(neighbour, view);
        if (asMarker) markersSent.incrementAndGet();
    }

    /**
     * A neighbour's marker: the view it stands for — the last view received from that neighbour, named by {@code
     * digest}, with its own (first) record stamped {@code sequence} — or null when this peer does not hold that view
     * (it restarted or forgot, the digest does not match, or the view held does not start with the neighbour's own
     * record). The caller hands the view to {@link #received} as if it had arrived whole. Sync thread.
     */
    byte @Nullable [] expand(long fromPeer, long digest, long sequence) {
        byte[] last = memory.receivedFrom(fromPeer);
        byte[] view = last == null || digest(last) != digest ? null : restamp(last, fromPeer, sequence);
        (view == null ? markersMissed : markersExpanded).incrementAndGet();
        return view;
    }

    /** The records this peer holds of other peers, by origin (tests: what the views received produced). */
    synchronized Map<Long, Record> records() {
        return Map.copyOf(known);
    }

    /** This peer's own record as its views carry it now (tests). */
    synchronized Record ownRecord() {
        return new Record(localPeer, sequence, metadata, neighbours);
    }

    /** The peers and bytes of the views remembered for markers (tests). */
    String memoryStats() {
        return memory.stats();
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
                        hops.put(to, Objects.requireNonNull(hops.get(at)) + 1);
                        queue.add(to);
                    }
                }
            }
            known.keySet().retainAll(hops.keySet());
            List<Peer> remote = new ArrayList<>();
            for (Map.Entry<Long, Integer> e : hops.entrySet()) {
                if (e.getKey() == localPeer) continue;
                Record r = all.get(e.getKey());
                remote.add(new Peer(
                        e.getKey(),
                        e.getValue(),
                        r == null ? Map.of() : r.metadata,
                        e.getValue() == 1 ? certificates.get(e.getKey()) : null));
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
            List<byte[]> parts = encode(ordered);
            p = view(parts);
            if (java.util.Arrays.equals(p, payload)) p = null;
            else {
                payload = p;
                payloadRecords = parts;
                payloadOrigins = new long[parts.size()];
                for (int i = 0; i < parts.size(); i++) payloadOrigins[i] = ordered.get(i).origin;
            }
        }
        SyncService s = service;
        if (p != null && s != null) s.broadcastPresence();
        if (graphChanged) observers.deliver(this::graph); // the latest graph, even if another change overtook g
    }

    private long nextSequence() {
        return Math.max(clock.getAsLong(), sequence + 1);
    }

    // ---- markers: the digest of a view, and its origin's record restamped

    /** The digest a marker names a view by: the first 8 bytes (big-endian) of the SHA-256 of its bytes. */
    static long digest(byte[] view) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(view);
            return java.nio.ByteBuffer.wrap(d).getLong();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }

    /** How a view begins when its first record is {@code origin}'s own, as {@link #encode} writes it, up to the seq. */
    private static byte[] ownPrefix(long origin) {
        return ("{\"v\":1,\"records\":[{\"origin\":\"" + EngineSyncStore.hex(origin) + "\",\"seq\":")
                .getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Where the digits of the first record's seq end in {@code view} (at a comma), or -1 when the view does not start
     * with {@code prefix} followed by 1–19 decimal digits and a comma.
     */
    private static int sequenceEnd(byte[] view, byte[] prefix) {
        if (view.length < prefix.length || !java.util.Arrays.equals(view, 0, prefix.length, prefix, 0, prefix.length))
            return -1;
        int i = prefix.length;
        while (i < view.length && view[i] >= '0' && view[i] <= '9') i++;
        int digits = i - prefix.length;
        return digits == 0 || digits > 19 || i >= view.length || view[i] != ',' ? -1 : i;
    }

    /** The sequence of {@code origin}'s own record when it is the view's first, or -1. */
    static long ownSequence(byte[] view, long origin) {
        byte[] prefix = ownPrefix(origin);
        int end = sequenceEnd(view, prefix);
        if (end < 0) return -1;
        try {
            return Long.parseLong(new String(view, prefix.length, end - prefix.length, StandardCharsets.US_ASCII));
        } catch (NumberFormatException tooLarge) {
            return -1;
        }
    }

    /**
     * {@code view} with its first record — which must be {@code origin}'s own, as {@link #encode} writes it — stamped
     * {@code sequence} instead, every other byte unchanged; or null when the view does not begin that way. Sender and
     * receiver of a marker apply this same rule to the same bytes.
     */
    static byte @Nullable [] restamp(byte[] view, long origin, long sequence) {
        if (sequence < 0) return null;
        byte[] prefix = ownPrefix(origin);
        int end = sequenceEnd(view, prefix);
        if (end < 0) return null;
        byte[] digits = Long.toString(sequence).getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[prefix.length + digits.length + view.length - end];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(digits, 0, out, prefix.length, digits.length);
        System.arraycopy(view, end, out, prefix.length + digits.length, view.length - end);
        return out.length > Message.Presence.MAX_BYTES ? null : out;
    }

    // ---- the PRESENCE payload: JSON, {"v":1,"records":[{"origin":"hex","seq":n,"meta":{},"links":{"hex":"tcp"}}]}

    @SuppressWarnings("JavaLangClash") // private to this class, which never uses java.lang.Record
    record Record(long origin, long sequence, Map<String, Object> metadata, Map<Long, String> links) {}

    /** The encoding of each record, in order, as many as fit in one PRESENCE (the farthest are left out). */
    private static List<byte[]> encode(List<Record> records) {
        List<byte[]> out = new ArrayList<>();
        int size = VIEW_HEAD.length + VIEW_TAIL.length;
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
            out.add(one);
        }
        return out;
    }

    private static final byte[] VIEW_HEAD = "{\"v\":1,\"records\":[".getBytes(StandardCharsets.UTF_8),
            VIEW_TAIL = "]}".getBytes(StandardCharsets.UTF_8);

    /** The view made of encoded records: {"v":1,"records":[record,record,…]}. */
    private static byte[] view(List<byte[]> records) {
        int size = VIEW_HEAD.length + VIEW_TAIL.length + Math.max(0, records.size() - 1);
        for (byte[] r : records) size += r.length;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(size);
        out.writeBytes(VIEW_HEAD);
        for (int i = 0; i < records.size(); i++) {
            if (i > 0) out.write(',');
            out.writeBytes(records.get(i));
        }
        out.writeBytes(VIEW_TAIL);
        return out.toByteArray();
    }

    private static byte[] write(Object o) {
        try {
            return Json.MAPPER.writeValueAsBytes(o);
        } catch (JsonProcessingException e) {
            throw new StarlingException(ErrorCode.INTERNAL, "cannot encode presence: " + e.getMessage(), e);
        }
    }

    /**
     * Reads a neighbour's PRESENCE. Everything in it is checked, since a peer may send anything: the version, every
     * record's shape and types, peer ids as 16 hex digits, and each record's metadata within the size a peer may set
     * for itself ({@value #MAX_METADATA_BYTES} bytes encoded). A view with anything wrong is refused whole, with a
     * message that says what and where.
     */
    static List<Record> decode(byte[] bytes) throws IOException {
        Object parsed = Json.MAPPER.readValue(bytes, Object.class);
        Map<?, ?> root = object(parsed, "the presence view");
        Long version = integer(root.get("v"));
        if (version == null || version != 1)
            throw new IOException("unknown presence version " + printable(root.get("v")));
        if (!(root.get("records") instanceof List<?> records))
            throw new IOException("the presence view has no list of records");
        List<Record> out = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            String where = "record " + i;
            Map<?, ?> m = object(records.get(i), where);
            long origin = peerId(m.get("origin"), where + ": origin");
            Object seqValue = m.get("seq");
            Long seq = integer(seqValue);
            if (seq == null) throw new IOException(where + ": seq is not a 64-bit integer");
            Object metaValue = m.get("meta");
            Map<String, Object> meta = new LinkedHashMap<>();
            if (metaValue != null) {
                object(metaValue, where + ": meta").forEach((k, val) -> meta.put((String) k, val));
                int size = Json.MAPPER.writeValueAsBytes(meta).length;
                if (size > MAX_METADATA_BYTES)
                    throw new IOException(
                            where + ": metadata of " + size + " bytes; the limit is " + MAX_METADATA_BYTES);
            }
            Map<Long, String> links = new LinkedHashMap<>();
            Object linksValue = m.get("links");
            if (linksValue != null) {
                for (Map.Entry<?, ?> e : object(linksValue, where + ": links").entrySet()) {
                    if (!(e.getValue() instanceof String transport) || transport.length() > 32)
                        throw new IOException(where + ": the transport of a link is not a short string");
                    links.put(peerId(e.getKey(), where + ": a link's peer"), transport);
                }
            }
            out.add(new Record(origin, seq, meta, links));
        }
        return out;
    }

    /** A JSON integer that fits 64 bits, as the mapper reads it (bigger ones become BigInteger), or null. */
    private static @Nullable Long integer(@Nullable Object value) {
        return value instanceof Long || value instanceof Integer ? ((Number) value).longValue() : null;
    }

    private static Map<?, ?> object(@Nullable Object value, String what) throws IOException {
        if (value instanceof Map<?, ?> m) return m;
        throw new IOException(what + " is not an object");
    }

    private static long peerId(@Nullable Object value, String what) throws IOException {
        if (value instanceof String hex && hex.length() == 16) {
            try {
                return Long.parseUnsignedLong(hex, 16);
            } catch (NumberFormatException notHex) {
                // said below
            }
        }
        throw new IOException(what + " is not a peer id (16 hex digits): " + printable(value));
    }

    private static String printable(@Nullable Object value) {
        String text = String.valueOf(value);
        return RefusalLog.printable(text.length() > 40 ? text.substring(0, 40) + "…" : text);
    }
}
