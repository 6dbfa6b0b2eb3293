package io.starling.cli;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/*
 * Design note — streaming an upload.
 *
 * The connection's event loop hands each piece of the body to offer(); the blob store reads them on an upload thread
 * through read(), writing and hashing as it goes. Between the two sits a queue of at most HIGH_WATER bytes: when it
 * fills, the connection stops reading from the socket (autoRead off), so TCP's window pushes back on the client; when
 * the store has drained it to LOW_WATER, reading resumes. Memory per upload is so bounded by HIGH_WATER plus one
 * socket read (at most 64 KiB), whatever the body's size, and the body is never read faster than the disk writes.
 *
 * The body ends with end() (the last piece came) or fail() (the connection closed, the body was malformed or over the
 * limit): read() then throws, and the store deletes its temporary files, so a cut upload leaves nothing.
 */

/**
 * The body of one streamed upload, as an {@link InputStream} for the blob store. {@link #offer}, {@link #end} and
 * {@link #fail} are called by the connection's event loop; {@code read} by one upload thread, which it blocks until
 * bytes come. Thread-safe in that sense.
 */
final class UploadBody extends InputStream {
    /** Bytes queued before the connection stops reading. */
    static final int HIGH_WATER = 256 * 1024;
    /** Bytes queued when the connection reads again. */
    static final int LOW_WATER = 64 * 1024;

    private final Channel channel;
    private final Runnable progress;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private long queued;
    private long received;
    private byte @Nullable [] current;
    private int position;
    private boolean ended;
    private boolean paused;
    private @Nullable String failure;

    /**
     * @param channel the connection, whose reading is paused while the queue is full
     * @param progress called (on the upload thread) whenever the store takes bytes, so the connection's timer knows
     *     that a stall is the disk's, not the client's
     */
    UploadBody(Channel channel, Runnable progress) {
        this.channel = channel;
        this.progress = progress;
    }

    /** A piece of the body arrived. Copied; the caller keeps (and releases) {@code content}. */
    void offer(ByteBuf content) {
        if (!content.isReadable()) return;
        byte[] bytes = ByteBufUtil.getBytes(content);
        lock.lock();
        try {
            if (failure != null || ended) return;
            queue.add(bytes);
            queued += bytes.length;
            received += bytes.length;
            if (queued >= HIGH_WATER && !paused) {
                paused = true;
                channel.config().setAutoRead(false);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The last piece of the body arrived. */
    void end() {
        lock.lock();
        try {
            ended = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The body will not arrive whole: {@code read} throws with {@code reason}; what is queued is dropped. */
    void fail(String reason) {
        lock.lock();
        try {
            if (failure != null) return;
            failure = reason;
            queue.clear();
            queued = 0;
            current = null;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** True once the last piece came (the connection is then free to answer and go on). */
    boolean ended() {
        lock.lock();
        try {
            return ended && failure == null;
        } finally {
            lock.unlock();
        }
    }

    /** True once {@link #fail} was called. */
    boolean failed() {
        lock.lock();
        try {
            return failure != null;
        } finally {
            lock.unlock();
        }
    }

    /** Bytes of the body received so far. */
    long received() {
        lock.lock();
        try {
            return received;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) return 0;
        int n;
        boolean took = false;
        lock.lock();
        try {
            byte[] c = current;
            while (c == null || position == c.length) {
                if (failure != null) throw new IOException(failure);
                byte[] next = queue.poll();
                if (next != null) {
                    c = current = next;
                    position = 0;
                    queued -= next.length;
                    took = true;
                    if (paused && queued <= LOW_WATER && !ended) {
                        paused = false;
                        channel.config().setAutoRead(true);
                    }
                    break;
                }
                if (ended) return -1;
                try {
                    changed.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for the upload's body");
                }
                c = current;
            }
            if (failure != null) throw new IOException(failure);
            n = Math.min(len, c.length - position);
            System.arraycopy(c, position, b, off, n);
            position += n;
        } finally {
            lock.unlock();
        }
        if (took) progress.run();
        return n;
    }
}
