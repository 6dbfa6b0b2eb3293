package io.starling.internal.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.sync.Message.Ack;
import io.starling.internal.sync.Message.Batch;
import io.starling.internal.sync.Message.DocEntry;
import io.starling.internal.sync.Message.Docs;
import io.starling.internal.sync.Message.Entry;
import io.starling.internal.sync.Message.HintEntry;
import io.starling.internal.sync.Message.PartEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A test network: sessions of fake stores wired back to back, a message pump that may drop, duplicate and
 * reorder messages, and a virtual clock. Every message goes through {@link WireCodec} and the framing, and is
 * checked against the frame limit on the way. After a session handled a message that changed its store, the
 * store's other sessions are told ({@code onLocalChange}), as the engine does after every commit.
 */
final class Net {
    final Random random;
    double drop, duplicate, reorder;
    long now = 1_000_000;
    final List<Conn> conns = new ArrayList<>();
    /** Debugging: when set, every delivered message is described here. */
    static List<String> trace;

    Net(long seed) {
        random = new Random(seed);
    }

    /** Faults applied to connections made with {@code faulty = true}. */
    Net faults(double drop, double duplicate, double reorder) {
        this.drop = drop;
        this.duplicate = duplicate;
        this.reorder = reorder;
        return this;
    }

    static class Recorder implements SessionListener {
        final List<String> events = new ArrayList<>();
        long established;
        long acked;
        String closedReason;
        String closedMessage;
        boolean closedByRemote;
        List<Subscription> remoteSubs = List.of();
        final List<String> warnings = new ArrayList<>();
        final List<SyncStoreView.Refusal> refused = new ArrayList<>();
        final List<SyncStoreView.DocRef> denied = new ArrayList<>();
        final List<Long> approvalsRequested = new ArrayList<>();

        @Override
        public void denied(List<SyncStoreView.DocRef> docs) {
            denied.addAll(docs);
        }

        @Override
        public void approvalRequested(long remotePeerId) {
            approvalsRequested.add(remotePeerId);
        }

        @Override
        public void refused(List<SyncStoreView.Refusal> docs) {
            refused.addAll(docs);
        }

        @Override
        public void established(long remotePeerId) {
            established = remotePeerId;
            events.add("established " + remotePeerId);
        }

        @Override
        public void acknowledged(long ackedSequence) {
            assertThat(ackedSequence).as("acknowledged sequences only grow").isGreaterThan(acked);
            acked = ackedSequence;
        }

        @Override
        public void remoteSubscriptionsChanged(List<Subscription> subscriptions) {
            remoteSubs = subscriptions;
        }

        @Override
        public void warning(String message) {
            warnings.add(message);
        }

        @Override
        public void closed(String reason, String message, boolean byRemote) {
            assertThat(closedReason).as("closed is called once").isNull();
            closedReason = reason;
            closedMessage = message;
            closedByRemote = byRemote;
            events.add("closed " + reason + (byRemote ? " by remote" : "") + ": " + message);
        }
    }

    /** One direction of a connection: from a session to its peer. */
    static final class Pipe {
        final List<Message> queue = new ArrayList<>();
        final FrameDecoder frames;
        final List<Message> sent = new ArrayList<>();
        long bytes;
        int docs, hints, parts, batches;
        long lastBatchSent, lastAckReceived;
        int maxInFlight;

        Pipe(int maxFrame) {
            frames = new FrameDecoder(maxFrame);
        }

        int entries() {
            return docs + hints + parts;
        }
    }

    final class Conn {
        final FakeStore a, b;
        final SyncSession sa, sb;
        final Recorder ra = new Recorder(), rb = new Recorder();
        final Pipe fromA, fromB;
        final boolean faulty;
        final int frameLimit;
        boolean dead;

        Conn(FakeStore a, FakeStore b, SessionConfig ca, SessionConfig cb, boolean faulty) {
            this(a, b, ca, cb, faulty, RemoteIdentity.NONE, RemoteIdentity.NONE);
        }

