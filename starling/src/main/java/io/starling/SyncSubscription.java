package io.starling;

import java.util.Map;

/** A registered subscription; closing it stops asking peers for its documents. Idempotent, thread-safe. */
public interface SyncSubscription extends AutoCloseable {

    String query();

    Map<String, Object> arguments();

    boolean isClosed();

    /**
     * Stops asking peers for its documents. Idempotent; throws nothing.
     *
     * <p>A connected peer stops sending them once its session has processed the change; documents it sent before
     * still arrive and stay in the local store. The change is ordered with the other messages this peer sends, not
     * with this peer's own writes: a write made right after {@code close()} may reach a peer before the change does
     * (a pass over the change feed that was already queued reads it), so a peer holding that write does not prove
     * that it has the change.
     */
    @Override
    void close();
}
