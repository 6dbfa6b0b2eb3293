package io.starling.testing.sim;

import org.jspecify.annotations.Nullable;

/** The outcome of one simulated run. */
record SimulationResult(
        long seed,
        Topology topology,
        int peers,
        String traceHash,
        @Nullable String failure,
        CheckReport report,
        int acknowledgedWrites,
        int statements,
        Simulation.Stats stats,
        String replayCommand,
        @Nullable FinalState finalState) {

    /** The run failed to converge: a divergence, a livelock or an internal error. */
    public boolean divergent() {
        return failure != null || report.divergent();
    }

    public int lostWrites() {
        return report.lostWriteCount();
    }

    public boolean passed() {
        return !divergent() && lostWrites() == 0;
    }

    /** A readable account of what went wrong (empty when the run passed), ending with the replay command. */
    public String describe() {
        if (passed()) return "";
        StringBuilder sb = new StringBuilder();
        sb.append("seed ")
                .append(seed)
                .append(" (")
                .append(topology.optionName())
                .append(", ")
                .append(peers)
                .append(" peers): ");
        if (failure != null) sb.append(failure).append('\n');
        for (String d : report.divergences()) sb.append("DIVERGENCE ").append(d).append('\n');
        for (String l : report.lostWriteDetails()) sb.append("LOST ").append(l).append('\n');
        for (String m : report.modelProblems()) sb.append("MODEL ").append(m).append('\n');
        for (String m : report.runProblems()) sb.append("ENGINE ").append(m).append('\n');
        if (report.runProblemCount() > report.runProblems().size())
            sb.append("ENGINE … ")
                    .append(report.runProblemCount() - report.runProblems().size())
                    .append(" more\n");
        sb.append("replay: ").append(replayCommand);
        return sb.toString();
    }
}
