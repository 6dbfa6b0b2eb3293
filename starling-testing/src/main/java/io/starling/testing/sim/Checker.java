package io.starling.testing.sim;

import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.query.Dql;
import io.starling.internal.query.EvalContext;
import io.starling.internal.query.QueryExecutor;
import io.starling.internal.query.Statement;
import io.starling.internal.sync.Subscription;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/*
 * Design note — the checks.
 *
 * Two neighbours "must agree" on a document d when both subscribe to d's collection, neither evicted d, and
 * either each one's state is what the protocol sends the other (a tombstone, or live and matching one of the
 * other's subscriptions — evaluated on the converged states), or both hold d (a sender hints a document that does
 * not match, and a receiver holding a copy requests it). Data relays only through such peers, so:
 *
 *  1. convergence: within each connected group of peers that must agree, every peer holds a byte-identical state
 *     of d (tombstones included);
 *  2. delivery: for every connection x -> y and every document whose state at x is a tombstone or matches one of
 *     y's subscriptions (what the protocol sends), y's state includes x's (merging it changes nothing);
 *  3. no lost write: an acknowledged write is included in its writer's state, and in every replica reachable from
 *     there by step 2 — unless an eviction explains its absence;
 *  4. reference model: at every replica, the visible document equals what ReferenceModel computes from the
 *     acknowledged writes that replica's state includes; and before each write, the writer's document equals the
 *     model of what it knew.
 *
 * Evictions: a peer that evicted d after a write is not expected to hold that write; the write must then be held by
 * the peers that held it when the writer evicted it (if any).
 */

/** Runs the checks of docs/SIMULATOR.md over a {@link FinalState}. Stateless. */
final class Checker {
    static final int MAX_MESSAGES = 20;

    private Checker() {}

    public static CheckReport check(FinalState s) {
        return new Run(s).check();
    }

    private static final class Run {
        final FinalState s;
        final int n;
        final List<List<Integer>> neighbours = new ArrayList<>();
        final List<String> divergences = new ArrayList<>();
        final TreeSet<Integer> lost = new TreeSet<>();
        final List<String> lostDetails = new ArrayList<>();
        final List<String> modelProblems = new ArrayList<>();
        final Map<String, Statement> parsed = new HashMap<>();
        int divergenceCount;
        int documents, identicalPairs, deliveries, inclusions, modelComparisons;

        Run(FinalState s) {
            this.s = s;
            this.n = s.peers.size();
            for (int i = 0; i < n; i++) neighbours.add(new ArrayList<>());
            for (int[] e : s.edges) {
                neighbours.get(e[0]).add(e[1]);
                neighbours.get(e[1]).add(e[0]);
            }
        }

        CheckReport check() {
            TreeSet<DocKey> docs = new TreeSet<>();
            for (FinalState.PeerState p : s.peers) docs.addAll(p.rows().keySet());
            Map<DocKey, List<AckedWrite>> writesByDoc = new TreeMap<>();
            for (AckedWrite w : s.writes) {
                docs.add(w.doc);
                writesByDoc.computeIfAbsent(w.doc, k -> new ArrayList<>()).add(w);
            }
            for (DocKey d : docs) {
                DocumentState[] states = new DocumentState[n];
                for (int i = 0; i < n; i++) {
                    byte[] b = s.peers.get(i).rows().get(d);
                    states[i] = b == null ? DocumentState.empty() : DocumentState.decode(b);
                }
                convergence(d, states);
                delivery(d, states);
                List<AckedWrite> ws = writesByDoc.getOrDefault(d, List.of());
                for (AckedWrite w : ws) lostWrite(w, states);
                model(d, states, ws);
            }
            if (divergenceCount > divergences.size())
                divergences.add("… " + (divergenceCount - divergences.size()) + " more");
            documents = docs.size();
            return new CheckReport(
                    divergences,
                    lost,
                    lostDetails,
                    modelProblems,
                    new CheckReport.Coverage(documents, identicalPairs, deliveries, inclusions, modelComparisons));
        }

        private void divergence(String message) {
            if (divergenceCount++ < MAX_MESSAGES) divergences.add(message);
        }

