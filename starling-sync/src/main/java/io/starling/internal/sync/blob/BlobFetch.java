package io.starling.internal.sync.blob;

import io.starling.internal.sync.BlobMessage;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/*
 * Design note — fetching one blob from the peers.
 *
 * A fetch asks every connected peer at once (WANT, cheap) and takes chunks from one of them at a time, the source:
 * the peer that holds the most (a complete copy before a relay). Chunks are taken strictly in order, so what is held
 * is always a verified prefix and a fetch resumes from its end — after a disconnect, a switch of source or a restart
 * of the process (the engine keeps the prefix on disk and starts the next fetch at its end).
 *
 * Flow control: at most `credit` chunks are asked for and not yet received, and never beyond what the source said it
 * holds; each chunk received asks for more (GET extends the previous credit). The credit adapts to the link so that
 * attachment bytes never queue long ahead of document messages on it (documents first): it starts at one chunk and
 * doubles while chunks come back within half of TARGET_ROUND_TRIP_MILLIS of being asked for (a fast link: more in
 * flight for throughput), up to `window`; it halves, down to one chunk, when a chunk took longer than
 * TARGET_ROUND_TRIP_MILLIS (a slow or busy link: what is in flight is what a document sent now waits behind). On a
 * 20 KB/s link this keeps one 8 KiB chunk in flight (0.4 s of the link); on loopback it reaches `window` within a few
 * chunks. A new source starts again at one chunk.
 *
 * Verification: each chunk must have the expected length and the SHA-256 its server recorded when it verified the
 * blob; a chunk that does not match (a damaged file, a faulty peer) makes that peer faulty for this fetch, and the
 * chunk is asked of another. The engine verifies the whole content's SHA-256 when the last chunk is held.
 *
 * Switching: a source that holds nothing beyond what is held here (a relay waiting for its own chunks) gives way to a
 * peer that announced more, so relays that chose each other do not wait for each other until the timeout.
 *
 * Timeouts run on the clock the caller passes: a source that sends no chunk for `timeoutMillis` while it owes some,
 * or whose relay makes no progress for that long, is given up and another is chosen; a peer that does not answer WANT
 * in that time counts as lacking the blob. With no peer left to ask the fetch waits for one to connect, and fails
 * once it has gone `timeoutMillis` without progress.
 */

/** Fetches one blob from the connected peers. Sans I/O; not thread-safe: one thread drives it. */
public final class BlobFetch {
    /**
     * How long a chunk may take from being asked for to arriving before the credit shrinks: about the most a document
     * message waits behind attachment chunks on a slow link.
     */
    public static final long TARGET_ROUND_TRIP_MILLIS = 250;

    /** What the driver must do, in order. */
    public sealed interface Action {}

    /** Send {@code message} to {@code peer}. */
    public record Send(long peer, BlobMessage message) implements Action {}

    /** Append chunk {@code index} (verified) to what is held. */
    public record Write(long index, byte[] hash, byte[] data) implements Action {}

    /** Every chunk is held: verify the whole content and finish. */
    public record Complete() implements Action {}

    /** The fetch failed; {@code reason} says why, for people. */
    public record Fail(String reason) implements Action {}

    /** Fetch numbers, per connection, given out by the driver (each peer's connection numbers its own). */
    public interface Numbers {
        long next(long peer);
    }

    private enum PeerState {
        ASKED,
        /** Did not answer WANT within the timeout: not waited for any more, but a late HAVE still counts. */
        SILENT,
        HAS,
        LACKS,
        FAULTY,
        TIMED_OUT
    }

    private static final class Peer {
        final long fetchNo;
        PeerState state = PeerState.ASKED;
        long held;
        long since;
        String why = "";

        Peer(long fetchNo, long since) {
            this.fetchNo = fetchNo;
            this.since = since;
        }
    }

    private final byte[] id;
    private final long length;
    private final long total;
    private final int window;
    private final long timeoutMillis;
    private final int ttl;
    private final Numbers numbers;
    private final Map<Long, Peer> peers = new LinkedHashMap<>();
    /** When each range of chunks was asked for: {end (exclusive), millis}, oldest first. */
    private final ArrayDeque<long[]> asked = new ArrayDeque<>();

    private int credit = 1;
    private long next;
    private @Nullable Long source;
    private long requestedTo;
    private long progressAt;
    private boolean finished;
    private long bytesReceived;

    /**
     * @param held leading chunks already held and verified (where a resumed fetch starts)
     * @param ttl hops the requests of this fetch may travel further
     */
    public BlobFetch(
            byte[] id,
            long length,
            long held,
            int window,
            long timeoutMillis,
            int ttl,
            Numbers numbers,
            long nowMillis) {
        if (id.length != BlobMessage.HASH_BYTES) throw new IllegalArgumentException("id of " + id.length + " bytes");
        if (window < 1 || window > 1024) throw new IllegalArgumentException("window " + window + " out of 1 … 1024");
        if (timeoutMillis < 1) throw new IllegalArgumentException("timeout " + timeoutMillis + " ms");
        this.id = id.clone();
        this.length = length;
        this.total = BlobMessage.chunks(length);
        if (held < 0 || held > total) throw new IllegalArgumentException("held " + held + " of " + total + " chunks");
        this.next = held;
        this.window = window;
        this.timeoutMillis = timeoutMillis;
        this.ttl = ttl;
        this.numbers = numbers;
        this.progressAt = nowMillis;
    }

