package io.starling.internal.engine;

import io.starling.internal.core.Value;
import io.starling.internal.index.IndexDefinition;
import io.starling.internal.index.IndexRange;
import io.starling.internal.query.Cancellation;
import io.starling.internal.query.DocumentSource;
import io.starling.internal.query.Permissions;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * A {@link DocumentSource} that shows only the documents a {@link Permissions.Grant} may read: a statement run over
 * it (a SELECT with its aggregates, the WHERE of an UPDATE or DELETE) behaves as if the other documents did not
 * exist. Counting without WHERE scans, since the store's fast count would include hidden documents.
 */
final class PermittedSource implements DocumentSource {
    private final DocumentSource inner;
    private final Permissions.Grant grant;
    private final long nowMillis;
    private final Cancellation cancellation;

    PermittedSource(DocumentSource inner, Permissions.Grant grant, long nowMillis, Cancellation cancellation) {
        this.inner = inner;
        this.grant = grant;
        this.nowMillis = nowMillis;
        this.cancellation = cancellation;
    }

    private boolean readable(String collection, Value.Obj doc) {
        return grant.mayRead(collection, doc, nowMillis, cancellation);
    }

    @Override
    public void scan(String collection, Predicate<Value.Obj> visitor) {
        if (!grant.permissions().read().coversCollection(collection)) return;
        inner.scan(collection, doc -> !readable(collection, doc) || visitor.test(doc));
    }

    @Override
    public Value.@Nullable Obj get(String collection, Value id) {
        Value.Obj doc = inner.get(collection, id);
        return doc == null || !readable(collection, doc) ? null : doc;
    }

    @Override
    public void scanIds(
            String collection,
            IndexRange.@Nullable Bound lower,
            IndexRange.@Nullable Bound upper,
            boolean reverse,
            @Nullable Set<String> fields,
            Predicate<Value.Obj> visitor) {
        if (!grant.permissions().read().coversCollection(collection)) return;
        // the grant's conditions may read any field, so the documents are whole
        inner.scanIds(collection, lower, upper, reverse, null, doc -> !readable(collection, doc) || visitor.test(doc));
    }

    @Override
    public List<IndexDefinition> indexes(String collection) {
        return inner.indexes(collection);
    }

    @Override
    public void scanIndex(IndexDefinition index, IndexRange range, boolean reverse, Predicate<Value.Obj> visitor) {
        String collection = index.collection();
        if (!grant.permissions().read().coversCollection(collection)) return;
        inner.scanIndex(index, range, reverse, doc -> !readable(collection, doc) || visitor.test(doc));
    }
}
