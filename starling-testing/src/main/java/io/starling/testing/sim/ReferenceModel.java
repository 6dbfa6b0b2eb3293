package io.starling.testing.sim;

import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/*
 * Design note — the reference model.
 *
 * An executable reading of docs/DATA-MODEL.md, written without DocumentState's tree: given a set of writes, it
 * computes the visible document. Each write is a list of effects on paths, all at the write's stamp:
 *
 *   MAP      the path is made an object (INSERT at the root, SET p = {...}, ancestors of any SET/APPLY)
 *   REGISTER the path is assigned a scalar or array (last writer wins)
 *   REMOVED  the path is removed (UNSET; DELETE at the root)
 *   COUNTER  the path is assigned a counter base (RESTART WITH); a plain number register is a base too
 *   INC      an increment by the writer's site, with the clear it saw (basis)
 *
 * Visibility of a path under its parent's clear c (the latest assignment on an ancestor): its assignment a counts
 * only if later than c; its clear is E = max(c, a); it is an object iff its latest MAP is later than E, showing
 * its children under E; else a REGISTER shows its value; else the counter shows its base (0 if none) plus, for
 * every counter series (one site's running sum, DATA-MODEL.md) whose latest increment saw exactly E, the
 * series' running sum as of that increment; with no counter either, the path is MISSING. The document exists
 * iff the root is an object. (That a running sum is the sum of its series' increments is checked on its own,
 * increment by increment: Checker's running-sum check.)
 *
 * A write's effects depend on what the writer knew (UNSET below a non-object does nothing, INCREMENT of a plain
 * number counts on top of it, DO UPDATE_LOCAL_DIFF writes only what differs, an increment's basis): the model
 * takes "what the writer knew" to be the acknowledged writes whose resulting state the writer's state before the
 * write includes (in the join order of document states), and evaluates itself over them.
 */

/** The merge rules of docs/DATA-MODEL.md as a simple, separate model. Stateless. */
final class ReferenceModel {
    static final int MAP = 0, REGISTER = 1, REMOVED = 2, COUNTER = 3, INC = 4;

    private ReferenceModel() {}

    /**
     * One effect of a write on one path. For INC: {@code value} is the amount, {@code basis} the clear the writer
     * saw, {@code runningSum} the writer site's running sum after it (read from the writer's state).
     */
    record Effect(
            List<String> path,
            int kind,
            @Nullable Value value,
            @Nullable Stamp basis,
            @Nullable Value runningSum,
            @Nullable Stamp series) {
        Effect(List<String> path, int kind, @Nullable Value value, @Nullable Stamp basis) {
            this(path, kind, value, basis, null, null);
        }

        @Override
        public String toString() {
            String k = new String[] {"MAP", "REGISTER", "REMOVED", "COUNTER", "INC"}[kind];
            return String.join(".", path) + " " + k + (value == null ? "" : " " + value)
                    + (basis == null ? "" : " basis " + basis)
                    + (runningSum == null ? "" : " running sum " + runningSum);
        }
    }

    /** A write as the model sees it. */
    record ModelWrite(AckedWrite source, Stamp stamp, long site, List<Effect> effects) {}

    /** The writes among {@code candidates} that {@code state} includes: their resulting states are below it. */
    static List<AckedWrite> includedIn(DocumentState state, Collection<AckedWrite> candidates) {
        List<AckedWrite> out = new ArrayList<>();
        if (state.isEmpty()) return out;
        for (AckedWrite w : candidates) {
            if (state.merge(w.after).equals(state)) out.add(w);
        }
        return out;
    }

    // ---- deriving effects ------------------------------------------------------------------------------

