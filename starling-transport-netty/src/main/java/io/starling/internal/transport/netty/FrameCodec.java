package io.starling.internal.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.starling.internal.sync.FrameDecoder;
import io.starling.internal.sync.FrameEncoder;
import io.starling.internal.sync.Message;
import io.starling.internal.sync.WireCodec;
import io.starling.internal.sync.WireException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TCP framing (docs/SYNC-PROTOCOL.md, "Framing"): inbound bytes become whole messages ({@code byte[]}) through
 * {@link FrameDecoder}; an empty frame is a keep-alive and becomes {@link Signal#KEEP_ALIVE}. Outbound messages get
 * their varint length prefix; {@link Signal#KEEP_ALIVE} is written as an empty frame (one zero byte).
 *
 * <p>A framing error (a length above the maximum, a malformed length) is logged at WARN, answered with a CLOSE message
 * when possible, and closes the connection; nothing read after it is delivered. The codec also remembers since when an
 * incomplete frame is pending, so that {@link ConnectionHandler} can close a peer that trickles bytes. One instance per
 * channel; used on its event loop only.
 */
final class FrameCodec extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(FrameCodec.class);
    private static final byte[] KEEP_ALIVE_FRAME = {0};

    private final FrameDecoder decoder;
    private boolean broken;
    private long partialSince; // System.nanoTime() when the pending partial frame started, 0 when none

    FrameCodec(int maxFrameBytes) {
        this.decoder = new FrameDecoder(maxFrameBytes);
    }

    /** When the incomplete frame now pending started ({@link System#nanoTime()}), or 0 when there is none. */
    long partialSince() {
        return partialSince;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (broken) {
            buf.release();
            return;
        }
        List<byte[]> frames;
        try {
            byte[] bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
            frames = decoder.feed(bytes);
        } catch (WireException e) {
            broken = true;
            partialSince = 0;
            log.warn(
                    "closing the connection with {}: {} ({})",
                    ctx.channel().remoteAddress(),
                    e.getMessage(),
                    e.reason());
            byte[] close =
                    FrameEncoder.frame(WireCodec.encode(new Message.Close(e.reason(), String.valueOf(e.getMessage()))));
            ctx.writeAndFlush(ctx.alloc().buffer(close.length).writeBytes(close))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        } finally {
            buf.release();
        }
        if (decoder.isAtFrameBoundary()) {
            partialSince = 0;
        } else if (partialSince == 0 || !frames.isEmpty()) {
            partialSince = System.nanoTime(); // a new frame started
        }
        for (byte[] frame : frames) {
            if (broken || !ctx.channel().isActive()) return;
            ctx.fireChannelRead(frame.length == 0 ? Signal.KEEP_ALIVE : frame);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof byte[] message) {
            ByteBuf out = ctx.alloc().buffer(message.length + 5);
            writeVarInt(out, message.length);
            out.writeBytes(message);
            ctx.write(out, promise);
        } else if (msg == Signal.KEEP_ALIVE) {
            ctx.write(ctx.alloc().buffer(1).writeBytes(KEEP_ALIVE_FRAME), promise);
        } else {
            ctx.write(msg, promise);
        }
    }

    private static void writeVarInt(ByteBuf out, int v) {
        while ((v & ~0x7f) != 0) {
            out.writeByte((v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out.writeByte(v);
    }
}
