package io.starling.internal.engine;

import io.starling.internal.storage.DocumentStorage;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Design note — how a node hears of the other nodes' commits.
 *
 * Several engines (nodes) on one shared storage write into one change log. A node announces its own commits to its
 * live queries, sync sessions and change-feed readers right after committing (DefaultStore.write); commits of other
 * nodes it finds by tailing the log: every interval it reads lastSequence() (one small read transaction) and, when
 * that moved, reads the rows above its cursor with changesSince, in pages, and tells the store which collections
 * changed (DefaultStore.committedElsewhere).
 *
 * Tailing by "the highest number seen" is safe only because the storage hands out numbers in commit order (the
 * PostgreSQL storage's counter row, docs/STORAGE.md): a snapshot that holds row N holds every row below N, so the
 * cursor never passes a row that commits later. Sync sessions and the change feed read the log with their own
 * cursors; the tail only wakes them, so a wake-up that comes early or twice costs a read, never a lost row.
 *
 * Rows committed by this node are remembered (by sequence) until the tail passes them, so that they are not
 * announced a second time. A row this node committed but had not yet recorded when the tail read it is announced
 * twice, which costs one evaluation of the live queries of its collection.
 *
 * Woken, and polling as a safety net. A storage that can signal commits (DocumentStorage.commitSignal: PostgreSQL's
 * LISTEN/NOTIFY) wakes the tail as soon as another node commits; the tail then reads the log at once, from its
 * cursor, exactly as a poll would. A wake-up only says "look": it carries nothing that is delivered, so a lost,
 * late or duplicated notification costs latency or a read, never a row, and rows keep their log order. Wake-ups
 * coalesce: while one is queued, more add nothing, so a burst of commits costs one read (or two, when one arrives
 * while a read runs). While the signal is listening, the tail still reads the log every SAFETY_INTERVAL (1 s), for
 * what a notification cannot cover: a listening connection that died without the driver noticing yet (a half-open
 * TCP connection, found by the signal's own health check within seconds), or a node that cannot tell it hears nothing
 * (one that never writes, behind a proxy that does not carry LISTEN). While the signal is not listening (reconnecting
 * after its connection dropped, or not hearing this node's own commits back) or there is none (an engine without
 * LISTEN/NOTIFY), the tail reads the log every interval (50 ms), as it always did; the signal wakes the tail once
 * more when it listens again, for the commits made while it was deaf. Rows this node commits do not wake it (the
 * storage leaves its own notifications out); it passes them at its next read, or at once when more than
 * COMMITTED_HERE_WAKE of them are waiting, which bounds the memory they take.
 */

/** Tails a shared storage's change log for the commits of other nodes. Thread-safe; one thread while running. */
final class NodeTail implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeTail.class);

    /** How often the log is looked at: a commit on another node reaches this node's peers within about this. */
    static final Duration DEFAULT_INTERVAL = Duration.ofMillis(50);

    /** How often the log is still read while the storage signals commits (see the design note). */
    static final Duration SAFETY_INTERVAL = Duration.ofSeconds(1);

    static final int PAGE = 1_000;

    /** Rows committed here that make the tail read the log at once rather than wait for its next read. */
    static final int COMMITTED_HERE_WAKE = 10_000;

    private final DocumentStorage storage;
    private final Duration interval;
    private final long safetyNanos;
    private final Set<Long> committedHere = new ConcurrentSkipListSet<>();
    /** About the size of committedHere (the set's size() walks it). */
    private final AtomicInteger committedHereCount = new AtomicInteger();

    private final ScheduledExecutorService thread;
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private volatile DocumentStorage.@Nullable CommitSignal signal;
    private volatile @Nullable DefaultStore started;
    private volatile long cursor;
    private volatile boolean failing;
    private volatile long lastRead = System.nanoTime();

    NodeTail(DocumentStorage storage, long startAfter, Duration interval) {
        this(storage, startAfter, interval, SAFETY_INTERVAL);
    }

    /**
     * @param interval how often the log is read when the storage signals no commits, or while its signal is not
     *     listening
     * @param safety how often it is read while the signal listens (at least {@code interval})
     */
    NodeTail(DocumentStorage storage, long startAfter, Duration interval, Duration safety) {
        this.storage = storage;
        this.interval = interval;
        this.safetyNanos = Math.max(safety.toNanos(), interval.toNanos());
        this.cursor = startAfter;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "starling-node-tail");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts tailing for {@code store}: listens to the storage's commit signal, if it has one, and polls. */
    void start(DefaultStore store) {
        started = store;
        try {
            signal = storage.commitSignal(this::wake);
        } catch (RuntimeException e) {
            log.warn("cannot listen for the commits of other nodes ({}); reading the log every {} ms", e, millis());
        }
        long millis = millis();
        // tick() catches everything, so the future never completes with an exception worth reading
        var unused = thread.scheduleWithFixedDelay(() -> tick(store), millis, millis, TimeUnit.MILLISECONDS);
    }

    private long millis() {
        return Math.max(1, interval.toMillis());
    }

    /** Reads the log unless the signal listens and the last read is more recent than the safety interval. */
    private void tick(DefaultStore store) {
        DocumentStorage.CommitSignal s = signal;
        if (s != null && s.listening() && System.nanoTime() - lastRead < safetyNanos) return;
        poll(store);
    }

    /**
     * Asks for a read of the log as soon as the tail's thread is free (the commit signal calls it). Coalesces: while
     * one read is queued, further calls add nothing. Any thread.
     */
    void wake() {
        DefaultStore store = started;
        if (store == null || !wakePending.compareAndSet(false, true)) return;
        try {
            thread.execute(() -> {
                // cleared before reading, so that a commit signalled during the read queues one more read
                wakePending.set(false);
                poll(store);
            });
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    /** Records the rows a commit of this node wrote (called after the commit, on the writer's thread). */
    void committedHere(List<DocumentWriter.Change> changes) {
        int added = 0;
        for (DocumentWriter.Change c : changes) {
            if (c.sequence > cursor && committedHere.add(c.sequence)) added++;
        }
        if (added > 0 && committedHereCount.addAndGet(added) > COMMITTED_HERE_WAKE) wake();
    }

    /** Whether the storage's commit signal listens now (tests). */
    boolean listening() {
        DocumentStorage.CommitSignal s = signal;
        return s != null && s.listening();
    }

    /** The highest sequence the tail has passed (tests). */
    long cursor() {
        return cursor;
    }

    /**
     * Reads the log once: announces the commits of other nodes since the last call to {@code store}. Returns whether
     * it announced any. Runs on the tail's thread, or on the caller's when the tail is driven by hand (the simulator).
     */
    boolean poll(DefaultStore store) {
        lastRead = System.nanoTime();
        try {
            // the index definitions too: creating or dropping an index takes no sequence number, and queries of
            // this node are planned with the definitions it knows
            IndexCatalog.Version known = store.indexes();
            byte[][] indexes = new byte[1][];
            long last = storage.read(tx -> {
                indexes[0] = tx.meta(IndexCatalog.META_KEY);
                return tx.lastSequence();
            });
            store.adoptIndexes(known, indexes[0]);
            if (last <= cursor) return false;
            Set<String> collections = new HashSet<>();
            long at = cursor;
            while (at < last) {
                long from = at;
                long[] reached = {from};
                storage.read(tx -> {
                    tx.changesSince(from, PAGE, row -> {
                        if (!committedHere.remove(row.sequence())) collections.add(row.collection());
                        reached[0] = row.sequence();
                        return true;
                    });
                    return Boolean.TRUE;
                });
                if (reached[0] == from) break; // rows above 'from' were replaced by later ones: nothing left
                at = reached[0];
            }
            cursor = Math.max(at, last);
            committedHere.removeIf(seq -> seq <= cursor);
            committedHereCount.set(committedHere.size());
            if (failing) log.info("reading the shared change log works again");
            failing = false;
            if (!collections.isEmpty()) store.committedElsewhere(collections);
            return !collections.isEmpty();
        } catch (RuntimeException e) {
            if (!failing) {
                log.warn(
                        "cannot read the shared change log ({}); commits of other nodes reach this node's peers"
                                + " once it can again",
                        e.toString());
            }
            failing = true;
            return false;
        }
    }

    @Override
    public void close() {
        DocumentStorage.CommitSignal s = signal;
        if (s != null) s.close();
        thread.shutdownNow();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) log.warn("the change log tail did not stop in 10 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
