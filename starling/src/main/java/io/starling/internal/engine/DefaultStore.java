package io.starling.internal.engine;

import io.starling.ErrorCode;
import io.starling.ObserverCallback;
import io.starling.ObserverHandle;
import io.starling.QueryException;
import io.starling.QueryResult;
import io.starling.SignalNextCallback;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.Store;
import io.starling.StoreChange;
import io.starling.StoreObserver;
import io.starling.Transaction;
import io.starling.TransactionWork;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.crdt.NewDocument;
import io.starling.internal.query.Arguments;
import io.starling.internal.query.Cancellation;
import io.starling.internal.query.Dql;
import io.starling.internal.query.DqlException;
import io.starling.internal.query.EvalContext;
import io.starling.internal.query.InsertStatement;
import io.starling.internal.query.LiveResult;
import io.starling.internal.query.Permissions;
import io.starling.internal.query.QueryExecutor;
import io.starling.internal.query.SelectStatement;
import io.starling.internal.query.Statement;
import io.starling.internal.storage.DocumentStorage;
import io.starling.internal.sync.Principal;
import io.starling.internal.sync.ZombieRule;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The store: parses (with a cache), binds arguments and runs statements in storage transactions. Every
 * statement outside an explicit transaction gets its own transaction, which makes it atomic. Thread-safe:
 * the storage serialises writers and gives readers snapshots.
 */
public final class DefaultStore implements Store {
    static final String META_HLC = "hlc";
    private static final int STATEMENT_CACHE_SIZE = 512;
    /**
     * Longer statement texts are parsed each time rather than cached. A 1,000-document batch insert is about 9,000
     * characters, so this leaves room for batches of several thousand documents.
     */
    static final int MAX_CACHED_STATEMENT_LENGTH = 64 * 1024;
    /** The cached texts' total length: with the bound on entries, keeps the cache small whatever clients send. */
    static final long STATEMENT_CACHE_CHARS = 1 << 20;

    /** The most entries one {@link #changes} call examines. */
    static final int MAX_CHANGES_PAGE = 10_000;
    /** A {@link #changes} page stops once the JSON of its entries reaches this many characters. */
    static final int CHANGES_PAGE_CHARS = 1 << 20;

    /**
     * Meta key: the greatest change sequence of a tombstone purged so far. A change-feed cursor below it would miss
     * that delete, so {@link #changes} refuses it.
     */
    static final String META_PURGED_THROUGH = "changes.purgedThrough";

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(DefaultStore.class);

    private final DocumentStorage storage;
    private final Timestamps timestamps;
    private final StatementRunner runner;
    private final DocumentCache cache = new DocumentCache();
    private final IndexCatalog indexCatalog;
    private final ObserverRegistry observers;
    private final EngineMetrics metrics;
    private final RunningStatements running;
    private final List<ChangeListener> listeners = new CopyOnWriteArrayList<>();
    private final CallbackList<Boolean> commitObservers = new CallbackList<>("a commit observer", log);
    private final ThreadLocal<Boolean> inTransaction = ThreadLocal.withInitial(() -> false);
    private final StatementCache statementCache =
            new StatementCache(STATEMENT_CACHE_SIZE, MAX_CACHED_STATEMENT_LENGTH, STATEMENT_CACHE_CHARS);
    private volatile boolean closed;
    private volatile @Nullable NodeTail node;

    /** Told about the documents each committed write transaction changed, after it committed. */
    interface ChangeListener {
        void committed(List<DocumentWriter.Change> changes);
    }

    /** A remote document state to merge (the sync engine's unit of transfer). */
    public record RemoteDocument(String collection, Value id, DocumentState state) {}

    DefaultStore(DocumentStorage storage, Timestamps timestamps, EngineMetrics metrics, SystemCollections.Info info) {
        this(storage, timestamps, metrics, info, new RunningStatements(StarlingConfig.DEFAULT_STATEMENT_TIMEOUT));
    }

    DefaultStore(
            DocumentStorage storage,
            Timestamps timestamps,
            EngineMetrics metrics,
            SystemCollections.Info info,
            RunningStatements running) {
        this.storage = storage;
        this.timestamps = timestamps;
        this.metrics = metrics;
        this.running = running;
        this.indexCatalog = new IndexCatalog(storage.read(IndexCatalog::load));
        this.runner = new StatementRunner(timestamps, metrics, cache, indexCatalog, info);
        this.observers =
                new ObserverRegistry(this::evaluateLive, this::evaluateLiveResult, timestamps::nowMillis, running);
    }