        /** Peer {@code p} evicted {@code d} after {@code writesBefore} writes had been acknowledged. */
        private boolean evictedAfter(int p, DocKey d, int writesBefore) {
            for (Workload.Eviction e : s.evictions) {
                if (e.peer() == p && e.doc().equals(d) && e.writesBefore() > writesBefore) return true;
            }
            return false;
        }

        private boolean evictedEver(int p, DocKey d) {
            return evictedAfter(p, d, -1);
        }

        private boolean subscribesTo(int p, String collection) {
            for (Subscription sub : s.peers.get(p).subscriptions()) {
                if (sub.collection().equals(collection)) return true;
            }
            return false;
        }

        private boolean matchesAny(int p, DocKey d, DocumentState state) {
            Value.Obj doc = state.document(d.idValue());
            if (doc == null) return false;
            for (Subscription sub : s.peers.get(p).subscriptions()) {
                if (!sub.collection().equals(d.collection())) continue;
                Statement st = parsed.computeIfAbsent(sub.query(), Dql::parse);
                if (QueryExecutor.matches(st, doc, new EvalContext(sub.args().fields(), 0))) return true;
            }
            return false;
        }

        /** What a sender at any peer sends {@code p} of a document in this state. */
        private boolean qualifies(DocumentState state, int p, DocKey d) {
            if (state.isEmpty() || !subscribesTo(p, d.collection())) return false;
            return !state.exists() || matchesAny(p, d, state);
        }

        /**
         * Whether two neighbours must end with identical states of a document: both subscribe to its collection,
         * neither evicted it, and either each one's state is what the protocol sends the other (a tombstone, or
         * live and matching one of the other's subscriptions; evaluated on the converged states), or both hold it
         * (a sender hints a document that does not match, and a receiver that holds a copy requests it).
         */
        private boolean mustAgree(int x, int y, DocKey d, DocumentState[] states) {
            if (evictedEver(x, d) || evictedEver(y, d)) return false;
            if (!subscribesTo(x, d.collection()) || !subscribesTo(y, d.collection())) return false;
            if (!states[x].isEmpty() && !states[y].isEmpty()) return true;
            boolean xy = states[x].isEmpty() || qualifies(states[x], y, d);
            boolean yx = states[y].isEmpty() || qualifies(states[y], x, d);
            return xy && yx && !(states[x].isEmpty() && states[y].isEmpty());
        }

        private void convergence(DocKey d, DocumentState[] states) {
            boolean[] seen = new boolean[n];
            for (int start = 0; start < n; start++) {
                if (seen[start]) continue;
                List<Integer> group = new ArrayList<>();
                ArrayDeque<Integer> todo = new ArrayDeque<>(List.of(start));
                seen[start] = true;
                while (!todo.isEmpty()) {
                    int x = todo.poll();
                    group.add(x);
                    for (int y : neighbours.get(x)) {
                        if (!seen[y] && mustAgree(x, y, d, states)) {
                            seen[y] = true;
                            todo.add(y);
                        }
                    }
                }
                int first = group.get(0);
                for (int x : group) {
                    if (x != first && states[x].equals(states[first])) identicalPairs++;
                    if (!states[x].equals(states[first])) {
                        divergence(d + ": peers " + first + " and " + x
                                + " (connected through peers that must agree on it: " + group
                                + ") hold different states" + everyone(d, states));
                    }
                }
            }
        }

        private void delivery(DocKey d, DocumentState[] states) {
            for (int x = 0; x < n; x++) {
                for (int y : neighbours.get(x)) {
                    if (evictedEver(y, d) || !qualifies(states[x], y, d)) continue;
                    deliveries++;
                    if (!states[y].merge(states[x]).equals(states[y])) {
                        divergence(d + ": peer " + y + " subscribes to it but lacks what its neighbour " + x + " holds"
                                + everyone(d, states));
                    }
                }
            }
        }

