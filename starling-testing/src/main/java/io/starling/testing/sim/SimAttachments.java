package io.starling.testing.sim;

import io.starling.internal.sync.BlobMessage;
import io.starling.internal.sync.blob.BlobFetch;
import io.starling.internal.sync.blob.BlobServer;
import io.starling.internal.sync.blob.BlobSource;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/*
 * Design note — attachments in the simulator.
 *
 * The engine's attachment layer (AttachmentService) runs on a thread of its own with the wall clock and files, so the
 * simulator drives the sans-I/O protocol it is built on — BlobFetch per blob, BlobServer per connection — the way the
 * engine does: one fetch per blob per peer, shared by the application's fetch and by relays on other peers' behalf; a
 * WANT for a blob a peer neither holds nor fetches starts a relay; a verified chunk is announced to every connection
 * (onAvailable); a failed relay tells its askers (onUnavailable); relays nobody waits for any more stop at the next
 * tick. Blob messages travel over the simulator's links as frames of their own, with the same faults as document
 * messages (drop, delay, reorder, duplicate, partitions, disconnects, crashes), drawn from a generator of their own.
 *
 * Each peer's complete blobs and verified prefixes are its disk (they survive a crash); its fetches and servers are
 * its process (lost at a crash). Peers create blobs, fetch blobs others created (by id: the token a document would
 * carry), cancel fetches, and some disks damage a copy (one byte of the content flipped, the recorded chunk hashes
 * intact, as a faulty peer would serve it). The simulator knows every blob's true content, and checks:
 *
 *  - every chunk a fetch writes is the true chunk (a partial blob is always a verified prefix of the content);
 *  - a fetch that completes holds exactly the true content, and a fetch that fails says why;
 *  - after the quiesce phase (network whole and quiet for longer than the fetch timeout) no fetch is still open;
 *  - then every peer fetches once more every blob it ever asked for: each such fetch ends, and a peer that neighbours
 *    a peer holding an intact copy (over a connection its hooks allow) completes it.
 *
 * As in the engine, a side serves and fetches over a connection once its session is established there, and a pair
 * may hold two connections for a while (the session policy: both ends dial; the duplicate rule closes one, either
 * one): fetches ask over the newest, fetch numbers are unique across a peer's connections, and a peer leaves the
 * fetches only when its last connection to the remote ends.
 */

/** The attachment part of one simulated run. Not thread-safe, like the run. */
final class SimAttachments {
    /** Fetch timeout, virtual milliseconds (the engine's default is 30 s; shorter here so runs stay short). */
    static final long TIMEOUT_MILLIS = 5_000;
    /** The most chunks a fetch has in flight (the engine allows 64). */
    static final int WINDOW = 8;

    private static final HexFormat HEX = HexFormat.of();

    private final Simulation sim;
    private final Random rnd;
    /** The true content of every blob created in the run, by id. */
    private final Map<String, byte[]> truth = new LinkedHashMap<>();

    private final Map<String, Integer> creators = new LinkedHashMap<>();
    private final PeerState[] peers;

    /** Counters for the report. */
    static final class Stats {
        long created, fetches, completed, failed, cancelled, relays, damaged, faultyChunks, messages, lostAtCrash;
        long finalFetches, finalCompleted, finalFailed;

        void add(Stats o) {
            created += o.created;
            fetches += o.fetches;
            completed += o.completed;
            failed += o.failed;
            cancelled += o.cancelled;
            relays += o.relays;
            damaged += o.damaged;
            faultyChunks += o.faultyChunks;
            messages += o.messages;
            lostAtCrash += o.lostAtCrash;
            finalFetches += o.finalFetches;
            finalCompleted += o.finalCompleted;
            finalFailed += o.finalFailed;
        }

        @Override
        public String toString() {
            return "attachments: " + created + " created, " + fetches + " fetches (" + completed + " completed, "
                    + failed + " failed, " + cancelled + " cancelled, " + lostAtCrash + " lost at a crash), " + relays
                    + " relays, " + damaged + " damaged copies, " + faultyChunks + " damaged chunks refused, "
                    + messages + " messages; final round: " + finalFetches + " fetches, " + finalCompleted
                    + " completed, " + finalFailed + " failed";
        }
    }

    final Stats stats;

