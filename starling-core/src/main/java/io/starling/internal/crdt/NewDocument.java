package io.starling.internal.crdt;

import io.starling.internal.core.BinaryWriter;
import io.starling.internal.core.Limits;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import io.starling.internal.core.ValueCodec;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A brand-new document given as a plain Java map (an INSERT's argument), encoded in one walk straight from the map:
 * its {@code _id} and the bytes of its state after the stamp, with no {@link Value} tree for its fields.
 *
 * <p>{@link #of} accepts only what the ordinary path — {@link Value#fromJava(Object, Value.Special)}, the storable
 * checks of the data model's {@link Limits}, then {@link DocumentState#encodeInserted} — would accept as it is, and
 * {@link #encode} then returns the very bytes that path writes ({@code NewDocumentEquivalenceTest}). Anything else
 * gets null, and the caller takes the ordinary path, which reports any error exactly as before. {@link #value} still
 * converts the map the ordinary way, for the rare caller that needs the fields (an id conflict, a permission check).
 *
 * <p>The map is read during {@link #of} and again by {@link #value}; the caller must not change it in between (an
 * argument is read while the statement runs).
 */
public final class NewDocument {

    private final Map<?, ?> source;
    private final Value.Special special;
    private final Value id;
    /** The writer's buffer: the state's root from {@link DocumentState#HEADER_ROOM} to {@link #end}. */
    private final byte[] buf;

    private final int end;
    private @Nullable Value value;

    private NewDocument(Map<?, ?> source, Value.Special special, Value id, byte[] buf, int end) {
        this.source = source;
        this.special = special;
        this.id = id;
        this.buf = buf;
        this.end = end;
    }

    /**
     * The document for {@code map} as {@code Value.fromJava(map, special)} would read it, or null when the ordinary
     * path must convert it (it holds a type or value that path refuses or converts specially, something a document
     * cannot store, or an existing {@link Value}).
     */
    public static @Nullable NewDocument of(Map<?, ?> map, Value.Special special) {
        BinaryWriter w = new BinaryWriter(DocumentState.HEADER_ROOM + 16 + map.size() * 24);
        @Nullable Object[] rawId = new Object[2]; // the root's _id and, when it has one, the map
        if (!DocumentState.writeInsertedBody(w, map, special, rawId)) return null;
        Value id = Value.MISSING;
        if (rawId[1] != null) {
            Object raw = rawId[0];
            // the id is a field of the root: the walk's rules apply to it (it is not in the body: it is the row's key)
            if (raw instanceof String s) {
                if (Limits.loneSurrogateAt(s) >= 0) return null;
                id = Value.of(s);
            } else {
                if (!ValueCodec.writeJava(new BinaryWriter(32), raw, 1, special)) return null;
                id = raw == null ? Value.NULL : Value.fromJava(raw, special);
            }
        }
        return new NewDocument(map, special, id, w.array(), w.size());
    }

    /** The document's {@code _id}, {@link Value#MISSING} when the map has none. */
    public Value id() {
        return id;
    }

    /** {@code DocumentState.encodeInserted(value(), stamp)}, without converting the map. */
    public byte[] encode(Stamp stamp) {
        return DocumentState.encodeInserted(stamp, buf, end);
    }

    /** The document as {@code Value.fromJava(map, special)} converts it (an object), converted once on first use. */
    public synchronized Value.Obj value() {
        Value v = value;
        if (v == null) value = v = Value.fromJava(source, special);
        return (Value.Obj) v;
    }
}
