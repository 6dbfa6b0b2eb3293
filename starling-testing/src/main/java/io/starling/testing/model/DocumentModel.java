package io.starling.testing.model;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/*
 * Design note — the independent model of one document.
 *
 * The model's state of a document is literally the set of writes a replica has received (each write: a stamp and
 * its effects on paths). Nothing is merged or normalised: merging two replicas' knowledge is set union, which is
 * trivially commutative, associative and idempotent. What a replica must show is a pure function of that set,
 * computed straight from docs/DATA-MODEL.md:
 *
 *   per path, under the parent's clear C (the latest assignment of any ancestor; ZERO at the root):
 *     its latest assignment a (VALUE, REMOVE, RESTART) counts only if later than C; its own clear is E = max(C, a);
 *     it is an object iff its latest OBJECT effect is later than E, showing its children under E;
 *     else a counted VALUE that is not a number shows as that value;
 *     else it is a counter: base (a counted number VALUE or RESTART, else 0) plus every INCREMENT whose basis is
 *       exactly E — the true sum, computed exactly (an integer if every term is one and it fits 64 bits, else a
 *       float; a float beyond the range shows as the largest float of its sign); with no base and no such increment
 *       the path is MISSING.
 *   the document exists iff the root is an object: its latest INSERT is later than its latest DELETE.
 *
 * That is the whole merge contract. Nothing here calls the engine: not its document state, its merge, its stamp
 * order or its counter sums (ModelIndependenceTest checks the dependencies).
 *
 * A write's effects depend on what its writer knew (UNSET below a non-object does nothing, an INCREMENT counts toward
 * the clear the writer saw, DO UPDATE_LOCAL_DIFF writes only what differs, INSERT conflicts with a live document):
 * plan() derives them from this model of the writer's knowledge, never from the engine's state.
 */

/**
 * The independent model of one document: an immutable set of {@link ModelWrite}s and what the rules say a replica
 * holding exactly those writes shows. Thread-safe (immutable).
 *
 * <pre>{@code
 * DocumentModel known = DocumentModel.empty();                    // what the writer had received
 * Plan plan = known.plan(new ModelOp.Insert(Map.of("x", 1L), ModelOp.Conflict.FAIL));
 * ModelWrite w = plan.bind(0, stampTheEngineGaveIt, "insert at peer 0");
 * DocumentModel replica = known.with(w).union(writesFromElsewhere);
 * Map<String, Object> expected = replica.visible();                // null: the document does not exist
 * List<String> diff = ModelDiff.differences(expected, actualFromTheEngine);
 * }</pre>
 */
public final class DocumentModel {
    private static final DocumentModel EMPTY = new DocumentModel(new TreeMap<>());

    private final TreeMap<Integer, ModelWrite> writes;
    private volatile @Nullable Tree tree;

    private DocumentModel(TreeMap<Integer, ModelWrite> writes) {
        this.writes = writes;
    }

    /** No write: a replica holds no row. */
    public static DocumentModel empty() {
        return EMPTY;
    }

    public static DocumentModel of(Collection<ModelWrite> writes) {
        TreeMap<Integer, ModelWrite> m = new TreeMap<>();
        for (ModelWrite w : writes) m.put(w.id(), w);
        return m.isEmpty() ? EMPTY : new DocumentModel(m);
    }

    public DocumentModel with(ModelWrite w) {
        if (writes.containsKey(w.id())) return this;
        TreeMap<Integer, ModelWrite> m = new TreeMap<>(writes);
        m.put(w.id(), w);
        return new DocumentModel(m);
    }

    /** Everything either side received (set union). */
    public DocumentModel union(DocumentModel o) {
        if (o.writes.isEmpty() || writes.keySet().containsAll(o.writes.keySet())) return this;
        if (writes.isEmpty() || o.writes.keySet().containsAll(writes.keySet())) return o;
        TreeMap<Integer, ModelWrite> m = new TreeMap<>(writes);
        m.putAll(o.writes);
        return new DocumentModel(m);
    }

    public DocumentModel without(ModelWrite w) {
        if (!writes.containsKey(w.id())) return this;
        TreeMap<Integer, ModelWrite> m = new TreeMap<>(writes);
        m.remove(w.id());
        return m.isEmpty() ? EMPTY : new DocumentModel(m);
    }

    public boolean contains(ModelWrite w) {
        return writes.containsKey(w.id());
    }

    /** The writes, by id. */
    public List<ModelWrite> writes() {
        return List.copyOf(writes.values());
    }

