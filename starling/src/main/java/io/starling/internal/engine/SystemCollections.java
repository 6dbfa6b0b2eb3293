package io.starling.internal.engine;

import io.starling.internal.core.Path;
import io.starling.internal.core.Value;
import io.starling.internal.core.ValueOrder;
import io.starling.internal.index.IndexDefinition;
import io.starling.internal.query.DocumentSource;
import io.starling.internal.storage.DocumentStorage;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The read-only {@code system:} collections, computed from the transaction's snapshot on each query:
 *
 * <ul>
 *   <li>{@code system:indexes} — one document per index: {@code _id} {collection, name}, name, collection,
 *       fields [{path, order}];
 *   <li>{@code system:collections} — one per collection holding rows: {@code _id} and name, documents (live);
 *   <li>{@code system:info} — one document: database path, site id (hex), app id, bytes on disk.
 * </ul>
 */
final class SystemCollections implements DocumentSource {
    static final String PREFIX = "system:";

    /** What system:info reports about the instance. */
    record Info(java.nio.file.Path directory, long siteId, String appId) {}

    private final DocumentStorage.ReadTx tx;
    private final IndexCatalog.Version indexes;
    private final Info info;

    SystemCollections(DocumentStorage.ReadTx tx, IndexCatalog.Version indexes, Info info) {
        this.tx = tx;
        this.indexes = indexes;
        this.info = info;
    }

    static boolean isSystem(String collection) {
        return collection.startsWith(PREFIX);
    }

    @Override
    public void scan(String collection, Predicate<Value.Obj> visitor) {
        for (Value.Obj doc : documents(collection)) if (!visitor.test(doc)) return;
    }

    @Override
    public Value.@Nullable Obj get(String collection, Value id) {
        for (Value.Obj doc : documents(collection)) if (ValueOrder.compare(doc.get("_id"), id) == 0) return doc;
        return null;
    }

    @Override
    public long count(String collection) {
        return documents(collection).size();
    }

    private List<Value.Obj> documents(String collection) {
        List<Value.Obj> docs = new ArrayList<>();
        switch (collection) {
            case "system:indexes":
                for (IndexDefinition d : indexes.all()) docs.add(index(d));
                break;
            case "system:collections":
                for (String name : tx.collections()) {
                    docs.add(obj(
                            "_id", Value.of(name), "name", Value.of(name), "documents", Value.of(tx.countLive(name))));
                }
                break;
            case "system:info":
                docs.add(obj(
                        "_id",
                        Value.of("info"),
                        "path",
                        Value.of(info.directory().toString()),
                        "siteId",
                        Value.of(Long.toUnsignedString(info.siteId(), 16)),
                        "appId",
                        Value.of(info.appId()),
                        "bytesOnDisk",
                        Value.of(bytesOnDisk(info.directory()))));
                break;
            default:
                break; // an unknown system collection is empty, like any collection never written
        }
        docs.sort((a, b) -> ValueOrder.compare(a.get("_id"), b.get("_id")));
        return docs;
    }

    private static Value.Obj index(IndexDefinition d) {
        List<Value> fields = new ArrayList<>();
        for (IndexDefinition.Field f : d.fields()) {
            fields.add(obj("path", Value.of(pathText(f.path())), "order", Value.of(f.descending() ? "DESC" : "ASC")));
        }
        return obj(
                "_id",
                obj("collection", Value.of(d.collection()), "name", Value.of(d.name())),
                "name",
                Value.of(d.name()),
                "collection",
                Value.of(d.collection()),
                "fields",
                new Value.Arr(fields));
    }

    private static String pathText(Path p) {
        return p.toString();
    }

    private static long bytesOnDisk(java.nio.file.Path dir) {
        if (dir == null || !Files.isDirectory(dir)) return 0;
        try (Stream<java.nio.file.Path> files = Files.list(dir)) {
            return files.filter(Files::isRegularFile)
                    .mapToLong(f -> {
                        try {
                            return Files.size(f);
                        } catch (IOException gone) {
                            return 0;
                        }
                    })
                    .sum();
        } catch (IOException e) {
            return 0;
        }
    }

    private static Value.Obj obj(Object... kv) {
        Map<String, Value> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], (Value) kv[i + 1]);
        return new Value.Obj(m);
    }
}
