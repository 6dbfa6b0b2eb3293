package io.starling.testing.sim;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.function.LongSupplier;

/**
 * A peer's wall clock in the simulation: the simulation's virtual time plus this peer's skew. Nothing here reads
 * the real clock. Not thread-safe (the simulation is single-threaded).
 */
final class VirtualClock extends Clock {
    private final LongSupplier virtualTime;
    private long skewMillis;

    VirtualClock(LongSupplier virtualTime, long skewMillis) {
        this.virtualTime = virtualTime;
        this.skewMillis = skewMillis;
    }

    long skew() {
        return skewMillis;
    }

    void setSkew(long skewMillis) {
        this.skewMillis = skewMillis;
    }

    @Override
    public long millis() {
        return virtualTime.getAsLong() + skewMillis;
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("a virtual clock has one zone (UTC)");
    }
}
