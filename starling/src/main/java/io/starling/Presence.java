package io.starling;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Who is around: this peer, the peers it is connected to, and the peers those know (with their distance in
 * hops), with the connections between them and each peer's small metadata. Thread-safe.
 */
public interface Presence {

    /** The current graph. */
    Graph graph();

    /**
     * Calls {@code callback} with the graph whenever it changes; close the returned handle to stop.
     *
     * <p>Thread: the instance's sync thread ({@code starling-sync}) for changes that come from the network, or the
     * thread that called {@link #setMetadata} for a change of this peer's metadata; calls never overlap, and each
     * gets the latest graph. The callback must return quickly and must not block: on the sync thread it holds up
     * replication with every peer. Hand longer work to an executor of your own. An exception it throws is logged
     * and the registration stays.
     */
    ObserverHandle observe(Consumer<Graph> callback);

    /**
     * This peer's metadata, shown to every peer in the mesh: a small JSON-like map (at most 4 KiB encoded;
     * larger is refused with {@link ErrorCode#CONFIG_INVALID}).
     */
    void setMetadata(Map<String, ?> metadata);

    /**
     * Decides on every incoming connection once the peer has identified itself: the handler answers with
     * {@code true} to allow; no answer within {@code timeout} denies. Null removes the handler (all allowed).
     *
     * <p>Thread: {@link ConnectionRequestHandler#decide} is called on the instance's sync thread ({@code
     * starling-sync}). It must return at once — with a stage completed later, from any thread, if the decision
     * takes time (asking a user, a server) — and must not block: it holds up replication with every peer. A
     * handler that throws, or a stage that completes exceptionally, denies the connection.
     */
    void setConnectionRequestHandler(ConnectionRequestHandler handler, Duration timeout);

    /**
     * A connection that asks to be accepted.
     *
     * @param certificate in the online identity mode, the remote's verified device certificate (its user and
     *     metadata); null in the other modes
     */
    record ConnectionRequest(
            long peerId,
            String transport,
            String remoteAddress,
            @Nullable PeerCertificate certificate) {
        /** A request without a certificate (playground and shared-key modes). */
        public ConnectionRequest(long peerId, String transport, String remoteAddress) {
            this(peerId, transport, remoteAddress, null);
        }
    }

    /**
     * What a remote's device certificate says, verified by this peer in the TLS handshake (online identity mode): the
     * user it was issued to, the metadata the login provider gave, its validity, serial number and issuer (the
     * authority), and the fingerprint of the device's key (SHA-256 of its public key, 64 hex digits; the same across
     * renewals). Immutable.
     */
    record PeerCertificate(
            String userId,
            Map<String, Object> metadata,
            Instant notBefore,
            Instant expiresAt,
            String serialNumber,
            String issuer,
            String deviceKeyFingerprint) {
        public PeerCertificate {
            java.util.Objects.requireNonNull(userId, "userId");
            metadata = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metadata));
            java.util.Objects.requireNonNull(notBefore, "notBefore");
            java.util.Objects.requireNonNull(expiresAt, "expiresAt");
            java.util.Objects.requireNonNull(serialNumber, "serialNumber");
            java.util.Objects.requireNonNull(issuer, "issuer");
            java.util.Objects.requireNonNull(deviceKeyFingerprint, "deviceKeyFingerprint");
        }
    }

    /** Decides on incoming connections; see {@link #setConnectionRequestHandler} for the thread it runs on. */
    @FunctionalInterface
    interface ConnectionRequestHandler {
        /**
         * Answers {@code true} to allow the connection. Called on the sync thread: return at once, completing the
         * stage later if the decision takes time; never block.
         */
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
     * A peer: its id, its distance from this peer in hops (0 for this peer, 1 for a direct neighbour), its metadata
     * (what it set with {@link #setMetadata}: self-declared, not verified) and, for a direct neighbour in the online
     * identity mode, its verified device certificate (null otherwise: a peer further away is known only from what
     * others relay, which this peer cannot verify).
     */
    record Peer(
            long peerId,
            int hops,
            Map<String, Object> metadata,
            @Nullable PeerCertificate certificate) {
        public Peer {
            metadata = java.util.Collections.unmodifiableMap(
                    new java.util.LinkedHashMap<>(metadata)); // JSON null values allowed
        }

        /** A peer without a verified certificate. */
        public Peer(long peerId, int hops, Map<String, Object> metadata) {
            this(peerId, hops, metadata, null);
        }

        public String peerIdHex() {
            return String.format("%016x", peerId);
        }
    }

    /** A connection between two peers of the mesh, over a transport ({@code tcp}, {@code websocket}, {@code memory}). */
    record Connection(long peerA, long peerB, String transport) {}
}
