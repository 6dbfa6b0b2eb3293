package io.starling.internal.query;

import io.starling.internal.core.Value;
import io.starling.internal.crdt.NewDocument;
import java.util.AbstractMap;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A statement's named arguments ({@code :name} → value), immutable, with no null name or value.
 *
 * <p>Not {@link Map#copyOf}: the JDK's immutable map probes its table linearly, and the names a many-document
 * statement uses ({@code :d0} … {@code :d999}) have hash codes in clustered runs, so each look-up walked long probe
 * chains (measured: 0.6 µs per document of a 1,000-document INSERT, built once and looked up twice per argument,
 * against 0.03 µs for a {@link HashMap}). A statement's arguments are built once, checked once and read once each.
 *
 * <p>An INSERT's documents may be held encoded ({@link Builder#putDocument}): their value is converted only when read.
 */
public final class Arguments extends AbstractMap<String, Value> {
    private static final Arguments EMPTY = new Arguments(new HashMap<>(), new HashMap<>());

    private final Map<String, Value> map;
    /** Arguments given as new documents, encoded but not converted (none in {@link #map}): see {@link #document}. */
    private final Map<String, NewDocument> documents;

    private Arguments(HashMap<String, Value> map, HashMap<String, NewDocument> documents) {
        this.map = map;
        this.documents = documents;
    }

    /** An immutable copy of {@code arguments}, or the map itself when it is one already. */
    public static Arguments copyOf(Map<String, Value> arguments) {
        if (arguments instanceof Arguments a) return a;
        if (arguments.isEmpty()) return EMPTY;
        Builder b = builder(arguments.size());
        for (Map.Entry<String, Value> e : arguments.entrySet()) b.put(e.getKey(), e.getValue());
        return b.build();
    }

    /** A builder for {@code expected} arguments (more may be added). */
    public static Builder builder(int expected) {
        return new Builder(expected);
    }

    /** Collects arguments for one {@link Arguments}; not reusable after {@link #build}. */
    public static final class Builder {
        private @Nullable HashMap<String, Value> map;
        private final HashMap<String, NewDocument> documents;

        private Builder(int expected) {
            this.map = new HashMap<>(Math.max(4, (int) (expected / 0.75f) + 1));
            this.documents = new HashMap<>(Math.max(4, (int) (expected / 0.75f) + 1));
        }

        /**
         * Adds one argument.
         *
         * @throws NullPointerException for a null name or value
         * @throws IllegalArgumentException for a name added before
         */
        public Builder put(String name, Value value) {
            HashMap<String, Value> m = Objects.requireNonNull(map, "build() was called already");
            Objects.requireNonNull(name, "argument name");
            Objects.requireNonNull(value, "argument value");
            if (documents.containsKey(name) || m.putIfAbsent(name, value) != null) {
                throw new IllegalArgumentException("duplicate argument " + name);
            }
            return this;
        }

        /**
         * Adds one argument that is a new document, encoded already: an INSERT writes its state as it is, and its value
         * is converted only if something reads it ({@link Arguments#get}).
         *
         * @throws NullPointerException for a null name or document
         * @throws IllegalArgumentException for a name added before
         */
        public Builder putDocument(String name, NewDocument document) {
            HashMap<String, Value> m = Objects.requireNonNull(map, "build() was called already");
            Objects.requireNonNull(name, "argument name");
            Objects.requireNonNull(document, "argument document");
            if (m.containsKey(name) || documents.putIfAbsent(name, document) != null) {
                throw new IllegalArgumentException("duplicate argument " + name);
            }
            return this;
        }

        public Arguments build() {
            HashMap<String, Value> m = Objects.requireNonNull(map, "build() was called already");
            map = null;
            return m.isEmpty() && documents.isEmpty() ? EMPTY : new Arguments(m, documents);
        }
    }

    /** The argument {@code name} if it was given as an encoded new document ({@link Builder#putDocument}), else null. */
    public @Nullable NewDocument document(String name) {
        return documents.isEmpty() ? null : documents.get(name);
    }

    @Override
    public @Nullable Value get(@Nullable Object name) {
        Value v = map.get(name);
        if (v != null || documents.isEmpty()) return v;
        NewDocument d = documents.get(name);
        return d == null ? null : d.value();
    }

    @Override
    public boolean containsKey(@Nullable Object name) {
        return map.containsKey(name) || (!documents.isEmpty() && documents.containsKey(name));
    }

    @Override
    public int size() {
        return map.size() + documents.size();
    }

    @Override
    public Set<Map.Entry<String, Value>> entrySet() {
        if (documents.isEmpty()) return Collections.unmodifiableMap(map).entrySet();
        HashMap<String, Value> all = new HashMap<>(map);
        for (Map.Entry<String, NewDocument> d : documents.entrySet())
            all.put(d.getKey(), d.getValue().value());
        return Collections.unmodifiableMap(all).entrySet();
    }
}
