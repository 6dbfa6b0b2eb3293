package io.starling;

/** Receives an observer's deliveries, one at a time, on the observer's executor. */
@FunctionalInterface
public interface ObserverCallback {
    void onChange(QueryResultChange change);
}
