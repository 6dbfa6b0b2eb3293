package io.starling.testing.sim;

import io.starling.internal.crdt.DocumentState;
import io.starling.internal.sync.Subscription;
import io.starling.internal.sync.ZombieRule;
import io.starling.testing.check.ModelComparison;
import io.starling.testing.check.Observed;
import io.starling.testing.check.ReplicaGraph;
import io.starling.testing.model.DocumentModel;
import io.starling.testing.model.Effect;
import io.starling.testing.model.ModelStamp;
import io.starling.testing.model.ModelWrite;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/*
 * Design note — the checks.
 *
 * Each replica's knowledge (the writes it received, followed by the simulator: Knowledge) is the independent side;
 * the replica's stored state is the engine's side. The checks:
 *
 *  1. model: every replica shows exactly what the model of its knowledge gives — a row iff it received a write,
 *     live iff the model says the document exists (else a tombstone), and the same visible document. A difference
 *     that one missing write explains is a lost write; anything else a model problem;
 *  2. convergence: two neighbours "must agree" on a document d when both subscribe to d's collection, neither
 *     holds no row after having removed it (EVICT, purge, zombie eviction: a replica that removed d and later
 *     receives it again must agree again), and either each one's state is what the protocol sends the other (a
 *     tombstone, or live and matching one of the other's subscriptions — evaluated on the converged states) or both
 *     hold d (a sender hints a document that does not match, and a receiver holding a copy requests it). Data relays
 *     only through such peers; within each connected group of peers that must agree, every state is byte-identical;
 *  3. delivery: for every connection x -> y and document whose state at x is what the protocol sends y, y has
 *     received (in the model's order: holds, or holds something superseding) every write x has — unless y holds no
 *     row after having removed d, and except writes it held when it removed d (EVICT and a purge trigger no
 *     resync: they come back only when the neighbour's state changes); and no neighbour of a replica that purged
 *     still holds a live state entirely older than its horizon that it would send (a zombie it must have evicted);
 *  4. zombies: a replica that purged a tombstone of d never again shows anything the deletes in it hid — unless
 *     it came with a newer write of d (a known limit of the engine's zombie rule: counted as a husk, not failed).
 *
 * The engine's states are only observed here (Observed); the expectations come from the model
 * (io.starling.testing.model), which does not use the engine. What the soak checks by the same rules is applied by
 * the same code (io.starling.testing.check: ReplicaGraph for who must agree and what is owed, ModelComparison for
 * check 1); only the exemptions (removals, the zombie rule) and the knowledge are the simulator's own.
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
        final ReplicaGraph graph;
        final List<String> divergences = new ArrayList<>();
        final TreeSet<Integer> lost = new TreeSet<>();
        final List<String> lostDetails = new ArrayList<>();
        final List<String> modelProblems = new ArrayList<>();
        int divergenceCount;
        int documents, identicalPairs, deliveries, modelComparisons, zombieChecks, husks, zombieExemptions;
        final List<String> huskDetails = new ArrayList<>();

        Run(FinalState s) {
            this.s = s;
            this.n = s.peers.size();
            List<List<Subscription>> subscriptions = new ArrayList<>();
            for (FinalState.PeerState p : s.peers) subscriptions.add(p.subscriptions());
            this.graph = new ReplicaGraph(subscriptions, s.edges);
        }

        CheckReport check() {
            TreeSet<DocKey> docs = new TreeSet<>();
            for (FinalState.PeerState p : s.peers) {
                docs.addAll(p.rows().keySet());
                docs.addAll(p.known().keySet());
            }
            for (AckedWrite w : s.writes) docs.add(w.doc);
            for (DocKey d : docs) {
                byte[][] bytes = new byte[n][];
                Observed[] shown = new Observed[n];
                DocumentModel[] known = new DocumentModel[n];
                for (int i = 0; i < n; i++) {
                    bytes[i] = s.peers.get(i).rows().get(d);
                    shown[i] = Observed.of(bytes[i]);
                    known[i] = s.peers.get(i).known().getOrDefault(d, DocumentModel.empty());
                }
                model(d, shown, known);
                convergence(d, bytes, shown);
                delivery(d, bytes, shown, known);
                zombies(d, shown, known);
            }
            if (divergenceCount > divergences.size())
                divergences.add("… " + (divergenceCount - divergences.size()) + " more");
            documents = docs.size();
            int[] ties = ties();
            int otherIds = 0, nested = 0, increments = 0, floats = 0;
            for (AckedWrite w : s.writes) {
                if (!(w.doc.id() instanceof Long)) otherIds++;
                for (Effect e : w.write.effects()) {
                    if (e.path().size() >= 2) nested++;
                    if (e.kind() == Effect.Kind.INCREMENT) increments++;
                    if (e.value() instanceof Double) floats++;
                }
            }
            return new CheckReport(
                    divergences,
                    lost,
                    lostDetails,
                    modelProblems,
                    s.problems,
                    s.problemCount,
                    new CheckReport.Coverage(
                            documents,
                            identicalPairs,
                            deliveries,
                            modelComparisons,
                            ties[0],
                            ties[1],
                            zombieChecks,
                            s.stats.sent.getOrDefault(".HintEntry", 0L),
                            s.stats.tombstonesPurged,
                            s.stats.zombiesRefused,
                            s.stats.liveDataRefused,
                            husks,
                            otherIds,
                            zombieExemptions,
                            nested,
                            increments,
                            floats),
                    huskDetails);
        }

        private void divergence(String message) {
            if (divergenceCount++ < MAX_MESSAGES) divergences.add(message);
        }

        /** Pairs of writes to one document with the same hlc (and of those, sites on both sides of the sign bit). */
        private int[] ties() {
            Map<String, List<AckedWrite>> byHlc = new TreeMap<>();
            for (AckedWrite w : s.writes) {
                byHlc.computeIfAbsent(w.doc + "@" + w.write.stamp().hlc(), k -> new ArrayList<>())
                        .add(w);
            }
            int ties = 0, unsigned = 0;
            for (List<AckedWrite> same : byHlc.values()) {
                for (int i = 0; i < same.size(); i++) {
                    for (int j = i + 1; j < same.size(); j++) {
                        long a = same.get(i).site, b = same.get(j).site;
                        if (a == b) continue;
                        ties++;
                        if ((a < 0) != (b < 0)) unsigned++;
                    }
                }
            }
            return new int[] {ties, unsigned};
        }

        // ---- 1. every replica against the model of what it received --------------------------------------------

        private void model(DocKey d, Observed[] shown, DocumentModel[] known) {
            for (int p = 0; p < n; p++) {
                DocumentModel k = known[p];
                Observed o = shown[p];
                if (k.isEmpty() && !o.held()) continue;
                modelComparisons++;
                if (k.isEmpty()) {
                    modelProblems.add(
                            d + " at peer " + p + " shows " + o + ", but the peer has received no write of it");
                    continue;
                }
                if (ModelComparison.matches(k, o)) continue;
                // one missing write explains it: that write is lost here
                List<ModelWrite> culprits = ModelComparison.missing(k, o);
                if (!culprits.isEmpty()) {
                    for (ModelWrite w : culprits) lost.add(w.id());
                    if (lostDetails.size() < MAX_MESSAGES) {
                        lostDetails.add(describe(culprits) + (culprits.size() == 1 ? " is" : " are")
                                + " missing at peer "
                                + p + ", which received " + (culprits.size() == 1 ? "it" : "them") + ": it "
                                + ModelComparison.mismatch(k, o) + k.describe() + removals(d));
                    }
                } else {
                    modelProblems.add(
                            d + " at peer " + p + " " + ModelComparison.mismatch(k, o) + k.describe() + removals(d));
                }
            }
        }

        private String describe(List<ModelWrite> ws) {
            StringBuilder sb = new StringBuilder();
            for (ModelWrite w : ws) {
                AckedWrite a = s.writes.get(w.id());
                sb.append(sb.length() == 0 ? "" : ", ").append(a);
            }
            return sb.toString();
        }

        // ---- 2. convergence -----------------------------------------------------------------------------------

        /** A replica that removed its row (EVICT, purge, zombie eviction) and has not received the document since. */
        private boolean goneAfterRemoval(int p, DocKey d, Observed[] shown) {
            return !shown[p].held() && s.removedEver(p, d);
        }

        private boolean mustAgree(int x, int y, DocKey d, byte[][] bytes, Observed[] shown) {
            if (goneAfterRemoval(x, d, shown) || goneAfterRemoval(y, d, shown)) return false;
            if (refusesAsZombie(y, bytes[x], bytes[y]) || refusesAsZombie(x, bytes[y], bytes[x])) return false;
            if (!flows(x, y, d, bytes) || !flows(y, x, d, bytes)) return false;
            return graph.mustAgree(x, y, d.collection(), d.id(), shown);
        }

        /**
         * With identities: whether {@code x}'s state of {@code d} is what x's session with {@code y} sends (y's role
         * may read it) and what y's store applies (x's role may make the change it makes to y's state, judged before
         * and after the merge) — by the roles' own rules. Permitted writes converge over such links only: a viewer
         * or a user relays only what it may write, a reader keeps the last state it was allowed to read. Always
         * true without identities.
         */
        private boolean flows(int x, int y, DocKey d, byte[][] bytes) {
            Role[] roles = s.roles;
            if (roles == null || bytes[x] == null) return true;
            DocumentState sent = DocumentState.decode(bytes[x]);
            if (!roles[y].mayRead(d.collection(), sent)) return false;
            DocumentState before = bytes[y] == null ? null : DocumentState.decode(bytes[y]);
            DocumentState base = before == null ? DocumentState.empty() : before;
            DocumentState after = base.merge(sent);
            return after.equals(base) || roles[x].mayApply(d.collection(), before, after);
        }

        private void convergence(DocKey d, byte[][] bytes, Observed[] shown) {
            ReplicaGraph.Convergence c = graph.convergence((x, y) -> mustAgree(x, y, d, bytes, shown), bytes);
            identicalPairs += c.identicalPairs();
            for (ReplicaGraph.Divergence v : c.divergences()) divergence(v.describe(d) + everyone(d, shown));
        }

        // ---- 3. delivery ----------------------------------------------------------------------------------------

        private void delivery(DocKey d, byte[][] bytes, Observed[] shown, DocumentModel[] known) {
            for (int[] xy : graph.deliveries(d.collection(), d.id(), shown)) {
                int x = xy[0], y = xy[1];
                // with identities, owed only where data flows both ways: a change is judged on the receiver's state
                // when
                // it arrives, and a denied one comes again only when the sender's state changes — which y's later
                // states bring about (or a push-back repairs) only if they flow back to x
                if (s.roles != null
                        && (!flows(x, y, d, bytes)
                                || !flows(y, x, d, bytes)
                                || (shown[y].held() && !graph.sends(shown[y], x, d.collection(), d.id())))) continue;
                if (refusesAsZombie(y, bytes[x], bytes[y])) {
                    zombieExemptions++;
                    continue;
                }
                if (goneAfterRemoval(y, d, shown)) continue;
                deliveries++;
                List<ModelWrite> missing = known[y].notIncluded(known[x]);
                missing.removeIf(w -> dropped(y, d, w));
                if (!missing.isEmpty()) {
                    divergence(d + ": peer " + y + " subscribes to it but has not received " + describe(missing)
                            + ", which its neighbour " + x + " holds" + everyone(d, shown));
                }
            }
        }

        /**
         * Whether {@code y} refuses {@code state} by the zombie rule ({@link ZombieRule#refuses}, the engine's one
         * implementation of it): y holds no row (or only a tombstone older than its horizon) and the state is entirely
         * older than y's horizon. Such a state may
         * be the live copy of a document y deleted and purged, or live data that reached y only after the horizon
         * passed it (the rule's documented trade-off): either way y need not hold it, nor agree on it with x. Every
         * refusal made during the run was checked against the same rule (TrackedStore).
         */
        private boolean refusesAsZombie(int y, byte[] state, byte @Nullable [] heldAtY) {
            if (state == null) return false;
            return ZombieRule.refuses(
                    heldAtY == null ? null : DocumentState.decode(heldAtY),
                    DocumentState.decode(state),
                    s.peers.get(y).horizon());
        }

        /**
         * Whether {@code p} held {@code w} when it removed its row of {@code d} (EVICT, purge, zombie eviction): a
         * removal triggers no resync, so a neighbour that had sent it before does not send it again until its own
         * state of the document changes.
         */
        private boolean dropped(int p, DocKey d, ModelWrite w) {
            for (Knowledge.Removal r : s.removals) {
                if (r.peer() == p && r.doc().equals(d) && r.held().includes(w)) return true;
            }
            return false;
        }

        // ---- 4. zombies -----------------------------------------------------------------------------------------

        /**
         * A replica that purged a tombstone of d must not show what the deletes in it hid. The engine's rule refuses
         * states entirely older than the horizon; fields from before a purged delete that come back together with a
         * newer write of the document (a state that mixes both, from a peer that missed the delete) are a known limit
         * of that rule (docs/SIMULATOR.md, "Known engine limits"): counted, not failed.
         */
        private void zombies(DocKey d, Observed[] shown, DocumentModel[] known) {
            for (int p = 0; p < n; p++) {
                List<ModelWrite> purged = purgedDeletes(p, d);
                if (purged.isEmpty() || !shown[p].held()) continue;
                zombieChecks++;
                DocumentModel k = known[p];
                if (!k.exists()) continue;
                // what the purged deletes hid: writes older than the latest of them that still shape the document
                // (writes made after it — by a peer that forgot the delete with its tombstone, say — are new data)
                ModelStamp latestDelete = ModelStamp.ZERO;
                for (ModelWrite del : purged) latestDelete = ModelStamp.max(latestDelete, del.stamp());
                List<ModelWrite> back = new ArrayList<>();
                boolean carriedByANewerWrite = false;
                for (ModelWrite w : k.writes()) {
                    if (w.stamp().after(latestDelete)) carriedByANewerWrite = true;
                    else if (k.shows(w)) back.add(w);
                }
                if (back.isEmpty()) continue;
                String what = d + " came back at peer " + p + ", which had purged its tombstone (" + describe(purged)
                        + "): it shows " + shown[p] + ", shaped by the older " + describe(back) + k.describe()
                        + removals(d);
                if (carriedByANewerWrite) {
                    husks++;
                    if (huskDetails.size() < 3) huskDetails.add(what);
                } else {
                    modelProblems.add(what + "\n  (every write it holds is older than the purged delete)");
                }
            }
        }

        private List<ModelWrite> purgedDeletes(int p, DocKey d) {
            List<ModelWrite> out = new ArrayList<>();
            for (Knowledge.Removal r : s.removals) {
                if (r.peer() != p || !r.doc().equals(d) || r.kind() != Knowledge.RemovalKind.PURGE) continue;
                for (ModelWrite w : r.held().writes()) if (w.isDelete() && !out.contains(w)) out.add(w);
            }
            return out;
        }

        // ---- reports --------------------------------------------------------------------------------------------

        /** Every peer's subscriptions to the document's collection and state of it, for a divergence report. */
        private String everyone(DocKey d, Observed[] shown) {
            return graph.describePeers(
                            d.collection(),
                            p -> (s.removedEver(p, d) ? ", removed it once" : "")
                                    + (s.roles == null ? "" : ", " + s.roles[p]),
                            p -> shown[p] + "; received "
                                    + s.peers.get(p).known().getOrDefault(d, DocumentModel.empty()))
                    + removals(d);
        }

        private String removals(DocKey d) {
            StringBuilder sb = new StringBuilder();
            for (Knowledge.Removal r : s.removals) {
                if (r.doc().equals(d))
                    sb.append(sb.length() == 0 ? "\n  removed: " : ", ")
                            .append(r.kind().name().toLowerCase(java.util.Locale.ROOT))
                            .append(" at peer ")
                            .append(r.peer())
                            .append(" after ")
                            .append(r.writesBefore())
                            .append(" writes");
            }
            return sb.toString();
        }
    }
}
