package io.starling.internal.engine;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Warnings about events that may repeat without end (a damaged row met by every scan, a peer that keeps sending a
 * document we refuse): the first of a kind is logged at once, then at most one line per kind and interval, which
 * says how many were folded into it. Thread-safe.
 */
final class RateLimitedLog {
    static final long DEFAULT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final Logger log;
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

    private static final class Window {
        long openedAt;
        long suppressed;

        Window(long openedAt) {
            this.openedAt = openedAt;
        }
    }

    RateLimitedLog(Logger log) {
        this(log, DEFAULT_INTERVAL_NANOS, System::nanoTime);
    }

    RateLimitedLog(Logger log, long intervalNanos, LongSupplier nanoTime) {
        this.log = log;
        this.intervalNanos = intervalNanos;
        this.nanoTime = nanoTime;
    }

    /**
     * Logs {@code message} at WARN unless a line of the same {@code kind} was logged less than the interval ago;
     * then it is only counted, and the next line of that kind says how many were left out.
     *
     * @return true when the line was written
     */
    boolean warn(String kind, String message) {
        long now = nanoTime.getAsLong();
        long folded;
        Window w = windows.get(kind);
        if (w == null) {
            if (windows.size() > 1024) windows.clear(); // kinds come from a fixed set; this only bounds a bug
            w = windows.computeIfAbsent(kind, k -> new Window(now - intervalNanos));
        }
        synchronized (w) {
            if (now - w.openedAt < intervalNanos) {
                w.suppressed++;
                return false;
            }
            folded = w.suppressed;
            w.suppressed = 0;
            w.openedAt = now;
        }
        if (folded == 0) log.warn(message);
        else log.warn("{} (and {} more like it since the last such line)", message, folded);
        return true;
    }
}