        private void lostWrite(AckedWrite w, DocumentState[] states) {
            List<Integer> seeds = new ArrayList<>();
            if (!evictedAfter(w.peer, w.doc, w.index)) seeds.add(w.peer);
            else if (w.heldAtEviction != null) seeds.addAll(w.heldAtEviction);
            boolean[] seen = new boolean[n];
            ArrayDeque<Integer> todo = new ArrayDeque<>();
            for (int p : seeds) {
                if (!excused(p, w, states) && !seen[p]) {
                    seen[p] = true;
                    todo.add(p);
                }
            }
            while (!todo.isEmpty()) {
                int x = todo.poll();
                inclusions++;
                if (!states[x].merge(w.after).equals(states[x])) {
                    // blame the write only if what it started from is there: else an earlier write is missing, and
                    // its own check reports it (a write's resulting state includes everything its writer held)
                    if (!states[x].merge(w.before).equals(states[x])) return;
                    if (lost.add(w.index) && lostDetails.size() < MAX_MESSAGES) {
                        lostDetails.add(w + "\n  is missing at peer " + x + "; the writer's state after it: "
                                + describe(w.after) + everyone(w.doc, states) + evictionsOf(w.doc));
                    }
                    return;
                }
                for (int y : neighbours.get(x)) {
                    if (!seen[y] && !excused(y, w, states) && qualifies(states[x], y, w.doc)) {
                        seen[y] = true;
                        todo.add(y);
                    }
                }
            }
        }

        /**
         * A peer need not hold a write when it evicted the document after the write, or evicted it at any time and
         * holds no row: EVICT triggers no resync, so the document comes back only with a later change that reaches
         * the peer, and a write that changed nothing where it arrived (one superseded there) is no such change.
         */
        private boolean excused(int p, AckedWrite w, DocumentState[] states) {
            return evictedAfter(p, w.doc, w.index) || (states[p].isEmpty() && evictedEver(p, w.doc));
        }

        private void model(DocKey d, DocumentState[] states, List<AckedWrite> ws) {
            if (ws.isEmpty()) {
                for (int p = 0; p < n; p++) {
                    if (!states[p].isEmpty())
                        problem(d + ": peer " + p + " holds " + describe(states[p])
                                + " but no write to it was acknowledged");
                }
                return;
            }
            List<String> problems = new ArrayList<>();
            Map<Integer, ReferenceModel.ModelWrite> modelled = new TreeMap<>();
            for (AckedWrite w : ws) {
                List<ReferenceModel.ModelWrite> known = new ArrayList<>();
                for (AckedWrite k :
                        ReferenceModel.includedIn(w.before, modelled.isEmpty() ? List.of() : earlier(ws, w))) {
                    known.add(modelled.get(k.index));
                }
                Value.Obj expected = ReferenceModel.document(known);
                Value.Obj actual = w.before.fields();
                if (!Objects.equals(expected, actual)) {
                    StringBuilder sb = new StringBuilder(
                            "before " + w + ":\n  the writer showed " + actual + " | " + describe(w.before)
                                    + "\n  the model of the " + known.size() + " writes it held gives " + expected);
                    for (ReferenceModel.ModelWrite m : known)
                        sb.append("\n    ").append(m.source()).append(" -> ").append(m.effects());
                    problems.add(sb.toString());
                }
                modelled.put(w.index, ReferenceModel.derive(w, known, problems));
            }
            runningSums(d, modelled.values());
            for (int p = 0; p < n; p++) {
                if (states[p].isEmpty()) continue;
                List<ReferenceModel.ModelWrite> known = new ArrayList<>();
                for (AckedWrite k : ReferenceModel.includedIn(states[p], ws)) known.add(modelled.get(k.index));
                Value.Obj expected = ReferenceModel.document(known);
                Value.Obj actual = states[p].fields();
                modelComparisons++;
                if (!Objects.equals(expected, actual)) {
                    StringBuilder sb = new StringBuilder(d + " at peer " + p + " shows " + actual
                            + "; the model of the " + known.size() + " writes it holds gives " + expected);
                    for (ReferenceModel.ModelWrite m : known)
                        sb.append("\n    ").append(m.source()).append(" -> ").append(m.effects());
                    problems.add(sb.toString());
                }
            }
            if (!problems.isEmpty()) {
                List<String> evictions = new ArrayList<>();
                for (Workload.Eviction e : s.evictions) {
                    if (e.doc().equals(d)) evictions.add("peer " + e.peer() + " after " + e.writesBefore() + " writes");
                }
                if (!evictions.isEmpty()) problems.add("(" + d + " was evicted: " + String.join(", ", evictions) + ")");
                problem(String.join("\n", problems));
            }
        }

