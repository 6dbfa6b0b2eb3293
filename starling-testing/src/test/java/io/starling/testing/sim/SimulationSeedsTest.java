package io.starling.testing.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The default run: 500 seeds (seeds 1–500, 100 in each of the pair, line, star, mesh and server-cluster topologies) with every
 * fault enabled, and then a fresh slice of {@value #SLICE_SEEDS} seeds from a random base, different in every build,
 * so that builds keep exploring. The slice is printed (where the build log shows it) with the command that replays
 * it; a failure prints each failing seed's findings and the command that replays that seed alone.
 */
class SimulationSeedsTest {
    static final int SEEDS = 500;
    static final int SLICE_SEEDS = 100;
    static final int IDENTITY_SEEDS = 100;
    static final int SESSION_POLICY_SEEDS = 100;
    /** The random slice starts between these, far from the fixed seeds and the regression seeds. */
    static final long SLICE_BASE_MIN = 1_000_000L;

    static final long SLICE_BASE_MAX = 1_000_000_000_000L;

    @Test
    void fiveHundredSeedsConvergeAndLoseNoAcknowledgedWrite() {
        SimulationRunner.Summary summary = SimulationRunner.run(
                1, SEEDS, Runtime.getRuntime().availableProcessors(), SimulationOptions::seed, r -> {});

        assertPassed(summary, "seeds 1.." + SEEDS);

        // the run did what it claims: every fault happened, and the protocol's paths were used
        Simulation.Stats t = summary.totals();
        assertThat(summary.writes()).as("acknowledged writes").isGreaterThan(SEEDS * 20L);
        assertThat(t.dropped).as("dropped messages").isPositive();
        assertThat(t.duplicated).as("duplicated messages").isPositive();
        assertThat(t.crashes).as("crashes").isPositive();
        assertThat(t.partitions).as("partitions").isPositive();
        assertThat(t.disconnects).as("disconnects").isPositive();
        assertThat(t.moves).as("devices moved to another server node").isPositive();
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
                        ".done",
                        "Summary", // peers that never met, one of them without range reconciliation
                        "Ranges",
                        ".rangesChildren",
                        ".rowsShownHeld");

        // and the workload made what the checks are for: stamp ties (also across the sign bit of the site id),
        // nested writes, floats and counters, ids of every kind, tombstone purges and zombie refusals, many hints
        CheckReport.Coverage c = summary.coverage();
        System.out.println("SimulationSeedsTest: seeds 1.." + SEEDS + " checked " + c);
        assertThat(c.stampTies())
                .as("writes to one document with one hlc at two sites")
                .isGreaterThan(20);
        assertThat(c.unsignedTies())
                .as("of them, sites on both sides of the sign bit")
                .isPositive();
        assertThat(c.nestedEffects()).as("effects below the top level").isGreaterThan(500);
        assertThat(c.incrementEffects()).as("increments").isGreaterThan(500);
        assertThat(c.floatEffects()).as("float values and amounts").isGreaterThan(500);
        assertThat(c.writesToOtherIds())
                .as("writes to string, boolean and composite ids")
                .isGreaterThan(1_000);
        assertThat(c.tombstonesPurged()).as("tombstones purged").isPositive();
        assertThat(c.zombiesRefused()).as("states refused as zombies").isPositive();
        assertThat(c.hints()).as("hints sent").isGreaterThan(1_000);
        assertThat(c.modelComparisons()).as("replicas compared with the model").isGreaterThan(SEEDS * 10);

        // attachment fetches under the same faults: completed, failed, relayed, damaged copies refused, crashes
        SimAttachments.Stats a = t.attachments;
        System.out.println("SimulationSeedsTest: seeds 1.." + SEEDS + ", " + a);
        assertThat(a.completed).as("attachment fetches completed").isGreaterThan(SEEDS);
        assertThat(a.failed).as("attachment fetches that failed with a reason").isPositive();
        assertThat(a.relays).as("relays on another peer's behalf").isGreaterThan(SEEDS / 5);
        assertThat(a.faultyChunks).as("damaged chunks refused").isPositive();
        assertThat(a.lostAtCrash).as("fetches lost at a crash").isPositive();
        assertThat(a.finalCompleted).as("final-round fetches completed").isGreaterThan(SEEDS);

        // the simulator drives sessions itself: no engine thread was ever started
        assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(th -> th.getName().startsWith("starling"));
    }

    /**
     * Online identities (docs/SIMULATOR.md, "Online identities"): hubs, viewers and users whose permissions their
     * neighbours enforce, under every fault. Every state a peer received was one its user may read, the engine denied
     * exactly the changes the roles' own rules deny, and every permitted write converged where data flows.
     */
    @Test
    void seedsWithOnlineIdentitiesKeepEveryPermissionAndConverge() {
        SimulationRunner.Summary summary = SimulationRunner.run(
                1,
                IDENTITY_SEEDS,
                Runtime.getRuntime().availableProcessors(),
                seed -> SimulationOptions.seed(seed).withIdentities(true),
                r -> {});
        assertPassed(summary, "seeds 1.." + IDENTITY_SEEDS + " with identities");
        Simulation.Stats t = summary.totals();
        System.out.println("SimulationSeedsTest: seeds 1.." + IDENTITY_SEEDS + " with identities: " + t.writesDenied
                + " writes denied, " + t.permittedStatesReceived + " received states checked readable");
        assertThat(t.writesDenied).as("changes denied by a receiver").isGreaterThan(IDENTITY_SEEDS);
        assertThat(t.permittedStatesReceived).as("received states checked").isGreaterThan(IDENTITY_SEEDS * 20L);
        assertThat(t.crashes).as("crashes").isPositive();
        assertThat(t.partitions).as("partitions").isPositive();
    }

    /**
     * The session policy of the sans-I/O layer (docs/SIMULATOR.md, "Session policy"): both ends of every edge dial each
     * other at once, and some peers' connection-request hooks refuse some neighbours, under every fault. Every pair
     * ends with exactly one session (none where both refuse each other), no peer closes as a duplicate the session the
     * other kept, no document crosses a refused connection, and everything else converges as usual.
     */
    @Test
    void seedsWithTheSessionPolicyKeepOneSessionPerPairAndNoDocumentCrossesARefusal() {
        SimulationRunner.Summary summary = SimulationRunner.run(
                1,
                SESSION_POLICY_SEEDS,
                Runtime.getRuntime().availableProcessors(),
                seed -> SimulationOptions.seed(seed).withSessionPolicy(true).withIdentities(seed % 4 == 0),
                r -> {});
        assertPassed(summary, "seeds 1.." + SESSION_POLICY_SEEDS + " with the session policy");
        Simulation.Stats t = summary.totals();
        System.out.println("SimulationSeedsTest: seeds 1.." + SESSION_POLICY_SEEDS + " with the session policy: "
                + t.duplicatesClosed + " duplicate sessions closed, " + t.connectionsDenied + " connections denied and "
                + t.connectionsAllowed + " allowed by hooks");
        assertThat(t.duplicatesClosed)
                .as("sessions closed by the duplicate rule")
                .isGreaterThan(SESSION_POLICY_SEEDS);
        assertThat(t.connectionsDenied).as("connections a hook denied").isGreaterThan(SESSION_POLICY_SEEDS / 4);
        assertThat(t.connectionsAllowed).as("connections a hook allowed").isGreaterThan(SESSION_POLICY_SEEDS / 4);
        assertThat(t.closes).as("sessions closed by reason").containsKeys("duplicate", "denied", "denied (remote)");
        assertThat(t.crashes).as("crashes").isPositive();
        assertThat(t.partitions).as("partitions").isPositive();
    }

    /**
     * Seeds nobody has run before (the odd ones with online identities, every third one with the session policy): {@code starling.sim.sliceSeeds} seeds (default {@value #SLICE_SEEDS}; 0 skips
     * the slice) from {@code starling.sim.base}, or from a random base when that is not set.
     */
    @Test
    void aFreshSliceOfRandomSeedsConvergesAndLosesNoAcknowledgedWrite() {
        int count = Integer.getInteger("starling.sim.sliceSeeds", SLICE_SEEDS);
        if (count <= 0) {
            System.out.println("SimulationSeedsTest: random slice off (-Dstarling.sim.sliceSeeds=" + count + ")");
            return;
        }
        String fixed = System.getProperty("starling.sim.base");
        long base = fixed != null && !fixed.isBlank()
                ? Long.parseLong(fixed.trim())
                : ThreadLocalRandom.current().nextLong(SLICE_BASE_MIN, SLICE_BASE_MAX);
        String slice = "seeds " + base + ".." + (base + count - 1);
        System.out.println("SimulationSeedsTest: random slice, " + slice + " (replay the slice: "
                + replaySlice(base, count) + ")");

        SimulationRunner.Summary summary = SimulationRunner.run(
                base,
                count,
                Runtime.getRuntime().availableProcessors(),
                seed -> SimulationOptions.seed(seed)
                        .withIdentities((seed & 1) == 1)
                        .withSessionPolicy(Math.floorMod(seed, 3) == 0),
                r -> {});

        assertPassed(summary, "the random slice, " + slice + "; replay the slice: " + replaySlice(base, count));
        assertThat(summary.writes()).as("acknowledged writes").isGreaterThan(count * 20L);
    }

    @Test
    void aFailingSeedIsReportedWithTheCommandThatReplaysIt() {
        // a run cut off before it goes quiet is a livelock: a failure of seed 3
        SimulationRunner.Summary summary = SimulationRunner.run(
                3,
                1,
                1,
                seed -> SimulationOptions.seed(seed)
                        .withTopology(Topology.MESH)
                        .withActions(150)
                        .withMaxQuiesceEvents(100),
                r -> {});
        assertThat(summary.failures()).hasSize(1);
        String report = failureReport("the random slice, seeds 3..3; replay the slice: " + replaySlice(3, 1), summary);
        assertThat(report)
                .startsWith("the random slice, seeds 3..3; replay the slice: mvn -B -pl starling-testing -am verify"
                        + " -Dtest=SimulationSeedsTest -Dsurefire.failIfNoSpecifiedTests=false -Dstarling.sim.base=3"
                        + " -Dstarling.sim.sliceSeeds=1: simulated 1 seeds: 1 divergent, 0 lost writes\n")
                .contains("seed 3 (mesh, 5 peers): livelock: not quiet after 100 events")
                .endsWith("replay one seed: " + summary.failures().get(0).replayCommand());
        assertThat(summary.failures().get(0).replayCommand()).startsWith("bin/simulate --seeds 1 --from 3 ");
    }

    /** The command that runs the slice of {@code count} seeds from {@code base} again. */
    static String replaySlice(long base, int count) {
        return "mvn -B -pl starling-testing -am verify -Dtest=SimulationSeedsTest"
                + " -Dsurefire.failIfNoSpecifiedTests=false -Dstarling.sim.base=" + base
                + (count == SLICE_SEEDS ? "" : " -Dstarling.sim.sliceSeeds=" + count);
    }

    /** No failure; else every failing seed's findings, each ending with the command that replays it alone. */
    private static void assertPassed(SimulationRunner.Summary summary, String what) {
        assertThat(summary.failures()).as(() -> failureReport(what, summary)).isEmpty();
        assertThat(summary.divergent()).isZero();
        assertThat(summary.lostWrites()).isZero();
    }

    /** What a failing batch of seeds says: which batch, its summary, each failure, and one replay command each. */
    static String failureReport(String what, SimulationRunner.Summary summary) {
        return what + ": " + summary.line() + "\n"
                + summary.failures().stream().map(SimulationResult::describe).collect(Collectors.joining("\n\n"))
                + "\n\nreplay one seed: "
                + summary.failures().stream()
                        .map(SimulationResult::replayCommand)
                        .collect(Collectors.joining("\n                 "));
    }
}
