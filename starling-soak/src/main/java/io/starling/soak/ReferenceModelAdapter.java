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
 * starling-testing, JDK only) behind the soak's {@link MergeModel}. It translates each acknowledged write — its
 * stamp, its statement ({@link SoakOp}) and the earlier writes its writer held — into the model's terms, lets the
 * model derive the write's effects from the statement and from the model of what the writer held (never from the
 * engine's states), and returns what the model says a replica holding exactly those writes shows.
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
                    w.index(),
                    new ModelStamp(w.stamp().hlc(), w.stamp().site()),
                    op(w.op()),
                    w.knownBefore(),
                    label(w));
            if (!plan.writes()) {
                throw new Disagreement(doc + ": the engine acknowledged " + label(w) + " as a change; the model of the "
                        + w.knownBefore().size() + " writes its writer held says " + plan);
            }
            added.add(w.index());
        }
        return Optional.ofNullable(history.visible(added));
    }

    /** The statement in the model's terms: the same fields, paths and values, clause for clause. */
    static ModelOp op(SoakOp op) {
        if (op instanceof SoakOp.Insert ins) {
            return new ModelOp.Insert(ins.fields(), ModelOp.Conflict.valueOf(ins.onConflict()));
        }
        if (op instanceof SoakOp.Update up) {
            List<ModelOp.Change> changes = new ArrayList<>(up.clauses().size());
            for (SoakOp.Clause c : up.clauses()) changes.add(change(c));
            return new ModelOp.Update(changes);
        }
        if (op instanceof SoakOp.Delete) return new ModelOp.Delete();
        throw new IllegalArgumentException("no model statement for " + op);
    }

    private static ModelOp.Change change(SoakOp.Clause c) {
        if (c instanceof SoakOp.Set s) return new ModelOp.Set(s.path(), s.value());
        if (c instanceof SoakOp.Unset u) return new ModelOp.Unset(u.path());
        if (c instanceof SoakOp.Increment i) return new ModelOp.Increment(i.path(), i.amount());
        if (c instanceof SoakOp.Restart r) return new ModelOp.Restart(r.path(), r.value());
        throw new IllegalArgumentException("no model clause for " + c);
    }

    private static String label(Write w) {
        return "write #" + w.index() + " by site " + Long.toUnsignedString(w.site(), 16) + " (" + w.op().summary()
                + ")";
    }
}
