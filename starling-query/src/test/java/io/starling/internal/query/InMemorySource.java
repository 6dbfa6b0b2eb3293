package io.starling.internal.query;

import io.starling.internal.core.Value;
import io.starling.internal.core.ValueOrder;
import io.starling.internal.index.IndexDefinition;
import io.starling.internal.index.IndexRange;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * A DocumentSource over TreeMaps in _id order (ValueOrder), counting how it is used. Indexes are implemented
 * directly and naively — every scan sorts the documents by {@link IndexDefinition#keyOf} — so that the planner is
 * checked against an independent reading of the {@link DocumentSource#scanIndex} contract.
 */
final class InMemorySource implements DocumentSource {
    private final Map<String, TreeMap<Value, Value.Obj>> collections = new HashMap<>();
    private final Map<String, List<IndexDefinition>> indexes = new HashMap<>();
    int scans;
    int gets;
    /** Documents handed to visitors by scan (and by get). */
    int visited;

    int indexScans;
    /** Documents handed to visitors by scanIndex. */
    int indexVisited;

    int counts;
    /** The ranges of every scanIndex call, in call order. */
    final List<IndexRange> rangesScanned = new ArrayList<>();

    InMemorySource add(String collection, Value.Obj doc) {
        Value id = doc.get("_id");
        if (id.isAbsent()) throw new IllegalArgumentException("test documents need an _id: " + doc);
        collections
                .computeIfAbsent(collection, c -> new TreeMap<>(ValueOrder.TOTAL))
                .put(id, doc);
        return this;
    }

    /** Removes the document with this id, if any. */
    InMemorySource remove(String collection, Value id) {
        TreeMap<Value, Value.Obj> docs = collections.get(collection);
        if (docs != null) docs.remove(id);
        return this;
    }

    /** Adds documents written as DQL object literals, e.g. {@code "{'_id': 1, 'a': 2}"}. */
    InMemorySource add(String collection, String... docs) {
        for (String d : docs) add(collection, (Value.Obj) Eval.value(d));
        return this;
    }

    InMemorySource addAll(String collection, List<Value.Obj> docs) {
        for (Value.Obj d : docs) add(collection, d);
        return this;
    }

    /** Adds the index of a {@code CREATE INDEX} statement. */
    InMemorySource index(String createIndex) {
        return index(((CreateIndexStatement) Dql.parse(createIndex)).index());
    }

    InMemorySource index(IndexDefinition d) {
        indexes.computeIfAbsent(d.collection(), c -> new ArrayList<>()).add(d);
        return this;
    }

    void resetCounters() {
        scans = gets = visited = indexScans = indexVisited = counts = 0;
        rangesScanned.clear();
    }

    /** The same documents, without indexes: what every plan must agree with. */
    DocumentSource withoutIndexes() {
        InMemorySource self = this;
        return new DocumentSource() {
            @Override
            public void scan(String collection, Predicate<Value.Obj> visitor) {
                self.scan(collection, visitor);
            }

            @Override
            public Value.Obj get(String collection, Value id) {
                return self.get(collection, id);
            }
        };
    }

    /**
     * The same documents, without indexes, whose scans honour the field hint strictly: each document holds only
     * {@code _id} and the fields asked for, so that a statement reading any other field gets a different result.
     */
    DocumentSource narrowing() {
        InMemorySource self = this;
        return new DocumentSource() {
            @Override
            public void scan(String collection, Predicate<Value.Obj> visitor) {
                self.scan(collection, visitor);
            }

            @Override
            public void scan(String collection, java.util.@Nullable Set<String> fields, Predicate<Value.Obj> visitor) {
                self.scan(collection, doc -> {
                    if (fields == null) return visitor.test(doc);
                    java.util.LinkedHashMap<String, Value> kept = new java.util.LinkedHashMap<>();
                    doc.fields().forEach((k, v) -> {
                        if (k.equals("_id") || fields.contains(k)) kept.put(k, v);
                    });
                    return visitor.test(Value.Obj.ofOwned(kept));
                });
            }

            @Override
            public Value.Obj get(String collection, Value id) {
                return self.get(collection, id);
            }
        };
    }

    @Override
    public void scan(String collection, Predicate<Value.Obj> visitor) {
        scans++;
        for (Value.Obj doc : collections
                .getOrDefault(collection, new TreeMap<>(ValueOrder.TOTAL))
                .values()) {
            visited++;
            if (!visitor.test(doc)) return;
        }
    }

    @Override
    public Value.Obj get(String collection, Value id) {
        gets++;
        TreeMap<Value, Value.Obj> c = collections.get(collection);
        return c == null ? null : c.get(id);
    }

    @Override
    public List<IndexDefinition> indexes(String collection) {
        return indexes.getOrDefault(collection, List.of());
    }

    @Override
    public long count(String collection) {
        counts++;
        TreeMap<Value, Value.Obj> c = collections.get(collection);
        return c == null ? 0 : c.size();
    }

    @Override
    public void scanIndex(IndexDefinition index, IndexRange range, boolean reverse, Predicate<Value.Obj> visitor) {
        if (!indexes(index.collection()).contains(index)) throw new AssertionError("unknown index " + index);
        checkWellFormed(index, range);
        indexScans++;
        rangesScanned.add(range);
        List<Value.Obj> hits = new ArrayList<>();
        for (Value.Obj doc : collections
                .getOrDefault(index.collection(), new TreeMap<>(ValueOrder.TOTAL))
                .values()) {
            if (inRange(index.keyOf(doc), range)) hits.add(doc);
        }
        hits.sort(indexOrder(index));
        if (reverse) Collections.reverse(hits);
        for (Value.Obj doc : hits) {
            indexVisited++;
            if (!visitor.test(doc)) return;
        }
    }

    /** By key, component by component (descending components reversed), then by _id ascending. */
    static Comparator<Value.Obj> indexOrder(IndexDefinition index) {
        return (a, b) -> {
            List<Value> ka = index.keyOf(a), kb = index.keyOf(b);
            for (int i = 0; i < ka.size(); i++) {
                int c = ValueOrder.compare(ka.get(i), kb.get(i));
                if (c != 0) return index.fields().get(i).descending() ? -c : c;
            }
            return ValueOrder.compare(a.get("_id"), b.get("_id"));
        };
    }

    static boolean inRange(List<Value> key, IndexRange range) {
        for (int i = 0; i < range.equal().size(); i++) {
            if (!key.get(i).equals(range.equal().get(i))) return false;
        }
        if (range.lower() == null && range.upper() == null) return true;
        Value v = key.get(range.equal().size());
        if (range.lower() != null) {
            int c = ValueOrder.compare(v, range.lower().value());
            if (c < 0 || (c == 0 && !range.lower().inclusive())) return false;
        }
        if (range.upper() != null) {
            int c = ValueOrder.compare(v, range.upper().value());
            if (c > 0 || (c == 0 && !range.upper().inclusive())) return false;
        }
        return true;
    }

    private static void checkWellFormed(IndexDefinition index, IndexRange range) {
        int bounded = range.lower() != null || range.upper() != null ? 1 : 0;
        if (range.equal().size() + bounded > index.fields().size()) {
            throw new AssertionError("range " + range + " has more components than index " + index);
        }
    }
}
