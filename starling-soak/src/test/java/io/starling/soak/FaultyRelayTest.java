package io.starling.soak;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.testsupport.Await;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each fault of the relay does what it says, on plain sockets: an echo server behind the relay records what reached
 * it, and the client reads what came back. Nothing here waits for a guessed time: a held byte is observed in the
 * relay's queue, a release by what arrives.
 */
class FaultyRelayTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private ServerSocket server;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    /** Bytes each accepted connection received, in order of acceptance. */
    private final List<ByteArrayOutputStream> received = new CopyOnWriteArrayList<>();

    private final ConcurrentHashMap<Integer, Boolean> ended = new ConcurrentHashMap<>();
    private final List<Thread> threads = new ArrayList<>();
    private FaultyRelay relay;

    @BeforeEach
    void echoServer() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(
                () -> {
                    while (true) {
                        Socket s;
                        try {
                            s = server.accept();
                        } catch (IOException e) {
                            return;
                        }
                        sockets.add(s);
                        ByteArrayOutputStream got = new ByteArrayOutputStream();
                        int index = received.size();
                        received.add(got);
                        Thread echo = new Thread(() -> echo(s, got, index), "echo-" + index);
                        echo.setDaemon(true);
                        echo.start();
                    }
                },
                "echo-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        threads.add(acceptor);
        relay = new FaultyRelay("test", new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()));
    }

    private void echo(Socket s, ByteArrayOutputStream got, int index) {
        byte[] buf = new byte[8192];
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            for (int n; (n = in.read(buf)) >= 0; ) {
                synchronized (got) {
                    got.write(buf, 0, n);
                }
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // reset: the end of this connection
        } finally {
            ended.put(index, true);
        }
    }

    @AfterEach
    void close() throws IOException {
        relay.close();
        assertThat(relay.stopped()).as("every thread of the relay ended").isTrue();
        assertThat(Thread.getAllStackTraces().keySet())
                .as("no relay thread left")
                .noneMatch(t -> t.getName().startsWith("relay-test"));
        server.close();
        for (Socket s : sockets) s.close();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(relay.address(), 5_000);
        s.setSoTimeout((int) WAIT.toMillis());
        sockets.add(s);
        return s;
    }

    private static byte[] readExactly(Socket s, int n) throws IOException {
        byte[] out = s.getInputStream().readNBytes(n);
        assertThat(out).as("bytes read back before the end of the stream").hasSize(n);
        return out;
    }

    /** What the server received on its {@code connection}-th connection (nothing, before it accepted it). */
    private byte[] receivedBy(int connection) {
        if (connection >= received.size()) return new byte[0];
        ByteArrayOutputStream got = received.get(connection);
        synchronized (got) {
            return got.toByteArray();
        }
    }

    @Test
    void relaysBothWaysInOrder() throws IOException {
        byte[] data = new byte[300_000];
        new Random(1).nextBytes(data);
        try (Socket s = connect()) {
            Thread writer = new Thread(() -> {
                try {
                    s.getOutputStream().write(data);
                    s.getOutputStream().flush();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            writer.start();
            assertThat(readExactly(s, data.length)).isEqualTo(data);
        }
        // the counters move after each write returns: the echo may come back first
        Await.until(
                "the relay counted every byte both ways",
                WAIT,
                () -> relay.stats().bytesToListener() == data.length
                        && relay.stats().bytesToDialler() == data.length,
                relay::stats);
        assertThat(relay.stats().connections()).isEqualTo(1);
    }

    @Test
    void aHalfCloseIsPassedOn() throws IOException {
        try (Socket s = connect()) {
            s.getOutputStream().write("bye".getBytes());
            s.shutdownOutput();
            assertThat(readExactly(s, 3)).isEqualTo("bye".getBytes());
            assertThat(s.getInputStream().read())
                    .as("the server closed after our half-close")
                    .isEqualTo(-1);
        }
        Await.until("the connection through the relay ends", WAIT, () -> relay.openConnections() == 0);
    }

    @Test
    void aStallHoldsBytesUntilItIsHealed() throws IOException {
        try (Socket s = connect()) {
            readBack(s, "a");
            relay.stall(600_000);
            s.getOutputStream().write("bcd".getBytes());
            Await.until(
                    "the relay holds the 3 bytes",
                    WAIT,
                    () -> relay.queuedBytes() == 3,
                    () -> relay.queuedBytes() + " queued, " + relay.stats());
            assertThat(receivedBy(0)).as("what the server has").isEqualTo("a".getBytes());
            relay.heal();
            assertThat(readExactly(s, 3)).isEqualTo("bcd".getBytes());
        }
    }

    private static void readBack(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes());
        assertThat(readExactly(s, text.length())).isEqualTo(text.getBytes());
    }

    @Test
    void aDelayHoldsBytesAndKeepsTheirOrder() throws IOException {
        try (Socket s = connect()) {
            relay.delay(600_000);
            s.getOutputStream().write("x".getBytes());
            Await.until("the relay holds x", WAIT, () -> relay.queuedBytes() == 1);
            relay.delay(0); // y is not delayed, but may not overtake x
            s.getOutputStream().write("y".getBytes());
            Await.until("the relay holds x and y", WAIT, () -> relay.queuedBytes() == 2);
            assertThat(receivedBy(0)).isEmpty();
            relay.heal();
            assertThat(readExactly(s, 2)).isEqualTo("xy".getBytes());
            relay.delay(20);
            readBack(s, "short delays pass");
        }
    }

    @Test
    void aCutResetsEveryOpenConnection() throws IOException {
        Socket a = connect();
        Socket b = connect();
        readBack(a, "1");
        readBack(b, "2");
        relay.cut();
        assertEnded(a);
        assertEnded(b);
        Await.until("both server sides ended", WAIT, () -> ended.size() == 2);
        assertThat(relay.stats().cuts()).isEqualTo(1);
        assertThat(relay.openConnections()).isZero();
        readBack(connect(), "a new connection works");
    }

    /** A new connection to the relay is reset: while connecting, or as its first read. */
    private void assertRefused() {
        Socket s = new Socket();
        sockets.add(s);
        try {
            s.connect(relay.address(), 5_000);
            s.setSoTimeout((int) WAIT.toMillis());
        } catch (IOException reset) {
            assertThat(reset).hasMessageContaining("reset");
            return;
        }
        assertEnded(s);
    }

    /** The stream of {@code s} ends, by a reset or an end of stream, with nothing more read. */
    private static void assertEnded(Socket s) {
        try {
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        } catch (IOException reset) {
            assertThat(reset).hasMessageContaining("reset");
        }
    }

    @Test
    void aRefusalResetsNewConnectionsUntilItIsHealed() throws IOException {
        Socket open = connect();
        readBack(open, "before");
        relay.refuse(600_000);
        assertEnded(open);
        assertRefused();
        assertThat(relay.stats().refused()).isEqualTo(1);
        relay.heal();
        readBack(connect(), "after");
    }

    @Test
    void aCorruptionFlipsExactlyOneByteOfTheNextChunk() throws IOException {
        byte[] data = new byte[100];
        Arrays.fill(data, (byte) 7);
        try (Socket s = connect()) {
            readBack(s, "ok");
            relay.corrupt(FaultyRelay.Direction.TO_LISTENER, 1234);
            s.getOutputStream().write(data);
            byte[] back = readExactly(s, data.length);
            int differ = 0;
            for (int i = 0; i < data.length; i++) if (back[i] != data[i]) differ++;
            assertThat(differ).as("bytes changed").isEqualTo(1);
            assertThat(relay.hasPendingFaults()).isFalse();
            assertThat(relay.stats().corrupted()).isEqualTo(1);
            readBack(s, "only once");
        }
    }

    @Test
    void aTruncationWritesAPrefixThenClosesTheConnection() throws IOException {
        byte[] data = new byte[1000];
        new Random(2).nextBytes(data);
        try (Socket s = connect()) {
            readBack(s, "ok");
            relay.truncate(FaultyRelay.Direction.TO_LISTENER, 1_000_003);
            s.getOutputStream().write(data);
            Await.until("the server's side ended", WAIT, () -> ended.containsKey(0));
            byte[] got = receivedBy(0);
            assertThat(got.length).as("bytes that reached the server").isLessThan(2 + data.length);
            assertThat(Arrays.copyOfRange(got, 0, 2)).isEqualTo("ok".getBytes());
            assertThat(Arrays.copyOfRange(got, 2, got.length)).isEqualTo(Arrays.copyOfRange(data, 0, got.length - 2));
            assertThat(relay.stats().truncated()).isEqualTo(1);
        }
    }

    @Test
    void withoutATargetConnectionsAreResetAndARetargetRestoresThem() throws IOException {
        relay.retarget(null);
        assertRefused();
        relay.retarget(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()));
        readBack(connect(), "back");
        assertThat(relay.stats().refused()).isEqualTo(1);
    }
}
