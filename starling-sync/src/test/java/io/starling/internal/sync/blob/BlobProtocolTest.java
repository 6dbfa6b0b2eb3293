package io.starling.internal.sync.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.sync.BlobMessage;
import io.starling.internal.sync.Message;
import io.starling.internal.sync.WireCodec;
import io.starling.internal.sync.WireException;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The attachment protocol without I/O: the codec, and {@link BlobFetch} against several {@link BlobServer}s over a
 * deterministic network on a virtual clock, with faults — connections cut and restored, peers that stall, peers whose
 * stored copy is damaged, relays that hold nothing at first. Each history must end with the whole, verified content
 * (or, when no intact copy is reachable, a failure), and a cut costs at most the chunks in flight.
 */
class BlobProtocolTest {
    static final int CHUNK = BlobMessage.CHUNK_BYTES;

    // ---- codec

    @Test
    void everyBlobMessageRoundTripsAndTruncationsAreRefused() {
        byte[] id = new byte[32];
        Arrays.fill(id, (byte) 7);
        List<BlobMessage> all = List.of(
                new BlobMessage.Want(1, id, 1L << 40, 3),
                new BlobMessage.Have(2, 99),
                new BlobMessage.Lack(3, "not held here"),
                new BlobMessage.Get(4, 10, 8),
                new BlobMessage.Chunk(5, 11, id.clone(), new byte[] {1, 2, 3}),
                new BlobMessage.Done(6));
        for (BlobMessage m : all) {
            byte[] bytes = WireCodec.encode(new Message.Blob(m));
            assertThat(bytes[0]).isEqualTo((byte) 12);
            assertThat(WireCodec.decode(bytes)).isEqualTo(new Message.Blob(m));
            for (int n = 1; n < bytes.length; n++) {
                byte[] cut = Arrays.copyOf(bytes, n);
                assertThatThrownBy(() -> WireCodec.decode(cut)).isInstanceOf(WireException.class);
            }
        }
        assertThat(HexOf(WireCodec.encode(new Message.Blob(new BlobMessage.Get(1, 2, 3)))))
                .isEqualTo("0c0401020" + "3");
    }

    @Property(tries = 2000)
    void garbageAfterTheBlobTypeIsRefusedWithWireExceptionOnly(@ForAll long seed) {
        Random r = new Random(seed);
        byte[] b = new byte[1 + r.nextInt(80)];
        r.nextBytes(b);
        b[0] = 12;
        if (b.length > 1 && r.nextBoolean()) b[1] = (byte) (1 + r.nextInt(6));
        try {
            WireCodec.decode(b);
        } catch (WireException expected) {
            // refused, as it should be
        }
    }

    @Test
    void outOfRangeFieldsAreRefused() {
        byte[] id = new byte[31];
        assertThatThrownBy(() -> new BlobMessage.Want(1, id, 1, 1)).hasMessageContaining("31 bytes");
        assertThatThrownBy(() -> new BlobMessage.Get(1, 0, 0)).hasMessageContaining("chunk count 0");
        assertThatThrownBy(() -> new BlobMessage.Chunk(1, 0, new byte[32], new byte[CHUNK + 1]))
                .hasMessageContaining("chunk of");
        assertThatThrownBy(() -> new BlobMessage.Want(0, new byte[32], 1, 1)).hasMessageContaining("fetch number 0");
    }

    // ---- fetches under faults

    /** A blob held by a peer: content and the chunk hashes it recorded (from the intact content). */
    static final class Held {
        final byte[] content;
        final byte[][] sums;

        Held(byte[] content, byte[] intact) {
            this.content = content;
            long n = BlobMessage.chunks(intact.length);
            sums = new byte[(int) n][];
            for (int i = 0; i < n; i++)
                sums[i] = sha256(Arrays.copyOfRange(intact, i * CHUNK, Math.min(intact.length, (i + 1) * CHUNK)));
        }
    }

    /** One simulated peer that serves: holds the blob (maybe damaged), or relays it from an upstream after a delay. */
    final class ServerPeer implements BlobSource {
        final long id;

        @Nullable
        Held held;

