package io.starling.internal.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.Identity;
import io.starling.Starling;
import io.starling.internal.sync.FrameEncoder;
import io.starling.internal.sync.Message;
import io.starling.internal.sync.SessionConfig;
import io.starling.internal.sync.SyncSession;
import io.starling.transport.SharedKeys;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Both sides of a refused connection say why, in plain words, naming the other side's address and what to check:
 * another shared key, a playground peer and a shared-key peer (both ways, TCP and WebSocket), another app id,
 * another protocol version, the wrong transport. The listener logs {@code refused a connection from ADDRESS: WHY};
 * the dialler {@code cannot sync with ADDRESS: WHY} when it found the reason itself, or {@code ADDRESS refused this
 * peer: WHY} when the listener told it.
 */
class RefusalReasonTest extends NetworkTestBase {
    LogCapture logs;

    @BeforeEach
    void capture() {
        logs = new LogCapture();
    }

    @AfterEach
    void release() {
        logs.close();
    }

    Identity newKey(String name) {
        Path file = tmp.resolve(name + ".key");
        SharedKeys.generate(file);
        return Identity.sharedKey(file);
    }

    static String fingerprint(Identity key) {
        return SharedKeys.describe(key.keyFile());
    }

    @Test
    void anotherSharedKey() {
        Identity mine = newKey("mine");
        Identity theirs = newKey("theirs");
        Starling a = listener(mine, "tcp");
        String address = "127.0.0.1:" + endpoint(a).port();
        Starling b = peer(c -> c.identity(theirs).connect(address));

        logs.await(
                "refused a connection from 127.0.0.1:",
                "it holds a different shared key",
                "check --shared-key on both sides",
                fingerprint(mine));
        logs.await("cannot sync with tcp://" + address + ": it holds a different shared key", fingerprint(theirs));
        assertThat(peers(a)).isZero();
        assertThat(b.sync().metrics().connectionsRefused()).isPositive();
    }

    @Test
    void aPlaygroundPeerDiallingASharedKeyPeerOverTcp() {
        Identity key = newKey("app");
        Starling a = listener(key, "tcp");
        String address = "127.0.0.1:" + endpoint(a).port();
        Starling open = peer(c -> c.connect(address));

        logs.await(
                "refused a connection from 127.0.0.1:",
                "it runs in playground mode, without a shared key, and this peer requires one",
                fingerprint(key));
        // the listener answered in plain bytes: the playground dialler read its CLOSE
        logs.await(address + " refused this peer: it requires a shared key and this peer runs in playground mode");
        assertThat(peers(open)).isZero();
    }

    @Test
    void aPlaygroundPeerDiallingASharedKeyPeerOverWebSocket() {
        Starling a = listener(newKey("app"), "ws");
        Starling open = peer(c -> c.connect(endpoint(a).toString()));

        logs.await("refused a connection from 127.0.0.1:", "it runs in playground mode");
        // the listener answered with an HTTP 403 that carries the reason
        logs.await(endpoint(a) + " refused this peer: it requires a shared key and this peer runs in playground mode");
        assertThat(peers(open)).isZero();
    }

    @Test
    void aSharedKeyPeerDiallingAPlaygroundPeer() {
        for (String scheme : new String[] {"tcp", "ws"}) {
            Starling a = peer(c -> c.listen(scheme + "://127.0.0.1:0"));
            Starling b = peer(
                    c -> c.identity(newKey("key-" + scheme)).connect(endpoint(a).toString()));
            String dialled = endpoint(a).toString();

            logs.await(
                    "refused a connection from 127.0.0.1:",
                    "it holds a shared key (it speaks TLS) and this peer runs in playground mode");
            logs.await("cannot sync with " + dialled + ": it runs in playground mode, without a shared key,"
                    + " and this peer holds one");
            assertThat(peers(a)).isZero();
            assertThat(peers(b)).isZero();
            close(b);
            close(a);
        }
    }

    @Test
    void anotherAppId() {
        Starling a = peer(c -> c.appId("default").listen("127.0.0.1:0"));
        String address = "127.0.0.1:" + endpoint(a).port();
        peer(c -> c.appId("com.example.tasks").connect(address));

        logs.await(
                "refused a connection from 127.0.0.1:",
                "it is a peer of app 'com.example.tasks' and this peer is of app 'default'",
                "check --app or STARLING_APP_ID on both sides");
        logs.await("cannot sync with " + address + ": it is a peer of app 'default' and this peer is of app"
                + " 'com.example.tasks'");
        assertThat(logs.lines()).noneMatch(l -> l.contains("app app"));
        assertThat(peers(a)).isZero();
    }

