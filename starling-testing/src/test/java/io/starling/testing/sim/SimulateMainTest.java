package io.starling.testing.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** bin/simulate's contract: the last line, the exit status, the replay command, the livelock report. */
class SimulateMainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();

    private int run(String... args) {
        return SimulateMain.run(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String[] outLines() {
        return out.toString(StandardCharsets.UTF_8).split("\n");
    }

    @Test
    void passingSeedsEndWithTheSummaryLineAndExitZero() {
        assertThat(run("--seeds", "6", "--from", "1", "--threads", "2")).isZero();
        String[] lines = outLines();
        assertThat(lines[lines.length - 1]).isEqualTo("simulated 6 seeds: 0 divergent, 0 lost writes");
    }

    @Test
    void optionsNameTopologyPeersAndFaults() {
        assertThat(run(
                        "--seeds",
                        "2",
                        "--from",
                        "40",
                        "--topology",
                        "random",
                        "--peers",
                        "7",
                        "--faults",
                        "drop,crash",
                        "--actions",
                        "30",
                        "--verbose"))
                .isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("seed 40 ok (random, 7 peers")
                .endsWith("simulated 2 seeds: 0 divergent, 0 lost writes\n");
    }

    @Test
    void badUsageExitsTwo() {
        assertThat(run("--seeds", "0")).isEqualTo(2);
        assertThat(run("--topology", "ring")).isEqualTo(2);
        assertThat(run("--faults", "gremlins")).isEqualTo(2);
        assertThat(run("--peers", "9")).isEqualTo(2);
        assertThat(run("--topology", "pair", "--peers", "3")).isEqualTo(2);
        assertThat(run("--watch", "a")).isEqualTo(2); // not C/ID: was an ArrayIndexOutOfBoundsException
        assertThat(run("--watch", "a/")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("usage: bin/simulate");
    }

    @Test
    void aFailingSeedPrintsTheCommandThatReplaysIt() {
        SimulationOptions o = SimulationOptions.seed(123)
                .withTopology(Topology.STAR)
                .withPeers(3)
                .withActions(50)
                .withFaults(java.util.EnumSet.of(Fault.DROP, Fault.CRASH));
        assertThat(o.replayCommand(Topology.STAR, 3))
                .isEqualTo(
                        "bin/simulate --seeds 1 --from 123 --peers 3 --topology star --actions 50 --faults drop,crash");
        assertThat(SimulationOptions.seed(5).replayCommand(Topology.LINE, 4))
                .isEqualTo("bin/simulate --seeds 1 --from 5 --peers 4 --topology line");
    }

    @Test
    void aRunThatDoesNotGoQuietIsReportedAsALivelock() {
        SimulationOptions o =
                SimulationOptions.seed(3).withTopology(Topology.MESH).withActions(150);
        SimulationResult normal = new Simulation(o).run();
        assertThat(normal.passed()).as(normal::describe).isTrue();
        assertThat(normal.stats().quiesceEvents).isGreaterThan(100);

        SimulationResult capped = new Simulation(o.withMaxQuiesceEvents(100)).run();
        assertThat(capped.divergent()).isTrue();
        assertThat(capped.failure()).startsWith("livelock: not quiet after 100 events");
        assertThat(capped.describe()).endsWith("replay: " + capped.replayCommand());
    }
}
