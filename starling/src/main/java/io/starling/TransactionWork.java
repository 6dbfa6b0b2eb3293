package io.starling;

/**
 * Application code run inside a transaction, on the thread that called {@link Store#transaction} or {@link
 * Store#readTransaction}; it must use only the {@link Transaction} it is given (calling the {@code Store} from
 * inside is refused).
 */
@FunctionalInterface
public interface TransactionWork<T> {
    T run(Transaction tx) throws Exception;
}
