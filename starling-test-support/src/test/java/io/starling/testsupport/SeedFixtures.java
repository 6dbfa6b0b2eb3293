package io.starling.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** Tests that {@link SeedReportingTest} runs through the JUnit Platform launcher (not run by the build itself). */
final class SeedFixtures {
    private SeedFixtures() {}

    /** The samples a run of {@link JqwikFailure} saw, in order. */
    static final List<Long> samples = new ArrayList<>();

    /** The seed {@link HandRolled} was given. */
    static long handRolledSeed;

    static final class JqwikFailure {
        @Property(tries = 200)
        void failsNowAndThen(@ForAll long sample) {
            samples.add(sample);
            assertThat(Math.floorMod(sample, 5)).isNotEqualTo(3);
        }
    }

    static final class HandRolled {
        @Test
        void fails(@Seed long seed) {
            handRolledSeed = seed;
            throw new IllegalStateException("broken at " + seed);
        }
    }
}