    @Override
    public StoreObserver registerObserver(String query, Map<String, ?> arguments, ObserverCallback callback) {
        return register(query, arguments, null, Objects.requireNonNull(callback, "callback"), null);
    }

    @Override
    public StoreObserver registerObserver(
            String query, Map<String, ?> arguments, Executor executor, ObserverCallback callback) {
        return register(
                query,
                arguments,
                Objects.requireNonNull(executor, "executor"),
                Objects.requireNonNull(callback, "callback"),
                null);
    }

    @Override
    public StoreObserver registerObserverWithSignalNext(
            String query, Map<String, ?> arguments, SignalNextCallback callback) {
        return register(query, arguments, null, null, Objects.requireNonNull(callback, "callback"));
    }

    @Override
    public StoreObserver registerObserverWithSignalNext(
            String query, Map<String, ?> arguments, Executor executor, SignalNextCallback callback) {
        return register(
                query,
                arguments,
                Objects.requireNonNull(executor, "executor"),
                null,
                Objects.requireNonNull(callback, "callback"));
    }

    private StoreObserver register(
            String text,
            Map<String, ?> arguments,
            @Nullable Executor executor,
            @Nullable ObserverCallback plain,
            @Nullable SignalNextCallback withSignal) {
        checkOpen();
        Statement statement = parse(text);
        if (!(statement instanceof SelectStatement select)) {
            throw new QueryException(ErrorCode.QUERY_INVALID, "an observer needs a SELECT statement", 1, 1);
        }
        Map<String, Value> args = bind(arguments);
        try {
            QueryExecutor.checkArguments(statement, args);
        } catch (DqlException e) {
            throw Errors.query(e);
        }
        return observers.register(text, select, args, executor, plain, withSignal);
    }

    @Override
    public StoreChange.Page changes(long after, int max, Set<String> collections) {
        return readChanges(after, max, collections, null);
    }

    private StoreChange.Page readChanges(
            long after, int max, Set<String> collections, Permissions.@Nullable Grant grant) {
        checkUsable();
        long now = timestamps.nowMillis();
        Set<String> only = Set.copyOf(Objects.requireNonNull(collections, "collections"));
        if (max < 1 || max > MAX_CHANGES_PAGE) {
            throw new IllegalArgumentException("max must be 1 to " + MAX_CHANGES_PAGE + ", got " + max);
        }
        return read(tx -> {
            long last = tx.lastSequence();
            if (after < 0 || after > last) {
                throw new StarlingException(
                        ErrorCode.CHANGES_CURSOR,
                        "the change cursor " + after + " was not given by this database ("
                                + (after < 0 ? "a cursor is never negative" : "its last change is " + last) + ")");
            }
            long purgedThrough = longMeta(tx, META_PURGED_THROUGH);
            if (after != 0 && after < purgedThrough) {
                throw new StarlingException(
                        ErrorCode.CHANGES_CURSOR_EXPIRED,
                        "the change cursor " + after + " is older than deletes purged from this database (through"
                                + " change " + purgedThrough + "): reading on from it would miss them; read again"
                                + " from 0 (the current state of every document) and reconcile");
            }
            List<StoreChange> out = new ArrayList<>();
            long[] cursor = {after};
            long[] chars = {0};
            tx.changesSince(after, max, row -> {
                cursor[0] = row.sequence();
                if (!only.isEmpty() && !only.contains(row.collection())) return true;
                DocumentState state = runner.decodeOrReport(row);
                if (state == null) return true; // damaged: reported by decodeOrReport, nothing to show
                Value id = DocumentIds.decode(row.id());
                Value.Obj document = state.document(id);
                if (grant != null && !grant.permissions().read().everything()) {
                    if (!grant.permissions().read().coversCollection(row.collection())) return true;
                    if (document != null && !grant.mayRead(row.collection(), document, now, Cancellation.NONE)) {
                        return true;
                    }
                }
                String value = document == null
                        ? null
                        : Json.write(Objects.requireNonNull(AttachmentTokens.forJson(document.toJava())));
                String idJson = Json.write(Objects.requireNonNull(id.toJava(), "id")); // ids are never null
                out.add(new StoreChange(
                        row.sequence(),
                        row.collection(),
                        idJson,
                        value == null,
                        value,
                        state.maxStamp().hlc()));
                chars[0] += idJson.length() + (value == null ? 0 : value.length());
                return chars[0] < CHANGES_PAGE_CHARS;
            });
            return new StoreChange.Page(out, cursor[0]);
        });
    }

