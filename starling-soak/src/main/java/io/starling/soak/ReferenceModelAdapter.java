package io.starling.soak;

import io.starling.testing.model.DocumentHistory;
import io.starling.testing.model.ModelOp;
import io.starling.testing.model.ModelStamp;
import io.starling.testing.model.Plan;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Check (c)'s model: the independent model of the merge contract ({@code io.starling.testing.model}, module
 * starling-testing, JDK only) behind the soak's {@link MergeModel}. It records each acknowledged write — its stamp,
 * the {@link ModelOp} its statement was rendered from and the earlier writes its writer held — in a {@link
 * DocumentHistory}, which derives the write's effects from the op and from the model of what the writer held (never
 * from the engine's states), and returns what the model says a replica holding exactly those writes shows.
 *
 * <p>Stateless: every question builds the document's history from the writes it names, in acknowledgement order
 * (a replica that holds a write holds every write its writer held, since states travel whole, so the history is
 * complete). Thread-safe.
 */
final class ReferenceModelAdapter implements MergeModel {
    private ReferenceModelAdapter() {}

    /** The model the soak checks every replica against. */
    static MergeModel create() {
        return new ReferenceModelAdapter();
    }

    @Override
    public Optional<Map<String, Object>> visible(DocRef doc, List<Write> held) {
        List<Write> ordered = new ArrayList<>(held);
        ordered.sort(Comparator.comparingInt(Write::index));
        Set<Integer> added = new TreeSet<>();
        DocumentHistory history = new DocumentHistory();
        for (Write w : ordered) {
            if (!added.containsAll(w.knownBefore())) {
                Set<Integer> missing = new TreeSet<>(w.knownBefore());
                missing.removeAll(added);
                throw new IllegalArgumentException(doc + ": a replica holds " + w + " but not the writes " + missing
                        + " its writer held (states travel whole: this cannot be)");
            }
            Plan plan = history.add(
                    w.index(), new ModelStamp(w.stamp().hlc(), w.stamp().site()), w.op(), w.knownBefore(), label(w));
            if (!plan.writes()) {
                throw new Disagreement(doc + ": the engine acknowledged " + label(w) + " as a change; the model of the "
                        + w.knownBefore().size() + " writes its writer held says " + plan);
            }
            added.add(w.index());
        }
        return Optional.ofNullable(history.visible(added));
    }

    private static String label(Write w) {
        return "write #" + w.index() + " by site " + Long.toUnsignedString(w.site(), 16) + " ("
                + SoakPlan.summary(w.op()) + ")";
    }
}
