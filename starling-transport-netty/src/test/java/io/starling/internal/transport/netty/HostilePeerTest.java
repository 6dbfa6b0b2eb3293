package io.starling.internal.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.Starling;
import io.starling.internal.sync.Message;
import io.starling.internal.sync.SessionConfig;
import io.starling.internal.sync.SyncSession;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Raw sockets that break the protocol in various ways: each is closed cleanly while a good peer keeps syncing
 * with the same listener.
 */
class HostilePeerTest extends NetworkTestBase {
    Starling server;
    Starling good;
    int port;
    int docs;

    @BeforeEach
    void goodPeerSyncing() {
        server = peer(c -> c.listen("127.0.0.1:0"));
        port = endpoint(server).port();
        good = peer(c -> c.connect(endpoint(server).toString()));
        subscribe(good, "c");
        insertAndAwait();
    }

    /** The good peer still gets what the server writes, and only its connection is left. */
    void insertAndAwait() {
        insert(server, "c", docs, 5);
        docs += 5;
        await("the good peer got " + docs + " documents", () -> count(good, "c") == docs);
    }

    void onlyTheGoodPeerLeft() {
        await("only the good connection left", () -> server.sync().metrics().connections() == 1);
        insertAndAwait();
        assertThat(peers(server)).isEqualTo(1);
    }

    @Test
    void garbageBytesAreAnsweredWithCloseMalformed() throws IOException {
        try (RawPeer raw = new RawPeer(port)) {
            byte[] garbage = "hello, this is not a sync frame\r\n".repeat(10).getBytes(StandardCharsets.US_ASCII);
            raw.send(garbage);
            assertThat(RawPeer.closeReason(RawPeer.messages(raw.readUntilClosed())))
                    .isEqualTo(SyncSession.MALFORMED);
        }
        onlyTheGoodPeerLeft();
    }

    @Test
    void anHttpRequestIsAnsweredInHttpWithTheReason() throws IOException {
        try (RawPeer raw = new RawPeer(port)) {
            byte[] http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(10).getBytes(StandardCharsets.US_ASCII);
            raw.send(http);
            String answer = new String(raw.readUntilClosed(), StandardCharsets.UTF_8);
            assertThat(answer)
                    .startsWith("HTTP/1.1 400 ")
                    .contains(ModeProbe.REASON_HEADER
                            + ": it is a TCP listener (dial it as HOST:PORT or tcp://HOST:PORT)");
        }
        onlyTheGoodPeerLeft();
    }

    @Test
    void aLengthVarintLongerThanFiveBytesClosesTheConnection() throws IOException {
        try (RawPeer raw = new RawPeer(port)) {
            raw.send(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x00});
            assertThat(RawPeer.closeReason(RawPeer.messages(raw.readUntilClosed())))
                    .isEqualTo(SyncSession.MALFORMED);
        }
        onlyTheGoodPeerLeft();
    }

    @Test
    void anOversizeFrameLengthIsRefusedBeforeItsBody() throws IOException {
        try (RawPeer raw = new RawPeer(port)) {
            raw.send(RawPeer.varint(1L << 30));
            assertThat(RawPeer.closeReason(RawPeer.messages(raw.readUntilClosed())))
                    .isEqualTo(SyncSession.OVERSIZE);
        }
        onlyTheGoodPeerLeft();
    }

    @Test
    void aTruncatedFrameThenCloseLeavesNothingBehind() throws IOException {
        try (RawPeer raw = new RawPeer(port)) {
            raw.send(RawPeer.varint(100)).send(new byte[10]);
        }
        onlyTheGoodPeerLeft();
    }

    @Test
    void aTricklingPeerIsClosed() throws Exception {
        try (RawPeer raw = new RawPeer(port)) {
            raw.send(RawPeer.varint(1000));
            Thread trickle = new Thread(
                    () -> {
                        try {
                            for (int i = 0; i < 200; i++) {
                                raw.send(new byte[] {1});
                                Thread.sleep(50); // the hostile peer's pace, not test synchronisation
                            }
                        } catch (IOException | InterruptedException closed) {
                            // the server hung up: expected
                        }
                    },
                    "trickler");
            trickle.setDaemon(true);
            trickle.start();
            long start = System.nanoTime();
            raw.readUntilClosed();
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(millis)
                    .as("closed after the partial-frame timeout, well before the trickle ends")
                    .isLessThan(8_000);
            trickle.interrupt();
        }
        onlyTheGoodPeerLeft();
    }

    @Test
    void aHelloOfAnotherAppIsClosedWithApp() throws IOException {
        try (RawPeer raw = new RawPeer(port)) {
            raw.send(new Message.Hello(SessionConfig.PROTOCOL_VERSION, "another-app", 42, 7, 0, 1 << 20, 0));
            assertThat(RawPeer.closeReason(RawPeer.messages(raw.readUntilClosed())))
                    .isEqualTo(SyncSession.APP);
        }
        onlyTheGoodPeerLeft();
    }

    @Test
    void aHelloOfAnotherProtocolVersionIsClosedWithVersion() throws IOException {
        try (RawPeer raw = new RawPeer(port)) {
            raw.send(new Message.Hello(SessionConfig.PROTOCOL_VERSION + 1, APP, 42, 7, 0, 1 << 20, 0));
            assertThat(RawPeer.closeReason(RawPeer.messages(raw.readUntilClosed())))
                    .isEqualTo(SyncSession.VERSION);
        }
        onlyTheGoodPeerLeft();
    }

    @Test
    void keepAlivesKeepAnIdleButHonestPeerConnected() throws IOException {
        try (RawPeer raw = new RawPeer(port)) {
            raw.send(new Message.Hello(SessionConfig.PROTOCOL_VERSION, APP, 42, 7, 0, 1 << 20, 0));
            await("the raw peer is a session", () -> peers(server) == 2);
            // the server sends keep-alive frames (empty) when it has nothing to say; they decode as nothing
            byte[] zero = {0};
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1200);
            while (System.nanoTime() < until) {
                raw.send(zero);
                holds("still connected", 200, () -> peers(server) == 2);
            }
        }
        onlyTheGoodPeerLeft();
    }

    @Test
    void aPeerThatGoesSilentIsClosedAfterTheReadTimeout() throws IOException {
        try (RawPeer raw = new RawPeer(port)) {
            raw.send(new Message.Hello(SessionConfig.PROTOCOL_VERSION, APP, 42, 7, 0, 1 << 20, 0));
            long start = System.nanoTime();
            raw.readUntilClosed(); // keep-alives arrive meanwhile; we never answer
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(1_500L, 10_000L);
        }
        onlyTheGoodPeerLeft();
    }
}
