package io.starling.soak;

import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.query.Dql;
import io.starling.internal.query.EvalContext;
import io.starling.internal.query.QueryExecutor;
import io.starling.internal.query.Statement;
import io.starling.internal.sync.Subscription;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/*
 * Design note — the soak's checks (the same rules as the simulator's, docs/SIMULATOR.md "The checks").
 *
 * Two neighbours "must agree" on a document d when both subscribe to d's collection, neither ever evicted d, and
 * either each one's state is what the protocol sends the other (a tombstone, or live and matching one of the other's
 * subscriptions, evaluated on the final states) or both hold d (a sender hints a document that no longer matches,
 * and a receiver holding a copy requests it). Data relays only through such peers, so:
 *
 *  (a) convergence: within each connected group of peers that must agree on d, every state of d is byte-identical;
 *      and delivery: for every link x - y and every document whose state at x is what the protocol sends y, y's
 *      state includes x's (merging it changes nothing);
 *  (b) no lost write: every acknowledged write's resulting state is included in its writer's final state — across
 *      SIGKILLs and restarts — and in every replica reachable from there by the delivery rule; a write is blamed only
 *      where what it started from is there (else an earlier write is the one missing). An acknowledged write must
 *      also have stored something of its own: a newer stamp than anything before it, of its writer's site (unless
 *      every clause of it is an UNSET of a nested path, which stores nothing when the parent is no object).
 *
 * Evictions: a peer is not compared on a document it evicted; a write need not be held by a peer that evicted the
 * document after it, or that evicted it at any time and holds no row (EVICT triggers no resync); a write its writer
 * evicted must be held where it had got to by then (read from the peers right after the eviction).
 */

/** The convergence and lost-write checks over a {@link FinalState}. Stateless. */
final class SoakChecks {
    static final int MAX_MESSAGES = 20;

    /** What the checks found, and how much they looked at. */
    record Findings(List<String> divergences, List<String> lostWrites, List<String> writeProblems, Coverage coverage) {
        boolean passed() {
            return divergences.isEmpty() && lostWrites.isEmpty() && writeProblems.isEmpty();
        }
    }

    /** How much the checks looked at: a check that looked at nothing proves nothing. */
    record Coverage(int documents, int identicalPairs, int deliveries, int inclusions, int writes) {}

    private SoakChecks() {}

    static Findings check(FinalState s) {
        return new Run(s).check();
    }

    /** Only (a): used while waiting for the peers to settle. */
    static List<String> divergences(FinalState s) {
        Run r = new Run(s);
        r.check();
        return r.divergences;
    }

    /**
     * The checks of one acknowledged write that need nothing but the write: it stored something new of its own. Null
     * when it did; else what is wrong.
     */
    static @Nullable String writeProblem(SoakWrite w) {
        if (w.after().equals(w.before())) {
            return w + ": acknowledged, but the writer's state did not change";
        }
        if (w.exact()) {
            var stamp = w.after().maxStamp();
            if (stamp.site() != w.site() || !stamp.after(w.before().maxStamp())) {
                return w + ": the newest stamp after it is " + stamp + ", not a new one of the writer's site "
                        + Long.toUnsignedString(w.site(), 16) + " (newest before: "
                        + w.before().maxStamp() + ")";
            }
        }
        return null;
    }

    /**
     * Check (b) at a restart: the acknowledged writes of the restarted peer that its store, read before networking
     * (so that no neighbour can have sent them back), does not include — unless the peer evicted the document after
     * the write.
     */
    static List<String> keptAfterRestart(
            FinalState.PeerState stored, List<SoakWrite> writes, List<FinalState.Eviction> evictions) {
        List<String> lost = new ArrayList<>();
        for (SoakWrite w : writes) {
            if (w.peer() != stored.index()) continue;
            boolean evicted = false;
            for (FinalState.Eviction e : evictions) {
                evicted |= e.peer() == w.peer() && e.doc().equals(w.doc()) && e.writesBefore() > w.index();
            }
            if (evicted) continue;
            DocumentState st = stored.state(w.doc());
            if (!st.merge(w.after()).equals(st)) {
                lost.add(w + "\n  is missing from the store of peer " + w.peer()
                        + " after a SIGKILL and restart (read before networking): " + describe(st));
            }
        }
        return lost;
    }

