package io.starling.internal.engine;

import io.starling.internal.core.Stamp;
import io.starling.internal.crdt.DocumentState;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The counter series this instance wrote, with the stamp of its latest write to each: the engine's
 * {@link DocumentState.SeriesPolicy}. A site continues a series only when its local copy is the latest it
 * wrote; otherwise (after EVICT and a stale copy received back, after a restart, or when the entry fell out of
 * this bounded map) it starts a new series, which costs a few bytes and is always correct. Thread-safe.
 */
final class SeriesLedger {
    static final int CAPACITY = 100_000;

    private record Key(String collection, byte[] id, Stamp series) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k
                    && collection.equals(k.collection)
                    && Arrays.equals(id, k.id)
                    && series.equals(k.series);
        }

        @Override
        public int hashCode() {
            return (collection.hashCode() * 31 + Arrays.hashCode(id)) * 31 + series.hashCode();
        }
    }

    private final Map<Key, Stamp> latest = new LinkedHashMap<>(1024, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Stamp> eldest) {
            return size() > CAPACITY;
        }
    };

    /** The policy for one document. */
    DocumentState.SeriesPolicy policy(String collection, byte[] id) {
        return (series, latestLocal) -> {
            synchronized (latest) {
                return latestLocal.equals(latest.get(new Key(collection, id, series)));
            }
        };
    }

    /** Records the series the write stamped {@code stamp} added to. */
    void wrote(String collection, byte[] id, DocumentState after, Stamp stamp) {
        for (Stamp series : after.seriesWrittenAt(stamp)) {
            synchronized (latest) {
                latest.put(new Key(collection, id.clone(), series), stamp);
            }
        }
    }
}
