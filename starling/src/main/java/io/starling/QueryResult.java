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

    /**
     * The store's change sequence number after this statement's writes committed (the number of its last
     * written document), or 0 when it wrote nothing. {@link Sync#hasReached} tells whether a peer has it.
     */
    long commitSequence();

    /** Exactly {@code {"items": [...], "mutatedDocumentIds": [...]}}, the shape of the HTTP API. */
    String toJson();
}