    private static final class Run {
        final FinalState s;
        final int n;
        final List<List<Integer>> neighbours = new ArrayList<>();
        final List<String> divergences = new ArrayList<>();
        final List<String> lostWrites = new ArrayList<>();
        final List<String> writeProblems = new ArrayList<>();
        final Map<String, Statement> parsed = new HashMap<>();
        int divergenceCount, lostCount;
        int identicalPairs, deliveries, inclusions;

        Run(FinalState s) {
            this.s = s;
            this.n = s.peers().size();
            for (int i = 0; i < n; i++) neighbours.add(new ArrayList<>());
            for (int[] e : s.edges()) {
                neighbours.get(e[0]).add(e[1]);
                neighbours.get(e[1]).add(e[0]);
            }
        }

        Findings check() {
            TreeSet<DocRef> docs = new TreeSet<>();
            for (FinalState.PeerState p : s.peers()) docs.addAll(p.rows().keySet());
            Map<DocRef, List<SoakWrite>> writesByDoc = new TreeMap<>();
            for (SoakWrite w : s.writes()) {
                docs.add(w.doc());
                writesByDoc.computeIfAbsent(w.doc(), k -> new ArrayList<>()).add(w);
                String problem = writeProblem(w);
                if (problem != null && writeProblems.size() < MAX_MESSAGES) writeProblems.add(problem);
            }
            for (DocRef d : docs) {
                DocumentState[] states = new DocumentState[n];
                for (int i = 0; i < n; i++) states[i] = s.peers().get(i).state(d);
                convergence(d, states);
                delivery(d, states);
                for (SoakWrite w : writesByDoc.getOrDefault(d, List.of())) lostWrite(w, states);
            }
            if (divergenceCount > divergences.size())
                divergences.add("… " + (divergenceCount - divergences.size()) + " more");
            if (lostCount > lostWrites.size()) lostWrites.add("… " + (lostCount - lostWrites.size()) + " more");
            return new Findings(
                    divergences,
                    lostWrites,
                    writeProblems,
                    new Coverage(
                            docs.size(),
                            identicalPairs,
                            deliveries,
                            inclusions,
                            s.writes().size()));
        }

        private void divergence(String message) {
            if (divergenceCount++ < MAX_MESSAGES) divergences.add(message);
        }

        /** Peer {@code p} evicted {@code d} after {@code writesBefore} writes had been acknowledged. */
        private FinalState.@Nullable Eviction evictedAfter(int p, DocRef d, int writesBefore) {
            for (FinalState.Eviction e : s.evictions()) {
                if (e.peer() == p && e.doc().equals(d) && e.writesBefore() > writesBefore) return e;
            }
            return null;
        }

        private boolean evictedEver(int p, DocRef d) {
            return evictedAfter(p, d, -1) != null;
        }

        private boolean subscribesTo(int p, String collection) {
            for (Subscription sub : s.peers().get(p).subscriptions()) {
                if (sub.collection().equals(collection)) return true;
            }
            return false;
        }

        private boolean matchesAny(int p, DocRef d, DocumentState state) {
            Value.Obj doc = state.document(d.id());
            if (doc == null) return false;
            for (Subscription sub : s.peers().get(p).subscriptions()) {
                if (!sub.collection().equals(d.collection())) continue;
                Statement st = parsed.computeIfAbsent(sub.query(), Dql::parse);
                if (QueryExecutor.matches(st, doc, new EvalContext(sub.args().fields(), 0))) return true;
            }
            return false;
        }

        /** What a sender at any peer sends {@code p} of a document in this state. */
        private boolean qualifies(DocumentState state, int p, DocRef d) {
            if (state.isEmpty() || !subscribesTo(p, d.collection())) return false;
            return !state.exists() || matchesAny(p, d, state);
        }

