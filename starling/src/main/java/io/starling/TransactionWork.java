package io.starling;

/** Application code run inside a transaction. */
@FunctionalInterface
public interface TransactionWork<T> {
    T run(Transaction tx) throws Exception;
}
