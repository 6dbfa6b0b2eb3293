package io.starling.internal.engine;

import io.starling.internal.sync.SyncStoreView.Row;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/*
 * Design note — one change-log read for every session at the same cursor.
 *
 * A commit wakes every sync session of the instance, and each reads the change log from its own cursor
 * (SyncStoreView.changesSince). After a commit the sessions of a busy server are nearly all at the same cursor — the
 * row before it — so a thousand sessions made a thousand identical reads (on PostgreSQL, a thousand round trips). This
 * cache keeps the answer of one read per cursor and hands it to the sessions that ask for the same cursor until the
 * next commit.
 *
 * What is shared is the log itself, never a session's view of it: the rows are the stored rows above the cursor, the
 * same for every reader; which of them a session sends — its remote's subscriptions, its permissions, its echo
 * suppression — is still decided by each session on its own (Sender.classifyLive). Nothing a session may not read can
 * reach it through the cache that a read of its own would not have returned.
 *
 * Correctness is the no-skip rule of the log: an answer is a snapshot of the rows above the cursor, which holds every
 * row below the highest it holds (the storages hand out sequence numbers in commit order). Handing a session an answer
 * read a moment ago is the same as the session having read a moment ago, provided it is woken again for any row
 * committed since: every commit of this instance and every commit of another node that NodeTail finds calls
 * invalidate() before the sessions are woken (DefaultStarling's change listener), and a cached answer is used only in
 * the generation it was read in — an answer whose read began before a commit's invalidate() is never handed out after
 * it, so a session woken for a commit never gets an answer that lacks it.
 *
 * A longer answer serves a shorter request (its first rows are what the shorter read would have returned); a shorter
 * one serves a longer request only when it reached the end of the log. The list of collections the store holds
 * (SyncStoreView.holdsAny, which every session asks after every commit for a subscribed collection it has not yet
 * found held) is shared the same way. Memory is bounded: at most MAX_CURSORS answers
 * holding MAX_BYTES of states and ids together (the least recently used go first), and everything is dropped at the
 * next commit.
 */

/** Shares change-log reads between the sync sessions of one instance (see the design note). Thread-safe. */
final class SharedLogReads {
    static final int MAX_CURSORS = 64;
    /** The most state and id bytes all kept answers hold together; a larger answer is not kept. */
    static final long MAX_BYTES = 4L << 20;

    private record Answer(int asked, List<Row> rows, long bytes) {}

