package io.starling.testing.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The 10,000-seed profile: {@code mvn -Pslow test} (or {@code bin/simulate --seeds 10000}). */
@Tag("slow")
class SlowSeedsTest {

    @Test
    @Timeout(value = 2, unit = TimeUnit.HOURS) // minutes on an idle machine; a shared one is slower
    void tenThousandSeeds() {
        long start = System.nanoTime(); // the run's own figures, outside every run (which never reads a clock)
        SimulationRunner.Summary summary = SimulationRunner.run(
                1, 10_000, Runtime.getRuntime().availableProcessors(), SimulationOptions::seed, r -> {});
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf(
                "SlowSeedsTest: %s in %.0f s (%.1f seeds/s on %d threads), %d acknowledged writes, %d messages%n"
                        + "SlowSeedsTest: checked %s%n",
                summary.line(),
                secs,
                10_000 / secs,
                Runtime.getRuntime().availableProcessors(),
                summary.writes(),
                summary.messages(),
                summary.coverage());
        assertThat(summary.failures())
                .as(() -> summary.line() + "\n"
                        + summary.failures().stream()
                                .limit(20)
                                .map(SimulationResult::describe)
                                .collect(Collectors.joining("\n\n")))
                .isEmpty();
    }
}
