package io.starling.internal.core;

import static io.starling.internal.core.HybridLogicalClock.pack;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** The hybrid logical clock: follows the wall clock, never goes backwards, adopts remote time within the drift. */
class HybridLogicalClockTest {
    static final long DRIFT = 600_000;

    @Test
    void followsTheWallClock() {
        HybridLogicalClock c = new HybridLogicalClock(0, DRIFT);
        assertThat(c.tick(1_000)).isEqualTo(pack(1_000, 0));
        assertThat(c.tick(2_000)).isEqualTo(pack(2_000, 0));
        assertThat(c.last()).isEqualTo(pack(2_000, 0));
    }

    @Test
    void countsWithinOneMillisecondAndWhenTheWallClockGoesBack() {
        HybridLogicalClock c = new HybridLogicalClock(0, DRIFT);
        assertThat(c.tick(1_000)).isEqualTo(pack(1_000, 0));
        assertThat(c.tick(1_000)).isEqualTo(pack(1_000, 1));
        assertThat(c.tick(999)).isEqualTo(pack(1_000, 2));
        assertThat(c.tick(0)).isEqualTo(pack(1_000, 3));
    }

    @Test
    void aCounterOverflowCarriesIntoTheMilliseconds() {
        HybridLogicalClock c = new HybridLogicalClock(pack(5, 0xffff), DRIFT);
        assertThat(c.tick(5)).isEqualTo(pack(6, 0));
    }

    @Test
    void resumesAboveThePersistedValue() {
        HybridLogicalClock c = new HybridLogicalClock(pack(2_000, 7), DRIFT);
        assertThat(c.last()).isEqualTo(pack(2_000, 7));
        assertThat(c.tick(1_000)).isEqualTo(pack(2_000, 8));
        assertThatThrownBy(() -> new HybridLogicalClock(-1, DRIFT))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("negative hlc -1");
    }

    @Test
    void observingARemoteTimeMovesTheNextTickAboveIt() {
        HybridLogicalClock c = new HybridLogicalClock(0, DRIFT);
        c.tick(1_000);
        c.observe(pack(5_000, 9), 1_000);
        assertThat(c.last()).isEqualTo(pack(5_000, 9));
        assertThat(c.tick(1_000)).isEqualTo(pack(5_000, 10));
        c.observe(pack(10, 0), 1_000); // older: changes nothing
        assertThat(c.last()).isEqualTo(pack(5_000, 10));
        c.observe(pack(5_000, 10), 1_000); // equal: changes nothing
        assertThat(c.tick(1_000)).isEqualTo(pack(5_000, 11));
    }

    @Test
    void aRemoteTimeTooFarAheadIsRefusedAndChangesNothing() {
        HybridLogicalClock c = new HybridLogicalClock(0, 1_000);
        c.tick(10_000);
        long limit = pack(11_000, 0xffff);
        c.observe(limit, 10_000); // exactly the allowed drift: adopted
        assertThat(c.last()).isEqualTo(limit);
        HybridLogicalClock d = new HybridLogicalClock(pack(10_000, 0), 1_000);
        assertThatThrownBy(() -> d.observe(limit + 1, 10_000))
                .isInstanceOf(HybridLogicalClock.ClockDriftException.class)
                .hasMessage("remote timestamp 11001.0 is more than 1000 ms ahead of the local clock 10000.0");
        assertThat(d.last()).isEqualTo(pack(10_000, 0));
        assertThatThrownBy(() -> d.checkDrift(limit + 1, 10_000))
                .isInstanceOf(HybridLogicalClock.ClockDriftException.class);
        d.checkDrift(limit, 10_000);
        assertThat(d.last()).as("checkDrift changes nothing").isEqualTo(pack(10_000, 0));
        // a wall clock before the epoch counts as the epoch
        HybridLogicalClock e = new HybridLogicalClock(0, 1_000);
        e.checkDrift(pack(1_000, 0xffff), -5_000);
        assertThatThrownBy(() -> e.checkDrift(pack(1_001, 0), -5_000))
                .isInstanceOf(HybridLogicalClock.ClockDriftException.class);
    }

    @Test
    void packsMillisAndCounter() {
        assertThat(pack(123, 4)).isEqualTo((123L << 16) | 4);
        assertThat(pack(1, 0x1_0001)).as("the counter keeps 16 bits").isEqualTo(pack(1, 1));
        assertThat(HybridLogicalClock.millis(pack(1_700_000_000_000L, 0xffff))).isEqualTo(1_700_000_000_000L);
        assertThat(HybridLogicalClock.format(pack(123, 4))).isEqualTo("123.4");
        assertThat(HybridLogicalClock.format(pack(7, 0xffff))).isEqualTo("7.65535");
    }

    /** Whatever the wall clock does and whatever is observed, every tick is above everything before it. */
    @Property(tries = 200)
    void neverGoesBackwards(@ForAll long seed) {
        Random r = new Random(seed);
        HybridLogicalClock c = new HybridLogicalClock(0, DRIFT);
        long wall = 1_000_000, before = 0;
        for (int i = 0; i < 200; i++) {
            wall += r.nextInt(5) - 2; // jitters, sometimes backwards
            if (r.nextInt(4) == 0) {
                long remote = pack(wall + r.nextInt(2_000) - 1_000, r.nextInt(1 << 16));
                c.observe(remote, wall);
                before = Math.max(before, remote);
                assertThat(c.last()).isEqualTo(before);
            } else {
                long t = c.tick(wall);
                assertThat(t).isGreaterThan(before).isGreaterThanOrEqualTo(pack(wall, 0));
                before = t;
            }
        }
    }
}
