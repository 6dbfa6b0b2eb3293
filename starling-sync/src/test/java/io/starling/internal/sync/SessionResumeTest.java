package io.starling.internal.sync;

import static io.starling.internal.sync.SyncSessionTest.obj;
import static io.starling.internal.sync.SyncSessionTest.sub;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.core.Value;
import io.starling.internal.sync.Message.Batch;
import io.starling.internal.sync.Message.Close;
import io.starling.internal.sync.Message.Hello;
import io.starling.internal.sync.Message.SameSubscriptions;
import io.starling.internal.sync.Message.Subscriptions;
import io.starling.internal.sync.Message.SubscriptionsWanted;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Resumed sessions (docs/SYNC-PROTOCOL.md, "Resumed sessions"): between peers that met before, a receiver whose
 * subscriptions did not change since the sender processed them sends a RESUME marker instead of its first SUBSCRIPTIONS,
 * and the sender acts on the set it holds from that receiver only when the marker's digest names it — otherwise it asks
 * for the whole message. Restarts on either side, a store replaced, subscriptions changed while apart, older peers in
 * both directions, and lying markers.
 */
class SessionResumeTest {
    private static final SessionConfig OLD =
            SessionConfig.builder().resume(false).build();
    private static final Subscription CARS = sub("cars", "*");
    private static final Subscription RED = sub("boats", "colour = 'red'");

    private long hlc = 100;

    private long t() {
        return hlc++;
    }

    private static long count(Net.Pipe p, Class<? extends Message> type) {
        return p.sent.stream().filter(type::isInstance).count();
    }

    /** Documents sent, whole or as deltas, in batches and answers. */
    private static long sent(Net.Pipe p) {
        long n = 0;
        for (Message m : p.sent) {
            if (m instanceof Batch b) n += b.entries().size();
            else if (m instanceof Message.Docs d) n += d.entries().size();
        }
        return n;
    }

    /** A holds data, B subscribes; they meet once and part, then A changes a document. */
    private Net.Conn metBefore(Net net, FakeStore a, FakeStore b, SessionConfig ca, SessionConfig cb) {
        for (int i = 0; i < 20; i++)
            a.insert("cars", "c" + i, obj("k", i, "name", "a car with a name long enough for a delta " + i), t());
        a.insert("boats", "b1", obj("colour", "red"), t());
        b.subscriptions = List.of(CARS, RED);
        Net.Conn first = net.connect(a, b, ca, cb, false);
        net.runUntilQuiet();
        assertThat(b.holds("cars", "c19")).isTrue();
        first.disconnect();
        // B held nothing of its collections when they met: the next session passes their hints once (a whole
        // SUBSCRIPTIONS, "covered, hints owed"; docs/SYNC-PROTOCOL.md, "Coverage taken while a collection was not
        // held"), and from then on the set resumes
        Net.Conn second = net.connect(a, b, ca, cb, false);
        net.runUntilQuiet();
        second.disconnect();
        a.update("cars", "c3", "k", Value.of(-3L), t());
        return second;
    }

    @Test
    void aResumedSessionSendsAMarkerAndTheSenderUsesTheSetItHolds() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        Net net = new Net(1);
        Net.Conn first = metBefore(net, a, b, SessionConfig.defaults(), SessionConfig.defaults());
        assertThat(count(first.fromB, Subscriptions.class)).isEqualTo(1);
        int wholeBytes = WireCodec.encode(first.fromB.sent.stream()
                        .filter(m -> m instanceof Subscriptions)
                        .findFirst()
                        .orElseThrow())
                .length;

        long checkpoint = b.checkpoint(1).sequence();
        Net.Conn again = net.connect(a, b);
        net.runUntilQuiet();

