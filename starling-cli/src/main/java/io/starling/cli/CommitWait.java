package io.starling.cli;

import io.starling.ErrorCode;
import io.starling.ObserverHandle;
import io.starling.StarlingException;
import io.starling.Store;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Read-your-writes on the HTTP API: a commit token is the change-feed cursor of a write ({@code
 * QueryResult.commitSequence()}); a read that carries one waits here, at most {@code limit}, until this node's store
 * holds that cursor.
 *
 * <p>"Holds" is asked of the store's own change feed: the store accepts a cursor only up to its last committed
 * change ({@link Store#changes} refuses one beyond it with {@link ErrorCode#CHANGES_CURSOR}). So the answer is the
 * store's commit position as this node sees it, whatever the storage: immediate on one SQLite node, and on several
 * nodes sharing one PostgreSQL as soon as the write is visible to this node. The wait wakes on every local commit
 * ({@link Store#observeCommits}) and also looks again every {@link #RECHECK} — commits of other nodes of a shared
 * store need not announce themselves here.
 *
 * <p>A waiting read holds one of the server's worker threads, so at most {@code maxWaiting} reads wait at once;
 * more are refused at once (503). Thread-safe.
 */
final class CommitWait {
    /** How often a waiting read looks at the store again without being woken by a commit. */
    static final Duration RECHECK = Duration.ofMillis(100);

    static final Duration DEFAULT_LIMIT = Duration.ofSeconds(5);

    private final Store store;
    private final Duration limit;
    private final int maxWaiting;
    private final AtomicInteger waiting = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition committed = lock.newCondition();
    private long commits; // guarded by lock

    CommitWait(Store store, Duration limit, int maxWaiting) {
        this.store = store;
        this.limit = limit;
        this.maxWaiting = maxWaiting;
    }

    /** How a wait ended: the store holds the token, the limit passed, or too many reads wait already. */
    sealed interface Outcome permits Reached, TimedOut, Busy {}

    record Reached() implements Outcome {}

    record TimedOut(long token, Duration limit) implements Outcome {}

    record Busy(int maxWaiting) implements Outcome {}

    /** Reads that are waiting now (tests). */
    int waiting() {
        return waiting.get();
    }

    Duration limit() {
        return limit;
    }

    /**
     * Parses a commit token (decimal digits, as a write answered it).
     *
     * @return the cursor, or null when {@code text} is not a token
     */
    static @Nullable Long parse(String text) {
        String s = text.strip();
        if (s.isEmpty() || s.length() > 19 || !s.chars().allMatch(ch -> ch >= '0' && ch <= '9')) return null;
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Blocks until the store holds {@code token}, at most the limit. */
    Outcome await(long token) throws InterruptedException {
        if (holds(token)) return new Reached();
        if (waiting.incrementAndGet() > maxWaiting) {
            waiting.decrementAndGet();
            return new Busy(maxWaiting);
        }
        ObserverHandle observer = store.observeCommits(this::onCommit);
        try {
            long deadline = System.nanoTime() + limit.toNanos();
            while (true) {
                long seen;
                lock.lock();
                try {
                    seen = commits;
                } finally {
                    lock.unlock();
                }
                if (holds(token)) return new Reached();
                long left = deadline - System.nanoTime();
                if (left <= 0) return new TimedOut(token, limit);
                lock.lock();
                try {
                    if (commits == seen) committed.awaitNanos(Math.min(left, RECHECK.toNanos()));
                } finally {
                    lock.unlock();
                }
            }
        } finally {
            observer.close();
            waiting.decrementAndGet();
        }
    }

    private void onCommit() {
        lock.lock();
        try {
            commits++;
            committed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Whether the store's change feed reaches {@code token}: it reads from there without refusing the cursor. */
    private boolean holds(long token) {
        if (token == 0) return true;
        try {
            store.changes(token, 1, Set.of());
            return true;
        } catch (StarlingException e) {
            if (e.errorCode() == ErrorCode.CHANGES_CURSOR) return false; // beyond the last committed change
            if (e.errorCode() == ErrorCode.CHANGES_CURSOR_EXPIRED) return true; // older than a purge: long held
            throw e;
        }
    }
}
