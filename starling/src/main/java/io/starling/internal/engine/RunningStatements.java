package io.starling.internal.engine;

import io.starling.ErrorCode;
import io.starling.StarlingException;
import io.starling.internal.query.Cancellation;
import io.starling.internal.query.DqlException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/*
 * Design note — statement deadlines.
 *
 * Every statement the store runs (Store.execute, a statement inside a transaction, a live query's evaluation) gets a
 * Deadline: the query layer polls it at its loop points (docs/QUERY-LANGUAGE.md, "Time limit") and the engine polls
 * it between the documents a write changes. The deadline starts when the statement starts running — for a write,
 * once it holds the writer lock — so time spent waiting for the lock does not count; the lock is held only by
 * statements (themselves bounded) and by application transactions.
 *
 * A deadline that has passed throws DqlException TIMEOUT, which the store reports as query/timeout; the statement's
 * transaction rolls back, so nothing it wrote is kept. close() cancels every running deadline and makes every later
 * one born cancelled: statements stop at their next poll with store/closed, so a runaway statement cannot hold up
 * shutdown (or the writer lock storage.close() waits for).
 *
 * The clock is System.nanoTime (monotonic). A poll reads the volatile cancel flag, and the clock every eighth poll
 * only — the query layer polls once per document and every few thousand steps of inner loops, so the cost is
 * negligible next to decoding a document.
 */

/** The statements running on one store, each with its deadline; see the design note above. Thread-safe. */
final class RunningStatements {
    private final Duration limit;
    private final LongSupplier nanoTime;
    private final Set<Deadline> running = ConcurrentHashMap.newKeySet();
    private volatile boolean closing;

    RunningStatements(Duration limit) {
        this(limit, System::nanoTime);
    }

    /** With another clock (tests). */
    RunningStatements(Duration limit, LongSupplier nanoTime) {
        this.limit = limit;
        this.nanoTime = nanoTime;
    }

    /** The limit every statement gets. */
    Duration limit() {
        return limit;
    }

    /** A statement starts now: its deadline, registered until {@link #finish}. */
    Deadline start() {
        return start(limit);
    }

    /** As {@link #start()}, with a shorter limit of its own (never a longer one than the configured limit). */
    Deadline start(Duration shorter) {
        Duration own = shorter.compareTo(limit) < 0 ? shorter : limit;
        Deadline d = new Deadline(nanoTime.getAsLong() + own.toNanos(), own);
        running.add(d);
        if (closing) d.cancel(); // close() may have run between the flag test and the add: cancel either way
        return d;
    }

    void finish(Deadline d) {
        running.remove(d);
    }

    /** Cancels every running statement and every later one (the store is closing). Idempotent. */
    void cancelAll() {
        closing = true;
        for (Deadline d : running) d.cancel();
    }

    /** Number of statements running (tests). */
    int size() {
        return running.size();
    }

    /**
     * Polls between two reads of the clock: the query layer polls once per document, so this keeps the clock's cost
     * out of scans while a deadline is still noticed within a few documents.
     */
    static final int CLOCK_EVERY = 8;

    /** One statement's deadline and cancel flag. Polled by its own thread, cancelled from any. */
    final class Deadline implements Cancellation {
        private final long deadlineNanos;
        private final Duration own;
        private volatile boolean cancelled;
        /** Polls so far; the clock is read on every {@link #CLOCK_EVERY}th (only the owning thread polls). */
        private int polls;

        private Deadline(long deadlineNanos, Duration own) {
            this.deadlineNanos = deadlineNanos;
            this.own = own;
        }

        void cancel() {
            cancelled = true;
        }

        /**
         * @throws StarlingException with {@link ErrorCode#CLOSED} once cancelled
         * @throws DqlException TIMEOUT once the deadline has passed
         */
        @Override
        public void check() {
            if (cancelled) {
                throw new StarlingException(
                        ErrorCode.CLOSED, "the statement was stopped: this Starling instance is closing");
            }
            if ((polls++ & (CLOCK_EVERY - 1)) != 0) return;
            if (nanoTime.getAsLong() - deadlineNanos > 0) {
                throw new DqlException(
                        DqlException.Kind.TIMEOUT,
                        "the statement ran longer than its time limit of " + text(own)
                                + " and was stopped; nothing it changed was kept (the limit is"
                                + " StarlingConfig.statementTimeout, --statement-timeout on the command line)");
            }
        }
    }

    /** A duration as people write it: {@code 250 ms}, {@code 10 s}, {@code 1.5 s}, {@code 2 min}. */
    static String text(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) return ms + " ms";
        if (ms % 60_000 == 0) return (ms / 60_000) + " min";
        if (ms % 1000 == 0) return (ms / 1000) + " s";
        return String.format(java.util.Locale.ROOT, "%.3f s", ms / 1000.0).replaceAll("0+ s$", " s");
    }
}
