package io.starling.internal.storage.postgres;

import io.starling.internal.storage.DocumentStorage;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Design note — LISTEN on a connection of its own.
 *
 * Every write transaction that takes sequence numbers NOTIFYs the store's channel just before it commits (in the same
 * transaction, so PostgreSQL delivers the notification only if it commits, and after it did). The payload is the
 * committing instance's token (16 hex digits), so that an instance can leave its own commits out; the channel is
 * named after the schema (a hash of its name), so that stores in other schemas of the same database are not woken.
 *
 * One thread per instance holds one connection, outside the pool, that LISTENs and waits for notifications; each batch
 * the driver hands over with one of another instance is one wake-up (a burst coalesces further in the engine's
 * tail). When the connection fails (the server restarted, the backend was terminated, the network broke) the thread
 * reconnects with a backoff from 100 ms doubling to 5 s, and each time it listens again it wakes the engine once,
 * since commits made while it was deaf were not signalled. A connection that is silent for HEALTH_CHECK is asked an
 * empty query with a timeout, so a half-open connection is found within about that. Nothing is delivered through
 * the notifications: the engine reads the log from its own cursor, so a lost one costs latency, never a row.
 *
 * The instance's own notifications wake nobody, but they are its proof of hearing: if one of its commits is not heard
 * back within OWN_ECHO, the signal says it is not listening (the engine then polls often) until one is. That catches
 * what the connection's health does not show: a proxy that pools connections per transaction (PgBouncer in
 * transaction mode), on which LISTEN hears nothing, or a connection that died silently, on any node that writes.
 */

/** Wakes an engine when another instance on the same database and schema commits: PostgreSQL's LISTEN/NOTIFY. */
final class PostgresCommitSignal implements DocumentStorage.CommitSignal {
    private static final Logger log = LoggerFactory.getLogger(PostgresCommitSignal.class);

    /** How long one wait for notifications lasts before the thread looks at whether it should stop. */
    private static final int WAIT_MILLIS = 1_000;
    /** A connection silent for this long is checked with an empty query. */
    static final Duration HEALTH_CHECK = Duration.ofSeconds(10);

    /** How long an own commit's notification may take to come back before the signal counts itself deaf. */
    static final Duration OWN_ECHO = Duration.ofSeconds(5);

    static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    private final String jdbcUrl;
    private final String where;
    private final String channel;
    private final String ownToken;
    private final Runnable wake;
    private final int connectTimeoutSeconds;
    private final Thread thread;
    private final CountDownLatch closing = new CountDownLatch(1);

    private volatile boolean closed;
    private volatile boolean listening;
    private volatile @Nullable Connection current;
    private volatile int backendPid;
    /** When the oldest own notification not heard back yet was sent (nanoTime, never 0), or 0 when there is none. */
    private final AtomicLong unheardSince = new AtomicLong();

    private boolean deafLogged; // on the listening thread