    private static final class PeerState {
        final SimPeer peer;
        /** Disk: complete blobs (the content as stored, damaged or not). */
        final Map<String, byte[]> held = new LinkedHashMap<>();
        /** Disk: verified prefixes of blobs being fetched, chunk by chunk. */
        final Map<String, List<byte[]>> partial = new LinkedHashMap<>();
        /** Disk: copies damaged (never damaged twice). */
        final Set<String> damaged = new LinkedHashSet<>();
        /** The application: blobs it asked for at some point. */
        final Set<String> wanted = new LinkedHashSet<>();
        /** Process: fetches by id, connections by link. */
        final Map<String, Fetch> fetches = new LinkedHashMap<>();

        final Map<Link, Conn> conns = new LinkedHashMap<>();
        /**
         * Fetch numbers, unique across the peer's connections: two connections to one peer (a duplicate not yet
         * closed) never share a number, so an answer on one is never taken for an answer on the other.
         */
        long nextFetchNo;

        PeerState(SimPeer peer) {
            this.peer = peer;
        }

        /** The newest connection to {@code site} still up (fetches ask over it), or null when none is. */
        @Nullable
        Conn conn(long site) {
            Conn newest = null;
            for (Conn c : conns.values()) if (c.remote.site == site) newest = c;
            return newest;
        }
    }

    /** One fetch of one blob at one peer. */
    private final class Fetch {
        final PeerState at;
        final String id;
        final long length;
        final BlobFetch proto;
        boolean app;
        boolean finalRound;
        boolean done;
        final Set<Long> relayFor = new LinkedHashSet<>();
        final Set<Long> excluded = new LinkedHashSet<>();

        Fetch(PeerState at, String id, long length, int ttl) {
            this.at = at;
            this.id = id;
            this.length = length;
            List<byte[]> prefix = at.partial.computeIfAbsent(id, k -> new ArrayList<>());
            this.proto = new BlobFetch(
                    HEX.parseHex(id),
                    length,
                    prefix.size(),
                    WINDOW,
                    TIMEOUT_MILLIS,
                    ttl,
                    site -> {
                        Conn c = java.util.Objects.requireNonNull(at.conn(site), "fetches ask connected peers only");
                        long no = ++at.nextFetchNo;
                        c.byNo.put(no, this);
                        return no;
                    },
                    sim.now);
        }
    }

    /** One side of a connection that is up: the peer's server for the remote, and the fetch numbers it gave out. */
    private final class Conn implements BlobSource {
        final PeerState at;
        final SimPeer remote;
        final Link link;
        final int side;
        final BlobServer server;
        final Map<Long, Fetch> byNo = new LinkedHashMap<>();

        Conn(PeerState at, SimPeer remote, Link link, int side) {
            this.at = at;
            this.remote = remote;
            this.link = link;
            this.side = side;
            this.server = new BlobServer(this, remote.site, 0);
        }

        @Override
        public long chunksHeld(byte[] id, long length) {
            String hex = HEX.formatHex(id);
            byte[] h = at.held.get(hex);
            if (h != null) return h.length == length ? BlobMessage.chunks(length) : -1;
            Fetch f = at.fetches.get(hex);
            if (f == null || f.done) return -1;
            return at.partial.getOrDefault(hex, List.of()).size();
        }

        @Override
        public @Nullable HeldChunk read(byte[] id, long length, long index) {
            String hex = HEX.formatHex(id);
            byte[] content = truth.get(hex);
            if (content == null) return null;
            byte[] trueHash = sha256(chunkOf(content, index)); // the sums recorded when the copy was verified
            byte[] h = at.held.get(hex);
            if (h != null) return new HeldChunk(trueHash, chunkOf(h, index));
            List<byte[]> p = at.partial.get(hex);
            if (p == null || index >= p.size()) return null;
            return new HeldChunk(trueHash, p.get((int) index).clone());
        }

        @Override
        public @Nullable String refusal(long peer, byte[] id) {
            return null; // every peer of the app may read every document here
        }

