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

/**
 * A TCP relay on 127.0.0.1 between a dialing peer and a listening one, so that a benchmark can cut the link and
 * let it come back while both peer processes keep running (a phone losing and finding its Wi-Fi). Counts the
 * bytes it relays and notes when the last connection was accepted. While held, new connections are accepted
 * and closed at once.
 */
final class LoopbackProxy implements AutoCloseable {
    private final ServerSocket server;
    private final InetSocketAddress target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicLong bytes = new AtomicLong();
    private volatile boolean held;
    private volatile long acceptedAt;
    private volatile boolean closed;

    LoopbackProxy(InetSocketAddress target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::acceptLoop, "proxy-accept");
        t.setDaemon(true);
        t.start();
    }

    /** host:port to dial. */
    String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    long bytes() {
        return bytes.get();
    }

    /** System.nanoTime() of the last connection relayed. */
    long acceptedAt() {
        return acceptedAt;
    }

    /** Cuts every relayed connection and refuses new ones until {@link #release()}. */
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
                pump(in, out);
                pump(out, in);
            } catch (IOException e) {
                if (!closed) System.err.println("proxy: " + e);
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[64 << 10];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    bytes.addAndGet(n);
                }
            } catch (IOException gone) {
                // cut, or the peer closed
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "proxy-pump");
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
