package io.starling;

import org.jspecify.annotations.Nullable;

/**
 * Application code run inside a transaction, on the thread that called {@link Store#transaction} or {@link
 * Store#readTransaction}; it must use only the {@link Transaction} it is given (calling the {@code Store} from
 * inside is refused). It may return null (a {@code TransactionWork<Void>} does).
 */
@FunctionalInterface
public interface TransactionWork<T extends @Nullable Object> {
    T run(Transaction tx) throws Exception;
}
