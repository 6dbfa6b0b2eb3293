package io.starling.internal.sync;

import io.starling.internal.sync.Message.Ack;
import io.starling.internal.sync.Message.Batch;
import io.starling.internal.sync.Message.Close;
import io.starling.internal.sync.Message.Docs;
import io.starling.internal.sync.Message.Hello;
import io.starling.internal.sync.Message.Presence;
import io.starling.internal.sync.Message.Request;
import io.starling.internal.sync.Message.Subscriptions;
import io.starling.internal.sync.Message.Summary;
import io.starling.internal.sync.Message.Zombies;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/*
 * Design note — the sync session.
 *
 * One SyncSession per connection, sans-I/O: it is fed what arrives (onMessage / onFrame), "the store has new
 * rows" (onLocalChange), our subscription changes and clock ticks, and returns the messages to send, in order.
 * It reads the clock only through onTick's argument and starts nothing. Each connection carries two independent
 * directions, so the session is two halves sharing a handshake:
 *
 *                    +------------------ SyncSession ------------------+
 *   our store  --->  | Sender: remote's subscriptions, live cursor,    |  ---> BATCH, DOCS
 *   (SyncStoreView)  |   backfills, push-backs, window of batches      |  <--- SUBSCRIPTIONS, ACK, REQUEST
 *                    |                 ^ behind refs | acks release    |
 *                    |                 | (obligations) v               |
 *   our store  <---  | Receiver: our subscriptions, checkpoint,        |  <--- BATCH, DOCS, ZOMBIES
 *   (apply)          |   covered set, hints -> requests                |  ---> SUBSCRIPTIONS, ACK, REQUEST
 *                    +--------------- EchoMap (shared) ----------------+
 *
 * Sender. Rows are read from the store's change sequence past the live cursor, which starts at the receiver's
 * checkpoint when the checkpoint is of our store's incarnation, else at 0. A row of a subscribed collection is a
 * DOC when it is a tombstone or matches a subscription, a HINT when it does not match but the receiver holds
 * documents in that collection, else nothing; a row whose state is the one the receiver sent us last (EchoMap)
 * is skipped. A batch takes whole transaction groups up to batchBytes (or one group up to a frame) and is split
 * only for a group larger than a frame: then the batch is "continued", and a state larger than a frame travels
 * as PART entries ending with a DOC. A subscription the receiver reports not covered is covered at once if no
 * row was examined yet (cursor 0: the live feed reads everything with it); otherwise it gets a backfill by id
 * cursor of the rows up to the cursor — the whole collection (tombstones, hints) when no covered subscription
 * reads it yet, only its matches otherwise. At most `window` batches are unacknowledged; acknowledgements are
 * cumulative, and the acknowledged sequence moves only with batches that end a group.
 *
 * Receiver. Batches must come in order (batch number + 1): a lower number is a duplicate, acknowledged again;
 * a higher one means something was lost and closes the session (out-of-order). A batch is applied with the new
 * checkpoint in one store transaction; a continued batch is held (up to maxGroupBytes) until its group ends. The
 * covered set follows covered = (covered ∩ current keys) ∪ {done keys produced under a subscription revision at
 * or after the one that (re)added them}. Hints whose digest differs from our state become REQUESTs, one at a
 * time, of at most 64 documents; while more than 4,096 hinted documents wait, acknowledgements are deferred so
 * that the sender slows down. Zombies refused by the store are reported back; documents whose state the merge
 * left unchanged although it differed from the received one ("behind": the remote's copy is stale) are pushed
 * back whole by our sender half.
 *
 * Obligations. A hint not yet answered, or a push-back not yet acknowledged, would be forgotten by a session
 * that ends: the next one starts past the batch that caused it. So such a batch is applied without its
 * checkpoint, and the checkpoint moves over leading batches once their obligations are met (Receiver.Obligation,
 * released by DOCS answers and by ACKs of the batches carrying push-backs). A zombie refused is an obligation
 * that stays owed until the session ends: ZOMBIES is not acknowledged, so only the next session's resend of the
 * batch can refuse it again (or find that the holder evicted it, or that we hold a row of it by now).
 *
 * Peers that never met. A receiver with no checkpoint for the sender reconciles each subscribed collection by ranges
 * (RANGES rounds, Reconciliation) before its first SUBSCRIPTIONS when both sides announced CAP_RANGES, and otherwise
 * sends a SUMMARY per collection (bucket sums of row hashes, Summaries); a sender starting from 0 skips the rows shown
 * equal, up to the sequence it read before it compared (Sender.onRanges, Sender.compareSummaries).
 *
 * Resumed sessions. Between peers that both announced CAP_RESUME, a receiver that met the sender before sends, for a
 * first SUBSCRIPTIONS unchanged since the sender processed it, a RESUME marker (revision, flags, checkpoint, digest of
 * the subscriptions); the sender processes it as the set it kept from that receiver (ResumeMemory) when the digest
 * names it, and otherwise answers WANTED, after which the receiver sends the set whole. Nothing is acted on that the
 * receiver did not send whole.
 *
 * Presence on resumed sessions. Between peers that both announced CAP_PRESENCE_RESUME, the engine may send its first
 * presence view of a session as a marker (PRESENCE-RESUME SAME: the digest of the last view it sent that peer and its
 * own record's new sequence) and answers a marker it cannot match with WANTED; the session only carries them (presence
 * is the engine's, see PresenceService), and closes with malformed when either arrives at a peer that did not announce
 * the bit.
 *
 * Revocations. A session of a peer that keeps a revocation list (RevocationState, shared by the peer's sessions)
 * announces CAP_REVOCATIONS; between two such peers each side announces the number of its list once (REVOCATIONS
 * with no list), and a side sends its list only to a remote whose number is lower, once per list. A newer list is
 * judged by the RevocationVerifier (the bytes are opaque here) and adopted or refused and counted; the owner hears of
 * an adoption and tells its other sessions (revocationsChanged). A remote whose user or device key the list held
 * revokes is sent the list, then closed (revoked) — at the handshake, on adoption, and whenever the list changes.
 *
 * Encoding. encode() compresses BATCH and DOCS (DEFLATE, per message) for a peer that announced CAP_DEFLATE;
 * decoding is transparent (WireCodec.decode inflates within our frame limit).
 *
 * Robustness. The session assumes an ordered, lossless stream and notices anything else: duplicates are
 * ignored (and re-acknowledged), gaps and answers to what was never asked close with out-of-order, a stalled
 * window or an unanswered request closes with timeout at the next tick. Nothing is lost by a close: the next
 * session resumes from the receiver's durable checkpoint. Memory is bounded: window × batchBytes in flight,
 * live and backfill reads in chunks, one continued group, bounded queues of hints, push-backs and echo digests.
 */

