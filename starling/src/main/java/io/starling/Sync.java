package io.starling;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Replication with other peers: what this peer asks for (subscriptions) and how far each connected peer has
 * got (status). Thread-safe.
 */
public interface Sync {

    /**
     * Asks connected peers (now and later) for the documents matching {@code query}, which must be of the form
     * {@code SELECT * FROM collection [WHERE condition]} — no projection, ORDER BY, LIMIT, GROUP BY or
     * aggregates. Peers send matching documents, later changes to them, and their deletions. Closing the
     * subscription stops asking; the documents already received stay in the local store (use EVICT to drop
     * them).
     *
     * <p>{@code SELECT * FROM *} (no WHERE, no arguments) subscribes to every document of every collection — the
     * system ones ({@code system:…}) excepted — including collections created later, on any peer: what a server that
     * holds all of an app's data registers. Peers too old to read it are asked instead for each collection this
     * instance holds (docs/SYNC-PROTOCOL.md, "Every collection"). It is not a query: {@code Store.execute} refuses it.
     *
     * @throws QueryException for a statement of another form, a syntax error, a missing argument, or {@code SELECT *
     *     FROM *} followed by anything or given arguments
     */
    SyncSubscription registerSubscription(String query, Map<String, ?> arguments);

    /** The open subscriptions of this instance. */
    List<SyncSubscription> subscriptions();

    /** The peers this instance is connected to now, with how far each has acknowledged this store's changes. */
    List<PeerStatus> peers();

    /**
     * True when the peer has acknowledged every local change up to {@code sequence} (a
     * {@link QueryResult#commitSequence()}): a write it subscribes to has reached it. Changes it needs nothing of count
     * as reached: a document it sent us (stored here under a local sequence too), one it does not subscribe to.
     */
    boolean hasReached(long peerId, long sequence);

    /**
     * Removes tombstones (records of deleted documents) older than {@code retention}, to reclaim space. From
     * then on this peer refuses, from any peer, states of documents it holds no record of that are entirely
     * older than that horizon — so a peer that was offline for longer cannot resurrect deleted documents
     * ("zombies"); it is told to drop them instead. Choose a retention longer than any peer stays offline:
     * writes made offline for longer, to documents nobody else holds, are refused too. Returns the number of
     * tombstones removed.
     */
    long purgeTombstones(java.time.Duration retention);

    /**
     * Calls {@code callback} with {@link #peers()} whenever it changes (connections, acknowledgements); close the
     * returned handle to stop.
     *
     * <p>Thread: the instance's sync thread ({@code starling-sync}); calls never overlap. The callback must return
     * quickly and must not block: it holds up replication with every peer while it runs. Hand longer work to an
     * executor of your own. An exception it throws is logged and the registration stays.
     */
    ObserverHandle observePeers(Consumer<List<PeerStatus>> callback);

    /** The endpoints this peer listens on, with the real port where port 0 was configured. */
    List<Endpoint> listening();

    /** Adds an address to keep connected to (with reconnect and backoff) for as long as this instance is open. */
    void connect(Endpoint endpoint);

    /** Counters and gauges of replication since this instance opened. */
    Metrics metrics();

    /**
     * Stops replicating, before a stop, so that peers go elsewhere: stops accepting connections, dialing and LAN
     * discovery, and closes every session with the close reason {@code going-away} (docs/SYNC-PROTOCOL.md) once the
     * batch it may be applying is stored and acknowledged; connections that arrive later are refused. Reading and
     * writing the store go on working; {@link Starling#close()} ends the rest. Idempotent; blocks until the sessions
     * are closed (at most about 10 seconds).
     *
     * @throws StarlingException with {@link ErrorCode#CLOSED} if the instance is closed
     */
    void drain();

    /**
     * Replication counters. Bytes are counted on the network (after framing and encryption; messages for the
     * in-memory transport); documents are document states sent in or applied from batches; messages are sync
     * protocol messages (keep-alives and presence excluded); refused documents are states received from peers
     * that this peer can never accept (they do not decode, or break the data model's limits) and refused one by
     * one while the rest of their batch was applied; denied writes are changes received from peers that their
     * write permission does not allow (docs/PERMISSIONS.md), dropped one by one and never relayed; refused
     * revocation lists are lists newer than this peer's that peers sent and that did not verify against the trust
     * anchor (another authority's, forged, damaged): never adopted nor relayed (docs/AUTH.md, "Revocation").
     */
    record Metrics(
            long bytesSent,
            long bytesReceived,
            long documentsSent,
            long documentsReceived,
            int connections,
            long connectionsRefused,
            long messagesSent,
            long messagesReceived,
            long documentsRefused,
            long writesDenied,
            long revocationListsRefused) {
        /** The counters of a peer that refused no revocation list. */
        public Metrics(
                long bytesSent,
                long bytesReceived,
                long documentsSent,
                long documentsReceived,
                int connections,
                long connectionsRefused,
                long messagesSent,
                long messagesReceived,
                long documentsRefused,
                long writesDenied) {
            this(
                    bytesSent,
                    bytesReceived,
                    documentsSent,
                    documentsReceived,
                    connections,
                    connectionsRefused,
                    messagesSent,
                    messagesReceived,
                    documentsRefused,
                    writesDenied,
                    0);
        }

        /** The counters of a peer without permissions (no write is ever denied). */
        public Metrics(
                long bytesSent,
                long bytesReceived,
                long documentsSent,
                long documentsReceived,
                int connections,
                long connectionsRefused,
                long messagesSent,
                long messagesReceived,
                long documentsRefused) {
            this(
                    bytesSent,
                    bytesReceived,
                    documentsSent,
                    documentsReceived,
                    connections,
                    connectionsRefused,
                    messagesSent,
                    messagesReceived,
                    documentsRefused,
                    0,
                    0);
        }
    }

