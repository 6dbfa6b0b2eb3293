package io.starling.soak;

import io.starling.internal.crdt.DocumentState;
import io.starling.internal.sync.Subscription;
import io.starling.testing.check.Observed;
import io.starling.testing.check.ReplicaGraph;
import io.starling.testing.check.WriteStamp;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/*
 * Design note — the soak's checks (the same rules as the simulator's, docs/SIMULATOR.md "The checks", applied by the
 * same code: io.starling.testing.check's ReplicaGraph for who must agree and what is owed, WriteStamp for what an
 * acknowledged write stored).
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
            String problem =
                    WriteStamp.read(encoded(w.before()), encoded(w.after())).problem(w.site());
            if (problem != null) return w + ": acknowledged, but it " + problem;
        }
        return null;
    }

    private static byte @Nullable [] encoded(DocumentState st) {
        return st.isEmpty() ? null : st.encode();
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
        final ReplicaGraph graph;
        final List<String> divergences = new ArrayList<>();
        final List<String> lostWrites = new ArrayList<>();
        final List<String> writeProblems = new ArrayList<>();
        int divergenceCount, lostCount;
        int identicalPairs, deliveries, inclusions;

        Run(FinalState s) {
            this.s = s;
            this.n = s.peers().size();
            List<List<Subscription>> subscriptions = new ArrayList<>();
            for (FinalState.PeerState p : s.peers()) subscriptions.add(p.subscriptions());
            this.graph = new ReplicaGraph(subscriptions, s.edges());
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
                byte[][] bytes = new byte[n][];
                Observed[] shown = new Observed[n];
                DocumentState[] states = new DocumentState[n];
                for (int i = 0; i < n; i++) {
                    bytes[i] = s.peers().get(i).rows().get(d);
                    shown[i] = Observed.of(bytes[i]);
                    DocumentState st = shown[i].state();
                    states[i] = st == null ? DocumentState.empty() : st;
                }
                Doc doc = new Doc(
                        d, Objects.requireNonNull(d.id().toJava(), "an id is never null"), bytes, shown, states);
                convergence(doc);
                delivery(doc);
                for (SoakWrite w : writesByDoc.getOrDefault(d, List.of())) lostWrite(w, doc);
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

        /**
         * One document at every peer: its stored bytes (null: no row), what each peer shows of it and its state there
         * (empty: no row).
         */
        private record Doc(DocRef ref, Object id, byte[][] bytes, Observed[] shown, DocumentState[] states) {}

        /** The rules both checkers share ({@link ReplicaGraph#mustAgree}), except at a peer that ever evicted d. */
        private boolean mustAgree(int x, int y, Doc d) {
            if (evictedEver(x, d.ref()) || evictedEver(y, d.ref())) return false;
            return graph.mustAgree(x, y, d.ref().collection(), d.id(), d.shown());
        }

        /** What a sender at any peer sends {@code p} of the document in the state {@code x} holds. */
        private boolean sends(int x, int p, Doc d) {
            return graph.sends(d.shown()[x], p, d.ref().collection(), d.id());
        }

        private void convergence(Doc d) {
            ReplicaGraph.Convergence c = graph.convergence((x, y) -> mustAgree(x, y, d), d.bytes());
            identicalPairs += c.identicalPairs();
            for (ReplicaGraph.Divergence v : c.divergences()) divergence(v.describe(d.ref()) + everyone(d));
        }

        private void delivery(Doc d) {
            DocumentState[] states = d.states();
            for (int[] xy : graph.deliveries(d.ref().collection(), d.id(), d.shown())) {
                int x = xy[0], y = xy[1];
                if (evictedEver(y, d.ref())) continue;
                deliveries++;
                if (!states[y].merge(states[x]).equals(states[y])) {
                    divergence(d.ref() + ": peer " + y + " subscribes to it but lacks what its neighbour " + x
                            + " holds" + everyone(d));
                }
            }
        }

        private void lostWrite(SoakWrite w, Doc d) {
            DocumentState[] states = d.states();
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
                                + describe(w.after()) + everyone(d) + evictionsOf(w.doc()));
                    }
                    return;
                }
                for (int y : graph.neighbours(x)) {
                    if (!seen[y] && !excused(y, w, states) && sends(x, y, d)) {
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
        private String everyone(Doc d) {
            return graph.describePeers(
                    d.ref().collection(),
                    p -> evictedEver(p, d.ref()) ? ", evicted it" : "",
                    p -> describe(d.states()[p]));
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
