package io.starling.internal.sync;

import io.starling.internal.sync.Message.Ranges;
import io.starling.internal.sync.Message.Ranges.Children;
import io.starling.internal.sync.Message.Ranges.Fingerprint;
import io.starling.internal.sync.Message.Ranges.Implied;
import io.starling.internal.sync.Message.Ranges.Listed;
import io.starling.internal.sync.Message.Ranges.Open;
import io.starling.internal.sync.Message.Ranges.Range;
import io.starling.internal.sync.Message.Ranges.Split;
import io.starling.internal.sync.SyncStoreView.Row;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import org.jspecify.annotations.Nullable;

/*
 * Design note — range-based set reconciliation for peers that never met (docs/SYNC-PROTOCOL.md, "Peers that never
 * met: ranges").
 *
 * The problem is one-sided: the sender must learn which of its rows the receiver holds already, byte for byte, so
 * that it can skip them (the receiver learns nothing it needs: what it lacks comes in batches as usual). So the
 * receiver describes and the sender compares:
 *
 *   receiver (Responder)                                    sender (Comparer)
 *   OPEN: fingerprint of the whole collection  ─────────►   equal: every row of ours is skipped, done
 *                                              ◄─────────   SPLIT: bit i set = describe fingerprinted range i in parts
 *   CHILDREN: 4 parts of each range named     ─────────►   per part: equal fingerprint → skip our rows there;
 *     (fingerprint, or the row hashes of a                  listed → skip our rows whose hash is listed;
 *     part holding at most one row)                         differs and we hold rows there → split it next round
 *                                              ◄─────────   SPLIT … until a SPLIT with no bit set
 *
 * Order and ranges. Rows are ordered by a 64-bit hash of their id (Summaries.idHash), not by the id itself: a range
 * is a prefix of the hash (depth d = the first 2d bits), so its bounds are implied by its position and never travel,
 * and ranges of one depth hold about the same number of rows whatever the ids look like. Each split takes 2 more
 * bits (FANOUT 4); the deepest range (32) is a single hash value.
 *
 * Fingerprints. A range's fingerprint is the sum (mod 2^64) of its rows' hashes (Summaries.rowHash: SHA-256 over id
 * and state, first 8 bytes), so equal fingerprints mean the same rows in the same states but for a 2^-64 chance per
 * comparison. Sums make the structure incremental: a part's fingerprint is the sum over a slice of one sorted array
 * (Index, built by one scan of the collection on each side: 16 bytes a row, freed when the collection is done), and
 * the last part of a node need not be sent at all — the sender knows the parent's fingerprint and the siblings'
 * (Implied). A part of at most two rows is listed instead (LIST_ROWS): a differing single row would otherwise be
 * split down to the last depth, since both versions share their id hash.
 *
 * Cost. For k differing rows among n, about k·log4(n) split parts of 8 bytes (3 sent per split), a log4(n) + 2
 * round trips, and two scans. Bounds (checked on receipt, malformed otherwise): at most MAX_SPLITS splits a round
 * (and as many as an answer of the worst size fits in a frame), MAX_ROUND rounds, MAX_COLLECTIONS collections a
 * session, ranges split only where the receiver fingerprinted them; so the work of each side is at most one pass
 * over its rows per round, and what it holds is its index. A range that cannot be resolved within these bounds is
 * simply not skipped: its rows are sent by the normal rules, which is always safe.
 */

/**
 * Range-based set reconciliation of one collection's rows between a receiver that never met the sender and that
 * sender: the receiver's {@link Responder} describes ranges of its rows, the sender's {@link Comparer} compares them
 * with its own and learns which of its rows the receiver holds already. Pure: rows are read through {@link
 * SyncStoreView#scanCollection}. Not thread-safe.
 */
final class Reconciliation {
    /** Parts per split: two more bits of the id hash. */
    static final int FANOUT = 4;

