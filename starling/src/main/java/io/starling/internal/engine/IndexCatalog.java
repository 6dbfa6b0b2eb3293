package io.starling.internal.engine;

import io.starling.internal.core.CodecException;
import io.starling.internal.core.Path;
import io.starling.internal.core.Value;
import io.starling.internal.core.ValueCodec;
import io.starling.internal.index.IndexDefinition;
import io.starling.internal.storage.DocumentStorage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The secondary indexes of a store. The definitions are stored in the meta entry {@code indexes} (so they
 * commit and roll back with the transaction that creates or drops them, together with their entries); this
 * class keeps the last committed version decoded in memory.
 *
 * <p>A reader must use the definitions of <em>its</em> snapshot, or it could scan an index whose entries
 * its snapshot does not hold (or no longer holds). So for a collection that has indexes in the published
 * version, {@link #forSnapshot} compares the snapshot's stored bytes with the published ones (one meta
 * read) and decodes them when they differ; a collection without indexes costs nothing. Thread-safe.
 */
final class IndexCatalog {
    static final String META_KEY = "indexes";

    /** One decoded version of the catalog. Immutable. */
    record Version(byte @Nullable [] bytes, Map<String, List<IndexDefinition>> byCollection) {
        static final Version EMPTY = new Version(null, Map.of());

        List<IndexDefinition> of(String collection) {
            return byCollection.getOrDefault(collection, List.of());
        }

        @Nullable
        IndexDefinition find(String collection, String name) {
            for (IndexDefinition d : of(collection)) if (d.name().equals(name)) return d;
            return null;
        }

        List<IndexDefinition> all() {
            List<IndexDefinition> out = new ArrayList<>();
            byCollection.values().forEach(out::addAll);
            return out;
        }

        Version with(IndexDefinition added) {
            List<IndexDefinition> all = all();
            all.add(added);
            return of(all);
        }

        Version without(IndexDefinition removed) {
            List<IndexDefinition> all = all();
            all.remove(removed);
            return of(all);
        }

        static Version of(List<IndexDefinition> definitions) {
            Map<String, List<IndexDefinition>> by = new LinkedHashMap<>();
            for (IndexDefinition d : definitions)
                by.computeIfAbsent(d.collection(), c -> new ArrayList<>()).add(d);
            by.replaceAll((c, l) -> List.copyOf(l));
            return new Version(definitions.isEmpty() ? null : encode(definitions), Map.copyOf(by));
        }
    }

    private volatile Version published;

    IndexCatalog(Version initial) {
        published = initial;
    }

    /** The last committed version. */
    Version published() {
        return published;
    }

    /** Makes a committed version current. */
    synchronized void publish(Version v) {
        published = v;
    }

    /**
     * Makes the version stored in a snapshot current, unless it is the published one or the published one changed
     * since {@code known} was read (a commit of this instance published a version at least as new). A node of a shared
     * storage calls it with what its tail read, so it plans with indexes another node created or dropped.
     */
    @SuppressWarnings("ReferenceEquality") // the same published object, not an equal one
    synchronized void adopt(Version known, byte @Nullable [] stored) {
        if (published != known || Arrays.equals(stored, known.bytes())) return;
        try {
            published = decode(stored);
        } catch (CodecException e) {
            // a damaged catalog: keep planning with the one known (reads of a snapshot decode theirs and fail there)
        }
    }

    /** The indexes of {@code collection} as the transaction's snapshot has them. */
    List<IndexDefinition> forSnapshot(DocumentStorage.ReadTx tx, String collection) {
        Version p = published;
        // no published index: a snapshot that has one (created a moment ago) may still scan, which is correct
        if (p.of(collection).isEmpty()) return List.of();
        byte[] stored = tx.meta(META_KEY);
        if (Arrays.equals(stored, p.bytes())) return p.of(collection);
        return decode(stored).of(collection);
    }

    /** The version a write transaction starts from: what is stored (the published one, unless it lags). */
    Version forWrite(DocumentStorage.ReadTx tx) {
        Version p = published;
        byte[] stored = tx.meta(META_KEY);
        return Arrays.equals(stored, p.bytes()) || (stored == null && p.bytes() == null) ? p : decode(stored);
    }

    /** The version stored in the snapshot. */
    static Version load(DocumentStorage.ReadTx tx) {
        return decode(tx.meta(META_KEY));
    }

    /** Stores {@code v} in the transaction (the caller publishes it after commit). */
    static void store(DocumentStorage.WriteTx tx, Version v) {
        tx.putMeta(META_KEY, v.bytes() == null ? encode(List.of()) : v.bytes());
    }

    /** The storage-level name of an index's entries. */
    static String storageName(IndexDefinition d) {
        return d.collection() + '\u001f' + d.name();
    }

    private static byte[] encode(List<IndexDefinition> definitions) {
        List<Value> items = new ArrayList<>();
        for (IndexDefinition d : definitions) {
            List<Value> fields = new ArrayList<>();
            for (IndexDefinition.Field f : d.fields()) {
                List<Value> segments = new ArrayList<>();
                for (Path.Segment s : f.path().segments()) segments.add(Value.of(((Path.Key) s).name()));
                fields.add(
                        new Value.Obj(Map.of("path", new Value.Arr(segments), "descending", Value.of(f.descending()))));
            }
            Map<String, Value> m = new LinkedHashMap<>();
            m.put("name", Value.of(d.name()));
            m.put("collection", Value.of(d.collection()));
            m.put("fields", new Value.Arr(fields));
            items.add(new Value.Obj(m));
        }
        return ValueCodec.encode(new Value.Arr(items));
    }

    private static Version decode(byte @Nullable [] bytes) {
        if (bytes == null) return Version.EMPTY;
        try {
            List<IndexDefinition> out = new ArrayList<>();
            for (Value item : ((Value.Arr) ValueCodec.decode(bytes)).items()) {
                Value.Obj o = (Value.Obj) item;
                List<IndexDefinition.Field> fields = new ArrayList<>();
                for (Value f : ((Value.Arr) o.get("fields")).items()) {
                    Value.Obj fo = (Value.Obj) f;
                    List<Path.Segment> segs = new ArrayList<>();
                    for (Value s : ((Value.Arr) fo.get("path")).items())
                        segs.add(new Path.Key(((Value.Str) s).value()));
                    fields.add(new IndexDefinition.Field(new Path(segs), ((Value.Bool) fo.get("descending")).value()));
                }
                out.add(new IndexDefinition(
                        ((Value.Str) o.get("name")).value(), ((Value.Str) o.get("collection")).value(), fields));
            }
            Version v = Version.of(out);
            return new Version(bytes, v.byCollection());
        } catch (ClassCastException | CodecException | IllegalArgumentException e) {
            throw new CodecException("the index catalog is damaged: " + e.getMessage());
        }
    }
}
