package io.starling.internal.query;

import io.starling.internal.core.Value;
import io.starling.internal.core.ValueOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/** A DocumentSource over TreeMaps in _id order (ValueOrder), counting how it is used. */
final class InMemorySource implements DocumentSource {
    private final Map<String, TreeMap<Value, Value.Obj>> collections = new HashMap<>();
    int scans;
    int gets;
    int visited;

    InMemorySource add(String collection, Value.Obj doc) {
        Value id = doc.get("_id");
        if (id.isAbsent()) throw new IllegalArgumentException("test documents need an _id: " + doc);
        collections.computeIfAbsent(collection, c -> new TreeMap<>(ValueOrder.TOTAL)).put(id, doc);
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

    @Override
    public void scan(String collection, Predicate<Value.Obj> visitor) {
        scans++;
        for (Value.Obj doc : collections.getOrDefault(collection, new TreeMap<>(ValueOrder.TOTAL)).values()) {
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
}
