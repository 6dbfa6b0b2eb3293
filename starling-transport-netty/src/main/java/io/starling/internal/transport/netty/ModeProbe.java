package io.starling.internal.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.starling.internal.sync.FrameEncoder;
import io.starling.internal.sync.Message;
import io.starling.internal.sync.SyncSession;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * The first handler of an incoming connection: it looks at the first bytes the remote sends and refuses, in words
 * both sides can read, a remote that speaks another identity mode or another transport than this listener — the
 * usual mistakes when peers are set up by hand:
 *
 * <ul>
 *   <li>a playground peer (no shared key, plain bytes) dialling a shared-key listener: answered, in plain bytes the
 *       dialler can read, with a {@code CLOSE} ({@code unauthenticated}) over TCP or an HTTP 403 over WebSocket,
 *       both carrying the reason;
 *   <li>a shared-key peer (a TLS ClientHello) dialling a playground listener: answered with plain bytes, which its
 *       TLS layer reports as "not TLS", so it says why on its side too;
 *   <li>a WebSocket client on a TCP listener and the reverse (playground only; under TLS the bytes are hidden).
 * </ul>
 *
 * <p>The listener's side is logged by {@link ConnectionHandler}, which receives a {@link Refused} event. Anything
 * that fits goes on unchanged and the probe leaves the pipeline. One instance per channel; event loop only.
 */
final class ModeProbe extends ChannelInboundHandlerAdapter {
    /** The header of the HTTP refusal that carries the reason (read by {@link ConnectionHandler} on the dialler). */
    static final String REASON_HEADER = "Starling-Refusal";
    /** Bytes needed to tell TLS, HTTP and a sync frame apart. */
    private static final int NEEDED = 4;

    /** Tells {@link ConnectionHandler} that the probe refused the connection, and why (for the listener's log). */
    record Refused(String reason) {}

    /**
     * Tells {@link ConnectionHandler} that the remote fits, just before its first bytes follow: a plain TCP listener
     * starts the session (and sends its HELLO) only then, so that a refusal is never preceded by sync bytes the
     * remote would misread.
     */
    static final Object PASSED = new Object() {
        @Override
        public String toString() {
            return "ModeProbe.PASSED";
        }
    };

    private enum Speaks {
        TLS,
        HTTP,
        FRAMES
    }

    private final boolean tls;
    private final boolean webSocket;
    private final @Nullable String fingerprint; // of this peer's shared key, or null in playground
    private @Nullable ByteBuf head; // the first bytes, while fewer than NEEDED have come

    ModeProbe(boolean tls, boolean webSocket, @Nullable String fingerprint) {
        this.tls = tls;
        this.webSocket = webSocket;
        this.fingerprint = fingerprint;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (head == null) {
            head = in;
        } else {
            ByteBuf joined = ctx.alloc().buffer(head.readableBytes() + in.readableBytes());
            joined.writeBytes(head).writeBytes(in);
            head.release();
            in.release();
            head = joined;
        }
        if (head.readableBytes() < NEEDED) return; // wait for more
        ByteBuf first = head;
        head = null;
        Speaks speaks = classify(first);
        String refusal = refusal(speaks);
        if (refusal == null) {
            ctx.pipeline().remove(this);
            ctx.fireUserEventTriggered(PASSED);
            ctx.fireChannelRead(first);
            return;
        }
        first.release();
        ctx.fireUserEventTriggered(new Refused(refusal));
        ctx.writeAndFlush(reply(speaks)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (head != null) {
            head.release();
            head = null;
        }
        ctx.fireChannelInactive();
    }

    private static Speaks classify(ByteBuf b) {
        int i = b.readerIndex();
        // a TLS record: content type 22 (handshake), version 3.x
        if (b.getUnsignedByte(i) == 0x16 && b.getUnsignedByte(i + 1) == 0x03 && b.getUnsignedByte(i + 2) <= 0x04) {
            return Speaks.TLS;
        }
        if (b.getUnsignedByte(i) == 'G'
                && b.getUnsignedByte(i + 1) == 'E'
                && b.getUnsignedByte(i + 2) == 'T'
                && b.getUnsignedByte(i + 3) == ' ') {
            return Speaks.HTTP;
        }
        return Speaks.FRAMES; // a sync frame starts with the length of a HELLO (type 1), never 0x16 0x03
    }

    /** Why the remote does not fit this listener (as the listener logs it), or null when it fits. */
    private @Nullable String refusal(Speaks speaks) {
        if (tls) {
            if (speaks == Speaks.TLS) return null;
            return "it runs in playground mode, without a shared key, and this peer requires one (start it with"
                    + " --shared-key and the same key file as this peer's, fingerprint " + fingerprint + ")";
        }
        if (speaks == Speaks.TLS) {
            return "it holds a shared key (it speaks TLS) and this peer runs in playground mode, without one (give"
                    + " both peers the same --shared-key file, or neither)";
        }
        if (webSocket && speaks == Speaks.FRAMES) {
            return "it speaks the TCP sync protocol and this address is a WebSocket listener (dial it as"
                    + " ws://HOST:PORT/PATH)";
        }
        if (!webSocket && speaks == Speaks.HTTP) {
            return "it speaks WebSocket and this address is a TCP listener (dial it as HOST:PORT or tcp://HOST:PORT)";
        }
        return null;
    }

    /**
     * What the dialler is told, in the bytes it reads: a CLOSE to a sync-frame speaker, an HTTP error to a WebSocket
     * client, plain bytes to a TLS client (its TLS layer then reports a peer that does not speak TLS). The reason
     * is worded for the dialler's log: "ADDRESS refused this peer: REASON".
     */
    private ByteBuf reply(Speaks speaks) {
        String reason;
        if (tls) {
            reason = "it requires a shared key and this peer runs in playground mode, without one (give both peers"
                    + " the same --shared-key file)";
        } else if (speaks == Speaks.TLS) {
            reason = "it runs in playground mode, without a shared key";
        } else if (webSocket) {
            reason = "it is a WebSocket listener (dial it as ws://HOST:PORT/PATH)";
        } else {
            reason = "it is a TCP listener (dial it as HOST:PORT or tcp://HOST:PORT)";
        }
        boolean http = webSocket ? speaks != Speaks.FRAMES : speaks == Speaks.HTTP;
        if (!http) {
            String code = tls ? SyncSession.UNAUTHENTICATED : SyncSession.MALFORMED;
            return Unpooled.wrappedBuffer(FrameEncoder.frame(new Message.Close(code, reason)));
        }
        String body = reason + "\n";
        String status = tls ? "403 Forbidden" : "400 Bad Request";
        String response = "HTTP/1.1 " + status + "\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + REASON_HEADER + ": " + reason + "\r\n"
                + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n"
                + "Connection: close\r\n\r\n"
                + body;
        return Unpooled.copiedBuffer(response, StandardCharsets.UTF_8);
    }
}