        long relayedChunks = -1; // a relay: chunks it holds so far, -1 when it does not relay
        boolean stalled;
        BlobServer server;

        ServerPeer(long id) {
            this.id = id;
            this.server = new BlobServer(this, FETCHER, 0);
        }

        @Override
        public long chunksHeld(byte[] blob, long length) {
            if (held != null) return BlobMessage.chunks(length);
            return relayedChunks;
        }

        @Override
        public @Nullable HeldChunk read(byte[] blob, long length, long index) {
            Held h = held != null ? held : relaySource;
            int from = (int) (index * CHUNK);
            return new HeldChunk(
                    h.sums[(int) index], Arrays.copyOfRange(h.content, from, Math.min(h.content.length, from + CHUNK)));
        }

        @Override
        public @Nullable String refusal(long peer, byte[] blob) {
            return null;
        }

        @Override
        public boolean relay(byte[] blob, long length, int ttl, long peer) {
            if (relaySource == null) return false;
            relayedChunks = 0;
            return true;
        }
    }

    static final long FETCHER = 1;

    @Nullable
    Held relaySource;

    @Property(tries = 300)
    void aFetchCompletesWithTheVerifiedContentUnderFaults(@ForAll long seed) {
        Random r = new Random(seed);
        int length = r.nextInt(5) == 0 ? r.nextInt(3 * CHUNK) : CHUNK * (2 + r.nextInt(40)) + r.nextInt(CHUNK);
        byte[] content = new byte[length];
        r.nextBytes(content);
        byte[] blobId = sha256(content);
        int window = 1 + r.nextInt(8);
        long timeout = 1000;

        Map<Long, ServerPeer> servers = new LinkedHashMap<>();
        int n = 1 + r.nextInt(4);
        boolean intactSomewhere = false;
        relaySource = null;
        for (int i = 0; i < n; i++) {
            ServerPeer s = new ServerPeer(10 + i);
            int kind = r.nextInt(5);
            if (kind == 0 && length > 0) { // a damaged copy: one byte flipped, hashes intact
                byte[] bad = content.clone();
                bad[r.nextInt(length)] ^= 1;
                s.held = new Held(bad, content);
            } else if (kind == 1) {
                s.stalled = true; // answers, then never sends a chunk
                s.held = new Held(content, content);
            } else if (kind == 2) {
                relaySource = new Held(content, content); // a relay that gets the chunks later
                intactSomewhere = true;
            } else {
                s.held = new Held(content, content);
                intactSomewhere = true;
            }
            servers.put(s.id, s);
        }

        long[] numbers = {0};
        long now = 0;
        BlobFetch fetch = new BlobFetch(blobId, length, 0, window, timeout, 3, peer -> ++numbers[0], now);
        Map<Long, Boolean> up = new HashMap<>();
        Map<Long, Long> downUntil = new HashMap<>();
        ArrayDeque<Object[]> toServers = new ArrayDeque<>(); // {peer, message}
        ArrayDeque<Object[]> toFetcher = new ArrayDeque<>();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        boolean[] done = {false, false}; // complete, failed
        List<BlobFetch.Action> actions = new ArrayList<>(fetch.start());
        for (ServerPeer s : servers.values()) {
            up.put(s.id, true);
            actions.addAll(fetch.addPeer(s.id, now));
        }
        int cuts = 0;
        for (int step = 0; step < 200_000 && !done[0] && !done[1]; step++) {
            for (BlobFetch.Action a : actions) {
                if (a instanceof BlobFetch.Send s) toServers.add(new Object[] {s.peer(), s.message()});
                else if (a instanceof BlobFetch.Write w) {
                    assertThat(w.index() * CHUNK).as("seed %d: in order", seed).isEqualTo(got.size());
                    got.writeBytes(w.data());
                } else if (a instanceof BlobFetch.Complete) done[0] = true;
                else if (a instanceof BlobFetch.Fail) done[1] = true;
            }
            actions = new ArrayList<>();
            int pick = r.nextInt(100);
            if (pick < 2 && cuts < 6) { // cut a connection; it comes back later
                ServerPeer s = servers.get(10L + r.nextInt(n));
                if (up.get(s.id)) {
                    cuts++;
                    up.put(s.id, false);
                    toServers.removeIf(m -> (long) m[0] == s.id);
                    toFetcher.removeIf(m -> (long) m[0] == s.id);
                    s.server = new BlobServer(s, FETCHER, 0);
                    downUntil.put(s.id, now + r.nextInt((int) timeout / 2)); // back well within a timeout
                    actions.addAll(fetch.removePeer(s.id, now));
                }
            } else if (pick < 4) {
                reconnect(now, up, downUntil, fetch, actions);
            } else if (pick < 8) { // time passes
                // messages in flight arrive within a timeout: time moves slowly while any is on its way
                int most = toServers.isEmpty() && toFetcher.isEmpty() ? 400 : 20;
                now = advance(now, 1 + r.nextInt(most), fetch, servers, up, blobId, length, toFetcher, actions);
                reconnect(now, up, downUntil, fetch, actions);
            } else if ((pick < 55 || toFetcher.isEmpty()) && !toServers.isEmpty()) { // nothing waits forever
                Object[] m = toServers.poll();
                ServerPeer s = servers.get((long) m[0]);
                for (BlobMessage out : s.server.onMessage((BlobMessage) m[1], now)) {
                    if (s.stalled && out instanceof BlobMessage.Chunk) continue;
                    toFetcher.add(new Object[] {s.id, out});
                }
            } else if (!toFetcher.isEmpty()) {
                Object[] m = toFetcher.poll();
                actions.addAll(fetch.onMessage((long) m[0], (BlobMessage) m[1], now));
            } else {
                now = advance(now, 100, fetch, servers, up, blobId, length, toFetcher, actions);
                reconnect(now, up, downUntil, fetch, actions);
            }
        }
        if (intactSomewhere) {
            assertThat(done[0]).as("seed %d: completed", seed).isTrue();
            assertThat(got.toByteArray()).as("seed %d", seed).isEqualTo(content);
        } else {
            assertThat(done[0] || done[1]).as("seed %d: ended", seed).isTrue();
            if (done[0]) assertThat(got.toByteArray()).isEqualTo(content);
        }
    }