    /** Starts: completes at once when everything is held already. */
    public List<Action> start() {
        List<Action> out = new ArrayList<>();
        if (next == total) {
            finished = true;
            out.add(new Complete());
        }
        return out;
    }

    /** A peer is connected (again): asks it. */
    public List<Action> addPeer(long peer, long nowMillis) {
        List<Action> out = new ArrayList<>();
        if (finished) return out;
        Peer old = peers.get(peer);
        if (old != null && old.state != PeerState.LACKS) return out; // asked already; a lacking one may have it by now
        Peer p = new Peer(numbers.next(peer), nowMillis);
        peers.put(peer, p);
        // with no source, the fetch waits for one: a peer that (re)appears gets a whole timeout to answer, as the
        // next source does (a connection that flaps must not leave its WANT a few milliseconds before the give-up)
        if (source == null) progressAt = Math.max(progressAt, nowMillis);
        out.add(new Send(peer, new BlobMessage.Want(p.fetchNo, id.clone(), length, ttl)));
        return out;
    }

    /** A peer's connection is gone. */
    public List<Action> removePeer(long peer, long nowMillis) {
        List<Action> out = new ArrayList<>();
        Peer p = peers.remove(peer);
        if (p == null || finished) return out;
        if (source != null && source == peer) {
            source = null;
            progressAt = nowMillis; // losing the source starts the wait for another afresh
            choose(nowMillis, out);
        }
        return out;
    }

    /** A message of this fetch from {@code peer} (HAVE, LACK or CHUNK with one of our fetch numbers). */
    public List<Action> onMessage(long peer, BlobMessage m, long nowMillis) {
        List<Action> out = new ArrayList<>();
        Peer p = peers.get(peer);
        if (finished || p == null || p.fetchNo != m.fetchNo()) return out;
        if (m instanceof BlobMessage.Have h) {
            if (p.state == PeerState.ASKED || p.state == PeerState.SILENT || p.state == PeerState.HAS) {
                if (p.state == PeerState.HAS && h.chunks() > p.held && source != null && source == peer)
                    progressAt = nowMillis; // the relay moves
                p.state = PeerState.HAS;
                p.held = Math.min(total, Math.max(p.held, h.chunks()));
                p.since = nowMillis;
                if (source == null) choose(nowMillis, out);
                else if (source == peer) request(out, nowMillis);
                else switchIfStarved(nowMillis, out);
            }
        } else if (m instanceof BlobMessage.Lack l) {
            p.state = PeerState.LACKS;
            p.why = l.reason();
            if (source != null && source == peer) {
                source = null;
                choose(nowMillis, out);
            } else if (source == null) {
                choose(nowMillis, out);
            }
        } else if (m instanceof BlobMessage.Chunk c) {
            chunk(peer, p, c, nowMillis, out);
        }
        return out;
    }

    private void chunk(long peer, Peer p, BlobMessage.Chunk c, long nowMillis, List<Action> out) {
        bytesReceived += c.data().length;
        if (source == null || source != peer || c.index() != next) return; // from an abandoned request: ignored
        String wrong = null;
        if (c.data().length != BlobMessage.chunkLength(length, c.index())) {
            wrong = "chunk " + c.index() + " has " + c.data().length + " bytes, not "
                    + BlobMessage.chunkLength(length, c.index());
        } else if (!Arrays.equals(sha256(c.data()), c.hash())) {
            wrong = "chunk " + c.index() + " does not match its SHA-256";
        }
        if (wrong != null) {
            p.state = PeerState.FAULTY;
            p.why = wrong;
            out.add(new Send(peer, new BlobMessage.Done(p.fetchNo)));
            source = null;
            choose(nowMillis, out);
            return;
        }
        out.add(new Write(c.index(), c.hash(), c.data()));
        adapt(c.index(), nowMillis);
        next++;
        progressAt = nowMillis;
        if (next == total) {
            finished = true;
            out.add(new Send(peer, new BlobMessage.Done(p.fetchNo)));
            out.add(new Complete());
            return;
        }
        if (!switchIfStarved(nowMillis, out)) request(out, nowMillis);
    }

    /**
     * When the source holds nothing beyond what is held here (a relay still waiting for its own chunks) and another
     * peer holds more, that peer becomes the source. The old one is not told (it stays a candidate: what it sends for
     * the old request is ignored). Without this, two relays that chose each other first would wait for each other
     * until the timeout, although a third peer announced the blob meanwhile.
     */
    private boolean switchIfStarved(long nowMillis, List<Action> out) {
        Long s = source;
        if (s == null) return false;
        Peer current = peers.get(s);
        if (current != null && current.held > next) return false;
        Long best = null;
        long bestHeld = next;
        for (Map.Entry<Long, Peer> e : peers.entrySet()) {
            Peer q = e.getValue();
            if (q.state == PeerState.HAS && q.held > bestHeld && !e.getKey().equals(s)) {
                best = e.getKey();
                bestHeld = q.held;
            }
        }
        if (best == null) return false;
        source = best;
        requestedTo = next;
        credit = 1;
        asked.clear();
        progressAt = nowMillis;
        request(out, nowMillis);
        return true;
    }

