package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.StarlingConfig;
import io.starling.internal.net.ConnectionInfo;
import io.starling.internal.net.MessageChannel;
import io.starling.internal.storage.InMemoryStorage;
import io.starling.internal.sync.Message;
import io.starling.internal.sync.Principal;
import io.starling.internal.sync.RemoteIdentity;
import io.starling.internal.sync.SessionConfig;
import io.starling.internal.sync.SessionListener;
import io.starling.internal.sync.SyncSession;
import io.starling.testsupport.Await;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Presence on resumed sessions (docs/SYNC-PROTOCOL.md, "Presence on resumed sessions"; docs/PRESENCE.md): peers that
 * met before send their first view of a session as a PRESENCE-RESUME marker, and what the remote holds afterwards is
 * exactly what the whole view would have given it (records compared field by field, sequences included, against the
 * origin's own record and against an old peer that got the view whole); a remote that restarted asks for the view
 * whole; old peers get whole views; lying, stale, duplicate and malformed markers change nothing and cost at most a
 * WANTED.
 */
class PresenceResumeTest {
    private static final int PRESENCE = 9, PRESENCE_RESUME = 16;
    private static final SessionConfig OLD =
            SessionConfig.builder().presenceResume(false).build();

    /**
     * The wall clock plus an offset the test moves forward between sessions, so that each session's neighbour update
     * is applied at once (updates are spaced by 5 ms per session; SyncService.neighboursChanged) and the first view of
     * a session is the one listing the remote, whatever the machine's load.
     */
    static final class SteppedClock extends Clock {
        final AtomicLong offset = new AtomicLong();

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public long millis() {
            return System.currentTimeMillis() + offset.get();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }
    }

    final SteppedClock clock = new SteppedClock();
    final List<DefaultStarling> peers = new ArrayList<>();
    final List<InMemoryTransport.Link> links = new ArrayList<>();

    @AfterEach
    void closeAll() {
        links.forEach(InMemoryTransport.Link::close);
        peers.forEach(DefaultStarling::close);
    }

    DefaultStarling peer(long siteId, SessionConfig config) {
        DefaultStarling p = DefaultStarling.open(
                StarlingConfig.builder().appId("presence").siteId(siteId).build(),
                Path.of("memory"),
                new InMemoryStorage(),
                clock);
        p.useSessionConfig(config);
        peers.add(p);
        return p;
    }

    DefaultStarling peer(long siteId) {
        return peer(siteId, SessionConfig.defaults());
    }

    static long id(DefaultStarling p) {
        return p.config().siteId().getAsLong();
    }

    static PresenceService presence(DefaultStarling p) {
        return (PresenceService) p.presence();
    }

    static boolean shows(DefaultStarling at, DefaultStarling who) {
        return at.presence().graph().remotePeers().stream().anyMatch(p -> p.peerId() == id(who));
    }

    static boolean lists(DefaultStarling p, DefaultStarling neighbour) {
        return presence(p).ownRecord().links().containsKey(id(neighbour));
    }

    static void await(String what, BooleanSupplier condition) {
        Await.until(what, Duration.ofSeconds(60), condition);
    }

    InMemoryTransport.Link meet(DefaultStarling a, DefaultStarling b) {
        InMemoryTransport.Link l =
                InMemoryTransport.connect(a, b, ConnectionInfo.memory(true), ConnectionInfo.memory(false));
        links.add(l);
        await("each shows the other", () -> shows(a, b) && shows(b, a));
        return l;
    }

    /** Ends the session, waits until both records stopped listing the other, and moves the clock past the spacing. */
    void part(InMemoryTransport.Link l, DefaultStarling a, DefaultStarling b) {
        l.close();
        await("neither lists the other", () -> !lists(a, b) && !lists(b, a) && !shows(a, b) && !shows(b, a));
        clock.offset.addAndGet(1_000);
    }

    /** {@code at} holds {@code origin}'s record exactly as {@code origin} stamps it now, sequence included. */
    static void holdsTheRecordOf(DefaultStarling at, DefaultStarling origin) {
        PresenceService.Record own = presence(origin).ownRecord();
        // the sequence only grows at the origin and at a holder: wait until the holder caught up, then compare all
        await("the record of " + id(origin) + " reached " + id(at), () -> {
            PresenceService.Record held = presence(at).records().get(id(origin));
            return held != null && held.sequence() >= own.sequence();
        });
        assertThat(presence(at).records().get(id(origin)))
                .as("%x's record at %x", id(origin), id(at))
                .isEqualTo(own);
    }

    @Test
    void aResumedSessionSendsOneMarkerEachWayAndEachHoldsWhatTheWholeViewGives() {
        DefaultStarling a = peer(0xa1), b = peer(0xb1);
        a.presence().setMetadata(Map.of("name", "a", "battery", 71));
        b.presence().setMetadata(Map.of("name", "b", "tags", List.of("x", "y")));
        InMemoryTransport.Link first = meet(a, b);
        holdsTheRecordOf(b, a);
        holdsTheRecordOf(a, b);
        assertThat(first.messagesAToB(PRESENCE_RESUME))
                .as("no marker at a first meeting")
                .isZero();
        part(first, a, b);

        for (int meeting = 2; meeting <= 3; meeting++) {
            long sentBefore = presence(a).markersSent.get(),
                    expandedBefore = presence(b).markersExpanded.get();
            long messagesBefore = a.sync().metrics().messagesSent();
            InMemoryTransport.Link again = meet(a, b);
            holdsTheRecordOf(b, a);
            holdsTheRecordOf(a, b);
            // the message counters leave presence out, markers included
            await(
                    "a's message counter agrees with the link",
                    () -> a.sync().metrics().messagesSent() - messagesBefore
                            == again.messagesAToB()
                                    - again.messagesAToB(PRESENCE)
                                    - again.messagesAToB(PRESENCE_RESUME));
            assertThat(again.messagesAToB(PRESENCE_RESUME))
                    .as("meeting %d: markers a sent", meeting)
                    .isEqualTo(1);
            assertThat(again.messagesBToA(PRESENCE_RESUME))
                    .as("meeting %d: markers b sent", meeting)
                    .isEqualTo(1);
            assertThat(again.messagesAToB(PRESENCE))
                    .as("meeting %d: whole views a sent", meeting)
                    .isZero();
            assertThat(again.messagesBToA(PRESENCE))
                    .as("meeting %d: whole views b sent", meeting)
                    .isZero();
            assertThat(again.bytesAToB(PRESENCE_RESUME)).as("a marker's bytes").isLessThanOrEqualTo(18);
            assertThat(presence(a).markersSent.get() - sentBefore).isEqualTo(1);
            assertThat(presence(b).markersExpanded.get() - expandedBefore).isEqualTo(1);
            assertThat(presence(b).markersMissed.get()).isZero();
            assertThat(b.presence().graph().remotePeers())
                    .singleElement()
                    .satisfies(p -> assertThat(p.metadata()).isEqualTo(Map.of("name", "a", "battery", 71L)));
            part(again, a, b);
        }

        // metadata changed while apart: not the same view restamped, so it goes whole
        a.presence().setMetadata(Map.of("name", "a2"));
        InMemoryTransport.Link changed = meet(a, b);
        holdsTheRecordOf(b, a);
        assertThat(changed.messagesAToB(PRESENCE_RESUME)).isZero();
        assertThat(changed.messagesAToB(PRESENCE)).isEqualTo(1);
        assertThat(changed.messagesBToA(PRESENCE_RESUME))
                .as("b's view did not change")
                .isEqualTo(1);
    }

    @Test
    void relayedRecordsComeThroughAMarkerAsTheyDoThroughAWholeView() {
        // x - a - b and a - d; d predates markers, so it is sent every view whole: b must hold what d holds
        DefaultStarling a = peer(0xa2), b = peer(0xb2), x = peer(0xc2), d = peer(0xd2, OLD);
        x.presence().setMetadata(Map.of("name", "x, two hops from b"));
        a.presence().setMetadata(Map.of("name", "a"));
        meet(x, a);
        meet(a, d);
        InMemoryTransport.Link first = meet(a, b);
        await("b shows x and d", () -> shows(b, x) && shows(b, d));
        part(first, a, b);

        InMemoryTransport.Link again = meet(a, b);
        await("b shows x and d again", () -> shows(b, x) && shows(b, d));
        assertThat(again.messagesAToB(PRESENCE_RESUME))
                .as("a's first view to b: a marker")
                .isEqualTo(1);
        assertThat(again.messagesAToB(PRESENCE)).as("and no view whole").isZero();
        for (DefaultStarling origin : List.of(a, x)) {
            holdsTheRecordOf(b, origin);
            holdsTheRecordOf(d, origin);
            assertThat(presence(b).records().get(id(origin)))
                    .isEqualTo(presence(d).records().get(id(origin)));
        }
        assertThat(b.presence().graph().remotePeers())
                .extracting(p -> p.peerId() + "@" + p.hops() + " " + p.metadata())
                .containsExactly(id(a) + "@1 {name=a}", id(x) + "@2 {name=x, two hops from b}", id(d) + "@2 {}");
        assertThat(b.presence().graph().connections()).hasSize(3);
    }

    @Test
    void aRemoteThatRestartedAsksForTheWholeView() {
        DefaultStarling a = peer(0xa3), b = peer(0xb3);
        a.presence().setMetadata(Map.of("name", "a"));
        part(meet(a, b), a, b);

        // b restarts: same peer id, nothing remembered
        b.close();
        DefaultStarling b2 = peer(0xb3);
        InMemoryTransport.Link again = meet(a, b2);
        holdsTheRecordOf(b2, a);
        holdsTheRecordOf(a, b2);
        assertThat(again.messagesAToB(PRESENCE_RESUME)).as("a's marker").isEqualTo(1);
        assertThat(again.messagesBToA(PRESENCE_RESUME)).as("b's WANTED").isEqualTo(1);
        assertThat(again.messagesAToB(PRESENCE)).as("then a's view whole").isEqualTo(1);
        assertThat(again.messagesBToA(PRESENCE))
                .as("b remembers nothing it sent")
                .isEqualTo(1);
        assertThat(presence(b2).markersMissed.get()).isEqualTo(1);
        part(again, a, b2);

        // a restarts: it sends whole, and answers b's marker with WANTED
        a.close();
        DefaultStarling a2 = peer(0xa3);
        a2.presence().setMetadata(Map.of("name", "a"));
        InMemoryTransport.Link third = meet(a2, b2);
        holdsTheRecordOf(b2, a2);
        holdsTheRecordOf(a2, b2);
        assertThat(third.messagesAToB(PRESENCE_RESUME)).as("a2's WANTED").isEqualTo(1);
        assertThat(third.messagesBToA(PRESENCE_RESUME)).as("b's marker").isEqualTo(1);
        assertThat(third.messagesBToA(PRESENCE)).as("then b's view whole").isEqualTo(1);
        assertThat(presence(a2).markersMissed.get()).isEqualTo(1);
    }

    @Test
    void anOldPeerIsSentWholeViewsAndSendsThem() {
        DefaultStarling a = peer(0xa4), b = peer(0xb4, OLD);
        part(meet(a, b), a, b);
        InMemoryTransport.Link again = meet(a, b);
        holdsTheRecordOf(b, a);
        holdsTheRecordOf(a, b);
        assertThat(again.messagesAToB(PRESENCE_RESUME)).isZero();
        assertThat(again.messagesBToA(PRESENCE_RESUME)).isZero();
        assertThat(again.messagesAToB(PRESENCE)).isEqualTo(1);
        assertThat(again.messagesBToA(PRESENCE)).isEqualTo(1);
    }

    @Test
    void restampChangesTheOwnRecordsSequenceAndNothingElse() throws Exception {
        long seed = System.nanoTime();
        java.util.Random r = new java.util.Random(seed);
        for (int i = 0; i < 200; i++) {
            long self = r.nextLong(), sequence = r.nextLong() >>> (1 + r.nextInt(63));
            PresenceService p = new PresenceService(self, () -> 1_795_678_123_456L);
            p.setMetadata(Map.of("k", "v".repeat(r.nextInt(50)), "n", r.nextInt()));
            byte[] view = java.util.Objects.requireNonNull(p.payloadFor(r.nextLong()));
            byte[] restamped = PresenceService.restamp(view, self, sequence);
            assertThat(restamped).as("seed %d", seed).isNotNull();
            assertThat(PresenceService.ownSequence(restamped, self)).isEqualTo(sequence);
            PresenceService.Record own = PresenceService.decode(view).get(0);
            assertThat(PresenceService.decode(restamped))
                    .containsExactly(new PresenceService.Record(self, sequence, own.metadata(), own.links()));
            assertThat(PresenceService.restamp(restamped, self, own.sequence())).isEqualTo(view);
            assertThat(PresenceService.restamp(view, self ^ 1, sequence))
                    .as("another origin")
                    .isNull();
        }
        long self = 0x0123456789abcdefL;
        String head = "{\"v\":1,\"records\":[{\"origin\":\"0123456789abcdef\",\"seq\":";
        for (String bad : List.of(
                head + "\"5\",\"meta\":{}}]}", // a string
                head + "-5,\"meta\":{}}]}", // negative
                head + "5}]}", // no comma after
                head + "12345678901234567890,\"meta\":{}}]}", // 20 digits
                head + "9223372036854775808,\"meta\":{}}]}", // 2^63: 19 digits, but not a long
                head.replace("0123456789abcdef", "0123456789ABCDEF") + "5,\"meta\":{}}]}", // not as we write it
                " " + head + "5,\"meta\":{}}]}",
                head)) {
            byte[] b = view(bad);
            assertThat(PresenceService.ownSequence(b, self)).as(bad).isEqualTo(-1);
        }
        assertThat(PresenceService.restamp(view(head + "5,\"meta\":{}}]}"), self, -1))
                .isNull();
        assertThat(PresenceService.restamp(view(head + "9223372036854775808,\"meta\":{}}]}"), self, 1))
                .as("the digits are replaced whatever they say")
                .isNotNull();
    }

    // ---- a remote driven by hand: what a peer may send, honest or not

    /** A session of another store, driven by the test, connected to {@code a}. */
    final class Hand implements MessageChannel {
        final SyncSession session;
        final List<byte[]> views = new CopyOnWriteArrayList<>();
        final List<Message> received = new CopyOnWriteArrayList<>();
        final LinkedBlockingQueue<byte[]> fromA = new LinkedBlockingQueue<>();
        final MessageChannel.Receiver intoA;

        Hand(DefaultStarling a, DefaultStarling own) {
            session = new SyncSession(
                    own.syncStore(),
                    SessionConfig.defaults(),
                    new SessionListener() {
                        @Override
                        public void presence(byte[] payload) {
                            views.add(payload);
                        }
                    },
                    new RemoteIdentity(id(a), Principal.UNRESTRICTED));
            session.setSubscriptions(List.of());
            intoA = a.connect(this, ConnectionInfo.memory(false));
            toA(session.start());
        }

        @Override
        public void send(byte[] message) {
            fromA.add(message);
        }

        @Override
        public void close() {}

        void toA(List<Message> out) {
            for (Message m : out) intoA.onMessage(session.encode(m));
        }

        /** Sends {@code m} to a as it is (a lie, if it is one). */
        void sendRaw(Message m) {
            intoA.onMessage(io.starling.internal.sync.WireCodec.encode(m));
        }

        /** Relays a's messages into the session until {@code done}; 20 s at most. */
        void until(String what, BooleanSupplier done) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!done.getAsBoolean()) {
                assertThat(System.nanoTime()).as("waiting for: " + what).isLessThan(deadline);
                byte[] next;
                try {
                    next = fromA.poll(50, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
                if (next == null) continue;
                received.add(io.starling.internal.sync.WireCodec.decode(next, SessionConfig.MAX_FRAME));
                toA(session.onFrame(next));
            }
        }

        long wanted(long digest) {
            return received.stream()
                    .filter(m -> m instanceof Message.PresenceWanted w && w.digest() == digest)
                    .count();
        }
    }

    static byte[] view(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    static String hex(long peer) {
        return EngineSyncStore.hex(peer);
    }

    @Test
    void lyingStaleDuplicateAndMalformedMarkersChangeNothingAndCostAWanted() {
        DefaultStarling a = peer(0xa5), m = peer(0x5a), n = peer(0x5b);
        Hand hand = new Hand(a, m);
        hand.until("a's first view", () -> !hand.views.isEmpty());
        byte[] honest = view("{\"v\":1,\"records\":[{\"origin\":\"" + hex(id(m)) + "\",\"seq\":5,\"meta\":{\"n\":1},"
                + "\"links\":{\"" + hex(id(a)) + "\":\"memory\"}}]}");
        hand.sendRaw(new Message.Presence(honest));
        await("a shows m", () -> shows(a, m));
        long digest = PresenceService.digest(honest);
        PresenceService pa = presence(a);

        // a digest a does not hold from m
        hand.sendRaw(new Message.SamePresence(digest ^ 1, 9));
        hand.until("WANTED for the lie", () -> hand.wanted(digest ^ 1) == 1);
        assertThat(pa.records().get(id(m)).sequence()).isEqualTo(5);

        // another peer naming m's view: a holds nothing from it
        Hand other = new Hand(a, n);
        other.until("a's first view to n", () -> !other.views.isEmpty());
        other.sendRaw(new Message.SamePresence(digest, 9));
        other.until("WANTED for n's marker", () -> other.wanted(digest) == 1);
        assertThat(shows(a, n)).isFalse();
        assertThat(pa.records().get(id(m)).sequence()).isEqualTo(5);

        // the honest marker: m's view restamped, nothing else
        hand.sendRaw(new Message.SamePresence(digest, 9));
        await("m's record restamped", () -> pa.records().get(id(m)).sequence() == 9);
        assertThat(pa.records().get(id(m)))
                .isEqualTo(new PresenceService.Record(id(m), 9, Map.of("n", 1L), Map.of(id(a), "memory")));
        assertThat(pa.markersExpanded.get()).isEqualTo(1);

        // its duplicate names a view a no longer holds as the last from m (that is the restamped one)
        hand.sendRaw(new Message.SamePresence(digest, 7));
        hand.until("WANTED for the duplicate", () -> hand.wanted(digest) == 1);
        assertThat(pa.records().get(id(m)).sequence()).isEqualTo(9);

        // a view whose first record is not m's own cannot be restamped as m's
        byte[] foreignFirst = view("{\"v\":1,\"records\":[{\"origin\":\"" + hex(id(n)) + "\",\"seq\":3,\"meta\":{},"
                + "\"links\":{}},{\"origin\":\"" + hex(id(m)) + "\",\"seq\":10,\"meta\":{\"n\":2},\"links\":{\""
                + hex(id(a)) + "\":\"memory\"}}]}");
        hand.sendRaw(new Message.Presence(foreignFirst));
        await("m's record from the whole view", () -> pa.records().get(id(m)).sequence() == 10);
        long foreignDigest = PresenceService.digest(foreignFirst);
        hand.sendRaw(new Message.SamePresence(foreignDigest, 11));
        hand.until("WANTED for the foreign first record", () -> hand.wanted(foreignDigest) == 1);
        assertThat(pa.records().get(id(m)).sequence()).isEqualTo(10);

        // a malformed view, then a marker naming it: the marker stands for that malformed view restamped, refused
        // like it (a later WANTED shows both were read)
        byte[] malformed = view("{\"v\":1,\"records\":[{\"origin\":\"" + hex(id(m)) + "\",\"seq\":12,\"links\":[]}]}");
        long refusedBefore = pa.malformedViews();
        hand.sendRaw(new Message.Presence(malformed));
        hand.sendRaw(new Message.SamePresence(PresenceService.digest(malformed), 13));
        hand.sendRaw(new Message.SamePresence(digest ^ 3, 1));
        hand.until("WANTED after the malformed view", () -> hand.wanted(digest ^ 3) == 1);
        assertThat(pa.malformedViews() - refusedBefore)
                .as("the view and its marker")
                .isEqualTo(2);
        assertThat(pa.records().get(id(m)).sequence()).isEqualTo(10);

        // a WANTED for a marker a never sent: ignored (no view goes whole); a later WANTED shows it was read
        int viewsBefore = hand.views.size();
        hand.sendRaw(new Message.PresenceWanted(digest));
        hand.sendRaw(new Message.SamePresence(digest ^ 2, 1));
        hand.until("WANTED for the last lie", () -> hand.wanted(digest ^ 2) == 1);
        assertThat(hand.views).hasSize(viewsBefore);
        assertThat(hand.session.isClosed()).isFalse();
        assertThat(shows(a, m)).isTrue();
    }
}
