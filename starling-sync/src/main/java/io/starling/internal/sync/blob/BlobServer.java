package io.starling.internal.sync.blob;

import io.starling.internal.sync.BlobMessage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/*
 * Design note — serving chunks on one connection.
 *
 * The server answers WANT at once: HAVE with the chunks it holds verified (a complete blob, or the prefix of one it is
 * fetching itself), or — when it holds none and the request may travel further — starts a relay fetch on the asker's
 * behalf and answers HAVE 0, then HAVE n again as the relay's chunks verify. It sends a chunk only when the fetcher
 * asked for it (GET is the credit, so the fetcher bounds what is in flight) and holds it, and, with a bandwidth share,
 * only while its token bucket allows: the bucket refills on the clock the caller passes (pump(now)), so this class
 * reads no clock. Fetches are served round-robin, one chunk each per turn, so one large blob does not starve the
 * others. Document sync never waits for this: the engine sends document messages as soon as the session makes
 * them, and only the fetcher's credit of attachment bytes can be ahead of them on the link.
 */

/** Serves blob chunks to the peer at the other end of one connection. Not thread-safe: one thread drives it. */
public final class BlobServer {
    /** Fetches one peer may have open here at once. */
    public static final int MAX_SERVES = 256;

    private final BlobSource source;
    private final long peer;
    private final long bytesPerSecond;
    private final Map<Long, Serve> serves = new LinkedHashMap<>();
    private long tokens;
    private long refilledAt = Long.MIN_VALUE;
    private long bytesSent;

    private static final class Serve {
        final byte[] id;
        final long length;
        final long total;
        long announced;
        long next;
        long end;
        final boolean relayed;

        Serve(byte[] id, long length, long announced, boolean relayed) {
            this.id = id;
            this.length = length;
            this.total = BlobMessage.chunks(length);
            this.announced = announced;
            this.relayed = relayed;
        }
    }

    /**
     * @param bytesPerSecond the most chunk bytes a second sent to this peer, 0 for no limit
     */
    public BlobServer(BlobSource source, long peer, long bytesPerSecond) {
        if (bytesPerSecond < 0) throw new IllegalArgumentException("negative bandwidth " + bytesPerSecond);
        this.source = source;
        this.peer = peer;
        this.bytesPerSecond = bytesPerSecond;
    }

    /** Handles WANT, GET and DONE from the peer; returns what to send. Other kinds are the fetcher's. */
    public List<BlobMessage> onMessage(BlobMessage m, long nowMillis) {
        List<BlobMessage> out = new ArrayList<>();
        if (m instanceof BlobMessage.Want w) {
            want(w, out);
        } else if (m instanceof BlobMessage.Get g) {
            Serve s = serves.get(g.fetchNo());
            if (s == null) return out; // done or never wanted: a late GET
            long start = Math.min(g.index(), s.total);
            long stop = Math.min(s.total, g.index() + g.count());
            if (start == s.end && s.next <= s.end) {
                s.end = stop; // extends the credit
            } else {
                s.next = start;
                s.end = stop;
            }
            pump(nowMillis, out);
        } else if (m instanceof BlobMessage.Done d) {
            serves.remove(d.fetchNo());
        }
        return out;
    }

    private void want(BlobMessage.Want w, List<BlobMessage> out) {
        if (serves.containsKey(w.fetchNo())) return; // a duplicate
        String refusal = source.refusal(peer, w.id());
        if (refusal != null) {
            out.add(new BlobMessage.Lack(w.fetchNo(), refusal));
            return;
        }
        if (serves.size() >= MAX_SERVES) {
            out.add(new BlobMessage.Lack(w.fetchNo(), "busy: " + MAX_SERVES + " fetches of this peer are open here"));
            return;
        }
        long held = source.chunksHeld(w.id(), w.length());
        boolean relayed = false;
        if (held < 0) {
            if (w.ttl() == 0 || !source.relay(w.id(), w.length(), w.ttl() - 1, peer)) {
                out.add(new BlobMessage.Lack(w.fetchNo(), "not held here, and no other peer to ask"));
                return;
            }
            held = Math.max(0, source.chunksHeld(w.id(), w.length())); // the relay may have found a whole prefix
            relayed = true;
        }
        serves.put(w.fetchNo(), new Serve(w.id(), w.length(), held, relayed));
        out.add(new BlobMessage.Have(w.fetchNo(), held));
    }

