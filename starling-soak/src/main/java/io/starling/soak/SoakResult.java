package io.starling.soak;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The outcome of one soak run: what the checks found, how much the run did (so that a test can insist the faults
 * really happened), and how long each phase took.
 *
 * @param failures problems found outside the three checks: a peer that did not settle, a statement refused for a
 *     reason no statement of the workload can have, a peer that did not close cleanly
 */
record SoakResult(
        SoakOptions options,
        SoakChecks.Findings findings,
        List<String> lostAtRestart,
        ModelCheck.Result model,
        List<String> failures,
        Figures figures,
        Map<String, Long> phaseMillis,
        String logs) {

    /** What the run did. */
    record Figures(
            int acknowledged,
            int storedNothing,
            int noChange,
            int refused,
            int skippedPeerDown,
            int indeterminate,
            int ackedJustBeforeKill,
            int inexactStates,
            int evictions,
            int subscriptionChanges,
            int kills,
            int restarts,
            int keptChecks,
            Map<SoakPlan.FaultKind, Integer> faults,
            FaultyRelay.Stats relays) {}

    boolean passed() {
        return failures.isEmpty() && findings.passed() && lostAtRestart.isEmpty() && model.passed();
    }

    long totalMillis() {
        long t = 0;
        for (long v : phaseMillis.values()) t += v;
        return t;
    }

    /** One line: the seed, the verdict and the figures. */
    String summary() {
        Figures f = figures;
        SoakChecks.Coverage c = findings.coverage();
        return "soak " + options + ": " + (passed() ? "passed" : "FAILED") + " in " + totalMillis() + " ms "
                + phaseMillis + "; " + f.acknowledged() + " acknowledged writes (" + f.ackedJustBeforeKill()
                + " answered just before a SIGKILL, " + f.inexactStates() + " read after a merge), " + f.refused()
                + " refused, " + f.noChange() + " changed nothing, " + f.skippedPeerDown() + " skipped (peer down), "
                + f.indeterminate() + " unanswered at a SIGKILL (fate unknown), " + f.evictions() + " evictions, "
                + f.subscriptionChanges()
                + " subscription changes; " + f.kills() + " SIGKILLs, " + f.restarts() + " restarts (" + f.keptChecks()
                + " writes found kept offline after them); faults "
                + f.faults() + "; relays: " + f.relays().connections() + " connections, "
                + f.relays().refused()
                + " refused, " + f.relays().cuts() + " cuts, " + f.relays().corrupted() + " corrupted, "
                + f.relays().truncated() + " truncated, "
                + (f.relays().bytesToListener() + f.relays().bytesToDialler())
                + " bytes; checks: " + c.documents() + " documents, " + c.identicalPairs() + " identical pairs, "
                + c.deliveries() + " deliveries, " + c.inclusions() + " write inclusions; (c) model: "
                + model.comparisons() + " comparisons (" + model.documentsSkipped() + " documents skipped)";
    }

    /** Everything a failure should say: the findings, the command that replays the seed, the peers' last log lines. */
    String report() {
        List<String> parts = new ArrayList<>();
        parts.add(summary());
        parts.add("replay: " + options.replayCommand());
        section(parts, "failures", failures);
        section(parts, "(a) divergences", findings.divergences());
        section(parts, "(b) lost writes", findings.lostWrites());
        section(parts, "(b) writes a restarted peer's store did not keep", lostAtRestart);
        section(parts, "(b) writes that stored nothing of their own", findings.writeProblems());
        section(parts, "(c) model", model.problems());
        if (!passed()) parts.add(logs);
        parts.add("replay: " + options.replayCommand());
        return String.join("\n", parts);
    }

    private static void section(List<String> parts, String title, List<String> items) {
        if (items.isEmpty()) return;
        parts.add("--- " + title + " (" + items.size() + ") ---");
        parts.addAll(items);
    }
}