    /**
     * The effects of {@code w}, given the model writes the writer knew. Problems (the engine did something the
     * model says it could not have) are added to {@code problems}.
     */
    static ModelWrite derive(AckedWrite w, List<ModelWrite> known, List<String> problems) {
        List<Effect> effects = new ArrayList<>();
        ModelWrite self = new ModelWrite(w, w.stamp, w.site, effects);
        List<ModelWrite> view = new ArrayList<>(known);
        view.add(self); // effects grow as the statement's clauses are applied in order
        List<String> root = List.of();
        if (w.op instanceof DocOp.Insert ins) {
            boolean exists = document(view) != null;
            if (exists && (ins.onConflict().equals("FAIL") || ins.onConflict().equals("DO_NOTHING"))) {
                problems.add(w + ": INSERT " + ins.onConflict() + " wrote although the writer held the document");
            }
            if (exists && ins.onConflict().equals("DO_UPDATE_LOCAL_DIFF")) {
                if (!diff(root, ins.fields(), view, effects))
                    problems.add(w + ": DO UPDATE_LOCAL_DIFF wrote although nothing differs");
            } else {
                effects.add(new Effect(root, MAP, null, null));
                for (Map.Entry<String, Value> e : ins.fields().fields().entrySet()) {
                    if (!e.getKey().equals("_id")) writeValue(List.of(e.getKey()), e.getValue(), effects);
                }
            }
        } else if (w.op instanceof DocOp.Delete) {
            effects.add(new Effect(root, REMOVED, null, null));
        } else if (w.op instanceof DocOp.Update up) {
            for (DocOp.FieldChange ch : up.changes()) {
                List<String> p = ch.path();
                if (ch instanceof DocOp.Unset) {
                    Node trie = build(view);
                    boolean allMaps = true;
                    for (int i = 1; i < p.size() && allMaps; i++) allMaps = isMap(trie, p.subList(0, i));
                    if (allMaps) effects.add(new Effect(p, REMOVED, null, null));
                    continue;
                }
                for (int i = 1; i < p.size(); i++) effects.add(new Effect(p.subList(0, i), MAP, null, null));
                if (ch instanceof DocOp.Set set) {
                    writeValue(p, set.value(), effects);
                } else if (ch instanceof DocOp.Restart r) {
                    effects.add(new Effect(p, COUNTER, r.value(), null));
                } else if (ch instanceof DocOp.Increment inc) {
                    Node trie = build(view);
                    Lookup at = lookup(trie, p);
                    Value current = at.node == null ? Value.MISSING : visible(at.node, at.parentClear);
                    boolean counter = at.node != null && isCounter(at.node, at.parentClear);
                    // a plain number is the base increments count on (DATA-MODEL.md, "Counters")
                    if (counter || current.isMissing() || current.isNumber()) {
                        Stamp basis = clearOf(at);
                        StateCodecReader.Contribution c =
                                StateCodecReader.contribution(w.after.encode(), p, w.site, w.stamp);
                        if (c == null
                                || !c.stamp().equals(w.stamp)
                                || !c.basis().equals(basis)) {
                            problems.add(w + ": the writer's state holds " + c + " for the increment of "
                                    + String.join(".", p) + "; the model expects a contribution at " + w.stamp
                                    + " with basis " + basis);
                        }
                        effects.add(new Effect(
                                p,
                                INC,
                                inc.amount(),
                                basis,
                                c == null ? inc.amount() : c.sum(),
                                c == null ? w.stamp : c.series()));
                    } else {
                        problems.add(
                                w + ": INCREMENT of " + String.join(".", p) + " holding " + current + " was accepted");
                    }
                }
            }
        }
        return self;
    }

    private static void writeValue(List<String> path, Value v, List<Effect> effects) {
        if (v instanceof Value.Obj o) {
            effects.add(new Effect(path, MAP, null, null));
            for (Map.Entry<String, Value> e : o.fields().entrySet())
                writeValue(append(path, e.getKey()), e.getValue(), effects);
        } else {
            effects.add(new Effect(path, REGISTER, v, null));
        }
    }

    /** DO UPDATE_LOCAL_DIFF: writes the fields whose visible value differs, recursively through objects. */
    private static boolean diff(List<String> prefix, Value.Obj fields, List<ModelWrite> view, List<Effect> effects) {
        boolean changed = false;
        for (Map.Entry<String, Value> e : fields.fields().entrySet()) {
            if (prefix.isEmpty() && e.getKey().equals("_id")) continue;
            List<String> p = append(prefix, e.getKey());
            Node trie = build(view);
            Lookup at = lookup(trie, p);
            Value current = at.node == null ? Value.MISSING : visible(at.node, at.parentClear);
            if (e.getValue() instanceof Value.Obj o && current instanceof Value.Obj) {
                changed |= diff(p, o, view, effects);
            } else if (!e.getValue().equals(current)) {
                writeValue(p, e.getValue(), effects);
                changed = true;
            }
        }
        if (changed) effects.add(new Effect(prefix, MAP, null, null));
        return changed;
    }

    private static List<String> append(List<String> path, String key) {
        List<String> p = new ArrayList<>(path.size() + 1);
        p.addAll(path);
        p.add(key);
        return List.copyOf(p);
    }

    // ---- evaluating ------------------------------------------------------------------------------------

    /** The visible document's fields (without _id), or null when it does not exist. */
    static Value.@Nullable Obj document(Collection<ModelWrite> writes) {
        Node root = build(writes);
        Value v = visible(root, Stamp.NONE);
        return v instanceof Value.Obj o ? o : null;
    }

    /** What the model knows of one path. */
    private static final class Node {
        final TreeMap<String, Node> children = new TreeMap<>();
        int assignKind = -1;
        Stamp assignStamp = Stamp.NONE;

        @Nullable
        Value assignValue;

        Stamp mapStamp = Stamp.NONE;
        /** Per counter series (its first stamp), its increments in stamp order. */
        final TreeMap<Stamp, List<Inc>> incs = new TreeMap<>();
    }

    private record Inc(Stamp stamp, Stamp basis, Value amount, Value runningSum) {}

