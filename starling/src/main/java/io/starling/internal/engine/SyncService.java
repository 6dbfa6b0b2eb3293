package io.starling.internal.engine;

import io.starling.Sync;
import io.starling.internal.sync.Message;
import io.starling.internal.sync.SessionConfig;
import io.starling.internal.sync.SessionListener;
import io.starling.internal.sync.Subscription;
import io.starling.internal.sync.SyncSession;
import io.starling.internal.sync.WireCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Design note — driving sessions.
 *
 * Every session of an instance runs on one thread ("starling-sync"): received messages, local-change
 * notifications, subscription changes and ticks are tasks on that thread, so a session (which is not
 * thread-safe) is only ever touched by it, and the store sees sync writes one batch at a time. Transports
 * call in from their own threads and only enqueue. Local changes are coalesced: a burst of commits
 * schedules one "read the change feed" pass per session.
 */

/** Runs the sync sessions of one instance over message channels. Thread-safe. */
final class SyncService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SyncService.class);
    static final long TICK_MILLIS = 1000;

    private final EngineSyncStore view;
    private final DefaultSync sync;
    private final SessionConfig config;
    private final LongSupplier clock;
    private final ScheduledExecutorService thread;
    private final Map<Driver, Boolean> drivers = new ConcurrentHashMap<>();
    private final AtomicBoolean changePending = new AtomicBoolean();
    private volatile boolean closed;
    private volatile Thread worker;

    SyncService(EngineSyncStore view, DefaultSync sync, SessionConfig config, LongSupplier clock) {
        this.view = view;
        this.sync = sync;
        this.config = config;
        this.clock = clock;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "starling-sync");
            t.setDaemon(true);
            worker = t;
            return t;
        });
        thread.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** A new connection: starts a session on it and returns where its incoming messages go. */
    MessageChannel.Receiver attach(MessageChannel channel) {
        Driver d = new Driver(channel);
        drivers.put(d, true);
        run(d::start);
        return d;
    }

    /** The store committed changes. */
    void localChange() {
        if (closed || drivers.isEmpty() || !changePending.compareAndSet(false, true)) return;
        run(() -> {
            changePending.set(false);
            for (Driver d : drivers.keySet()) d.feed(d.session.onLocalChange());
        });
    }

    void subscriptionsChanged(List<Subscription> subscriptions) {
        run(() -> {
            for (Driver d : drivers.keySet()) d.feed(d.session.setSubscriptions(subscriptions));
        });
    }

    List<Sync.PeerStatus> peers() {
        List<Sync.PeerStatus> out = new ArrayList<>();
        for (Driver d : drivers.keySet()) {
            if (d.established) out.add(new Sync.PeerStatus(d.remotePeer, true, d.acked));
        }
        return out;
    }

    /** Number of live connections (tests). */
    int connections() {
        return drivers.size();
    }

    private void tick() {
        long now = clock.getAsLong();
        for (Driver d : drivers.keySet()) d.feed(d.session.onTick(now));
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

    @Override
    public void close() {
        closed = true;
        thread.execute(() -> {
            for (Driver d : new ArrayList<>(drivers.keySet())) {
                d.feed(d.session.close("the instance is closing"));
                d.shutdown("closed");
            }
        });
        thread.shutdown();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) thread.shutdownNow();
            Thread t = worker;
            if (t != null) t.join(10_000); // gone when close() returns, not merely finishing
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** One connection and its session; touched only on the sync thread (receiver methods enqueue). */
    private final class Driver implements MessageChannel.Receiver, SessionListener {
        final MessageChannel channel;
        final SyncSession session;
        volatile boolean established;
        volatile long remotePeer;
        volatile long acked;
        private boolean gone;

        Driver(MessageChannel channel) {
            this.channel = channel;
            this.session = new SyncSession(view, config, this);
        }

        void start() {
            feed(session.start());
            feed(session.setSubscriptions(sync.current()));
        }

        @Override
        public void onMessage(byte[] bytes) {
            run(() -> {
                if (!gone) feed(session.onFrame(bytes)); // a malformed message closes the session, with a CLOSE
            });
        }

        @Override
        public void onClosed() {
            run(() -> shutdown("connection closed"));
        }

        void feed(List<Message> out) {
            if (gone) return;
            for (Message m : out) channel.send(WireCodec.encode(m));
            if (session.isClosed()) shutdown(session.closeReason());
        }

        void shutdown(String reason) {
            if (gone) return;
            gone = true;
            drivers.remove(this);
            channel.close();
            if (established) {
                log.info("sync session with {} ended: {}", peerName(), reason);
                sync.peersChanged();
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
            log.info("sync session with {} established", EngineSyncStore.hex(remotePeerId));
            sync.peersChanged();
        }

        @Override
        public void acknowledged(long ackedSequence) {
            acked = ackedSequence;
            sync.peersChanged();
        }

        @Override
        public void remoteSubscriptionsChanged(List<Subscription> subscriptions) {
            // nothing to do here yet; presence (a later issue) will show them
        }

        @Override
        public void closed(String reason, String message, boolean byRemote) {
            log.info("sync session with {} closed {}: {} {}", peerName(), byRemote ? "by the peer" : "here", reason, message);
        }
    }
}