        /** {@code bSeenByA}: who b is to a's session; {@code aSeenByB} the other way. */
        Conn(
                FakeStore a,
                FakeStore b,
                SessionConfig ca,
                SessionConfig cb,
                boolean faulty,
                RemoteIdentity bSeenByA,
                RemoteIdentity aSeenByB) {
            this.a = a;
            this.b = b;
            this.faulty = faulty;
            this.sa = new SyncSession(a, ca, ra, bSeenByA);
            this.sb = new SyncSession(b, cb, rb, aSeenByB);
            this.frameLimit = Math.min(ca.maxFrameBytes(), cb.maxFrameBytes());
            this.fromA = new Pipe(cb.maxFrameBytes());
            this.fromB = new Pipe(ca.maxFrameBytes());
        }

        SyncSession session(FakeStore s) {
            return s == a ? sa : sb;
        }

        Recorder recorder(FakeStore s) {
            return s == a ? ra : rb;
        }

        Pipe from(FakeStore s) {
            return s == a ? fromA : fromB;
        }

        boolean pending() {
            return !dead && (!fromA.queue.isEmpty() || !fromB.queue.isEmpty());
        }

        boolean open() {
            return !dead && !sa.isClosed() && !sb.isClosed();
        }

        /** Sends what a session returned: checked against the frame limit, then queued (or dropped, duplicated). */
        void send(boolean byA, List<Message> messages) {
            Pipe p = byA ? fromA : fromB;
            SyncSession session = byA ? sa : sb;
            for (Message m : messages) {
                byte[] plain = WireCodec.encode(m), bytes = session.encode(m);
                assertThat(plain.length)
                        .as("%s fits a frame", m.getClass().getSimpleName())
                        .isLessThanOrEqualTo(frameLimit);
                assertThat(bytes.length).as("compressed only when smaller").isLessThanOrEqualTo(plain.length);
                if (m instanceof Batch batch)
                    assertThat(WireCodec.batchSize(batch)).isEqualTo(plain.length);
                p.sent.add(m);
                p.bytes += bytes.length + WireCodec.varLen(bytes.length);
                count(p, m);
                if (faulty && random.nextDouble() < drop) continue;
                p.queue.add(m);
                if (faulty && random.nextDouble() < duplicate) p.queue.add(m);
            }
        }

        private void count(Pipe p, Message m) {
            List<Entry> entries = m instanceof Batch b ? b.entries() : m instanceof Docs d ? d.entries() : List.of();
            for (Entry e : entries) {
                if (e instanceof DocEntry) p.docs++;
                else if (e instanceof HintEntry) p.hints++;
                else if (e instanceof PartEntry) p.parts++;
            }
            if (m instanceof Batch b) {
                p.batches++;
                p.lastBatchSent = b.batchNo();
                p.maxInFlight = (int) Math.max(p.maxInFlight, p.lastBatchSent - p.lastAckReceived);
            }
        }

        /** Delivers one queued message; false when nothing is queued. */
        boolean deliverOne() {
            boolean toB;
            if (fromA.queue.isEmpty() && fromB.queue.isEmpty()) return false;
            if (fromA.queue.isEmpty()) toB = false;
            else if (fromB.queue.isEmpty()) toB = true;
            else toB = random.nextBoolean();
            Pipe p = toB ? fromA : fromB;
            int i = faulty && p.queue.size() > 1 && random.nextDouble() < reorder
                    ? random.nextInt(Math.min(4, p.queue.size()))
                    : 0;
            Message m = p.queue.remove(i);
            deliver(toB, m);
            return true;
        }

        void deliver(boolean toB, Message m) {
            SyncSession target = toB ? sb : sa;
            FakeStore store = toB ? b : a;
            Pipe p = toB ? fromA : fromB;
            if (target.isClosed()) return;
            if (m instanceof Ack ack)
                (toB ? fromB : fromA).lastAckReceived = Math.max((toB ? fromB : fromA).lastAckReceived, ack.batchNo());
            List<byte[]> frames =
                    p.frames.feed(FrameEncoder.frame((toB ? sa : sb).encode(m))); // compressed as on the wire
            assertThat(frames).hasSize(1);
            long before = store.version();
            if (trace != null)
                trace.add("t" + now + " " + (toB ? a.peerId + "->" + b.peerId : b.peerId + "->" + a.peerId) + " " + m);
            List<Message> out = target.onFrame(frames.get(0));
            send(!toB, out);
            changed(store, before, target);
            reap();
        }

        /** Closes the connection from the harness side (the transport went away). */
        void disconnect() {
            if (dead) return;
            dead = true;
            sa.close("disconnected");
            sb.close("disconnected");
            fromA.queue.clear();
            fromB.queue.clear();
        }

