package io.starling.internal.sync;

import java.lang.management.ManagementFactory;
import java.util.function.Supplier;

/**
 * Checks that work allocates no more than a budget, counting the bytes this thread allocates (HotSpot's
 * {@code com.sun.management.ThreadMXBean}); a no-op where that counter is unavailable. It is how the fuzz tests
 * tell "a claimed huge length was believed" from an ordinary decode, long before an OutOfMemoryError would.
 */
final class Allocations {
    /** Fixed overhead allowed on top of any budget: list capacities, assertion objects, class loading. */
    static final long SLACK = 256 << 10;

    private static final com.sun.management.ThreadMXBean THREADS = threads();
    private static volatile boolean warm;

    private Allocations() {}

    private static com.sun.management.ThreadMXBean threads() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported()) {
            t.setThreadAllocatedMemoryEnabled(true);
            return t;
        }
        return null;
    }

    /**
     * Runs {@code warmUp} unmeasured, then turns measuring on. Loading (and, under Jazzer, instrumenting) a class
     * allocates far more than decoding does: every class the measured work needs must be loaded by then.
     */
    static synchronized void warmUp(Runnable warmUp) {
        if (warm) return;
        warmUp.run();
        warm = true;
    }

    /** Runs {@code work} and fails if it allocated more than {@code budget} + {@link #SLACK} bytes. */
    static <T> T bounded(long budget, Supplier<T> work) {
        if (THREADS == null || !warm) return work.get();
        long before = THREADS.getCurrentThreadAllocatedBytes();
        T result = work.get();
        long used = THREADS.getCurrentThreadAllocatedBytes() - before;
        if (used > budget + SLACK) {
            throw new AssertionError("allocated " + used + " bytes, more than the budget of " + budget + " + " + SLACK);
        }
        return result;
    }
}
