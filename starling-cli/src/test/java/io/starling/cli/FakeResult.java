package io.starling.cli;

import io.starling.QueryResult;
import io.starling.QueryResultItem;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A {@link QueryResult} made from plain maps, to test the output formats without an engine. */
record FakeResult(List<QueryResultItem> items, List<Object> mutatedDocumentIds) implements QueryResult {

    @SafeVarargs
    static FakeResult rows(Map<String, Object>... rows) {
        List<QueryResultItem> items = new ArrayList<>();
        for (Map<String, Object> row : rows) items.add(new Item(Collections.unmodifiableMap(new LinkedHashMap<>(row))));
        return new FakeResult(List.copyOf(items), List.of());
    }

    static FakeResult mutated(Object... ids) {
        return new FakeResult(List.of(), List.of(ids));
    }

    @Override
    public long commitSequence() {
        return 0;
    }

    @Override
    public String toJson() {
        StringBuilder sb = new StringBuilder("{\"items\":[");
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) sb.append(',');
            sb.append(items.get(i).json());
        }
        return sb.append("],\"mutatedDocumentIds\":")
                .append(JsonArgs.write(mutatedDocumentIds))
                .append('}')
                .toString();
    }

    record Item(Map<String, Object> value) implements QueryResultItem {
        @Override
        public String json() {
            return JsonArgs.write(value);
        }

        @Override
        public <T> T as(Class<T> type) {
            throw new UnsupportedOperationException();
        }
    }
}
