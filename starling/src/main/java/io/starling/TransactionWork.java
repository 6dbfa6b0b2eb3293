package io.starling;

import org.jspecify.annotations.Nullable;

/** Application code run inside a transaction; it may return null (a {@code TransactionWork<Void>} does). */
@FunctionalInterface
public interface TransactionWork<T extends @Nullable Object> {
    T run(Transaction tx) throws Exception;
}
