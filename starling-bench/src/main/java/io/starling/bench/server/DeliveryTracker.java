package io.starling.bench.server;

import io.starling.internal.sync.SyncStoreView.DocRef;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When each tracked write reached each of its subscribers. A write is registered (with the devices that must receive
 * it) before it is made; a device that receives the document for the first time reports it. All times are {@code
 * System.nanoTime()} of this JVM, where both the writes start and the devices live. Thread-safe.
 */
final class DeliveryTracker {
    /** One tracked write. */
    static final class Write {
        final String kind;
        final long start;
        final BitSet waiting;
        final int expected;
        long last; // when the last expected device received it, 0 before
        final List<Long> deliveries = new ArrayList<>(); // nanoseconds after start, per expected device

        Write(String kind, long start, BitSet waiting) {
            this.kind = kind;
            this.start = start;
            this.waiting = waiting;
            this.expected = waiting.cardinality();
        }

        synchronized boolean complete() {
            return waiting.isEmpty();
        }
    }

    private final Map<String, Write> writes = new ConcurrentHashMap<>();
    private final List<Write> order = new ArrayList<>();

    /**
     * Registers a write of document {@code id} that the devices in {@code subscribers} (by index) must receive; call
     * before making the write.
     */
    Write expect(String kind, String id, BitSet subscribers) {
        Write w = new Write(kind, System.nanoTime(), (BitSet) subscribers.clone());
        writes.put(id, w);
        synchronized (order) {
            order.add(w);
        }
        return w;
    }

    void received(LoadDevice device, DocRef doc) {
        String id = LoadDevice.idOf(doc.id());
        if (id == null) return;
        Write w = writes.get(id);
        if (w == null) return;
        long now = System.nanoTime();
        synchronized (w) {
            if (!w.waiting.get(device.index)) return;
            w.waiting.clear(device.index);
            w.deliveries.add(now - w.start);
            if (w.waiting.isEmpty()) w.last = now;
        }
    }

    /** The writes of one kind, in the order they were made. */
    List<Write> writes(String kind) {
        synchronized (order) {
            return order.stream().filter(w -> w.kind.equals(kind)).toList();
        }
    }

    /** True when every write of the kinds given reached all of its subscribers. */
    boolean allComplete() {
        synchronized (order) {
            for (Write w : order) if (!w.complete()) return false;
        }
        return true;
    }

    /** Milliseconds, write to its last subscriber, of the complete writes of a kind, sorted. */
    double[] toEverySubscriberMillis(String kind) {
        return writes(kind).stream()
                .filter(Write::complete)
                .mapToDouble(w -> (w.last - w.start) / 1e6)
                .sorted()
                .toArray();
    }

    /** Milliseconds, write to each subscriber, over every delivery of the writes of a kind, sorted. */
    double[] perSubscriberMillis(String kind) {
        List<Double> all = new ArrayList<>();
        for (Write w : writes(kind)) {
            synchronized (w) {
                for (long d : w.deliveries) all.add(d / 1e6);
            }
        }
        return all.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    }

    /** Writes of a kind that did not reach all of their subscribers, and the deliveries missing. */
    long[] incomplete(String kind) {
        long writesMissing = 0, deliveriesMissing = 0;
        for (Write w : writes(kind)) {
            synchronized (w) {
                if (!w.waiting.isEmpty()) {
                    writesMissing++;
                    deliveriesMissing += w.waiting.cardinality();
                }
            }
        }
        return new long[] {writesMissing, deliveriesMissing};
    }

    /** Nearest-rank percentile of sorted values, or NaN when there are none. */
    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) return Double.NaN;
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
