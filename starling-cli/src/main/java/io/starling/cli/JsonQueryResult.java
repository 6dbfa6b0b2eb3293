package io.starling.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.starling.ErrorCode;
import io.starling.QueryResult;
import io.starling.QueryResultItem;
import io.starling.StarlingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A {@link QueryResult} read back from the HTTP API's JSON, {@code {"items": [...], "mutatedDocumentIds": [...]}}, so
 * that {@code exec --url} prints the {@code jsonl} and {@code table} formats as {@code exec --db} does. (The
 * {@code json} format prints the body as it came.) Immutable.
 */
final class JsonQueryResult implements QueryResult {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final String json;
    private final List<QueryResultItem> items;
    private final List<Object> mutatedDocumentIds;

    private JsonQueryResult(String json, List<QueryResultItem> items, List<Object> mutatedDocumentIds) {
        this.json = json;
        this.items = items;
        this.mutatedDocumentIds = mutatedDocumentIds;
    }

    /**
     * Reads a response body.
     *
     * @throws HttpApiException (status 500, code {@code internal}) if it is not of the API's shape
     */
    static JsonQueryResult parse(String body) {
        JsonNode root;
        try {
            root = JsonArgs.readTree(body.getBytes(StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw malformed("not JSON: " + JsonArgs.describe(e));
        }
        if (!root.path("items").isArray() || !root.path("mutatedDocumentIds").isArray()) {
            throw malformed("no \"items\" or \"mutatedDocumentIds\" array");
        }
        List<QueryResultItem> items = new ArrayList<>();
        for (JsonNode item : root.get("items")) {
            if (!item.isObject()) throw malformed("an item is not an object");
            items.add(new Item(item));
        }
        List<Object> ids = new ArrayList<>();
        for (JsonNode id : root.get("mutatedDocumentIds")) ids.add(JsonArgs.value(id));
        return new JsonQueryResult(body, List.copyOf(items), Collections.unmodifiableList(ids));
    }

    private static HttpApiException malformed(String why) {
        return new HttpApiException(500, ErrorCode.INTERNAL.code(), "the peer's answer is not a query result: " + why);
    }

    @Override
    public List<QueryResultItem> items() {
        return items;
    }

    @Override
    public List<Object> mutatedDocumentIds() {
        return mutatedDocumentIds;
    }

    /** Unknown over HTTP: 0. */
    @Override
    public long commitSequence() {
        return 0;
    }

    @Override
    public String toJson() {
        return json;
    }

    /** One item: its JSON text as re-serialised compactly, and its plain values. */
    private static final class Item implements QueryResultItem {
        private final JsonNode node;
        private final Map<String, Object> value;

        Item(JsonNode node) {
            this.node = node;
            this.value = JsonArgs.values(node);
        }

        @Override
        public String json() {
            return node.toString();
        }

        @Override
        public Map<String, Object> value() {
            return value;
        }

        @Override
        public <T> T as(Class<T> type) {
            try {
                return MAPPER.treeToValue(node, type);
            } catch (JsonProcessingException e) {
                throw new StarlingException(ErrorCode.DOCUMENT_INVALID, "the item does not fit " + type.getName(), e);
            }
        }
    }
}
