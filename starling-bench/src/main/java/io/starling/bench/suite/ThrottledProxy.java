package io.starling.bench.suite;

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
 * A TCP relay on 127.0.0.1 (the idea of io.starling.bench.LoopbackProxy) that limits each direction to
 * {@code bytesPerSecond} with a token bucket (burst: 1/20 s of tokens, at least 2 KB), so two peers on one machine talk over a
 * Bluetooth-class link. Counts the bytes relayed each way; can cut the link and refuse connections until
 * released.
 */
final class ThrottledProxy implements AutoCloseable {
    private final ServerSocket server;
    private final InetSocketAddress target;
    private final long bytesPerSecond;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    final AtomicLong bytesToTarget = new AtomicLong(), bytesFromTarget = new AtomicLong();
    private volatile boolean held, closed;
    volatile long acceptedAt;

    ThrottledProxy(InetSocketAddress target, long bytesPerSecond) throws IOException {
        this.target = target;
        this.bytesPerSecond = bytesPerSecond;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::acceptLoop, "throttle-accept");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return server.getLocalPort();
    }

    void cut() {
        held = true;
        for (Socket s : sockets) closeQuietly(s);
        sockets.clear();
    }

    void release() {
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
                pump(in, out, bytesToTarget);
                pump(out, in, bytesFromTarget);
            } catch (IOException e) {
                if (!closed) System.err.println("throttled proxy: " + e);
            }
        }
    }

    /** Token bucket: a chunk may leave once the bucket holds its size; the bucket refills at the rate. */
    private void pump(Socket from, Socket to, AtomicLong counter) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[1024];
            double burst = Math.max(bytesPerSecond / 20.0, 2 * buf.length), tokens = burst;
            long last = System.nanoTime();
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    while (true) {
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
        }, "throttle-pump");
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