    @Test
    void anotherProtocolVersionWhenAccepting() throws IOException {
        Starling a = peer(c -> c.listen("127.0.0.1:0"));
        try (RawPeer raw = new RawPeer(endpoint(a).port())) {
            raw.send(new Message.Hello(99, APP, 0x1234, 1, 0, 1 << 20, 0));
            assertThat(RawPeer.closeReason(RawPeer.messages(raw.readUntilClosed())))
                    .isEqualTo(SyncSession.VERSION);
        }
        logs.await(
                "refused a connection from 127.0.0.1:",
                "it speaks sync protocol version 99 and this peer speaks version " + SessionConfig.PROTOCOL_VERSION);
    }

    @Test
    void anotherProtocolVersionWhenDialling() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            // a listener of a future version: says HELLO, then reads until the dialler closes
            CompletableFuture<Void> listener = CompletableFuture.runAsync(() -> {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(15_000);
                    s.getOutputStream().write(FrameEncoder.frame(new Message.Hello(99, APP, 0x5678, 1, 0, 1 << 20, 0)));
                    InputStream in = s.getInputStream();
                    while (in.read() >= 0) {
                        // drain
                    }
                } catch (IOException e) {
                    // closed
                }
            });
            String address = "127.0.0.1:" + server.getLocalPort();
            peer(c -> c.connect(address));
            logs.await(
                    "cannot sync with " + address + ": it speaks sync protocol version 99 and this peer speaks version "
                            + SessionConfig.PROTOCOL_VERSION,
                    "upgrade the older one");
            listener.get(20, TimeUnit.SECONDS);
        }
    }

    @Test
    void theWrongTransport() {
        Starling ws = peer(c -> c.listen("ws://127.0.0.1:0"));
        String wsAddress = "127.0.0.1:" + endpoint(ws).port();
        peer(c -> c.connect("tcp://" + wsAddress));
        logs.await(
                "refused a connection from 127.0.0.1:",
                "it speaks the TCP sync protocol and this address is a" + " WebSocket listener");
        logs.await(wsAddress + " refused this peer: it is a WebSocket listener (dial it as ws://HOST:PORT/PATH)");

        Starling tcp = peer(c -> c.listen("127.0.0.1:0"));
        String tcpAddress = "127.0.0.1:" + endpoint(tcp).port();
        peer(c -> c.connect("ws://" + tcpAddress));
        logs.await("refused a connection from 127.0.0.1:", "it speaks WebSocket and this address is a TCP listener");
        logs.await("ws://" + tcpAddress + "/sync refused this peer: it is a TCP listener");
    }

    @Test
    void aFloodOfRefusedConnectionsIsOneLineThenACount() throws IOException {
        Starling a = listener(newKey("app"), "tcp");
        int port = endpoint(a).port();
        int flood = 40;
        for (int i = 0; i < flood; i++) {
            // plain bytes at a TLS listener: the probe refuses each one, as it would a scan or a script gone wrong
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setSoTimeout(15_000);
                s.getOutputStream().write("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                while (in.read() >= 0) {
                    // read the refusal until the listener closes
                }
            } catch (SocketException reset) {
                // closed with a reset: refused all the same
            }
        }
        io.starling.testsupport.Await.until(
                "every connection counted as refused",
                java.time.Duration.ofSeconds(20),
                () -> a.sync().metrics().connectionsRefused() >= flood);
        // one full line for the episode; the rest are counted and summed up when the window ends
        assertThat(logs.lines().stream().filter(l -> l.contains("refused a connection from 127.0.0.1:")))
                .hasSize(1);
        close(a); // closing writes the count of the open window
        long counted = logs.lines().stream()
                .map(l -> java.util.regex.Pattern.compile("… and ([0-9,]+) more like it in the last")
                        .matcher(l))
                .filter(java.util.regex.Matcher::find)
                .mapToLong(m -> Long.parseLong(m.group(1).replace(",", "")))
                .sum();
        assertThat(counted).isEqualTo(flood - 1);
    }
}
