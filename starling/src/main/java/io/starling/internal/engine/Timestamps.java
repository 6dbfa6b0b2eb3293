package io.starling.internal.engine;

import io.starling.internal.core.HybridLogicalClock;
import io.starling.internal.core.Stamp;
import java.time.Clock;

/**
 * This replica's source of write stamps: the hybrid logical clock, the site id and the wall clock that
 * drives it. Thread-safe. The engine persists {@link #last()} in the same transaction as every write
 * that used a stamp, so the clock never goes backwards across restarts.
 */
final class Timestamps {
    private final HybridLogicalClock hlc;
    private final long site;
    private final Clock wall;

    Timestamps(long site, long persistedHlc, long maxDriftMillis, Clock wall) {
        this.site = site;
        this.wall = wall;
        this.hlc = new HybridLogicalClock(persistedHlc, maxDriftMillis);
    }

    synchronized Stamp next() {
        return new Stamp(hlc.tick(wall.millis()), site);
    }

    /** Rejects a remote stamp too far ahead; otherwise makes later local stamps exceed it. */
    synchronized void observe(Stamp remote) {
        hlc.observe(remote.hlc(), wall.millis());
    }

    /**
     * Makes later local stamps exceed {@code hlc}, a clock value another node of the same shared storage stored. Its
     * drift is checked like a remote peer's: nodes' clocks must agree within the allowed drift.
     */
    synchronized void observeStored(long stored) {
        hlc.observe(stored, wall.millis());
    }

    synchronized long last() {
        return hlc.last();
    }

    long site() {
        return site;
    }

    long nowMillis() {
        return wall.millis();
    }
}
