package io.starling.internal.sync;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Echo suppression for one session: the digest of the last state received from the remote per document, so
 * that the sender does not send a document back while its state is still the one the remote sent. Bounded,
 * least recently used first out; an entry is dropped once it suppressed a send. Documents are keyed by a 64-bit
 * hash of (collection, id): a collision could only suppress a send if the two states were also identical.
 *
 * <p>Suppression assumes the remote still holds what it sent. A remote we told that its copy of a document is a
 * zombie removes that copy when the notice reaches it, and a state of that document it sent before then may still
 * arrive and be accepted here (it carries a newer write): the document is then {@linkplain #distrust distrusted}
 * and never suppressed again in this session. Past {@code capacity} distrusted documents, suppression is off for
 * the rest of the session (a suppression is only a saving; sending again is always correct). Not thread-safe.
 */
final class EchoMap {
    private final int capacity;
    private final LinkedHashMap<Long, Long> digests;
    /** Documents the remote may no longer hold what it sent of (it was told they are zombies). */
    private final Set<Long> distrusted = new HashSet<>();
    /** More documents were distrusted than {@code capacity}: nothing is suppressed any more. */
    private boolean off;

    EchoMap(int capacity) {
        this.capacity = capacity;
        this.digests = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, Long> eldest) {
                return size() > EchoMap.this.capacity;
            }
        };
    }

    /** The remote sent this state of the document. */
    void received(String collection, byte[] id, byte[] state) {
        if (capacity == 0 || off) return;
        long key = key(collection, id);
        if (!distrusted.contains(key)) digests.put(key, Digests.of(state));
    }

    /**
     * We told the remote that its copy of the document is a zombie: whatever it sent of it, in flight or later, is
     * not proof that it holds it, so the document is never suppressed again in this session.
     */
    void distrust(String collection, byte[] id) {
        if (capacity == 0 || off) return;
        long key = key(collection, id);
        digests.remove(key);
        distrusted.add(key);
        if (distrusted.size() > capacity) {
            off = true;
            digests.clear();
            distrusted.clear();
        }
    }

    /** The echo key of the document when {@code state} is what the remote last sent, else 0. */
    long echoKey(String collection, byte[] id, byte[] state) {
        if (digests.isEmpty()) return 0;
        long key = key(collection, id);
        Long d = digests.get(key);
        return d != null && d == Digests.of(state) ? key : 0;
    }

    /** The suppression decided with {@link #echoKey} was sent: the entry is no longer needed. */
    void consumed(long key) {
        digests.remove(key);
    }

    static long key(String collection, byte[] id) {
        long h = 0xcbf29ce484222325L; // FNV-1a, then a strong finaliser
        for (int i = 0; i < collection.length(); i++) {
            char c = collection.charAt(i);
            h = (h ^ (c & 0xff)) * 0x100000001b3L;
            h = (h ^ (c >>> 8)) * 0x100000001b3L;
        }
        h = (h ^ 0xff) * 0x100000001b3L;
        h = (h ^ id.length) * 0x100000001b3L;
        for (byte b : id) h = (h ^ (b & 0xff)) * 0x100000001b3L;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h == 0 ? 1 : h;
    }
}