    @Override
    public ObserverHandle observeCommits(Runnable callback) {
        checkOpen();
        Objects.requireNonNull(callback, "callback");
        return commitObservers.add(ignored -> callback.run());
    }

    @Override
    public Health health() {
        io.starling.internal.storage.StorageException failure = storage.writeFailure();
        if (failure == null) return Health.healthy();
        return new Health(
                Errors.storage(failure).errorCode(),
                Objects.requireNonNullElse(failure.getMessage(), failure.toString()));
    }

    /** A live query's evaluation, on a fresh snapshot (runs on the observers' evaluation thread). */
    private List<Value.Obj> evaluateLive(
            SelectStatement statement, Map<String, Value> args, Cancellation cancellation) {
        return storage.read(tx -> QueryExecutor.select(
                statement, runner.source(tx), new EvalContext(args, timestamps.nowMillis(), cancellation)));
    }

    /** A live query's first evaluation, or a refill, kept for incremental updates (see LiveResult). */
    private ObserverRegistry.Snapshot evaluateLiveResult(
            SelectStatement statement, Map<String, Value> args, Cancellation cancellation) {
        return storage.read(tx -> new ObserverRegistry.Snapshot(
                LiveResult.evaluate(
                        statement, runner.source(tx), new EvalContext(args, timestamps.nowMillis(), cancellation)),
                tx.lastSequence()));
    }

    /** Runs a SELECT the way a live query does (tests compare deliveries with it). */
    List<Value.Obj> evaluateForTest(String select) {
        return evaluateLive((SelectStatement) parse(select), Map.of(), Cancellation.NONE);
    }

    /** The running statements and their deadlines (tests). */
    RunningStatements running() {
        return running;
    }

    /**
     * Stops every running statement at its next poll (it fails with {@code store/closed}; a write rolls back) and
     * every statement started from now on: the first step of closing, so that no statement holds up shutdown.
     */
    void cancelRunning() {
        running.cancelAll();
    }

    /** Runs one statement under a fresh deadline. */
    private <T> T timed(Function<Cancellation, T> body) {
        RunningStatements.Deadline deadline = running.start();
        try {
            return body.apply(deadline);
        } finally {
            running.finish(deadline);
        }
    }

    /** The decoded-document cache (tests). */
    DocumentCache cache() {
        return cache;
    }

    /** The live-query registry, for leak checks in tests. */
    ObserverRegistry observers() {
        return observers;
    }

    @Override
    public QueryResult execute(String statement) {
        return execute(statement, Map.of());
    }

    @Override
    public QueryResult execute(String text, Map<String, ?> arguments) {
        checkUsable();
        Statement statement = parse(text);
        Map<String, Value> args = bind(statement, arguments);
        metrics.statements.increment();
        try {
            if (!statement.isMutation()) {
                return storage.read(tx -> timed(deadline -> runner.read(tx, statement, args, deadline)));
            }
            return write(writer -> timed(deadline -> runner.write(writer, statement, args, deadline)));
        } catch (RuntimeException e) {
            throw Errors.translate(e);
        }
    }

    /**
     * Runs one statement as an identity holding {@code grant} (an HTTP API key): it reads only documents the grant
     * may read (the others are invisible to it, aggregates included), and every document it would write must allow
     * the grant to write it, as stored before and as it is after; otherwise the statement fails whole with {@link
     * ErrorCode#PERMISSION_DENIED} and nothing of it is written. The rules are those of sync (docs/PERMISSIONS.md).
     */
    public QueryResult execute(String text, Map<String, ?> arguments, Permissions.Grant grant) {
        checkUsable();
        Objects.requireNonNull(grant, "grant");
        Statement statement = parse(text);
        Map<String, Value> args = bind(arguments);
        metrics.statements.increment();
        try {
            if (!statement.isMutation()) {
                return storage.read(tx -> timed(deadline -> runner.read(tx, statement, args, deadline, grant)));
            }
            return write(writer -> timed(deadline -> runner.write(writer, statement, args, deadline, grant)));
        } catch (RuntimeException e) {
            throw Errors.translate(e);
        }
    }