    /** Connections cut earlier come back once their time is up. */
    static void reconnect(
            long now,
            Map<Long, Boolean> up,
            Map<Long, Long> downUntil,
            BlobFetch fetch,
            List<BlobFetch.Action> actions) {
        for (Map.Entry<Long, Boolean> e : up.entrySet()) {
            if (!e.getValue() && downUntil.getOrDefault(e.getKey(), 0L) <= now) {
                e.setValue(true);
                actions.addAll(fetch.addPeer(e.getKey(), now));
            }
        }
    }

    /** Moves the virtual clock: ticks the fetch, and each relay verifies a chunk per 100 ms it is connected. */
    static long advance(
            long now,
            long by,
            BlobFetch fetch,
            Map<Long, ServerPeer> servers,
            Map<Long, Boolean> up,
            byte[] blobId,
            long length,
            ArrayDeque<Object[]> toFetcher,
            List<BlobFetch.Action> actions) {
        long later = now + by;
        for (ServerPeer s : servers.values()) {
            long steps = later / 100 - now / 100;
            for (long k = 0; k < steps; k++) {
                if (s.relayedChunks >= 0 && s.relayedChunks < BlobMessage.chunks(length) && up.get(s.id)) {
                    s.relayedChunks++;
                    for (BlobMessage m : s.server.onAvailable(blobId, later)) toFetcher.add(new Object[] {s.id, m});
                }
            }
        }
        actions.addAll(fetch.onTick(later));
        return later;
    }

