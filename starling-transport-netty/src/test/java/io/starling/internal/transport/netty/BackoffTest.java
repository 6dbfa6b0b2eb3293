package io.starling.internal.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.testsupport.Seed;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void boundsDoubleUpToTheMaximumWithFullJitterAndResetToTheMinimum(@Seed long seed) {
        Backoff b = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(30), new Random(seed));
        long[] expectedCeilings = {250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000};
        for (long ceiling : expectedCeilings) {
            assertThat(b.ceiling()).as("seed %d", seed).isEqualTo(ceiling);
            assertThat(b.nextMillis()).as("seed %d", seed).isBetween(0L, ceiling);
        }
        for (int i = 0; i < 100; i++) assertThat(b.nextMillis()).isBetween(0L, 30_000L);
        b.reset();
        assertThat(b.ceiling()).isEqualTo(250);
        assertThat(b.nextMillis()).isBetween(0L, 250L);
    }

    @Test
    void atMaxStaysInTheUpperHalfOfTheMaximum() {
        Backoff b = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(30), new Random(1));
        for (int i = 0; i < 1000; i++) assertThat(b.atMaxMillis()).isBetween(15_000L, 30_000L);
        assertThat(b.ceiling()).isEqualTo(30_000);
    }

    @Test
    void jitterSpreadsDelays() {
        Backoff b = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(30), new Random(7));
        for (int i = 0; i < 10; i++) b.nextMillis();
        long min = Long.MAX_VALUE, max = 0;
        for (int i = 0; i < 1000; i++) {
            long d = b.nextMillis();
            min = Math.min(min, d);
            max = Math.max(max, d);
        }
        assertThat(min).isLessThan(3_000);
        assertThat(max).isGreaterThan(27_000);
    }
}
