package io.starling.internal.core;

/**
 * A hybrid logical clock: 48 bits of milliseconds since the epoch and a 16-bit counter, packed in one
 * long as {@code millis << 16 | counter}. Pure: the caller passes the wall-clock reading in.
 *
 * <p>{@link #tick} never returns a value at or below one it returned or observed before, whatever the wall
 * clock does (a counter overflow simply carries into the millisecond part). The last value is persisted
 * by the engine with every write, so monotonicity holds across restarts. {@link #observe} adopts a remote
 * value only if it is at most {@code maxDriftMillis} ahead of the wall clock.
 *
 * <p>Not thread-safe: the engine uses it under its write lock.
 */
public final class HybridLogicalClock {
    private final long maxDriftMillis;
    private long last;

    public HybridLogicalClock(long lastPersisted, long maxDriftMillis) {
        if (lastPersisted < 0) throw new IllegalArgumentException("negative hlc " + lastPersisted);
        this.last = lastPersisted;
        this.maxDriftMillis = maxDriftMillis;
    }

    /** A new timestamp, strictly above every earlier one. */
    public long tick(long wallMillis) {
        long wall = pack(wallMillis, 0);
        last = Math.max(wall, last + 1);
        return last;
    }

    /**
     * Takes a remote timestamp into account so that the next {@link #tick} is above it.
     *
     * @throws ClockDriftException if it is more than the allowed drift ahead of {@code wallMillis}; the
     *     clock is unchanged
     */
    public void observe(long remote, long wallMillis) {
        checkDrift(remote, wallMillis);
        if (remote > last) last = remote;
    }

    /** Throws if {@code remote} is too far ahead of {@code wallMillis}; changes nothing. */
    public void checkDrift(long remote, long wallMillis) {
        long limit = pack(Math.max(0, wallMillis) + maxDriftMillis, 0xffff);
        if (remote > limit) {
            throw new ClockDriftException("remote timestamp " + format(remote) + " is more than " + maxDriftMillis
                    + " ms ahead of the local clock " + format(pack(wallMillis, 0)));
        }
    }

    /** The last value produced or observed. */
    public long last() {
        return last;
    }

    public static long pack(long millis, int counter) {
        return (millis << 16) | (counter & 0xffff);
    }

    public static long millis(long hlc) {
        return hlc >>> 16;
    }

    /** {@code <millis>.<counter>}, readable in logs. */
    public static String format(long hlc) {
        return millis(hlc) + "." + (hlc & 0xffff);
    }

    /** A remote timestamp lies too far in the future. */
    public static final class ClockDriftException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public ClockDriftException(String message) {
            super(message);
        }
    }
}
