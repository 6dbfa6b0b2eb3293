package io.starling;

import io.starling.internal.engine.DefaultStarling;

/**
 * An open Starling database: the entry point of the library.
 *
 * <pre>{@code
 * try (Starling db = Starling.open(StarlingConfig.builder().databaseDirectory(Path.of("data")).build())) {
 *     db.store().execute("INSERT INTO cars DOCUMENTS (:car)", Map.of("car", Map.of("make", "Ford")));
 *     for (QueryResultItem item : db.store().execute("SELECT * FROM cars").items()) {
 *         System.out.println(item.json());
 *     }
 * }
 * }</pre>
 *
 * <p>Thread-safe. One directory can be open in one instance at a time, across processes too.
 */
public interface Starling extends AutoCloseable {

    /**
     * Opens (creating if needed) the database in {@code config.databaseDirectory()}.
     *
     * @throws StarlingException with {@link ErrorCode#STORE_LOCKED} if another instance or process holds
     *     the directory, {@link ErrorCode#STORE_CORRUPT} if it holds something that is not a Starling
     *     database, {@link ErrorCode#STORE_NEWER_SCHEMA} or {@link ErrorCode#STORE_APP_MISMATCH}
     */
    static Starling open(StarlingConfig config) {
        return DefaultStarling.open(config);
    }

    /** The local document store. */
    Store store();

    /** Replication with other peers: subscriptions and per-peer status. */
    Sync sync();

    /** The peers around: the presence graph, metadata, the connection-request hook. */
    Presence presence();

    /** The configuration this instance was opened with, with the site id and app id resolved. */
    StarlingConfig config();

    /**
     * Closes the database and releases the directory lock. Idempotent. Statements still running are stopped first
     * (they fail with {@link ErrorCode#CLOSED}; a write rolls back), so closing is prompt whatever they were doing;
     * application code inside {@link Store#transaction} is waited for. Later calls on this instance fail with
     * {@link ErrorCode#CLOSED}.
     */
    @Override
    void close();
}