    public int size() {
        return writes.size();
    }

    /** No write at all: a replica with this knowledge holds no row. */
    public boolean isEmpty() {
        return writes.isEmpty();
    }

    /** The document exists: its latest INSERT is later than its latest DELETE. */
    public boolean exists() {
        return tree().exists();
    }

    /** The visible document without {@code _id} (sorted, immutable), or null when it does not exist. */
    public @Nullable Map<String, Object> visible() {
        return tree().document();
    }

    /** The visible value at a path (MISSING when the document does not exist or the path leads nowhere). */
    public @Nullable Object valueAt(List<String> path) {
        return tree().valueAt(path);
    }

    /** The greatest stamp of any write here ({@link ModelStamp#ZERO} when empty). */
    public ModelStamp newestStamp() {
        ModelStamp m = ModelStamp.ZERO;
        for (ModelWrite w : writes.values()) m = ModelStamp.max(m, w.stamp());
        return m;
    }

    private Tree tree() {
        Tree t = tree;
        if (t == null) tree = t = Tree.of(writes.values());
        return t;
    }

    // ---- inclusion ---------------------------------------------------------------------------------------

    /**
     * Whether a replica with this knowledge holds {@code w}'s contribution: it received {@code w}, or every effect
     * of {@code w} is superseded here (a later assignment of the path or an ancestor, a later OBJECT, an increment
     * toward a clear that is gone), so that receiving it would change nothing.
     */
    public boolean includes(ModelWrite w) {
        if (writes.containsKey(w.id())) return true;
        Tree t = Tree.of(with(w).writes.values());
        for (Effect e : w.effects()) {
            if (t.alive(e, w.stamp())) return false;
        }
        return true;
    }

    /**
     * Whether the received write {@code w} still shapes what this replica shows: one of its effects is not superseded
     * here (the latest assignment of its path, counted under its parent; the latest "make object" of an object; an
     * increment toward the path's current clear). False for a write not received.
     */
    public boolean shows(ModelWrite w) {
        if (!writes.containsKey(w.id())) return false;
        Tree t = tree();
        for (Effect e : w.effects()) {
            if (t.alive(e, w.stamp())) return true;
        }
        return false;
    }

    /** Whether this knowledge includes every write of {@code other} ({@link #includes(ModelWrite)}). */
    public boolean includes(DocumentModel other) {
        return notIncluded(other).isEmpty();
    }

    /** The writes of {@code other} that this knowledge does not include. */
    public List<ModelWrite> notIncluded(DocumentModel other) {
        List<ModelWrite> out = new ArrayList<>();
        for (ModelWrite w : other.writes.values()) if (!includes(w)) out.add(w);
        return out;
    }

    // ---- planning ----------------------------------------------------------------------------------------

