package io.starling.internal.engine;

import io.starling.ObserverCallback;
import io.starling.QueryResultChange;
import io.starling.QueryResultDiff;
import io.starling.QueryResultItem;
import io.starling.SignalNextCallback;
import io.starling.StoreObserver;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.query.Cancellation;
import io.starling.internal.query.DqlException;
import io.starling.internal.query.EvalContext;
import io.starling.internal.query.LiveResult;
import io.starling.internal.query.QueryExecutor;
import io.starling.internal.query.SelectStatement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Design note — live queries.
 *
 * Threads. The writer only hands each committed transaction's changes to the live queries of the
 * collections it touched (a list append per query; nothing is decoded or evaluated on the writer's
 * thread). One evaluation thread per instance then, per live query, takes all changes that piled up,
 * keeps only those that can affect the result — a change is relevant if the document before or after it
 * matches the query's WHERE (aggregates without WHERE: any change of the collection) — and if any is
 * relevant, re-runs the query on a fresh snapshot. Deliveries run on the observer's executor (default: one
 * serial delivery thread per instance), never on the writer's or the evaluation thread.
 *
 * Sharing. Observers of the same statement text and arguments share one live query: one evaluation and
 * one immutable result, however many observers hold it. Each observer remembers only the result it last
 * delivered (a reference) to compute its diff.
 *
 * Coalescing. Evaluation drains every pending change at once, so a burst of transactions costs one
 * evaluation. An observer whose previous callback is still running (or, with signalNext, not yet
 * signalled) is not queued again: when it becomes free it gets the latest result, diffed against what it
 * last saw. Memory per live query is therefore bounded: pending changes are capped (beyond the cap, the
 * query is simply marked for re-evaluation and the changes dropped) and each observer holds at most two
 * results. The writer is never blocked by observers.
 *
 * Time limit. Each evaluation (the relevance checks and the re-run) runs under one statement deadline (see
 * RunningStatements), so a live query whose WHERE is very slow cannot stall the evaluation thread, and with it every
 * other live query of the instance: it is stopped, logged, keeps its last result, and is tried again after the next
 * relevant change.
 */

/** The live queries of one store. Thread-safe. */
final class ObserverRegistry {
    private static final Logger log = LoggerFactory.getLogger(ObserverRegistry.class);
    /** Beyond this many pending changes a live query stops tracking them and re-evaluates unconditionally. */
    static final int MAX_PENDING_CHANGES = 10_000;

    /** Runs a SELECT on a fresh snapshot, polling {@code cancellation}; supplied by the store. */
    interface Evaluator {
        List<Value.Obj> evaluate(SelectStatement statement, Map<String, Value> args, Cancellation cancellation);
    }

    /** Runs a SELECT that {@link LiveResult#supports} on a fresh snapshot, keeping its rows; supplied by the store. */
    interface IncrementalEvaluator {
        Snapshot evaluate(SelectStatement statement, Map<String, Value> args, Cancellation cancellation);
    }

    /** A live result and the last change sequence of the snapshot it was read from. */
    record Snapshot(LiveResult result, long sequence) {}

    private final Evaluator evaluator;
    private final IncrementalEvaluator incremental;
    /** Numbers the live queries that share nothing (an observer with its own evaluator). */
    private final java.util.concurrent.atomic.AtomicLong ownQueries = new java.util.concurrent.atomic.AtomicLong();

    private final LongSupplier clock;
    private final RunningStatements running;
    private final Map<String, LiveQuery> byKey = new ConcurrentHashMap<>();
    private final Map<String, List<LiveQuery>> byCollection = new ConcurrentHashMap<>();
    // created with the first observer, so that an instance without observers runs no threads
    private @Nullable ExecutorService evaluation;
    private @Nullable ExecutorService delivery;
    private volatile boolean closed;

    ObserverRegistry(
            Evaluator evaluator, IncrementalEvaluator incremental, LongSupplier clock, RunningStatements running) {
        this.evaluator = evaluator;
        this.incremental = incremental;
        this.clock = clock;
        this.running = running;
    }