/**
 * One sync connection's protocol state machine (docs/SYNC-PROTOCOL.md). Every method returns the messages to
 * send, in order, and after the session closed every method returns an empty list. Not thread-safe: drive a
 * session from one thread at a time, and never from inside a {@link SyncStoreView} or {@link SessionListener}
 * call.
 *
 * <p>Timeouts are measured with the times passed to {@link #onTick}: call it right after {@link #start()} and
 * then regularly (every second, say).
 */
public final class SyncSession {
    /** Close reasons: stable strings, sent in CLOSE and reported to the listener. */
    public static final String VERSION = "version",
            APP = "app",
            SELF = "self",
            MALFORMED = "malformed",
            OUT_OF_ORDER = "out-of-order",
            CLOCK_DRIFT = "clock-drift",
            TIMEOUT = "timeout",
            OVERSIZE = "oversize",
            CLOSED = "closed",
            INTERNAL = "internal",
            // this peer's store has no space left for what the remote sends: retry much later
            STORE_FULL = "store-full";
    /**
     * Close reasons the engine uses around the protocol: {@code duplicate} (another session with the same peer
     * wins the tie-break), {@code denied} (the connection-request hook said no or did not answer),
     * {@code unauthenticated} (the HELLO's peer id is not the one bound to the remote's certificate), {@code
     * going-away} (this peer is draining before it stops: reconnect at once, to another node of it if there is one).
     */
    public static final String DUPLICATE = "duplicate",
            DENIED = "denied",
            UNAUTHENTICATED = "unauthenticated",
            GOING_AWAY = "going-away";
    /**
     * Close reason: the peer's revocation list revokes the remote's user or device (docs/SYNC-PROTOCOL.md,
     * "Revocations"). The list is sent before the CLOSE, so that the revoked device learns why.
     */
    public static final String REVOKED = "revoked";

    private enum State {
        NEW,
        HELLO_SENT,
        ESTABLISHED,
        CLOSED
    }

    private final SyncStoreView store;
    private final SessionConfig config;
    private final SessionListener listener;
    private final EchoMap echo;
    private final Sender sender;
    private final Receiver receiver;
    private final RemoteIdentity remote;
    private final @Nullable RevocationState revocations; // null: this peer keeps no revocation list

