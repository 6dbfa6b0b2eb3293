package io.starling.soak;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/*
 * Design note — the fault-injecting relay.
 *
 * One relay per link of the soak's topology: a TCP listener on 127.0.0.1 that the dialling peer is configured to
 * connect to, forwarding every accepted connection to the listening peer's current address (retarget() after that
 * peer restarts on a new port; no target while it is down). The relay sees bytes only — TLS records — so it hurts a
 * connection the way a network does and never reads it.
 *
 *   dialler ──► [relay: accept ─► connect target]
 *                  TO_LISTENER:  reader thread ─► queue of chunks, each with a due time ─► writer thread ─► listener
 *                  TO_DIALLER:   reader thread ─► queue ─► writer thread ─► dialler
 *
 * Each direction has a reader (socket to queue) and a writer (queue to socket), so a delay holds chunks in the queue
 * until they are due: the writer waits on the queue's monitor for the head's due time (or for a change of the faults),
 * nothing sleeps. Faults, set by the soak from its seeded Random (the relay itself draws nothing):
 *
 *   delay(ms)            every chunk read from now on is due ms later; order is kept (never before its predecessor)
 *   stall(ms)            nothing is written on the link for ms (chunks pile up, the peers' read timeouts may fire)
 *   cut()                every open connection is reset (RST) at once; what was queued is lost
 *   refuse(ms)           for ms, accepted connections are reset at once, and the open ones are cut: a partition
 *   corrupt(dir, pos)    one byte of the next chunk written in that direction is flipped (TLS must refuse it)
 *   truncate(dir, pos)   the next chunk in that direction is written only in part, then the connection is closed
 *
 * heal() ends every timed fault and drops pending one-shot faults; connections already open keep flowing.
 * close() stops everything it started: the listener, every connection, every thread (joined with a deadline).
 */

/** A fault-injecting TCP relay for one link, on the loopback interface. Thread-safe. */
final class FaultyRelay implements AutoCloseable {
    /** The direction of bytes on a connection through the relay. */
    enum Direction {
        /** From the peer that dialled to the peer that listens. */
        TO_LISTENER,
        /** From the peer that listens back to the peer that dialled. */
        TO_DIALLER
    }

    /** What the relay did, for the run's figures and for tests. */
    record Stats(
            long connections,
            long refused,
            long bytesToListener,
            long bytesToDialler,
            long cuts,
            long corrupted,
            long truncated) {}

    private static final int CHUNK = 16 * 1024;
    /** A direction's queue holds at most this much before its reader stops reading (the sender feels backpressure). */
    private static final long MAX_QUEUED = 4L * 1024 * 1024;

    private static final long JOIN_MILLIS = 10_000;

    private final String name;
    private final ServerSocket server;
    private final Thread acceptor;
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private final List<Thread> threads = new ArrayList<>(); // guarded by this
    private volatile @Nullable InetSocketAddress target;
    private volatile boolean closed; // set under this monitor

    // faults, guarded by this
    private long delayNanos;
    private long stallUntil = Long.MIN_VALUE;
    private boolean stalled;
    private long refuseUntil = Long.MIN_VALUE;
    private boolean refusing;
    // the one-shot faults waiting for the next chunk in each direction: the position to flip or to cut at
    private final Map<Direction, Integer> corruptAt = new EnumMap<>(Direction.class);
    private final Map<Direction, Integer> truncateAt = new EnumMap<>(Direction.class);

    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong refusedCount = new AtomicLong();
    private final AtomicLong bytesToListener = new AtomicLong();
    private final AtomicLong bytesToDialler = new AtomicLong();
    private final AtomicLong cuts = new AtomicLong();
    private final AtomicLong corrupted = new AtomicLong();
    private final AtomicLong truncated = new AtomicLong();

    /** Starts listening on 127.0.0.1 (a free port) and forwarding to {@code target} (null: nowhere yet). */
    FaultyRelay(String name, @Nullable InetSocketAddress target) throws IOException {
        this.name = name;
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptLoop, "relay-" + name + "-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The address peers dial: 127.0.0.1 and the relay's port. */
    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }

    int port() {
        return server.getLocalPort();
    }

    String name() {
        return name;
    }

    /** Where new connections go from now on; null while the listening peer is down (connections are reset). */
    void retarget(@Nullable InetSocketAddress newTarget) {
        this.target = newTarget;
    }

    // ---- faults

    /** Every chunk read from now on is written {@code millis} later (0: no delay). */
    synchronized void delay(long millis) {
        delayNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(0, millis));
    }

    /** Nothing is written on the link for {@code millis}; then what piled up flows, in order. */
    void stall(long millis) {
        synchronized (this) {
            stallUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            stalled = true;
        }
        wakeAll();
    }

    /** Resets every open connection now. */
    void cut() {
        List<Connection> all = new ArrayList<>(open);
        if (!all.isEmpty()) cuts.incrementAndGet();
        for (Connection c : all) c.reset();
    }

    /** For {@code millis}, every connection is reset as it is accepted; the open ones are reset now. */
    void refuse(long millis) {
        synchronized (this) {
            refuseUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            refusing = true;
        }
        cut();
    }

    /** Flips one byte (at {@code position} modulo the chunk's length) of the next chunk written in {@code d}. */
    synchronized void corrupt(Direction d, int position) {
        corruptAt.put(d, Math.max(0, position));
    }

    /**
     * Writes only part of the next chunk in {@code d} ({@code position} modulo its length bytes), then closes that
     * connection.
     */
    synchronized void truncate(Direction d, int position) {
        truncateAt.put(d, Math.max(0, position));
    }

    /**
     * Ends every fault: no delay (what a delay holds is due now, in order), no stall, no refusal, no pending corruption
     * or truncation.
     */
    void heal() {
        synchronized (this) {
            delayNanos = 0;
            stalled = false;
            refusing = false;
            corruptAt.clear();
            truncateAt.clear();
        }
        for (Connection c : open) c.flush();
    }

    /** Whether some one-shot fault still waits for a chunk to apply to. */
    synchronized boolean hasPendingFaults() {
        return !corruptAt.isEmpty() || !truncateAt.isEmpty();
    }

    Stats stats() {
        return new Stats(
                connections.get(),
                refusedCount.get(),
                bytesToListener.get(),
                bytesToDialler.get(),
                cuts.get(),
                corrupted.get(),
                truncated.get());
    }

    /** The connections open through the relay now. */
    int openConnections() {
        return open.size();
    }

    /** Bytes read from one side and not yet written to the other (held by a delay or a stall), over all connections. */
    long queuedBytes() {
        long q = 0;
        for (Connection c : open) q += c.toListener.queued() + c.toDialler.queued();
        return q;
    }

    private synchronized boolean refusingNow() {
        if (refusing && System.nanoTime() - refuseUntil >= 0) refusing = false;
        return refusing;
    }

    /** Nanoseconds until the stall ends, or 0 when the link is not stalled. */
    private synchronized long stallLeft() {
        if (!stalled) return 0;
        long left = stallUntil - System.nanoTime();
        if (left <= 0) stalled = false;
        return Math.max(0, left);
    }

    private AtomicLong bytesTo(Direction d) {
        return switch (d) {
            case TO_LISTENER -> bytesToListener;
            case TO_DIALLER -> bytesToDialler;
        };
    }

    private synchronized long delayNanos() {
        return delayNanos;
    }

    private synchronized @Nullable Integer takeCorruption(Direction d) {
        return corruptAt.remove(d);
    }

    private synchronized @Nullable Integer takeTruncation(Direction d) {
        return truncateAt.remove(d);
    }

    /** Wakes every writer to look at the faults again. Never called holding the relay's monitor (lock order: a pipe's
     * monitor, then the relay's). */
    private void wakeAll() {
        for (Connection c : open) c.wake();
    }

    // ---- connections

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (closed) return;
                continue;
            }
            InetSocketAddress to = target;
            if (refusingNow() || to == null) {
                refusedCount.incrementAndGet();
                resetQuietly(client);
                continue;
            }
            Socket upstream = new Socket();
            try {
                upstream.connect(to, 2_000);
            } catch (IOException e) {
                // the listening peer is down or restarting: the dialler sees a reset and backs off
                refusedCount.incrementAndGet();
                resetQuietly(upstream);
                resetQuietly(client);
                continue;
            }
            connections.incrementAndGet();
            Connection c = new Connection(client, upstream);
            synchronized (this) { // close() sets closed under this monitor: no connection starts after it
                open.add(c);
                if (closed) c.reset();
                else c.start();
            }
        }
    }

    private synchronized void track(Thread t) {
        threads.removeIf(x -> x.getState() == Thread.State.TERMINATED);
        threads.add(t);
    }

    private static void resetQuietly(Socket s) {
        try {
            if (!s.isClosed()) {
                s.setSoLinger(true, 0); // close with RST, as a broken network would
            }
        } catch (IOException ignored) {
            // already broken: closing is all there is left to do
        }
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do: the socket is gone either way
        }
    }

    /** One connection through the relay: two sockets, two directions. */
    private final class Connection {
        final Socket dialler;
        final Socket listener;
        final Pipe toListener;
        final Pipe toDialler;
        private boolean done; // guarded by this Connection

        Connection(Socket dialler, Socket listener) {
            this.dialler = dialler;
            this.listener = listener;
            this.toListener = new Pipe(this, Direction.TO_LISTENER, dialler, listener);
            this.toDialler = new Pipe(this, Direction.TO_DIALLER, listener, dialler);
        }

        void start() {
            toListener.start();
            toDialler.start();
        }

        void wake() {
            toListener.wake();
            toDialler.wake();
        }

        void flush() {
            toListener.flush();
            toDialler.flush();
        }

        /** Both sockets closed with RST, queues dropped. */
        void reset() {
            end(true);
        }

        /** Both sockets closed normally (FIN), queues dropped. */
        void close() {
            end(false);
        }

        private void end(boolean rst) {
            synchronized (this) {
                if (done) return;
                done = true;
            }
            toListener.stop();
            toDialler.stop();
            if (rst) {
                resetQuietly(dialler);
                resetQuietly(listener);
            } else {
                closeQuietly(dialler);
                closeQuietly(listener);
            }
            open.remove(this);
        }

        /** A direction reached the end of its stream and wrote everything: ends the connection once both have. */
        void halfClosed() {
            if (toListener.finished() && toDialler.finished()) close();
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do: the socket is gone either way
        }
    }

    /** One direction of a connection: a reader thread fills the queue, a writer thread drains it when due. */
    private final class Pipe {
        final Connection connection;
        final Direction direction;
        final Socket from;
        final Socket to;
        // guarded by this Pipe
        private final ArrayDeque<Chunk> queue = new ArrayDeque<>();
        private long queuedBytes;
        private long lastDue = Long.MIN_VALUE;
        private boolean eof;
        private boolean stopped;
        private boolean finished;

        Pipe(Connection connection, Direction direction, Socket from, Socket to) {
            this.connection = connection;
            this.direction = direction;
            this.from = from;
            this.to = to;
        }

        void start() {
            String base = "relay-" + name + "-" + direction.name().toLowerCase(java.util.Locale.ROOT);
            Thread reader = new Thread(this::read, base + "-read");
            Thread writer = new Thread(this::write, base + "-write");
            reader.setDaemon(true);
            writer.setDaemon(true);
            track(reader);
            track(writer);
            reader.start();
            writer.start();
        }

        synchronized void wake() {
            notifyAll();
        }

        /** Makes every queued chunk due now (their order stays). */
        synchronized void flush() {
            long now = System.nanoTime();
            ArrayDeque<Chunk> due = new ArrayDeque<>();
            for (Chunk c : queue) due.add(new Chunk(c.data, now));
            queue.clear();
            queue.addAll(due);
            lastDue = now;
            notifyAll();
        }

        synchronized long queued() {
            return queuedBytes;
        }

        synchronized void stop() {
            stopped = true;
            queue.clear();
            queuedBytes = 0;
            notifyAll();
        }

        synchronized boolean finished() {
            return finished;
        }

        private void read() {
            byte[] buf = new byte[CHUNK];
            try {
                InputStream in = from.getInputStream();
                while (true) {
                    int n = in.read(buf);
                    if (n < 0) break;
                    if (!offer(Arrays.copyOf(buf, n))) return;
                }
                synchronized (this) {
                    eof = true;
                    notifyAll();
                }
            } catch (IOException e) {
                // reset by a peer, or by the relay (cut, refusal, close)
                connection.reset();
            }
        }

        /** Queues a chunk, due after the link's delay and never before its predecessor; false once stopped. */
        private synchronized boolean offer(byte[] data) {
            while (queuedBytes >= MAX_QUEUED && !stopped) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            if (stopped) return false;
            long due = System.nanoTime() + delayNanos();
            if (lastDue != Long.MIN_VALUE && due - lastDue < 0) due = lastDue;
            lastDue = due;
            queue.add(new Chunk(data, due));
            queuedBytes += data.length;
            notifyAll();
            return true;
        }

        /** The next chunk once it is due and the link is not stalled; null at the end of the stream or when stopped. */
        private synchronized @Nullable Chunk next() throws InterruptedException {
            while (true) {
                if (stopped) return null;
                Chunk head = queue.peek();
                if (head == null) {
                    if (eof) return null;
                    wait();
                    continue;
                }
                long wait = Math.max(head.due - System.nanoTime(), stallLeft());
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.timedWait(this, wait);
                    continue;
                }
                queue.poll();
                queuedBytes -= head.data.length;
                notifyAll();
                return head;
            }
        }

        private void write() {
            try {
                OutputStream out = to.getOutputStream();
                while (true) {
                    Chunk c = next();
                    if (c == null) break;
                    byte[] data = c.data;
                    Integer flip = takeCorruption(direction);
                    if (flip != null) {
                        data = data.clone();
                        int at = flip % data.length;
                        data[at] = (byte) (data[at] ^ (1 + flip % 255));
                        corrupted.incrementAndGet();
                    }
                    Integer cutAt = takeTruncation(direction);
                    if (cutAt != null) {
                        int keep = cutAt % data.length;
                        out.write(data, 0, keep);
                        out.flush();
                        bytesTo(direction).addAndGet(keep);
                        truncated.incrementAndGet();
                        connection.close();
                        return;
                    }
                    out.write(data);
                    out.flush();
                    bytesTo(direction).addAndGet(data.length);
                }
                boolean end;
                synchronized (this) {
                    end = eof && !stopped;
                    if (end) finished = true;
                }
                if (end) {
                    // the sender closed its side: pass the half-close on, as TCP would
                    to.shutdownOutput();
                    connection.halfClosed();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                connection.reset();
            } catch (SocketException e) {
                connection.reset();
            } catch (IOException e) {
                connection.reset();
            }
        }
    }

    private record Chunk(byte[] data, long due) {}

    /** Stops listening, resets every connection and waits (bounded) for every thread the relay started. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Connection c : new ArrayList<>(open)) c.reset();
        List<Thread> all;
        synchronized (this) {
            all = new ArrayList<>(threads);
        }
        all.add(0, acceptor);
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(JOIN_MILLIS);
        for (Thread t : all) {
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Whether every thread the relay started has ended (after {@link #close}). */
    boolean stopped() {
        if (acceptor.isAlive()) return false;
        synchronized (this) {
            for (Thread t : threads) if (t.isAlive()) return false;
        }
        return true;
    }

    @Override
    public String toString() {
        return "relay " + name + " (127.0.0.1:" + port() + " -> " + target + ")";
    }
}