        @Override
        public boolean relay(byte[] id, long length, int ttl, long forPeer) {
            boolean other = false;
            for (Conn c : at.conns.values()) if (c.remote.site != forPeer) other = true;
            if (!other) return false;
            String hex = HEX.formatHex(id);
            Fetch f = at.fetches.get(hex);
            if (f == null) {
                f = new Fetch(at, hex, length, ttl);
                f.excluded.add(forPeer);
                f.relayFor.add(forPeer);
                at.fetches.put(hex, f);
                stats.relays++;
                begin(f);
            } else {
                f.relayFor.add(forPeer);
            }
            return true;
        }
    }

    SimAttachments(Simulation sim, long seed) {
        this.sim = sim;
        this.stats = sim.stats.attachments;
        this.rnd = new Random(seed * 0x9E3779B97F4A7C15L + 0xA77AC4L);
        this.peers = new PeerState[sim.peers.length];
        for (int i = 0; i < peers.length; i++) peers[i] = new PeerState(sim.peers[i]);
    }

    /** The generator of everything attachment-related in the run (actions and message faults). */
    Random random() {
        return rnd;
    }

    // ---- the workload

    /** One attachment action at a random peer that is up. */
    void act() {
        List<PeerState> up = new ArrayList<>();
        for (PeerState p : peers) if (p.peer.up()) up.add(p);
        if (up.isEmpty()) return;
        PeerState p = up.get(rnd.nextInt(up.size()));
        int pick = rnd.nextInt(100);
        if (truth.size() < 1 || (pick < 15 && truth.size() < 5)) {
            create(p);
        } else if (pick < 80) {
            List<String> ids = new ArrayList<>(truth.keySet());
            String id = ids.get(rnd.nextInt(ids.size()));
            fetch(p, id, false);
        } else if (pick < 90) {
            List<String> mine = new ArrayList<>();
            for (String id : p.held.keySet())
                if (!Integer.valueOf(p.peer.index).equals(creators.get(id)) && !p.damaged.contains(id)) mine.add(id);
            if (mine.isEmpty()) return;
            String id = mine.get(rnd.nextInt(mine.size()));
            byte[] copy = p.held.get(id);
            if (copy == null || copy.length == 0) return;
            copy[rnd.nextInt(copy.length)] ^= (byte) (1 + rnd.nextInt(255)); // the recorded sums stay as they were
            p.damaged.add(id);
            stats.damaged++;
        } else {
            for (Fetch f : new ArrayList<>(p.fetches.values())) {
                if (f.app && !f.done) {
                    stats.cancelled++;
                    f.app = false;
                    stopIfUnused(f);
                    return;
                }
            }
        }
    }

    private void create(PeerState p) {
        int length = rnd.nextInt(4) == 0
                ? 1 + rnd.nextInt(BlobMessage.CHUNK_BYTES)
                : BlobMessage.CHUNK_BYTES * (1 + rnd.nextInt(6)) + rnd.nextInt(BlobMessage.CHUNK_BYTES);
        byte[] content = new byte[length];
        rnd.nextBytes(content);
        String id = HEX.formatHex(sha256(content));
        truth.put(id, content);
        creators.put(id, p.peer.index);
        p.held.put(id, content.clone());
        stats.created++;
    }

    private void fetch(PeerState p, String id, boolean finalRound) {
        p.wanted.add(id);
        stats.fetches++;
        if (finalRound) stats.finalFetches++;
        if (p.held.containsKey(id)) {
            stats.completed++;
            if (finalRound) stats.finalCompleted++;
            return;
        }
        Fetch f = p.fetches.get(id);
        if (f == null) {
            f = new Fetch(p, id, content(id).length, BlobMessage.MAX_TTL - 1);
            p.fetches.put(id, f);
            f.app = true;
            f.finalRound = finalRound;
            begin(f);
        } else {
            f.app = true;
            f.finalRound |= finalRound;
        }
    }

    private void begin(Fetch f) {
        act(f, f.proto.start());
        for (Conn c : new ArrayList<>(f.at.conns.values())) {
            if (f.done) return;
            if (!f.excluded.contains(c.remote.site)) act(f, f.proto.addPeer(c.remote.site, sim.now));
        }
    }

    // ---- what the fetch state machine asks for