    /**
     * A live query as an identity holding {@code grant}: each delivery is the result over the documents the grant
     * may read. Such an observer shares its evaluation with no other.
     */
    public StoreObserver registerObserverWithSignalNext(
            String text, Map<String, ?> arguments, Permissions.Grant grant, SignalNextCallback callback) {
        checkOpen();
        Objects.requireNonNull(grant, "grant");
        Objects.requireNonNull(callback, "callback");
        Statement statement = parse(text);
        if (!(statement instanceof SelectStatement select)) {
            throw new QueryException(ErrorCode.QUERY_INVALID, "an observer needs a SELECT statement", 1, 1);
        }
        if (SystemCollections.isSystem(select.collection())
                && !grant.permissions().read().everything()) {
            throw new StarlingException(
                    ErrorCode.PERMISSION_DENIED,
                    "this identity may not read " + select.collection()
                            + " (a system collection needs permission to read everything)");
        }
        Map<String, Value> args = bind(arguments);
        try {
            QueryExecutor.checkArguments(select, args);
        } catch (DqlException e) {
            throw Errors.query(e);
        }
        ObserverRegistry.Evaluator restricted = (st, a, cancellation) -> storage.read(tx -> QueryExecutor.select(
                st,
                runner.permitted(runner.source(tx), grant, cancellation),
                new EvalContext(a, timestamps.nowMillis(), cancellation)));
        return observers.register(text, select, args, null, null, callback, restricted);
    }

    /**
     * {@link #changes} as an identity holding {@code grant} sees the feed: a document it may not read (as it is now)
     * is skipped; a delete is shown when the grant may read some documents of its collection (a tombstone keeps no
     * fields to test, so the conditions cannot decide; the entry tells the id and that it is gone, nothing else).
     * The page's cursor moves past skipped entries, as for entries of other collections.
     */
    public StoreChange.Page changes(long after, int max, Set<String> collections, Permissions.Grant grant) {
        return readChanges(after, max, collections, Objects.requireNonNull(grant, "grant"));
    }

    @Override
    public <T> T transaction(TransactionWork<T> work) {
        checkUsable();
        return runWork(() -> write(writer -> {
            TxView view = new TxView(writer, null);
            T result = runView(view, work);
            view.rollBackIfBroken(); // throwing here rolls the whole transaction back
            return result;
        }));
    }

    @Override
    public <T> T readTransaction(TransactionWork<T> work) {
        checkUsable();
        return runWork(() -> storage.read(tx -> runView(new TxView(null, tx), work)));
    }

    /** Runs application code on a transaction view, which is dead once the callback returns. */
    private static <T> T runView(TxView view, TransactionWork<T> work) {
        try {
            return work.run(view);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new WorkFailed(e);
        } finally {
            view.end();
        }
    }

    private <T> T runWork(java.util.function.Supplier<T> body) {
        inTransaction.set(true);
        try {
            return body.get();
        } catch (WorkFailed e) {
            throw new StarlingException(
                    ErrorCode.TRANSACTION_FAILED, "transaction failed: " + e.getCause(), e.getCause());
        } catch (io.starling.internal.storage.StorageException e) {
            throw Errors.storage(e);
        } finally {
            inTransaction.set(false);
        }
    }

    /**
     * Merges remote document states in one transaction, through the same write path as local writes.
     * States equal to what is stored change nothing (no sequence number, no notification).
     *
     * @throws StarlingException with {@link ErrorCode#CLOCK_DRIFT} if a state carries a timestamp too far
     *     ahead of the local clock; nothing of the batch is applied
     */
    List<DocumentWriter.Change> mergeRemote(List<RemoteDocument> documents) {
        List<List<DocumentWriter.Change>> changes = new ArrayList<>(1);
        applyRemote(documents, 0, (writer, outcome) -> changes.add(new ArrayList<>(writer.changes())));
        return changes.get(0);
    }

    /**
     * What {@link #applyRemote} refused as zombies, found behind (the sender lacks writes held here), and could not
     * merge because the local copy is damaged (with why).
     */
    record RemoteOutcome(
            List<RemoteDocument> zombies,
            List<RemoteDocument> behind,
            Map<RemoteDocument, String> damaged,
            List<RemoteDocument> denied) {}

    /**
     * The sync engine's entry point: merges remote states in one transaction through the same write path as
     * local writes, refuses zombies (states of documents this store has no row for, entirely older than the
     * tombstone {@code horizon}), and runs {@code alsoInTransaction} before commit, with what the merge found (the
     * checkpoint, unless a document is behind or refused as a zombie).
     *
     * @return the refused zombies, and the documents whose stored state already included the received one
     *     but differs from it (the sender is behind)
     */
    RemoteOutcome applyRemote(
            List<RemoteDocument> documents, long horizon, BiConsumer<DocumentWriter, RemoteOutcome> alsoInTransaction) {
        return applyRemote(documents, horizon, Principal.UNRESTRICTED, alsoInTransaction);
    }