    private synchronized void startThreads() {
        if (evaluation == null) {
            evaluation = Executors.newSingleThreadExecutor(daemon("starling-observer-evaluation"));
            delivery = Executors.newSingleThreadExecutor(daemon("starling-observer-delivery"));
        }
    }

    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    private java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + (n.getAndIncrement() == 0 ? "" : "-" + n.get()));
            t.setDaemon(true);
            threads.add(t);
            return t;
        };
    }

    StoreObserver register(
            String text,
            SelectStatement statement,
            Map<String, Value> args,
            @Nullable Executor executor,
            @Nullable ObserverCallback plain,
            @Nullable SignalNextCallback withSignal) {
        return register(text, statement, args, executor, plain, withSignal, null);
    }

    /**
     * As above; with {@code own} not null, the observer evaluates with that evaluator (a caller's restricted view of
     * the store) and shares its live query with no other observer.
     */
    StoreObserver register(
            String text,
            SelectStatement statement,
            Map<String, Value> args,
            @Nullable Executor executor,
            @Nullable ObserverCallback plain,
            @Nullable SignalNextCallback withSignal,
            @Nullable Evaluator own) {
        if (closed) throw new IllegalStateException("closed");
        startThreads();
        Observer observer;
        synchronized (this) {
            String key = text + '\u0000' + args + (own == null ? "" : "\u0000own:" + ownQueries.incrementAndGet());
            LiveQuery live = byKey.computeIfAbsent(key, k -> {
                LiveQuery q = new LiveQuery(k, text, statement, args, own == null ? evaluator : own, own == null);
                byCollection
                        .computeIfAbsent(statement.collection(), c -> new CopyOnWriteArrayList<>())
                        .add(q);
                return q;
            });
            observer = new Observer(
                    live, executor == null ? Objects.requireNonNull(delivery) : executor, plain, withSignal);
            live.observers.add(observer);
        }
        // the first delivery: the live query's current result if it has one, else after a first evaluation
        observer.live.scheduleEvaluation();
        return observer;
    }

    /** Called by the store after each commit, on the writer's thread. Cheap: appends and schedules. */
    void committed(List<DocumentWriter.Change> changes) {
        if (closed || byCollection.isEmpty()) return;
        Map<String, List<DocumentWriter.Change>> grouped = new java.util.HashMap<>();
        for (DocumentWriter.Change c : changes) {
            if (byCollection.containsKey(c.collection))
                grouped.computeIfAbsent(c.collection, k -> new ArrayList<>()).add(c);
        }
        for (Map.Entry<String, List<DocumentWriter.Change>> e : grouped.entrySet()) {
            for (LiveQuery q : byCollection.getOrDefault(e.getKey(), List.of())) q.offer(e.getValue());
        }
    }

    /**
     * Documents of {@code collections} were changed by another node of a shared storage: what they were before is not
     * known here, so every live query of those collections is evaluated again (its result is delivered only if it
     * differs).
     */
    void changedElsewhere(java.util.Set<String> collections) {
        if (closed || byCollection.isEmpty()) return;
        for (String collection : collections) {
            for (LiveQuery q : byCollection.getOrDefault(collection, List.of())) q.reevaluate();
        }
    }

    /**
     * Evaluations run so far, by re-running the query or by updating its result from the changed documents — tests
     * use it to see that irrelevant changes are skipped.
     */
    final java.util.concurrent.atomic.AtomicLong evaluations = new java.util.concurrent.atomic.AtomicLong();

    /** Evaluations that re-ran the query on a snapshot (tests: an incremental update is not one). */
    final java.util.concurrent.atomic.AtomicLong reruns = new java.util.concurrent.atomic.AtomicLong();

    /** Evaluations stopped by the statement time limit (tests). */
    final java.util.concurrent.atomic.AtomicLong timeouts = new java.util.concurrent.atomic.AtomicLong();

    /** The failure of a statement stopped because the instance is closing. */
    private static boolean isClosing(RuntimeException e) {
        return e instanceof io.starling.StarlingException s && s.errorCode() == io.starling.ErrorCode.CLOSED;
    }

    /** Waits until the evaluation thread has handled everything queued before this call (tests). */
    void awaitEvaluations() throws InterruptedException {
        ExecutorService e;
        synchronized (this) {
            e = evaluation;
        }
        if (e == null) return;
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        e.execute(done::countDown);
        if (!done.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("evaluation thread stuck");
    }

    /** Number of live queries (shared evaluations) — for leak checks. */
    int liveQueries() {
        return byKey.size();
    }

    /** Number of open observers — for leak checks. */
    int observers() {
        int n = 0;
        for (LiveQuery q : byKey.values()) n += q.observers.size();
        return n;
    }

    /** Closes every observer and stops the threads. Idempotent. */
    void close() {
        closed = true;
        for (LiveQuery q : new ArrayList<>(byKey.values())) {
            for (Observer o : new ArrayList<>(q.observers)) o.close();
        }
        ExecutorService e, d;
        synchronized (this) {
            e = evaluation;
            d = delivery;
        }
        if (e == null || d == null) return;
        e.shutdownNow();
        d.shutdownNow();
        try {
            e.awaitTermination(10, TimeUnit.SECONDS);
            d.awaitTermination(10, TimeUnit.SECONDS);
            for (Thread t : threads) t.join(10_000); // gone when close() returns
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized void remove(Observer observer) {
        LiveQuery q = observer.live;
        q.observers.remove(observer);
        if (q.observers.isEmpty()) {
            byKey.remove(q.key);
            List<LiveQuery> list = byCollection.get(q.statement.collection());
            if (list != null) {
                list.remove(q);
                if (list.isEmpty()) byCollection.remove(q.statement.collection());
            }
            q.discard();
        }
    }

    /** An immutable evaluated result. */
    record Result(long version, List<Value.Obj> items) {}

    /** One evaluated statement shared by its observers. */
    private final class LiveQuery {
        final String key;
        final String text;
        final SelectStatement statement;
        final Map<String, Value> args;
        final List<Observer> observers = new CopyOnWriteArrayList<>();
        private final boolean anyChangeMatters;
        /** Whether the result is kept up to date from changed documents (LiveResult) instead of re-run. */
        private final boolean incrementally;
        // owned by the evaluation thread: the kept result, the snapshot it was read at, the last change applied
        private @Nullable LiveResult kept;
        private long snapshotSequence;
        private long appliedSequence;
        // guarded by this
        private List<DocumentWriter.Change> pending = new ArrayList<>();
        private boolean overflowed;
        private boolean scheduled;
        private volatile @Nullable Result current;

        private final Evaluator evaluator;

        /**
         * @param mayFollowChanges whether the result may be kept from the changed documents: not for an observer with
         *     its own, restricted evaluator, since the changes are the whole store's (its result is re-run instead)
         */
        LiveQuery(
                String key,
                String text,
                SelectStatement statement,
                Map<String, Value> args,
                Evaluator evaluator,
                boolean mayFollowChanges) {
            this.key = key;
            this.evaluator = evaluator;
            this.text = text;
            this.statement = statement;
            this.args = args;
            this.anyChangeMatters = statement.where() == null;
            this.incrementally = mayFollowChanges && LiveResult.supports(statement);
        }

        synchronized void offer(List<DocumentWriter.Change> changes) {
            if (overflowed) {
                // already re-evaluating unconditionally
            } else if (pending.size() + changes.size() > MAX_PENDING_CHANGES) {
                overflowed = true;
                pending = new ArrayList<>();
            } else {
                pending.addAll(changes);
            }
            scheduleEvaluationLocked();
        }

        /** Evaluates again whatever the pending changes say (they cannot tell what changed elsewhere). */
        synchronized void reevaluate() {
            overflowed = true;
            pending = new ArrayList<>();
            scheduleEvaluationLocked();
        }

        /** For a new observer: evaluates if there is no result yet, then offers the result to every observer. */
        synchronized void scheduleEvaluation() {
            scheduleEvaluationLocked();
        }

        private void scheduleEvaluationLocked() {
            if (scheduled || closed) return;
            scheduled = true;
            try {
                Objects.requireNonNull(evaluation, "started with the first observer")
                        .execute(this::evaluate);
            } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
                scheduled = false;
            }
        }

        synchronized void discard() {
            pending = new ArrayList<>();
        }

        private void evaluate() {
            List<DocumentWriter.Change> changes;
            boolean unconditional;
            synchronized (this) {
                scheduled = false;
                changes = pending;
                unconditional = overflowed || current == null;
                pending = new ArrayList<>();
                overflowed = false;
            }
            if (observers.isEmpty()) return;
            RunningStatements.Deadline deadline = running.start();
            try {
                List<Value.Obj> items = null;
                if (incrementally) {
                    items = incrementalItems(unconditional, changes, deadline);
                } else if (unconditional || relevant(changes, deadline)) {
                    evaluations.incrementAndGet();
                    reruns.incrementAndGet();
                    items = Collections.unmodifiableList(evaluator.evaluate(statement, args, deadline));
                }
                Result previous = current;
                if (items != null && (previous == null || !previous.items().equals(items))) {
                    current = new Result(previous == null ? 1 : previous.version() + 1, items);
                }
            } catch (RuntimeException e) {
                if (incrementally) kept = null; // whatever was half applied: re-run next time
                if (closed || isClosing(e)) return;
                if (e instanceof DqlException q && q.kind() == DqlException.Kind.TIMEOUT) {
                    timeouts.incrementAndGet();
                    log.warn(
                            "live query '{}' was stopped after the statement time limit of {}; its observers keep"
                                    + " their last result and it is evaluated again after the next change that can"
                                    + " affect it",
                            text,
                            RunningStatements.text(running.limit()));
                } else {
                    log.warn("live query '{}' could not be re-evaluated: {}", text, e.toString());
                }
                return;
            } finally {
                running.finish(deadline);
            }
            Result result = current;
            if (result == null) return;
            for (Observer o : observers) o.offer(result);
        }

        /**
         * The new items of an incrementally kept result, or null when the changes left it as it was. Changes come in
         * sequence order and apply to the kept rows; the query re-runs on a fresh snapshot when there is no kept
         * result yet, when a row left a LIMIT window that cannot refill itself, for an eviction (it has no sequence
         * number to order it by), or when a change arrives after a later one was applied (commits hand their changes
         * over after releasing the writer, so two can cross). Changes the snapshot already holds are skipped.
         */
        private @Nullable List<Value.Obj> incrementalItems(
                boolean unconditional, List<DocumentWriter.Change> changes, Cancellation cancellation) {
            LiveResult result = kept;
            boolean rerun = unconditional || result == null;
            boolean changed = false;
            if (!rerun && result != null) {
                List<DocumentWriter.Change> ordered = new ArrayList<>(changes);
                ordered.sort(java.util.Comparator.comparingLong(c -> c.sequence));
                EvalContext ctx = new EvalContext(args, clock.getAsLong(), cancellation);
                for (DocumentWriter.Change c : ordered) {
                    cancellation.check();
                    if (c.sequence < 0 || (c.sequence > snapshotSequence && c.sequence <= appliedSequence)) {
                        rerun = true;
                        break;
                    }
                    if (c.sequence <= snapshotSequence) continue;
                    appliedSequence = c.sequence;
                    LiveResult.Outcome outcome = result.apply(c.id, c.after().document(c.id), ctx);
                    if (outcome == LiveResult.Outcome.REFILL) {
                        rerun = true;
                        break;
                    }
                    if (outcome == LiveResult.Outcome.CHANGED) changed = true;
                }
            }
            if (rerun) {
                kept = null;
                reruns.incrementAndGet();
                Snapshot snapshot = incremental.evaluate(statement, args, cancellation);
                kept = result = snapshot.result();
                snapshotSequence = appliedSequence = snapshot.sequence();
                changed = true;
            }
            if (!changed) return null;
            evaluations.incrementAndGet();
            return Objects.requireNonNull(result).items();
        }

        private boolean relevant(List<DocumentWriter.Change> changes, Cancellation cancellation) {
            if (changes.isEmpty()) return false;
            if (anyChangeMatters) return true;
            EvalContext ctx = new EvalContext(args, clock.getAsLong(), cancellation);
            for (DocumentWriter.Change c : changes) {
                cancellation.check();
                if (matches(c.before, c.id, ctx) || matches(c.after(), c.id, ctx)) return true;
            }
            return false;
        }

        private boolean matches(DocumentState state, Value id, EvalContext ctx) {
            Value.Obj doc = state.document(id);
            return doc != null && QueryExecutor.matches(statement, doc, ctx);
        }
    }

    /** One registered observer. */
    private final class Observer implements StoreObserver {
        final LiveQuery live;
        private final Executor executor;
        private final @Nullable ObserverCallback plain;
        private final @Nullable SignalNextCallback withSignal;
        private final Object callbackLock = new Object();
        // guarded by this
        private @Nullable Result delivered;
        private @Nullable Result waiting;
        private boolean busy;
        private volatile boolean closed;

        Observer(
                LiveQuery live,
                Executor executor,
                @Nullable ObserverCallback plain,
                @Nullable SignalNextCallback withSignal) {
            this.live = live;
            this.executor = executor;
            this.plain = plain;
            this.withSignal = withSignal;
        }

        /** A newer result is available: deliver it now, or as soon as the observer is free. */
        void offer(Result result) {
            synchronized (this) {
                if (closed || (delivered != null && delivered.version() >= result.version())) return;
                if (waiting != null && waiting.version() >= result.version()) return;
                waiting = result;
                if (busy) return;
                busy = true;
            }
            dispatch();
        }

        private void dispatch() {
            try {
                executor.execute(this::deliver);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                synchronized (this) {
                    busy = false;
                }
            }
        }

        private void deliver() {
            Result previous, next;
            synchronized (this) {
                next = waiting;
                waiting = null;
                previous = delivered;
                if (closed || next == null) {
                    busy = false;
                    return;
                }
                delivered = next;
            }
            Change change = new Change(previous, next);
            boolean signalled;
            synchronized (callbackLock) {
                if (closed) return;
                try {
                    if (plain != null) {
                        plain.onChange(change);
                        signalled = true;
                    } else {
                        Objects.requireNonNull(withSignal, "an observer has one of the two callbacks")
                                .onChange(change, this::signalNext);
                        signalled = false;
                    }
                } catch (RuntimeException e) {
                    log.warn("observer callback of '{}' threw; the observer stays registered", live.text, e);
                    signalled = plain != null;
                }
            }
            if (signalled) release();
        }

        private void signalNext() {
            release();
        }

        /** The callback is done (or signalled): deliver what arrived meanwhile, if anything. */
        private void release() {
            synchronized (this) {
                if (!busy) return; // a second signalNext
                if (closed || waiting == null) {
                    busy = false;
                    return;
                }
            }
            dispatch();
        }

        @Override
        public String query() {
            return live.text;
        }

        @Override
        public boolean isClosed() {
            return closed;
        }

        @Override
        public void close() {
            synchronized (this) {
                if (closed) return;
                closed = true;
                waiting = null;
                delivered = null;
            }
            synchronized (callbackLock) {
                // waits for a callback running on another thread; reentrant from inside the callback
            }
            remove(this);
        }
    }

    /** A delivery. */
    private static final class Change implements QueryResultChange {
        private final List<QueryResultItem> items;
        private final QueryResultDiff diff;
        private final boolean initial;

        Change(@Nullable Result previous, Result next) {
            this.initial = previous == null;
            List<QueryResultItem> wrapped = new ArrayList<>(next.items().size());
            for (Value.Obj o : next.items()) wrapped.add(new DefaultQueryResult.Item(o));
            this.items = Collections.unmodifiableList(wrapped);
            this.diff = ResultDiffer.diff(previous == null ? List.of() : previous.items(), next.items());
        }

        @Override
        public List<QueryResultItem> items() {
            return items;
        }

        @Override
        public QueryResultDiff diff() {
            return diff;
        }

        @Override
        public boolean isInitial() {
            return initial;
        }

        @Override
        public String toString() {
            return "QueryResultChange{initial=" + initial + ", items=" + items.size() + ", diff=" + diff + '}';
        }
    }
}
