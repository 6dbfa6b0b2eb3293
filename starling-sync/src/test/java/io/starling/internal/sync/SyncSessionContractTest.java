package io.starling.internal.sync;

import static io.starling.internal.sync.SyncSessionTest.obj;
import static io.starling.internal.sync.SyncSessionTest.sub;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.sync.Message.Ack;
import io.starling.internal.sync.Message.Batch;
import io.starling.internal.sync.Message.Close;
import io.starling.internal.sync.Message.DocEntry;
import io.starling.internal.sync.Message.Docs;
import io.starling.internal.sync.Message.Hello;
import io.starling.internal.sync.Message.Presence;
import io.starling.internal.sync.Message.Subscriptions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The contract of one {@link SyncSession} as its caller sees it (the class Javadoc and docs/SYNC-PROTOCOL.md): the
 * order of calls, what each returns, closed sessions, the handshake's limits, encoding, the clock, presence, and
 * errors raised inside. Sessions are driven by hand: the test plays the remote (A) against B.
 */
class SyncSessionContractTest {
    private final FakeStore a = new FakeStore(1), b = new FakeStore(2);
    private final Net.Recorder events = new Net.Recorder();

    private Hello helloOfA(long capabilities, int maxFrame) {
        return new Hello(1, a.appId, a.peerId, a.incarnation, capabilities, maxFrame, 7);
    }

    private SyncSession started(SessionConfig config, SessionListener listener) {
        SyncSession s = new SyncSession(b, config, listener);
        s.setSubscriptions(List.of(sub("cars", "*")));
        s.start();
        return s;
    }

    private SyncSession established(SessionConfig config) {
        SyncSession s = started(config, events);
        s.onMessage(helloOfA(SessionConfig.CAP_DEFLATE, config.maxFrameBytes()));
        return s;
    }

    private SyncSession established() {
        return established(SessionConfig.defaults());
    }

    /** A listener that records how the session closed. */
    private static class Closing implements SessionListener {
        String closedReason, closedMessage;

        @Override
        public void closed(String reason, String message, boolean byRemote) {
            closedReason = reason;
            closedMessage = message;
        }
    }

    // ---- the order of calls ---------------------------------------------------------------------------------