        /** A side closed and nothing more is on its way to the other: the transport closes, so does the other side. */
        void reap() {
            if (dead) return;
            if (sa.isClosed() && fromA.queue.isEmpty() || sb.isClosed() && fromB.queue.isEmpty()) disconnect();
        }
    }

    Conn connect(FakeStore a, FakeStore b) {
        return connect(a, b, SessionConfig.defaults(), SessionConfig.defaults(), false);
    }

    Conn connect(FakeStore a, FakeStore b, SessionConfig config, boolean faulty) {
        return connect(a, b, config, config, faulty);
    }

    Conn connect(FakeStore a, FakeStore b, SessionConfig ca, SessionConfig cb, boolean faulty) {
        return start(new Conn(a, b, ca, cb, faulty));
    }

    /** A connection whose sessions hold each remote to a principal: {@code b} as a sees it, {@code a} as b sees it. */
    Conn connect(FakeStore a, FakeStore b, Principal bSeenByA, Principal aSeenByB) {
        return start(new Conn(
                a,
                b,
                SessionConfig.defaults(),
                SessionConfig.defaults(),
                false,
                new RemoteIdentity(0, bSeenByA),
                new RemoteIdentity(0, aSeenByB)));
    }

    /** A connection between two stores whose sessions hold each other to the given identities. */
    Conn connect(FakeStore a, FakeStore b, RemoteIdentity bSeenByA, RemoteIdentity aSeenByB) {
        return start(new Conn(a, b, SessionConfig.defaults(), SessionConfig.defaults(), false, bSeenByA, aSeenByB));
    }

    private Conn start(Conn c) {
        conns.add(c);
        c.sa.setSubscriptions(c.a.subscriptions);
        c.sb.setSubscriptions(c.b.subscriptions);
        c.send(true, c.sa.start());
        c.send(false, c.sb.start());
        c.send(true, c.sa.onTick(now));
        c.send(false, c.sb.onTick(now));
        return c;
    }

    List<Conn> open() {
        List<Conn> l = new ArrayList<>();
        for (Conn c : conns) {
            if (!c.dead) l.add(c);
        }
        return l;
    }

    /** The store changed outside a session (or inside one): its other sessions hear about it. */
    void changed(FakeStore store, long before, SyncSession except) {
        if (store.version() == before) return;
        for (Conn c : open()) {
            for (FakeStore s : new FakeStore[] {c.a, c.b}) {
                if (s != store) continue;
                SyncSession session = c.session(s);
                if (session == except || session.isClosed()) continue;
                long v = store.version();
                c.send(s == c.a, session.onLocalChange());
                changed(store, v, session);
            }
        }
    }

    /** A local write happened in {@code store}. */
    void localChange(FakeStore store) {
        changed(store, Long.MIN_VALUE, null);
    }

    void setSubscriptions(FakeStore store, List<Subscription> subs) {
        store.subscriptions = List.copyOf(subs);
        for (Conn c : open()) {
            if (c.a == store && !c.sa.isClosed()) c.send(true, c.sa.setSubscriptions(subs));
            if (c.b == store && !c.sb.isClosed()) c.send(false, c.sb.setSubscriptions(subs));
        }
    }

    void tick(long millis) {
        now += millis;
        for (Conn c : open()) {
            long va = c.a.version(), vb = c.b.version();
            c.send(true, c.sa.onTick(now));
            c.send(false, c.sb.onTick(now));
            changed(c.a, va, c.sa);
            changed(c.b, vb, c.sb);
            c.reap();
        }
    }

    /** Delivers one message somewhere; false when nothing is queued anywhere. */
    boolean step() {
        List<Conn> busy = new ArrayList<>();
        for (Conn c : conns) {
            if (c.pending()) busy.add(c);
        }
        if (busy.isEmpty()) return false;
        return busy.get(random.nextInt(busy.size())).deliverOne();
    }

    /** Delivers until nothing is queued; returns the number of messages delivered. */
    int runUntilQuiet() {
        int n = 0;
        while (step()) {
            if (++n > 2_000_000) throw new AssertionError("no quiescence after 2,000,000 messages");
        }
        for (Conn c : conns) c.reap();
        return n;
    }
}