    /** More of blob {@code id} is held here now (a relay or local fetch verified chunks): announce and send them. */
    public List<BlobMessage> onAvailable(byte[] id, long nowMillis) {
        List<BlobMessage> out = new ArrayList<>();
        for (Map.Entry<Long, Serve> e : serves.entrySet()) {
            Serve s = e.getValue();
            if (!Arrays.equals(s.id, id)) continue;
            long held = source.chunksHeld(s.id, s.length);
            if (held > s.announced) {
                s.announced = held;
                out.add(new BlobMessage.Have(e.getKey(), held));
            }
        }
        pump(nowMillis, out);
        return out;
    }

    /** A relay of blob {@code id} failed: tells the fetchers waiting on it. */
    public List<BlobMessage> onUnavailable(byte[] id, String reason) {
        List<BlobMessage> out = new ArrayList<>();
        for (Iterator<Map.Entry<Long, Serve>> it = serves.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, Serve> e = it.next();
            Serve s = e.getValue();
            if (Arrays.equals(s.id, id) && s.announced < s.total) {
                out.add(new BlobMessage.Lack(e.getKey(), reason));
                it.remove();
            }
        }
        return out;
    }

    /** Sends the chunks that were asked for, are held, and fit the bandwidth share at {@code nowMillis}. */
    public List<BlobMessage> pump(long nowMillis) {
        List<BlobMessage> out = new ArrayList<>();
        pump(nowMillis, out);
        return out;
    }

    private void pump(long nowMillis, List<BlobMessage> out) {
        refill(nowMillis);
        boolean sent = true;
        while (sent) {
            sent = false;
            for (Iterator<Map.Entry<Long, Serve>> it = serves.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<Long, Serve> e = it.next();
                Serve s = e.getValue();
                if (s.next >= s.end || s.next >= s.announced) continue;
                int len = BlobMessage.chunkLength(s.length, s.next);
                if (bytesPerSecond > 0 && tokens < len) return;
                BlobSource.HeldChunk c = source.read(s.id, s.length, s.next);
                if (c == null) {
                    out.add(new BlobMessage.Lack(e.getKey(), "no longer held here"));
                    it.remove();
                    continue;
                }
                out.add(new BlobMessage.Chunk(e.getKey(), s.next, c.hash(), c.data()));
                s.next++;
                tokens -= len;
                bytesSent += len;
                sent = true;
            }
        }
    }

    private void refill(long nowMillis) {
        if (bytesPerSecond == 0) return;
        long burst = Math.max(BlobMessage.CHUNK_BYTES, bytesPerSecond / 10);
        if (refilledAt == Long.MIN_VALUE) {
            tokens = burst;
        } else if (nowMillis > refilledAt) {
            long add = (nowMillis - refilledAt) * bytesPerSecond / 1000;
            tokens = Math.min(burst, tokens + add);
        }
        refilledAt = nowMillis;
    }

    /** True when chunks were asked for and are held but wait for the bandwidth share: call {@link #pump} later. */
    public boolean throttled() {
        if (bytesPerSecond == 0) return false;
        for (Serve s : serves.values()) if (s.next < s.end && s.next < s.announced) return true;
        return false;
    }

    /** Fetches open on this connection. */
    public int openServes() {
        return serves.size();
    }

    /** Whether a fetch here is waiting on a relay of blob {@code id}. */
    public boolean relaying(byte[] id) {
        for (Serve s : serves.values()) if (s.relayed && Arrays.equals(s.id, id) && s.announced < s.total) return true;
        return false;
    }

    /** Whether a fetch of blob {@code id} is open on this connection. */
    public boolean serving(byte[] id) {
        for (Serve s : serves.values()) if (Arrays.equals(s.id, id)) return true;
        return false;
    }

    /** Chunk bytes sent on this connection. */
    public long bytesSent() {
        return bytesSent;
    }

    /** For tests: the fetch {@code fetchNo}'s next chunk to send, or null when it is not open. */
    @Nullable
    Long nextChunk(long fetchNo) {
        Serve s = serves.get(fetchNo);
        return s == null ? null : s.next;
    }
}
