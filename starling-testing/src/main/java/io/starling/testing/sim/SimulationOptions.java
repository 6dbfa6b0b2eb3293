package io.starling.testing.sim;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * What one simulated run does: the seed, how many peers in which topology, how long the chaos phase lasts and
 * which faults it injects. Immutable; the {@code with*} methods return changed copies and reject bad values at
 * once. Everything else (fault rates, clock skews, the workload's mix, session settings) is drawn from the seed.
 */
final class SimulationOptions {
    /** Actions (writes, subscription changes, faults) in the chaos phase, by default. */
    public static final int DEFAULT_ACTIONS = 80;

    private final long seed;
    private final int peers; // 0: the topology's default (RANDOM: drawn from the seed)
    private final @Nullable Topology topology; // null: chosen by the seed
    private final int actions;
    private final Set<Fault> faults;
    private final long maxQuiesceEvents;
    private final EngineFault engineFault;
    private final boolean identities;
    private final boolean sessionPolicy;

    private SimulationOptions(
            long seed,
            int peers,
            @Nullable Topology topology,
            int actions,
            Set<Fault> faults,
            long maxQuiesceEvents,
            EngineFault engineFault,
            boolean identities,
            boolean sessionPolicy) {
        this.seed = seed;
        this.peers = peers;
        this.topology = topology;
        this.actions = actions;
        this.faults = faults;
        this.maxQuiesceEvents = maxQuiesceEvents;
        this.engineFault = engineFault;
        this.identities = identities;
        this.sessionPolicy = sessionPolicy;
    }

    /** Every fault enabled, the topology chosen by the seed, {@value #DEFAULT_ACTIONS} actions. */
    public static SimulationOptions seed(long seed) {
        return new SimulationOptions(
                seed, 0, null, DEFAULT_ACTIONS, EnumSet.allOf(Fault.class), 200_000, EngineFault.NONE, false, false);
    }

    public SimulationOptions withSeed(long seed) {
        return new SimulationOptions(
                seed, peers, topology, actions, faults, maxQuiesceEvents, engineFault, identities, sessionPolicy);
    }

    /** 2 to 8 peers (PAIR needs exactly 2); 0 for the topology's default. */
    public SimulationOptions withPeers(int peers) {
        if (peers != 0 && (peers < 2 || peers > 8))
            throw new IllegalArgumentException("peers must be between 2 and 8: " + peers);
        return new SimulationOptions(
                seed, peers, topology, actions, faults, maxQuiesceEvents, engineFault, identities, sessionPolicy);
    }

    /** Null: the seed chooses among pair, line, star, mesh and server-cluster. */
    public SimulationOptions withTopology(@Nullable Topology topology) {
        return new SimulationOptions(
                seed, peers, topology, actions, faults, maxQuiesceEvents, engineFault, identities, sessionPolicy);
    }

    public SimulationOptions withActions(int actions) {
        if (actions < 0 || actions > 1_000_000)
            throw new IllegalArgumentException("actions must be between 0 and 1000000: " + actions);
        return new SimulationOptions(
                seed, peers, topology, actions, faults, maxQuiesceEvents, engineFault, identities, sessionPolicy);
    }

    public SimulationOptions withFaults(Set<Fault> faults) {
        Objects.requireNonNull(faults, "faults");
        return new SimulationOptions(
                seed,
                peers,
                topology,
                actions,
                faults.isEmpty() ? EnumSet.noneOf(Fault.class) : EnumSet.copyOf(faults),
                maxQuiesceEvents,
                engineFault,
                identities,
                sessionPolicy);
    }

    /** Events the heal-and-quiesce phase may take before the run is reported as a livelock. */
    public SimulationOptions withMaxQuiesceEvents(long max) {
        if (max < 10) throw new IllegalArgumentException("maxQuiesceEvents must be at least 10: " + max);
        return new SimulationOptions(
                seed, peers, topology, actions, faults, max, engineFault, identities, sessionPolicy);
    }

    /** Plants a bug in the engine the run drives (to show that the checks catch it); not a command-line option. */
    SimulationOptions withEngineFault(EngineFault fault) {
        return new SimulationOptions(
                seed, peers, topology, actions, faults, maxQuiesceEvents, fault, identities, sessionPolicy);
    }

    /**
     * Gives every peer an online identity (a hub, a viewer or a user, {@link Role}) whose permissions its neighbours'
     * sessions enforce, and checks what permissions promise (docs/SIMULATOR.md, "Online identities").
     */
    public SimulationOptions withIdentities(boolean identities) {
        return new SimulationOptions(
                seed, peers, topology, actions, faults, maxQuiesceEvents, engineFault, identities, sessionPolicy);
    }

    public boolean identities() {
        return identities;
    }

    /**
     * Runs the session policy of the sans-I/O layer between the peers (docs/SIMULATOR.md, "Session policy"): both ends
     * of every edge dial each other at once, so that the duplicate-session rule must keep exactly one session per
     * pair on both sides, and peers with a connection-request hook refuse some of their neighbours.
     */
    public SimulationOptions withSessionPolicy(boolean sessionPolicy) {
        return new SimulationOptions(
                seed, peers, topology, actions, faults, maxQuiesceEvents, engineFault, identities, sessionPolicy);
    }

    public boolean sessionPolicy() {
        return sessionPolicy;
    }

    EngineFault engineFault() {
        return engineFault;
    }

    public long seed() {
        return seed;
    }

    public int peers() {
        return peers;
    }

    public @Nullable Topology topology() {
        return topology;
    }

    public int actions() {
        return actions;
    }

    public Set<Fault> faults() {
        return faults.isEmpty() ? EnumSet.noneOf(Fault.class) : EnumSet.copyOf(faults);
    }

    boolean has(Fault f) {
        return faults.contains(f);
    }

    public long maxQuiesceEvents() {
        return maxQuiesceEvents;
    }

    /** The command line that runs exactly this simulation again. */
    public String replayCommand(Topology resolvedTopology, int resolvedPeers) {
        StringBuilder sb = new StringBuilder("bin/simulate --seeds 1 --from ")
                .append(seed)
                .append(" --peers ")
                .append(resolvedPeers)
                .append(" --topology ")
                .append(resolvedTopology.optionName());
        if (actions != DEFAULT_ACTIONS) sb.append(" --actions ").append(actions);
        if (identities) sb.append(" --identities");
        if (sessionPolicy) sb.append(" --session-policy");
        if (!faults.equals(EnumSet.allOf(Fault.class))) {
            sb.append(" --faults ")
                    .append(
                            faults.isEmpty()
                                    ? "none"
                                    : faults.stream().map(Fault::optionName).collect(Collectors.joining(",")));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "SimulationOptions[seed=" + seed + ", peers=" + peers + ", topology=" + topology + ", actions=" + actions
                + ", faults=" + faults + (identities ? ", identities" : "")
                + (sessionPolicy ? ", session policy" : "") + "]";
    }
}
