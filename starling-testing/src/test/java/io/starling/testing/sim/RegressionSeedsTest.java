package io.starling.testing.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Seeds that found bugs, kept as they were run (docs/SIMULATOR.md, "Bugs found"). Each is expected to pass once
 * its bug is fixed. A seed replays the same run only with the simulator and engine it was found with; when either
 * changes, a seed may stop reaching its bug — {@link EvictedCounterTest} holds the minimal reproductions.
 */
class RegressionSeedsTest {

    @ParameterizedTest(name = "seed {0} ({1}, {2} peers, {3} actions, faults {4}): {5}")
    @CsvSource(delimiter = '|', textBlock = """
            33813 | line | 4 | 300 | all | EVICT, re-INSERT, INCREMENT: the site's replicated earlier increment is lost
            30207 | mesh | 5 | 300 | all | EVICT, re-INSERT, INCREMENT: the site's replicated earlier increment is lost
            21240 | pair | 2 | 300 | all | EVICT, re-INSERT, INCREMENT that missed the delete: merge drops a replicated contribution
            867469774042 | star | 6 | 80 | all | echo suppressed toward a peer told its copy is a zombie: it never gets its write back
            5000009245 | line | 4 | 80 | all | a tombstone refused as a zombie: its holder drops it and keeps an older live copy
            9465309171 | line | 4 | 80 | all | a hint of a newer state in the group that brings the older one: never requested
            27000007487 | star | 6 | 80 | all | a document written at once on two peers, matching neither's subscription, before either knew the other held the collection: neither hinted it
            29000003851 | line | 4 | 80 | all | a document written at once on two peers, matching neither's subscription, before either knew the other held the collection: neither hinted it
            29000004833 | mesh | 5 | 80 | all | a tombstone older than the horizon, then an older live state merged onto it: a purged delete undone
            """)
    void keptSeedPasses(long seed, String topology, int peers, int actions, String faults, String bug) {
        Set<Fault> f = EnumSet.noneOf(Fault.class);
        if (faults.equals("all")) f = EnumSet.allOf(Fault.class);
        else for (String s : faults.split(",")) f.add(Fault.fromOptionName(s));
        SimulationResult r = new Simulation(SimulationOptions.seed(seed)
                        .withTopology(Topology.fromOptionName(topology))
                        .withPeers(peers)
                        .withActions(actions)
                        .withFaults(f))
                .run();
        assertThat(r.passed()).as(() -> bug + "\n" + r.describe()).isTrue();
    }

    /** Seeds run with the session policy (both ends dial, hooks, the duplicate rule) and every fault. */
    @ParameterizedTest(name = "seed {0} ({1}, {2} peers, session policy): {3}")
    @CsvSource(delimiter = '|', textBlock = """
            4 | pair | 2 | a pair whose hooks refuse each other was taken for neighbours by the attachments' final round
            5 | line | 4 | a duplicate session closing dropped the peer from attachment fetches over the session still open
            15 | mesh | 5 | a fetch that asked over a duplicate session that closed waited on it instead of asking again
            32000001398 | mesh | 5 | a push-back owed before the remote's first SUBSCRIPTIONS was dropped: the older state kept for good
            """)
    void keptSessionPolicySeedPasses(long seed, String topology, int peers, String bug) {
        SimulationResult r = new Simulation(SimulationOptions.seed(seed)
                        .withTopology(Topology.fromOptionName(topology))
                        .withPeers(peers)
                        .withSessionPolicy(true))
                .run();
        assertThat(r.passed()).as(() -> bug + "\n" + r.describe()).isTrue();
    }
}
