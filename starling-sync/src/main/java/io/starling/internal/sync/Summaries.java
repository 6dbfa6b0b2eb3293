package io.starling.internal.sync;

import io.starling.internal.sync.SyncStoreView.Row;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Collection summaries for peers that never met (docs/SYNC-PROTOCOL.md, "Peers that never met"): the rows of a
 * collection are spread over a power-of-two number of buckets by a hash of their id, and a bucket's value is the
 * sum (mod 2<sup>64</sup>) of its rows' hashes over id and state. Two stores whose sums agree for a bucket hold
 * the same rows, byte for byte, in it (but for a 2<sup>-64</sup> chance per bucket). Pure: reads go through
 * {@link SyncStoreView#scanCollection}.
 */
final class Summaries {
    static final int MAX_BUCKETS = 1 << 16;
    private static final int SCAN_ROWS = 512;

    private Summaries() {}

    static boolean validBucketCount(int n) {
        return n >= 1 && n <= MAX_BUCKETS && Integer.bitCount(n) == 1;
    }

    /**
     * The bucket count for a collection of {@code rows} rows: about √(64·rows), a power of two, so that the summary
     * (8 bytes a bucket) and the rows of the ~10 buckets a few changes touch cost about the same, and the message
     * fits a frame of {@code frameLimit} bytes.
     */
    static int bucketsFor(long rows, int frameLimit) {
        int byFrame = Integer.highestOneBit(Math.max(1, (frameLimit - 1024) / 8));
        double want = Math.sqrt(64.0 * Math.max(1, rows));
        int pow = 1;
        while (pow < want && pow < MAX_BUCKETS) pow <<= 1;
        return Math.min(pow, byFrame);
    }

    /** The bucket of an id: low bits of a 64-bit FNV-1a hash, finalised (the same on every peer). */
    static int bucketOf(byte[] id, int buckets) {
        return (int) (idHash(id) & (buckets - 1));
    }

    /** A 64-bit hash of an id: FNV-1a, finalised with fmix64 (the same on every peer). */
    static long idHash(byte[] id) {
        long h = 0xcbf29ce484222325L;
        for (byte b : id) h = (h ^ (b & 0xff)) * 0x100000001b3L;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    /** A row's hash: the first 8 bytes of SHA-256 over the id's length, the id and the state. */
    static long rowHash(MessageDigest sha, byte[] id, byte[] state) {
        sha.reset();
        int n = id.length;
        sha.update(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
        sha.update(id);
        byte[] h = sha.digest(state);
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (h[i] & 0xff);
        return v;
    }

    /** The summary of our rows of a collection with a given bucket count (the remote's). */
    static long[] compute(SyncStoreView store, String collection, int buckets) {
        long[] sums = new long[buckets];
        scan(store, collection, sums);
        return sums;
    }

    /**
     * Our summary of a collection for a remote that never met us, or null when it is not worth sending (the
     * collection is empty or its states take less than {@code minRatio} times the summary's size).
     */
    static long @Nullable [] ofCollection(SyncStoreView store, String collection, int frameLimit, int minRatio) {
        long[] fine = new long[MAX_BUCKETS];
        long[] counts = scan(store, collection, fine);
        long rows = counts[0], bytes = counts[1];
        if (rows == 0) return null;
        int buckets = bucketsFor(rows, frameLimit);
        if (bytes < (long) minRatio * 8 * buckets) return null;
        long[] sums = new long[buckets];
        for (int i = 0; i < MAX_BUCKETS; i++) sums[i & (buckets - 1)] += fine[i]; // buckets divides MAX_BUCKETS
        return sums;
    }

    /** Adds every row's hash to its bucket of {@code sums}; returns {rows, state bytes}. */
    private static long[] scan(SyncStoreView store, String collection, long[] sums) {
        MessageDigest sha = sha256();
        long rows = 0, bytes = 0;
        byte[] after = null;
        while (true) {
            List<Row> chunk = store.scanCollection(collection, after, SCAN_ROWS);
            if (chunk.isEmpty()) break;
            for (Row row : chunk) {
                sums[bucketOf(row.id(), sums.length)] += rowHash(sha, row.id(), row.state());
                rows++;
                bytes += row.state().length;
                after = row.id();
            }
        }
        return new long[] {rows, bytes};
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