    /**
     * As {@link #applyRemote(List, long, BiConsumer)}, each change judged by the remote's write permission in the
     * transaction that applies it ({@link Principal#mayApply}, on our state before and the merged state after): a
     * change it does not allow is left out and reported in {@link RemoteOutcome#denied()}.
     */
    RemoteOutcome applyRemote(
            List<RemoteDocument> documents,
            long horizon,
            Principal remote,
            BiConsumer<DocumentWriter, RemoteOutcome> alsoInTransaction) {
        checkOpen();
        try {
            return write(writer -> {
                List<RemoteDocument> zombies = new ArrayList<>();
                List<RemoteDocument> behind = new ArrayList<>();
                List<RemoteDocument> denied = new ArrayList<>();
                Map<RemoteDocument, String> damaged = new LinkedHashMap<>();
                for (RemoteDocument doc : documents) {
                    DocumentIds.validate(doc.id());
                    byte[] idBytes = DocumentIds.encode(doc.id());
                    DocumentStorage.Row row = writer.tx().get(doc.collection(), idBytes);
                    DocumentState before = DocumentState.empty();
                    if (row != null) {
                        before = runner.decodeOrReport(row);
                        if (before == null) { // nothing can merge into it; EVICT removes it, and sync brings it back
                            damaged.put(doc, "the local copy is damaged (EVICT it to take the peer's copy)");
                            continue;
                        }
                    }
                    // a stored tombstone older than the horizon counts as no row (ZombieRule)
                    if (ZombieRule.refuses(row == null ? null : before, doc.state(), horizon)) {
                        zombies.add(doc);
                        continue;
                    }
                    timestamps.observe(doc.state().maxStamp());
                    writer.clockAdvanced();
                    DocumentState after = before.merge(doc.state());
                    if (after.equals(before)) {
                        if (!before.equals(doc.state())) behind.add(doc);
                        continue;
                    }
                    if (!remote.mayApply(doc.collection(), idBytes, row == null ? null : before, after)) {
                        denied.add(doc); // not merged: not held, so never relayed
                        continue;
                    }
                    writer.commit(doc.collection(), doc.id(), idBytes, before, after, false);
                    metrics.documentsMerged.increment();
                }
                RemoteOutcome outcome = new RemoteOutcome(zombies, behind, damaged, denied);
                alsoInTransaction.accept(writer, outcome);
                return outcome;
            });
        } catch (RuntimeException e) {
            throw Errors.translate(e);
        }
    }

    /**
     * Removes tombstones whose whole state is older than {@code horizonHlc} and raises the stored tombstone
     * horizon to it (sync then refuses older states of documents it has no row for: SYNC-PROTOCOL.md,
     * "Tombstone horizon"). Returns the number of tombstones removed.
     */
    long purgeTombstones(long horizonHlc) {
        checkOpen();
        return write(writer -> {
            long current = longMeta(writer.tx(), EngineSyncStore.META_HORIZON);
            long horizon = Math.max(current, horizonHlc);
            long purged = 0;
            long purgedThrough = 0;
            for (String collection : writer.tx().collections()) {
                List<DocumentStorage.Row> doomed = new ArrayList<>();
                writer.tx().scan(collection, false, row -> {
                    if (!row.live()) {
                        DocumentState state = runner.decodeOrReport(row);
                        if (state != null && ZombieRule.purges(state, horizon)) doomed.add(row);
                    }
                    return true;
                });
                for (DocumentStorage.Row row : doomed) {
                    writer.tx().remove(collection, row.id());
                    purgedThrough = Math.max(purgedThrough, row.sequence());
                    purged++;
                }
            }
            if (purgedThrough > longMeta(writer.tx(), META_PURGED_THROUGH)) {
                writer.tx()
                        .putMeta(
                                META_PURGED_THROUGH,
                                ByteBuffer.allocate(8).putLong(purgedThrough).array());
            }
            writer.tx()
                    .putMeta(
                            EngineSyncStore.META_HORIZON,
                            ByteBuffer.allocate(8).putLong(horizon).array());
            return purged;
        });
    }

    private static long longMeta(DocumentStorage.ReadTx tx, String key) {
        byte[] b = tx.meta(key);
        return b == null ? 0 : ByteBuffer.wrap(b).getLong();
    }

