package io.starling.internal.sync;

import java.util.Arrays;
import java.util.Objects;

/**
 * The attachment messages of the sync protocol (docs/SYNC-PROTOCOL.md, "Attachments"), carried as the body of
 * {@link Message.Blob}. A fetcher numbers its fetches on a connection ({@code fetchNo}, from 1); the server answers
 * each with {@link Have} or {@link Lack}, then sends the {@link Chunk}s the fetcher asks for with {@link Get}. Byte
 * arrays are handed over, not copied. Equality compares contents.
 */
public sealed interface BlobMessage {
    /**
     * Every blob is cut into chunks of this many bytes (the last one shorter), so that a chunk fits any frame, and so
     * that one chunk ahead of a document message on a 20 KB/s link delays it by 0.4 s at most (a chunk is never cut
     * by a document message: frames are whole).
     */
    int CHUNK_BYTES = 8 * 1024;
    /** Bytes of a SHA-256: a blob id, a chunk hash. */
    int HASH_BYTES = 32;
    /** Hops a request may travel at most (each relaying peer lowers {@code ttl} by one). */
    int MAX_TTL = 16;

    long fetchNo();

    /** How many chunks a blob of {@code length} bytes has. */
    static long chunks(long length) {
        return (length + CHUNK_BYTES - 1) / CHUNK_BYTES;
    }

    /** The length of chunk {@code index} of a blob of {@code length} bytes. */
    static int chunkLength(long length, long index) {
        return (int) Math.min(CHUNK_BYTES, length - index * CHUNK_BYTES);
    }

    /**
     * Asks whether the server can serve blob {@code id} of {@code length} bytes. {@code ttl}: how many more peers
     * may relay the request if the server lacks the blob (0 = serve only what you hold).
     */
    record Want(long fetchNo, byte[] id, long length, int ttl) implements BlobMessage {
        public Want {
            positive(fetchNo);
            checkHash(id, "id");
            if (length < 0) throw new IllegalArgumentException("negative length " + length);
            if (ttl < 0 || ttl > MAX_TTL) throw new IllegalArgumentException("ttl " + ttl + " out of 0 … " + MAX_TTL);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Want w
                    && w.fetchNo == fetchNo
                    && Arrays.equals(w.id, id)
                    && w.length == length
                    && w.ttl == ttl;
        }

        @Override
        public int hashCode() {
            return Objects.hash(fetchNo, Arrays.hashCode(id), length, ttl);
        }

        @Override
        public String toString() {
            return "Want[" + fetchNo + ", " + Hex.of(id) + ", " + length + ", ttl " + ttl + "]";
        }
    }

    /**
     * The server serves the blob: it holds its first {@code chunks} chunks verified now. A relaying server sends
     * another HAVE with a larger count as it receives more.
     */
    record Have(long fetchNo, long chunks) implements BlobMessage {
        public Have {
            positive(fetchNo);
            if (chunks < 0) throw new IllegalArgumentException("negative chunk count " + chunks);
        }
    }

    /** The server cannot serve the blob (does not hold it and cannot fetch it, or may not give it to the fetcher). */
    record Lack(long fetchNo, String reason) implements BlobMessage {
        public Lack {
            positive(fetchNo);
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * Asks for chunks {@code index} … {@code index + count - 1}: the fetcher's credit. The server sends them in order
     * as soon as it holds them; a later GET of the same fetch replaces what is still unsent of an earlier one.
     */
    record Get(long fetchNo, long index, int count) implements BlobMessage {
        public Get {
            positive(fetchNo);
            if (index < 0) throw new IllegalArgumentException("negative chunk index " + index);
            if (count < 1 || count > 1024)
                throw new IllegalArgumentException("chunk count " + count + " out of 1 … 1024");
        }
    }

    /** Chunk {@code index}: its bytes and the SHA-256 the server recorded for it when it verified the blob. */
    record Chunk(long fetchNo, long index, byte[] hash, byte[] data) implements BlobMessage {
        public Chunk {
            positive(fetchNo);
            if (index < 0) throw new IllegalArgumentException("negative chunk index " + index);
            checkHash(hash, "chunk hash");
            if (data.length == 0 || data.length > CHUNK_BYTES)
                throw new IllegalArgumentException("chunk of " + data.length + " bytes");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Chunk c
                    && c.fetchNo == fetchNo
                    && c.index == index
                    && Arrays.equals(c.hash, hash)
                    && Arrays.equals(c.data, data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(fetchNo, index, Arrays.hashCode(hash), Arrays.hashCode(data));
        }

        @Override
        public String toString() {
            return "Chunk[" + fetchNo + ", #" + index + ", " + data.length + " bytes]";
        }
    }

    /** The fetcher needs nothing more of this fetch (it completed, switched peer or was cancelled). */
    record Done(long fetchNo) implements BlobMessage {
        public Done {
            positive(fetchNo);
        }
    }

    private static void positive(long fetchNo) {
        if (fetchNo < 1) throw new IllegalArgumentException("fetch number " + fetchNo + " < 1");
    }

    private static void checkHash(byte[] h, String what) {
        if (h.length != HASH_BYTES)
            throw new IllegalArgumentException(what + " of " + h.length + " bytes, not " + HASH_BYTES);
    }
}
