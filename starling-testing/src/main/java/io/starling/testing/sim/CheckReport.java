package io.starling.testing.sim;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the checks found. {@code divergences}: replicas that should hold identical states of a document and do not,
 * or a replica lacking writes a neighbour holds that it subscribes to. {@code lostWrites}: acknowledged writes whose
 * effect is missing at a replica that received them (found by comparing it with the model). {@code modelProblems}:
 * replicas that show something the model of the writes they received does not give, with no single write to blame,
 * and resurrections after a purge. {@code runProblems}: what the run found as it went (a statement's outcome the
 * model does not predict, a broken zombie or purge rule), {@code runProblemCount} of them in all. Everything but the
 * divergences counts as lost writes. {@code knownLimits}: a few examples of what the engine is known not to prevent
 * (fields of a purged delete coming back with a newer write; docs/SIMULATOR.md), which do not fail the run.
 */
record CheckReport(
        List<String> divergences,
        Set<Integer> lostWrites,
        List<String> lostWriteDetails,
        List<String> modelProblems,
        List<String> runProblems,
        int runProblemCount,
        Coverage coverage,
        List<String> knownLimits) {

    static CheckReport ofProblems(List<String> problems, int count) {
        return new CheckReport(List.of(), Set.of(), List.of(), List.of(), problems, count, Coverage.NONE, List.of());
    }

    /**
     * How much the checks looked at. A check that passes while looking at nothing proves nothing: tests assert these
     * grow. {@code identicalPairs}: replica pairs found byte-identical within groups that must agree;
     * {@code deliveries}: (connection, document) deliveries verified; {@code modelComparisons}: replicas compared
     * with the model; {@code stampTies}: pairs of writes to one document whose stamps share the hlc (the site
     * decides), {@code unsignedTies} of them between a negative and a non-negative site id (where the signed order
     * would be wrong); {@code zombieChecks}: replicas checked for a resurrection after a purge; {@code hints}: hints
     * sent; the zombie and purge counts of the run; writes to documents with non-integer ids; {@code
     * zombieExemptions}: (replica, neighbour, document) cases where the zombie rule lets the replica refuse the
     * neighbour's state at the end; and the acknowledged writes' effects below the top level, increments, and
     * float values.
     */
    public record Coverage(
            int documents,
            int identicalPairs,
            int deliveries,
            int modelComparisons,
            int stampTies,
            int unsignedTies,
            int zombieChecks,
            long hints,
            long tombstonesPurged,
            long zombiesRefused,
            long liveDataRefused,
            int husksAfterPurge,
            int writesToOtherIds,
            int zombieExemptions,
            int nestedEffects,
            int incrementEffects,
            int floatEffects) {
        static final Coverage NONE = new Coverage(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

        Coverage plus(Coverage o) {
            return new Coverage(
                    documents + o.documents,
                    identicalPairs + o.identicalPairs,
                    deliveries + o.deliveries,
                    modelComparisons + o.modelComparisons,
                    stampTies + o.stampTies,
                    unsignedTies + o.unsignedTies,
                    zombieChecks + o.zombieChecks,
                    hints + o.hints,
                    tombstonesPurged + o.tombstonesPurged,
                    zombiesRefused + o.zombiesRefused,
                    liveDataRefused + o.liveDataRefused,
                    husksAfterPurge + o.husksAfterPurge,
                    writesToOtherIds + o.writesToOtherIds,
                    zombieExemptions + o.zombieExemptions,
                    nestedEffects + o.nestedEffects,
                    incrementEffects + o.incrementEffects,
                    floatEffects + o.floatEffects);
        }

        @Override
        public String toString() {
            return documents + " documents, " + identicalPairs + " identical pairs, " + deliveries + " deliveries, "
                    + modelComparisons + " model comparisons, " + stampTies + " stamp ties (" + unsignedTies
                    + " across the sign bit), " + zombieChecks + " zombie checks, " + hints + " hints, "
                    + tombstonesPurged + " tombstones purged, " + zombiesRefused + " zombies refused ("
                    + liveDataRefused + " live data), " + husksAfterPurge + " husks after a purge (known limit), "
                    + writesToOtherIds + " writes to string, boolean or composite ids, " + zombieExemptions
                    + " pairs excused by the zombie rule, write effects: " + nestedEffects + " nested, "
                    + incrementEffects + " increments, " + floatEffects + " floats";
        }
    }

    public CheckReport {
        divergences = List.copyOf(divergences);
        lostWrites = Set.copyOf(new TreeSet<>(lostWrites));
        lostWriteDetails = List.copyOf(lostWriteDetails);
        modelProblems = List.copyOf(modelProblems);
        runProblems = List.copyOf(runProblems);
        knownLimits = List.copyOf(knownLimits);
    }

    public boolean divergent() {
        return !divergences.isEmpty();
    }

    /** Lost writes, plus documents the model disagrees on, plus problems found during the run. */
    public int lostWriteCount() {
        return lostWrites.size() + modelProblems.size() + runProblemCount;
    }
}
