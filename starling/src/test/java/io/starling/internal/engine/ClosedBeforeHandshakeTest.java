package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.StarlingConfig;
import io.starling.internal.net.ConnectionInfo;
import io.starling.internal.net.MessageChannel;
import io.starling.internal.storage.InMemoryStorage;
import io.starling.internal.sync.Message;
import io.starling.internal.sync.SessionConfig;
import io.starling.internal.sync.SyncSession;
import io.starling.internal.sync.WireCodec;
import io.starling.testsupport.Await;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A connection whose remote sent HELLO and CLOSE and hung up before this peer's sync thread read them: the handshake
 * is skipped, but the channel still learns whom it reached and why the remote closed. Without that, a dialer whose
 * duplicate session the remote closed at once redialed it again and again on a busy machine (two peers dialing each
 * other kept a new connection coming every backoff step).
 */
class ClosedBeforeHandshakeTest {
    private static final String APP = "handshaketest";
    private static final long REMOTE = 0x1234_5678_9abc_def0L;

    private DefaultStarling peer;

    @AfterEach
    void close() {
        if (peer != null) peer.close();
    }

    @Test
    void aConnectionClosedBeforeItsHelloWasReadStillReportsThePeerAndTheRemotesReason() throws Exception {
        peer = DefaultStarling.open(
                StarlingConfig.builder().appId(APP).build(),
                Path.of("memory"),
                new InMemoryStorage(),
                Clock.systemUTC());

        // hold the sync thread: the first message a session sends (its HELLO) goes through this channel's send
        CountDownLatch holding = new CountDownLatch(1), release = new CountDownLatch(1);
        MessageChannel blocker = new Recording() {
            @Override
            public void send(byte[] message) {
                holding.countDown();
                try {
                    assertThat(release.await(20, TimeUnit.SECONDS)).isTrue();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        MessageChannel.Receiver blocked = peer.connect(blocker, ConnectionInfo.memory(true));
        assertThat(holding.await(20, TimeUnit.SECONDS)).as("sync thread held").isTrue();

        // the remote answers our dial with HELLO and CLOSE(duplicate), and hangs up, all before the thread is free
        Recording dialed = new Recording();
        MessageChannel.Receiver into = peer.connect(dialed, ConnectionInfo.memory(true));
        into.onMessage(WireCodec.encode(
                new Message.Hello(SessionConfig.PROTOCOL_VERSION, APP, REMOTE, 1, 0, SessionConfig.MAX_FRAME, 0)));
        into.onMessage(WireCodec.encode(new Message.Close(SyncSession.DUPLICATE, "already connected")));
        into.onClosed();
        release.countDown();

        Await.until("the session ended", Duration.ofSeconds(20), () -> !dialed.ended.isEmpty());
        assertThat(dialed.reached.get()).as("the peer the HELLO named").isEqualTo(REMOTE);
        assertThat(dialed.ended).containsExactly(SyncSession.DUPLICATE);
        assertThat(dialed.established.get()).as("no handshake ran").isZero();
        blocked.onClosed();
    }

    @Test
    void aConnectionThatClosedWithoutAHelloReportsNoPeer() {
        peer = DefaultStarling.open(
                StarlingConfig.builder().appId(APP).build(),
                Path.of("memory"),
                new InMemoryStorage(),
                Clock.systemUTC());
        Recording dialed = new Recording();
        MessageChannel.Receiver into = peer.connect(dialed, ConnectionInfo.memory(true));
        into.onClosed();
        Await.until("the session ended", Duration.ofSeconds(20), () -> !dialed.ended.isEmpty());
        assertThat(dialed.reached.get()).isZero();
        assertThat(dialed.ended).containsExactly("connection closed");
    }

    /** Records what the engine tells a channel. */
    private static class Recording implements MessageChannel {
        final AtomicLong reached = new AtomicLong(), established = new AtomicLong();
        final List<String> ended = new CopyOnWriteArrayList<>();

        @Override
        public void send(byte[] message) {}

        @Override
        public void close() {}

        @Override
        public void established(long remotePeerId) {
            established.set(remotePeerId);
        }

        @Override
        public void reached(long claimedPeerId) {
            reached.set(claimedPeerId);
        }

        @Override
        public void sessionEnded(String reason) {
            ended.add(reason);
        }
    }
}