        private boolean mustAgree(int x, int y, DocRef d, DocumentState[] states) {
            if (evictedEver(x, d) || evictedEver(y, d)) return false;
            if (!subscribesTo(x, d.collection()) || !subscribesTo(y, d.collection())) return false;
            if (!states[x].isEmpty() && !states[y].isEmpty()) return true;
            boolean xy = states[x].isEmpty() || qualifies(states[x], y, d);
            boolean yx = states[y].isEmpty() || qualifies(states[y], x, d);
            return xy && yx && !(states[x].isEmpty() && states[y].isEmpty());
        }

        private void convergence(DocRef d, DocumentState[] states) {
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
                    if (x == first) continue;
                    if (states[x].equals(states[first])) {
                        identicalPairs++;
                    } else {
                        divergence(d + ": peers " + first + " and " + x
                                + " (connected through peers that must agree on it: " + group
                                + ") hold different states" + everyone(d, states));
                    }
                }
            }
        }

        private void delivery(DocRef d, DocumentState[] states) {
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

        private void lostWrite(SoakWrite w, DocumentState[] states) {
            List<Integer> seeds = new ArrayList<>();
            FinalState.Eviction byWriter = evictedAfter(w.peer(), w.doc(), w.index());
            if (byWriter == null) seeds.add(w.peer());
            else seeds.addAll(byWriter.heldAt().getOrDefault(w.index(), Set.of()));
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
                if (!states[x].merge(w.after()).equals(states[x])) {
                    // blame the write only if what it started from is there: else an earlier write is missing, and
                    // its own check reports it (a write's resulting state includes everything its writer held)
                    if (!states[x].merge(w.before()).equals(states[x])) return;
                    if (lostCount++ < MAX_MESSAGES) {
                        lostWrites.add(w + "\n  is missing at peer " + x + "; the writer's state after it: "
                                + describe(w.after()) + everyone(w.doc(), states) + evictionsOf(w.doc()));
                    }
                    return;
                }
                for (int y : neighbours.get(x)) {
                    if (!seen[y] && !excused(y, w, states) && qualifies(states[x], y, w.doc())) {
                        seen[y] = true;
                        todo.add(y);
                    }
                }
            }
        }

        /**
         * A peer need not hold a write when it evicted the document after the write, or evicted it at any time and
         * holds no row: EVICT triggers no resync, so the document comes back only with a later change that reaches
         * the peer.
         */
        private boolean excused(int p, SoakWrite w, DocumentState[] states) {
            return evictedAfter(p, w.doc(), w.index()) != null || (states[p].isEmpty() && evictedEver(p, w.doc()));
        }

        /** Every peer's subscriptions to the document's collection and state of it, for a report. */
        private String everyone(DocRef d, DocumentState[] states) {
            StringBuilder sb = new StringBuilder();
            for (int p = 0; p < n; p++) {
                List<String> subs = new ArrayList<>();
                for (Subscription sub : s.peers().get(p).subscriptions()) {
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

        private String evictionsOf(DocRef d) {
            StringBuilder sb = new StringBuilder();
            for (FinalState.Eviction e : s.evictions()) {
                if (e.doc().equals(d))
                    sb.append(sb.length() == 0 ? "\n  evicted by: " : ", ")
                            .append("peer ")
                            .append(e.peer())
                            .append(" after write #")
                            .append(e.writesBefore() - 1);
            }
            return sb.toString();
        }
    }

    static String describe(DocumentState st) {
        if (st.isEmpty()) return "no row";
        return shorten((st.exists() ? "live " + st.fields() : "tombstone") + " | "
                + st.toString().replace("\n", " ").trim());
    }

    private static final java.util.regex.Pattern RUN = java.util.regex.Pattern.compile("(.)\\1{24,}");

    /** A report line with long runs of one character (the workload's blobs) shortened to {@code c…×N}. */
    static String shorten(String s) {
        java.util.regex.Matcher m = RUN.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(
                    sb,
                    java.util.regex.Matcher.quoteReplacement(
                            m.group(1) + "…×" + m.group().length()));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
