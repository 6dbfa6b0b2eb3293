package io.starling.testsupport;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Waiting in tests for something that happens on another thread or in another process: a condition is polled until
 * it holds or a deadline passes, and then the test fails with a message that says what it waited for, how long, and
 * what it saw last. Never a sleep for a guessed time: the condition decides, the deadline only bounds a failure, so
 * generous deadlines cost nothing when things work.
 *
 * <p>Polling starts at 1 ms and backs off to {@value #MAX_PAUSE_MILLIS} ms, so a cheap condition is seen almost at
 * once and an expensive one (an HTTP request, a query) is not run in a tight loop. An exception thrown by the
 * condition fails the wait at once (wrap the condition yourself where a failure means "not yet"). An interrupt fails
 * the wait and keeps the thread's interrupt status.
 */
public final class Await {
    private static final long MAX_PAUSE_MILLIS = 50;

    private Await() {}

    /**
     * Waits until {@code condition} holds.
     *
     * @param what what the test waits for, as the failure message should say it ("the document at peer b")
     * @throws AssertionError after {@code timeout}: {@code timed out after 20 s waiting for <what>}
     */
    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        until(what, timeout, condition, () -> null);
    }

    /**
     * Waits until {@code condition} holds; a failure also shows {@code state} (evaluated once, at the deadline), so
     * that it says what was there instead ("found {a=1}, ignored {}", the child's output).
     */
    public static void until(String what, Duration timeout, BooleanSupplier condition, Supplier<?> state) {
        Objects.requireNonNull(condition, "condition");
        Deadline deadline = new Deadline(what, timeout);
        while (!condition.getAsBoolean()) {
            deadline.pauseOrFail(() -> {
                Object s = state.get();
                return s == null ? "" : "; last state: " + s;
            });
        }
    }

    /**
     * Waits until {@code value} gives something {@code done} accepts, and returns it. A failure shows the last
     * value seen.
     */
    public static <T> T value(String what, Duration timeout, Supplier<T> value, Predicate<? super T> done) {
        Deadline deadline = new Deadline(what, timeout);
        while (true) {
            T v = value.get();
            if (done.test(v)) return v;
            deadline.pauseOrFail(() -> "; last value: " + v);
        }
    }

    /** Waits until {@code latch} reaches zero. */
    public static void latch(String what, Duration timeout, CountDownLatch latch) {
        try {
            if (!latch.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new AssertionError("timed out after " + format(timeout) + " waiting for " + what
                        + "; the latch still counts " + latch.getCount());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + what, e);
        }
    }

    /**
     * Waits until {@code thread} is parked (blocked on a lock, a condition or a join), for tests that must know a
     * thread is waiting before they release it.
     */
    public static void parked(String what, Duration timeout, Thread thread) {
        until(
                what,
                timeout,
                () -> switch (thread.getState()) {
                    case WAITING, TIMED_WAITING, BLOCKED -> true;
                    default -> false;
                },
                () -> "thread " + thread.getName() + " is " + thread.getState());
    }

    /** {@code 20 s}, {@code 1.5 s}, {@code 250 ms}: deadlines as a reader writes them. */
    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) return ms + " ms";
        if (ms % 1000 == 0) return (ms / 1000) + " s";
        return String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0);
    }

    /** One wait: when it ends, and how long the next pause is. */
    private static final class Deadline {
        private final String what;
        private final Duration timeout;
        private final long end;
        private long pauseMillis = 1;

        Deadline(String what, Duration timeout) {
            this.what = Objects.requireNonNull(what, "what");
            if (timeout.isNegative()) throw new IllegalArgumentException("a negative timeout: " + timeout);
            this.timeout = timeout;
            this.end = System.nanoTime() + timeout.toNanos();
        }

        /** Pauses before the next poll, or fails if the deadline has passed. */
        void pauseOrFail(Supplier<String> detail) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("timed out after " + format(timeout) + " waiting for " + what + detail.get());
            }
            LockSupport.parkNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(pauseMillis)));
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + what);
            }
            pauseMillis = Math.min(pauseMillis * 2, MAX_PAUSE_MILLIS);
        }
    }
}
