package io.starling.internal.transport.netty;

import io.netty.channel.ChannelFuture;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.starling.internal.net.NetworkHost;
import io.starling.internal.sync.SyncSession;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Design note — when to dial again.
 *
 * A dialer keeps one address (or one LAN peer) connected. It dials, waits for the connection to end, looks at how
 * it ended, and schedules the next attempt with Backoff (exponential, full jitter, reset once a session got
 * established):
 *  - "self": we dialed ourselves. One WARN, and the dialer stops for good.
 *  - "duplicate": the engine kept another session with that peer. Dialing again at once would only churn, so
 *    before each attempt the dialer checks host.isConnected(peer) and waits another backoff step while it holds.
 *    It does so for any peer it has reached before: if the peer dialed us meanwhile, there is nothing to do.
 *    "Reached" includes a connection the remote closed before our handshake ran (a busy machine reads the
 *    remote's HELLO and CLOSE only after the end of the stream): the engine still reports the peer id that
 *    HELLO claimed and the CLOSE's reason. Unverified, that id only makes the dialer wait, never connect.
 *  - "app" / "version" / "unauthenticated": a peer of another app or protocol version, or one that refused this
 *    peer's identity (a shared-key listener refusing a playground dialler says so in its CLOSE). Retried at the
 *    maximum delay (it may be upgraded or reconfigured); the engine has logged why, the dialer logs once that it
 *    keeps trying.
 *  - "store-full": one side has no disk space left for what the other sends. Retried at the maximum delay (space
 *    is not freed in a moment; dialing at once would only repeat the same batch); the engine logs each close.
 *  - anything else (refused, broken, connect failed): the next backoff step.
 * All of this runs on one event executor, so the dialer's state needs no locks.
 */

/** Keeps dialing one target until stopped. Thread-safe: all state is touched on its executor only. */
final class Dialer {
    private static final Logger log = LoggerFactory.getLogger(Dialer.class);
    /** A LAN dialer gives up after this many attempts in a row that reached no session (discovery finds it again). */
    static final int LAN_ATTEMPTS = 8;

    /** Opens one connection; {@code onFinished} gets how it ended if it connected. */
    interface Dial {
        ChannelFuture dial(int attempt, Consumer<NettyConnection.Outcome> onFinished);
    }

    private final String name;
    private final Dial dial;
    private final NetworkHost host;
    private final ConnectionRegistry registry;
    private final EventExecutor executor;
    private final Backoff backoff;
    private final long lanPeer; // the peer found on the LAN, or 0 for a configured address
    private final Consumer<Dialer> onStopped;

    private volatile boolean stopped;
    private long knownPeer; // the peer reached at this address, once a session got established
    private int attempts;
    private int failuresInARow;
    private boolean failureLogged;
    private boolean mismatchLogged;
    private boolean limitLogged;
    private boolean inFlight;
    private @Nullable ScheduledFuture<?> next;

    Dialer(
            String name,
            Dial dial,
            NetworkHost host,
            ConnectionRegistry registry,
            EventExecutor executor,
            Backoff backoff,
            long lanPeer,
            Consumer<Dialer> onStopped) {
        this.name = name;
        this.dial = dial;
        this.host = host;
        this.registry = registry;
        this.executor = executor;
        this.backoff = backoff;
        this.lanPeer = lanPeer;
        this.knownPeer = lanPeer;
        this.onStopped = onStopped;
    }

    String name() {
        return name;
    }

    long lanPeer() {
        return lanPeer;
    }

    boolean isStopped() {
        return stopped;
    }

    void start() {
        run(this::attempt);
    }

    /** Stops dialing (an open connection stays). Idempotent; any thread. */
    void stop() {
        if (stopped) return;
        stopped = true;
        run(() -> {
            if (next != null) next.cancel(false);
        });
        onStopped.accept(this);
    }

    private void attempt() {
        next = null;
        if (stopped || inFlight) return;
        if (knownPeer != 0 && host.isConnected(knownPeer)) {
            if (lanPeer != 0) {
                log.debug("{}: connected, no longer dialing", name);
                stop();
            } else {
                schedule(backoff.nextMillis()); // connected through another session: check again later
            }
            return;
        }
        if (!registry.hasRoom()) {
            if (!limitLogged) {
                limitLogged = true;
                log.warn("connection limit of {} reached, not dialing {} for now", registry.max(), name);
            }
            schedule(backoff.nextMillis());
            return;
        }
        limitLogged = false;
        inFlight = true;
        ChannelFuture f;
        try {
            f = dial.dial(attempts++, outcome -> run(() -> ended(outcome)));
        } catch (RuntimeException e) {
            inFlight = false;
            failed(e);
            return;
        }
        f.addListener(done -> {
            if (!done.isSuccess())
                run(() -> {
                    inFlight = false;
                    failed(done.cause());
                });
        });
    }

    private void failed(Throwable cause) {
        if (stopped) return;
        failuresInARow++;
        if (!failureLogged) {
            failureLogged = true;
            log.info("cannot connect to {}: {}; retrying with backoff", name, message(cause));
        } else {
            log.debug("cannot connect to {}: {}", name, message(cause));
        }
        if (lanPeer != 0 && failuresInARow >= LAN_ATTEMPTS) {
            log.info("{}: unreachable after {} attempts, waiting for discovery to find it again", name, failuresInARow);
            stop();
            return;
        }
        schedule(backoff.nextMillis());
    }

    private void ended(NettyConnection.Outcome o) {
        inFlight = false;
        if (stopped) return;
        if (o.established()) {
            backoff.reset();
            knownPeer = o.remotePeerId();
            failuresInARow = 0;
            failureLogged = false;
        } else {
            failuresInARow++;
            // the peer a HELLO claimed on a connection that closed before its handshake (a losing duplicate the
            // remote closed at once): unverified, so only used to wait while connected to that peer
            if (knownPeer == 0) knownPeer = o.remotePeerId();
        }
        String reason = o.reason();
        if (SyncSession.SELF.equals(reason)) {
            log.warn("{} is this peer itself; no longer dialing it", name);
            stop();
        } else if (SyncSession.DUPLICATE.equals(reason)) {
            schedule(backoff.nextMillis()); // attempt() waits while the other session holds
        } else if (SyncSession.APP.equals(reason)
                || SyncSession.VERSION.equals(reason)
                || SyncSession.UNAUTHENTICATED.equals(reason)) {
            if (!mismatchLogged) {
                mismatchLogged = true;
                log.info(
                        "{} refused a session ({}); retrying every {} s or so",
                        name,
                        reason,
                        backoff.atMaxMillis() / 1000);
            }
            schedule(backoff.atMaxMillis());
        } else if (SyncSession.STORE_FULL.equals(reason)) {
            schedule(backoff.atMaxMillis());
        } else if (lanPeer != 0 && failuresInARow >= LAN_ATTEMPTS) {
            log.info("{}: no session after {} attempts, waiting for discovery to find it again", name, failuresInARow);
            stop();
        } else {
            schedule(backoff.nextMillis());
        }
    }

    private void schedule(long delayMillis) {
        if (stopped) return;
        try {
            next = executor.schedule(this::attempt, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            stopped = true;
        }
    }

    private void run(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException closing) {
            stopped = true;
        }
    }

    private static String message(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getMessage() == null) c = c.getCause();
        return c.getMessage() != null ? c.getMessage() : c.toString();
    }

    @Override
    public String toString() {
        return "Dialer[" + name + "]";
    }
}