    /** What {@code op} does to this document when its writer knows exactly these writes. */
    public Plan plan(ModelOp op) {
        Tree t = Tree.of(writes.values());
        List<Effect> effects = new ArrayList<>();
        List<String> root = List.of();
        if (op instanceof ModelOp.Delete) {
            if (!t.exists()) return Plan.of(Plan.Outcome.NOT_MATCHED, "the document does not exist");
            add(t, effects, new Effect(root, Effect.Kind.REMOVE, null, null));
        } else if (op instanceof ModelOp.Insert ins) {
            boolean exists = t.exists();
            if (exists && ins.onConflict() == ModelOp.Conflict.FAIL)
                return Plan.of(Plan.Outcome.REFUSED_CONFLICT, "the document exists");
            if (exists && ins.onConflict() == ModelOp.Conflict.DO_NOTHING)
                return Plan.of(Plan.Outcome.NO_CHANGE, "the document exists");
            if (exists && ins.onConflict() == ModelOp.Conflict.DO_UPDATE_LOCAL_DIFF) {
                diff(t, effects, root, ins.fields());
                if (effects.isEmpty()) return Plan.of(Plan.Outcome.NO_CHANGE, "nothing differs");
            } else {
                add(t, effects, new Effect(root, Effect.Kind.OBJECT, null, null));
                for (Map.Entry<String, Object> e : ins.fields().entrySet())
                    writeValue(t, effects, List.of(e.getKey()), e.getValue());
            }
        } else if (op instanceof ModelOp.Update up) {
            if (!t.exists()) return Plan.of(Plan.Outcome.NOT_MATCHED, "the document does not exist");
            for (ModelOp.Change ch : up.changes()) {
                List<String> p = ch.path();
                if (p.isEmpty()) throw new IllegalArgumentException("an UPDATE clause needs a path");
                if (ch instanceof ModelOp.Unset) {
                    boolean under = true; // UNSET a.b changes nothing unless a is an object
                    for (int i = 1; i < p.size() && under; i++) under = t.valueAt(p.subList(0, i)) instanceof Map;
                    if (under) add(t, effects, new Effect(p, Effect.Kind.REMOVE, null, null));
                } else if (ch instanceof ModelOp.Set set) {
                    ancestors(t, effects, p);
                    writeValue(t, effects, p, set.value());
                } else if (ch instanceof ModelOp.Restart r) {
                    ancestors(t, effects, p);
                    add(t, effects, new Effect(p, Effect.Kind.RESTART, r.value(), null));
                } else if (ch instanceof ModelOp.Increment inc) {
                    Object current = t.valueAt(p);
                    if (current != ModelValues.MISSING && !ModelValues.isNumber(current)) {
                        return Plan.of(
                                Plan.Outcome.REFUSED_INVALID,
                                "INCREMENT of " + String.join(".", p) + ", which holds " + ModelValues.text(current));
                    }
                    Object total = ModelValues.add(
                            current == ModelValues.MISSING ? 0L : Objects.requireNonNull(current), inc.amount());
                    if (!ModelValues.isFinite(total)) {
                        return Plan.of(
                                Plan.Outcome.REFUSED_INVALID,
                                "INCREMENT of " + String.join(".", p) + " beyond the float range");
                    }
                    ModelStamp basis = t.clearAt(p);
                    ancestors(t, effects, p);
                    add(t, effects, new Effect(p, Effect.Kind.INCREMENT, inc.amount(), basis));
                }
            }
            if (effects.isEmpty()) return Plan.of(Plan.Outcome.NO_CHANGE, "no clause changes anything");
        }
        return new Plan(Plan.Outcome.WRITE, effects, null);
    }

    private static void add(Tree t, List<Effect> effects, Effect e) {
        effects.add(e);
        t.add(ModelStamp.PENDING, e);
    }

    private static void ancestors(Tree t, List<Effect> effects, List<String> path) {
        for (int i = 1; i < path.size(); i++)
            add(t, effects, new Effect(path.subList(0, i), Effect.Kind.OBJECT, null, null));
    }

    private static void writeValue(Tree t, List<Effect> effects, List<String> path, @Nullable Object v) {
        if (v instanceof Map<?, ?> m) {
            add(t, effects, new Effect(path, Effect.Kind.OBJECT, null, null));
            for (Map.Entry<?, ?> e : m.entrySet())
                writeValue(t, effects, append(path, (String) e.getKey()), e.getValue());
        } else {
            add(t, effects, new Effect(path, Effect.Kind.VALUE, v, null));
        }
    }

