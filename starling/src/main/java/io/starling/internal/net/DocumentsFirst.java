package io.starling.internal.net;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/*
 * Design note — documents first on one connection.
 *
 * A connection carries two kinds of traffic: the session's document messages (HELLO, BATCH, DOCS, ACK, … and the
 * small attachment control messages) and attachment chunks. A document change must never wait behind attachment
 * bytes beyond a small, fixed amount, whatever the link's speed. Two mechanisms keep it so:
 *
 *  - the fetcher's credit (BlobFetch) bounds the chunks in flight between the two peers, and shrinks to one chunk on a
 *    slow link, so the bytes already in the kernel's buffers and on the wire are at most about a quarter of a second
 *    of the link;
 *  - this queue, on the sending side: a chunk goes to the transport only when no document message is being written
 *    and fewer than `bulkBytes` of chunks are in the transport's own buffer (written, not yet on the socket); the
 *    rest wait here, in order, and a document message sent meanwhile goes straight to the transport, ahead of them.
 *
 * The class decides, the transport does the writing (NettyConnection: on its event loop, which also keeps the
 * released chunks in order). No I/O, no clock.
 */

/**
 * The rule that lets document messages overtake attachment chunks queued on one connection. Thread-safe (every method
 * is synchronized); the transport calls {@link #documentStarted()} before it writes a document message and
 * {@link #documentWritten()} when the write is done (or failed), {@link #offerBulk} for each chunk, and writes what
 * {@link #releasable()} returns, in order, calling {@link #bulkWritten} for each when its write is done (or failed).
 */
public final class DocumentsFirst {
    private final int bulkBytes;
    private final ArrayDeque<byte[]> queued = new ArrayDeque<>();
    private int documentsInTransport;
    private long bulkInTransport;

    /**
     * @param bulkBytes how many bytes of chunks the transport may hold (written, not yet on the socket) at once; at
     *     least one chunk is always released when none is held
     */
    public DocumentsFirst(int bulkBytes) {
        if (bulkBytes < 1) throw new IllegalArgumentException("bulkBytes " + bulkBytes + " < 1");
        this.bulkBytes = bulkBytes;
    }

    /** A document message is about to be written: chunks wait until it is. */
    public synchronized void documentStarted() {
        documentsInTransport++;
    }

    /** A document message's write is done (or failed). */
    public synchronized void documentWritten() {
        if (documentsInTransport > 0) documentsInTransport--;
    }

    /** Queues a chunk behind the chunks queued before it. */
    public synchronized void offerBulk(byte[] message) {
        queued.addLast(message);
    }

    /**
     * The chunks the transport may write now, in order, each counted as held by the transport until
     * {@link #bulkWritten}: none while a document message is being written; otherwise as many as fit {@code bulkBytes}
     * (at least one when the transport holds none).
     */
    public synchronized List<byte[]> releasable() {
        List<byte[]> out = new ArrayList<>();
        if (documentsInTransport > 0) return out;
        while (!queued.isEmpty()) {
            byte[] next = queued.peekFirst();
            if (bulkInTransport > 0 && bulkInTransport + next.length > bulkBytes) break;
            queued.pollFirst();
            bulkInTransport += next.length;
            out.add(next);
        }
        return out;
    }

    /** A chunk of {@code length} bytes that {@link #releasable()} gave out is written (or its write failed). */
    public synchronized void bulkWritten(int length) {
        bulkInTransport = Math.max(0, bulkInTransport - length);
    }

    /** Chunks waiting here. */
    public synchronized int queued() {
        return queued.size();
    }

    /** Forgets the chunks waiting (the connection is gone). */
    public synchronized void clear() {
        queued.clear();
    }
}
