package io.starling.internal.transport.netty;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.AttributeKey;
import io.starling.internal.net.DocumentsFirst;
import io.starling.internal.net.MessageChannel;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One connection as the engine sees it ({@link MessageChannel}), plus what a dialer needs to know once it is over:
 * whether a session got established, with which peer, and why it ended ({@link Outcome}). Thread-safe: the engine
 * calls in from its sync thread, the pipeline from the channel's event loop.
 */
final class NettyConnection implements MessageChannel {

    /**
     * How a connection ended.
     *
     * @param remotePeerId the peer of the established session; when none was established, the peer the remote's
     *     HELLO claimed to be if the connection closed before the handshake ran ({@link #reached}), else 0
     * @param established whether a sync session got established
     * @param reason the session's close reason ({@code duplicate}, {@code self}, ...), or null when the transport
     *     closed before or without one (refused, broken)
     * @param refused whether the connection was refused before its session started (TLS, limit, upgrade)
     */
    record Outcome(
            long remotePeerId,
            boolean established,
            @Nullable String reason,
            boolean refused) {}

    /** Where a channel keeps its connection. */
    static final AttributeKey<NettyConnection> KEY = AttributeKey.valueOf(NettyConnection.class, "connection");

    private final Channel channel;
    private final boolean webSocket;
    private final Consumer<Outcome> onFinished;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicBoolean finished = new AtomicBoolean();
    private volatile boolean attached;
    private volatile boolean upgraded;
    private volatile boolean transportClosed;
    private volatile boolean refused;
    private volatile long remotePeerId;
    private volatile boolean established;
    private volatile @Nullable String endReason;
    private volatile boolean sessionEnded;
    /** Attachment chunks held back behind document messages (documents first). */
    private final DocumentsFirst outbox = new DocumentsFirst(BULK_BYTES);
    /** Event loop only: a drain runs (a write completing inside it asks for another round instead of recursing). */
    private boolean draining;

    private boolean drainAgain;

    /** Chunk bytes the channel may hold unwritten at once: two 8 KiB chunks. */
    static final int BULK_BYTES = 16 * 1024;

    /** @param onFinished called once, on any thread, when the connection is closed and its session (if any) ended */
    NettyConnection(Channel channel, boolean webSocket, Consumer<Outcome> onFinished) {
        this.channel = channel;
        this.webSocket = webSocket;
        this.onFinished = onFinished;
        channel.attr(KEY).set(this);
    }

    /** True once a session runs on this connection (the engine will close it when the instance closes). */
    boolean isAttached() {
        return attached;
    }

    @Override
    public void send(byte[] message) {
        outbox.documentStarted();
        channel.writeAndFlush(message).addListener(f -> {
            outbox.documentWritten();
            drain();
        });
    }

    /** Queues an attachment chunk; it goes to the socket once no document message is being written (documents first). */
    @Override
    public void sendBulk(byte[] message) {
        outbox.offerBulk(message);
        if (!channel.isActive()) {
            outbox.clear();
            return;
        }
        EventLoop loop = channel.eventLoop();
        if (loop.inEventLoop()) drain();
        else loop.execute(this::drain);
    }

    /** Writes the chunks the queue releases, in order. On the event loop only (which keeps them in order). */
    private void drain() {
        if (draining) {
            drainAgain = true;
            return;
        }
        draining = true;
        try {
            do {
                drainAgain = false;
                if (!channel.isActive()) {
                    outbox.clear();
                    return;
                }
                List<byte[]> ready = outbox.releasable();
                for (byte[] m : ready) {
                    int length = m.length;
                    channel.write(m).addListener(f -> {
                        outbox.bulkWritten(length);
                        drain();
                    });
                }
                if (!ready.isEmpty()) channel.flush();
            } while (drainAgain);
        } finally {
            draining = false;
        }
    }

    /** Flushes what is queued, then closes (a WebSocket with a normal close frame). Idempotent. */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) return;
        Object last = webSocket && upgraded
                ? new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE)
                : Unpooled.EMPTY_BUFFER;
        channel.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void established(long remotePeerId) {
        this.remotePeerId = remotePeerId;
        this.established = true;
    }

    @Override
    public void reached(long claimedPeerId) {
        if (!established) this.remotePeerId = claimedPeerId;
    }

    @Override
    public void sessionEnded(String reason) {
        endReason = reason;
        sessionEnded = true;
        maybeFinish();
    }

    // ---- called by the pipeline

    void attached() {
        attached = true;
    }

    void upgraded() {
        upgraded = true;
    }

    void refused() {
        refused = true;
    }

    void transportClosed() {
        transportClosed = true;
        maybeFinish();
    }

    private void maybeFinish() {
        // the engine reports the end of an attached session after the transport said closed, or before (a CLOSE)
        if (!transportClosed || (attached && !sessionEnded)) return;
        if (!finished.compareAndSet(false, true)) return;
        onFinished.accept(new Outcome(remotePeerId, established, endReason, refused));
    }
}