    /**
     * Regression (seed 7202166681884308996 of the property above): a holder cut twice, its WANT lost in the second cut,
     * was gone at the fetch's give-up, a timeout after the source was lost but only half a timeout after the holder had
     * last appeared; it came back just after.
     */
    @Test
    void aPeerThatComesBackGetsAWholeTimeoutToAnswer() {
        byte[] content = new byte[3 * CHUNK];
        new Random(2).nextBytes(content);
        long[] numbers = {0};
        BlobFetch fetch = new BlobFetch(sha256(content), content.length, 0, 4, 1000, 3, peer -> ++numbers[0], 0);
        assertThat(fetch.start()).isEmpty();
        assertThat(fetch.addPeer(10, 0)).hasSize(1); // WANT 1
        fetch.onMessage(10, new BlobMessage.Have(1, 3), 0);
        assertThat(fetch.removePeer(10, 0)).isEmpty(); // cut: the source is gone, the wait starts
        assertThat(fetch.addPeer(10, 450)).hasSize(1); // back: WANT 2, lost in the next cut
        assertThat(fetch.removePeer(10, 500)).isEmpty();
        assertThat(fetch.onTick(1000))
                .as("a whole timeout since the source was lost, but not since a holder last appeared")
                .noneMatch(a -> a instanceof BlobFetch.Fail);
        assertThat(fetch.addPeer(10, 1005)).singleElement().isInstanceOf(BlobFetch.Send.class); // WANT 3
        assertThat(fetch.onMessage(10, new BlobMessage.Have(3, 3), 1010))
                .as("asks the peer that answered")
                .anyMatch(a -> a instanceof BlobFetch.Send send && send.message() instanceof BlobMessage.Get);
        // and a peer that never answers is still given up after a whole timeout
        BlobFetch silent = new BlobFetch(sha256(content), content.length, 0, 4, 1000, 3, peer -> ++numbers[0], 0);
        silent.addPeer(11, 0);
        assertThat(silent.onTick(999)).noneMatch(a -> a instanceof BlobFetch.Fail);
        assertThat(silent.onTick(1000)).anyMatch(a -> a instanceof BlobFetch.Fail);
    }

    @Test
    void aResumedFetchAsksOnlyForTheChunksItLacks() {
        byte[] content = new byte[10 * CHUNK + 5];
        new Random(1).nextBytes(content);
        BlobFetch fetch = new BlobFetch(sha256(content), content.length, 7, 4, 1000, 0, peer -> 1, 0);
        assertThat(fetch.start()).isEmpty();
        assertThat(fetch.addPeer(10, 0)).hasSize(1);
        List<BlobFetch.Action> out = fetch.onMessage(10, new BlobMessage.Have(1, 11), 0);
        // the credit starts at one chunk and grows as chunks come back quickly
        assertThat(out).containsExactly(new BlobFetch.Send(10, new BlobMessage.Get(1, 7, 1)));
    }

    @Test
    void theCreditGrowsOnAFastLinkAndShrinksToOneChunkOnASlowOne() {
        int chunks = 200;
        byte[] content = new byte[chunks * CHUNK];
        new Random(3).nextBytes(content);
        Held h = new Held(content, content);
        BlobFetch fetch = new BlobFetch(sha256(content), content.length, 0, 64, 60_000, 0, peer -> 1, 0);
        fetch.addPeer(10, 0);
        ArrayDeque<Long> asked = new ArrayDeque<>();
        collectGets(fetch.onMessage(10, new BlobMessage.Have(1, chunks), 0), asked);
        assertThat(asked).containsExactly(0L);
        // a fast link: each chunk arrives 1 ms after it was asked for; the credit doubles up to the window
        long now = 0;
        while (fetch.chunksHeld() < 100) {
            long i = asked.poll();
            now++;
            collectGets(
                    fetch.onMessage(10, new BlobMessage.Chunk(1, i, h.sums[(int) i], chunk(content, i)), now), asked);
        }
        assertThat(fetch.credit()).isEqualTo(64);
        // a 20 KB/s link: a chunk takes 0.41 s of the link, and each waits behind the ones asked before it
        long linkFreeAt = now;
        while (fetch.chunksHeld() < chunks) {
            long i = asked.poll();
            linkFreeAt = Math.max(linkFreeAt, now) + CHUNK * 1000L / 20_000;
            now = linkFreeAt;
            collectGets(
                    fetch.onMessage(10, new BlobMessage.Chunk(1, i, h.sums[(int) i], chunk(content, i)), now), asked);
            if (fetch.chunksHeld() == chunks) break;
            if (fetch.chunksHeld() > 170) { // the 64 asked on the fast link have arrived
                assertThat(fetch.credit())
                        .as("after %d chunks", fetch.chunksHeld())
                        .isEqualTo(1);
                assertThat(asked.size()).as("chunks in flight").isLessThanOrEqualTo(1);
            }
        }
        assertThat(fetch.finished()).isTrue();
    }