    // revocations: the number the remote announced or sent (-1: not heard yet), the number we sent it, refusals
    private long remoteRevocations = -1;
    private long sentRevocations;
    private long revocationsRefused;

    // admission: authentication of the HELLO, then (when asked for) the application's approval
    private boolean helloChecked;
    private boolean approvalNeeded;
    /** Our HELLO waits for {@link #allow()}: the remote's certified peer id was put to the application first. */
    private boolean helloWithheld;

    private @Nullable List<Message> held; // non-null while the application decides: what arrived meanwhile
    private @Nullable Hello firstHello; // the first HELLO received, accepted or not (to say why it was refused)

    private State state = State.NEW;
    private @Nullable Hello remoteHello;
    private int frameLimit;
    private @Nullable String closeReason;
    private @Nullable List<Message> out; // the output of the call in progress

    // timeouts, on the clock of onTick
    private long startTick = Long.MIN_VALUE;
    private long handshakeSince = Long.MIN_VALUE,
            handshakeProgress = -1; // reconciliation rounds extend the hello timeout
    private long senderSince, senderProgress = -1;
    private long receiverSince, receiverActivity = -1;

    public SyncSession(SyncStoreView store, SessionConfig config, SessionListener listener) {
        this(store, config, listener, RemoteIdentity.NONE);
    }

    /**
     * A session whose remote proved {@code remote.certifiedPeerId()} (when not 0) and is held to {@code
     * remote.principal()}: what we send is filtered by its read permission, what we apply is checked against its
     * write permission (docs/PERMISSIONS.md, "Enforcement in sync").
     */
    public SyncSession(SyncStoreView store, SessionConfig config, SessionListener listener, RemoteIdentity remote) {
        this(store, config, listener, remote, null);
    }

    /**
     * A session as above that also keeps the peer's revocation list (docs/SYNC-PROTOCOL.md, "Revocations"): it
     * announces {@link SessionConfig#CAP_REVOCATIONS}, exchanges lists with a remote that announces it too, adopts a
     * newer list that {@code revocations}' verifier accepts, and closes with {@link #REVOKED} when the list held
     * revokes the remote.
     *
     * @param revocations the peer's list, shared by all its sessions; null for a peer that keeps none (then the
     *     session behaves exactly as one without it)
     */
    public SyncSession(
            SyncStoreView store,
            SessionConfig config,
            SessionListener listener,
            RemoteIdentity remote,
            @Nullable RevocationState revocations) {
        this.revocations = revocations;
        this.remote = Objects.requireNonNull(remote, "remote");
        this.store = Objects.requireNonNull(store, "store");
        this.config = Objects.requireNonNull(config, "config");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.echo = new EchoMap(config.echoEntries());
        this.sender = new Sender(this, store);
        this.receiver = new Receiver(this, store);
        this.frameLimit = config.maxFrameBytes();
    }

    // ---- the API --------------------------------------------------------------------------------------

    /**
     * Our HELLO. Call once, first; SUBSCRIPTIONS follows once the remote's HELLO is accepted. A session awaiting
     * approval ({@link #awaitApproval()}) whose remote's peer id is certified sends nothing yet: it asks for the
     * decision at once and sends its HELLO only when allowed, so a refused remote learns nothing but the refusal.
     */
    public List<Message> start() {
        if (state == State.CLOSED) return List.of();
        if (state != State.NEW) throw new IllegalStateException("start() was already called");
        return run(() -> {
            state = State.HELLO_SENT;
            long certified = remote.certifiedPeerId();
            if (approvalNeeded && certified != 0) {
                helloWithheld = true;
                held = new ArrayList<>();
                listener.approvalRequested(certified);
                return;
            }
            out().add(ourHello());
        });
    }

    private Hello ourHello() {
        return new Hello(
                SessionConfig.PROTOCOL_VERSION,
                store.appId(),
                store.peerId(),
                store.incarnation(),
                SessionConfig.CAP_SUMMARY
                        | SessionConfig.CAP_ATTACHMENTS
                        | (config.everyCollection() ? SessionConfig.CAP_EVERY : 0)
                        | (revocations != null ? SessionConfig.CAP_REVOCATIONS : 0)
                        | (config.deflate() ? SessionConfig.CAP_DEFLATE : 0)
                        | (config.ranges() ? SessionConfig.CAP_RANGES : 0)
                        | (config.deltas() ? SessionConfig.CAP_DELTAS : 0)
                        | (announcesResume() ? SessionConfig.CAP_RESUME : 0)
                        | (config.hintPasses() ? SessionConfig.CAP_HINT_PASS : 0)
                        | (config.presenceResume() ? SessionConfig.CAP_PRESENCE_RESUME : 0),
                config.maxFrameBytes(),
                store.tombstoneHorizon());
    }