    /** DO UPDATE_LOCAL_DIFF on a live document: writes the fields whose visible value differs, through objects. */
    private static boolean diff(Tree t, List<Effect> effects, List<String> prefix, Map<String, Object> fields) {
        boolean changed = false;
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            List<String> p = append(prefix, e.getKey());
            Object current = t.valueAt(p);
            @SuppressWarnings("unchecked")
            Map<String, Object> inner = e.getValue() instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
            if (inner != null && current instanceof Map) {
                changed |= diff(t, effects, p, inner);
            } else if (!Objects.equals(e.getValue(), current)) {
                writeValue(t, effects, p, e.getValue());
                changed = true;
            }
        }
        if (changed) add(t, effects, new Effect(prefix, Effect.Kind.OBJECT, null, null));
        return changed;
    }

    private static List<String> append(List<String> path, String key) {
        List<String> p = new ArrayList<>(path.size() + 1);
        p.addAll(path);
        p.add(key);
        return List.copyOf(p);
    }

    // ---- reports -----------------------------------------------------------------------------------------

    /** One line per write with its effects. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (ModelWrite w : writes.values())
            sb.append("\n    ").append(w).append(" -> ").append(w.effects());
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DocumentModel m && m.writes.keySet().equals(writes.keySet());
    }

    @Override
    public int hashCode() {
        return writes.keySet().hashCode();
    }

    @Override
    public String toString() {
        return "DocumentModel" + writes.keySet();
    }

    // ---- evaluation ----------------------------------------------------------------------------------------

    /** The writes' effects arranged by path. Mutable while a plan adds its own effects. */
    private static final class Tree {
        private final Node root = new Node();

        static Tree of(Collection<ModelWrite> writes) {
            Tree t = new Tree();
            for (ModelWrite w : writes) for (Effect e : w.effects()) t.add(w.stamp(), e);
            return t;
        }

        void add(ModelStamp stamp, Effect e) {
            Node n = root;
            for (String k : e.path()) n = n.child(k);
            switch (e.kind()) {
                case OBJECT -> n.objectStamp = n.objectStamp == null ? stamp : ModelStamp.max(n.objectStamp, stamp);
                case VALUE, REMOVE, RESTART -> {
                    if (n.assignStamp == null || stamp.after(n.assignStamp)) {
                        n.assignStamp = stamp;
                        n.assignKind = e.kind();
                        n.assignValue = e.value();
                    }
                }
                case INCREMENT ->
                    n.incs.add(new Inc(stamp, Objects.requireNonNull(e.basis()), Objects.requireNonNull(e.value())));
            }
        }

        boolean exists() {
            return root.isObject(ModelStamp.ZERO);
        }

        @SuppressWarnings("unchecked")
        @Nullable
        Map<String, Object> document() {
            return exists() ? (Map<String, Object>) root.visible(ModelStamp.ZERO) : null;
        }

        @Nullable
        Object valueAt(List<String> path) {
            Object v = exists() ? root.visible(ModelStamp.ZERO) : ModelValues.MISSING;
            for (String k : path) {
                if (!(v instanceof Map<?, ?> m) || !m.containsKey(k)) return ModelValues.MISSING;
                v = m.get(k);
            }
            return v;
        }

        /** The latest assignment of the path or any ancestor (what an increment there counts toward). */
        ModelStamp clearAt(List<String> path) {
            Node n = root;
            ModelStamp clear = n.clear(ModelStamp.ZERO);
            for (String k : path) {
                n = n.children.get(k);
                if (n == null) return clear;
                clear = n.clear(clear);
            }
            return clear;
        }

        /** Whether effect {@code e} of the write stamped {@code stamp} still shapes what this tree shows. */
        boolean alive(Effect e, ModelStamp stamp) {
            Node n = root;
            ModelStamp parentClear = ModelStamp.ZERO;
            for (String k : e.path()) {
                parentClear = n.clear(parentClear);
                n = java.util.Objects.requireNonNull(n.children.get(k), "a path of a received write");
            }
            ModelStamp own = n.clear(parentClear);
            return switch (e.kind()) {
                case VALUE, REMOVE, RESTART -> stamp.equals(n.assignStamp) && stamp.after(parentClear);
                case OBJECT -> stamp.equals(n.objectStamp) && stamp.after(own);
                case INCREMENT -> own.equals(e.basis());
            };
        }
    }

    private record Inc(ModelStamp stamp, ModelStamp basis, Object amount) {}

    private static final class Node {
        final TreeMap<String, Node> children = new TreeMap<>();

        @Nullable
        ModelStamp assignStamp;

        Effect.@Nullable Kind assignKind;

        @Nullable
        Object assignValue;

        @Nullable
        ModelStamp objectStamp;

        final List<Inc> incs = new ArrayList<>(0);

        Node child(String k) {
            return children.computeIfAbsent(k, x -> new Node());
        }

        /** This path's clear, given its parent's. */
        ModelStamp clear(ModelStamp parentClear) {
            return assignStamp == null ? parentClear : ModelStamp.max(parentClear, assignStamp);
        }

        boolean isObject(ModelStamp parentClear) {
            return objectStamp != null && objectStamp.after(clear(parentClear));
        }

        @Nullable
        Object visible(ModelStamp parentClear) {
            ModelStamp e = clear(parentClear);
            if (isObject(parentClear)) {
                TreeMap<String, Object> fields = new TreeMap<>();
                for (Map.Entry<String, Node> c : children.entrySet()) {
                    Object v = c.getValue().visible(e);
                    if (v != ModelValues.MISSING) fields.put(c.getKey(), v);
                }
                return Collections.unmodifiableSortedMap(fields);
            }
            boolean counts = assignStamp != null && assignStamp.after(parentClear);
            if (counts && assignKind == Effect.Kind.VALUE && !ModelValues.isNumber(assignValue)) return assignValue;
            Object base = counts && assignKind != Effect.Kind.REMOVE ? assignValue : null;
            List<Object> terms = new ArrayList<>();
            terms.add(base == null ? 0L : base);
            for (Inc inc : incs) if (inc.basis().equals(e)) terms.add(inc.amount());
            if (base == null && terms.size() == 1) return ModelValues.MISSING;
            return ModelValues.total(terms);
        }
    }
}
