package io.starling.testing.sim;

import io.starling.internal.sync.Subscription;
import io.starling.internal.sync.SyncStoreView;
import io.starling.testing.model.DocumentModel;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * What the checks look at, captured after the quiesce phase: every peer's stored rows (encoded document states,
 * tombstones included), subscriptions, what it has received (its knowledge: the writes, per document) and its
 * tombstone horizon; the topology, the acknowledged writes, every removal (EVICT, purge, zombie eviction), the
 * problems found while the run went on, and the run's counters. A plain value detached from the engines, so that
 * tests can plant a divergence or a lost write in a copy.
 */
final class FinalState {
    /** One peer's final state. {@code rows} maps each document it holds to its encoded state. */
    public record PeerState(
            int index,
            long site,
            List<Subscription> subscriptions,
            TreeMap<DocKey, byte[]> rows,
            TreeMap<DocKey, DocumentModel> known,
            long horizon) {}

    final List<PeerState> peers;
    final List<int[]> edges;
    final List<AckedWrite> writes;
    final List<Knowledge.Removal> removals;
    final List<String> problems;
    final int problemCount;
    final Simulation.Stats stats;
    /** Each peer's online identity in runs with identities, else null. */
    Role @org.jspecify.annotations.Nullable [] roles;

    FinalState(
            List<PeerState> peers,
            List<int[]> edges,
            List<AckedWrite> writes,
            List<Knowledge.Removal> removals,
            List<String> problems,
            int problemCount,
            Simulation.Stats stats) {
        this.peers = peers;
        this.edges = edges;
        this.writes = writes;
        this.removals = removals;
        this.problems = problems;
        this.problemCount = problemCount;
        this.stats = stats;
    }

    static FinalState capture(Simulation sim) {
        List<PeerState> peers = new ArrayList<>();
        for (SimPeer p : sim.peers) {
            TreeMap<DocKey, byte[]> rows = new TreeMap<>();
            for (String c : Workload.COLLECTIONS) {
                for (SyncStoreView.Row r : p.store().scanCollection(c, null, Integer.MAX_VALUE))
                    rows.put(DocKey.decode(c, r.id()), r.state());
            }
            peers.add(new PeerState(
                    p.index,
                    p.site,
                    List.copyOf(p.db().currentSubscriptions()),
                    rows,
                    new TreeMap<>(sim.knowledge.all(p.index)),
                    sim.knowledge.horizon(p.index)));
        }
        List<int[]> edges = new ArrayList<>();
        edges.addAll(sim.dataEdges());
        FinalState state = new FinalState(
                peers,
                edges,
                List.copyOf(sim.workload.writes),
                List.copyOf(sim.knowledge.removals),
                List.copyOf(sim.problems),
                sim.problemCount,
                sim.stats);
        state.roles = sim.roles;
        return state;
    }

    /** A deep copy (of what tests plant into). */
    public FinalState copy() {
        List<PeerState> ps = new ArrayList<>();
        for (PeerState p : peers) {
            TreeMap<DocKey, byte[]> rows = new TreeMap<>();
            p.rows().forEach((k, v) -> rows.put(k, v.clone()));
            ps.add(new PeerState(p.index(), p.site(), p.subscriptions(), rows, new TreeMap<>(p.known()), p.horizon()));
        }
        FinalState copy = new FinalState(
                ps,
                new ArrayList<>(edges),
                new ArrayList<>(writes),
                new ArrayList<>(removals),
                new ArrayList<>(problems),
                problemCount,
                stats);
        copy.roles = roles;
        return copy;
    }

    public List<PeerState> peers() {
        return peers;
    }

    public List<AckedWrite> writes() {
        return writes;
    }

    /** Replaces (or, with null, removes) the stored state of a document at a peer. */
    public void plant(int peer, DocKey doc, byte[] state) {
        if (state == null) peers.get(peer).rows().remove(doc);
        else peers.get(peer).rows().put(doc, state);
    }

    /** Replaces what a peer is recorded to have received of a document. */
    public void plantKnowledge(int peer, DocKey doc, DocumentModel known) {
        if (known.isEmpty()) peers.get(peer).known().remove(doc);
        else peers.get(peer).known().put(doc, known);
    }

    /** Whether {@code peer} ever removed its row of {@code doc} (EVICT, purge, zombie eviction). */
    boolean removedEver(int peer, DocKey doc) {
        for (Knowledge.Removal r : removals) if (r.peer() == peer && r.doc().equals(doc)) return true;
        return false;
    }
}