    /**
     * Holds the remote's HELLO, and everything after it, until the application decides: call before {@link
     * #start()}. When the remote's peer id is certified ({@link RemoteIdentity#certifiedPeerId()}), {@link #start()}
     * asks at once and withholds our own HELLO until {@link #allow()} (the remote's HELLO is then checked against the
     * certificate when it is read); otherwise our HELLO goes out at start and the listener's {@link
     * SessionListener#approvalRequested} says when the remote's HELLO arrived (after it passed authentication). Then
     * {@link #allow()} or {@link #deny(String)}. At most {@link #MAX_HELD_MESSAGES}
     * messages wait meanwhile; more close the session ({@code denied}). No document crosses before the decision:
     * the session is not established, so nothing is sent either.
     */
    public void awaitApproval() {
        if (state != State.NEW) throw new IllegalStateException("awaitApproval() after start()");
        approvalNeeded = true;
    }

    /** Messages a session waiting for approval keeps; beyond, it closes with {@code denied}. */
    public static final int MAX_HELD_MESSAGES = 64;

    /** The application allowed the connection: what arrived meanwhile is read now. */
    public List<Message> allow() {
        return run(() -> {
            List<Message> pending = held;
            approvalNeeded = false;
            held = null;
            if (helloWithheld) {
                helloWithheld = false;
                out().add(ourHello());
            }
            if (pending == null) return;
            for (Message m : pending) {
                if (state == State.CLOSED) return;
                if (admit(m)) dispatch(m); // a HELLO held before it was checked is checked now
            }
            pump();
        });
    }

    /** The application refused the connection (or did not answer in time): closes with {@code denied}. */
    public List<Message> deny(String message) {
        return run(() -> {
            held = null;
            fail(DENIED, message);
        });
    }

    /** True while the remote's HELLO waits for {@link #allow()} or {@link #deny}. */
    public boolean awaitingApproval() {
        return held != null;
    }

    /** A message received, in the order received. */
    public List<Message> onMessage(Message m) {
        Objects.requireNonNull(m, "message");
        if (state == State.NEW) throw new IllegalStateException("onMessage before start()");
        return run(() -> {
            if (admit(m)) dispatch(m);
            pump();
        });
    }

    /**
     * Authentication and approval, before the remote's first HELLO is read: a HELLO naming another peer id than
     * the certified one closes ({@code unauthenticated}); a session awaiting approval holds it (and what follows).
     */
    private boolean admit(Message m) {
        List<Message> waiting = held;
        if (waiting != null) {
            if (m instanceof Close) return true;
            if (waiting.size() >= MAX_HELD_MESSAGES) {
                fail(DENIED, "more than " + MAX_HELD_MESSAGES + " messages before the connection was allowed");
            } else {
                waiting.add(m);
            }
            return false;
        }
        if (helloChecked || !(m instanceof Hello h) || state != State.HELLO_SENT) return true;
        helloChecked = true;
        firstHello = h;
        long certified = remote.certifiedPeerId();
        if (certified != 0 && h.peerId() != certified) {
            fail(
                    UNAUTHENTICATED,
                    "the HELLO names peer " + String.format("%016x", h.peerId())
                            + " but the certificate belongs to peer " + String.format("%016x", certified));
            return false;
        }
        if (approvalNeeded) {
            List<Message> list = new ArrayList<>();
            list.add(m);
            held = list;
            listener.approvalRequested(h.peerId());
            return false;
        }
        return true;
    }

    /** The bytes of one frame received: decoded, then {@link #onMessage}; undecodable bytes close (malformed). */
    public List<Message> onFrame(byte[] message) {
        if (state == State.CLOSED) return List.of();
        if (state == State.NEW) throw new IllegalStateException("onFrame before start()");
        Message m;
        try {
            m = WireCodec.decode(message, config.maxFrameBytes());
        } catch (WireException e) {
            return onWireError(e);
        }
        return onMessage(m);
    }

    /**
     * The bytes to send for a message this session returned: BATCH and DOCS DEFLATE-compressed when both sides
     * announced {@link SessionConfig#CAP_DEFLATE} and that makes them smaller ({@link WireCodec#encodeDeflated}),
     * everything else as {@link WireCodec#encode}. Call it on the thread that drives the session.
     */
    public byte[] encode(Message m) {
        return deflates(m) ? WireCodec.encodeDeflated(m) : WireCodec.encode(m);
    }

