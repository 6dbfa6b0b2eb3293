package io.starling.internal.query;

/**
 * A parsed DQL statement: immutable and thread-safe, so the engine parses a text once and caches the result.
 * {@link #toString()} prints the statement back as DQL.
 */
public sealed interface Statement
        permits SelectStatement, InsertStatement, UpdateStatement, DeleteStatement, EvictStatement, UnsupportedStatement {

    /** The collection named in FROM / INTO / UPDATE (for EXPLAIN, the explained statement's; "" when none). */
    String collection();

    /** True for INSERT, UPDATE, DELETE and EVICT. */
    boolean isMutation();
}
