package io.starling.bench;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/** Samples the JVM's used heap every 5 ms on a background thread, from construction to {@link #stop()}. */
public final class PeakHeap implements AutoCloseable {
    private final AtomicLong peak = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    public PeakHeap() {
        thread = new Thread(
                () -> {
                    while (running.get()) {
                        long used = ManagementFactory.getMemoryMXBean()
                                .getHeapMemoryUsage()
                                .getUsed();
                        peak.accumulateAndGet(used, Math::max);
                        LockSupport.parkNanos(5_000_000);
                    }
                },
                "heap-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    /** Stops sampling; the highest used heap seen, in bytes. */
    public long stop() {
        running.set(false);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return peak.get();
    }

    @Override
    public void close() {
        stop();
    }
}
