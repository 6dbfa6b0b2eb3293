package io.starling;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * Who is around: this peer, the peers it is connected to, and the peers those know (with their distance in
 * hops), with the connections between them and each peer's small metadata. Thread-safe.
 */
public interface Presence {

    /** The current graph. */
    Graph graph();

    /** Calls {@code callback} with the graph whenever it changes; close the handle to stop. */
    AutoCloseable observe(Consumer<Graph> callback);

    /**
     * This peer's metadata, shown to every peer in the mesh: a small JSON-like map (at most 4 KiB encoded;
     * larger is refused with {@link ErrorCode#CONFIG_INVALID}).
     */
    void setMetadata(Map<String, ?> metadata);

    /**
     * Decides on every incoming connection once the peer has identified itself: the handler answers with
     * {@code true} to allow; no answer within {@code timeout} denies. Null removes the handler (all allowed).
     */
    void setConnectionRequestHandler(ConnectionRequestHandler handler, Duration timeout);

    /** A connection that asks to be accepted. */
    record ConnectionRequest(long peerId, String transport, String remoteAddress) {}

    @FunctionalInterface
    interface ConnectionRequestHandler {
        CompletionStage<Boolean> decide(ConnectionRequest request);
    }

    /** The presence graph. Immutable. */
    record Graph(Peer local, List<Peer> remotePeers, List<Connection> connections) {
        public Graph {
            remotePeers = List.copyOf(remotePeers);
            connections = List.copyOf(connections);
        }
    }

    /**
     * A peer: its id, its distance from this peer in hops (0 for this peer, 1 for a direct neighbour) and its
     * metadata.
     */
    record Peer(long peerId, int hops, Map<String, Object> metadata) {
        public Peer {
            metadata = java.util.Collections.unmodifiableMap(
                    new java.util.LinkedHashMap<>(metadata)); // JSON null values allowed
        }

        public String peerIdHex() {
            return String.format("%016x", peerId);
        }
    }

    /** A connection between two peers of the mesh, over a transport ({@code tcp}, {@code websocket}, {@code memory}). */
    record Connection(long peerA, long peerB, String transport) {}
}
