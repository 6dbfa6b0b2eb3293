package io.starling.internal.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * WebSocket framing: one binary WebSocket message per protocol message ({@code byte[]} in the pipeline). A pong (or an
 * empty binary message) is a sign of life, {@link Signal#KEEP_ALIVE}; an outbound {@link Signal#KEEP_ALIVE} is sent as
 * a ping. A text message breaks the protocol: the connection is closed with status 1008 (policy violation). Pings are
 * answered by Netty's protocol handler before they get here. One instance per channel.
 */
final class WebSocketCodec extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(WebSocketCodec.class);
    private boolean broken;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame frame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (broken) return;
            if (frame instanceof BinaryWebSocketFrame) {
                ByteBuf content = frame.content();
                if (!content.isReadable()) {
                    ctx.fireChannelRead(Signal.KEEP_ALIVE);
                    return;
                }
                byte[] bytes = new byte[content.readableBytes()];
                content.readBytes(bytes);
                ctx.fireChannelRead(bytes);
            } else if (frame instanceof PongWebSocketFrame || frame instanceof PingWebSocketFrame) {
                ctx.fireChannelRead(Signal.KEEP_ALIVE);
            } else if (frame instanceof TextWebSocketFrame) {
                broken = true;
                log.warn(
                        "closing the WebSocket connection with {}: a text message (only binary messages are allowed)",
                        ctx.channel().remoteAddress());
                ctx.writeAndFlush(
                                new CloseWebSocketFrame(WebSocketCloseStatus.POLICY_VIOLATION, "binary messages only"))
                        .addListener(ChannelFutureListener.CLOSE);
            } else if (frame instanceof CloseWebSocketFrame) {
                ctx.close(); // when the protocol handler does not answer close frames itself
            }
        } finally {
            ReferenceCountUtil.release(frame);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof byte[] message) {
            ctx.write(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(message)), promise);
        } else if (msg == Signal.KEEP_ALIVE) {
            ctx.write(new PingWebSocketFrame(), promise);
        } else {
            ctx.write(msg, promise);
        }
    }
}
