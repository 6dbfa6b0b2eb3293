package io.starling;

/**
 * Receives deliveries with back-pressure: the next delivery waits until {@code signalNext} is run (from any
 * thread, at any time; running it twice is harmless). Everything that changes meanwhile is coalesced into
 * that next delivery, whose diff is against this one. Called one delivery at a time, on the instance's delivery
 * thread or on the executor given when the observer was registered (see
 * {@link Store#registerObserverWithSignalNext(String, java.util.Map, SignalNextCallback)}).
 */
@FunctionalInterface
public interface SignalNextCallback {
    void onChange(QueryResultChange change, Runnable signalNext);
}
