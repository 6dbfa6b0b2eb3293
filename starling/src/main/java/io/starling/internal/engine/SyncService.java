package io.starling.internal.engine;

import io.starling.Presence;
import io.starling.Sync;
import io.starling.internal.auth.DeviceCertificates;
import io.starling.internal.net.ConnectionInfo;
import io.starling.internal.net.MessageChannel;
import io.starling.internal.net.RefusalLog;
import io.starling.internal.net.RemoteIdentity;
import io.starling.internal.sync.DuplicateRule;
import io.starling.internal.sync.Message;
import io.starling.internal.sync.RevocationState;
import io.starling.internal.sync.SessionConfig;
import io.starling.internal.sync.SessionListener;
import io.starling.internal.sync.Subscription;
import io.starling.internal.sync.SyncSession;
import io.starling.internal.sync.SyncStoreView;
import io.starling.internal.sync.VerifiedRevocations;
import io.starling.internal.sync.WireCodec;
import io.starling.internal.sync.WireException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Design note — driving sessions (the I/O around the sans-I/O sessions).
 *
 * Every session of an instance runs on one thread ("starling-sync"): received messages, local-change
 * notifications, subscription changes and ticks are tasks on that thread, so a session (which is not
 * thread-safe) is only ever touched by it, and the store sees sync writes one batch at a time. Transports
 * call in from their own threads and only enqueue. Local changes are coalesced: a burst of commits
 * schedules one "read the change feed" pass per session.
 *
 * The session policy lives in the sans-I/O layer, so that the simulator runs the same code; the driver only
 * feeds it what the I/O decided:
 *  - who the remote is: EngineSyncStore.identityOf(connection) gives the session the peer id bound to a
 *    verified certificate (a HELLO claiming another id closes the session, "unauthenticated") and the remote's
 *    principal, whose permissions the session enforces both ways;
 *  - the connection-request hook: an incoming session awaits approval (SyncSession.awaitApproval); when the HELLO
 *    arrives the driver asks the application's handler on its own executor and answers allow() or deny()
 *    ("denied", also when no answer comes in time);
 *  - one session per peer pair: when a second session with the same peer is established, DuplicateRule says
 *    which one this side closes ("duplicate").
 */

