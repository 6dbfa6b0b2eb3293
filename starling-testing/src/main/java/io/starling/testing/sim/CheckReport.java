package io.starling.testing.sim;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the checks found. {@code divergences}: pairs of replicas that should hold identical states of a document
 * and do not, or a replica lacking a neighbour's state it subscribes to. {@code lostWrites}: acknowledged writes
 * missing where they must be. {@code modelProblems}: documents whose visible content differs from what the
 * reference model computes from the writes the replica holds (each counts as a lost write: a write's effect is
 * missing or wrong).
 */
record CheckReport(
        List<String> divergences,
        Set<Integer> lostWrites,
        List<String> lostWriteDetails,
        List<String> modelProblems,
        Coverage coverage) {
    static final CheckReport EMPTY =
            new CheckReport(List.of(), Set.of(), List.of(), List.of(), new Coverage(0, 0, 0, 0, 0));

    /**
     * How much the checks looked at: documents, replica pairs found identical within groups of interested peers,
     * (connection, document) deliveries verified, (write, replica) inclusions verified, replicas compared with the
     * reference model. A check that passes while looking at nothing proves nothing: tests assert these grow.
     */
    public record Coverage(int documents, int identicalPairs, int deliveries, int inclusions, int modelComparisons) {
        @Override
        public String toString() {
            return documents + " documents, " + identicalPairs + " identical pairs, " + deliveries + " deliveries, "
                    + inclusions + " write inclusions, " + modelComparisons + " model comparisons";
        }
    }

    public CheckReport {
        divergences = List.copyOf(divergences);
        lostWrites = Set.copyOf(new TreeSet<>(lostWrites));
        lostWriteDetails = List.copyOf(lostWriteDetails);
        modelProblems = List.copyOf(modelProblems);
    }

    public boolean divergent() {
        return !divergences.isEmpty();
    }

    /** Lost writes plus documents the reference model disagrees on. */
    public int lostWriteCount() {
        return lostWrites.size() + modelProblems.size();
    }
}
