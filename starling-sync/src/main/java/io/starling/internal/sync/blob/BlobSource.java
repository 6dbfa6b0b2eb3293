package io.starling.internal.sync.blob;

import org.jspecify.annotations.Nullable;

/** What a {@link BlobServer} needs from the local blob files and the engine. Called on the session's thread. */
public interface BlobSource {

    /** A chunk as held here: its bytes and the SHA-256 recorded when it was verified. */
    record HeldChunk(byte[] hash, byte[] data) {}

    /**
     * How many leading chunks of blob {@code id} ({@code length} bytes) are held here, verified: all of them for a
     * complete blob, the verified prefix while a fetch of it runs, -1 when neither.
     */
    long chunksHeld(byte[] id, long length);

    /** Chunk {@code index} of a blob with at least {@code index + 1} chunks held; null if it is gone meanwhile. */
    @Nullable
    HeldChunk read(byte[] id, long length, long index);

    /** Why {@code peer} may not have blob {@code id}, or null when it may (docs/ATTACHMENTS.md, "Access"). */
    @Nullable
    String refusal(long peer, byte[] id);

    /**
     * Starts fetching blob {@code id} on {@code peer}'s behalf from the other peers ({@code ttl} hops more at most);
     * false when there is no other peer to ask. The engine reports progress with {@link BlobServer#onAvailable} and
     * failure with {@link BlobServer#onUnavailable}.
     */
    boolean relay(byte[] id, long length, int ttl, long peer);
}