    @Test
    void startComesFirstAndOnce() {
        SyncSession s = new SyncSession(b, SessionConfig.defaults(), events);
        assertThatThrownBy(() -> s.onMessage(new Ack(1)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("onMessage before start()");
        assertThatThrownBy(() -> s.onFrame(WireCodec.encode(new Ack(1))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("onFrame before start()");
        assertThat(s.start()).singleElement().isInstanceOf(Hello.class);
        assertThatThrownBy(s::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("already called");
        assertThat(s.isClosed()).isFalse();
    }

    @Test
    void aSessionClosedBeforeItStartedStartsNothing() {
        SyncSession s = new SyncSession(b, SessionConfig.defaults(), events);
        assertThat(s.close("not needed")).containsExactly(new Close(SyncSession.CLOSED, "not needed"));
        assertThat(s.start()).isEmpty();
        assertThat(s.onFrame(WireCodec.encode(new Ack(1)))).isEmpty();
    }

    /** After a close every call returns nothing and changes nothing: a late batch is neither applied nor acknowledged. */
    @Test
    void aClosedSessionTouchesNothing() {
        a.insert("cars", "m", obj("k", 1), 100);
        SyncSession s = established();
        assertThat(s.close(SyncSession.DUPLICATE, "another session wins"))
                .containsExactly(new Close(SyncSession.DUPLICATE, "another session wins"));
        assertThat(events.closedReason).isEqualTo(SyncSession.DUPLICATE);
        byte[] state = a.bytes(FakeStore.ref("cars", "m"));
        Batch late =
                new Batch(1, 1, 0, 1, false, List.of(new DocEntry("cars", FakeStore.id("m"), 1, state)), List.of());
        Batch empty = new Batch(1, 1, 0, 1, false, List.of(), List.of()); // would move the checkpoint
        assertThat(s.onMessage(late)).isEmpty();
        assertThat(s.onMessage(empty)).isEmpty();
        assertThat(s.onFrame(WireCodec.encode(empty))).isEmpty();
        assertThat(s.onTick(Long.MAX_VALUE)).isEmpty();
        assertThat(b.applyCalls).isEmpty();
        assertThat(b.checkpoint(a.peerId)).isNull();
        assertThat(s.close("again")).isEmpty();
    }

    /** The listener must not call the session back: such a call is refused, and the session closes (internal). */
    @Test
    void aCallFromInsideAListenerIsRefused() {
        SyncSession[] s = new SyncSession[1];
        Closing recorder = new Closing() {
            @Override
            public void established(long remotePeerId) {
                s[0].onTick(0);
            }
        };
        s[0] = started(SessionConfig.defaults(), recorder);
        assertThatThrownBy(() -> s[0].onMessage(helloOfA(0, SessionConfig.MIN_FRAME)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("called from inside another");
        assertThat(s[0].closeReason()).isEqualTo(SyncSession.INTERNAL);
        assertThat(recorder.closedReason).isEqualTo(SyncSession.INTERNAL);
    }

    /** An exception raised inside (here by the listener) closes the session as internal and is rethrown. */
    @Test
    void anExceptionInsideClosesTheSessionAsInternalAndIsRethrown() {
        Closing recorder = new Closing() {
            @Override
            public void established(long remotePeerId) {
                throw new IllegalArgumentException("a bug in the listener");
            }
        };
        SyncSession s = started(SessionConfig.defaults(), recorder);
        assertThatThrownBy(() -> s.onMessage(helloOfA(0, SessionConfig.MIN_FRAME)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a bug in the listener");
        assertThat(s.isClosed()).isTrue();
        assertThat(s.closeReason()).isEqualTo(SyncSession.INTERNAL);
        assertThat(recorder.closedReason).isEqualTo(SyncSession.INTERNAL);
        assertThat(recorder.closedMessage).contains("a bug in the listener");
        assertThat(s.onTick(0)).isEmpty();
    }

    // ---- the handshake ----------------------------------------------------------------------------------------

    @Test
    void theRemotesPeerIdAndHorizonAreKnownFromItsHello() {
        SyncSession s = started(SessionConfig.defaults(), events);
        assertThat(s.remotePeerId()).isZero();
        assertThat(s.remoteHorizon()).isZero();
        s.onMessage(helloOfA(0, SessionConfig.MIN_FRAME));
        assertThat(s.remotePeerId()).isEqualTo(a.peerId);
        assertThat(s.remoteHorizon()).isEqualTo(7);
    }

    /** The remote's maximum frame must lie within [MIN_FRAME, MAX_FRAME]; both ends are accepted. */
    @Test
    void theRemotesMaximumFrameIsCheckedAtBothEnds() {
        int[][] cases = {
            {SessionConfig.MIN_FRAME - 1, 0},
            {SessionConfig.MIN_FRAME, 1},
            {SessionConfig.MAX_FRAME, 1},
            {SessionConfig.MAX_FRAME + 1, 0}
        };
        for (int[] c : cases) {
            SyncSession s = started(SessionConfig.defaults(), SessionListener.NONE);
            List<Message> out = s.onMessage(helloOfA(0, c[0]));
            if (c[1] == 1) {
                assertThat(s.isClosed()).as("maxFrame %s", c[0]).isFalse();
                assertThat(out).as("maxFrame %s", c[0]).anyMatch(m -> m instanceof Subscriptions);
            } else {
                assertThat(out)
                        .as("maxFrame %s", c[0])
                        .singleElement()
                        .isInstanceOfSatisfying(
                                Close.class, cl -> assertThat(cl.reason()).isEqualTo(SyncSession.MALFORMED));
            }
        }
    }

    // ---- encoding ---------------------------------------------------------------------------------------------

    /** BATCH and DOCS are compressed when both sides announced DEFLATE; everything else, and otherwise, is not. */
    @Test
    void onlyBatchesAndDocsAreCompressedAndOnlyWhenBothSidesAnnounceDeflate() {
        DocEntry big = new DocEntry("cars", FakeStore.id("z"), 1, new byte[20_000]);
        Batch batch = new Batch(1, 1, 0, 1, false, List.of(big), List.of());
        Docs docs = new Docs(1, 0, false, List.of(big));
        Presence presence = new Presence(new byte[20_000]);
        for (Message m : List.of(batch, docs, presence)) {
            assertThat(WireCodec.encodeDeflated(m))
                    .as("%s compresses", m.getClass())
                    .isNotEqualTo(WireCodec.encode(m));
        }

        SyncSession both = established();
        assertThat(both.encode(batch)).isEqualTo(WireCodec.encodeDeflated(batch));
        assertThat(both.encode(docs)).isEqualTo(WireCodec.encodeDeflated(docs));
        assertThat(both.encode(presence)).as("not BATCH or DOCS").isEqualTo(WireCodec.encode(presence));

        SyncSession notUs = established(SessionConfig.builder().deflate(false).build());
        assertThat(notUs.encode(batch)).isEqualTo(WireCodec.encode(batch));

        SyncSession notThem = started(SessionConfig.defaults(), SessionListener.NONE);
        assertThat(notThem.encode(batch)).as("before the remote's HELLO").isEqualTo(WireCodec.encode(batch));
        notThem.onMessage(helloOfA(SessionConfig.CAP_SUMMARY, 1 << 20));
        assertThat(notThem.encode(batch)).as("the remote did not announce it").isEqualTo(WireCodec.encode(batch));
        assertThat(notThem.encode(docs)).isEqualTo(WireCodec.encode(docs));
    }

    // ---- our subscriptions --------------------------------------------------------------------------------------

    /**
     * Our subscriptions must fit one SUBSCRIPTIONS message of at most {@link Receiver#MAX_SUBSCRIPTIONS_BYTES}, counted
     * at worst (every collection also named as held): exactly that many bytes is accepted, one more is refused.
     */
    @Test
    void subscriptionsMustFitOneMessageToTheByte() {
        int length = Receiver.MAX_SUBSCRIPTIONS_BYTES - subscriptionsSize(0); // about right: corrected below
        while (subscriptionsSize(length) > Receiver.MAX_SUBSCRIPTIONS_BYTES) length--;
        while (subscriptionsSize(length + 1) <= Receiver.MAX_SUBSCRIPTIONS_BYTES) length++;
        assertThat(subscriptionsSize(length)).isEqualTo(Receiver.MAX_SUBSCRIPTIONS_BYTES);
        assertThat(subscriptionsSize(length + 1)).isEqualTo(Receiver.MAX_SUBSCRIPTIONS_BYTES + 1);

        SyncSession s = established();
        assertThat(s.setSubscriptions(subscriptions(length))).singleElement().isInstanceOf(Subscriptions.class);
        List<Subscription> tooMany = subscriptions(length + 1);
        assertThatThrownBy(() -> s.setSubscriptions(tooMany))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining((Receiver.MAX_SUBSCRIPTIONS_BYTES + 1) + " bytes");
        assertThat(s.isClosed()).isFalse();
    }

    /** Three subscriptions on three collections, the last with a query padded to {@code length} characters. */
    private static List<Subscription> subscriptions(int length) {
        return List.of(sub("cars", "*"), sub("boats", "k = 1"), sub("planes", "name = '" + "p".repeat(length) + "'"));
    }

    /** The size of {@link #subscriptions}'s SUBSCRIPTIONS naming every collection as held. */
    private static int subscriptionsSize(int length) {
        List<Subscriptions.Item> items = new ArrayList<>();
        List<String> held = new ArrayList<>();
        for (Subscription x : subscriptions(length)) {
            items.add(new Subscriptions.Item(x, false));
            held.add(x.collection());
        }
        return WireCodec.encode(new Subscriptions(1, 0, Long.MAX_VALUE, items, held)).length;
    }

    // ---- the clock ----------------------------------------------------------------------------------------------

    /**
     * Batches unacknowledged time out after more than progressTimeoutMillis without progress (not at exactly that),
     * and onTick returns the CLOSE, which says how long they waited.
     */
    @Test
    void unacknowledgedBatchesTimeOutAfterTheProgressTimeoutAndSaySo() {
        long p = SessionConfig.defaults().progressTimeoutMillis();
        b.insert("cars", "c", obj("k", 1), 100);
        SyncSession s = established();
        s.onMessage(new Batch(1, 1, 0, 0, false, List.of(), List.of())); // A acknowledges our subscriptions
        List<Message> sent = s.onMessage(
                new Subscriptions(1, 0, 0, List.of(new Subscriptions.Item(sub("cars", "*"), false)), List.of()));
        assertThat(sent).anyMatch(m -> m instanceof Batch);
        assertThat(s.onTick(1000)).isEmpty();
        assertThat(s.onTick(1000 + p)).isEmpty();
        assertThat(s.onTick(1000 + p + 1))
                .containsExactly(new Close(SyncSession.TIMEOUT, "1 batches unacknowledged for " + (p + 1) + " ms"));
    }

    @Test
    void anUnansweredSubscriptionsTimesOutAndSaysHowLongItWaited() {
        long p = SessionConfig.defaults().progressTimeoutMillis();
        SyncSession s = established();
        for (Message m : s.onMessage(new Subscriptions(1, 0, 0, List.of(), List.of()))) { // A subscribes to nothing
            if (m instanceof Batch x) s.onMessage(new Ack(x.batchNo())); // and acknowledges what our sender sent
        }
        assertThat(s.onTick(1000)).isEmpty();
        assertThat(s.onTick(1000 + p + 1))
                .containsExactly(new Close(SyncSession.TIMEOUT, "no answer from the remote for " + (p + 1) + " ms"));
    }

    // ---- presence -------------------------------------------------------------------------------------------------

    @Test
    void presenceGoesOutOnlyWhileEstablishedAndComesInToTheListener() {
        List<byte[]> received = new ArrayList<>();
        SessionListener listener = new SessionListener() {
            @Override
            public void presence(byte[] payload) {
                received.add(payload);
            }
        };
        byte[] view = {1, 2, 3};
        SyncSession s = started(SessionConfig.defaults(), listener);
        assertThat(s.sendPresence(view)).as("before the handshake").isEmpty();
        s.onMessage(helloOfA(0, SessionConfig.MIN_FRAME));
        assertThat(s.sendPresence(view))
                .singleElement()
                .isInstanceOfSatisfying(
                        Presence.class, pr -> assertThat(pr.payload()).isEqualTo(view));
        assertThat(s.onMessage(new Presence(new byte[] {9}))).isEmpty();
        assertThat(received).singleElement().isEqualTo(new byte[] {9});
        s.close("done");
        assertThat(s.sendPresence(view)).as("after a close").isEmpty();
    }
}