/** Runs the sync sessions of one instance over message channels. Thread-safe. */
final class SyncService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SyncService.class);
    /** A peer that keeps sending documents we refuse is reported once a minute, not once a batch. */
    private final RefusalLog refusals = new RefusalLog(log::warn, System::nanoTime, java.time.Duration.ofMinutes(1));
    /** Refused connections, counted per reason: whoever reaches a listener can open them as fast as it likes. */
    private final RefusalLog connectionRefusals = new RefusalLog(log::warn, System::nanoTime, RefusalLog.WINDOW);

    static final long TICK_MILLIS = 1000;
    /** Messages an incoming connection may send while its HELLO waits for the connection-request hook. */
    static final int MAX_HELD_MESSAGES = SyncSession.MAX_HELD_MESSAGES;

    private final EngineSyncStore view;
    private final DefaultSync sync;
    private final SessionConfig config;
    private final LongSupplier clock;
    private final SyncMetrics metrics;
    private final PresenceService presence;
    private final ScheduledExecutorService thread;
    private final Map<Driver, Boolean> drivers = new ConcurrentHashMap<>();
    private final AtomicBoolean changePending = new AtomicBoolean();
    private final AtomicLong attachOrder = new AtomicLong();
    private volatile boolean closed;
    private volatile @Nullable Thread worker;
    private volatile @Nullable AttachmentService attachments;
    /** Presence updates for neighbour changes are spaced by this much per session (see neighboursChanged). */
    static final long NEIGHBOUR_UPDATE_MILLIS_PER_SESSION = 5;
    // sync thread only
    private long lastNeighbourUpdate = Long.MIN_VALUE;
    private boolean neighbourUpdateScheduled;
    private final @Nullable RevocationState revocations; // the online mode's list, shared by every session
    /** Compresses every session's batches (sync thread only): one compressor, reset per message, not one each. */
    private final java.util.zip.Deflater deflater = WireCodec.newDeflater();

    SyncService(
            EngineSyncStore view,
            DefaultSync sync,
            SessionConfig config,
            LongSupplier clock,
            SyncMetrics metrics,
            PresenceService presence,
            @Nullable RevocationState revocations) {
        this.revocations = revocations;
        this.view = view;
        this.sync = sync;
        this.config = config;
        this.clock = clock;
        this.metrics = metrics;
        this.presence = presence;
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "starling-sync");
            t.setDaemon(true);
            worker = t;
            return t;
        });
        // close() must not wait for delayed tasks (a connection-request timeout, a presence update): the sessions
        // they were for are shut down by then
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.thread = executor;
        // tick() never throws: a periodic task that throws once is never run again (no more keep-alives or timeouts)
        ScheduledFuture<?> unusedTicker =
                thread.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        presence.attach(this);
    }

    /** The attachment layer that gets the attachment messages of every session (docs/ATTACHMENTS.md). */
    void attachments(AttachmentService service) {
        this.attachments = service;
    }

    /** A new connection: starts a session on it and returns where its incoming messages go. */
    MessageChannel.Receiver attach(MessageChannel channel, ConnectionInfo info) {
        Driver d = new Driver(channel, info, attachOrder.incrementAndGet());
        drivers.put(d, true);
        run(d::start);
        return d;
    }

    /** The store committed changes. */
    void localChange() {
        if (closed || drivers.isEmpty() || !changePending.compareAndSet(false, true)) return;
        run(() -> {
            changePending.set(false);
            for (Driver d : drivers.keySet()) {
                if (d.live()) d.feed(d.session.onLocalChange());
            }
        });
    }

    void subscriptionsChanged(List<Subscription> subscriptions) {
        run(() -> {
            for (Driver d : drivers.keySet()) d.feed(d.session.setSubscriptions(subscriptions));
        });
    }

    /**
     * The peer adopted a newer revocation list: every session sends it to a remote that holds an older one and ends
     * the session of a remote it revokes (on the sync thread, after whatever it is doing).
     */
    void revocationsChanged() {
        run(() -> {
            for (Driver d : new ArrayList<>(drivers.keySet())) d.feed(d.session.revocationsChanged());
        });
    }

    /** Sends this peer's current presence view to every established session (on the sync thread). */
    void broadcastPresence() {
        run(() -> {
            for (Driver d : drivers.keySet()) {
                if (d.established && d.live()) d.sendPresence();
            }
        });
    }

    /** Runs a task on the sync thread. */
    void execute(Runnable task) {
        run(task);
    }

    /** The established sessions, one per peer. */
    List<Sync.PeerStatus> peers() {
        Map<Long, Sync.PeerStatus> out = new LinkedHashMap<>();
        for (Driver d : drivers.keySet()) {
            if (d.established && !d.gone)
                out.putIfAbsent(
                        d.remotePeer,
                        new Sync.PeerStatus(
                                d.remotePeer,
                                true,
                                d.acked,
                                d.writesDenied.sum(),
                                d.withheld,
                                d.documentsSent.sum(),
                                d.documentsReceived.sum(),
                                d.bytesSent.sum(),
                                d.bytesReceived.sum(),
                                d.lastExchange == 0 ? null : java.time.Instant.ofEpochMilli(d.lastExchange)));
        }
        return new ArrayList<>(out.values());
    }

    /** The direct neighbours with the transport of their session, for presence. */
    Map<Long, String> neighbours() {
        Map<Long, String> out = new LinkedHashMap<>();
        for (Driver d : drivers.keySet()) {
            if (d.established && !d.gone) out.putIfAbsent(d.remotePeer, d.info.transport());
        }
        return out;
    }

    /** The verified certificates of the direct neighbours (online identity mode), for presence. */
    Map<Long, Presence.PeerCertificate> neighbourCertificates() {
        Map<Long, Presence.PeerCertificate> out = new LinkedHashMap<>();
        for (Driver d : drivers.keySet()) {
            RemoteIdentity id = d.info.remoteIdentity();
            if (d.established && !d.gone && id != null) out.putIfAbsent(d.remotePeer, certificate(id));
        }
        return out;
    }

    /** The public view of a remote's verified certificate. */
    @SuppressWarnings("unchecked") // toJava() of an object is a Map<String, Object>
    static Presence.PeerCertificate certificate(RemoteIdentity id) {
        return new Presence.PeerCertificate(
                id.userId(),
                (Map<String, Object>) id.metadata().toJava(),
                id.notBefore(),
                id.expiresAt(),
                id.serialNumber(),
                id.issuer(),
                id.deviceKeyFingerprint());
    }

    boolean isConnected(long peerId) {
        for (Driver d : drivers.keySet()) if (d.established && !d.gone && d.remotePeer == peerId) return true;
        return false;
    }

    /**
     * A session was established or ended: presence learns the new neighbours, at most once per {@link
     * #NEIGHBOUR_UPDATE_MILLIS_PER_SESSION} × sessions (the first change at once, later ones of a burst together). Each
     * update sends our presence view, which lists every neighbour, to every neighbour: unthrottled, a server that N
     * devices connect to would send N views of N links each, N times over (a thousand devices: gigabytes). Sync thread.
     */
    private void neighboursChanged() {
        if (neighbourUpdateScheduled) return;
        long now = clock.getAsLong();
        long wait = lastNeighbourUpdate == Long.MIN_VALUE
                ? 0
                : lastNeighbourUpdate + NEIGHBOUR_UPDATE_MILLIS_PER_SESSION * drivers.size() - now;
        if (wait <= 0) {
            lastNeighbourUpdate = now;
            presence.neighboursChanged();
            return;
        }
        neighbourUpdateScheduled = true;
        try {
            ScheduledFuture<?> unused = thread.schedule(
                    () -> {
                        neighbourUpdateScheduled = false;
                        lastNeighbourUpdate = clock.getAsLong();
                        try {
                            presence.neighboursChanged();
                        } catch (RuntimeException e) {
                            log.error("presence update failed", e);
                        }
                    },
                    wait,
                    TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // closing
        }
    }

    /** Number of live connections, established or not. */
    int connections() {
        return drivers.size();
    }

    private void tick() {
        try {
            long now = clock.getAsLong();
            for (Driver d : drivers.keySet()) {
                if (!d.live()) continue; // its shutdown is queued
                d.feed(d.session.onTick(now));
                RemoteIdentity id = d.info.remoteIdentity();
                // a session does not outlive the remote's certificate (with the clock-skew tolerance of the handshake)
                if (id != null
                        && !d.gone
                        && now > id.expiresAt().plus(DeviceCertificates.SKEW).toEpochMilli()) {
                    d.feed(d.session.close(
                            SyncSession.UNAUTHENTICATED, "its certificate expired at " + id.expiresAt()));
                }
            }
            refusals.flush();
            connectionRefusals.flush();
        } catch (RuntimeException e) {
            log.error("sync tick failed", e);
        }
    }

    private void run(Runnable task) {
        if (closed) return;
        try {
            thread.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    log.error("sync task failed", e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
            // closing
        }
    }

    /**
     * Closes every session with {@code going-away} (this peer is draining). Runs on the sync thread, after whatever
     * it is doing, so a batch being applied is stored and acknowledged first. Returns once the sessions are closed.
     */
    void goAway() {
        if (closed) return;
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        run(() -> {
            try {
                for (Driver d : new ArrayList<>(drivers.keySet())) {
                    d.feed(d.session.close(
                            SyncSession.GOING_AWAY, "this peer is stopping; reconnect (to another node, if any)"));
                    d.shutdown(SyncSession.GOING_AWAY);
                }
            } finally {
                done.countDown();
            }
        });
        try {
            if (!done.await(10, TimeUnit.SECONDS)) log.warn("sync sessions did not close within 10 s of draining");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Ends every session with {@code reason} (this peer's certificate expired); the transports close the channels. */
    void closeAll(String reason, String message) {
        run(() -> {
            for (Driver d : new ArrayList<>(drivers.keySet())) d.feed(d.session.close(reason, message));
        });
    }

    @Override
    public void close() {
        closed = true;
        try {
            thread.execute(() -> {
                for (Driver d : new ArrayList<>(drivers.keySet())) {
                    d.feed(d.session.close("the instance is closing"));
                    d.shutdown("closed");
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException alreadyClosed) {
            return;
        }
        thread.shutdown();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) thread.shutdownNow();
            Thread t = worker;
            if (t != null) t.join(10_000); // gone when close() returns, not merely finishing
            if (t == null || !t.isAlive()) deflater.end(); // else the sync thread may still use it: the cleaner ends it
            refusals.close();
            connectionRefusals.close();
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** Presence traffic (views and their markers), which the message counters leave out. */
    private static boolean isPresence(Message m) {
        return m instanceof Message.Presence
                || m instanceof Message.SamePresence
                || m instanceof Message.PresenceWanted;
    }

    /** One connection and its session; touched only on the sync thread (receiver methods enqueue). */
    private final class Driver implements MessageChannel.Receiver, SessionListener {
        final MessageChannel channel;
        final ConnectionInfo info;
        final long order;
        final SyncSession session;
        volatile boolean established;
        volatile long remotePeer;
        volatile long acked;
        volatile long withheld; // the session's count, copied on its thread (the session is not thread-safe)
        volatile boolean gone;
        /**
         * The transport reported the connection closed; its shutdown is queued behind whatever the sync thread has
         * to do. Meanwhile the session gets no more work that only produces messages nobody will read: no change-log
         * pass, tick or presence, and no handshake (a HELLO that arrived before the close: the connect storm's
         * redialling devices leave many). Messages of an established session are still applied.
         */
        volatile boolean channelClosed;

        private @Nullable String remoteCloseReason; // the CLOSE of a connection that closed before its handshake

        final java.util.concurrent.atomic.LongAdder writesDenied = new java.util.concurrent.atomic.LongAdder();
        /** This session's traffic (encoded messages, before framing and encryption), for the peer's status. */
        final java.util.concurrent.atomic.LongAdder documentsSent = new java.util.concurrent.atomic.LongAdder(),
                documentsReceived = new java.util.concurrent.atomic.LongAdder(),
                bytesSent = new java.util.concurrent.atomic.LongAdder(),
                bytesReceived = new java.util.concurrent.atomic.LongAdder();
        /** When the last message of the session came or went (the sync clock), 0 before any. */
        volatile long lastExchange;

        private boolean tieChecked;
        private byte @Nullable [] presenceSent; // the last presence view sent in this session
        private boolean remoteNotListingUs; // the last view of the remote had no record of it listing us
        private boolean presenceStarted; // a view (whole or as a marker) went out in this session
        private boolean markerOutstanding; // this session's first view went as a marker, and no view whole since
        private long markerDigest; // the digest that marker named

        /**
         * Sends the current presence view, without the remote's own record, unless it is the one this session sent
         * last: the session is ordered and lossless, so the remote holds it already (see PresenceService's note). The
         * session's first view goes as a marker when it is the last view sent to that peer with only our sequence
         * changed and the remote reads markers (PresenceService.markerFor).
         */
        void sendPresence() {
            if (gone) return;
            byte[] view = presence.payloadFor(remotePeer);
            if (view == null || java.util.Arrays.equals(view, presenceSent)) return;
            Message.SamePresence marker =
                    !presenceStarted && session.presenceResumes() ? presence.markerFor(remotePeer, view) : null;
            List<Message> out = marker != null
                    ? session.sendSamePresence(marker.digest(), marker.sequence())
                    : session.sendPresence(view);
            if (out.isEmpty()) return; // not established, or closed: nothing went out
            presenceSent = view;
            presenceStarted = true;
            markerOutstanding = marker != null;
            markerDigest = marker != null ? marker.digest() : 0;
            presence.sent(remotePeer, view, marker != null);
            feed(out);
        }

        Driver(MessageChannel channel, ConnectionInfo info, long order) {
            this.channel = channel;
            this.info = info;
            this.order = order;
            this.session = new SyncSession(view, config, this, view.identityOf(info), revocations);
            if (!info.outgoing() && presence.hasConnectionRequestHandler()) session.awaitApproval();
        }

        /** Whether the session still has a connection to work for. */
        boolean live() {
            return !gone && !channelClosed;
        }

        void start() {
            if (channelClosed) return; // closed before its session started: shutdown() follows
            feed(session.start());
            feed(session.setSubscriptions(sync.current()));
            feed(session.onTick(clock.getAsLong()));
        }

        @Override
        public void onMessage(byte[] bytes) {
            run(() -> received(bytes));
        }

        @Override
        public void onClosed() {
            channelClosed = true;
            run(() -> shutdown("connection closed"));
        }

        private void received(byte[] bytes) {
            if (gone) return;
            Message m;
            try {
                m = WireCodec.decode(bytes, config.maxFrameBytes());
            } catch (WireException e) {
                if (channelClosed && !established) return;
                feed(session.onWireError(e)); // a malformed message closes the session, with a CLOSE
                return;
            }
            // A connection that closed before its handshake ended gets no handshake work (a storm of devices that
            // give up and retry must not cost a reconciliation each), except our own HELLO: the session must still
            // end with reason "self", or the dialer that reached this peer itself would dial it again.
            if (channelClosed && !established && !(m instanceof Message.Hello h && h.peerId() == view.peerId())) {
                // The dialer still learns whom it reached and why the remote closed. A remote that closes a losing
                // duplicate at once (HELLO, CLOSE, end of stream) is gone before this thread reads its HELLO when
                // the machine is busy; without these, the dialer would not know it holds a session with that peer
                // already and would dial again and again.
                if (m instanceof Message.Hello h) channel.reached(h.peerId());
                else if (m instanceof Message.Close c) remoteCloseReason = c.reason();
                return;
            }
            bytesReceived.add(bytes.length);
            lastExchange = clock.getAsLong();
            deliver(m);
        }

        private void deliver(Message m) {
            if (m instanceof Message.Blob b) { // the attachment layer's, not the session's
                AttachmentService a = attachments;
                if (a != null && established) a.received(remotePeer, channel, b.body());
                return;
            }
            metrics.documentsReceived.add(documents(m));
            documentsReceived.add(documents(m));
            if (!isPresence(m)) metrics.messagesReceived.increment();
            feed(session.onMessage(m));
        }

        private void askHandler(long peerId) {
            AtomicBoolean decided = new AtomicBoolean();
            long timeoutMillis = presence.connectionRequestTimeout().toMillis();
            java.util.function.BiConsumer<Boolean, String> decide = (allowed, why) -> {
                if (!decided.compareAndSet(false, true)) return;
                run(() -> decided(allowed, why));
            };
            try {
                // the task only hands over to run(), which logs what throws
                ScheduledFuture<?> unusedTimeout = thread.schedule(
                        () -> decide.accept(
                                false, "no answer from the connection-request handler within " + timeoutMillis + " ms"),
                        timeoutMillis,
                        TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                return;
            }
            Presence.ConnectionRequest request = new Presence.ConnectionRequest(
                    peerId,
                    info.transport(),
                    info.remoteAddress(),
                    info.remoteIdentity() == null ? null : certificate(info.remoteIdentity()));
            try {
                CompletionStage<Boolean> answer =
                        presence.connectionRequestHandler().decide(request);
                answer.whenComplete((allowed, error) -> {
                    if (error != null) {
                        log.warn(
                                "the connection-request handler failed for peer {}",
                                EngineSyncStore.hex(peerId),
                                error);
                        decide.accept(false, "the connection-request handler failed: " + error);
                    } else {
                        decide.accept(Boolean.TRUE.equals(allowed), "the connection-request handler denied it");
                    }
                });
            } catch (RuntimeException e) {
                log.warn("the connection-request handler threw for peer {}", EngineSyncStore.hex(peerId), e);
                decide.accept(false, "the connection-request handler threw: " + e);
            }
        }

        private void decided(boolean allowed, String why) {
            if (gone || !session.awaitingApproval()) return;
            if (!allowed) {
                log.info("refused a connection from {} ({}): {}", info.remoteAddress(), info.transport(), why);
                // read by the remote as "ADDRESS refused this peer: …"
                feed(session.deny("its connection-request handler did not allow this connection"));
                return;
            }
            feed(session.allow());
        }

        void feed(List<Message> out) {
            if (gone) return;
            withheld = session.withheld();
            for (Message m : out) {
                metrics.documentsSent.add(documents(m));
                documentsSent.add(documents(m));
                if (!isPresence(m)) metrics.messagesSent.increment();
                byte[] encoded = session.encode(m, deflater);
                bytesSent.add(encoded.length);
                lastExchange = clock.getAsLong();
                channel.send(encoded);
            }
            if (session.isClosed()) {
                shutdown(String.valueOf(session.closeReason()));
                return;
            }
            if (established && !tieChecked) {
                tieChecked = true;
                settleDuplicate();
                if (!gone) sendPresence();
            }
        }

        /** Keeps one session per peer: see the design note. */
        private void settleDuplicate() {
            for (Driver other : drivers.keySet()) {
                if (other == this || other.gone || !other.established || other.remotePeer != remotePeer) continue;
                DuplicateRule.Side mine = new DuplicateRule.Side(info.outgoing(), order);
                DuplicateRule.Side theirs = new DuplicateRule.Side(other.info.outgoing(), other.order);
                DuplicateRule.Side lost = DuplicateRule.loser(view.peerId(), remotePeer, mine, theirs);
                if (lost == null) continue; // both dialed by the remote: it closes the newer one
                Driver loser = lost.equals(mine) ? this : other;
                Driver winner = loser == this ? other : this;
                loser.feed(loser.session.close(
                        SyncSession.DUPLICATE,
                        "already connected to peer " + EngineSyncStore.hex(remotePeer) + " over "
                                + winner.info.transport()));
                return;
            }
        }

        void shutdown(String reason) {
            if (gone) return;
            gone = true;
            drivers.remove(this);
            channel.sessionEnded(!established && remoteCloseReason != null ? remoteCloseReason : reason);
            channel.close();
            AttachmentService a = attachments;
            if (a != null && established) a.disconnected(remotePeer, channel);
            if (established) {
                if (SyncSession.DUPLICATE.equals(reason)) {
                    log.debug("duplicate session with {} closed", peerName());
                } else {
                    log.info("sync session with {} ended: {}", peerName(), reason);
                }
                sync.peersChanged();
                neighboursChanged();
            }
        }

        private String peerName() {
            return established ? EngineSyncStore.hex(remotePeer) : "an unidentified peer";
        }

        // ---- SessionListener (called by the session, on the sync thread)

        @Override
        public void established(long remotePeerId) {
            remotePeer = remotePeerId;
            established = true;
            log.info(
                    "sync session with {} established ({} {}, {})",
                    EngineSyncStore.hex(remotePeerId),
                    info.transport(),
                    info.outgoing() ? "to" : "from",
                    info.remoteAddress());
            channel.established(remotePeerId);
            AttachmentService a = attachments;
            if (a != null
                    && (session.remoteCapabilities() & io.starling.internal.sync.SessionConfig.CAP_ATTACHMENTS) != 0)
                a.connected(remotePeerId, channel, session.remotePrincipal());
            sync.peersChanged();
            neighboursChanged();
        }

        @Override
        public void acknowledged(long ackedSequence) {
            acked = ackedSequence;
            sync.peersChanged();
        }

        @Override
        public void remoteSubscriptionsChanged(List<Subscription> subscriptions) {
            // not shown anywhere yet
        }

        @Override
        public void presence(byte[] payload) {
            boolean listsUs = presence.received(remotePeer, payload);
            if (listsUs && remoteNotListingUs) {
                // the remote dropped what we sent while its record did not list us: send it again (PresenceService)
                presenceSent = null;
                run(this::sendPresence);
            }
            remoteNotListingUs = !listsUs;
        }

        @Override
        public void samePresence(long digest, long sequence) {
            byte[] view = presence.expand(remotePeer, digest, sequence);
            if (view == null) {
                run(() -> {
                    if (!gone) feed(session.wantPresence(digest));
                });
                return;
            }
            presence(view);
        }

        @Override
        public void presenceWanted(long digest) {
            // only an answer to this session's marker, before a view went whole (a duplicate or stale one is ignored)
            if (!markerOutstanding || digest != markerDigest) return;
            markerOutstanding = false;
            presenceSent = null;
            run(this::sendPresence); // whole: this session's first view went out already
        }

        @Override
        public void warning(String message) {
            log.warn("sync session with {}: {}", peerName(), message);
        }

        /**
         * Logs the end of a session. A refusal — another app, another protocol version, a HELLO that does not match
         * the certificate, the connection-request hook — is a WARN in plain words, on both sides: {@code cannot sync
         * with ADDRESS: WHY} (dialled) or {@code refused a connection from ADDRESS: WHY} (accepted) where this side
         * decided, {@code ADDRESS refused this peer: WHY} where the remote did and said why in its CLOSE.
         */
        @Override
        public void refused(List<SyncStoreView.Refusal> refused) {
            metrics.documentsRefused.add(refused.size());
            SyncStoreView.Refusal first = refused.get(0);
            refusals.refused(
                    "documents from " + peerName(),
                    refused.size() + " document(s), such as " + first.doc() + ": " + first.reason()
                            + " (counted in starling_sync_documents_refused_total; sync goes on)");
        }

        @Override
        public void revocationsAdopted(VerifiedRevocations list) {
            log.info(
                    "revocations: revocation list {} from {} adopted ({} users, {} devices revoked)",
                    list.serial(),
                    peerName(),
                    list.users().size(),
                    list.devices().size());
            // the state told the engine's listeners (stored, and every session told on this thread, later)
        }

        @Override
        public void revocationsRefused(String problem) {
            metrics.revocationListsRefused.increment();
            refusals.refused(
                    "revocation lists from " + peerName(),
                    problem + " (not adopted, not relayed; counted in starling_sync_revocation_lists_refused_total)");
        }

        @Override
        public void approvalRequested(long remotePeerId) {
            askHandler(remotePeerId);
        }

        /** Changes the remote's write permission did not allow: counted, reported in status, logged once a minute. */
        @Override
        public void denied(List<SyncStoreView.DocRef> denied) {
            metrics.writesDenied.add(denied.size());
            writesDenied.add(denied.size());
            refusals.refused(
                    "writes from " + peerName() + " (user '"
                            + session.remotePrincipal().userId() + "')",
                    denied.size() + " change(s) its write permission does not allow, such as " + denied.get(0)
                            + " (dropped, not relayed; counted in starling_sync_writes_denied_total; sync goes on)");
            sync.peersChanged();
        }

        @Override
        public void closed(String reason, String message, boolean byRemote) {
            if (SyncSession.DUPLICATE.equals(reason) || SyncSession.CLOSED.equals(reason)) {
                log.debug(
                        "sync session with {} ({}, {}) closed {} ({}): {}",
                        peerName(),
                        info.transport(),
                        info.remoteAddress(),
                        byRemote ? "by the peer" : "here",
                        reason,
                        message);
                return;
            }
            boolean refusal = SyncSession.DENIED.equals(reason)
                    || SyncSession.UNAUTHENTICATED.equals(reason)
                    || SyncSession.APP.equals(reason)
                    || SyncSession.VERSION.equals(reason)
                    // closed by the remote before any session: it refused us, whatever its reason code
                    || (byRemote && !established && !SyncSession.SELF.equals(reason));
            if (SyncSession.UNAUTHENTICATED.equals(reason) && !byRemote && !established) {
                // a HELLO that claims another peer id than its certificate's: refused like a bad certificate
                metrics.connectionsRefused.increment();
            }
            if (!refusal) {
                String line = "sync session with {} ({}, {}) closed {} ({}): {}";
                Object[] args = {
                    peerName(),
                    info.transport(),
                    info.remoteAddress(),
                    byRemote ? "by the peer" : "here",
                    reason,
                    message
                };
                if (SyncSession.STORE_FULL.equals(reason) || SyncSession.REVOKED.equals(reason)) {
                    log.warn(line, args); // the disk needs attention; a revoked device was cut off
                } else log.info(line, args);
            } else if (byRemote) {
                log.warn("{} refused this peer: {}", info.remoteAddress(), message);
            } else if (SyncSession.DENIED.equals(reason)) {
                log.debug("denied {}: {}", info.remoteAddress(), message); // decided() logged why
            } else if (info.outgoing()) {
                log.warn("cannot sync with {}: {}", info.remoteAddress(), why(reason, message));
            } else {
                String why = why(reason, message);
                connectionRefusals.refusedWithLine(
                        RefusalLog.kindOf(why), "refused a connection from " + info.remoteAddress() + ": " + why);
            }
        }

        /** A refusal decided here, from the remote's HELLO, in words that say what to check. */
        private String why(String reason, String message) {
            Message.Hello h = session.firstRemoteHello();
            if (h == null) return message;
            if (SyncSession.APP.equals(reason)) {
                return "it is a peer of app '" + h.appId() + "' and this peer is of app '" + view.appId()
                        + "'; peers sync only within one app (check --app or STARLING_APP_ID on both sides)";
            }
            if (SyncSession.VERSION.equals(reason)) {
                return "it speaks sync protocol version " + h.version() + " and this peer speaks version "
                        + io.starling.internal.sync.SessionConfig.PROTOCOL_VERSION + " (upgrade the older one)";
            }
            return message;
        }
    }

    /** Document states a message carries (for the documents counters). */
    private static int documents(Message m) {
        List<Message.Entry> entries;
        if (m instanceof Message.Batch b) entries = b.entries();
        else if (m instanceof Message.Docs d) entries = d.entries();
        else return 0;
        int n = 0;
        for (Message.Entry e : entries) if (e instanceof Message.DocEntry) n++;
        return n;
    }
}
