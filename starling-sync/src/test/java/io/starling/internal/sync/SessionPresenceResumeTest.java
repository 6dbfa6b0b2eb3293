package io.starling.internal.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.sync.Message.Hello;
import io.starling.internal.sync.Message.PresenceWanted;
import io.starling.internal.sync.Message.SamePresence;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Presence on resumed sessions, the session's part (docs/SYNC-PROTOCOL.md, "Presence on resumed sessions"): the
 * capability bit, the two PRESENCE-RESUME messages carried to the listener, nothing sent to a remote that did not
 * announce the bit, and either message arriving at a peer that did not announce it closes with malformed. What a marker
 * means is the engine's (PresenceResumeTest in module starling).
 */
class SessionPresenceResumeTest {
    private static final SessionConfig OLD =
            SessionConfig.builder().presenceResume(false).build();

    /** Records what the session hands the engine. */
    private static final class Listener extends Net.Recorder {
        final List<String> presence = new ArrayList<>();

        @Override
        public void presence(byte[] payload) {
            presence.add("view " + payload.length);
        }

        @Override
        public void samePresence(long digest, long sequence) {
            presence.add("same " + digest + " " + sequence);
        }

        @Override
        public void presenceWanted(long digest) {
            presence.add("wanted " + digest);
        }
    }

    /** One session of {@code local} driven by hand: the test writes what the remote would send. */
    private static final class Hand {
        final SyncSession session;
        final Listener listener = new Listener();
        final List<Message> out = new ArrayList<>();

        Hand(SessionConfig config, long remoteCapabilities) {
            FakeStore local = new FakeStore(1), remote = new FakeStore(2);
            session = new SyncSession(local, config, listener);
            session.setSubscriptions(List.of());
            out.addAll(session.start());
            feed(new Hello(
                    1,
                    remote.appId,
                    remote.peerId,
                    remote.incarnation,
                    remoteCapabilities,
                    SessionConfig.MIN_FRAME,
                    0));
        }

        void feed(Message m) {
            out.addAll(session.onFrame(WireCodec.encode(m)));
        }
    }

    private static long ourCapabilities(Hand h) {
        return h.out.stream()
                .filter(m -> m instanceof Hello)
                .map(m -> ((Hello) m).capabilities())
                .findFirst()
                .orElseThrow();
    }

    @Test
    void betweenPeersThatBothAnnounceTheBitMarkersAndWantedsAreCarriedBothWays() {
        Hand h = new Hand(SessionConfig.defaults(), SessionConfig.CAP_PRESENCE_RESUME);
        assertThat(ourCapabilities(h) & SessionConfig.CAP_PRESENCE_RESUME).isNotZero();
        assertThat(h.session.presenceResumes()).isTrue();

        assertThat(h.session.sendSamePresence(-7, 1_795_678_123_456L))
                .containsExactly(new SamePresence(-7, 1_795_678_123_456L));
        assertThat(h.session.wantPresence(42)).containsExactly(new PresenceWanted(42));

        h.feed(new SamePresence(Long.MIN_VALUE, 0));
        h.feed(new PresenceWanted(-1));
        h.feed(new Message.Presence(new byte[] {'{', '}'}));
        assertThat(h.listener.presence).containsExactly("same " + Long.MIN_VALUE + " 0", "wanted -1", "view 2");
        assertThat(h.session.isClosed()).isFalse();
    }

    @Test
    void aRemoteWithoutTheBitIsNeverSentAMarker() {
        Hand h = new Hand(SessionConfig.defaults(), SessionConfig.CAP_RESUME);
        assertThat(h.session.presenceResumes()).isFalse();
        assertThat(h.session.sendSamePresence(1, 2)).isEmpty();
        assertThat(h.session.wantPresence(1)).isEmpty();
        assertThat(h.session.sendPresence(new byte[] {'{', '}'})).hasSize(1);

        // nor when we did not announce it ourselves
        Hand old = new Hand(OLD, SessionConfig.CAP_PRESENCE_RESUME);
        assertThat(ourCapabilities(old) & SessionConfig.CAP_PRESENCE_RESUME).isZero();
        assertThat(old.session.presenceResumes()).isFalse();
        assertThat(old.session.sendSamePresence(1, 2)).isEmpty();
    }

    @Test
    void presenceResumeMessagesAtAPeerThatDidNotAnnounceTheBitClose() {
        Hand same = new Hand(OLD, SessionConfig.CAP_PRESENCE_RESUME);
        same.feed(new SamePresence(1, 2));
        assertThat(same.session.closeReason()).isEqualTo(SyncSession.MALFORMED);
        assertThat(same.listener.presence).isEmpty();

        Hand wanted = new Hand(OLD, SessionConfig.CAP_PRESENCE_RESUME);
        wanted.feed(new PresenceWanted(1));
        assertThat(wanted.session.closeReason()).isEqualTo(SyncSession.MALFORMED);
        assertThat(wanted.listener.presence).isEmpty();
    }

    @Test
    void aMarkerBeforeTheHandshakeIsOutOfOrder() {
        FakeStore local = new FakeStore(1);
        Listener listener = new Listener();
        SyncSession session = new SyncSession(local, SessionConfig.defaults(), listener);
        session.setSubscriptions(List.of());
        session.start();
        session.onFrame(WireCodec.encode(new SamePresence(1, 2)));
        assertThat(session.closeReason()).isEqualTo(SyncSession.OUT_OF_ORDER);
        assertThat(listener.presence).isEmpty();
        assertThat(session.sendSamePresence(1, 2)).isEmpty();
    }
}
