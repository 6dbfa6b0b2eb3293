package io.starling.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a TCP load balancer in front of the nodes of one server does, on 127.0.0.1: each connection it accepts goes
 * to the first backend that accepts a connection, in the order given, and lives as long as both ends do (the
 * backend's death closes the device's side). Devices dial its one address; a node that dies is passed over. Threads:
 * one accepting, two per connection; {@link #close} stops them all and closes every socket.
 */
final class FailoverProxy implements AutoCloseable {
    private final ServerSocket listener;
    private final List<InetSocketAddress> backends;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final AtomicInteger[] forwarded;
    private volatile boolean closed;

    FailoverProxy(List<InetSocketAddress> backends) throws IOException {
        this.backends = List.copyOf(backends);
        this.forwarded = new AtomicInteger[backends.size()];
        for (int i = 0; i < forwarded.length; i++) forwarded[i] = new AtomicInteger();
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        start("failover-proxy-accept", this::accept);
    }

    /** {@code tcp://127.0.0.1:PORT}, the address devices dial. */
    String endpoint() {
        return "tcp://127.0.0.1:" + listener.getLocalPort();
    }

    /** How many connections went to backend {@code i}. */
    int forwardedTo(int i) {
        return forwarded[i].get();
    }

    private void start(String name, Runnable body) {
        Thread t = new Thread(
                () -> {
                    try {
                        body.run();
                    } finally {
                        threads.remove(Thread.currentThread());
                    }
                },
                name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    private void accept() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            sockets.add(client);
            Socket backend = null;
            for (int i = 0; i < backends.size() && backend == null; i++) {
                Socket s = new Socket();
                try {
                    s.connect(backends.get(i), 2_000);
                    sockets.add(s);
                    backend = s;
                    forwarded[i].incrementAndGet();
                } catch (IOException refused) {
                    closeQuietly(s); // this node is down: try the next
                }
            }
            if (backend == null) {
                closeQuietly(client);
                continue;
            }
            Socket b = backend;
            start("failover-proxy-up", () -> pipe(client, b));
            start("failover-proxy-down", () -> pipe(b, client));
        }
    }

    private void pipe(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream()) {
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException ended) {
            // either end went away: the connection is over
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void closeQuietly(Socket s) {
        sockets.remove(s);
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        listener.close();
        for (Socket s : List.copyOf(sockets)) closeQuietly(s);
        for (Thread t : List.copyOf(threads)) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
