package io.starling.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The total order of writes: by HLC, then by site id read as an unsigned 64-bit number. */
class StampTest {

    /** Ascending, with the site ids that the signed order would put elsewhere: negative longs are above 2^63. */
    static final List<Stamp> ASCENDING = List.of(
            new Stamp(0, 1),
            new Stamp(0, -1),
            new Stamp(1, 0),
            new Stamp(1, 1),
            new Stamp(1, 2),
            new Stamp(1, Long.MAX_VALUE), // 2^63 - 1
            new Stamp(1, Long.MIN_VALUE), // 2^63
            new Stamp(1, -2), // 2^64 - 2
            new Stamp(1, -1), // 2^64 - 1
            new Stamp(2, Long.MIN_VALUE),
            new Stamp(2, 1),
            new Stamp(Long.MAX_VALUE, 1));

    @Test
    void stampsOrderByHlcThenBySiteAsAnUnsignedNumber() {
        // (2, MIN) is listed before (2, 1) above only to be sorted: fix the order first
        List<Stamp> ascending = new java.util.ArrayList<>(ASCENDING);
        ascending.set(9, new Stamp(2, 1));
        ascending.set(10, new Stamp(2, Long.MIN_VALUE));
        for (int i = 0; i < ascending.size(); i++) {
            for (int j = 0; j < ascending.size(); j++) {
                Stamp a = ascending.get(i), b = ascending.get(j);
                assertThat(Integer.signum(a.compareTo(b))).as("%s vs %s", a, b).isEqualTo(Integer.compare(i, j));
                assertThat(a.after(b)).as("%s after %s", a, b).isEqualTo(i > j);
                assertThat(Stamp.max(a, b)).as("max(%s, %s)", a, b).isEqualTo(ascending.get(Math.max(i, j)));
            }
        }
        List<Stamp> shuffled = new java.util.ArrayList<>(ascending);
        java.util.Collections.shuffle(shuffled, new java.util.Random(7));
        java.util.Collections.sort(shuffled);
        assertThat(shuffled).isEqualTo(ascending);
    }

    @Test
    void noneIsBelowEveryWrite() {
        assertThat(Stamp.NONE.isNone()).isTrue();
        assertThat(new Stamp(0, 0)).isEqualTo(Stamp.NONE);
        assertThat(new Stamp(0, 5).isNone()).isFalse();
        assertThat(new Stamp(1, 0).isNone()).isFalse();
        for (Stamp s : ASCENDING) {
            assertThat(s.after(Stamp.NONE)).as("%s after NONE", s).isTrue();
            assertThat(Stamp.NONE.after(s)).isFalse();
        }
        assertThat(Stamp.NONE.compareTo(new Stamp(0, 0))).isZero();
    }

    @Test
    void aNegativeHlcIsRefused() {
        assertThatThrownBy(() -> new Stamp(-1, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("negative hlc -1");
    }

    @Test
    void readsAsMillisCounterAndHexSite() {
        assertThat(new Stamp(HybridLogicalClock.pack(1_700_000_000_000L, 3), -2))
                .hasToString("1700000000000.3@fffffffffffffffe");
        assertThat(new Stamp(HybridLogicalClock.pack(5, 0), 0xab)).hasToString("5.0@ab");
    }
}
