package io.starling.internal.storage.postgres;

import org.jspecify.annotations.Nullable;

/**
 * Turns a stored row into the JSON text kept beside its state in the {@code value jsonb} column, for plain SQL, BI
 * and logical-replication tools. The storage treats states as opaque bytes; whoever knows their format (the engine:
 * {@link DocumentValues}) supplies the projection.
 *
 * <p>Called inside the write transaction, once per written row, on the writing thread; it must be pure and fast,
 * and must not call back into the storage. A projection that cannot read a state returns null (the column is then
 * NULL; the row and its state are stored all the same): it must never throw.
 */
@FunctionalInterface
public interface ValueProjection {
    /** Keeps no value: the column stays NULL. */
    ValueProjection NONE = (collection, id, live, state) -> null;

    /**
     * The row's current value as JSON text (an object, normally), or null for none: a tombstone, or a state that
     * cannot be read. Must not throw.
     */
    @Nullable
    String json(String collection, byte[] id, boolean live, byte[] state);
}