    /** The statement runner (for tests of the document cache). */
    StatementRunner runner() {
        return runner;
    }

    /** Runs a read against the storage (for the sync engine's store view). */
    <T> T read(DocumentStorage.ReadWork<T> work) {
        checkOpen();
        try {
            return storage.read(work);
        } catch (RuntimeException e) {
            throw Errors.translate(e);
        }
    }

    /** EVICT of documents by id (sync's ZOMBIES): local copies go, nothing replicates. */
    void evictLocal(List<RemoteDocument> documents) {
        checkOpen();
        write(writer -> {
            for (RemoteDocument doc : documents) {
                byte[] idBytes = DocumentIds.encode(doc.id());
                DocumentStorage.Row row = writer.tx().get(doc.collection(), idBytes);
                if (row == null) continue;
                DocumentState before = runner.decodeOrReport(row);
                if (before != null) writer.evict(doc.collection(), doc.id(), idBytes, before);
                else writer.evictDamaged(doc.collection(), doc.id(), idBytes);
            }
            return null;
        });
    }

    /** Parses a statement with the store's cache (sync subscriptions). */
    Statement parseStatement(String text) {
        return parse(text);
    }

    /** Binds arguments as statements do, keeping the order of {@code arguments} (a subscription's key shows it). */
    static Map<String, Value> bindArguments(Map<String, ?> arguments) {
        Map<String, Value> args = new LinkedHashMap<>();
        if (arguments != null) for (Map.Entry<String, ?> e : arguments.entrySet()) args.put(e.getKey(), bindOne(e));
        return args;
    }

    /** The stored state of a document (live, tombstone or empty), for sync and tests. */
    public DocumentState documentState(String collection, Value id) {
        checkOpen();
        byte[] idBytes = DocumentIds.encode(id);
        return storage.read(tx -> StatementRunner.load(tx, collection, idBytes));
    }

    /** The site id this store stamps its writes with. */
    long stampSite() {
        return timestamps.site();
    }

    /** The highest change sequence number assigned so far. */
    public long lastSequence() {
        checkOpen();
        return storage.read(DocumentStorage.ReadTx::lastSequence);
    }

    /**
     * Makes this store a node of a shared storage: its write transactions start from the stored clock, and {@code
     * tail} learns which changes were committed here (so it does not announce them twice). Called once, before use.
     */
    void becomeNode(NodeTail tail) {
        this.node = tail;
    }

    /** The index definitions this store plans with (a node's tail reads them with the log, see adoptIndexes). */
    IndexCatalog.Version indexes() {
        return indexCatalog.published();
    }

    /**
     * The index definitions stored when a node's tail read the log, {@code known} being {@link #indexes} before that
     * read: indexes created or dropped on another node are planned with from now on.
     */
    void adoptIndexes(IndexCatalog.Version known, byte @Nullable [] stored) {
        indexCatalog.adopt(known, stored);
    }

    /**
     * Announces commits made by other nodes of a shared storage (found by {@link NodeTail}) as if they had been made
     * here: live queries of those collections are evaluated again, change listeners (sync) and commit observers
     * (change feed readers) are woken.
     */
    void committedElsewhere(java.util.Set<String> collections) {
        if (closed) return;
        observers.changedElsewhere(collections);
        for (ChangeListener l : listeners) l.committed(List.of());
        commitObservers.deliver(() -> Boolean.TRUE);
    }

    private static long longMeta(byte @Nullable [] b) {
        return b == null || b.length != 8 ? 0 : ByteBuffer.wrap(b).getLong();
    }

    void addChangeListener(ChangeListener listener) {
        listeners.add(listener);
    }

    /** Refuses further calls and closes every observer (waiting for running callbacks). */
    void markClosed() {
        closed = true;
        observers.close();
        commitObservers.closeAll();
    }

    private <T> T write(Function<DocumentWriter, T> body) {
        List<List<DocumentWriter.Change>> committed = new ArrayList<>(1);
        List<DocumentWriter> writers = new ArrayList<>(1);
        T result = storage.write(tx -> {
            if (node != null) {
                // a node of a shared storage: the stored clock is every node's high-water mark (write transactions
                // on the database run one at a time), so a stamp taken here is above every stamp committed before
                long stored = longMeta(tx.meta(META_HLC));
                if (stored > 0) timestamps.observeStored(stored);
            }
            DocumentWriter writer = new DocumentWriter(tx, metrics, indexCatalog.forWrite(tx));
            T r = body.apply(writer);
            if (writer.usedStamps()) {
                tx.putMeta(
                        META_HLC,
                        ByteBuffer.allocate(8).putLong(timestamps.last()).array());
            }
            committed.add(writer.changes());
            writers.add(writer);
            return r;
        });
        if (writers.get(0).indexesChanged()) indexCatalog.publish(writers.get(0).indexes());
        List<DocumentWriter.Change> changes = committed.get(0);
        NodeTail tail = node;
        if (tail != null) tail.committedHere(changes);
        if (!changes.isEmpty()) {
            observers.committed(changes);
            for (ChangeListener l : listeners) l.committed(changes);
            commitObservers.deliver(() -> Boolean.TRUE);
        }
        return result;
    }

