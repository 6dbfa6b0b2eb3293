package io.starling.testing.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Same seed, same run: the trace hash covers every event and every message byte. */
class DeterminismTest {

    @Test
    void aSeedReplayedGivesTheSameTraceHash() {
        for (long seed : new long[] {1, 2, 3, 4, 77}) {
            SimulationResult first = new Simulation(SimulationOptions.seed(seed)).run();
            SimulationResult again = new Simulation(SimulationOptions.seed(seed)).run();
            assertThat(again.traceHash()).as("seed %d", seed).isEqualTo(first.traceHash());
            assertThat(again.acknowledgedWrites()).isEqualTo(first.acknowledgedWrites());
            assertThat(again.stats().messages).isEqualTo(first.stats().messages);
            assertThat(first.passed()).as(first::describe).isTrue();
        }
    }

    @Test
    void aSeedWithTheSessionPolicyReplaysAndDiffersFromTheSameSeedWithout() {
        for (long seed : new long[] {2, 3}) {
            SimulationOptions options = SimulationOptions.seed(seed).withSessionPolicy(true);
            SimulationResult first = new Simulation(options).run();
            SimulationResult again = new Simulation(options).run();
            assertThat(again.traceHash()).as("seed %d", seed).isEqualTo(first.traceHash());
            assertThat(first.stats().duplicatesClosed)
                    .as("seed %d closed duplicates", seed)
                    .isPositive();
            assertThat(first.passed()).as(first::describe).isTrue();
            assertThat(new Simulation(SimulationOptions.seed(seed)).run().traceHash())
                    .isNotEqualTo(first.traceHash());
        }
    }

    @Test
    void theReplayCommandsOptionsReproduceTheRun() {
        // by default seed 6 picks its topology (star) and size (6); naming them must replay the same run
        SimulationResult byDefault = new Simulation(SimulationOptions.seed(6)).run();
        SimulationResult named = new Simulation(SimulationOptions.seed(6)
                        .withTopology(byDefault.topology())
                        .withPeers(byDefault.peers()))
                .run();
        assertThat(named.traceHash()).isEqualTo(byDefault.traceHash());
        assertThat(byDefault.replayCommand())
                .isEqualTo("bin/simulate --seeds 1 --from 6 --peers " + byDefault.peers() + " --topology "
                        + byDefault.topology().optionName());

        SimulationResult random = new Simulation(SimulationOptions.seed(9).withTopology(Topology.RANDOM)).run();
        SimulationResult randomNamed = new Simulation(
                        SimulationOptions.seed(9).withTopology(Topology.RANDOM).withPeers(random.peers()))
                .run();
        assertThat(randomNamed.traceHash()).isEqualTo(random.traceHash());
    }

    @Test
    void runsOnOtherThreadsAndInParallelGiveTheSameHashes() throws Exception {
        List<String> serial = new ArrayList<>();
        for (long seed = 10; seed < 18; seed++)
            serial.add(new Simulation(SimulationOptions.seed(seed)).run().traceHash());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> futures = new ArrayList<>();
            for (long seed = 17; seed >= 10; seed--) { // other order, other threads, concurrently
                long s = seed;
                futures.add(pool.submit(
                        () -> new Simulation(SimulationOptions.seed(s)).run().traceHash()));
            }
            List<String> parallel = new ArrayList<>();
            for (Future<String> f : futures) parallel.add(0, f.get());
            assertThat(parallel).isEqualTo(serial);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void differentSeedsAndOptionsGiveDifferentRuns() {
        String a = new Simulation(SimulationOptions.seed(5)).run().traceHash();
        String b = new Simulation(SimulationOptions.seed(9)).run().traceHash(); // same topology (line), other seed
        String c =
                new Simulation(SimulationOptions.seed(5).withActions(81)).run().traceHash();
        assertThat(a).isNotEqualTo(b).isNotEqualTo(c);
    }
}
