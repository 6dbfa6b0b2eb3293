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
     * @throws QueryException for a statement that does not parse or cannot run, or a missing argument; with
     *     {@link ErrorCode#QUERY_TIMEOUT} for one that ran longer than {@link StarlingConfig#statementTimeout()}
     *     (nothing it wrote is kept)
     * @throws StarlingException for everything else, with its {@link ErrorCode}
     */
    QueryResult execute(String statement, Map<String, ?> arguments);

    /**
     * Runs {@code work} in one serializable read-write transaction: all its writes commit together when it
     * returns, or none do if it throws (the exception is rethrown; a checked one wrapped in a
     * {@link StarlingException} with {@link ErrorCode#TRANSACTION_FAILED}). Blocks other writers meanwhile.
     *
     * <p>Each statement of the transaction has its own time limit; the callback's own code has none. A statement
     * that fails after writing part of its work (a timeout in the middle of an UPDATE, for example) breaks the
     * transaction: later statements fail with {@link ErrorCode#TRANSACTION_FAILED} and everything rolls back when the
     * callback returns, even if it caught the failure. A statement that fails before writing anything (a syntax
     * error, an id conflict of a one-document INSERT) leaves the transaction usable.
     *
     * <p>Thread: {@code work} runs on the calling thread, holding the store's writer lock. It must use only the
     * {@link Transaction} it is given, on that thread, and only until it returns; calling this {@code Store} from
     * inside it is refused with an error (it would wait for the lock it holds). Keep it short: every other write
     * waits for it.
     */
    <T extends @Nullable Object> T transaction(TransactionWork<T> work);

    /**
     * Runs {@code work} on one consistent snapshot; writes inside it fail. Does not block writers.
     *
     * <p>Thread: {@code work} runs on the calling thread, and must use only the {@link Transaction} it is given,
     * on that thread, and only until it returns; calling this {@code Store} from inside it is refused.
     */
    <T extends @Nullable Object> T readTransaction(TransactionWork<T> work);

    /**
     * Observes a SELECT: {@code callback} gets the current result at once (the initial delivery) and again
     * after every committed change that can affect it — local statements (once per transaction) and data
     * merged from peers — with the diff against its previous delivery. If the callback is slower than the
     * changes, intermediate results are skipped: each delivery is the latest result.
     *
     * <p>Thread: the instance's one delivery thread ({@code starling-observer-delivery}), shared by every observer
     * registered without an executor, and never the thread that wrote. Calls of one observer never overlap. The
     * callback may read and write the store and may close its own observer; it should return quickly, since
     * every other observer of the instance waits while it runs — pass an executor for slow work. An exception it
     * throws is logged and the observer stays registered.
     *
     * @throws QueryException for a statement that is not a valid SELECT or lacks an argument
     */
    StoreObserver registerObserver(String query, Map<String, ?> arguments, ObserverCallback callback);

    /**
     * As {@link #registerObserver(String, Map, ObserverCallback)}, with the callback run by {@code executor}.
     *
     * <p>Thread: whatever thread {@code executor} runs it on; calls of this observer never overlap (the next is
     * handed to the executor after the previous one returned). The callback may read and write the store.
     */
    StoreObserver registerObserver(
            String query, Map<String, ?> arguments, Executor executor, ObserverCallback callback);

    /**
     * As {@link #registerObserver(String, Map, ObserverCallback)}, but the next delivery waits until the
     * callback's {@code signalNext} has been run; changes meanwhile are coalesced.
     *
     * <p>Thread: the instance's delivery thread ({@code starling-observer-delivery}), as for {@link
     * #registerObserver(String, Map, ObserverCallback)}; {@code signalNext} may be run later from any thread. The
     * callback should return quickly (every other observer of the instance waits while it runs) and must not wait
     * for its own next delivery.
     */
    StoreObserver registerObserverWithSignalNext(String query, Map<String, ?> arguments, SignalNextCallback callback);

    /**
     * As {@link #registerObserverWithSignalNext(String, Map, SignalNextCallback)}, on {@code executor}.
     *
     * <p>Thread: whatever thread {@code executor} runs the callback on; calls of this observer never overlap, and
     * {@code signalNext} may be run from any thread.
     */
    StoreObserver registerObserverWithSignalNext(
            String query, Map<String, ?> arguments, Executor executor, SignalNextCallback callback);

    /**
     * Reads the change feed: the latest state of every document committed after {@code after}, in commit order,
     * one entry per document (a document written again moves to the end with a new cursor, so intermediate
     * versions may be skipped, but a document's entries never go back in time). Deletes are entries too; once a
     * tombstone is purged, a cursor older than it is refused rather than silently skipping the delete; EVICT removes local copies without an entry. A reader that stores the cursor of the
     * last entry it processed and reads again from it gets every later change at least once: this is change data
     * capture. Entries of damaged documents (which do not decode) are skipped and reported in the log.
     *
     * <p>Costs one storage read of at most {@code max} entries; it stops early once the values returned reach
     * about 1 MiB, so that a page of large documents stays small (at least one entry is returned when one
     * follows). Read the next page from {@link StoreChange.Page#cursor()}. Thread-safe; may be called from any
     * thread but not from inside a transaction callback.
     *
     * @param after a cursor this feed gave ({@link StoreChange#cursor()} or {@link StoreChange.Page#cursor()}), or 0
     *     for the beginning
     * @param max the most entries to examine, 1 to 10,000
     * @param collections the collections to return entries of; empty for every collection
     * @throws StarlingException {@link ErrorCode#CHANGES_CURSOR} for a negative cursor or one beyond the last
     *     committed change (a cursor of another database);
     *     {@link ErrorCode#CHANGES_CURSOR_EXPIRED} for a cursor (other than 0) older than a tombstone purged since
     *     ({@link Sync#purgeTombstones}): the deletes it would have missed are gone
     * @throws IllegalArgumentException for {@code max} out of range
     */
    StoreChange.Page changes(long after, int max, java.util.Set<String> collections);

    /**
     * Calls {@code callback} after each write transaction that changed documents has committed — local
     * statements and transactions, and data merged from peers — so that a reader of {@link #changes} can wait for
     * more instead of polling. The call carries nothing: read the feed from the last cursor to see what changed.
     *
     * <p>Thread: the thread that committed (the application's, or a sync thread), after the commit and before the
     * write returns to its caller; calls never overlap. The callback must return quickly and must not read or
     * write the store (hand the work to another thread). An exception it throws is logged and it stays registered.
     */
    ObserverHandle observeCommits(Runnable callback);

    /**
     * Stores {@code file}'s content as an attachment and returns its token (docs/ATTACHMENTS.md). The content is
     * streamed to a temporary file beside the database, synced and renamed under its SHA-256, so a crash never
     * leaves part of a blob under a valid id; content already held is stored once. Put the token in a document to
     * share it: peers fetch it when they ask ({@link #fetchAttachment}).
     *
     * @throws StarlingException {@link ErrorCode#STORE_IO} naming the file that cannot be read or the directory that
     *     cannot be written
     * @throws IllegalArgumentException for metadata {@link AttachmentToken} refuses
     */
    AttachmentToken newAttachment(java.nio.file.Path file, Map<String, String> metadata);

    /** As {@link #newAttachment(java.nio.file.Path, Map)}, from bytes in memory. */
    AttachmentToken newAttachment(byte[] data, Map<String, String> metadata);

    /**
     * As {@link #newAttachment(java.nio.file.Path, Map)}, reading {@code in} to its end (never more than 64 KiB of it
     * in memory at once); the caller closes the stream.
     */
    AttachmentToken newAttachment(java.io.InputStream in, Map<String, String> metadata);

    /**
     * Fetches an attachment: at once from this peer's files when it holds the blob, else from connected peers that
     * hold it (or can fetch it from theirs), resuming from what an earlier fetch left verified. The listener hears
     * progress and then exactly one of completion or failure. A fetch that finds no peer waits for one up to
     * {@link StarlingConfig#attachmentFetchTimeout()} without progress, then fails.
     *
     * @return the running fetch, which cancels when closed; it is also listed by {@link #attachmentFetchers()} until
     *     it ends
     */
    AttachmentFetcher fetchAttachment(AttachmentToken token, AttachmentFetchListener listener);

    /** The fetches running now (started here or on a peer's behalf), a snapshot. */
    java.util.List<AttachmentFetcher> attachmentFetchers();

    /**
     * Whether writes are succeeding, for health checks (the CLI's HTTP API answers {@code /healthz} from it).
     * Healthy until a write transaction — a statement, a {@link #transaction}, data merged from a peer — fails for
     * a condition of the storage itself: no space left ({@link ErrorCode#STORE_FULL}), an I/O error
     * ({@link ErrorCode#STORE_IO}) or a damaged file ({@link ErrorCode#STORE_CORRUPT}); healthy again as soon as a
     * later write commits a change. A user error (a bad statement or document) does not change it. Cheap: no I/O.
     */
    Health health();

    /**
     * The condition of a store: {@link #isHealthy()}, or the error of the last write and its message.
     *
     * @param problem null while healthy; else the code of the failure of the last write
     * @param message empty while healthy; else what failed, for people (it names the database file)
     */
    record Health(@Nullable ErrorCode problem, String message) {
        private static final Health HEALTHY = new Health(null, "");

        public Health {
            java.util.Objects.requireNonNull(message, "message");
        }

        /** The health of a store whose writes succeed. */
        public static Health healthy() {
            return HEALTHY;
        }

        public boolean isHealthy() {
            return problem == null;
        }
    }
}
