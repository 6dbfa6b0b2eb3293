package io.starling.internal.sync;

import io.starling.internal.core.CodecException;
import io.starling.internal.core.Path;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.crdt.FieldOp;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link SyncStoreView} over maps, with the engine's semantics as SYNC-PROTOCOL.md describes them: one change
 * sequence (a changed row moves to the end, a transaction's rows share a group), merges through
 * {@link DocumentState#merge} that take a sequence number only when they change something, checkpoints written in
 * the same "transaction" as the merge, a zombie horizon, eviction, and a switch that refuses every merge (clock
 * drift). Subscription queries are a tiny language: {@code SELECT * FROM c} (every live document) or
 * {@code SELECT * FROM c WHERE field = value} with an integer or a quoted string value.
 */
final class FakeStore implements SyncStoreView {
    final long peerId;
    final String appId;
    long incarnation;
    private long seq;
    private long version; // moves with every change, evictions included
    private final Map<DocRef, Rec> docs = new HashMap<>();
    private final TreeMap<Long, Rec> bySeq = new TreeMap<>();
    private final Map<Long, Checkpoint> checkpoints = new HashMap<>();
    long horizon;
    boolean rejectAll;
    /** No space left: every apply throws {@link StoreFullException}. */
    boolean full;
    /** Subscriptions the application registered (the harness gives them to every session). */
    List<Subscription> subscriptions = List.of();
    /** Every apply call: the documents, and whether a checkpoint went with them. */
    final List<List<Doc>> applyCalls = new ArrayList<>();
    /** Every checkpoint stored, in order: what a crash at any moment could leave behind. */
    final List<Checkpoint> checkpointWrites = new ArrayList<>();

    /**
     * What the peer remembers of the peers it met (resumed sessions): lives as long as the peer's process, so a test
     * restarts the peer by replacing it ({@link #restart()}); null: a store that keeps none.
     */
    ResumeMemory memory = new ResumeMemory();

    /** Deltas computed ({@link #deltaOf}), for the test that the sender asks the store for them. */
    int deltasComputed;

    /** The peer restarted: its store is as it was, what it remembered in memory of other peers is gone. */
    void restart() {
        memory = new ResumeMemory();
    }

    @Override
    public ResumeMemory resumeMemory() {
        return memory;
    }

    @Override
    public byte[] deltaOf(Row row) {
        deltasComputed++;
        return SyncStoreView.super.deltaOf(row);
    }

    int rowReads;
    /** The largest maxRows any read asked for. */
    int maxRowsAsked;

    private static final class Rec {
        final String collection;
        final byte[] id;
        long seq, group;
        byte[] state;
        boolean live;

        Rec(String collection, byte[] id) {
            this.collection = collection;
            this.id = id;
        }

        Row row() {
            return new Row(seq, group, collection, id, live, state);
        }
    }

    FakeStore(long peerId) {
        this(peerId, "app", peerId * 1_000_003L + 17);
    }

    FakeStore(long peerId, String appId, long incarnation) {
        this.peerId = peerId;
        this.appId = appId;
        this.incarnation = incarnation;
    }

    static byte[] id(String id) {
        return id.getBytes(StandardCharsets.UTF_8);
    }

    static DocRef ref(String collection, String id) {
        return new DocRef(collection, id(id));
    }

    // ---- local writes ---------------------------------------------------------------------------------

    /** A local transaction: each write gets the next sequence, all in one group. */
    final class Txn {
        private long group = -1;

        Txn insert(String c, String id, Value.Obj fields, long hlc) {
            return put(c, id, state(c, id).insert(fields, new Stamp(hlc, peerId)));
        }

        Txn update(String c, String id, String field, Value v, long hlc) {
            return put(c, id, state(c, id).update(List.of(new FieldOp.Set(Path.of(field), v)), new Stamp(hlc, peerId)));
        }

        Txn delete(String c, String id, long hlc) {
            return put(c, id, state(c, id).delete(new Stamp(hlc, peerId)));
        }

        Txn put(String c, String id, DocumentState s) {
            if (group < 0) group = seq + 1;
            write(new DocRef(c, id(id)), s.encode(), s.exists(), group);
            return this;
        }
    }

    Txn txn() {
        return new Txn();
    }

    /** Stores bytes as a document's state as they are (a damaged row, or one an older version wrote). */
    void putRaw(String c, String id, byte[] state) {
        write(new DocRef(c, id(id)), state, true, seq + 1);
    }

    void insert(String c, String id, Value.Obj fields, long hlc) {
        txn().insert(c, id, fields, hlc);
    }

    void update(String c, String id, String field, Value v, long hlc) {
        txn().update(c, id, field, v, hlc);
    }

    void delete(String c, String id, long hlc) {
        txn().delete(c, id, hlc);
    }

    private void write(DocRef ref, byte[] state, boolean live, long group) {
        Rec r = docs.get(ref);
        if (r == null) {
            r = new Rec(ref.collection(), ref.id());
            docs.put(ref, r);
        } else {
            bySeq.remove(r.seq);
        }
        r.seq = ++seq;
        r.group = group;
        r.state = state;
        r.live = live;
        bySeq.put(r.seq, r);
        version++;
    }

    DocumentState state(String c, String id) {
        Rec r = docs.get(new DocRef(c, id(id)));
        return r == null ? DocumentState.empty() : DocumentState.decode(r.state);
    }

    byte[] bytes(DocRef ref) {
        Rec r = docs.get(ref);
        return r == null ? null : r.state;
    }

    boolean holds(String c, String id) {
        return docs.containsKey(new DocRef(c, id(id)));
    }

    Value field(String c, String id, String field) {
        Value.Obj f = state(c, id).fields();
        return f == null ? null : f.get(field);
    }

    /** Every held document, by reference. */
    Map<DocRef, byte[]> all() {
        Map<DocRef, byte[]> m = new LinkedHashMap<>();
        for (Rec r : bySeq.values()) m.put(new DocRef(r.collection, r.id), r.state);
        return m;
    }

    /** Every row with a sequence at or below {@code seq}, by sequence (not counted as a read of the session's). */
    List<Row> rowsUpTo(long seq) {
        List<Row> rows = new ArrayList<>();
        for (Rec r : bySeq.headMap(seq, true).values()) rows.add(r.row());
        return rows;
    }

    long version() {
        return version;
    }

    int size() {
        return docs.size();
    }

    /** Replaces the store (restored from elsewhere): a new incarnation, so checkpoints held by others are void. */
    void newIncarnation(long inc) {
        incarnation = inc;
    }

    // ---- SyncStoreView --------------------------------------------------------------------------------

    @Override
    public long peerId() {
        return peerId;
    }

    @Override
    public long incarnation() {
        return incarnation;
    }

    @Override
    public String appId() {
        return appId;
    }

    @Override
    public long lastSequence() {
        return seq;
    }

    @Override
    public List<Row> changesSince(long after, int maxRows) {
        maxRowsAsked = Math.max(maxRowsAsked, maxRows);
        List<Row> rows = new ArrayList<>();
        for (Rec r : bySeq.tailMap(after, false).values()) {
            if (rows.size() == maxRows) break;
            rows.add(r.row());
        }
        rowReads += rows.size();
        return rows;
    }

    private List<Row> scan(String collection, byte[] afterId, int maxRows, java.util.function.Predicate<Rec> filter) {
        maxRowsAsked = Math.max(maxRowsAsked, maxRows);
        List<Rec> recs = new ArrayList<>();
        for (Rec r : docs.values()) {
            if (r.collection.equals(collection)
                    && (afterId == null || Arrays.compareUnsigned(r.id, afterId) > 0)
                    && filter.test(r)) {
                recs.add(r);
            }
        }
        recs.sort(Comparator.comparing((Rec r) -> r.id, Arrays::compareUnsigned));
        List<Row> rows = new ArrayList<>();
        for (Rec r : recs) {
            if (rows.size() == maxRows) break;
            rows.add(r.row());
        }
        rowReads += rows.size();
        return rows;
    }

    @Override
    public List<Row> scanMatching(Subscription subscription, byte[] afterId, int maxRows) {
        return scan(subscription.collection(), afterId, maxRows, r -> r.live && matches(subscription, r.row()));
    }

    @Override
    public List<Row> scanCollection(String collection, byte[] afterId, int maxRows) {
        return scan(collection, afterId, maxRows, r -> true);
    }

    @Override
    public boolean matches(Subscription s, Row row) {
        if (!row.live() || !row.collection().equals(s.collection())) return false;
        String q = s.query().trim();
        int where = q.indexOf(" WHERE ");
        if (where < 0) return true;
        q = q.substring(where + 7);
        int eq = q.indexOf('=');
        if (eq < 0) return false;
        String field = q.substring(0, eq).trim();
        String lit = q.substring(eq + 1).trim();
        Value want = lit.startsWith("'") ? Value.of(lit.substring(1, lit.length() - 1)) : Value.of(Long.parseLong(lit));
        Value.Obj fields = DocumentState.decode(row.state()).fields();
        return fields != null && want.equals(fields.get(field));
    }

    @Override
    public Row rowOf(String collection, byte[] id) {
        Rec r = docs.get(new DocRef(collection, id));
        return r == null ? null : r.row();
    }

    @Override
    public boolean holdsAny(String collection) {
        for (DocRef ref : docs.keySet()) {
            if (ref.collection().equals(collection)) return true;
        }
        return false;
    }

    @Override
    public List<String> collections() {
        java.util.TreeSet<String> names = new java.util.TreeSet<>();
        for (DocRef ref : docs.keySet()) names.add(ref.collection());
        return List.copyOf(names);
    }

    @Override
    public ApplyResult apply(long fromPeer, List<Doc> batch, Checkpoint checkpoint) {
        return apply(fromPeer, batch, checkpoint, Principal.UNRESTRICTED);
    }

    /** As the engine: each change judged by the remote's principal (the rule itself), a denied one left out alone. */
    @Override
    public ApplyResult apply(long fromPeer, List<Doc> batch, Checkpoint checkpoint, Principal principal) {
        if (rejectAll)
            throw new RemoteRejectedException(SyncSession.CLOCK_DRIFT, "a timestamp is too far ahead of our clock");
        if (full) throw new StoreFullException("no space left to write the database");
        List<DocRef> zombies = new ArrayList<>();
        List<DocRef> behind = new ArrayList<>();
        List<SyncStoreView.Refusal> refused = new ArrayList<>();
        List<DocRef> denied = new ArrayList<>();
        long group = seq + 1;
        for (Doc d : batch) {
            DocRef ref = d.ref();
            Rec r = docs.get(ref);
            DocumentState remote;
            try {
                remote = DocumentState.decode(d.state());
            } catch (CodecException e) { // refused alone, as the engine does
                refused.add(new SyncStoreView.Refusal(ref, "state does not decode: " + e.getMessage()));
                continue;
            }
            DocumentState stored = r == null ? null : DocumentState.decode(r.state);
            if (ZombieRule.refuses(stored, remote, horizon)) { // the engine's rule itself
                zombies.add(ref);
                continue;
            }
            DocumentState local = stored == null ? DocumentState.empty() : stored;
            DocumentState merged = local.merge(remote);
            byte[] bytes = merged.encode();
            if (r != null && Arrays.equals(bytes, r.state)) {
                if (!Arrays.equals(bytes, d.state())) behind.add(ref);
                continue;
            }
            if (!principal.mayApply(ref.collection(), ref.id(), r == null ? null : local, merged)) {
                denied.add(ref);
                continue;
            }
            write(ref, bytes, merged.exists(), group);
        }
        if (checkpoint != null && behind.isEmpty() && zombies.isEmpty()) { // as the engine: not past a push-back
            // owed, nor past a zombie refused (a later session must refuse it again)
            checkpoints.put(fromPeer, checkpoint);
            checkpointWrites.add(checkpoint);
        }
        applyCalls.add(List.copyOf(batch));
        return new ApplyResult(zombies, behind, refused, denied);
    }

    @Override
    public Checkpoint checkpoint(long senderPeerId) {
        return checkpoints.get(senderPeerId);
    }

    @Override
    public void evict(List<DocRef> refs) {
        for (DocRef ref : refs) {
            Rec r = docs.remove(ref);
            if (r != null) {
                bySeq.remove(r.seq);
                version++;
            }
        }
    }

    @Override
    public long tombstoneHorizon() {
        return horizon;
    }

    @Override
    public String toString() {
        return "store " + peerId;
    }
}
