package io.starling.testing.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The default run: 500 seeds (seeds 1–500, 125 in each of the pair, line, star and mesh topologies) with every
 * fault enabled. A failure prints each failing seed's findings and the command that replays it.
 */
class SimulationSeedsTest {
    static final int SEEDS = 500;

    @Test
    void fiveHundredSeedsConvergeAndLoseNoAcknowledgedWrite() {
        SimulationRunner.Summary summary = SimulationRunner.run(
                1, SEEDS, Runtime.getRuntime().availableProcessors(), SimulationOptions::seed, r -> {});

        assertThat(summary.failures())
                .as(() -> summary.line() + "\n"
                        + summary.failures().stream()
                                .map(SimulationResult::describe)
                                .collect(Collectors.joining("\n\n")))
                .isEmpty();
        assertThat(summary.divergent()).isZero();
        assertThat(summary.lostWrites()).isZero();

        // the run did what it claims: every fault happened, and the protocol's paths were used
        Simulation.Stats t = summary.totals();
        assertThat(summary.writes()).as("acknowledged writes").isGreaterThan(SEEDS * 20L);
        assertThat(t.dropped).as("dropped messages").isPositive();
        assertThat(t.duplicated).as("duplicated messages").isPositive();
        assertThat(t.crashes).as("crashes").isPositive();
        assertThat(t.partitions).as("partitions").isPositive();
        assertThat(t.disconnects).as("disconnects").isPositive();
        assertThat(t.closes).as("sessions closed by reason").containsKeys("clock-drift", "out-of-order", "timeout");
        assertThat(t.sent)
                .as("messages and entries sent")
                .containsKeys(
                        "Hello",
                        "Subscriptions",
                        "Batch",
                        "Ack",
                        "Request",
                        "Docs",
                        "Close",
                        ".DocEntry",
                        ".HintEntry",
                        ".PartEntry",
                        ".continued",
                        ".done");

        // the simulator drives sessions itself: no engine thread was ever started
        assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(th -> th.getName().startsWith("starling"));
    }
}
