package io.starling.testing.sim;

import io.starling.internal.core.Value;
import io.starling.internal.index.IndexKeyCodec;
import io.starling.internal.sync.Subscription;
import io.starling.internal.sync.SyncStoreView;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * What the checks look at, captured after the quiesce phase: every peer's stored rows (encoded document states,
 * tombstones included) and subscriptions, the topology, the acknowledged writes and the evictions. A plain value
 * detached from the engines, so that tests can plant a divergence or a lost write in a copy.
 */
final class FinalState {
    /** One peer's final state. {@code rows} maps each document it holds to its encoded state. */
    public record PeerState(int index, long site, List<Subscription> subscriptions, TreeMap<DocKey, byte[]> rows) {}

    final List<PeerState> peers;
    final List<int[]> edges;
    final List<AckedWrite> writes;
    final List<Workload.Eviction> evictions;

    FinalState(List<PeerState> peers, List<int[]> edges, List<AckedWrite> writes, List<Workload.Eviction> evictions) {
        this.peers = peers;
        this.edges = edges;
        this.writes = writes;
        this.evictions = evictions;
    }

    static FinalState capture(Simulation sim) {
        List<PeerState> peers = new ArrayList<>();
        for (SimPeer p : sim.peers) {
            TreeMap<DocKey, byte[]> rows = new TreeMap<>();
            SyncStoreView view = p.db().syncStore();
            for (String c : Workload.COLLECTIONS) {
                for (SyncStoreView.Row r : view.scanCollection(c, null, Integer.MAX_VALUE)) {
                    Value id = IndexKeyCodec.decodeId(r.id());
                    rows.put(new DocKey(c, ((Value.Int) id).value()), r.state());
                }
            }
            peers.add(new PeerState(p.index, p.site, List.copyOf(p.db().currentSubscriptions()), rows));
        }
        List<int[]> edges = new ArrayList<>();
        for (Link l : sim.links) edges.add(new int[] {l.a.index, l.b.index});
        List<AckedWrite> writes = new ArrayList<>();
        for (AckedWrite w : sim.workload.writes) writes.add(w.copy());
        return new FinalState(peers, edges, writes, List.copyOf(sim.workload.evictions));
    }

    /** A deep copy. */
    public FinalState copy() {
        List<PeerState> ps = new ArrayList<>();
        for (PeerState p : peers) {
            TreeMap<DocKey, byte[]> rows = new TreeMap<>();
            p.rows().forEach((k, v) -> rows.put(k, v.clone()));
            ps.add(new PeerState(p.index(), p.site(), p.subscriptions(), rows));
        }
        List<AckedWrite> ws = new ArrayList<>();
        for (AckedWrite w : writes) ws.add(w.copy());
        return new FinalState(ps, new ArrayList<>(edges), ws, new ArrayList<>(evictions));
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
}
