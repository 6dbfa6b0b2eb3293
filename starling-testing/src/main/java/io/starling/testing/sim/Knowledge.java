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
    final List<Removal> removals = new ArrayList<>();

    Knowledge(int peers) {
        for (int i = 0; i < peers; i++) {
            current.add(new TreeMap<>());
            history.add(new HashMap<>());
        }
        horizon = new long[peers];
    }

    DocumentModel of(int peer, DocKey doc) {
        return current.get(peer).getOrDefault(doc, DocumentModel.empty());
    }

    /** Every document the replica has received a write of (and not removed since). */
    TreeMap<DocKey, DocumentModel> all(int peer) {
        return current.get(peer);
    }

    /** The replica now holds {@code state} of {@code doc}, and knows {@code known}. */
    void set(int peer, DocKey doc, DocumentModel known, byte @Nullable [] state) {
        if (known.isEmpty()) current.get(peer).remove(doc);
        else current.get(peer).put(doc, known);
        if (state != null)
            history.get(peer).computeIfAbsent(doc, k -> new HashMap<>()).put(fingerprint(state), known);
    }

    /** The knowledge the replica had when it held exactly {@code state} of {@code doc}; null if it never held it. */
    @Nullable
    DocumentModel heldAs(int peer, DocKey doc, byte[] state) {
        Map<Long, DocumentModel> h = history.get(peer).get(doc);
        return h == null ? null : h.get(fingerprint(state));
    }

    void remove(int peer, DocKey doc, RemovalKind kind, int writesBefore, long time) {
        DocumentModel held = of(peer, doc);
        current.get(peer).remove(doc);
        removals.add(new Removal(peer, doc, kind, writesBefore, time, held));
    }

    long horizon(int peer) {
        return horizon[peer];
    }

    void raiseHorizon(int peer, long hlc) {
        horizon[peer] = Math.max(horizon[peer], hlc);
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