    private final AtomicLong generation = new AtomicLong();
    private final LinkedHashMap<Long, Answer> answers = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Answer> eldest) {
            if (size() <= MAX_CURSORS) return false;
            answerBytes -= eldest.getValue().bytes();
            return true;
        }
    };
    private long answersGeneration;
    private long answerBytes; // of the kept answers
    /** The collections the store holds documents in, as read in {@link #collectionsGeneration}; null: not read. */
    private @Nullable Set<String> collections;

    private long collectionsGeneration = -1;
    private final LongAdder reads = new LongAdder();
    private final LongAdder shared = new LongAdder();

    /** The log changed (a commit here, or another node's found by the tail): answers read before now are stale. */
    void invalidate() {
        generation.incrementAndGet();
    }

    /**
     * The rows above {@code after}, at most {@code maxRows}: a cached answer of this generation, or {@code read}'s
     * (which is then kept for the sessions that ask next).
     */
    List<Row> changesSince(long after, int maxRows, BiFunction<Long, Integer, List<Row>> read) {
        long gen = generation.get();
        List<Row> hit = lookup(after, maxRows, gen);
        if (hit != null) {
            shared.increment();
            return hit;
        }
        List<Row> rows = List.copyOf(read.apply(after, maxRows));
        reads.increment();
        long bytes = 0;
        for (Row r : rows) bytes += r.state().length + r.id().length;
        if (bytes <= MAX_BYTES) {
            synchronized (answers) {
                if (gen == generation.get()) { // else a commit came during the read: the answer may lack it
                    if (answersGeneration < gen) clear(gen);
                    Answer replaced = answers.remove(after);
                    if (replaced != null) answerBytes -= replaced.bytes();
                    // the oldest go first (access order) until this one fits
                    var oldest = answers.entrySet().iterator();
                    while (answerBytes + bytes > MAX_BYTES && oldest.hasNext()) {
                        answerBytes -= oldest.next().getValue().bytes();
                        oldest.remove();
                    }
                    answers.put(after, new Answer(maxRows, rows, bytes));
                    answerBytes += bytes;
                }
            }
        }
        return rows;
    }

    private void clear(long gen) {
        answers.clear();
        answerBytes = 0;
        answersGeneration = gen;
    }

    /** The state and id bytes of the kept answers (tests). */
    long keptBytes() {
        synchronized (answers) {
            return answerBytes;
        }
    }

    /**
     * Whether the store holds documents in {@code collection}: {@code read}'s answer, shared until the next commit
     * like the log's (a session asks after every commit, for each collection it subscribes to and has not yet found
     * held — the collections only commits change).
     */
    boolean holdsAny(String collection, Supplier<List<String>> read) {
        long gen = generation.get();
        synchronized (answers) {
            if (collectionsGeneration == gen && collections != null) return collections.contains(collection);
        }
        Set<String> held = Set.copyOf(read.get());
        synchronized (answers) {
            if (gen == generation.get() && gen > collectionsGeneration) {
                collections = held;
                collectionsGeneration = gen;
            }
        }
        return held.contains(collection);
    }

    /**
     * What every session computes again from a row of a shared answer — the document decoded to test a subscription's
     * WHERE, the digest of a hint, the field delta of a resumed session — kept by the identity of the state's bytes
     * (the rows of one answer are the same objects for every session, and the result depends on the bytes alone).
     * Pure functions of the bytes: nothing of one session's permissions or subscriptions is involved. Bounded by
     * {@link #MEMO_ENTRIES} states and {@link #MEMO_BYTES} of their bytes, the oldest going first; a commit of a
     * thousand small documents read by every session fits, so each is decoded once, not once per session (a ring of
     * 64 states used to be overwritten before the second session came).
     */
    static final int MEMO_ENTRIES = 4096;

    /** The most state bytes the memo's keys hold together (the decoded values are a few times that). */
    static final long MEMO_BYTES = 1L << 20;

    /** A state's bytes (or any key) by identity: an equal copy is another row, decoded on its own. */
    private record Identity(Object key) {
        @Override
        public boolean equals(@Nullable Object o) {
            return o instanceof Identity other && other.key == key;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(key);
        }
    }

    private final LinkedHashMap<Identity, Object[]> memo = new LinkedHashMap<>(); // insertion order: oldest first
    private long memoBytes; // of the keys kept

    /** {@code compute}'s result for {@code key} (a state's bytes, or a row holding them), computed once while kept. */
    <T> @Nullable T memo(Object key, Supplier<@Nullable T> compute, Class<T> type) {
        Identity id = new Identity(key);
        synchronized (memo) {
            Object[] kept = memo.get(id);
            if (kept != null) for (Object v : kept) if (type.isInstance(v)) return type.cast(v);
        }
        T value = compute.get();
        if (value == null) return null; // failures are not kept: the caller reports them each time
        synchronized (memo) {
            Object[] kept = memo.get(id);
            if (kept != null) {
                for (Object v : kept) if (type.isInstance(v)) return type.cast(v); // another thread was quicker
                Object[] more = Arrays.copyOf(kept, kept.length + 1);
                more[kept.length] = value;
                memo.put(id, more); // a key already there keeps its place
                return value;
            }
            long bytes = keyBytes(key);
            if (bytes > MEMO_BYTES) return value;
            var oldest = memo.entrySet().iterator();
            while ((memo.size() >= MEMO_ENTRIES || memoBytes + bytes > MEMO_BYTES) && oldest.hasNext()) {
                memoBytes -= keyBytes(oldest.next().getKey().key());
                oldest.remove();
            }
            memo.put(id, new Object[] {value});
            memoBytes += bytes;
        }
        return value;
    }

    private static long keyBytes(Object key) {
        return key instanceof byte[] b ? b.length : 64;
    }

    /** States the memo keeps, and their bytes (tests). */
    long[] memoKept() {
        synchronized (memo) {
            return new long[] {memo.size(), memoBytes};
        }
    }

    private @Nullable List<Row> lookup(long after, int maxRows, long gen) {
        Answer a;
        synchronized (answers) {
            if (answersGeneration != gen) {
                if (answersGeneration < gen) clear(gen); // the next read fills them again
                return null;
            }
            a = answers.get(after);
        }
        if (a == null) return null;
        if (a.rows().size() >= maxRows)
            return a.rows().size() == maxRows ? a.rows() : a.rows().subList(0, maxRows);
        if (a.rows().size() < a.asked()) return a.rows(); // that read reached the end of the log
        return null;
    }

    /** Reads made since the instance opened (tests). */
    long reads() {
        return reads.sum();
    }

    /** Answers handed out from the cache since the instance opened (tests). */
    long shared() {
        return shared.sum();
    }
}
