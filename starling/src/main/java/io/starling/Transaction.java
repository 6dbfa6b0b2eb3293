package io.starling;

import java.util.Map;

/**
 * The view of the store inside {@link Store#transaction} or {@link Store#readTransaction}. Statements run
 * in order and see each other's writes. Valid only during the callback and only on its thread.
 */
public interface Transaction {

    QueryResult execute(String statement);

    QueryResult execute(String statement, Map<String, ?> arguments);

    /** True inside {@link Store#readTransaction}: any write fails with {@link ErrorCode#TRANSACTION_READ_ONLY}. */
    boolean isReadOnly();
}
