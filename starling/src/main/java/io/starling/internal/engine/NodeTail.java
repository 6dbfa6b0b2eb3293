package io.starling.internal.engine;

import io.starling.internal.storage.DocumentStorage;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
 * Polling rather than LISTEN/NOTIFY: it works on every Postgres-compatible engine, and an idle node costs one read
 * per interval.
 */

/** Tails a shared storage's change log for the commits of other nodes. Thread-safe; one thread while running. */
final class NodeTail implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeTail.class);

    /** How often the log is looked at: a commit on another node reaches this node's peers within about this. */
    static final Duration DEFAULT_INTERVAL = Duration.ofMillis(50);

    static final int PAGE = 1_000;

    private final DocumentStorage storage;
    private final Duration interval;
    private final Set<Long> committedHere = new ConcurrentSkipListSet<>();
    private final ScheduledExecutorService thread;
    private volatile long cursor;
    private volatile boolean failing;

    NodeTail(DocumentStorage storage, long startAfter, Duration interval) {
        this.storage = storage;
        this.interval = interval;
        this.cursor = startAfter;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "starling-node-tail");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts tailing for {@code store}. */
    void start(DefaultStore store) {
        long millis = Math.max(1, interval.toMillis());
        // poll() catches everything, so the future never completes with an exception worth reading
        var unused = thread.scheduleWithFixedDelay(() -> poll(store), millis, millis, TimeUnit.MILLISECONDS);
    }

    /** Records the rows a commit of this node wrote (called after the commit, on the writer's thread). */
    void committedHere(List<DocumentWriter.Change> changes) {
        for (DocumentWriter.Change c : changes) {
            if (c.sequence > cursor) committedHere.add(c.sequence);
        }
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
        try {
            long last = storage.read(DocumentStorage.ReadTx::lastSequence);
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
        thread.shutdownNow();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) log.warn("the change log tail did not stop in 10 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