    /**
     * {@link #encode(Message)} with a compressor ({@link WireCodec#newDeflater()}) that the caller reuses for every
     * message it encodes on this thread, whatever the session.
     */
    public byte[] encode(Message m, java.util.zip.Deflater deflater) {
        return deflates(m) ? WireCodec.encodeDeflated(m, deflater) : WireCodec.encode(m);
    }

    private boolean deflates(Message m) {
        return config.deflate()
                && remoteHello != null
                && (remoteHello.capabilities() & SessionConfig.CAP_DEFLATE) != 0
                && (m instanceof Batch || m instanceof Docs);
    }

    /** The transport's frame decoder failed (malformed, oversize): closes with that reason. */
    public List<Message> onWireError(WireException e) {
        return run(() -> fail(e.reason(), Objects.requireNonNullElse(e.getMessage(), e.reason())));
    }

    /** The store has new rows (a local write, or a merge from any session): send what the remote wants. */
    public List<Message> onLocalChange() {
        return run(() -> {
            sender.localChange();
            if (state == State.ESTABLISHED) receiver.localChange(out());
            pump();
        });
    }

    /**
     * Our subscriptions are now {@code subscriptions} (the whole set). May be called before {@link #start()}.
     *
     * @throws IllegalArgumentException when they would not fit in one SUBSCRIPTIONS message (32 KiB)
     */
    public List<Message> setSubscriptions(List<Subscription> subscriptions) {
        List<Subscription> copy = List.copyOf(subscriptions);
        Receiver.checkSize(copy);
        return run(() -> {
            receiver.setSubscriptions(copy, state == State.ESTABLISHED ? out() : new ArrayList<>());
            pump();
        });
    }

    /**
     * The clock: closes with {@code timeout} when the remote's HELLO and first SUBSCRIPTIONS did not arrive within
     * helloTimeoutMillis of the first tick, when batches stay unacknowledged with no progress for
     * progressTimeoutMillis, or when a request or subscription change stays unanswered as long.
     */
    public List<Message> onTick(long nowMillis) {
        return run(() -> {
            if (startTick == Long.MIN_VALUE) startTick = nowMillis;
            // each round of range reconciliation (bounded in number) is progress towards the first SUBSCRIPTIONS
            long reconciled = sender.rangesReceived() + receiver.rangesReceived();
            if (reconciled != handshakeProgress) {
                handshakeProgress = reconciled;
                handshakeSince = nowMillis;
            }
            if ((state != State.ESTABLISHED || !sender.started())
                    && nowMillis - Math.max(startTick, handshakeSince) > config.helloTimeoutMillis()) {
                fail(
                        TIMEOUT,
                        state != State.ESTABLISHED
                                ? "no HELLO within " + config.helloTimeoutMillis() + " ms"
                                : "no SUBSCRIPTIONS within " + config.helloTimeoutMillis() + " ms");
                return;
            }
            if (sender.inFlight() == 0 || sender.progress() != senderProgress) {
                senderSince = nowMillis;
                senderProgress = sender.progress();
            } else if (nowMillis - senderSince > config.progressTimeoutMillis()) {
                fail(TIMEOUT, sender.inFlight() + " batches unacknowledged for " + (nowMillis - senderSince) + " ms");
                return;
            }
            if (!receiver.waiting() || receiver.activity() != receiverActivity) {
                receiverSince = nowMillis;
                receiverActivity = receiver.activity();
            } else if (nowMillis - receiverSince > config.progressTimeoutMillis()) {
                fail(TIMEOUT, "no answer from the remote for " + (nowMillis - receiverSince) + " ms");
                return;
            }
            if (state == State.ESTABLISHED) receiver.tick(nowMillis, out());
            pump();
        });
    }

    /**
     * Our presence view changed: the PRESENCE to send once the session is established (empty before, and after
     * a close). Presence is best effort: it is not acknowledged, and a newer view replaces an older one.
     */
    public List<Message> sendPresence(byte[] payload) {
        Presence p = new Presence(payload);
        return run(() -> {
            if (state == State.ESTABLISHED) out().add(p);
        });
    }

    /**
     * Whether presence views may go as markers ({@link #sendSamePresence}): both sides announced {@link
     * SessionConfig#CAP_PRESENCE_RESUME} and the session is established.
     */
    public boolean presenceResumes() {
        return state == State.ESTABLISHED
                && config.presenceResume()
                && (remoteCapabilities() & SessionConfig.CAP_PRESENCE_RESUME) != 0;
    }

