package io.starling.internal.engine;

import io.starling.ErrorCode;
import io.starling.QueryResult;
import io.starling.QueryResultItem;
import io.starling.StarlingException;
import io.starling.internal.core.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Immutable result; JSON text and Java maps are made on demand. */
final class DefaultQueryResult implements QueryResult {
    private final List<QueryResultItem> items;
    private final List<Object> mutatedIds;
    private final long commitSequence;

    DefaultQueryResult(List<Value.Obj> items, List<Value> mutatedIds) {
        this(items, mutatedIds, 0);
    }

    DefaultQueryResult(List<Value.Obj> items, List<Value> mutatedIds, long commitSequence) {
        this.commitSequence = commitSequence;
        List<QueryResultItem> wrapped = new ArrayList<>(items.size());
        for (Value.Obj o : items) wrapped.add(new Item(o));
        this.items = Collections.unmodifiableList(wrapped);
        List<Object> ids = new ArrayList<>(mutatedIds.size());
        for (Value id : mutatedIds) ids.add(id.toJava());
        this.mutatedIds = Collections.unmodifiableList(ids);
    }

    @Override
    public List<QueryResultItem> items() {
        return items;
    }

    @Override
    public List<Object> mutatedDocumentIds() {
        return mutatedIds;
    }

    @Override
    public long commitSequence() {
        return commitSequence;
    }

    @Override
    public String toJson() {
        StringBuilder sb = new StringBuilder(64 + items.size() * 64);
        sb.append("{\"items\":[");
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) sb.append(',');
            sb.append(items.get(i).json());
        }
        sb.append("],\"mutatedDocumentIds\":").append(Json.write(mutatedIds)).append('}');
        return sb.toString();
    }

    @Override
    public String toString() {
        return toJson();
    }

    static final class Item implements QueryResultItem {
        private final Value.Obj value;
        private volatile @Nullable String json;

        Item(Value.Obj value) {
            this.value = value;
        }

        @Override
        public String json() {
            String j = json;
            if (j == null)
                json = j = Json.write(java.util.Objects.requireNonNull(AttachmentTokens.forJson(value.toJava())));
            return j;
        }

        @Override
        @SuppressWarnings("unchecked") // a result item is an object, and toJava() of an object is a Map<String, Object>
        public Map<String, Object> value() {
            return (Map<String, Object>) java.util.Objects.requireNonNull(AttachmentTokens.fromResult(value.toJava()));
        }

        @Override
        public <T> T as(Class<T> type) {
            try {
                return Json.MAPPER.convertValue(new LinkedHashMap<>(value()), type);
            } catch (IllegalArgumentException e) {
                throw new StarlingException(
                        ErrorCode.DOCUMENT_INVALID,
                        "cannot map result item to " + type.getName() + ": " + e.getMessage(),
                        e);
            }
        }

        @Override
        public String toString() {
            return json();
        }
    }
}