    PostgresCommitSignal(
            String jdbcUrl, String where, String channel, String ownToken, Duration connectTimeout, Runnable wake) {
        this.jdbcUrl = jdbcUrl;
        this.where = where;
        this.channel = channel;
        this.ownToken = ownToken;
        this.wake = wake;
        this.connectTimeoutSeconds = (int) Math.max(1, connectTimeout.toSeconds());
        this.thread = new Thread(this::run, "starling-postgres-listen");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    @Override
    public boolean listening() {
        return listening && !deaf(System.nanoTime());
    }

    private boolean deaf(long now) {
        long since = unheardSince.get();
        return since != 0 && now - since > OWN_ECHO.toNanos();
    }

    /**
     * This instance is about to commit a transaction that notifies (the committing thread calls it, under the
     * instance's write lock, so one at a time). Returns what {@link #notSent} needs if the commit fails.
     */
    long sending() {
        long now = System.nanoTime() | 1;
        return unheardSince.compareAndSet(0, now) ? now : 0;
    }

    /** The commit announced by {@link #sending} failed: no notification of it will come. */
    void notSent(long mark) {
        if (mark != 0) unheardSince.compareAndSet(mark, 0);
    }

    /** The server process of the listening connection, 0 while there is none (tests terminate it). */
    int backendPid() {
        return listening ? backendPid : 0;
    }

    private void run() {
        long backoff = FIRST_BACKOFF.toMillis();
        boolean failing = false;
        while (!closed) {
            Connection c = null;
            try {
                c = connect();
                current = c;
                if (closed) break;
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN " + channel);
                }
                PGConnection pg = c.unwrap(PGConnection.class);
                backendPid = pg.getBackendPID();
                unheardSince.set(0); // what was sent before this LISTEN cannot come back to it
                listening = true;
                if (failing) log.info("{}: listening for commits of other nodes again", where);
                failing = false;
                backoff = FIRST_BACKOFF.toMillis();
                // commits made before the LISTEN (or while the last connection was down) were not signalled
                wake.run();
                listen(c, pg);
            } catch (SQLException | RuntimeException e) {
                listening = false;
                if (closed) break;
                if (!failing) {
                    log.warn(
                            "{}: not listening for commits of other nodes ({}); reading the log often until this"
                                    + " reconnects",
                            where,
                            e.toString());
                }
                failing = true;
                try {
                    if (closing.await(backoff, TimeUnit.MILLISECONDS)) break;
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
                backoff = Math.min(backoff * 2, MAX_BACKOFF.toMillis());
            } finally {
                listening = false;
                current = null;
                if (c != null) closeQuietly(c);
            }
        }
    }

    /** Waits for notifications until the signal closes; throws when the connection fails. */
    private void listen(Connection c, PGConnection pg) throws SQLException {
        long lastHeard = System.nanoTime();
        while (!closed) {
            PGNotification[] got = pg.getNotifications(WAIT_MILLIS);
            long now = System.nanoTime();
            if (got != null && got.length > 0) {
                lastHeard = now;
                boolean other = false;
                for (PGNotification n : got) {
                    if (ownToken.equals(n.getParameter())) {
                        unheardSince.set(0);
                    } else {
                        other = true;
                    }
                }
                if (other) wake.run();
            } else if (now - lastHeard > HEALTH_CHECK.toNanos()) {
                if (!c.isValid(connectTimeoutSeconds)) {
                    throw new SQLException(
                            "the listening connection did not answer in " + connectTimeoutSeconds + " s");
                }
                lastHeard = now;
            }
            noteDeafness(now);
        }
    }

    /** Logs when the instance's own commits stop, or start again, coming back in time. */
    private void noteDeafness(long now) {
        if (deaf(now) == deafLogged) return;
        deafLogged = !deafLogged;
        if (deafLogged) {
            log.warn(
                    "{}: this node's own commits are not heard back on its LISTEN connection within {} s (a proxy that"
                            + " pools connections per transaction does not carry LISTEN); reading the log often"
                            + " meanwhile",
                    where,
                    OWN_ECHO.toSeconds());
        } else {
            log.info("{}: this node's own commits are heard back again", where);
        }
    }

    private Connection connect() throws SQLException {
        Properties props = new Properties();
        // how it shows in pg_stat_activity, unless the URL names it itself (its parameters win)
        props.setProperty("ApplicationName", "starling-listen");
        props.setProperty("connectTimeout", Integer.toString(connectTimeoutSeconds));
        props.setProperty("tcpKeepAlive", "true");
        Connection c = new org.postgresql.Driver().connect(jdbcUrl, props);
        if (c == null) throw new SQLException("the PostgreSQL driver does not accept the URL " + where);
        c.setAutoCommit(true);
        return c;
    }

    private void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            log.debug("{}: closing the listening connection failed", where, e);
        }
    }

    /** Stops listening: closes the connection under the waiting thread and waits (up to 10 s) for it to end. */
    @Override
    public void close() {
        closed = true;
        closing.countDown();
        Connection c = current;
        if (c != null) {
            try {
                c.abort(Runnable::run);
            } catch (SQLException | RuntimeException e) {
                log.debug("{}: aborting the listening connection failed", where, e);
            }
        }
        if (Thread.currentThread() == thread) return;
        try {
            thread.join(10_000);
            if (thread.isAlive()) log.warn("{}: the listening thread did not stop in 10 s", where);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
