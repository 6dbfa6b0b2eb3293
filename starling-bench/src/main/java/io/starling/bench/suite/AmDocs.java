package io.starling.bench.suite;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.automerge.AmValue;
import org.automerge.Document;
import org.automerge.MapEntry;
import org.automerge.NewValue;
import org.automerge.ObjectId;
import org.automerge.ObjectType;
import org.automerge.SyncState;
import org.automerge.Transaction;
import org.jspecify.annotations.Nullable;

/**
 * The documents in one Automerge document (org.automerge:automerge 0.0.7, JNI): a root map {@code docs} of
 * one nested map per {@code _id} — the layout automerge-js uses on the Node side.
 */
final class AmDocs {
    final Document doc;
    final @Nullable ObjectId docs; // null until a sync brings the map: see resolved()

    private AmDocs(Document doc, @Nullable ObjectId docs) {
        this.doc = doc;
        this.docs = docs;
    }

    static AmDocs create() {
        Document doc = new Document();
        ObjectId docs;
        try (Transaction tx = doc.startTransaction()) {
            docs = tx.set(ObjectId.ROOT, "docs", ObjectType.MAP);
            tx.commit();
        }
        return new AmDocs(doc, docs);
    }

    /** Wraps a document that holds (or will hold, after a sync) the "docs" map. */
    static AmDocs wrap(Document doc) {
        Optional<AmValue> v = doc.get(ObjectId.ROOT, "docs");
        return new AmDocs(doc, v.isPresent() ? ((AmValue.Map) v.get()).getId() : null);
    }

    AmDocs resolved() {
        return docs != null ? this : wrap(doc);
    }

    /** All of {@code docs}, one transaction per batch of 1,000. */
    void insertAll(List<Map<String, Object>> docs) {
        for (int from = 0; from < docs.size(); from += Bench.BATCH)
            insert(docs.subList(from, Math.min(docs.size(), from + Bench.BATCH)));
    }

    /** One transaction per batch of 1,000. */
    void insert(List<Map<String, Object>> batch) {
        try (Transaction tx = doc.startTransaction()) {
            ObjectId map = Objects.requireNonNull(docs, "no docs map yet: resolved() after a sync");
            for (Map<String, Object> d : batch) put(tx, map, d);
            tx.commit();
        }
    }

    static void put(Transaction tx, ObjectId parent, Map<String, Object> d) {
        ObjectId m = tx.set(parent, (String) d.get("_id"), ObjectType.MAP);
        for (Map.Entry<String, Object> e : d.entrySet()) {
            if (e.getKey().equals("_id")) continue;
            Object v = e.getValue();
            if (v instanceof String s) tx.set(m, e.getKey(), s);
            else if (v instanceof Long l) tx.set(m, e.getKey(), NewValue.integer(l));
            else if (v instanceof Integer i) tx.set(m, e.getKey(), NewValue.integer(i));
            else if (v instanceof Boolean b) tx.set(m, e.getKey(), b);
            else if (v instanceof List<?> list) {
                ObjectId l = tx.set(m, e.getKey(), ObjectType.LIST);
                for (int i = 0; i < list.size(); i++) tx.insert(l, i, String.valueOf(list.get(i)));
            } else throw new IllegalArgumentException("unsupported value " + v);
        }
    }

    @Nullable
    ObjectId docId(String id) {
        Optional<AmValue> v = doc.get(docs, id);
        return v.isPresent() && v.get() instanceof AmValue.Map m ? m.getId() : null;
    }

    void setScore(String id, long score) {
        ObjectId m = Objects.requireNonNull(docId(id), id);
        try (Transaction tx = doc.startTransaction()) {
            tx.set(m, "score", NewValue.integer(score));
            tx.commit();
        }
    }

    void delete(String id) {
        try (Transaction tx = doc.startTransaction()) {
            tx.delete(docs, id);
            tx.commit();
        }
    }

    /** The document as a Java map (what SELECT * returns), or null. */
    @Nullable
    Map<String, Object> lookup(String id) {
        ObjectId m = docId(id);
        return m == null ? null : materialize(id, m);
    }

    Map<String, Object> materialize(String id, ObjectId m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("_id", id);
        for (MapEntry e : doc.mapEntries(m).orElseThrow()) out.put(e.getKey(), plain(e.getValue()));
        return out;
    }

    private Object plain(AmValue v) {
        if (v instanceof AmValue.Str s) return s.getValue();
        if (v instanceof AmValue.Int i) return i.getValue();
        if (v instanceof AmValue.UInt u) return u.getValue();
        if (v instanceof AmValue.F64 f) return f.getValue();
        if (v instanceof AmValue.Bool b) return b.getValue();
        if (v instanceof AmValue.Counter c) return c.getValue();
        if (v instanceof AmValue.List l) {
            List<Object> out = new ArrayList<>();
            for (AmValue x : doc.listItems(l.getId()).orElseThrow()) out.add(plain(x));
            return out;
        }
        return String.valueOf(v);
    }

    /** {@code category = 'c3' AND score > 50000}, materialising the matches: a full scan, as without an index. */
    int query() {
        int found = 0;
        for (MapEntry e : doc.mapEntries(docs).orElseThrow()) {
            ObjectId m = ((AmValue.Map) e.getValue()).getId();
            Optional<AmValue> cat = doc.get(m, "category");
            if (cat.isEmpty() || !"c3".equals(((AmValue.Str) cat.get()).getValue())) continue;
            Optional<AmValue> score = doc.get(m, "score");
            if (score.isPresent() && plain(score.get()) instanceof Number x && x.doubleValue() > 50000) {
                materialize(e.getKey(), m);
                found++;
            }
        }
        return found;
    }

    int size() {
        return (int) doc.length(docs);
    }

    /** Bytes and messages of one sync-protocol exchange until neither side has anything to send. */
    record SyncStats(long bytesAToB, long bytesBToA, int messages, int roundTrips) {}

    /** Runs Automerge's sync protocol between {@code a} and {@code b} with the given (kept) sync states. */
    static SyncStats sync(Document a, SyncState sa, Document b, SyncState sb) {
        long ab = 0, ba = 0;
        int messages = 0, turns = 0;
        while (true) {
            boolean any = false;
            Optional<byte[]> m1 = a.generateSyncMessage(sa);
            if (m1.isPresent()) {
                ab += m1.get().length;
                messages++;
                any = true;
                b.receiveSyncMessage(sb, m1.get());
            }
            Optional<byte[]> m2 = b.generateSyncMessage(sb);
            if (m2.isPresent()) {
                ba += m2.get().length;
                messages++;
                any = true;
                a.receiveSyncMessage(sa, m2.get());
            }
            if (!any) break;
            turns++;
            if (turns > 10_000) throw new IllegalStateException("automerge sync did not settle");
        }
        return new SyncStats(ab, ba, messages, turns);
    }
}