        assertThat(count(again.fromB, Subscriptions.class))
                .as("no whole SUBSCRIPTIONS")
                .isZero();
        SameSubscriptions marker = (SameSubscriptions) again.fromB.sent.stream()
                .filter(m -> m instanceof SameSubscriptions)
                .findFirst()
                .orElseThrow();
        assertThat(WireCodec.encode(marker).length).isLessThan(wholeBytes / 2);
        assertThat(marker.checkpointSequence()).isEqualTo(checkpoint).isPositive();
        assertThat(again.sa.subscriptionsResumed()).isEqualTo(1);
        assertThat(again.sa.subscriptionsWanted()).isZero();
        assertThat(again.sb.resumeMarkersSent()).isEqualTo(1);
        assertThat(again.ra.remoteSubs).containsExactly(CARS, RED);
        // it resumed from the checkpoint the marker carried: only the changed document travels
        assertThat(sent(again.fromA)).isEqualTo(1);
        assertThat(b.stateOf("cars", FakeStore.id("c3"))).isEqualTo(a.stateOf("cars", FakeStore.id("c3")));
        assertThat(again.sa.isClosed()).isFalse();

        // and again: the set is still the one the sender holds
        again.disconnect();
        Net.Conn third = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(count(third.fromB, SameSubscriptions.class)).isEqualTo(1);
        assertThat(third.sa.subscriptionsResumed()).isEqualTo(1);
    }

    @Test
    void aSenderThatRestartedAsksForTheWholeSetAndTheNextSessionResumesAgain() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        Net net = new Net(2);
        metBefore(net, a, b, SessionConfig.defaults(), SessionConfig.defaults());
        a.restart(); // its store is as it was; what it remembered of B is gone

        Net.Conn again = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(count(again.fromB, SameSubscriptions.class)).isEqualTo(1);
        assertThat(count(again.fromA, SubscriptionsWanted.class)).isEqualTo(1);
        assertThat(again.sa.subscriptionsWanted()).isEqualTo(1);
        List<Subscriptions> whole = again.fromB.sent.stream()
                .filter(m -> m instanceof Subscriptions)
                .map(m -> (Subscriptions) m)
                .toList();
        assertThat(whole).hasSize(1);
        assertThat(whole.get(0).revision()).isEqualTo(2);
        assertThat(whole.get(0).checkpointSequence()).isPositive(); // it still resumes from its checkpoint
        assertThat(again.ra.remoteSubs).containsExactly(CARS, RED);
        assertThat(sent(again.fromA)).isEqualTo(1);
        assertThat(b.stateOf("cars", FakeStore.id("c3"))).isEqualTo(a.stateOf("cars", FakeStore.id("c3")));

        again.disconnect();
        Net.Conn third = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(third.sa.subscriptionsResumed()).isEqualTo(1);
        assertThat(count(third.fromB, Subscriptions.class)).isZero();
    }

    @Test
    void aReceiverThatRestartedSendsTheWholeSet() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        Net net = new Net(3);
        metBefore(net, a, b, SessionConfig.defaults(), SessionConfig.defaults());
        b.restart();

        Net.Conn again = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(count(again.fromB, SameSubscriptions.class)).isZero();
        assertThat(count(again.fromB, Subscriptions.class)).isEqualTo(1);
        assertThat(sent(again.fromA))
                .as("resumed from its checkpoint all the same")
                .isEqualTo(1);

        again.disconnect();
        Net.Conn third = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(count(third.fromB, SameSubscriptions.class)).isEqualTo(1);
        assertThat(third.sa.subscriptionsResumed()).isEqualTo(1);
    }

    @Test
    void subscriptionsChangedWhileApartGoWholeAndAreBackfilled() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        Net net = new Net(4);
        metBefore(net, a, b, SessionConfig.defaults(), SessionConfig.defaults());
        a.insert("boats", "b2", obj("colour", "blue"), t());
        b.subscriptions = List.of(CARS, sub("boats", "colour = 'blue'")); // changed while apart

        Net.Conn again = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(count(again.fromB, SameSubscriptions.class)).isZero();
        assertThat(count(again.fromB, Subscriptions.class)).isEqualTo(1);
        assertThat(again.ra.remoteSubs).containsExactly(CARS, sub("boats", "colour = 'blue'"));
        assertThat(b.holds("boats", "b2")).isTrue();

        // the changed set is what the next marker names
        again.disconnect();
        Net.Conn third = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(third.sa.subscriptionsResumed()).isEqualTo(1);
        assertThat(third.ra.remoteSubs).containsExactly(CARS, sub("boats", "colour = 'blue'"));
    }

    @Test
    void aSenderWhoseStoreWasReplacedIsSentTheWholeSet() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        Net net = new Net(5);
        metBefore(net, a, b, SessionConfig.defaults(), SessionConfig.defaults());
        a.incarnation = 77; // a new incarnation: B's checkpoint and what it remembered of A are of the old one

        Net.Conn again = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(count(again.fromB, SameSubscriptions.class)).isZero();
        List<Subscriptions> whole = again.fromB.sent.stream()
                .filter(m -> m instanceof Subscriptions)
                .map(m -> (Subscriptions) m)
                .toList();
        assertThat(whole).hasSize(1);
        assertThat(whole.get(0).checkpointSequence()).isZero();
        assertThat(b.stateOf("cars", FakeStore.id("c3"))).isEqualTo(a.stateOf("cars", FakeStore.id("c3")));
    }

    @Test
    void oldAndNewPeersInteroperateBothWays() {
        for (boolean oldSender : new boolean[] {true, false}) {
            FakeStore a = new FakeStore(1), b = new FakeStore(2);
            Net net = new Net(6);
            SessionConfig ca = oldSender ? OLD : SessionConfig.defaults();
            SessionConfig cb = oldSender ? SessionConfig.defaults() : OLD;
            metBefore(net, a, b, ca, cb);
            Net.Conn again = net.connect(a, b, ca, cb, false);
            net.runUntilQuiet();
            assertThat(count(again.fromB, SameSubscriptions.class)).isZero();
            assertThat(count(again.fromA, SubscriptionsWanted.class)).isZero();
            assertThat(count(again.fromB, Subscriptions.class)).isEqualTo(1);
            assertThat(sent(again.fromA)).isEqualTo(1);
            assertThat(again.sa.remoteCapabilities() & SessionConfig.CAP_RESUME)
                    .isEqualTo(oldSender ? SessionConfig.CAP_RESUME : 0);
            assertThat(again.sa.isClosed()).isFalse();
            assertThat(again.sb.isClosed()).isFalse();
        }
        // a store that keeps no memory does not announce the bit either
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        b.memory = null;
        Net net = new Net(7);
        metBefore(net, a, b, SessionConfig.defaults(), SessionConfig.defaults());
        Net.Conn again = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(again.sa.remoteCapabilities() & SessionConfig.CAP_RESUME).isZero();
        assertThat(count(again.fromB, Subscriptions.class)).isEqualTo(1);
    }

    @Test
    void aMarkerOfAnotherSetOrAnotherPeersSetIsAnsweredWithWantedAndNeverActedOn() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2), c = new FakeStore(3);
        Net net = new Net(8);
        metBefore(net, a, b, SessionConfig.defaults(), SessionConfig.defaults());
        long bsDigest = a.memory.receivedFrom(2).digest();

        // C claims B's set (the digest A holds for B): A holds nothing from C
        Hand hand = new Hand(a, c);
        hand.feed(new SameSubscriptions(1, 3, a.lastSequence(), bsDigest));
        assertThat(hand.out).contains(new SubscriptionsWanted(1));
        assertThat(hand.out).noneMatch(m -> m instanceof Batch);
        assertThat(hand.session.remoteSubscriptions()).isEmpty();
        assertThat(hand.session.isClosed()).isFalse();

        // the real digest, from B: used, and the session resumes from the marker's checkpoint
        Hand honest = new Hand(a, b);
        honest.feed(new SameSubscriptions(1, 3, a.lastSequence(), bsDigest));
        assertThat(honest.session.remoteSubscriptions()).containsExactly(CARS, RED);
        assertThat(honest.session.subscriptionsResumed()).isEqualTo(1);
        assertThat(honest.session.ackedSequence()).isEqualTo(a.lastSequence());

        // B names a set A never held from it
        Hand lying = new Hand(a, b);
        lying.feed(new SameSubscriptions(1, 3, a.lastSequence(), bsDigest ^ 1));
        assertThat(lying.out).contains(new SubscriptionsWanted(1));
        assertThat(lying.out).noneMatch(m -> m instanceof Batch);
        assertThat(lying.session.remoteSubscriptions()).isEmpty();
        // a duplicate of it changes nothing; the whole set then starts the session
        lying.feed(new SameSubscriptions(1, 3, a.lastSequence(), bsDigest ^ 1));
        assertThat(lying.session.subscriptionsWanted()).isEqualTo(2);
        lying.feed(new Subscriptions(2, a.incarnation, a.lastSequence(), List.of(), List.of()));
        assertThat(lying.out).anyMatch(m -> m instanceof Batch);
        assertThat(lying.session.isClosed()).isFalse();
        // a marker after the session started is not a first SUBSCRIPTIONS: malformed
        lying.feed(new SameSubscriptions(3, 3, a.lastSequence(), bsDigest));
        assertThat(lying.session.closeReason()).isEqualTo(SyncSession.MALFORMED);
    }

    @Test
    void resumeMessagesToAPeerThatDidNotAnnounceThemClose() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        Hand old = new Hand(a, b, OLD);
        old.feed(new SameSubscriptions(1, 0, 5, 42));
        assertThat(old.session.closeReason()).isEqualTo(SyncSession.MALFORMED);

        Hand other = new Hand(a, b, OLD);
        other.feed(new SubscriptionsWanted(1));
        assertThat(other.session.closeReason()).isEqualTo(SyncSession.MALFORMED);

        // a WANTED for a revision we never sent is out of order
        Hand ahead = new Hand(a, b);
        ahead.feed(new SubscriptionsWanted(9));
        assertThat(ahead.session.closeReason()).isEqualTo(SyncSession.OUT_OF_ORDER);
        assertThat(ahead.out).anyMatch(m -> m instanceof Close);
    }

    @Test
    void theSenderAsksTheStoreForEachDelta() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        Net net = new Net(9);
        metBefore(net, a, b, SessionConfig.defaults(), SessionConfig.defaults());
        int before = a.deltasComputed;
        Net.Conn again = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(again.sa.deltasSent()).isEqualTo(1);
        assertThat(a.deltasComputed - before).isEqualTo(1);
        assertThat(again.sb.deltasApplied()).isEqualTo(1);
    }

    @Test
    void aBackfillInAResumedSessionSendsWholeStatesNotDeltas() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        Net net = new Net(10);
        for (int i = 0; i < 5; i++) { // below the checkpoint B will hold: B does not subscribe to planes yet
            a.insert("planes", "p" + i, obj("k", i, "name", "a plane with a name long enough for a delta " + i), t());
            a.update("planes", "p" + i, "k", Value.of(100L + i), t()); // its newest write is one field
        }
        metBefore(net, a, b, SessionConfig.defaults(), SessionConfig.defaults());
        b.subscriptions = List.of(CARS, RED, sub("planes", "*")); // a collection B never held: backfilled whole

        Net.Conn again = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(b.holds("planes", "p4")).isTrue();
        assertThat(again.sb.deltasRefused())
                .as("no delta sent for a document B never held")
                .isZero();
        assertThat(again.sa.deltasSent())
                .as("the live feed's change to c3 only")
                .isEqualTo(1);
        assertThat(count(again.fromB, Message.Request.class)).isZero();
    }

    /** One session of {@code local} driven by hand: the test writes what {@code remote} would send. */
    private static final class Hand {
        final SyncSession session;
        final List<Message> out = new ArrayList<>();

        Hand(FakeStore local, FakeStore remote) {
            this(local, remote, SessionConfig.defaults());
        }

        Hand(FakeStore local, FakeStore remote, SessionConfig config) {
            session = new SyncSession(local, config, new Net.Recorder());
            session.setSubscriptions(List.of());
            out.addAll(session.start());
            feed(new Hello(
                    1,
                    remote.appId,
                    remote.peerId,
                    remote.incarnation,
                    SessionConfig.CAP_RESUME | SessionConfig.CAP_DELTAS,
                    SessionConfig.MIN_FRAME,
                    0));
        }

        void feed(Message m) {
            out.addAll(session.onFrame(WireCodec.encode(m)));
        }
    }
}
