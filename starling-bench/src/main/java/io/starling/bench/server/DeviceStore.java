package io.starling.bench.server;

import io.starling.internal.core.CodecException;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.sync.Principal;
import io.starling.internal.sync.Subscription;
import io.starling.internal.sync.SyncStoreView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The local state of one simulated device: a {@link SyncStoreView} over maps (a few dozen documents), with the
 * engine's semantics for what a session needs — one change sequence (a changed row moves to the end), merges through
 * {@link DocumentState#merge} that take a sequence number only when they change something, the checkpoint stored with
 * the merge, "behind" when the merge keeps our state. Subscription queries of the server are {@code SELECT * FROM c}
 * (every live document of a collection); anything else matches nothing. Not thread-safe: its {@link LoadDevice}
 * calls it under the device's lock.
 */
final class DeviceStore implements SyncStoreView {
    private final long peerId;
    private final long incarnation;
    private final String appId;
    private final Consumer<DocRef> firstSeen;
    private long seq;
    private final Map<DocRef, Rec> docs = new HashMap<>();
    private final TreeMap<Long, Rec> bySeq = new TreeMap<>();
    private final Map<Long, Checkpoint> checkpoints = new HashMap<>();

    private static final class Rec {
        final String collection;
        final byte[] id;
        long seq;
        byte[] state = new byte[0];
        boolean live;

        Rec(String collection, byte[] id) {
            this.collection = collection;
            this.id = id;
        }

        Row row() {
            return new Row(seq, seq, collection, id, live, state);
        }
    }

    /** @param firstSeen told of every document this store receives from the server and did not hold before */
    DeviceStore(long peerId, long incarnation, String appId, Consumer<DocRef> firstSeen) {
        this.peerId = peerId;
        this.incarnation = incarnation;
        this.appId = appId;
        this.firstSeen = firstSeen;
    }

    /** A local write: the state becomes the document's, with the next sequence number. */
    void put(String collection, byte[] id, byte[] state) {
        write(new DocRef(collection, id), state, true);
    }

    int size() {
        return docs.size();
    }

    private void write(DocRef ref, byte[] state, boolean live) {
        Rec r = docs.get(ref);
        if (r == null) {
            r = new Rec(ref.collection(), ref.id());
            docs.put(ref, r);
        } else {
            bySeq.remove(r.seq);
        }
        r.seq = ++seq;
        r.state = state;
        r.live = live;
        bySeq.put(r.seq, r);
    }

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
        List<Row> rows = new ArrayList<>();
        for (Rec r : bySeq.tailMap(after, false).values()) {
            if (rows.size() == maxRows) break;
            rows.add(r.row());
        }
        return rows;
    }

    private List<Row> scan(String collection, byte @Nullable [] afterId, int maxRows, boolean liveOnly) {
        List<Rec> recs = new ArrayList<>();
        for (Rec r : docs.values()) {
            if (r.collection.equals(collection)
                    && (!liveOnly || r.live)
                    && (afterId == null || Arrays.compareUnsigned(r.id, afterId) > 0)) recs.add(r);
        }
        recs.sort(Comparator.comparing((Rec r) -> r.id, Arrays::compareUnsigned));
        List<Row> rows = new ArrayList<>();
        for (Rec r : recs) {
            if (rows.size() == maxRows) break;
            rows.add(r.row());
        }
        return rows;
    }

    @Override
    public List<Row> scanMatching(Subscription subscription, byte @Nullable [] afterId, int maxRows) {
        if (!matchesAll(subscription)) return List.of();
        return scan(subscription.collection(), afterId, maxRows, true);
    }

    @Override
    public List<Row> scanCollection(String collection, byte @Nullable [] afterId, int maxRows) {
        return scan(collection, afterId, maxRows, false);
    }

    @Override
    public boolean matches(Subscription subscription, Row row) {
        return row.live() && row.collection().equals(subscription.collection()) && matchesAll(subscription);
    }

    /** True for {@code SELECT * FROM c} (what the server subscribes to); other queries match nothing here. */
    private static boolean matchesAll(Subscription s) {
        return s.query().trim().replaceAll("\\s+", " ").equalsIgnoreCase("SELECT * FROM " + s.collection());
    }

    @Override
    public @Nullable Row rowOf(String collection, byte[] id) {
        Rec r = docs.get(new DocRef(collection, id));
        return r == null ? null : r.row();
    }

    @Override
    public boolean holdsAny(String collection) {
        for (DocRef ref : docs.keySet()) if (ref.collection().equals(collection)) return true;
        return false;
    }

    @Override
    public List<String> collections() {
        java.util.Set<String> names = new java.util.TreeSet<>();
        for (DocRef ref : docs.keySet()) names.add(ref.collection());
        return List.copyOf(names);
    }

    @Override
    public ApplyResult apply(long fromPeer, List<Doc> batch, @Nullable Checkpoint checkpoint) {
        return apply(fromPeer, batch, checkpoint, Principal.UNRESTRICTED);
    }

    @Override
    public ApplyResult apply(long fromPeer, List<Doc> batch, @Nullable Checkpoint checkpoint, Principal remote) {
        List<DocRef> behind = new ArrayList<>();
        List<Refusal> refused = new ArrayList<>();
        for (Doc d : batch) {
            DocRef ref = d.ref();
            Rec r = docs.get(ref);
            DocumentState incoming;
            try {
                incoming = DocumentState.decode(d.state());
            } catch (CodecException e) {
                refused.add(new Refusal(ref, "state does not decode: " + e.getMessage()));
                continue;
            }
            if (r == null) {
                write(ref, d.state(), incoming.exists());
                firstSeen.accept(ref);
                continue;
            }
            byte[] merged = DocumentState.decode(r.state).merge(incoming).encode();
            if (Arrays.equals(merged, r.state)) {
                if (!Arrays.equals(merged, d.state())) behind.add(ref);
                continue;
            }
            write(ref, merged, DocumentState.decode(merged).exists());
        }
        if (checkpoint != null && behind.isEmpty()) checkpoints.put(fromPeer, checkpoint);
        return new ApplyResult(List.of(), behind, refused);
    }

    @Override
    public @Nullable Checkpoint checkpoint(long senderPeerId) {
        return checkpoints.get(senderPeerId);
    }

    @Override
    public void evict(List<DocRef> refs) {
        for (DocRef ref : refs) {
            Rec r = docs.remove(ref);
            if (r != null) bySeq.remove(r.seq);
        }
    }

    @Override
    public long tombstoneHorizon() {
        return 0;
    }
}
