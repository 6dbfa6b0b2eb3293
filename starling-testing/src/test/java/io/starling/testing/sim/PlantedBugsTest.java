package io.starling.testing.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Bugs planted in the engine the simulator drives ({@link EngineFault}) fail every seed in which they change what the
 * engine does — found while the run goes on (a statement's outcome against the model's plan, a batch against the
 * model of what the receiver was sent, a zombie notice against the rule), not by a lucky final state. The seeds are
 * fixed: the default options from seed 1 on, until the bug acted in {@value #ENOUGH} of them (at most {@value
 * #SEEDS} seeds); the figures are in docs/SIMULATOR.md ("Planted bugs").
 */
class PlantedBugsTest {
    static final int SEEDS = 200;
    /** Seeds in which the bug acted that are enough to stop at (keeps the default build short). */
    static final int ENOUGH = 5;

    @ParameterizedTest
    @EnumSource(
            value = EngineFault.class,
            names = {"NONE"},
            mode = EnumSource.Mode.EXCLUDE)
    void everySeedInWhichThePlantedBugActsFails(EngineFault fault) {
        List<Long> acted = new ArrayList<>(), passed = new ArrayList<>();
        for (long seed = 1; seed <= SEEDS && acted.size() < ENOUGH; seed++) {
            SimulationResult r = new Simulation(SimulationOptions.seed(seed)
                            .withEngineFault(fault)
                            .withIdentities(fault.needsIdentities())
                            .withSessionPolicy(fault.needsSessionPolicy()))
                    .run();
            if (r.stats().plantedFaults == 0) {
                assertThat(r.passed())
                        .as("seed %d, where %s never acted: %s", seed, fault, r.describe())
                        .isTrue();
                continue;
            }
            acted.add(seed);
            if (r.passed()) passed.add(seed);
        }
        System.out.println("PlantedBugsTest: " + fault + " acted in seeds " + acted + "; passed despite it: " + passed);
        assertThat(acted).as("seeds of 1..%d in which %s acted", SEEDS, fault).hasSizeGreaterThanOrEqualTo(2);
        assertThat(passed)
                .as("seeds in which %s acted and the run still passed", fault)
                .isEmpty();
    }
}
