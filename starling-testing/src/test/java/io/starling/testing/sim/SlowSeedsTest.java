package io.starling.testing.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The 10,000-seed profile: {@code mvn -Pslow test} (or {@code bin/simulate --seeds 10000}). */
@Tag("slow")
class SlowSeedsTest {

    @Test
    void tenThousandSeeds() {
        SimulationRunner.Summary summary = SimulationRunner.run(
                1, 10_000, Runtime.getRuntime().availableProcessors(), SimulationOptions::seed, r -> {});
        assertThat(summary.failures())
                .as(() -> summary.line() + "\n"
                        + summary.failures().stream()
                                .limit(20)
                                .map(SimulationResult::describe)
                                .collect(Collectors.joining("\n\n")))
                .isEmpty();
    }
}