    /**
     * Our presence view as a marker: the last view we sent this remote (named by {@code digest}) with our own record's
     * sequence now {@code sequence} (docs/SYNC-PROTOCOL.md, "Presence on resumed sessions"). Nothing unless {@link
     * #presenceResumes()}.
     */
    public List<Message> sendSamePresence(long digest, long sequence) {
        Message.SamePresence m = new Message.SamePresence(digest, sequence);
        return run(() -> {
            if (presenceResumes()) out().add(m);
        });
    }

    /** Asks the remote for its presence view whole: we do not hold the one its marker named. */
    public List<Message> wantPresence(long digest) {
        return run(() -> {
            if (presenceResumes()) out().add(new Message.PresenceWanted(digest));
        });
    }

    /**
     * The peer's revocation list changed (adopted from another session, from the authority, at start): sends it to
     * the remote if the remote holds an older one, then closes with {@link #REVOKED} if it revokes the remote. Before
     * the handshake it does nothing (the handshake checks the list).
     */
    public List<Message> revocationsChanged() {
        return run(() -> {
            if (state != State.ESTABLISHED) return;
            sendRevocationsIfBehind();
            closeIfRevoked();
        });
    }

    /** Revocation lists the remote sent that the verifier refused. */
    public long revocationsRefused() {
        return revocationsRefused;
    }

    /** The number of the remote's revocation list as far as this session knows (-1 before it said). */
    public long remoteRevocations() {
        return remoteRevocations;
    }

    /** Closes the session from our side (reason {@code closed}): returns the CLOSE to send. */
    public List<Message> close(String message) {
        return run(() -> fail(CLOSED, message));
    }

    /** Closes the session from our side with a given reason (one of the stable strings above). */
    public List<Message> close(String reason, String message) {
        return run(() -> fail(reason, message));
    }

    /** Whether both HELLOs were accepted and the session is not closed. */
    boolean established() {
        return state == State.ESTABLISHED;
    }

    public boolean isClosed() {
        return state == State.CLOSED;
    }

    /** The reason the session closed, or null while it is open. */
    public @Nullable String closeReason() {
        return closeReason;
    }

    /** The remote's HELLO capability bits ({@link SessionConfig#CAP_ATTACHMENTS} …), or 0 before its HELLO. */
    public long remoteCapabilities() {
        Hello h = remoteHello;
        return h == null ? 0 : h.capabilities();
    }

    /** The remote's peer id, or 0 before its HELLO was accepted. */
    public long remotePeerId() {
        return remoteHello == null ? 0 : remoteHello.peerId();
    }

    /** The first HELLO the remote sent, accepted or not (null before one arrived): to say why a session was refused. */
    public @Nullable Hello firstRemoteHello() {
        return firstHello;
    }

    /** Who the remote is, as far as permissions go. */
    public Principal remotePrincipal() {
        return remote.principal();
    }

    /** Rows not sent because the remote may not read them (documents and hints, counted where they were withheld). */
    public long withheld() {
        return sender.withheld();
    }

    /** Rows not sent because range reconciliation showed that the remote holds them already. */
    public long rangesSkipped() {
        return sender.rangesSkipped();
    }

    /** Documents sent to the remote as field deltas (DELTA entries) instead of whole states. */
    public long deltasSent() {
        return sender.deltasSent();
    }

    /** Field deltas from the remote merged and kept (the result matched the digest of the sender's state). */
    public long deltasApplied() {
        return receiver.deltasApplied();
    }

    /**
     * Field deltas from the remote refused — we did not hold the state they were computed against, or they did not
     * decode — whose documents were requested whole instead.
     */
    public long deltasRefused() {
        return receiver.deltasRefused();
    }

    /**
     * Resumed sessions (docs/SYNC-PROTOCOL.md): RESUME markers from the remote processed as the subscription set they
     * named.
     */
    public long subscriptionsResumed() {
        return sender.subscriptionsResumed();
    }

    /** RESUME markers from the remote that named no set we hold from it, answered with SUBSCRIPTIONS-WANTED. */
    public long subscriptionsWanted() {
        return sender.subscriptionsWanted();
    }

    /** RESUME markers we sent instead of a whole SUBSCRIPTIONS. */
    public long resumeMarkersSent() {
        return receiver.markersSent();
    }

    /** Changes from the remote left out because its write permission does not allow them. */
    public long denied() {
        return receiver.denied();
    }

    /** The remote's tombstone horizon from its HELLO, or 0. */
    public long remoteHorizon() {
        return remoteHello == null ? 0 : remoteHello.horizon();
    }

