package io.starling.internal.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.starling.internal.net.NetworkHost;

/**
 * Counts the bytes that really cross the wire — below TLS, WebSocket and framing — and reports them to
 * {@link NetworkHost#recordBytes}. It sits at the head of every pipeline (next to the socket). Stateless, so one
 * instance serves every channel.
 */
@ChannelHandler.Sharable
final class WireByteCounter extends ChannelDuplexHandler {
    private final NetworkHost host;

    WireByteCounter(NetworkHost host) {
        this.host = host;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        long n = size(msg);
        if (n > 0) host.recordBytes(0, n);
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        long n = size(msg);
        if (n > 0) host.recordBytes(n, 0);
        ctx.write(msg, promise);
    }

    private static long size(Object msg) {
        if (msg instanceof ByteBuf b) return b.readableBytes();
        if (msg instanceof ByteBufHolder h) return h.content().readableBytes();
        return 0;
    }
}
