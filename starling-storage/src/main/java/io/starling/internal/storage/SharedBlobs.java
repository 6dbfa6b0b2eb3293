package io.starling.internal.storage;

import java.io.InputStream;
import org.jspecify.annotations.Nullable;

/**
 * Attachment blobs kept in a shared storage, so that every node of one logical server can serve a blob that any node
 * stored (docs/SERVER.md, "Attachments on a cluster"). Content-addressed by the blob's SHA-256 (64 lowercase hex
 * digits); the storage does not check the hash: the engine verifies what it reads. Thread-safe.
 */
public interface SharedBlobs {
    /** Whether blob {@code id} is held whole. */
    boolean has(String id);

    /**
     * Stores {@code length} bytes of {@code in} as blob {@code id}, unless it is held already. Streamed (a few chunks
     * in memory); visible to other nodes only once whole (a failure leaves nothing under the id).
     *
     * @throws StorageException when the storage fails, or {@code in} does not give {@code length} bytes
     */
    void put(String id, long length, InputStream in);

    /** The content of blob {@code id}, read chunk by chunk as the caller reads, or null when it is not held. */
    @Nullable
    InputStream open(String id);

    /** Deletes blob {@code id} (nothing if it is not held). */
    void delete(String id);
}