    /** The highest of our change sequences the remote acknowledged (everything up to it that it subscribes to). */
    public long ackedSequence() {
        return sender.ackedSequence();
    }

    /** The remote's current subscriptions (what we send it). */
    public List<Subscription> remoteSubscriptions() {
        return sender.subscriptions();
    }

    // ---- inside ---------------------------------------------------------------------------------------

    private List<Message> run(Runnable body) {
        if (state == State.CLOSED) return List.of();
        if (out != null) throw new IllegalStateException("a SyncSession method was called from inside another");
        List<Message> result = new ArrayList<>();
        out = result;
        try {
            body.run();
            return result;
        } catch (SyncStoreView.StoreFullException e) {
            // a condition of this peer, not a protocol failure: close cleanly, telling the remote why
            fail(STORE_FULL, Objects.requireNonNullElse(e.getMessage(), "this peer's store is full"));
            return result;
        } catch (RuntimeException | Error e) {
            if (state != State.CLOSED) {
                state = State.CLOSED;
                closeReason = INTERNAL;
                listener.closed(INTERNAL, String.valueOf(e), false);
            }
            throw e;
        } finally {
            out = null;
        }
    }

    /** The output of the call in progress: only inside {@link #run}. */
    private List<Message> out() {
        return Objects.requireNonNull(out, "outside a SyncSession call");
    }

    private void dispatch(Message m) {
        if (m instanceof Close c) {
            state = State.CLOSED;
            closeReason = c.reason();
            listener.closed(c.reason(), c.message(), true);
            return;
        }
        if (state == State.HELLO_SENT) {
            if (m instanceof Hello h) handshake(h);
            else fail(OUT_OF_ORDER, m.getClass().getSimpleName() + " before HELLO");
            return;
        }
        if (m instanceof Hello h) {
            if (!h.equals(remoteHello)) fail(MALFORMED, "a second, different HELLO");
        } else if (m instanceof Subscriptions s) {
            sender.onSubscriptions(s, listener);
        } else if (m instanceof Batch b) {
            receiver.onBatch(b, out());
        } else if (m instanceof Ack a) {
            sender.onAck(a, out());
        } else if (m instanceof Request r) {
            sender.onRequest(r, out());
        } else if (m instanceof Docs d) {
            receiver.onDocs(d, out());
        } else if (m instanceof Zombies z) {
            store.evict(z.docs());
        } else if (m instanceof Presence p) {
            listener.presence(p.payload());
        } else if (m instanceof Message.SamePresence same) {
            if (!config.presenceResume())
                fail(MALFORMED, "PRESENCE-RESUME, though this peer did not announce it reads them");
            else listener.samePresence(same.digest(), same.sequence());
        } else if (m instanceof Message.PresenceWanted wanted) {
            if (!config.presenceResume())
                fail(MALFORMED, "PRESENCE-RESUME, though this peer did not announce it reads them");
            else listener.presenceWanted(wanted.digest());
        } else if (m instanceof Summary s) {
            sender.onSummary(s);
        } else if (m instanceof Message.SameSubscriptions same) {
            sender.onSameSubscriptions(same, out(), listener);
        } else if (m instanceof Message.SubscriptionsWanted wanted) {
            if (resumeMemory() == null)
                fail(MALFORMED, "SUBSCRIPTIONS-WANTED, though this peer did not announce RESUME");
            else receiver.onSubscriptionsWanted(wanted, out());
        } else if (m instanceof Message.Revocations r) {
            onRevocations(r);
        } else if (m instanceof Message.Ranges r) {
            if (!config.ranges()) {
                fail(MALFORMED, "RANGES, though this peer did not announce it reads them");
            } else if (r.part() instanceof Message.Ranges.Split) {
                receiver.onRanges(r, out());
            } else {
                sender.onRanges(r, out());
            }
        }
    }

    /** A REVOCATIONS: an announcement of the remote's number, or a list (see the design note in the protocol doc). */
    private void onRevocations(Message.Revocations r) {
        RevocationState held = revocations;
        if (held == null) return; // we did not announce the capability: not ours to read
        if (!r.announcement() && r.serial() > held.current().serial()) {
            RevocationVerifier.Verdict verdict = held.verifier().verify(r.serial(), r.list());
            VerifiedRevocations list = verdict.list();
            if (list == null) {
                revocationsRefused++;
                listener.revocationsRefused(Objects.requireNonNullElse(verdict.problem(), "refused"));
                return; // a refused list says nothing about what the remote holds
            }
            remoteRevocations = Math.max(remoteRevocations, r.serial());
            if (held.adopt(list)) listener.revocationsAdopted(list);
        } else {
            // an announcement, or a list no newer than ours (crossed with ours on the way): not read, not verified
            remoteRevocations = Math.max(remoteRevocations, r.serial());
        }
        sendRevocationsIfBehind();
        closeIfRevoked();
    }

