package io.starling;

/**
 * Receives an observer's deliveries, one at a time: on the instance's delivery thread, or on the executor given
 * when the observer was registered (see {@link Store#registerObserver(String, java.util.Map, ObserverCallback)}).
 */
@FunctionalInterface
public interface ObserverCallback {
    void onChange(QueryResultChange change);
}
