package io.starling.testing.check;

import io.starling.internal.core.Value;
import io.starling.internal.query.Dql;
import io.starling.internal.query.EvalContext;
import io.starling.internal.query.QueryExecutor;
import io.starling.internal.query.Statement;
import io.starling.internal.sync.Subscription;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiPredicate;
import java.util.function.IntFunction;

/*
 * Design note — who must agree with whom (docs/SIMULATOR.md, "The checks"; the simulator and the soak both check by
 * these rules, each on its own final state).
 *
 * A sender sends a neighbour p its state of a document d when p subscribes to d's collection and the state is a
 * tombstone, or live and matching one of p's subscriptions (evaluated on the final states). Two neighbours must agree
 * on d when both subscribe to d's collection and either both hold d (a sender hints a document that no longer matches,
 * and a receiver holding a copy requests it) or each one's state is what the protocol sends the other (no row counts
 * as sendable: there is nothing to hold back). Each checker first excludes the pairs its own rules exempt (a replica
 * that evicted or purged d, a state the zombie rule lets a replica refuse). Data relays only through pairs that must
 * agree, so within each connected group of them every state of d is byte-identical (the engine's encoding is
 * canonical: equal states encode to identical bytes).
 */

/**
 * The peers of a checked run as the convergence rules see them: who neighbours whom, who subscribes to what, what a
 * sender sends, who must agree on a document, and the groups that must hold identical states. Used by the simulator's
 * {@code Checker} and the soak's {@code SoakChecks}. Not thread-safe (it caches parsed subscription queries).
 */
public final class ReplicaGraph {
    private final List<List<Subscription>> subscriptions;
    private final List<List<Integer>> neighbours = new ArrayList<>();
    private final Map<String, Statement> parsed = new HashMap<>();

    /**
     * @param subscriptions each peer's subscriptions, by peer index
     * @param edges the links, each a pair of peer indexes
     */
    public ReplicaGraph(List<List<Subscription>> subscriptions, List<int[]> edges) {
        this.subscriptions = List.copyOf(subscriptions);
        for (int i = 0; i < subscriptions.size(); i++) neighbours.add(new ArrayList<>());
        for (int[] e : edges) {
            neighbours.get(e[0]).add(e[1]);
            neighbours.get(e[1]).add(e[0]);
        }
    }

    /** The number of peers. */
    public int size() {
        return subscriptions.size();
    }

    /** The peers linked to {@code p}, in the order of the edges. */
    public List<Integer> neighbours(int p) {
        return neighbours.get(p);
    }

    /** Whether a subscription reads the collection: its own, or any but a system one for {@code SELECT * FROM *}. */
    private static boolean covers(Subscription sub, String collection) {
        return sub.everyCollection()
                ? Subscription.coveredByEvery(collection)
                : sub.collection().equals(collection);
    }

    public boolean subscribesTo(int p, String collection) {
        for (Subscription sub : subscriptions.get(p)) {
            if (covers(sub, collection)) return true;
        }
        return false;
    }

    /** Whether the live document {@code document} (without {@code _id}) matches one of {@code p}'s subscriptions. */
    public boolean matchesAny(int p, String collection, Object id, Map<String, Object> document) {
        LinkedHashMap<String, Object> withId = new LinkedHashMap<>();
        withId.put("_id", id);
        withId.putAll(document);
        Value.Obj doc = (Value.Obj) Value.fromJava(withId);
        for (Subscription sub : subscriptions.get(p)) {
            if (!covers(sub, collection)) continue;
            if (sub.everyCollection()) return true; // every live document of the collection
            Statement st = parsed.computeIfAbsent(sub.query(), Dql::parse);
            if (QueryExecutor.matches(st, doc, new EvalContext(sub.args().fields(), 0))) return true;
        }
        return false;
    }

    /**
     * Whether a sender holding the document {@code (collection, id)} in {@code state} sends it to {@code p}: p
     * subscribes to the collection and the state is a tombstone or a live document matching one of p's subscriptions.
     * False for no row.
     */
    public boolean sends(Observed state, int p, String collection, Object id) {
        if (!state.held() || !subscribesTo(p, collection)) return false;
        return !state.live() || matchesAny(p, collection, id, Objects.requireNonNull(state.document()));
    }

