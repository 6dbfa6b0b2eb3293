package io.starling.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP relay on 127.0.0.1 between a dialing peer and a listening one, so that a benchmark can cut the link and
 * let it come back while both peers keep running (a phone losing and finding its Wi-Fi), or slow it down to a
 * Bluetooth-class link. Counts the bytes it relays each way and notes when the last connection was accepted.
 * While held, new connections are accepted and closed at once.
 */
public final class LoopbackProxy implements AutoCloseable {
    private final ServerSocket server;
    private final InetSocketAddress target;
    private final long bytesPerSecond; // 0: unlimited
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicLong toTarget = new AtomicLong(), fromTarget = new AtomicLong();
    private volatile boolean held;
    private volatile long acceptedAt;
    private volatile boolean closed;

    /** An unlimited relay to {@code target}. */
    public LoopbackProxy(InetSocketAddress target) throws IOException {
        this(target, 0);
    }

    /**
     * A relay limiting each direction to {@code bytesPerSecond} with a token bucket (burst: 1/20 s of tokens, at
     * least 2 KB); 0 for no limit.
     */
    public LoopbackProxy(InetSocketAddress target, long bytesPerSecond) throws IOException {
        this.target = target;
        this.bytesPerSecond = bytesPerSecond;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::acceptLoop, "proxy-accept");
        t.setDaemon(true);
        t.start();
    }

    /** host:port to dial. */
    public String address() {
        return "127.0.0.1:" + port();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Bytes relayed both ways. */
    public long bytes() {
        return toTarget.get() + fromTarget.get();
    }

    /** Bytes relayed from the dialer to the target. */
    public long bytesToTarget() {
        return toTarget.get();
    }

    /** Bytes relayed from the target to the dialer. */
    public long bytesFromTarget() {
        return fromTarget.get();
    }

    /** System.nanoTime() of the last connection relayed. */
    public long acceptedAt() {
        return acceptedAt;
    }

    /** Cuts every relayed connection and refuses new ones until {@link #release()}. */
    public void cut() {
        held = true;
        for (Socket s : sockets) closeQuietly(s);
        sockets.clear();
    }

    public void release() {
        held = false;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket in = server.accept();
                if (held) {
                    closeQuietly(in);
                    continue;
                }
                Socket out = new Socket(target.getAddress(), target.getPort());
                in.setTcpNoDelay(true);
                out.setTcpNoDelay(true);
                sockets.add(in);
                sockets.add(out);
                acceptedAt = System.nanoTime();
                pump(in, out, toTarget);
                pump(out, in, fromTarget);
            } catch (IOException e) {
                if (!closed) System.err.println("proxy: " + e);
            }
        }
    }

    private void pump(Socket from, Socket to, AtomicLong counter) {
        Thread t = new Thread(
                () -> {
                    byte[] buf = new byte[bytesPerSecond > 0 ? 1024 : 64 << 10];
                    double burst = Math.max(bytesPerSecond / 20.0, 2 * buf.length), tokens = burst;
                    long last = System.nanoTime();
                    try (InputStream in = from.getInputStream();
                            OutputStream out = to.getOutputStream()) {
                        int n;
                        while ((n = in.read(buf)) >= 0) {
                            // token bucket: a chunk may leave once the bucket holds its size; it refills at the rate
                            while (bytesPerSecond > 0) {
                                long now = System.nanoTime();
                                tokens = Math.min(burst, tokens + (now - last) / 1e9 * bytesPerSecond);
                                last = now;
                                if (tokens >= n) break;
                                LockSupport.parkNanos((long) ((n - tokens) / bytesPerSecond * 1e9));
                            }
                            tokens -= n;
                            out.write(buf, 0, n);
                            out.flush();
                            counter.addAndGet(n);
                        }
                    } catch (IOException gone) {
                        // cut, or the peer closed
                    } finally {
                        closeQuietly(from);
                        closeQuietly(to);
                    }
                },
                "proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        cut();
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
