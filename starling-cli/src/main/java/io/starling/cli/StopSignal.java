package io.starling.cli;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Tells a long-running command ({@code peer}, {@code watch}) when to stop, and lets whoever asked wait until it has
 * cleaned up. In the real process the request comes from SIGINT or SIGTERM through a JVM shutdown hook that then
 * waits for {@link #finished()}, so that the JVM does not exit before the database is closed (a write acknowledged
 * before the signal stays acknowledged after it). Tests make their own and call {@link #requestStop()}.
 *
 * <p>Thread-safe. A command that obtains a signal must call {@link #finished()} exactly once when it is done,
 * whether it stopped because of the signal or for any other reason (in a {@code finally}).
 */
final class StopSignal {
    /** How long the shutdown hook waits for the command to clean up before it lets the JVM exit anyway. */
    static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(60);

    private final CompletableFuture<Void> requested = new CompletableFuture<>();
    private final CountDownLatch finished = new CountDownLatch(1);

    /** A signal that only {@link #requestStop()} triggers (tests). */
    static StopSignal manual() {
        return new StopSignal();
    }

    /**
     * A signal triggered by the JVM shutting down: SIGINT (Ctrl-C), SIGTERM, or {@code System.exit}. The shutdown
     * hook waits up to {@link #SHUTDOWN_GRACE} for {@link #finished()}.
     */
    static StopSignal onJvmShutdown() {
        StopSignal signal = new StopSignal();
        Thread hook = new Thread(
                () -> {
                    boolean stoppedBySignal = signal.finished.getCount() > 0; // not the command's own System.exit
                    signal.requestStop();
                    if (signal.awaitFinished(SHUTDOWN_GRACE) && stoppedBySignal && signal.exitZeroOnSignal) {
                        // a drained stop is a clean stop: 0 rather than the JVM's 143 for SIGTERM (other shutdown
                        // hooks are skipped; the command has closed everything it opened)
                        Runtime.getRuntime().halt(0);
                    }
                },
                "starling-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        return signal;
    }

    private volatile boolean exitZeroOnSignal;

    /**
     * Makes the process exit with 0 instead of 130 or 143 when the signal stopped the command and it finished within
     * the grace period ({@code starling server}: a drain on SIGTERM is the normal way to stop it).
     */
    void exitZeroOnSignal() {
        exitZeroOnSignal = true;
    }

    /** Asks the command to stop. Idempotent; any thread. */
    void requestStop() {
        requested.complete(null);
    }

    boolean isStopRequested() {
        return requested.isDone();
    }

    /** Completes when a stop is requested: for commands that wait for one of several things. */
    CompletableFuture<Void> requested() {
        return requested;
    }

    /** Blocks until a stop is requested. */
    void awaitStop() throws InterruptedException {
        try {
            requested.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e); // never completed exceptionally
        }
    }

    /** Called by the command once it has released everything; lets the shutdown hook return. */
    void finished() {
        finished.countDown();
    }

    /** Waits until the command has {@linkplain #finished() finished}; returns false if {@code timeout} passed. */
    boolean awaitFinished(Duration timeout) {
        try {
            return finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
