package io.starling.soak;

import io.starling.internal.core.Value;
import io.starling.internal.index.IndexKeyCodec;
import java.util.HexFormat;

/**
 * A document: its collection and its id in the store's encoding (the bytes the peers' rows are keyed by), so that
 * {@code {"k": 1, "s": "x"}} and {@code {"s": "x", "k": 1}} are one document, as they are to the engine.
 */
record DocRef(String collection, String idHex) implements Comparable<DocRef> {

    static DocRef of(String collection, Object javaId) {
        return new DocRef(collection, HexFormat.of().formatHex(IndexKeyCodec.encodeId(Value.fromJava(javaId))));
    }

    static DocRef ofEncoded(String collection, byte[] id) {
        return new DocRef(collection, HexFormat.of().formatHex(id));
    }

    byte[] idBytes() {
        return HexFormat.of().parseHex(idHex);
    }

    Value id() {
        return IndexKeyCodec.decodeId(idBytes());
    }

    @Override
    public int compareTo(DocRef o) {
        int c = collection.compareTo(o.collection);
        return c != 0 ? c : idHex.compareTo(o.idHex);
    }

    @Override
    public String toString() {
        return collection + "/" + id();
    }
}
