package io.starling.testing.model;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The acknowledged writes to one document, recorded as they were issued — the model's entry point for a checker that
 * knows each write's stamp, its statement and which earlier writes its writer held (the simulator, the soak):
 *
 * <pre>{@code
 * DocumentHistory h = new DocumentHistory();
 * // in acknowledgement order: the write's id, its stamp (hlc, site), the statement, the ids of the earlier writes
 * // to this document that the writer held when it wrote
 * Plan p0 = h.add(0, new ModelStamp(hlc0, siteA), new ModelOp.Insert(Map.of("n", 1L), ModelOp.Conflict.FAIL), Set.of(), "…");
 * Plan p1 = h.add(1, new ModelStamp(hlc1, siteB), new ModelOp.Update(List.of(new ModelOp.Increment(List.of("n"), 2L))), Set.of(0), "…");
 * Map<String, Object> expected = h.visible(Set.of(0, 1));   // what a replica holding writes 0 and 1 shows; null: none
 * List<String> diff = ModelDiff.differences(expected, actual);
 * }</pre>
 *
 * <p>Each write's effects are derived from its statement and the model of what its writer held ({@link
 * DocumentModel#plan}), never from the engine's states. A statement the model says writes nothing (it changes
 * nothing, does not match or is refused) contributes nothing wherever it is held: {@link #add} returns that plan
 * (and {@link #plan} keeps it), and a checker that was told the statement wrote the document should report the
 * disagreement. Not thread-safe.
 */
public final class DocumentHistory {
    private final TreeMap<Integer, ModelWrite> writes = new TreeMap<>();
    private final TreeMap<Integer, Plan> plans = new TreeMap<>();

    /**
     * Records write {@code id}: plans {@code op} against the recorded writes {@code knownBefore} and, if the plan
     * writes, binds it to {@code stamp}.
     *
     * @return the plan: {@link Plan#writes()} when the write was recorded
     * @throws IllegalArgumentException if {@code id} was added already, or {@code knownBefore} names a write that
     *     was not added (every write the writer held must be added before the writes that depend on it)
     */
    public Plan add(int id, ModelStamp stamp, ModelOp op, Collection<Integer> knownBefore, String label) {
        if (plans.containsKey(id)) throw new IllegalArgumentException("write " + id + " is recorded already");
        Plan plan = replica(knownBefore).plan(op);
        plans.put(id, plan);
        if (plan.writes()) writes.put(id, plan.bind(id, stamp, label));
        return plan;
    }

    /** What the model made of write {@code id} when it was added, or null if it never was. */
    public @Nullable Plan plan(int id) {
        return plans.get(id);
    }

    /** The recorded write {@code id}, or null (never added, or its plan wrote nothing). */
    public @Nullable ModelWrite write(int id) {
        return writes.get(id);
    }

    /** Every recorded write, by id. */
    public List<ModelWrite> writes() {
        return new ArrayList<>(writes.values());
    }

    /**
     * The model of a replica that holds exactly the writes {@code held} (those whose plan wrote nothing add nothing).
     *
     * @throws IllegalArgumentException if {@code held} names a write that was not added
     */
    public DocumentModel replica(Collection<Integer> held) {
        List<ModelWrite> out = new ArrayList<>(held.size());
        for (int i : held) {
            if (!plans.containsKey(i)) throw new IllegalArgumentException("write " + i + " was not added");
            ModelWrite w = writes.get(i);
            if (w != null) out.add(w);
        }
        return DocumentModel.of(out);
    }

    /**
     * The document a replica holding exactly {@code held} shows, without {@code _id}, as plain Java values (sorted,
     * immutable maps); null when it does not exist there (never inserted, or deleted and not inserted again).
     */
    public @Nullable Map<String, Object> visible(Collection<Integer> held) {
        return replica(held).visible();
    }
}
