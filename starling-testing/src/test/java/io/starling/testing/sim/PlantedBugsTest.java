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
            names = {"NONE", "CACHED_SEQUENCE"},
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

    /** Seeds of the server cluster topology the cached-sequence bug runs over. */
    static final int CLUSTER_SEEDS = 40;

    /**
     * The classic trap of tailing a change log by sequence number, planted in the server cluster's shared store
     * (numbers not in commit order, {@link EngineFault#CACHED_SEQUENCE}): the simulator catches it in most seeds
     * where it acts (at least three in four: a device whose checkpoint passed another node's block never receives the
     * rows numbered below it), while the same seeds pass without it. It cannot fail every such seed: a row numbered out of order that is
     * written again later, at a higher number, reaches everyone anyway.
     */
    @org.junit.jupiter.api.Test
    void outOfOrderSequenceNumbersInTheServerClustersStoreAreCaught() {
        List<Long> acted = new ArrayList<>(), caught = new ArrayList<>();
        String firstFinding = "";
        for (long seed = 1; seed <= CLUSTER_SEEDS; seed++) {
            SimulationOptions options = SimulationOptions.seed(seed).withTopology(Topology.SERVER_CLUSTER);
            SimulationResult r = new Simulation(options.withEngineFault(EngineFault.CACHED_SEQUENCE)).run();
            if (r.stats().plantedFaults == 0) continue;
            acted.add(seed);
            if (!r.passed()) {
                if (caught.isEmpty()) firstFinding = r.describe();
                caught.add(seed);
            }
        }
        System.out.println("PlantedBugsTest: CACHED_SEQUENCE acted in seeds " + acted + "; caught in " + caught
                + "; the first: " + firstFinding.substring(0, Math.min(2_000, firstFinding.length())));
        assertThat(acted)
                .as("seeds of 1..%d in which CACHED_SEQUENCE acted", CLUSTER_SEEDS)
                .hasSizeGreaterThanOrEqualTo(10);
        assertThat(caught.size())
                .as("seeds in which CACHED_SEQUENCE acted and the simulator caught it, of %s", acted)
                .isGreaterThanOrEqualTo(acted.size() * 3 / 4);
        for (long seed : caught) {
            SimulationResult clean =
                    new Simulation(SimulationOptions.seed(seed).withTopology(Topology.SERVER_CLUSTER)).run();
            assertThat(clean.passed())
                    .as("seed %d without the planted bug: %s", seed, clean.describe())
                    .isTrue();
        }
    }
}