    static final int BITS = 2;
    /** The deepest range: all 64 bits of the id hash. */
    static final int MAX_DEPTH = 32;
    /** Round 1 describes depth 0, round r depth r - 1. */
    static final int MAX_ROUND = MAX_DEPTH + 1;
    /** The most row hashes a part may list on the wire. */
    static final int MAX_LIST = 2;
    /**
     * We list a part that holds at most this many rows (or, at the deepest level, up to MAX_LIST). 2 rather than 1:
     * about the same bytes (2,058 against 2,069 for 10 differences in 100,000 rows) and 10 rounds instead of 13.
     */
    static final int LIST_ROWS = 2;
    /** Splits a SPLIT may ask for (fewer when the answer would not fit a frame). */
    static final int MAX_SPLITS = 4096;
    /** Fingerprinted ranges a message may carry: four per split. */
    static final int MAX_FRONTIER = FANOUT * MAX_SPLITS;
    /** Collections reconciled in one session (a receiver with more reconciles the first ones). */
    static final int MAX_COLLECTIONS = 64;
    /** The largest encoding of one node of a CHILDREN message. */
    static final int NODE_BYTES = 1 + FANOUT * (1 + 8 * MAX_LIST);
    /** A receiver reconciles a collection whose states take at least summaryRatio times this many bytes. */
    static final int MIN_BYTES = 256;

    private static final int SCAN_ROWS = 512;

    private Reconciliation() {}

    /** Splits a round may ask for, so that the receiver's answer (at worst NODE_BYTES a node) fits a frame. */
    static int maxSplits(int frameLimit) {
        return Math.max(1, Math.min(MAX_SPLITS, (frameLimit - 1024) / NODE_BYTES));
    }

    /** The lowest hash of range (depth, prefix), with its sign bit flipped (the Index's key order). */
    static long lowKey(int depth, long prefix) {
        long lo = depth == 0 ? 0 : prefix << (64 - BITS * depth);
        return lo ^ Long.MIN_VALUE;
    }

    /** The highest hash of range (depth, prefix), sign bit flipped. */
    static long highKey(int depth, long prefix) {
        long mask = depth >= MAX_DEPTH ? 0 : -1L >>> (BITS * depth);
        long lo = depth == 0 ? 0 : prefix << (64 - BITS * depth);
        return (lo | mask) ^ Long.MIN_VALUE;
    }

    /** The index key of an id: its hash with the sign bit flipped, so that signed order is the hash's order. */
    static long keyOf(byte[] id) {
        return Summaries.idHash(id) ^ Long.MIN_VALUE;
    }

    /**
     * Whether {@code intervals} (closed [from, to] pairs of keys, ascending, from {@link Comparer#skipIntervals}) hold
     * the id: the sender's test for a row the receiver holds already.
     */
    static boolean covers(long[] intervals, byte[] id) {
        return coversKey(intervals, keyOf(id));
    }

