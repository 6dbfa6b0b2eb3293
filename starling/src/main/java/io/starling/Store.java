package io.starling;

import java.util.Map;

/**
 * The local document store: runs DQL statements against this replica. Thread-safe.
 *
 * <p>Every statement is atomic: it applies completely or not at all. Writes are serialised (one writer at
 * a time); reads run concurrently with each other and with a writer, on a consistent snapshot. A write is
 * durable when {@code execute} returns (see {@link StarlingConfig.Durability}).
 */
public interface Store {

    /** Runs one statement with no arguments. */
    QueryResult execute(String statement);

    /**
     * Runs one statement. {@code arguments} supplies the named arguments ({@code :name}); values are plain
     * Java values (null, Boolean, Number, String, byte[], Map, List) as Jackson would read them from JSON.
     *
     * @throws QueryException for a statement that does not parse or cannot run, or a missing argument
     * @throws StarlingException for everything else, with its {@link ErrorCode}
     */
    QueryResult execute(String statement, Map<String, ?> arguments);

    /**
     * Runs {@code work} in one serializable read-write transaction: all its writes commit together when it
     * returns, or none do if it throws (the exception is rethrown; a checked one wrapped in a
     * {@link StarlingException} with {@link ErrorCode#TRANSACTION_FAILED}). Blocks other writers meanwhile.
     */
    <T> T transaction(TransactionWork<T> work);

    /** Runs {@code work} on one consistent snapshot; writes inside it fail. Does not block writers. */
    <T> T readTransaction(TransactionWork<T> work);
}
