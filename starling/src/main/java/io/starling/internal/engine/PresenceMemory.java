package io.starling.internal.engine;

import io.starling.internal.sync.ResumeMemory;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What this instance remembers of the presence views it exchanged with each peer, so that a session's first view can
 * go as a marker (docs/SYNC-PROTOCOL.md, "Presence on resumed sessions"): per peer id, the last view sent to it and the
 * last view received from it (whole, or expanded from a marker of a view it sent whole before). In memory only (lost
 * with the instance: the next session sends, or asks for, the view whole) and bounded like {@link ResumeMemory}: at
 * most {@link ResumeMemory#MAX_PEERS} peers and {@link ResumeMemory#MAX_BYTES} of views per role, the least recently
 * used forgotten first. Forgetting costs one whole view (and, as a receiver, a WANTED round trip), never a wrong view:
 * a marker is used only when the digest of the view it names matches the view held.
 */
final class PresenceMemory {
    private final Views sent = new Views(), received = new Views();

    /** The view last sent to {@code peer}, or null. */
    byte @Nullable [] sentTo(long peer) {
        return sent.get(peer);
    }

    /** {@code view} went to {@code peer} (whole or as a marker that stands for it). */
    void sent(long peer, byte[] view) {
        sent.put(peer, view);
    }

    /** The view last received from {@code peer}, or null. */
    byte @Nullable [] receivedFrom(long peer) {
        return received.get(peer);
    }

    /** {@code view} came from {@code peer} (whole or expanded from a marker). */
    void received(long peer, byte[] view) {
        received.put(peer, view);
    }

    /** Peers remembered per role and the bytes of their views (tests). */
    String stats() {
        return "sent " + sent.stats() + ", received " + received.stats();
    }

    /** Views per peer, least recently used first, bounded in count and bytes. */
    private static final class Views {
        private final LinkedHashMap<Long, byte[]> views = new LinkedHashMap<>(16, 0.75f, true);
        private long bytes;

        synchronized byte @Nullable [] get(long peer) {
            return views.get(peer);
        }

        synchronized void put(long peer, byte[] view) {
            byte[] old = views.remove(peer);
            if (old != null) bytes -= old.length;
            Iterator<Map.Entry<Long, byte[]>> oldest = views.entrySet().iterator();
            while ((views.size() >= ResumeMemory.MAX_PEERS || bytes + view.length > ResumeMemory.MAX_BYTES)
                    && oldest.hasNext()) {
                bytes -= oldest.next().getValue().length;
                oldest.remove();
            }
            if (view.length > ResumeMemory.MAX_BYTES) return; // never: a view is at most 64 KiB
            views.put(peer, view);
            bytes += view.length;
        }

        synchronized String stats() {
            return views.size() + " peers, " + bytes + " bytes";
        }
    }
}
