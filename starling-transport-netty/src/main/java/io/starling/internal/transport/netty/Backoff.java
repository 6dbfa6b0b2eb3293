package io.starling.internal.transport.netty;

import java.time.Duration;
import java.util.Random;

/**
 * Reconnect delays: exponential with full jitter. The n-th delay after a reset is uniform in
 * {@code [0, min(max, min * 2^n)]}, so peers that lost the same server do not come back in step. Not thread-safe
 * (each dialer owns one and uses it on one thread).
 */
final class Backoff {
    private static final int MAX_DOUBLINGS = 30; // min << 30 cannot overflow for any sane min
    private final long minMillis;
    private final long maxMillis;
    private final Random random;
    private int attempts;

    Backoff(Duration min, Duration max, Random random) {
        this.minMillis = Math.max(1, min.toMillis());
        this.maxMillis = Math.max(minMillis, max.toMillis());
        this.random = random;
    }

    /** The next delay, growing the bound for the one after. */
    long nextMillis() {
        long cap = ceiling();
        if (attempts < MAX_DOUBLINGS) attempts++;
        return nextLong(cap + 1);
    }

    /** The current bound: {@code min(max, min * 2^attempts)}. */
    long ceiling() {
        return attempts >= MAX_DOUBLINGS ? maxMillis : Math.min(maxMillis, minMillis << attempts);
    }

    /** A delay at the maximum bound, jittered in its upper half: for retries that are not expected to succeed soon. */
    long atMaxMillis() {
        attempts = MAX_DOUBLINGS;
        return maxMillis / 2 + nextLong(maxMillis - maxMillis / 2 + 1);
    }

    /** Back to the shortest delays (a session got established). */
    void reset() {
        attempts = 0;
    }

    private long nextLong(long bound) {
        return bound <= 1 ? 0 : (long) (random.nextDouble() * bound);
    }
}
