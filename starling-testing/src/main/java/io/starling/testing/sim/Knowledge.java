package io.starling.testing.sim;

import io.starling.testing.model.DocumentModel;
import io.starling.testing.model.ModelWrite;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/*
 * Design note — what each replica has received.
 *
 * The checks need, for every replica and document, the set of acknowledged writes the replica has received — its
 * knowledge — so that the model can say what it must show. The simulator follows the data instead of asking the
 * engine: a local write adds itself to the writer's knowledge; a state a session applies carries the knowledge the
 * sender had when it held exactly those bytes (each replica's states are recorded with the knowledge behind them,
 * by fingerprint, whenever they change); EVICT, a tombstone purge and the eviction of a refused zombie empty it.
 * Nothing here decodes a document state or merges anything: knowledge is a set of writes, merged by union.
 *
 * Server nodes over one shared store are one replica: they hold the same rows, so they share one knowledge (every
 * method maps a peer to its replica), and a removal by one node is recorded for each of them.
 */

/** Per replica and document: the writes received (a {@link DocumentModel}), the states held, removals, horizons. */
final class Knowledge {
    /** How a replica lost its row of a document without a write: each is permitted by the rules, and recorded. */
    enum RemovalKind {
        EVICT,
        PURGE,
        ZOMBIE
    }

    /** {@code peer} removed its row of {@code doc} (holding {@code held}) after {@code writesBefore} acknowledged writes. */
    record Removal(int peer, DocKey doc, RemovalKind kind, int writesBefore, long time, DocumentModel held) {}

    private final List<TreeMap<DocKey, DocumentModel>> current = new ArrayList<>();
    private final List<Map<DocKey, Map<Long, DocumentModel>>> history = new ArrayList<>();
    private final long[] horizon;
    /** The replica of each peer: itself, or for a server node the first node of its cluster. */
    private final int[] replicaOf;

    final List<Removal> removals = new ArrayList<>();

    /** {@code replicaOf[p]}: the replica peer {@code p} is (peers that share a store share one). */
    Knowledge(int[] replicaOf) {
        this.replicaOf = replicaOf.clone();
        for (int i = 0; i < replicaOf.length; i++) {
            current.add(new TreeMap<>());
            history.add(new HashMap<>());
        }
        horizon = new long[replicaOf.length];
    }

    DocumentModel of(int peer, DocKey doc) {
        return current.get(replicaOf[peer]).getOrDefault(doc, DocumentModel.empty());
    }

    /** Every document the replica has received a write of (and not removed since). */
    TreeMap<DocKey, DocumentModel> all(int peer) {
        return current.get(replicaOf[peer]);
    }

    /** The replica now holds {@code state} of {@code doc}, and knows {@code known}. */
    void set(int peer, DocKey doc, DocumentModel known, byte @Nullable [] state) {
        int r = replicaOf[peer];
        if (known.isEmpty()) current.get(r).remove(doc);
        else current.get(r).put(doc, known);
        if (state != null)
            history.get(r).computeIfAbsent(doc, k -> new HashMap<>()).put(fingerprint(state), known);
    }

    /** The knowledge the replica had when it held exactly {@code state} of {@code doc}; null if it never held it. */
    @Nullable
    DocumentModel heldAs(int peer, DocKey doc, byte[] state) {
        Map<Long, DocumentModel> h = history.get(replicaOf[peer]).get(doc);
        return h == null ? null : h.get(fingerprint(state));
    }

    void remove(int peer, DocKey doc, RemovalKind kind, int writesBefore, long time) {
        DocumentModel held = of(peer, doc);
        current.get(replicaOf[peer]).remove(doc);
        for (int p = 0; p < replicaOf.length; p++) {
            if (replicaOf[p] == replicaOf[peer]) removals.add(new Removal(p, doc, kind, writesBefore, time, held));
        }
    }

    long horizon(int peer) {
        return horizon[replicaOf[peer]];
    }

    void raiseHorizon(int peer, long hlc) {
        int r = replicaOf[peer];
        horizon[r] = Math.max(horizon[r], hlc);
    }

    /** Whether {@code peer} ever removed its row of {@code doc} (EVICT, purge, zombie). */
    boolean removedEver(int peer, DocKey doc) {
        for (Removal r : removals) if (r.peer() == peer && r.doc().equals(doc)) return true;
        return false;
    }

    /** The DELETEs held in tombstones of {@code doc} that {@code peer} purged. */
    List<ModelWrite> purgedDeletes(int peer, DocKey doc) {
        List<ModelWrite> out = new ArrayList<>();
        for (Removal r : removals) {
            if (r.peer() != peer || !r.doc().equals(doc) || r.kind() != RemovalKind.PURGE) continue;
            for (ModelWrite w : r.held().writes()) if (w.isDelete() && !out.contains(w)) out.add(w);
        }
        return out;
    }

    /** Two hardware-assisted checksums of the bytes, and their length: states are told apart by content. */
    static long fingerprint(byte[] b) {
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        c.update(b);
        java.util.zip.CRC32 d = new java.util.zip.CRC32();
        d.update(b);
        return (c.getValue() << 32 | d.getValue()) ^ ((long) b.length * 0x9E3779B97F4A7C15L);
    }
}
