package io.starling;

import java.util.List;

/**
 * The result of one statement. Immutable and safe to share between threads.
 */
public interface QueryResult {

    /** Result items in order: the rows of a SELECT; empty for INSERT, UPDATE, DELETE and EVICT. */
    List<QueryResultItem> items();

    /**
     * Ids of the documents the statement wrote (INSERT, UPDATE, DELETE) or evicted, in the order it wrote
     * them; empty for SELECT. Each id is a String, Long, Boolean or an unmodifiable Map (composite id).
     */
    List<Object> mutatedDocumentIds();

    /** Exactly {@code {"items": [...], "mutatedDocumentIds": [...]}}, the shape of the HTTP API. */
    String toJson();
}
