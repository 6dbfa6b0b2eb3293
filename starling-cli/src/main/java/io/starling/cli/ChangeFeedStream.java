package io.starling.cli;

import io.starling.ObserverHandle;
import io.starling.Store;
import io.starling.StoreChange;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Design note — a tail of the change feed that never buffers more than a page.
 *
 * The stream is a pump with three states: READING (a task on the feed executor reads the next page from the
 * store), WRITING (a page was handed to the sink; the next read waits until the socket took it) and WAITING (the
 * feed had nothing after the cursor; a commit wakes the pump). So what the server holds for one client is one page
 * (at most PAGE entries, about 1 MiB of values as the store bounds it), however slow the client and however fast
 * the writers: the store's change log is the buffer, and the cursor is all the stream remembers.
 *
 * A commit that lands between an empty read and the switch to WAITING must not be lost: every commit bumps a
 * counter, and the pump only waits if the counter did not move since it started the read that came back empty.
 */

/**
 * {@code GET /api/v1/changes}: the store's change feed from a cursor, then every change as it commits, as
 * Server-Sent Events ({@code id:} the cursor, {@code data:} the change as JSON). Reads run on {@code executor},
 * never on an I/O thread or a committing thread. Thread-safe.
 */
final class ChangeFeedStream implements HttpApi.EventStream {
    private static final Logger log = LoggerFactory.getLogger(ChangeFeedStream.class);

    /** The most entries read (and sent) at once. */
    static final int PAGE = 256;

    /** Reads a page of the feed: the store's own, or as an API key sees it. */
    @FunctionalInterface
    interface Feed {
        StoreChange.Page read(long after, int max, Set<String> collections);
    }

    private final Store store;
    private final Feed feed;
    private final Set<String> collections;
    private final Executor executor;

    private final Object lock = new Object();
    private long cursor; // guarded by lock (written by the one running read only)
    private long commits; // guarded by lock
    private boolean waiting; // guarded by lock
    private boolean closed; // guarded by lock
    private volatile HttpApi.@Nullable EventSink sink;
    private volatile @Nullable ObserverHandle commitObserver;

    /**
     * @param store the store whose commits wake the stream
     * @param feed reads the pages
     * @param since the cursor to start after (0: from the beginning)
     * @param collections the collections to stream; empty for all
     * @param executor runs the store reads (each stream has at most one task queued or running)
     */
    ChangeFeedStream(Store store, Feed feed, long since, Set<String> collections, Executor executor) {
        this.store = store;
        this.feed = feed;
        this.cursor = since;
        this.collections = Set.copyOf(collections);
        this.executor = executor;
    }

    /**
     * Reads the first page on the calling thread, so that a bad cursor is answered with an error before anything
     * was sent; then streams.
     */
    @Override
    public AutoCloseable start(HttpApi.EventSink sink) {
        this.sink = sink;
        long seen;
        synchronized (lock) {
            seen = commits;
        }
        // observe first: a commit after the first read then wakes the pump
        commitObserver = store.observeCommits(this::committed);
        StoreChange.Page first;
        try {
            first = feed.read(cursor, PAGE, collections);
        } catch (RuntimeException e) {
            commitObserver.close();
            throw e;
        }
        advance(first, seen);
        return this::close;
    }

    private void close() {
        synchronized (lock) {
            closed = true;
        }
        ObserverHandle h = commitObserver;
        if (h != null) h.close();
    }

    /** On the committing thread: wake the pump if it waits. Quick, and does not touch the store. */
    private void committed() {
        synchronized (lock) {
            commits++;
            if (!waiting || closed) return;
            waiting = false;
        }
        schedule();
    }

    private void schedule() {
        try {
            executor.execute(this::read);
        } catch (RejectedExecutionException e) { // the server is closing: its connections close too
            log.debug("change feed read refused: the server is closing");
        }
    }

    /** On the executor: the next page after the cursor. */
    private void read() {
        long seen;
        long from;
        synchronized (lock) {
            if (closed) return;
            seen = commits;
            from = cursor;
        }
        StoreChange.Page page;
        try {
            page = feed.read(from, PAGE, collections);
        } catch (RuntimeException e) { // the instance is closing; the server closes the connection
            log.debug("reading the change feed failed; the stream stops", e);
            return;
        }
        advance(page, seen);
    }

    /** Sends what {@code page} holds, or reads on, or waits for a commit. */
    private void advance(StoreChange.Page page, long seenCommits) {
        HttpApi.EventSink out = java.util.Objects.requireNonNull(sink);
        if (!page.changes().isEmpty()) {
            StringBuilder events = new StringBuilder();
            for (StoreChange c : page.changes()) {
                events.append("id: ").append(c.cursor()).append("\ndata: ");
                events.append(c.toJson()).append("\n\n");
            }
            synchronized (lock) {
                if (closed) return;
                cursor = page.cursor();
            }
            out.sendEvents(events.toString(), this::schedule); // the next read once the socket took this page
            return;
        }
        synchronized (lock) {
            if (closed) return;
            boolean skipped = page.cursor() != cursor; // entries of other collections only
            cursor = page.cursor();
            if (!skipped && commits == seenCommits) {
                waiting = true;
                return;
            }
        }
        schedule();
    }
}