    private static Node build(Collection<ModelWrite> writes) {
        Node root = new Node();
        for (ModelWrite w : writes) {
            for (Effect e : w.effects()) {
                Node n = root;
                for (String k : e.path()) n = n.children.computeIfAbsent(k, x -> new Node());
                switch (e.kind()) {
                    case MAP -> n.mapStamp = Stamp.max(n.mapStamp, w.stamp());
                    case REGISTER, REMOVED, COUNTER -> {
                        if (w.stamp().after(n.assignStamp)) {
                            n.assignKind = e.kind();
                            n.assignStamp = w.stamp();
                            n.assignValue = e.value();
                        }
                    }
                    case INC -> {
                        List<Inc> list = n.incs.computeIfAbsent(e.series(), x -> new ArrayList<>());
                        list.add(
                                new Inc( // an INC effect has all four
                                        w.stamp(),
                                        Objects.requireNonNull(e.basis()),
                                        Objects.requireNonNull(e.value()),
                                        Objects.requireNonNull(e.runningSum())));
                        list.sort((a, b) -> a.stamp().compareTo(b.stamp()));
                    }
                    default -> throw new IllegalStateException("effect kind " + e.kind());
                }
            }
        }
        return root;
    }

    private record Lookup(@Nullable Node node, Stamp parentClear, Stamp pathClear) {}

    /** The node at a path (null if nothing was written there), with its parent's clear. */
    private static Lookup lookup(Node root, List<String> path) {
        Node n = root;
        Stamp clear = Stamp.NONE;
        for (String k : path) {
            clear = Stamp.max(clear, n.assignStamp);
            n = n.children.get(k);
            if (n == null) return new Lookup(null, clear, clear);
        }
        return new Lookup(n, clear, Stamp.max(clear, n.assignStamp));
    }

    /** The clear an increment at this path sees: the latest assignment on the path or an ancestor. */
    private static Stamp clearOf(Lookup at) {
        return at.pathClear;
    }

    private static boolean isMap(Node root, List<String> path) {
        Lookup at = lookup(root, path);
        if (at.node == null) return false;
        Stamp e = effectiveClear(at.node, at.parentClear);
        return at.node.mapStamp.after(e);
    }

    private static Stamp effectiveClear(Node n, Stamp parentClear) {
        return n.assignStamp.after(parentClear) ? n.assignStamp : parentClear;
    }

    private static boolean assignmentCounts(Node n, Stamp parentClear) {
        return n.assignKind >= 0 && n.assignStamp.after(parentClear);
    }

    /** Is the path visibly a counter: not an object, and a counter assignment or surviving increments. */
    private static boolean isCounter(Node n, Stamp parentClear) {
        Stamp e = effectiveClear(n, parentClear);
        if (n.mapStamp.after(e)) return false;
        boolean counts = assignmentCounts(n, parentClear);
        if (counts && n.assignKind == COUNTER) return true;
        if (counts && n.assignKind == REGISTER) return false;
        for (List<Inc> list : n.incs.values()) {
            if (list.get(list.size() - 1).basis().compareTo(e) >= 0) return true;
        }
        return false;
    }

    private static Value visible(Node n, Stamp parentClear) {
        Stamp e = effectiveClear(n, parentClear);
        boolean counts = assignmentCounts(n, parentClear);
        if (n.mapStamp.after(e)) {
            LinkedHashMap<String, Value> fields = new LinkedHashMap<>();
            for (Map.Entry<String, Node> c : n.children.entrySet()) {
                Value v = visible(c.getValue(), e);
                if (!v.isMissing()) fields.put(c.getKey(), v);
            }
            return new Value.Obj(fields);
        }
        if (counts && n.assignKind == REGISTER) {
            Value assigned = Objects.requireNonNull(n.assignValue, "a register has a value");
            if (!assigned.isNumber()) return assigned;
        }
        // a counter's base: a restart, or a plain number the increments count on
        Value total = counts && (n.assignKind == COUNTER || n.assignKind == REGISTER) ? n.assignValue : null;
        for (List<Inc> list : n.incs.values()) {
            // a series counts with its running sum as of its latest increment; Checker verifies separately that
            // running sums continue from one increment of the series to the next
            Inc latest = list.get(list.size() - 1);
            if (!latest.basis().equals(e)) continue;
            total = add(total == null ? Value.of(0) : total, latest.runningSum());
        }
        return total == null ? Value.MISSING : total;
    }

    /** Counter arithmetic as DATA-MODEL.md states it: integers stay integers until they overflow. */
    static Value add(Value a, Value b) {
        if (a instanceof Value.Int x && b instanceof Value.Int y) {
            long r = x.value() + y.value();
            if (((x.value() ^ r) & (y.value() ^ r)) >= 0) return Value.of(r);
            return Value.of((double) x.value() + (double) y.value());
        }
        return Value.of(toDouble(a) + toDouble(b));
    }

    private static double toDouble(Value v) {
        return v instanceof Value.Int i ? (double) i.value() : ((Value.Dbl) v).value();
    }
}
