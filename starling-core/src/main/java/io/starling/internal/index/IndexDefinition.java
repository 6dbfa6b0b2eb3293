package io.starling.internal.index;

import io.starling.internal.core.Path;
import io.starling.internal.core.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A secondary index: {@code CREATE INDEX name ON collection (path [ASC|DESC], …)}. Its key for a document
 * is the tuple of the values at its paths (MISSING where a path leads nowhere), ordered component by
 * component by {@link io.starling.internal.core.ValueOrder}, reversed for descending components. Every live
 * document of the collection has exactly one entry. Immutable.
 */
public record IndexDefinition(String name, String collection, List<Field> fields) {

    /** One component of the key. */
    public record Field(Path path, boolean descending) {
        public Field {
            Objects.requireNonNull(path, "path");
        }
    }

    public IndexDefinition {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(collection, "collection");
        if (fields.isEmpty()) throw new IllegalArgumentException("an index needs at least one field");
        fields = List.copyOf(fields);
    }

    /** The key components of a document (MISSING where a path leads nowhere). */
    public List<Value> keyOf(Value.Obj document) {
        List<Value> key = new ArrayList<>(fields.size());
        for (Field f : fields) key.add(f.path().resolve(document));
        return key;
    }

    public List<Boolean> descending() {
        List<Boolean> d = new ArrayList<>(fields.size());
        for (Field f : fields) d.add(f.descending());
        return d;
    }
}