    /** Sends our list to a remote that announced an older one, once per list. */
    private void sendRevocationsIfBehind() {
        RevocationState held = revocations;
        if (held == null || (remoteCapabilities() & SessionConfig.CAP_REVOCATIONS) == 0) return;
        VerifiedRevocations ours = held.current();
        if (ours.serial() == 0 || remoteRevocations < 0) return; // nothing to send, or the remote did not say yet
        if (remoteRevocations >= ours.serial() || sentRevocations >= ours.serial()) return;
        sentRevocations = ours.serial();
        Message.Revocations m = new Message.Revocations(ours.serial(), ours.encoded());
        if (WireCodec.encode(m).length > frameLimit) {
            listener.warning("revocation list " + ours.serial() + " (" + ours.encoded().length
                    + " bytes) does not fit the remote's frame limit of " + frameLimit + " bytes: not sent");
            return;
        }
        out().add(m);
    }

    /** Closes when the list held revokes the remote. */
    private void closeIfRevoked() {
        RevocationState held = revocations;
        if (held == null || state == State.CLOSED) return;
        String why = held.current().why(remote);
        if (why != null) fail(REVOKED, why);
    }

    private void handshake(Hello h) {
        if (h.version() != SessionConfig.PROTOCOL_VERSION) {
            fail(
                    VERSION,
                    "protocol version " + h.version() + " is not supported (this peer speaks "
                            + SessionConfig.PROTOCOL_VERSION + ")");
        } else if (!h.appId().equals(store.appId())) {
            fail(APP, "app id '" + h.appId() + "' differs from ours ('" + store.appId() + "')");
        } else if (h.peerId() == store.peerId()) {
            fail(SELF, "connected to ourselves (peer id " + Long.toUnsignedString(h.peerId(), 16) + ")");
        } else if (h.maxFrame() < SessionConfig.MIN_FRAME || h.maxFrame() > SessionConfig.MAX_FRAME) {
            fail(MALFORMED, "maximum frame size " + h.maxFrame() + " out of range");
        } else {
            remoteHello = h;
            frameLimit = Math.min(config.maxFrameBytes(), h.maxFrame());
            RevocationState held = revocations;
            String revoked = held == null ? null : held.current().why(remote);
            if (revoked != null) {
                // the transport refuses a revoked certificate; this is for a list adopted since, and for the simulator
                remoteRevocations = 0; // tell the revoked device why, if it can read it
                sendRevocationsIfBehind();
                fail(REVOKED, revoked);
                return;
            }
            state = State.ESTABLISHED;
            if (held != null && (h.capabilities() & SessionConfig.CAP_REVOCATIONS) != 0) {
                out().add(Message.Revocations.announce(held.current().serial()));
            }
            listener.established(h.peerId());
            receiver.established(h.peerId(), h.incarnation(), h.capabilities(), out());
        }
    }

    /** Produces what can be sent now. */
    private void pump() {
        if (state != State.ESTABLISHED) return;
        sender.fill(out());
        receiver.maybeRequest(out());
    }

    /** Closes from our side with a reason, sending CLOSE. */
    void fail(String reason, String message) {
        if (state == State.CLOSED) return;
        state = State.CLOSED;
        closeReason = reason;
        out().add(new Close(reason, message));
        listener.closed(reason, message, false);
    }

    void warning(String message) {
        listener.warning(message);
    }

    SessionConfig config() {
        return config;
    }

    private boolean announcesResume() {
        return config.resume() && store.resumeMemory() != null;
    }

    /**
     * The peer's memory of the peers it met when both sides announced {@link SessionConfig#CAP_RESUME} (markers may be
     * sent and must be read), else null.
     */
    @Nullable
    ResumeMemory resumeMemory() {
        if (!announcesResume() || (remoteCapabilities() & SessionConfig.CAP_RESUME) == 0) return null;
        return store.resumeMemory();
    }

    Principal principal() {
        return remote.principal();
    }

    SessionListener listener() {
        return listener;
    }

    EchoMap echo() {
        return echo;
    }

    Sender sender() {
        return sender;
    }

    Receiver receiver() {
        return receiver;
    }

    int frameLimit() {
        return frameLimit;
    }
}
