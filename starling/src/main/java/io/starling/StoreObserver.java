package io.starling;

/**
 * A registered live query. Close it to stop deliveries: once {@link #close()} returns, no callback of this
 * observer starts, and one running on another thread has finished (close from inside the callback is
 * allowed). Closing releases everything the observer holds. Thread-safe; idempotent.
 */
public interface StoreObserver extends ObserverHandle {

    /** The observed statement. */
    String query();

    @Override
    boolean isClosed();

    /** Stops deliveries. Idempotent; throws nothing. */
    @Override
    void close();
}
