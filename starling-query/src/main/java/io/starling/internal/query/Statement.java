package io.starling.internal.query;

/**
 * A parsed DQL statement: immutable and thread-safe, so the engine parses a text once and caches the result.
 * {@code toString()} prints the statement back as DQL.
 */
public sealed interface Statement
        permits SelectStatement,
                InsertStatement,
                UpdateStatement,
                FilteredStatement,
                CreateIndexStatement,
                DropIndexStatement,
                ExplainStatement {

    /** The collection named in FROM / INTO / UPDATE / ON (for EXPLAIN, the explained statement's). */
    String collection();

    /** True for INSERT, UPDATE, DELETE, EVICT, CREATE INDEX and DROP INDEX: the engine runs them in a write transaction. */
    boolean isMutation();
}