        /**
         * Within a counter series (one site's running sum, DATA-MODEL.md) each increment must add its amount to the
         * series' previous sum. A sum that does not continue means the site continued from a copy of its series
         * that was not the latest it wrote, and the increments in between are lost everywhere.
         */
        private void runningSums(DocKey d, Collection<ReferenceModel.ModelWrite> modelled) {
            Map<String, List<ReferenceModel.ModelWrite>> writers = new TreeMap<>();
            Map<String, List<ReferenceModel.Effect>> chains = new TreeMap<>();
            for (ReferenceModel.ModelWrite m : modelled) {
                for (ReferenceModel.Effect e : m.effects()) {
                    if (e.kind() != ReferenceModel.INC) continue;
                    String key = String.join(".", e.path()) + "@" + e.series();
                    chains.computeIfAbsent(key, k -> new ArrayList<>()).add(e);
                    writers.computeIfAbsent(key, k -> new ArrayList<>()).add(m);
                }
            }
            for (Map.Entry<String, List<ReferenceModel.Effect>> entry : chains.entrySet()) {
                List<ReferenceModel.Effect> chain = entry.getValue();
                for (int k = 0; k < chain.size(); k++) {
                    ReferenceModel.Effect x = chain.get(k);
                    Value amount = Objects.requireNonNull(x.value()), sum = Objects.requireNonNull(x.runningSum());
                    Value continued = k == 0
                            ? amount
                            : ReferenceModel.add(
                                    Objects.requireNonNull(chain.get(k - 1).runningSum()), amount);
                    if (sum.equals(continued)) continue;
                    AckedWrite w = Objects.requireNonNull(writers.get(entry.getKey()))
                            .get(k)
                            .source();
                    if (lost.add(w.index) && lostDetails.size() < MAX_MESSAGES) {
                        lostDetails.add(w + "\n  restarted or skipped its counter series " + entry.getKey()
                                + ": running sum " + x.runningSum() + " instead of " + continued + evictionsOf(d));
                    }
                }
            }
        }

        private static List<AckedWrite> earlier(List<AckedWrite> ws, AckedWrite w) {
            List<AckedWrite> out = new ArrayList<>();
            for (AckedWrite x : ws) {
                if (x.index < w.index) out.add(x);
            }
            return out;
        }

        private void problem(String message) {
            modelProblems.add(message);
        }

        /** Every peer's subscriptions to the document's collection and state of it, for a divergence report. */
        private String everyone(DocKey d, DocumentState[] states) {
            StringBuilder sb = new StringBuilder();
            for (int p = 0; p < n; p++) {
                List<String> subs = new ArrayList<>();
                for (Subscription sub : s.peers.get(p).subscriptions()) {
                    if (sub.collection().equals(d.collection()))
                        subs.add(sub.query() + (sub.args().size() == 0 ? "" : " " + sub.args()));
                }
                sb.append("\n  peer ")
                        .append(p)
                        .append(" (neighbours ")
                        .append(neighbours.get(p))
                        .append(", subscribes ")
                        .append(subs)
                        .append(evictedEver(p, d) ? ", evicted it" : "")
                        .append("): ")
                        .append(describe(states[p]));
            }
            return sb.toString();
        }

        private String evictionsOf(DocKey d) {
            StringBuilder sb = new StringBuilder();
            for (Workload.Eviction e : s.evictions) {
                if (e.doc().equals(d))
                    sb.append(sb.length() == 0 ? "\n  evicted by: " : ", ")
                            .append("peer ")
                            .append(e.peer())
                            .append(" after write #")
                            .append(e.writesBefore() - 1);
            }
            return sb.toString();
        }

        private static String describe(DocumentState st) {
            if (st.isEmpty()) return "no row";
            return (st.exists() ? "live " + st.fields() : "tombstone") + " | "
                    + st.toString().replace("\n", " ").trim();
        }
    }
}
