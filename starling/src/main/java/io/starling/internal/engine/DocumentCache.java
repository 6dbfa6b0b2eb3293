package io.starling.internal.engine;

import io.starling.internal.core.Value;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Decoded documents of committed rows, keyed by (collection, id) and valid for one change sequence number,
 * held weakly: an entry lives exactly as long as some result (an observer's, an application's) still holds
 * the document. Two effects: re-evaluating a live query does not decode documents that did not change, and
 * many results over the same documents share one copy of each instead of one copy per result.
 *
 * <p>Only rows read in read transactions may be cached: a committed (collection, id, sequence) always
 * denotes the same state, whereas a sequence number taken inside a write transaction may be reused if that
 * transaction rolls back. Thread-safe.
 */
final class DocumentCache {
    private final ConcurrentHashMap<Key, Entry> entries = new ConcurrentHashMap<>();
    private final ReferenceQueue<Value.Obj> cleared = new ReferenceQueue<>();

    private record Key(String collection, byte[] id, int hash) {
        static Key of(String collection, byte[] id) {
            return new Key(collection, id, collection.hashCode() * 31 + Arrays.hashCode(id));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && hash == k.hash && collection.equals(k.collection) && Arrays.equals(id, k.id);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    private static final class Entry extends WeakReference<Value.Obj> {
        final Key key;
        final long sequence;

        Entry(Key key, long sequence, Value.Obj doc, ReferenceQueue<Value.Obj> queue) {
            super(doc, queue);
            this.key = key;
            this.sequence = sequence;
        }
    }

    /** The cached document of this row version, or null. */
    Value.@Nullable Obj get(String collection, byte[] id, long sequence) {
        Entry e = entries.get(Key.of(collection, id));
        return e != null && e.sequence == sequence ? e.get() : null;
    }

    void put(String collection, byte[] id, long sequence, Value.Obj doc) {
        purge();
        Key key = Key.of(collection, id);
        entries.put(key, new Entry(key, sequence, doc, cleared));
    }

    /** Drops entries whose documents were collected. */
    private void purge() {
        for (Object ref; (ref = cleared.poll()) != null; ) {
            Entry e = (Entry) ref;
            entries.remove(e.key, e);
        }
    }

    int size() {
        purge();
        return entries.size();
    }
}