    /**
     * Whether neighbours {@code x} and {@code y} must hold the same state of the document, by the rules both checkers
     * share (the design note); the caller has excluded the pairs its own rules exempt.
     */
    public boolean mustAgree(int x, int y, String collection, Object id, Observed[] shown) {
        if (!subscribesTo(x, collection) || !subscribesTo(y, collection)) return false;
        if (shown[x].held() && shown[y].held()) return true;
        boolean xy = !shown[x].held() || sends(shown[x], y, collection, id);
        boolean yx = !shown[y].held() || sends(shown[y], x, collection, id);
        return xy && yx && (shown[x].held() || shown[y].held());
    }

    /** Two replicas of a group that must agree hold different states: {@code first} (the group's first) and {@code other}. */
    public record Divergence(int first, int other, List<Integer> group) {
        /** {@code d: peers 0 and 2 (connected through peers that must agree on it: [0, 1, 2]) hold different states}. */
        public String describe(Object document) {
            return document + ": peers " + first + " and " + other + " (connected through peers that must agree on it: "
                    + group + ") hold different states";
        }
    }

    /** What {@link #convergence} found: the pairs found identical, and the ones that differ. */
    public record Convergence(int identicalPairs, List<Divergence> divergences) {}

    /**
     * Groups the peers into connected groups of neighbours that {@code mustAgree} (the caller's exemptions and then
     * {@link #mustAgree}) and compares each group's states with its first one's (byte for byte).
     *
     * @param states each peer's encoded state of the document; null: no row
     */
    public Convergence convergence(BiPredicate<Integer, Integer> mustAgree, byte[][] states) {
        int n = size();
        boolean[] seen = new boolean[n];
        int identical = 0;
        List<Divergence> out = new ArrayList<>();
        for (int start = 0; start < n; start++) {
            if (seen[start]) continue;
            List<Integer> group = new ArrayList<>();
            ArrayDeque<Integer> todo = new ArrayDeque<>(List.of(start));
            seen[start] = true;
            while (!todo.isEmpty()) {
                int x = todo.poll();
                group.add(x);
                for (int y : neighbours.get(x)) {
                    if (!seen[y] && mustAgree.test(x, y)) {
                        seen[y] = true;
                        todo.add(y);
                    }
                }
            }
            int first = group.get(0);
            for (int x : group) {
                if (x == first) continue;
                if (Arrays.equals(states[x], states[first])) identical++;
                else out.add(new Divergence(first, x, List.copyOf(group)));
            }
        }
        return new Convergence(identical, out);
    }

    /**
     * The deliveries the protocol owes for one document: every (sender x, neighbour y) where x's state is what it
     * sends y ({@link #sends}), as {@code {x, y}}, by sender.
     */
    public List<int[]> deliveries(String collection, Object id, Observed[] shown) {
        List<int[]> out = new ArrayList<>();
        for (int x = 0; x < size(); x++) {
            for (int y : neighbours.get(x)) {
                if (sends(shown[x], y, collection, id)) out.add(new int[] {x, y});
            }
        }
        return out;
    }

    /**
     * Every peer's neighbours, subscriptions to the collection and state of the document, one line each, for a
     * report: {@code \n  peer 0 (neighbours [1], subscribes [SELECT * FROM a]<note>): <state>}.
     */
    public String describePeers(String collection, IntFunction<String> note, IntFunction<String> state) {
        StringBuilder sb = new StringBuilder();
        for (int p = 0; p < size(); p++) {
            List<String> subs = new ArrayList<>();
            for (Subscription sub : subscriptions.get(p)) {
                if (covers(sub, collection)) subs.add(sub.query() + (sub.args().size() == 0 ? "" : " " + sub.args()));
            }
            sb.append("\n  peer ")
                    .append(p)
                    .append(" (neighbours ")
                    .append(neighbours.get(p))
                    .append(", subscribes ")
                    .append(subs)
                    .append(note.apply(p))
                    .append("): ")
                    .append(state.apply(p));
        }
        return sb.toString();
    }
}