    private Statement parse(String text) {
        if (text == null) throw new QueryException(ErrorCode.QUERY_SYNTAX, "statement is null", 0, 0);
        Statement cached = statementCache.get(text);
        if (cached != null) return cached;
        try {
            Statement parsed = Dql.parse(text);
            statementCache.put(text, parsed);
            return parsed;
        } catch (DqlException e) {
            throw Errors.query(e);
        }
    }

    // ---- attachments (docs/ATTACHMENTS.md)

    private volatile @Nullable AttachmentService attachments;

    /** The instance's attachment layer (set once, when the instance opens). */
    void attachments(AttachmentService service) {
        this.attachments = service;
    }

    AttachmentService attachmentService() {
        AttachmentService a = attachments;
        if (a == null) throw new StarlingException(ErrorCode.CLOSED, "this store has no attachment layer");
        return a;
    }

    @Override
    public io.starling.AttachmentToken newAttachment(java.nio.file.Path file, Map<String, String> metadata) {
        Objects.requireNonNull(file, "file");
        checkOpen();
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            return attachmentService().store(in, metadata);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new StarlingException(ErrorCode.STORE_IO, "cannot attach " + file + ": no such file", e);
        } catch (java.io.IOException e) {
            throw new StarlingException(ErrorCode.STORE_IO, "cannot attach " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public io.starling.AttachmentToken newAttachment(byte[] data, Map<String, String> metadata) {
        Objects.requireNonNull(data, "data");
        checkOpen();
        return attachmentService().store(new java.io.ByteArrayInputStream(data), metadata);
    }

    @Override
    public io.starling.AttachmentToken newAttachment(java.io.InputStream in, Map<String, String> metadata) {
        Objects.requireNonNull(in, "in");
        checkOpen();
        return attachmentService().store(in, metadata);
    }

    @Override
    public io.starling.AttachmentFetcher fetchAttachment(
            io.starling.AttachmentToken token, io.starling.AttachmentFetchListener listener) {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(listener, "listener");
        return attachmentService().fetch(token, listener);
    }

    @Override
    public List<io.starling.AttachmentFetcher> attachmentFetchers() {
        return attachmentService().fetchers();
    }

    /**
     * The statement's arguments as DQL values, each converted in one walk (attachment tokens included), in an
     * immutable map that the evaluation context takes as it is (no second copy).
     */
    private static Map<String, Value> bind(@Nullable Map<String, ?> arguments) {
        if (arguments == null || arguments.isEmpty()) return Map.of();
        Arguments.Builder args = Arguments.builder(arguments.size());
        for (Map.Entry<String, ?> e : arguments.entrySet()) args.put(e.getKey(), bindOne(e));
        // QueryExecutor checks that every referenced argument is supplied when it runs the statement
        return args.build();
    }

    /**
     * {@link #bind(Map)} for {@code statement}: an INSERT's documents given as bare arguments ({@code DOCUMENTS (:d0),
     * (:d1)}) that are plain maps are encoded straight to their state's bytes instead ({@link NewDocument}), in the
     * same walk that checks them. A map the walk does not take is converted as before, so every error is the one the
     * ordinary path reports, in the same order.
     */
    private static Map<String, Value> bind(Statement statement, @Nullable Map<String, ?> arguments) {
        if (!(statement instanceof InsertStatement insert) || insert.documentArguments() == null)
            return bind(arguments);
        if (arguments == null || arguments.isEmpty()) return Map.of();
        Arguments.Builder args = Arguments.builder(arguments.size());
        for (Map.Entry<String, ?> e : arguments.entrySet()) {
            String name = e.getKey();
            if (name != null && e.getValue() instanceof Map<?, ?> map && insert.isDocumentArgument(name)) {
                NewDocument doc = NewDocument.of(map, AttachmentTokens::asArgument);
                if (doc != null) {
                    args.putDocument(name, doc);
                    continue;
                }
            }
            args.put(e.getKey(), bindOne(e));
        }
        return args.build();
    }

    private static Value bindOne(Map.Entry<String, ?> argument) {
        String name = argument.getKey();
        if (name == null) throw new QueryException(ErrorCode.QUERY_ARGUMENT, "an argument has a null name", 0, 0);
        try {
            Object arg = argument.getValue();
            return arg == null ? Value.NULL : Value.fromJava(arg, AttachmentTokens::asArgument);
        } catch (IllegalArgumentException bad) {
            throw new QueryException(
                    ErrorCode.QUERY_ARGUMENT,
                    "argument :" + name + " has a value DQL cannot use: " + bad.getMessage(),
                    0,
                    0);
        }
    }

    private void checkUsable() {
        checkOpen();
        if (inTransaction.get()) {
            throw new StarlingException(
                    ErrorCode.TRANSACTION_FAILED,
                    "the store was called from inside a transaction callback; use the Transaction passed to the callback");
        }
    }

    private void checkOpen() {
        if (closed) throw new StarlingException(ErrorCode.CLOSED, "this Starling instance is closed");
    }

    /** Carries a checked exception out of the storage callback. */
    private static final class WorkFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        WorkFailed(Exception cause) {
            super(cause);
        }
    }

    /**
     * The Transaction handed to application code: valid during the callback, on its thread.
     *
     * <p>There are no savepoints, so a statement that fails after writing part of its work (a timeout, an id conflict
     * in the middle of a batch) breaks the transaction: later statements are refused and the whole transaction rolls
     * back when the callback returns, even if the application caught the exception. A statement that fails before
     * writing anything leaves the transaction usable.
     */
    private final class TxView implements Transaction {
        private final @Nullable DocumentWriter writer;
        private final DocumentStorage.@Nullable ReadTx readTx;
        private final Thread owner = Thread.currentThread();
        private boolean ended;
        /** The failure that broke this transaction, or null. */
        private @Nullable StarlingException broken;

        TxView(@Nullable DocumentWriter writer, DocumentStorage.@Nullable ReadTx readTx) {
            this.writer = writer;
            this.readTx = readTx;
        }

        @Override
        public QueryResult execute(String statement) {
            return execute(statement, Map.of());
        }

        @Override
        public QueryResult execute(String text, Map<String, ?> arguments) {
            if (ended) throw new StarlingException(ErrorCode.TRANSACTION_FAILED, "this transaction has ended");
            if (Thread.currentThread() != owner) {
                throw new StarlingException(
                        ErrorCode.TRANSACTION_FAILED,
                        "a transaction may only be used on the thread that runs its callback");
            }
            checkOpen();
            if (broken != null) {
                throw new StarlingException(
                        ErrorCode.TRANSACTION_FAILED,
                        "this transaction will roll back: an earlier statement failed after writing part of its"
                                + " work (" + broken.getMessage() + ")",
                        broken);
            }
            Statement statement = parse(text);
            Map<String, Value> args = bind(statement, arguments);
            metrics.statements.increment();
            if (statement.isMutation() && writer == null) {
                throw new StarlingException(
                        ErrorCode.TRANSACTION_READ_ONLY,
                        "cannot run " + text.strip().split("\\s+", 2)[0].toUpperCase(java.util.Locale.ROOT)
                                + " in a read-only transaction");
            }
            int writesBefore = writer == null ? 0 : writer.mutations();
            try {
                return timed(deadline -> writer != null
                        ? runner.write(writer, statement, args, deadline)
                        : runner.read(Objects.requireNonNull(readTx), statement, args, deadline));
            } catch (RuntimeException e) {
                RuntimeException translated = Errors.translate(e);
                if (writer != null && writer.mutations() != writesBefore) {
                    broken = translated instanceof StarlingException s
                            ? s
                            : new StarlingException(ErrorCode.INTERNAL, translated.toString(), translated);
                }
                throw translated;
            }
        }

        /** After the callback: a broken transaction rolls back whatever the callback did with the failure. */
        void rollBackIfBroken() {
            if (broken != null) {
                throw new StarlingException(
                        ErrorCode.TRANSACTION_FAILED,
                        "the transaction was rolled back: a statement failed after writing part of its work ("
                                + broken.getMessage() + ")",
                        broken);
            }
        }

        @Override
        public boolean isReadOnly() {
            return writer == null;
        }

        void end() {
            ended = true;
        }
    }
}