    static void collectGets(List<BlobFetch.Action> actions, ArrayDeque<Long> asked) {
        for (BlobFetch.Action a : actions) {
            if (a instanceof BlobFetch.Send s && s.message() instanceof BlobMessage.Get g) {
                for (long i = g.index(); i < g.index() + g.count(); i++) asked.add(i);
            }
        }
    }

    static byte[] chunk(byte[] content, long i) {
        return Arrays.copyOfRange(content, (int) i * CHUNK, (int) Math.min(content.length, (i + 1) * CHUNK));
    }

    @Test
    void aChunkWhoseHashDoesNotMatchMakesItsPeerFaultyAndTheChunkIsAskedElsewhere() {
        byte[] content = new byte[3 * CHUNK];
        new Random(2).nextBytes(content);
        long[] no = {0};
        BlobFetch fetch = new BlobFetch(sha256(content), content.length, 0, 2, 1000, 0, peer -> ++no[0], 0);
        fetch.addPeer(10, 0);
        fetch.addPeer(20, 0);
        fetch.onMessage(10, new BlobMessage.Have(1, 3), 0);
        fetch.onMessage(20, new BlobMessage.Have(2, 3), 0);
        byte[] first = Arrays.copyOfRange(content, 0, CHUNK);
        byte[] damaged = first.clone();
        damaged[5] ^= 1;
        List<BlobFetch.Action> out = fetch.onMessage(10, new BlobMessage.Chunk(1, 0, sha256(first), damaged), 1);
        assertThat(out)
                .containsExactly(
                        new BlobFetch.Send(10, new BlobMessage.Done(1)),
                        new BlobFetch.Send(20, new BlobMessage.Get(2, 0, 1)));
        assertThat(fetch.chunksHeld()).isZero();
    }

    @Test
    void aServerSendsNoMoreThanTheCreditAndItsBandwidthShare() {
        byte[] content = new byte[20 * CHUNK];
        Held h = new Held(content, content);
        BlobSource src = new BlobSource() {
            @Override
            public long chunksHeld(byte[] id, long length) {
                return 20;
            }

            @Override
            public HeldChunk read(byte[] id, long length, long index) {
                return new HeldChunk(h.sums[(int) index], new byte[CHUNK]);
            }

            @Override
            public @Nullable String refusal(long peer, byte[] id) {
                return null;
            }

            @Override
            public boolean relay(byte[] id, long length, int ttl, long peer) {
                return false;
            }
        };
        BlobServer s = new BlobServer(src, 1, 10L * CHUNK); // ten chunks a second
        byte[] id = new byte[32];
        assertThat(s.onMessage(new BlobMessage.Want(1, id, content.length, 0), 0))
                .containsExactly(new BlobMessage.Have(1, 20));
        assertThat(s.onMessage(new BlobMessage.Get(1, 0, 8), 0)).hasSize(1); // the burst: one chunk
        assertThat(s.throttled()).isTrue();
        int sent = 0;
        for (long t = 100; t <= 500; t += 100) sent += s.pump(t).size();
        assertThat(sent).isEqualTo(5); // 100 ms a chunk: five more by 500 ms
        assertThat(s.pump(10_000)).hasSize(1); // the bucket holds one burst (one chunk) at most
        assertThat(s.pump(10_100)).hasSize(1);
        assertThat(s.pump(20_000)).isEmpty(); // the credit ended at 8
        assertThat(s.throttled()).isFalse();
        assertThat(s.onMessage(new BlobMessage.Get(1, 8, 2), 20_000)).hasSize(1); // more credit: the bucket's chunk
        assertThat(s.pump(20_100)).hasSize(1);
    }

    static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static String HexOf(byte[] b) {
        return java.util.HexFormat.of().formatHex(b);
    }
}
