package io.starling;

import java.util.Map;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

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
    <T extends @Nullable Object> T transaction(TransactionWork<T> work);

    /** Runs {@code work} on one consistent snapshot; writes inside it fail. Does not block writers. */
    <T extends @Nullable Object> T readTransaction(TransactionWork<T> work);

    /**
     * Observes a SELECT: {@code callback} gets the current result at once (the initial delivery) and again
     * after every committed change that can affect it — local statements (once per transaction) and data
     * merged from peers — with the diff against its previous delivery. If the callback is slower than the
     * changes, intermediate results are skipped: each delivery is the latest result. Callbacks run on one
     * serial delivery thread of this instance, never on the writing thread.
     *
     * @throws QueryException for a statement that is not a valid SELECT or lacks an argument
     */
    StoreObserver registerObserver(String query, Map<String, ?> arguments, ObserverCallback callback);

    /** As {@link #registerObserver(String, Map, ObserverCallback)}, with callbacks run by {@code executor} (one at a time). */
    StoreObserver registerObserver(
            String query, Map<String, ?> arguments, Executor executor, ObserverCallback callback);

    /**
     * As {@link #registerObserver(String, Map, ObserverCallback)}, but the next delivery waits until the
     * callback's {@code signalNext} has been run; changes meanwhile are coalesced.
     */
    StoreObserver registerObserverWithSignalNext(String query, Map<String, ?> arguments, SignalNextCallback callback);

    /** As {@link #registerObserverWithSignalNext(String, Map, SignalNextCallback)}, on {@code executor}. */
    StoreObserver registerObserverWithSignalNext(
            String query, Map<String, ?> arguments, Executor executor, SignalNextCallback callback);
}