    /** Adjusts the credit from how long chunk {@code index} took since it was asked for. */
    private void adapt(long index, long nowMillis) {
        long askedAt = -1;
        while (!asked.isEmpty() && asked.peekFirst()[0] <= index) asked.pollFirst();
        if (!asked.isEmpty()) askedAt = asked.peekFirst()[1];
        if (askedAt < 0) return;
        long took = nowMillis - askedAt;
        if (took > TARGET_ROUND_TRIP_MILLIS) credit = Math.max(1, credit / 2);
        else if (took * 2 <= TARGET_ROUND_TRIP_MILLIS && requestedTo - index >= credit)
            credit = Math.min(window, credit * 2);
    }

    /** Checks the timeouts. */
    public List<Action> onTick(long nowMillis) {
        List<Action> out = new ArrayList<>();
        if (finished) return out;
        for (Map.Entry<Long, Peer> e : peers.entrySet()) {
            Peer p = e.getValue();
            if (p.state == PeerState.ASKED && nowMillis - p.since >= timeoutMillis) {
                p.state = PeerState.SILENT;
                p.why = "did not answer within " + timeoutMillis + " ms";
            }
        }
        if (source != null && nowMillis - progressAt >= timeoutMillis) {
            long s = source;
            Peer p = peers.get(s);
            if (p != null) {
                p.state = PeerState.TIMED_OUT;
                p.why = "sent nothing for " + timeoutMillis + " ms";
                out.add(new Send(s, new BlobMessage.Done(p.fetchNo)));
            }
            source = null;
            progressAt = nowMillis; // the next source gets a whole timeout
        }
        if (source == null) choose(nowMillis, out);
        if (!finished && source == null && !anyAsked() && nowMillis - progressAt >= timeoutMillis) {
            finished = true;
            out.add(new Fail(whyNot()));
        }
        return out;
    }

    /** Stops the fetch (cancelled, or failed in the driver): tells the source. */
    public List<Action> stop() {
        List<Action> out = new ArrayList<>();
        if (finished) return out;
        finished = true;
        for (Map.Entry<Long, Peer> e : peers.entrySet()) {
            if (e.getValue().state == PeerState.HAS)
                out.add(new Send(e.getKey(), new BlobMessage.Done(e.getValue().fetchNo)));
        }
        return out;
    }

    private void choose(long nowMillis, List<Action> out) {
        Long best = null;
        long bestHeld = -1;
        for (Map.Entry<Long, Peer> e : peers.entrySet()) {
            Peer p = e.getValue();
            if (p.state != PeerState.HAS) continue;
            if (p.held > bestHeld) {
                best = e.getKey();
                bestHeld = p.held;
            }
        }
        if (best == null) return;
        source = best;
        requestedTo = next;
        credit = 1;
        asked.clear();
        progressAt = nowMillis;
        request(out, nowMillis);
    }

    private void request(List<Action> out, long nowMillis) {
        Long s = source;
        if (s == null) return;
        Peer p = peers.get(s);
        if (p == null) return;
        long limit = Math.min(p.held, Math.min(total, next + credit));
        if (requestedTo < next) requestedTo = next;
        if (limit > requestedTo) {
            out.add(new Send(s, new BlobMessage.Get(p.fetchNo, requestedTo, (int) (limit - requestedTo))));
            requestedTo = limit;
            asked.addLast(new long[] {limit, nowMillis});
        }
    }

    /** Chunks this fetch may have asked for and not received now (between 1 and {@code window}). */
    public int credit() {
        return credit;
    }

    private boolean anyAsked() {
        for (Peer p : peers.values()) if (p.state == PeerState.ASKED) return true;
        return false;
    }

    private String whyNot() {
        if (peers.isEmpty()) return "no connected peer holds it (waited " + timeoutMillis + " ms for one)";
        StringBuilder b = new StringBuilder("no connected peer could give it: ");
        String sep = "";
        for (Map.Entry<Long, Peer> e : peers.entrySet()) {
            b.append(sep)
                    .append("peer ")
                    .append(Long.toUnsignedString(e.getKey(), 16))
                    .append(' ')
                    .append(e.getValue().why);
            sep = "; ";
        }
        return b.toString();
    }

    /** Leading chunks held and verified. */
    public long chunksHeld() {
        return next;
    }

    public long length() {
        return length;
    }

    public boolean finished() {
        return finished;
    }

    /** Chunk bytes received from peers, including ones ignored or refused. */
    public long bytesReceived() {
        return bytesReceived;
    }

    /** The peer chunks come from now, or null. */
    public @Nullable Long source() {
        return source;
    }

    /** The fetch number this fetch uses with {@code peer}, or 0 when it has not asked it. */
    public long fetchNo(long peer) {
        Peer p = peers.get(peer);
        return p == null ? 0 : p.fetchNo;
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
