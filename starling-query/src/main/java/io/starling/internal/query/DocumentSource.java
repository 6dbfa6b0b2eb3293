package io.starling.internal.query;

import io.starling.internal.core.Value;
import java.util.function.Predicate;

/**
 * The documents of a store as the executor sees them; implemented by the engine over storage.
 * Implementations must be safe to call from the thread running the query; the executor never retains the
 * source after a call returns.
 */
public interface DocumentSource {
    /**
     * Visits the live documents of a collection (each includes {@code "_id"}) in {@code _id} order, until the
     * visitor returns false. A missing collection has no documents.
     */
    void scan(String collection, Predicate<Value.Obj> visitor);

    /** The live document with this {@code _id}, or null. */
    Value.Obj get(String collection, Value id);
}
