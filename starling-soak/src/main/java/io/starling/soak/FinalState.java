package io.starling.soak;

import io.starling.internal.crdt.DocumentState;
import io.starling.internal.sync.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * What the checks look at, captured once the healed peers are quiet: every peer's stored rows (encoded document
 * states, tombstones included) and subscriptions, the links, and what the workload recorded (acknowledged writes,
 * evictions, writes whose outcome a SIGKILL hid). A plain value, detached from the peers, so that tests can plant a
 * divergence or a lost write in a copy.
 */
record FinalState(
        List<PeerState> peers,
        List<int[]> edges,
        List<SoakWrite> writes,
        List<Eviction> evictions,
        List<Indeterminate> indeterminate) {

    /** One peer's final state: each document it holds, with its encoded state. */
    record PeerState(int index, long site, List<Subscription> subscriptions, TreeMap<DocRef, byte[]> rows) {
        DocumentState state(DocRef d) {
            byte[] b = rows.get(d);
            return b == null ? DocumentState.empty() : DocumentState.decode(b);
        }
    }

    /**
     * {@code peer} evicted {@code doc} when {@code writesBefore} writes had been acknowledged. {@code heldAt} maps each
     * earlier write of that peer to that document to the peers whose state included it right after the eviction:
     * where it had got to (an eviction discards local writes that reached nobody).
     */
    record Eviction(int peer, DocRef doc, int writesBefore, Map<Integer, Set<Integer>> heldAt) {}

    /** A statement in flight when its peer was killed: it may or may not have committed. */
    record Indeterminate(int peer, DocRef doc, SoakPlan.Stmt stmt) {}

    /** A copy whose rows can be changed (tests plant failures in copies). */
    FinalState copy() {
        List<PeerState> ps = new ArrayList<>();
        for (PeerState p : peers) {
            TreeMap<DocRef, byte[]> rows = new TreeMap<>();
            p.rows().forEach((k, v) -> rows.put(k, v.clone()));
            ps.add(new PeerState(p.index(), p.site(), p.subscriptions(), rows));
        }
        return new FinalState(ps, edges, new ArrayList<>(writes), new ArrayList<>(evictions), indeterminate);
    }

    /** Replaces (or, with null, removes) a peer's stored state of a document. */
    void plant(int peer, DocRef doc, byte @Nullable [] state) {
        if (state == null) peers.get(peer).rows().remove(doc);
        else peers.get(peer).rows().put(doc, state);
    }
}