    /**
     * One connected peer.
     *
     * @param writesDenied changes this peer sent in the current session that its write permission does not allow:
     *     dropped one by one (the rest of its data synced on) and never relayed
     * @param documentsWithheld rows of this store not sent to the peer in the current session because its read
     *     permission does not allow them (counted each time one was withheld)
     * @param documentsSent document states sent to the peer in the current session
     * @param documentsReceived document states received from the peer in the current session
     * @param bytesSent bytes of the sync messages sent to the peer in the current session (before framing and
     *     encryption)
     * @param bytesReceived bytes of the sync messages received from the peer in the current session
     * @param lastExchange when the last message of the current session was sent or received; null before any
     */
    record PeerStatus(
            long peerId,
            boolean connected,
            long acknowledgedSequence,
            long writesDenied,
            long documentsWithheld,
            long documentsSent,
            long documentsReceived,
            long bytesSent,
            long bytesReceived,
            @Nullable Instant lastExchange) {
        /** A peer held to no permissions, with no traffic counted. */
        public PeerStatus(long peerId, boolean connected, long acknowledgedSequence) {
            this(peerId, connected, acknowledgedSequence, 0, 0);
        }

        /** A peer with its permission counters, with no traffic counted. */
        public PeerStatus(
                long peerId, boolean connected, long acknowledgedSequence, long writesDenied, long documentsWithheld) {
            this(peerId, connected, acknowledgedSequence, writesDenied, documentsWithheld, 0, 0, 0, 0, null);
        }

        /** The peer id as printed in logs and the CLI: 16 hex digits. */
        public String peerIdHex() {
            return String.format("%016x", peerId);
        }
    }

    /**
     * In the online identity mode, the state of this device's certificate: whether it may sync, as whom, until when,
     * and the last login problem; null in the other modes.
     */
    @Nullable
    DeviceStatus deviceStatus();

    /**
     * Online identity mode: sets what is asked for a token when the device certificate is about to expire (two thirds
     * of its validity have passed) and when a login must be retried; null removes it (the token given to {@link
     * Identity#online} is used again). Like Ditto's expiration handler: an app whose tokens are short-lived fetches a
     * fresh one here.
     *
     * <p>Thread: a thread of the instance's own ({@code starling-login}), never the sync thread; it may block for a
     * while (fetching a token), and the renewal waits for it.
     */
    void setExpirationHandler(@Nullable ExpirationHandler handler);

    /** Gives a fresh token for a renewal; see {@link #setExpirationHandler}. */
    @FunctionalInterface
    interface ExpirationHandler {
        /**
         * The certificate expires at {@code status.expiresAt()} (null before the first login): return the token to log
         * in with, or null to reuse the last one. An exception thrown is logged and the last token used.
         */
        @Nullable
        String renewalToken(DeviceStatus status);
    }

    /** Where a device of the online mode stands. */
    enum DeviceState {
        /** It has never logged in, or its stored certificate is of another authority: it does not sync. */
        NOT_LOGGED_IN,
        /** Its certificate is valid: it syncs (and renews before expiry). */
        VALID,
        /** Its certificate expired and no renewal succeeded: it does not sync until a login succeeds. */
        EXPIRED,
        /**
         * The app's authority revoked its user or its device key, and this device learned it (from a peer, or from its
         * stored revocation list): it does not sync any more, and its peers refuse it. The status's problem says
         * which list revoked what; the code is {@code auth/certificate-revoked}.
         */
        REVOKED
    }

    /**
     * The device certificate's state.
     *
     * @param userId the certificate's user, or null before the first login
     * @param expiresAt the certificate's expiry, or null before the first login
     * @param problem why the last login or renewal failed (the authority's refusal with its code, an unreachable
     *     authority), or null when it succeeded
     * @param problemCode the stable code of {@code problem}: {@code auth/bad-token}, {@code auth/denied}, {@code
     *     auth/bad-request}, {@code auth/revoked}, {@code auth/peer-id-taken} (the store's peer id is bound to another
     *     user), {@code auth/peer-id-limit} (the authority refused the login), {@code auth/authority-unavailable}, a {@code
     *     auth/certificate-…} code (the authority answered a certificate this device cannot use; {@code
     *     auth/certificate-revoked} when the device is {@link DeviceState#REVOKED}); null without a problem
     */
    record DeviceStatus(
            DeviceState state,
            @Nullable String userId,
            @Nullable Instant expiresAt,
            @Nullable String problem,
            @Nullable String problemCode) {
        public DeviceStatus {
            java.util.Objects.requireNonNull(state, "state");
        }
    }
}