    private void act(Fetch f, List<BlobFetch.Action> actions) {
        boolean wrote = false;
        for (BlobFetch.Action a : actions) {
            if (f.done) return;
            if (a instanceof BlobFetch.Send s) {
                Conn c = f.at.conn(s.peer());
                if (c != null) send(c, s.message());
            } else if (a instanceof BlobFetch.Write w) {
                List<byte[]> prefix = f.at.partial.computeIfAbsent(f.id, k -> new ArrayList<>());
                byte[] expected = chunkOf(content(f.id), w.index());
                if (w.index() != prefix.size()) {
                    sim.problem("attachment " + brief(f.id) + " at " + f.at.peer + ": chunk " + w.index()
                            + " written after " + prefix.size() + " chunks (not in order)");
                } else if (!Arrays.equals(w.data(), expected)) {
                    sim.problem("attachment " + brief(f.id) + " at " + f.at.peer + ": chunk " + w.index()
                            + " written although its bytes are not the content's (a chunk passed verification)");
                }
                prefix.add(w.data().clone());
                wrote = true;
            } else if (a instanceof BlobFetch.Complete) {
                complete(f);
                return;
            } else if (a instanceof BlobFetch.Fail x) {
                fail(f, x.reason());
                return;
            }
        }
        if (wrote) available(f.at, f.id);
    }

    private void complete(Fetch f) {
        List<byte[]> prefix = f.at.partial.getOrDefault(f.id, List.of());
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (byte[] c : prefix) all.writeBytes(c);
        byte[] content = all.toByteArray();
        if (!HEX.formatHex(sha256(content)).equals(f.id)) {
            // what the engine does (the whole content against the id); no peer here records wrong sums, so a
            // mismatch means a damaged chunk got through
            sim.problem("attachment " + brief(f.id) + " at " + f.at.peer
                    + ": every chunk was accepted but the whole content does not match its id");
            f.at.partial.remove(f.id);
            fail(f, "the content received does not match its SHA-256 id");
            return;
        }
        if (!Arrays.equals(content, truth.get(f.id)))
            sim.problem("attachment " + brief(f.id) + " at " + f.at.peer
                    + " completed with bytes that are not its content");
        f.at.partial.remove(f.id);
        f.at.held.put(f.id, content);
        end(f);
        if (f.app) {
            stats.completed++;
            if (f.finalRound) stats.finalCompleted++;
        }
        available(f.at, f.id);
    }

    private void fail(Fetch f, String reason) {
        if (reason.isBlank())
            sim.problem("attachment " + brief(f.id) + " at " + f.at.peer + ": a fetch failed without a reason");
        for (BlobFetch.Action a : f.proto.stop()) {
            if (a instanceof BlobFetch.Send s) {
                Conn c = f.at.conn(s.peer());
                if (c != null) send(c, s.message());
            }
        }
        end(f);
        if (f.app) {
            stats.failed++;
            if (f.finalRound) {
                stats.finalFailed++;
                finalFailures.add(new String[] {String.valueOf(f.at.peer.index), f.id, reason});
            }
        }
        byte[] raw = HEX.parseHex(f.id);
        for (Conn c : f.at.conns.values()) send(c, c.server.onUnavailable(raw, reason));
    }

    private final List<String[]> finalFailures = new ArrayList<>();

    private void end(Fetch f) {
        f.done = true;
        f.at.fetches.remove(f.id, f);
        for (Conn c : f.at.conns.values()) c.byNo.values().removeIf(x -> x == f);
    }

    private void stopIfUnused(Fetch f) {
        if (f.done || f.app || !f.relayFor.isEmpty()) return;
        for (BlobFetch.Action a : f.proto.stop()) {
            if (a instanceof BlobFetch.Send s) {
                Conn c = f.at.conn(s.peer());
                if (c != null) send(c, s.message());
            }
        }
        end(f);
    }

    private void available(PeerState p, String id) {
        byte[] raw = HEX.parseHex(id);
        for (Conn c : new ArrayList<>(p.conns.values())) send(c, c.server.onAvailable(raw, sim.now));
    }

    private void send(Conn c, List<BlobMessage> messages) {
        for (BlobMessage m : messages) send(c, m);
    }

    private void send(Conn c, BlobMessage m) {
        stats.messages++;
        sim.sendBlob(c.link, c.side, m);
    }

    // ---- the simulator's hooks

