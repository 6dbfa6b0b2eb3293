package io.starling.testing.sim;

import io.starling.internal.core.Value;
import io.starling.internal.index.IndexKeyCodec;
import io.starling.testing.model.ModelValues;
import java.util.Map;

/**
 * A document of the simulation: a collection and an id of any kind the data model allows — an integer, a string, a
 * boolean or a composite (an object of those; key order irrelevant). {@code id} is held canonical (sorted maps,
 * Long integers), so equal ids are equal keys. Ordered by collection, then the id's text.
 */
final class DocKey implements Comparable<DocKey> {
    private final String collection;
    private final Object id;
    /** The id's text, computed once: it orders keys (maps keyed by documents are sorted). */
    private final String text;

    DocKey(String collection, Object id) {
        this.collection = collection;
        this.id = java.util.Objects.requireNonNull(ModelValues.canonical(id), "an id is never null");
        if (!(this.id instanceof Long
                || this.id instanceof String
                || this.id instanceof Boolean
                || this.id instanceof Map)) throw new IllegalArgumentException("not an id the workload uses: " + id);
        this.text = ModelValues.text(this.id);
    }

    String collection() {
        return collection;
    }

    Object id() {
        return id;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DocKey k && k.collection.equals(collection) && k.text.equals(text);
    }

    @Override
    public int hashCode() {
        return collection.hashCode() * 31 + text.hashCode();
    }

    /** The document an encoded id names (as storage and sync carry it). */
    static DocKey decode(String collection, byte[] encodedId) {
        return new DocKey(
                collection,
                java.util.Objects.requireNonNull(
                        IndexKeyCodec.decodeId(encodedId).toJava()));
    }

    @Override
    public int compareTo(DocKey o) {
        int c = collection.compareTo(o.collection);
        return c != 0 ? c : text.compareTo(o.text);
    }

    Value idValue() {
        return Value.fromJava(id);
    }

    byte[] encodedId() {
        return IndexKeyCodec.encodeId(idValue());
    }

    /** Parses {@code C/ID} as {@code --watch} takes it: ID is an integer, true, false, {"k": …} JSON, or a string. */
    static DocKey parse(String s) {
        int slash = s.indexOf('/');
        if (slash <= 0 || slash == s.length() - 1)
            throw new IllegalArgumentException("expected COLLECTION/ID, e.g. a/3: " + s);
        String c = s.substring(0, slash), id = s.substring(slash + 1);
        Object v;
        if (id.equals("true") || id.equals("false")) v = Boolean.parseBoolean(id);
        else if (id.matches("-?[0-9]+")) v = Long.parseLong(id);
        else if (id.startsWith("{")) v = json(id);
        else v = id.startsWith("\"") && id.endsWith("\"") ? id.substring(1, id.length() - 1) : id;
        return new DocKey(c, v);
    }

    private static Object json(String text) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readValue(text, Map.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("a composite id must be a JSON object: " + text);
        }
    }

    @Override
    public String toString() {
        return collection + "/" + (id instanceof String str ? '"' + str + '"' : ModelValues.text(id));
    }
}
