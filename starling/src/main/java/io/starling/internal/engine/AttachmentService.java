package io.starling.internal.engine;

import io.starling.AttachmentFetchListener;
import io.starling.AttachmentFetcher;
import io.starling.AttachmentToken;
import io.starling.ErrorCode;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.internal.net.MessageChannel;
import io.starling.internal.storage.DocumentStorage;
import io.starling.internal.sync.BlobMessage;
import io.starling.internal.sync.Message;
import io.starling.internal.sync.Principal;
import io.starling.internal.sync.WireCodec;
import io.starling.internal.sync.blob.BlobFetch;
import io.starling.internal.sync.blob.BlobServer;
import io.starling.internal.sync.blob.BlobSource;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Design note — the attachment layer of an instance.
 *
 * Everything here runs on one thread, "starling-attachments": the protocol objects (BlobServer per connection,
 * BlobFetch per blob, both sans I/O) are driven by it, the partial files are appended by it, and listeners are called
 * by it. The sync thread only hands over: a session established or ended, an attachment message received. Sending
 * goes straight to the connection's channel (thread-safe), so chunks never wait behind the sync thread's work; chunks
 * go as bulk messages, which the transport holds back while document messages are being written (MessageChannel
 * sendBulk), and the fetcher's credit adapts so that little is in flight on a slow link: documents first.
 *
 * A peer may have two sessions at once for a while (both ends dialled; the duplicate rule closes one, either one), so
 * every established connection is kept, per peer, in the order established: each serves what is asked over it, and
 * fetches ask over the newest. A peer leaves the fetches only when its last connection ends; a fetch that asked over a
 * connection that ended while another to the peer stays open asks again over that one (what it had in flight on the
 * closed one is lost). Fetch numbers are unique across all connections, so an answer that arrives on one connection is
 * never taken for an answer on another.
 *
 * One fetch per blob: fetchAttachment calls for the same id share it, and a relay for a peer joins it too. At most
 * maxConcurrentFetches transfer at once; the others wait in order. A tick every 100 ms drives timeouts, the bandwidth
 * share and the garbage collector.
 */