    /**
     * The session on side {@code side} of {@code l} is established (called after each step of it; once is enough):
     * that side's peer serves over the connection, and fetches over it from now on. A second connection to a peer
     * already connected (both ends dialled; the duplicate rule closes one soon) asks nothing again: the fetches that
     * asked over the first go on there, and move to the newest connection left if the one they use closes.
     */
    void established(Link l, int side) {
        PeerState p = peers[l.peer(side).index];
        if (!p.peer.up() || p.conns.containsKey(l)) return;
        Conn c = new Conn(p, l.peer(1 - side), l, side);
        p.conns.put(l, c);
        for (Fetch f : new ArrayList<>(p.fetches.values())) {
            if (!f.done && !f.excluded.contains(c.remote.site)) act(f, f.proto.addPeer(c.remote.site, sim.now));
        }
        checkFetchesAskConnectedPeers(p);
    }

    /**
     * One side of a connection ended. The remote is gone from the fetches only when this was its last connection;
     * otherwise a fetch that asked over this one asks again over the newest left (what it had in flight here is lost).
     */
    void linkDown(Link l, int side) {
        PeerState p = peers[l.peer(side).index];
        Conn c = p.conns.remove(l);
        if (c == null) return;
        long site = c.remote.site;
        boolean stillConnected = p.conn(site) != null;
        for (Fetch f : new ArrayList<>(p.fetches.values())) {
            if (f.done) continue;
            if (!stillConnected) {
                act(f, f.proto.removePeer(site, sim.now));
                f.relayFor.remove(site);
                continue;
            }
            // a relay for the remote goes on while a connection left still serves what it relays
            if (!serving(p, site, f.id)) f.relayFor.remove(site);
            if (c.byNo.get(f.proto.fetchNo(site)) == f) {
                act(f, f.proto.removePeer(site, sim.now));
                if (!f.done) act(f, f.proto.addPeer(site, sim.now));
            }
        }
        checkFetchesAskConnectedPeers(p);
    }

    /**
     * Each open fetch at {@code p} has asked every peer {@code p} is connected to (save the one it relays for), over a
     * connection that is still up: a connection ending while another to the same peer stays up (a duplicate closed)
     * must neither drop the peer from the fetch nor leave the fetch waiting on the connection that ended.
     */
    private void checkFetchesAskConnectedPeers(PeerState p) {
        for (Fetch f : p.fetches.values()) {
            if (f.done) continue;
            for (Conn c : p.conns.values()) {
                long site = c.remote.site;
                if (f.excluded.contains(site)) continue;
                long no = f.proto.fetchNo(site);
                boolean live = false;
                for (Conn d : p.conns.values()) if (d.remote.site == site && d.byNo.get(no) == f) live = true;
                if (!live) {
                    sim.problem("attachment " + brief(f.id) + " at " + p.peer + ": its fetch "
                            + (no == 0 ? "forgot " : "waits on a closed connection to ") + c.remote
                            + " although a connection to it is up");
                    return;
                }
            }
        }
    }

    /** The peer's process died: its fetches and servers are gone; its disk (blobs, verified prefixes) stays. */
    void crash(SimPeer peer) {
        PeerState p = peers[peer.index];
        for (Fetch f : p.fetches.values()) if (f.app && !f.done) stats.lostAtCrash++;
        p.fetches.clear();
        p.conns.clear();
    }

    /** An attachment message arrived at side {@code side} of {@code l}. */
    void received(Link l, int side, BlobMessage m) {
        PeerState p = peers[l.peer(side).index];
        Conn c = p.conns.get(l);
        if (c == null || !p.peer.up()) return;
        if (m instanceof BlobMessage.Want || m instanceof BlobMessage.Get || m instanceof BlobMessage.Done) {
            send(c, c.server.onMessage(m, sim.now));
            if (m instanceof BlobMessage.Done) {
                // a relay whose asker needs nothing more of it stops (at the next tick, if nobody else waits)
                for (Fetch f : p.fetches.values()) {
                    if (f.relayFor.contains(c.remote.site) && !serving(p, c.remote.site, f.id))
                        f.relayFor.remove(c.remote.site);
                }
            }
            return;
        }
        Fetch f = c.byNo.get(m.fetchNo());
        if (f == null || f.done) return;
        if (m instanceof BlobMessage.Chunk ch) {
            byte[] actual = sha256(ch.data());
            if (!Arrays.equals(actual, ch.hash())) {
                if (sim.options().engineFault() == EngineFault.SKIP_CHUNK_VERIFICATION) {
                    // planted: the fetcher takes a chunk's bytes without checking them against their hash
                    sim.stats.plantedFaults++;
                    m = new BlobMessage.Chunk(ch.fetchNo(), ch.index(), actual, ch.data());
                } else {
                    stats.faultyChunks++;
                }
            }
        }
        act(f, f.proto.onMessage(c.remote.site, m, sim.now));
    }

