package io.starling.internal.storage;

/**
 * A storage that the engine opens by URL instead of by directory ({@code StarlingConfig.Builder.storageUrl}), found
 * with {@link java.util.ServiceLoader}: the engine depends on no driver, and a module such as
 * {@code starling-storage-postgres} adds one by being on the class path (it lists its provider in
 * {@code META-INF/services/io.starling.internal.storage.StorageProvider}).
 *
 * <p>A storage opened this way is <em>shared</em>: several engines (nodes, in one process or many) may open the same
 * URL at once and see one store — one change sequence, the same rows and meta — and the engine runs each as a node
 * of one logical peer (docs/SERVER.md). Implementations must be thread-safe and have a public no-argument
 * constructor.
 */
public interface StorageProvider {

    /** A short name for messages and logs ({@code postgresql}). */
    String name();

    /** Whether this provider opens {@code url} (by its scheme, such as {@code jdbc:postgresql:}). */
    boolean accepts(String url);

    /**
     * Opens (creating or migrating its schema if needed) the storage at {@code url}.
     *
     * @throws StorageException with its code when it cannot be opened (unreachable, newer schema, ...)
     * @throws IllegalArgumentException for a malformed URL
     */
    DocumentStorage open(String url);
}
