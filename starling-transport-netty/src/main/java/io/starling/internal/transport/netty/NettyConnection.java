package io.starling.internal.transport.netty;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.AttributeKey;
import io.starling.internal.net.MessageChannel;
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
     * @param remotePeerId the peer of the established session, or 0 when none was established
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
        channel.writeAndFlush(message);
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