    /** Whether a server of {@code p} on any connection to {@code site} is serving blob {@code id}. */
    private static boolean serving(PeerState p, long site, String id) {
        byte[] raw = HEX.parseHex(id);
        for (Conn c : p.conns.values()) if (c.remote.site == site && c.server.serving(raw)) return true;
        return false;
    }

    /** The peer's timer: fetch timeouts, and relays nobody waits for any more. */
    void tick(SimPeer peer) {
        PeerState p = peers[peer.index];
        for (Fetch f : new ArrayList<>(p.fetches.values())) {
            if (!f.done) act(f, f.proto.onTick(sim.now));
            stopIfUnused(f);
        }
    }

    // ---- the checks after quiesce

    /** Fetches still open although the network has been whole and quiet for longer than the fetch timeout. */
    void checkNoneHangs(String when) {
        for (PeerState p : peers) {
            for (Fetch f : p.fetches.values()) {
                if (f.done) continue;
                sim.problem("attachment " + brief(f.id) + " at " + p.peer + ": a " + (f.app ? "fetch" : "relay")
                        + " is still open " + when + " (" + f.proto.chunksHeld() + " of "
                        + BlobMessage.chunks(f.length) + " chunks, source " + f.proto.source() + ")");
            }
        }
    }

    /** Which peers held an intact copy of each blob when the final round started. */
    private final Map<String, Set<Integer>> intactAtFinalRound = new LinkedHashMap<>();

    /** Starts the final round: every peer fetches again every blob it asked for and does not hold. */
    void startFinalRound() {
        for (String id : truth.keySet()) {
            Set<Integer> holders = new LinkedHashSet<>();
            for (PeerState p : peers) if (Arrays.equals(p.held.get(id), truth.get(id))) holders.add(p.peer.index);
            intactAtFinalRound.put(id, holders);
        }
        for (PeerState p : peers) {
            for (String id : new ArrayList<>(p.wanted)) fetch(p, id, true);
        }
    }

    /** Whether every fetch ended: those of the final round, and the relays they started. */
    boolean finalRoundDone() {
        for (PeerState p : peers) for (Fetch f : p.fetches.values()) if (!f.done) return false;
        return true;
    }

    /**
     * After the final round: each fetch ended (else a hang), and a peer next to a peer that held an intact copy when
     * the round started completed it (the network is whole and fault-free by now). Next to means over a connection the
     * acceptor's connection-request hook allows (with the session policy, a pair whose hooks refuse each other shares
     * no session, and so no attachment).
     */
    void checkFinalRound() {
        checkNoneHangs("after the final round");
        for (String[] failure : finalFailures) {
            PeerState p = peers[Integer.parseInt(failure[0])];
            String id = failure[1];
            for (Link l : p.peer.links) {
                if (!sim.admitted(l)) continue; // a connection its acceptor's hook refuses carries nothing
                PeerState other = peers[l.peer(1 - l.sideOf(p.peer)).index];
                if (intactAtFinalRound.getOrDefault(id, Set.of()).contains(other.peer.index)) {
                    sim.problem("attachment " + brief(id) + " at " + p.peer + " failed in the final round although "
                            + other.peer + " next to it holds an intact copy: " + failure[2]);
                    break;
                }
            }
        }
    }

    // ---- helpers

    private byte[] content(String id) {
        return java.util.Objects.requireNonNull(truth.get(id), "a blob of the run");
    }

    static byte[] chunkOf(byte[] content, long index) {
        int from = (int) (index * BlobMessage.CHUNK_BYTES);
        return Arrays.copyOfRange(content, from, Math.min(content.length, from + BlobMessage.CHUNK_BYTES));
    }

    private static String brief(String id) {
        return id.substring(0, 12);
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