/** Attachments of one instance: storing, fetching, serving, relaying and collecting blobs. Thread-safe. */
final class AttachmentService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AttachmentService.class);
    static final long TICK_MILLIS = 100;
    /**
     * The most chunks a fetch asks for ahead of what it received (its credit adapts between one chunk and this, from
     * how fast chunks come back: BlobFetch): 64 × 8 KiB.
     */
    static final int WINDOW = 64;

    private static final HexFormat HEX = HexFormat.of();
    /** The SHA-256 of no bytes. */
    static final String EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private final BlobStore blobs;
    private final DocumentStorage storage;
    private final StarlingConfig.Attachments config;
    private final LongSupplier clock;
    private final AttachmentAccess access;
    /** Started with the first use (a blob stored or fetched, a connection): an instance that never uses attachments,
     * such as a replica of the deterministic simulator, runs no thread for them. */
    private @Nullable ScheduledExecutorService thread;

    /** Every established connection that speaks attachments, per peer, oldest first. */
    private final Map<Long, List<Link>> links = new LinkedHashMap<>();
    /** The last fetch number given out, on any connection. */
    private long nextFetchNo;

    private final Map<String, Fetch> fetches = new LinkedHashMap<>();
    private final ArrayDeque<Fetch> waiting = new ArrayDeque<>();
    private final List<Handle> handles = new CopyOnWriteArrayList<>();
    /** When each blob was last seen referenced by a document (collector). */
    private final Map<String, Long> lastReferenced = new HashMap<>();

    private long lastCollection;
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicLong relaysStarted = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong chunkBytesSent = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong chunkBytesReceived =
            new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong chunksRejected = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong blobsCollected = new java.util.concurrent.atomic.AtomicLong();

    AttachmentService(
            BlobStore blobs,
            DocumentStorage storage,
            StarlingConfig.Attachments config,
            LongSupplier clock,
            AttachmentAccess access) {
        this.blobs = blobs;
        this.storage = storage;
        this.config = config;
        this.clock = clock;
        this.access = access;
        this.lastCollection = clock.getAsLong();
    }

    private synchronized ScheduledExecutorService thread() {
        ScheduledExecutorService t = thread;
        if (t != null) return t;
        ScheduledExecutorService started = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread th = new Thread(r, "starling-attachments");
            th.setDaemon(true);
            return th;
        });
        ScheduledFuture<?> unusedTicker =
                started.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        thread = started;
        return started;
    }

    // ---- the API

    AttachmentToken store(InputStream in, Map<String, String> metadata) {
        if (!closed) thread(); // the collector runs from now on
        return blobs.put(in, metadata, config.maxBytes());
    }

    AttachmentFetcher fetch(AttachmentToken token, AttachmentFetchListener listener) {
        Handle h = new Handle(token, listener);
        handles.add(h);
        run(() -> start(h));
        return h;
    }

    List<AttachmentFetcher> fetchers() {
        List<AttachmentFetcher> out = new ArrayList<>(handles);
        return List.copyOf(out);
    }

    // ---- the sync layer's hooks (any thread)

    /**
     * A session with {@code peer} is established on {@code channel}, and the peer speaks attachments. Another session
     * with the peer may still be open (a duplicate that one end closes soon): both serve, fetches ask over the newest.
     */
    void connected(long peer, MessageChannel channel, Principal principal) {
        run(() -> {
            List<Link> all = links.computeIfAbsent(peer, p -> new ArrayList<>());
            for (Link l : all) if (l.channel == channel) return;
            all.add(new Link(peer, channel, principal));
            long now = clock.getAsLong();
            for (Fetch f : new ArrayList<>(fetches.values())) {
                // a fetch that asked the peer already goes on over the connection it asked on (addPeer does nothing)
                if (f.started && !f.excluded.contains(peer)) f.act(f.proto().addPeer(peer, now));
            }
        });
    }

    /**
     * The session on {@code channel} ended. The peer leaves the fetches only when that was its last session; a fetch
     * that asked over this one asks again over the newest left.
     */
    void disconnected(long peer, MessageChannel channel) {
        run(() -> {
            List<Link> all = links.get(peer);
            if (all == null) return;
            Link gone = null;
            for (Link l : all) if (l.channel == channel) gone = l;
            if (gone == null) return;
            all.remove(gone);
            long now = clock.getAsLong();
            if (all.isEmpty()) {
                links.remove(peer);
                for (Fetch f : new ArrayList<>(fetches.values())) {
                    if (f.started) f.act(f.proto().removePeer(peer, now));
                    f.relayFor.remove(peer);
                }
                return;
            }
            for (Fetch f : new ArrayList<>(fetches.values())) {
                // a relay for the peer goes on while a connection left still serves what it relays
                if (!serving(peer, HEX.parseHex(f.id))) f.relayFor.remove(peer);
                if (!f.started || gone.fetchesByNo.get(f.proto().fetchNo(peer)) != f) continue;
                f.act(f.proto().removePeer(peer, now));
                if (f.started) f.act(f.proto().addPeer(peer, now));
            }
        });
    }

    /** The newest connection to {@code peer} still open, or null when there is none. */
    private @Nullable Link link(long peer) {
        List<Link> all = links.get(peer);
        return all == null || all.isEmpty() ? null : all.get(all.size() - 1);
    }

    /** Every connection open now, of every peer. */
    private List<Link> allLinks() {
        List<Link> out = new ArrayList<>();
        for (List<Link> all : links.values()) out.addAll(all);
        return out;
    }

    /** Whether a server on any connection to {@code peer} is serving blob {@code raw}. */
    private boolean serving(long peer, byte[] raw) {
        for (Link l : links.getOrDefault(peer, List.of())) if (l.server.serving(raw)) return true;
        return false;
    }

    /** An attachment message from {@code peer}, received on {@code channel}. */
    void received(long peer, MessageChannel channel, BlobMessage m) {
        run(() -> {
            Link l = null;
            for (Link x : links.getOrDefault(peer, List.of())) if (x.channel == channel) l = x;
            if (l == null) return;
            long now = clock.getAsLong();
            if (m instanceof BlobMessage.Want || m instanceof BlobMessage.Get || m instanceof BlobMessage.Done) {
                l.send(l.server.onMessage(m, now));
                if (m instanceof BlobMessage.Done) {
                    // a relay whose asker needs nothing more of it stops at the next tick, if nobody else waits
                    for (Fetch f : fetches.values()) {
                        if (f.relayFor.contains(peer) && !serving(peer, HEX.parseHex(f.id))) f.relayFor.remove(peer);
                    }
                }
            } else {
                if (m instanceof BlobMessage.Chunk c) chunkBytesReceived.addAndGet(c.data().length);
                Fetch f = l.fetchesByNo.get(m.fetchNo());
                if (f == null || !f.started) return;
                BlobFetch proto = f.proto();
                long held = proto.chunksHeld();
                boolean fromSource = Long.valueOf(peer).equals(proto.source());
                List<BlobFetch.Action> actions = proto.onMessage(peer, m, now);
                // the chunk the fetch waited for, from its source, and no step forward: it did not verify
                if (m instanceof BlobMessage.Chunk c && fromSource && c.index() == held && proto.chunksHeld() == held)
                    chunksRejected.incrementAndGet();
                f.act(actions);
            }
        });
    }

    // ---- fetching

    private void start(Handle h) {
        if (h.done) return;
        String id = h.token.id();
        if (blobs.hasOrAdopt(id)) { // on a node of a shared storage, another node may hold it
            h.complete();
            return;
        }
        if (h.token.len() == 0 && !id.equals(EMPTY)) { // only one content has no bytes
            h.failed(
                    ErrorCode.ATTACHMENT_UNAVAILABLE,
                    "attachment " + id + " is not held here (and its token says 0 bytes,"
                            + " which only the empty attachment " + EMPTY + " has)");
            return;
        }
        if (h.token.len() > config.maxBytes()) {
            h.failed(
                    ErrorCode.ATTACHMENT_TOO_LARGE,
                    "attachment " + id + " has " + h.token.len() + " bytes, more than this peer's limit of "
                            + config.maxBytes() + " bytes (StarlingConfig.Attachments.maxBytes)");
            return;
        }
        Fetch f = fetches.get(id);
        if (f == null) {
            f = new Fetch(id, h.token.len());
            fetches.put(id, f);
            enqueue(f);
        }
        f.handles.add(h);
        h.fetch = f;
    }

    private void enqueue(Fetch f) {
        long active = fetches.values().stream().filter(x -> x.started).count();
        if (active < config.maxConcurrentFetches()) begin(f);
        else waiting.add(f);
    }

    private void begin(Fetch f) {
        f.partial = blobs.openPartial(f.id, f.length);
        long now = clock.getAsLong();
        f.proto = new BlobFetch(
                HEX.parseHex(f.id),
                f.length,
                f.partial.chunks(),
                WINDOW,
                config.fetchTimeout().toMillis(),
                f.ttl,
                peer -> {
                    Link l = java.util.Objects.requireNonNull(link(peer), "fetches ask connected peers only");
                    long no = ++nextFetchNo;
                    l.fetchesByNo.put(no, f);
                    return no;
                },
                now);
        f.started = true;
        f.act(f.proto().start());
        if (!f.started) return;
        for (Long peer : new ArrayList<>(links.keySet())) {
            if (!f.excluded.contains(peer)) f.act(f.proto().addPeer(peer, now));
            if (!f.started) return;
        }
        f.progress();
    }

    private void end(Fetch f) {
        f.started = false;
        fetches.remove(f.id);
        waiting.remove(f);
        for (Link l : allLinks()) l.fetchesByNo.values().removeIf(x -> x == f);
        BlobStore.Partial p = f.partial;
        if (p != null) p.release();
        while (!waiting.isEmpty()
                && fetches.values().stream().filter(x -> x.started).count() < config.maxConcurrentFetches()) {
            Fetch next = waiting.poll();
            if (next != null) begin(next);
        }
    }

    /** A fetch of one blob, shared by every handle that wants it and the peers it relays for. */
    private final class Fetch {
        final String id;
        final long length;
        final List<Handle> handles = new ArrayList<>();
        final Set<Long> relayFor = new HashSet<>();
        final Set<Long> excluded = new HashSet<>();
        int ttl = BlobMessage.MAX_TTL - 1;

        @Nullable
        BlobFetch proto;

        BlobStore.@Nullable Partial partial;
        boolean started;

        Fetch(String id, long length) {
            this.id = id;
            this.length = length;
        }

        BlobFetch proto() {
            return java.util.Objects.requireNonNull(proto, "started");
        }

        void act(List<BlobFetch.Action> actions) {
            boolean wrote = false;
            for (BlobFetch.Action a : actions) {
                if (!started) return;
                if (a instanceof BlobFetch.Send s) {
                    Link l = link(s.peer());
                    if (l != null) l.send(s.message());
                } else if (a instanceof BlobFetch.Write w) {
                    try {
                        java.util.Objects.requireNonNull(partial).append(w.index(), w.hash(), w.data());
                    } catch (StarlingException e) {
                        fail(ErrorCode.STORE_IO, e.getMessage());
                        return;
                    }
                    wrote = true;
                } else if (a instanceof BlobFetch.Complete) {
                    if (wrote) progress();
                    complete();
                    return;
                } else if (a instanceof BlobFetch.Fail x) {
                    fail(ErrorCode.ATTACHMENT_UNAVAILABLE, x.reason());
                    return;
                }
            }
            if (wrote) {
                progress();
                available();
            }
        }

        void progress() {
            long done = Math.min(length, proto().chunksHeld() * BlobStore.CHUNK);
            for (Handle h : handles) h.progress(done);
        }

        void available() {
            byte[] raw = HEX.parseHex(id);
            long now = clock.getAsLong();
            for (Link l : allLinks()) l.send(l.server.onAvailable(raw, now));
        }

        void complete() {
            boolean ok;
            try {
                ok = java.util.Objects.requireNonNull(partial).finish();
            } catch (StarlingException e) {
                fail(ErrorCode.STORE_IO, e.getMessage());
                return;
            }
            if (!ok) {
                fail(
                        ErrorCode.ATTACHMENT_UNAVAILABLE,
                        "the content received does not match its SHA-256 id although every chunk matched the hash its"
                                + " peer sent: a peer holds wrong hashes");
                return;
            }
            end(this);
            for (Handle h : new ArrayList<>(handles)) h.complete();
            available();
        }

        void fail(ErrorCode code, @Nullable String reason) {
            String why = reason == null ? code.code() : reason;
            if (proto != null) for (BlobFetch.Action a : proto.stop()) if (a instanceof BlobFetch.Send s) sendTo(s);
            end(this);
            for (Handle h : new ArrayList<>(handles)) h.failed(code, why);
            byte[] raw = HEX.parseHex(id);
            for (Link l : allLinks()) l.send(l.server.onUnavailable(raw, why));
        }

        /** A handle left: stops the fetch when nobody waits for it any more. */
        void left(Handle h) {
            handles.remove(h);
            stopIfUnused();
        }

        void stopIfUnused() {
            if (!handles.isEmpty() || !relayFor.isEmpty()) return;
            if (started && proto != null)
                for (BlobFetch.Action a : proto.stop()) if (a instanceof BlobFetch.Send s) sendTo(s);
            end(this);
        }
    }

    private void sendTo(BlobFetch.Send s) {
        Link l = link(s.peer());
        if (l != null) l.send(s.message());
    }

    /** One connection to a peer that speaks attachments. */
    private final class Link implements BlobSource {
        final MessageChannel channel;
        /** Who the peer is: what it may read decides which blobs it gets. */
        final Principal principal;

        final BlobServer server;
        /** The fetches that asked over this connection, by the fetch numbers they asked with. */
        final Map<Long, Fetch> fetchesByNo = new HashMap<>();

        Link(long peer, MessageChannel channel, Principal principal) {
            this.channel = channel;
            this.principal = principal;
            this.server = new BlobServer(this, peer, config.bytesPerSecondPerPeer());
        }

        void send(List<BlobMessage> messages) {
            for (BlobMessage m : messages) send(m);
        }

        void send(BlobMessage m) {
            if (m instanceof BlobMessage.Chunk c) chunkBytesSent.addAndGet(c.data().length);
            byte[] bytes = WireCodec.encode(new Message.Blob(m));
            // chunks are bulk: document messages (and our small control messages) may overtake them
            if (m instanceof BlobMessage.Chunk) channel.sendBulk(bytes);
            else channel.send(bytes);
        }

        @Override
        public long chunksHeld(byte[] id, long length) {
            String hex = HEX.formatHex(id);
            long held = blobs.chunksHeld(hex, length);
            // on a node of a shared storage, a blob another node stored is copied here before the answer
            if (held < 0 && blobs.partial(hex) == null && blobs.hasOrAdopt(hex)) held = blobs.chunksHeld(hex, length);
            return held;
        }

        @Override
        public BlobSource.@Nullable HeldChunk read(byte[] id, long length, long index) {
            return blobs.read(HEX.formatHex(id), length, index);
        }

        @Override
        public @Nullable String refusal(long peer, byte[] id) {
            return access.refusal(principal, HEX.formatHex(id)); // peer is this link's own
        }

        @Override
        public boolean relay(byte[] id, long length, int ttl, long forPeer) {
            if (length > config.maxBytes()) return false; // a blob this peer would not store is not relayed either
            String hex = HEX.formatHex(id);
            boolean other = false;
            for (Long p : links.keySet()) if (p.longValue() != forPeer) other = true;
            if (!other) return false;
            Fetch f = fetches.get(hex);
            if (f == null) {
                f = new Fetch(hex, length);
                f.ttl = ttl;
                f.excluded.add(forPeer);
                f.relayFor.add(forPeer);
                fetches.put(hex, f);
                relaysStarted.incrementAndGet();
                log.debug("fetching attachment {} on behalf of peer {}", hex, Long.toUnsignedString(forPeer, 16));
                enqueue(f);
            } else {
                f.relayFor.add(forPeer);
            }
            return true;
        }
    }

    // ---- the handle the application holds

    private final class Handle implements AttachmentFetcher {
        final AttachmentToken token;
        final AttachmentFetchListener listener;

        @Nullable
        Fetch fetch;

        volatile boolean done;
        volatile long bytesDone;

        Handle(AttachmentToken token, AttachmentFetchListener listener) {
            this.token = token;
            this.listener = listener;
        }

        @Override
        public AttachmentToken token() {
            return token;
        }

        @Override
        public long bytesDone() {
            return bytesDone;
        }

        @Override
        public boolean isDone() {
            return done;
        }

        @Override
        public void cancel() {
            if (done) return;
            run(() -> {
                if (done) return;
                Fetch f = fetch;
                failed(ErrorCode.ATTACHMENT_CANCELLED, "the fetch of attachment " + token.id() + " was cancelled");
                if (f != null) f.left(this);
            });
            if (closed) done = true;
        }

        @Override
        public void close() {
            cancel();
        }

        void progress(long done) {
            bytesDone = done;
            try {
                listener.progress(done, token.len());
            } catch (RuntimeException e) {
                log.warn("an attachment fetch listener threw", e);
            }
        }

        void complete() {
            if (done) return;
            done = true;
            handles.remove(this);
            bytesDone = token.len();
            java.nio.file.Path file = blobs.file(token.id());
            try {
                if (file == null) {
                    listener.failed(ErrorCode.STORE_IO, "attachment " + token.id() + " vanished before it was read");
                } else {
                    long size = java.nio.file.Files.size(file);
                    // a token that misstates the length still names the content; the attachment tells the truth
                    AttachmentToken actual =
                            size == token.len() ? token : new AttachmentToken(token.id(), size, token.metadata());
                    listener.completed(new FileAttachment(actual, file));
                }
            } catch (java.io.IOException e) {
                listener.failed(ErrorCode.STORE_IO, "cannot read attachment " + token.id() + ": " + e.getMessage());
            } catch (RuntimeException e) {
                log.warn("an attachment fetch listener threw", e);
            }
        }

        void failed(ErrorCode code, String reason) {
            if (done) return;
            done = true;
            handles.remove(this);
            try {
                listener.failed(code, reason);
            } catch (RuntimeException e) {
                log.warn("an attachment fetch listener threw", e);
            }
        }

        @Override
        public String toString() {
            return "AttachmentFetcher[" + token.id() + ", " + bytesDone + " of " + token.len() + " bytes]";
        }
    }

    // ---- ticks and the collector

    private void tick() {
        try {
            long now = clock.getAsLong();
            for (Fetch f : new ArrayList<>(fetches.values())) {
                if (f.started) f.act(f.proto().onTick(now));
                if (f.started) f.stopIfUnused(); // a relay whose asker went away
            }
            for (Link l : allLinks()) if (l.server.throttled()) l.send(l.server.pump(now));
            long every = Math.max(1000, Math.min(config.gracePeriod().toMillis() / 2, 600_000));
            if (now - lastCollection >= every) {
                lastCollection = now;
                collect(now);
            }
        } catch (RuntimeException e) {
            log.error("attachment tick failed", e);
        }
    }

    /**
     * Deletes the blobs no live document references that have been unreferenced for the grace period and that no
     * fetch (here or a peer's from here) is using. Returns the ids deleted. On the attachment thread.
     */
    private List<String> collect(long now) {
        Set<String> referenced = new HashSet<>();
        storage.read(tx -> {
            for (String c : tx.collections()) {
                tx.scan(c, true, row -> {
                    AttachmentTokens.collectIds(row.state(), referenced);
                    return true;
                });
            }
            return referenced.size();
        });
        List<String> deleted = new ArrayList<>();
        long grace = config.gracePeriod().toMillis();
        for (String id : blobs.ids()) {
            if (referenced.contains(id)) {
                lastReferenced.put(id, now);
                continue;
            }
            if (fetches.containsKey(id) || servedNow(id)) continue;
            long since = Math.max(blobs.storedAt(id), lastReferenced.getOrDefault(id, 0L));
            if (now - since < grace) continue;
            blobs.delete(id);
            blobsCollected.incrementAndGet();
            lastReferenced.remove(id);
            deleted.add(id);
        }
        if (!deleted.isEmpty()) log.info("collected {} unreferenced attachment(s)", deleted.size());
        return deleted;
    }

    private boolean servedNow(String id) {
        byte[] raw = HEX.parseHex(id);
        for (Link l : allLinks()) if (l.server.serving(raw)) return true;
        return false;
    }

    /** Runs the collector now and returns the ids it deleted (tests, the CLI). */
    List<String> collectGarbage() {
        CompletableFuture<List<String>> f = new CompletableFuture<>();
        run(() -> f.complete(collect(clock.getAsLong())));
        try {
            return f.get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StarlingException(ErrorCode.INTERNAL, "interrupted while collecting attachments", e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new StarlingException(ErrorCode.INTERNAL, "the attachment collector failed: " + e, e);
        }
    }

    /** Chunk bytes this instance's servers sent to peers, over the connections open now (tests). */
    long bytesServed() {
        CompletableFuture<Long> f = new CompletableFuture<>();
        run(() -> f.complete(
                allLinks().stream().mapToLong(l -> l.server.bytesSent()).sum()));
        try {
            return f.get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StarlingException(ErrorCode.INTERNAL, "interrupted", e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new StarlingException(ErrorCode.INTERNAL, "cannot read the attachment counters: " + e, e);
        }
    }

    /** What the attachment layer did since the instance opened. */
    AttachmentCounters counters() {
        return new AttachmentCounters(
                chunkBytesSent.get(),
                chunkBytesReceived.get(),
                chunksRejected.get(),
                relaysStarted.get(),
                blobsCollected.get());
    }

    /** Why {@code remote} may not have blob {@code id}, or null when it may (the HTTP API asks for API keys). */
    @Nullable
    String refusal(Principal remote, String id) {
        return access.refusal(remote, id);
    }

    /** Relay fetches started on peers' behalf since open (tests). */
    long relaysStarted() {
        return relaysStarted.get();
    }

    private void run(Runnable task) {
        if (closed) return;
        try {
            thread().execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    log.error("attachment task failed", e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // closing
        }
    }

    @Override
    public void close() {
        if (closed) return;
        ScheduledExecutorService thread;
        synchronized (this) {
            thread = this.thread;
            closed = true;
        }
        if (thread == null) return;
        try {
            thread.execute(() -> {
                for (Fetch f : new ArrayList<>(fetches.values())) {
                    f.fail(ErrorCode.CLOSED, "the instance is closing");
                }
                for (Handle h : new ArrayList<>(handles)) h.failed(ErrorCode.CLOSED, "the instance is closing");
            });
        } catch (java.util.concurrent.RejectedExecutionException alreadyClosed) {
            // closed
        }
        closed = true;
        thread.shutdown();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) thread.shutdownNow();
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        } finally {
            blobs.closeReaders();
        }
    }
}
