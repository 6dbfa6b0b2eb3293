package io.starling;

import java.util.Map;

/** A registered subscription; closing it stops asking peers for its documents. Idempotent, thread-safe. */
public interface SyncSubscription extends AutoCloseable {

    String query();

    Map<String, Object> arguments();

    boolean isClosed();

    /** Stops asking peers for its documents. Idempotent; throws nothing. */
    @Override
    void close();
}