    /** {@link #covers} for a key. */
    static boolean coversKey(long[] intervals, long key) {
        int lo = 0, hi = intervals.length / 2 - 1, found = -1;
        while (lo <= hi) { // the last interval starting at or below key
            int mid = (lo + hi) >>> 1;
            if (intervals[2 * mid] <= key) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found >= 0 && key <= intervals[2 * found + 1];
    }

    // ---- the index ------------------------------------------------------------------------------------

    /**
     * A collection's rows as (key, row hash) pairs sorted by key: 16 bytes a row. Fingerprints of ranges are sums
     * over slices of it.
     */
    static final class Index {
        final long[] keys;
        final long[] hashes;
        final int size;
        final long stateBytes;

        /** From unsorted pairs (taken over); for the store scan and for tests. */
        Index(long[] keys, long[] hashes, int size, long stateBytes) {
            if (keys.length < size || hashes.length < size)
                throw new IllegalArgumentException("arrays shorter than size");
            this.keys = keys;
            this.hashes = hashes;
            this.size = size;
            this.stateBytes = stateBytes;
            sort(keys, hashes, 0, size);
        }

        /** One scan of the collection, live rows and tombstones. */
        static Index build(SyncStoreView store, String collection) {
            MessageDigest sha = Summaries.sha256();
            long[] k = new long[1024], h = new long[1024];
            int n = 0;
            long bytes = 0;
            byte[] after = null;
            while (true) {
                List<Row> chunk = store.scanCollection(collection, after, SCAN_ROWS);
                if (chunk.isEmpty()) break;
                for (Row row : chunk) {
                    if (n == k.length) {
                        k = Arrays.copyOf(k, n * 2);
                        h = Arrays.copyOf(h, n * 2);
                    }
                    k[n] = keyOf(row.id());
                    h[n] = Summaries.rowHash(sha, row.id(), row.state());
                    n++;
                    bytes += row.state().length;
                    after = row.id();
                }
            }
            return new Index(k, h, n, bytes);
        }

        /** The first position in [from, to) whose key is at least {@code key}, or {@code to}. */
        int lowerBound(int from, int to, long key) {
            int lo = from, hi = to;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (keys[mid] < key) lo = mid + 1;
                else hi = mid;
            }
            return lo;
        }

        /** The end (exclusive) of range (depth, prefix) within [from, to), which starts at or after {@code from}. */
        int end(int from, int to, int depth, long prefix) {
            long high = highKey(depth, prefix);
            return high == Long.MAX_VALUE ? to : lowerBound(from, to, high + 1);
        }

        long sum(int from, int to) {
            long s = 0;
            for (int i = from; i < to; i++) s += hashes[i];
            return s;
        }

        private static void sort(long[] k, long[] h, int from, int to) {
            while (to - from > 16) {
                int mid = (from + to) >>> 1;
                long a = k[from], b = k[mid], c = k[to - 1];
                long pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c)); // median of three
                int i = from, j = to - 1;
                while (i <= j) {
                    while (k[i] < pivot) i++;
                    while (k[j] > pivot) j--;
                    if (i <= j) {
                        swap(k, h, i++, j--);
                    }
                }
                if (j - from < to - i) { // recurse into the smaller side
                    sort(k, h, from, j + 1);
                    from = i;
                } else {
                    sort(k, h, i, to);
                    to = j + 1;
                }
            }
            for (int i = from + 1; i < to; i++) {
                for (int j = i; j > from && k[j - 1] > k[j]; j--) swap(k, h, j - 1, j);
            }
        }

        private static void swap(long[] k, long[] h, int i, int j) {
            long t = k[i];
            k[i] = k[j];
            k[j] = t;
            t = h[i];
            h[i] = h[j];
            h[j] = t;
        }
    }

    /** A range of the key space and the slice of an index it covers. */
    private record Span(int depth, long prefix, int from, int to) {}

    // ---- the receiver's side --------------------------------------------------------------------------

    /** The receiver's side of one collection: describes ranges of its rows as the sender asks. */
    static final class Responder {
        private final String collection;
        private @Nullable Index index;
        private int round;
        private List<Span> frontier = List.of(); // the ranges our last message fingerprinted, in order
        private boolean done;

        Responder(String collection, Index index) {
            this.collection = collection;
            this.index = index;
        }

        String collection() {
            return collection;
        }

        /** The round of our last message: the sender's SPLIT of that round is due. */
        int round() {
            return round;
        }

        boolean done() {
            return done;
        }

        /** Round 1: the whole collection. */
        Ranges open() {
            Index ix = index();
            round = 1;
            Span root = new Span(0, 0, 0, ix.size);
            Range item = describe(ix, root);
            frontier = item instanceof Fingerprint ? List.of(root) : List.of();
            return new Ranges(collection, 1, new Open(item));
        }

        /**
         * The sender's SPLIT of our last round: the next CHILDREN, or null when it split nothing (the collection is
         * done, the index dropped).
         *
         * @throws WireException when it does not answer our last message (count of ranges, a split of a range at the
         *     deepest level, more splits than {@code maxSplits})
         */
        @Nullable
        Ranges onSplit(Split split, int maxSplits) {
            Index ix = index();
            if (split.ranges() != frontier.size()) {
                throw WireException.malformed("ranges SPLIT of " + split.ranges() + " ranges for " + collection
                        + ", we described " + frontier.size());
            }
            BitSet bits = split.split();
            if (bits.cardinality() > maxSplits) {
                throw WireException.malformed(
                        "ranges SPLIT of " + bits.cardinality() + " ranges, more than " + maxSplits);
            }
            if (bits.isEmpty()) {
                done = true;
                index = null;
                frontier = List.of();
                return null;
            }
            List<List<Range>> nodes = new ArrayList<>(bits.cardinality());
            List<Span> next = new ArrayList<>();
            for (int i = bits.nextSetBit(0); i >= 0; i = bits.nextSetBit(i + 1)) {
                Span s = frontier.get(i);
                if (s.depth() >= MAX_DEPTH) throw WireException.malformed("ranges SPLIT of a range at the last depth");
                List<Range> node = new ArrayList<>(FANOUT);
                int from = s.from();
                for (int c = 0; c < FANOUT; c++) {
                    int d = s.depth() + 1;
                    long p = (s.prefix() << BITS) | c;
                    int to = c == FANOUT - 1 ? s.to() : ix.end(from, s.to(), d, p);
                    Span part = new Span(d, p, from, to);
                    Range item = describe(ix, part);
                    if (item instanceof Fingerprint) {
                        next.add(part);
                        if (c == FANOUT - 1) item = new Implied(); // the sender derives it from the parent's
                    }
                    node.add(item);
                    from = to;
                }
                nodes.add(node);
            }
            round++;
            frontier = next;
            return new Ranges(collection, round, new Children(nodes));
        }

        private Index index() {
            Index ix = index;
            if (ix == null) throw new IllegalStateException("reconciliation of " + collection + " is done");
            return ix;
        }

        private static Range describe(Index ix, Span s) {
            int n = s.to() - s.from();
            if (n <= LIST_ROWS || (s.depth() >= MAX_DEPTH && n <= MAX_LIST)) {
                return new Listed(Arrays.copyOfRange(ix.hashes, s.from(), s.to()));
            }
            return new Fingerprint(ix.sum(s.from(), s.to()));
        }
    }

    // ---- the sender's side ----------------------------------------------------------------------------

    /** A range the receiver fingerprinted: where it is in our index, and the receiver's fingerprint. */
    private record Target(int depth, long prefix, int from, int to, long theirs) {}

    /** The sender's side of one collection: compares the receiver's descriptions with its own rows. */
    static final class Comparer {
        private final String collection;
        private @Nullable Index index;
        private @Nullable BitSet skip; // rows of our index the receiver holds, byte for byte
        private int round; // the last round answered
        private List<Target> splits = List.of(); // the ranges our last SPLIT asked for, in order
        private long[] intervals = new long[0];
        private boolean done;
        private long rowsSkipped;

        Comparer(String collection, Index index) {
            this.collection = collection;
            this.index = index;
            this.skip = new BitSet(index.size);
        }

        String collection() {
            return collection;
        }

        /** The last round answered (0 before the OPEN). */
        int round() {
            return round;
        }

        boolean done() {
            return done;
        }

        /** Rows of ours the receiver was shown to hold. */
        long rowsSkipped() {
            return rowsSkipped;
        }

        /**
         * The receiver's message of the next round (OPEN, then CHILDREN answering our last SPLIT): our SPLIT.
         *
         * @throws WireException when it does not answer our last SPLIT
         */
        Ranges onMessage(Ranges m, int maxSplits) {
            if (done) throw WireException.malformed("ranges of " + collection + " after they were reconciled");
            if (m.round() != round + 1)
                throw new WireException(
                        SyncSession.OUT_OF_ORDER,
                        "ranges round " + m.round() + " of " + collection + " after " + round);
            Index ix = index();
            BitSet sk = skipBits();
            List<Target> fingerprinted = new ArrayList<>();
            if (m.part() instanceof Open o) {
                take(ix, sk, 0, 0, 0, ix.size, o.root(), fingerprinted);
            } else if (m.part() instanceof Children c) {
                if (c.nodes().size() != splits.size()) {
                    throw WireException.malformed("ranges CHILDREN of "
                            + c.nodes().size() + " ranges for " + collection + ", we asked for " + splits.size());
                }
                for (int i = 0; i < splits.size(); i++) {
                    Target parent = splits.get(i);
                    List<Range> node = c.nodes().get(i);
                    long rest = parent.theirs();
                    int from = parent.from();
                    for (int ch = 0; ch < FANOUT; ch++) {
                        int d = parent.depth() + 1;
                        long p = (parent.prefix() << BITS) | ch;
                        int to = ch == FANOUT - 1 ? parent.to() : ix.end(from, parent.to(), d, p);
                        Range item = node.get(ch);
                        if (item instanceof Implied) item = new Fingerprint(rest);
                        else rest -= valueOf(item);
                        take(ix, sk, d, p, from, to, item, fingerprinted);
                        from = to;
                    }
                }
            } else {
                throw WireException.malformed("a ranges SPLIT sent to the sender");
            }
            round = m.round();
            BitSet bits = new BitSet(fingerprinted.size());
            List<Target> next = new ArrayList<>();
            for (int i = 0; i < fingerprinted.size(); i++) {
                Target t = fingerprinted.get(i);
                if (ix.sum(t.from(), t.to()) == t.theirs()) {
                    sk.set(t.from(), t.to());
                } else if (t.to() > t.from() && t.depth() < MAX_DEPTH && next.size() < maxSplits) {
                    bits.set(i); // we hold rows there: finer parts may show some of them equal
                    next.add(t);
                } // else: the receiver holds nothing we hold there, or we gave up on it (its rows are sent)
            }
            splits = next;
            if (next.isEmpty()) finish();
            return new Ranges(collection, round, new Split(fingerprinted.size(), bits));
        }

        /**
         * What the receiver was shown to hold: closed [from, to] pairs of keys, ascending, for {@link
         * Reconciliation#covers}. Ends the reconciliation if it is still going on (what was shown stays shown).
         */
        long[] skipIntervals() {
            if (!done) finish();
            return intervals;
        }

        private void finish() {
            Index ix = index;
            BitSet sk = skip;
            done = true;
            index = null;
            skip = null;
            if (ix == null || sk == null) return;
            long[] out = new long[16];
            int n = 0;
            for (int a = sk.nextSetBit(0); a >= 0; ) {
                int b = sk.nextClearBit(a); // run [a, b)
                rowsSkipped += b - a;
                int from = a, to = b;
                // a row outside the run that shares a key with a row inside must not be covered
                while (from < to && from > 0 && ix.keys[from - 1] == ix.keys[from]) from++;
                while (to > from && to < ix.size && ix.keys[to] == ix.keys[to - 1]) to--;
                if (from < to) {
                    if (n + 2 > out.length) out = Arrays.copyOf(out, out.length * 2);
                    out[n++] = ix.keys[from];
                    out[n++] = ix.keys[to - 1];
                }
                a = b >= ix.size ? -1 : sk.nextSetBit(b);
            }
            intervals = Arrays.copyOf(out, n);
        }

        private Index index() {
            Index ix = index;
            if (ix == null) throw new IllegalStateException("reconciliation of " + collection + " is done");
            return ix;
        }

        private BitSet skipBits() {
            BitSet sk = skip;
            if (sk == null) throw new IllegalStateException("reconciliation of " + collection + " is done");
            return sk;
        }

        private static long valueOf(Range item) {
            if (item instanceof Fingerprint f) return f.sum();
            long s = 0;
            if (item instanceof Listed l) {
                for (long h : l.hashes()) s += h;
            }
            return s;
        }

        /** One range as the receiver described it: listed rows are compared at once, fingerprints next. */
        private static void take(
                Index ix, BitSet sk, int depth, long prefix, int from, int to, Range item, List<Target> out) {
            if (item instanceof Listed l) {
                long[] theirs = l.hashes();
                for (int j = from; j < to; j++) {
                    for (long h : theirs) {
                        if (ix.hashes[j] == h) {
                            sk.set(j);
                            break;
                        }
                    }
                }
            } else if (item instanceof Fingerprint f) {
                out.add(new Target(depth, prefix, from, to, f.sum()));
            }
        }
    }
}
