package io.starling;

/**
 * A registered callback (a live query's {@link StoreObserver}, {@link Presence#observe}, {@link Sync#observePeers});
 * close it to stop the calls. Once {@link #close()} returns, the callback is not called again, and a call running on
 * another thread has finished ({@code close()} may also be called from inside the callback). Closing the {@link
 * Starling} instance ends every handle's calls too. Thread-safe.
 */
public interface ObserverHandle extends AutoCloseable {

    /** True once {@link #close()} was called. */
    boolean isClosed();

    /** Stops the calls. Idempotent; throws nothing. */
    @Override
    void close();
}
