package io.starling.internal.transport.netty;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.starling.internal.net.ConnectionInfo;
import io.starling.internal.net.MessageChannel;
import io.starling.internal.net.RefusalLog;
import io.starling.internal.net.RemoteIdentity;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Design note — one connection from socket to session.
 *
 * The pipelines (built by Pipelines) look like this, socket at the top:
 *
 *     socket
 *       |  WireByteCounter        bytes that cross the wire (metrics)
 *       |  ModeProbe              incoming only: refuses, with a reason the dialler can read, a remote that
 *       |                         speaks another identity mode (TLS or not) or transport (HTTP or frames)
 *       |  SslHandler             shared-key mode only: TLS 1.3, mutual auth
 *       |  FrameCodec             tcp: varint-length frames <-> byte[]
 *       |  -- or --
 *       |  Http codec + aggregator + WebSocket protocol handler + frame aggregator + WebSocketCodec
 *       v  ConnectionHandler      this class: lifecycle, timers, refusals, the engine
 *
 * A connection goes through: active -> secured (TLS handshake done; at once in playground) -> ready (attached to
 * the engine) -> closed. "Ready" is reached when:
 *  - tcp, incoming with TLS, or outgoing in playground: as soon as it is secured;
 *  - tcp, incoming in playground: when the client's first bytes passed ModeProbe, so that a client refused for
 *    speaking TLS or HTTP reads the refusal and not our HELLO first;
 *  - tcp, outgoing with TLS: when the server's first bytes arrive. In TLS 1.3 the client finishes its handshake
 *    before the server has checked the client's certificate, so a server that refuses us is only visible as an
 *    alert read afterwards; waiting for the server's HELLO keeps every refusal before the engine sees a session;
 *  - websocket: when the upgrade completed (on the client, the server's 101 answer proves the same).
 * Everything runs on the channel's event loop, so the engine's receiver gets onMessage calls one at a time and in
 * order, and onClosed last. One ticker per connection checks the timers: secured-but-not-ready, keep-alive after
 * a quiet write side, read timeout, and a partial frame pending too long (a trickling peer).
 */

/** Lifecycle, timers and refusals of one connection, and its bridge to the engine. One instance per channel. */
final class ConnectionHandler extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(ConnectionHandler.class);

    private final NettyNetwork network;
    private final NettyConnection connection;
    private final boolean webSocket;
    private final boolean outgoing;
    private final boolean tls;
    private final @Nullable String target; // what was dialed, for logs; null for incoming
    private final @Nullable FrameCodec frames; // null for websocket

    private String remote = "?";
    private long authenticatedPeerId;
    private @Nullable RemoteIdentity remoteIdentity; // online mode: the verified device certificate
    private long securedAt; // System.nanoTime() when secured; 0 before
    private long lastRead;
    private long lastWrite;
    private boolean awaitingFirstData; // tls tcp client: attach on the server's first message
    private boolean refusedLogged;
    private boolean closingLogged;
    private MessageChannel.@Nullable Receiver receiver;
    private @Nullable ScheduledFuture<?> ticker;

    ConnectionHandler(
            NettyNetwork network,
            NettyConnection connection,
            boolean webSocket,
            boolean outgoing,
            boolean tls,
            @Nullable String target,
            @Nullable FrameCodec frames) {
        this.network = network;
        this.connection = connection;
        this.webSocket = webSocket;
        this.outgoing = outgoing;
        this.tls = tls;
        this.target = target;
        this.frames = frames;
    }

    // ---- lifecycle

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        remote = address(ctx.channel().remoteAddress());
        long now = System.nanoTime();
        lastRead = now;
        lastWrite = now;
        long tick = network.settings().tick().toMillis();
        ticker = ctx.executor().scheduleAtFixedRate(() -> tick(ctx), tick, tick, TimeUnit.MILLISECONDS);
        if (!tls) secured(ctx);
        ctx.fireChannelActive();
    }

    private void secured(ChannelHandlerContext ctx) {
        securedAt = System.nanoTime();
        if (webSocket) return; // ready when the upgrade completes
        if (tls && outgoing) awaitingFirstData = true;
        else if (!tls && !outgoing) return; // ready when the probe has seen the remote's first bytes
        else attach(ctx);
    }

    private void attach(ChannelHandlerContext ctx) {
        if (receiver != null || !ctx.channel().isActive()) return;
        awaitingFirstData = false;
        lastRead = System.nanoTime();
        ConnectionInfo info = new ConnectionInfo(
                webSocket ? "websocket" : "tcp", remote, outgoing, authenticatedPeerId, remoteIdentity);
        try {
            receiver = network.host().attach(connection, info);
            connection.attached(); // after: a failed attach leaves no session to wait for
        } catch (RuntimeException e) { // the instance is closing
            log.debug("connection {} {} not attached: {}", outgoing ? "to" : "from", who(), e.toString());
            refusedLogged = true; // nothing to report: this side is going away
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (ticker != null) ticker.cancel(false);
        if (receiver != null) {
            receiver.onClosed();
        } else if (tls && outgoing && securedAt != 0 && !refusedLogged && !network.isClosed()) {
            refuse(
                    ctx,
                    network.tls() instanceof OnlineTls
                            ? "it closed the connection right after the TLS handshake; it may have refused this peer's"
                                    + " certificate" + ownKey()
                            : "it closed the connection right after the TLS handshake; it may hold a different shared"
                                    + " key" + ownKey());
        } else if (!refusedLogged) {
            log.debug("connection {} {} closed before a session started", outgoing ? "to" : "from", who());
        }
        connection.transportClosed();
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (done.isSuccess()) {
                try {
                    SslHandler ssl = ctx.pipeline().get(SslHandler.class);
                    PeerTls peerTls = java.util.Objects.requireNonNull(network.tls(), "TLS is on");
                    PeerTls.Remote authenticated =
                            peerTls.authenticate(ssl.engine().getSession());
                    authenticatedPeerId = authenticated.peerId();
                    remoteIdentity = authenticated.identity();
                    secured(ctx);
                } catch (SSLPeerUnverifiedException e) {
                    refuse(ctx, "TLS: " + e.getMessage());
                }
            } else {
                refuse(ctx, tlsFailure(done.cause()));
            }
        } else if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            connection.upgraded();
            attach(ctx);
        } else if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            connection.upgraded();
            attach(ctx);
        } else if (evt == ModeProbe.PASSED) {
            if (!tls && !webSocket) attach(ctx);
        } else if (evt instanceof ModeProbe.Refused refused) {
            // the probe refused an incoming connection (a playground session may already be attached: log anyway)
            refusedLogged = true;
            connection.refused();
            logIncomingRefusal(RefusalLog.kindOf(refused.reason()), refused.reason());
            network.host().recordRefused(refused.reason());
        } else if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
            refuse(
                    ctx,
                    "WebSocket upgrade not completed within "
                            + network.settings().upgradeTimeout().toMillis() + " ms");
        }
        ctx.fireUserEventTriggered(evt);
    }

    // ---- data

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof byte[] message) {
            lastRead = System.nanoTime();
            if (awaitingFirstData) attach(ctx);
            if (receiver != null) receiver.onMessage(message);
        } else if (msg == Signal.KEEP_ALIVE) {
            lastRead = System.nanoTime();
        } else if (msg instanceof FullHttpRequest request) {
            notFound(ctx, request); // the WebSocket handler passes on requests for other paths
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        lastWrite = System.nanoTime();
        ctx.write(msg, promise);
    }

    private void notFound(ChannelHandlerContext ctx, FullHttpRequest request) {
        String uri = request.uri();
        request.release();
        FullHttpResponse response = new DefaultFullHttpResponse(
                request.protocolVersion(),
                HttpResponseStatus.NOT_FOUND,
                Unpooled.copiedBuffer("not found\n", StandardCharsets.US_ASCII));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
        response.headers()
                .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        refusedLogged = true;
        String reason = "no WebSocket endpoint at " + sanitize(uri) + " (404)";
        logIncomingRefusal("no WebSocket endpoint", reason);
        network.host().recordRefused(reason);
        connection.refused();
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    // ---- timers

    private void tick(ChannelHandlerContext ctx) {
        if (!ctx.channel().isActive()) return;
        NetSettings s = network.settings();
        long now = System.nanoTime();
        if (receiver == null) {
            if (securedAt != 0 && now - securedAt > s.upgradeTimeout().toNanos()) {
                refuse(
                        ctx,
                        webSocket
                                ? "WebSocket upgrade not completed within "
                                        + s.upgradeTimeout().toMillis() + " ms"
                                : "no data from the peer within "
                                        + s.upgradeTimeout().toMillis() + " ms"
                                        + (tls ? " after the TLS handshake" : ""));
            }
            return;
        }
        long partial = frames == null ? 0 : frames.partialSince();
        if (partial != 0 && now - partial > s.partialFrameTimeout().toNanos()) {
            closeWithWarning(
                    ctx,
                    "an incomplete frame was pending for more than "
                            + s.partialFrameTimeout().toMillis() + " ms (a peer trickling bytes?)");
        } else if (now - lastRead > s.readTimeout().toNanos()) {
            closeWithWarning(ctx, "nothing read for " + s.readTimeout().toMillis() + " ms");
        } else if (now - lastWrite >= s.keepAlive().toNanos()) {
            lastWrite = now;
            ctx.writeAndFlush(Signal.KEEP_ALIVE);
        }
    }

    // ---- failures

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (receiver == null && root instanceof SSLException) {
            refuse(ctx, tlsFailure(root));
        } else if (root instanceof WebSocketClientHandshakeException e) {
            String why = e.response() != null ? e.response().headers().get(ModeProbe.REASON_HEADER) : null;
            if (why != null) refuseByRemote(ctx, sanitize(why, 500));
            else refuse(ctx, "the WebSocket upgrade failed: " + root.getMessage());
        } else if (root instanceof SSLException) {
            closeWithWarning(ctx, "TLS error: " + root.getMessage());
        } else if (root instanceof IOException) {
            log.debug("connection {} {}: {}", outgoing ? "to" : "from", who(), root.toString());
            ctx.close();
        } else {
            closeWithWarning(ctx, root.toString());
        }
    }

    /**
     * Refuses a connection before its session started, for a reason found on this side: one WARN ({@code cannot
     * sync with ADDRESS: REASON} when dialling, {@code refused a connection from ADDRESS: REASON} when accepting),
     * counted by the host.
     */
    private void refuse(ChannelHandlerContext ctx, String reason) {
        if (!refusedLogged && receiver == null) {
            refusedLogged = true;
            connection.refused();
            if (outgoing) log.warn("cannot sync with {}: {}", who(), reason);
            else logIncomingRefusal(RefusalLog.kindOf(reason), reason);
            network.host().recordRefused(reason);
        }
        ctx.close();
    }

    /**
     * {@code refused a connection from ADDRESS: WHY}, at a rate: anyone who reaches the port can open connections
     * that fail, so the first of a kind is logged in full and the rest are counted per window (a dialler's own
     * refusals need no such care: its backoff paces them).
     */
    private void logIncomingRefusal(String kind, String reason) {
        network.refusals().refusedWithLine(kind, "refused a connection from " + remote + ": " + reason);
    }

    /** The remote refused this dialler and said why: {@code ADDRESS refused this peer: REASON}. */
    private void refuseByRemote(ChannelHandlerContext ctx, String reason) {
        if (!refusedLogged && receiver == null) {
            refusedLogged = true;
            connection.refused();
            log.warn("{} refused this peer: {}", who(), reason);
            network.host().recordRefused(reason);
        }
        ctx.close();
    }

    private void closeWithWarning(ChannelHandlerContext ctx, String reason) {
        if (!closingLogged && !refusedLogged) {
            closingLogged = true;
            log.warn("closing the connection {} {}: {}", outgoing ? "to" : "from", who(), reason);
        }
        ctx.close();
    }

    /**
     * Why a TLS handshake failed, in plain words: the remote does not speak TLS (a playground peer), or holds
     * another shared key (its certificate does not chain to ours, or it rejected ours), or the raw TLS message.
     */
    private String tlsFailure(Throwable cause) {
        Throwable t = cause;
        while (t.getCause() != null && t.getCause() != t && (t.getMessage() == null || t instanceof DecoderException)) {
            t = t.getCause();
        }
        if (t instanceof NotSslRecordException) {
            return outgoing
                    ? "it runs in playground mode, without a shared key, and this peer holds one (give both peers the"
                            + " same --shared-key file, or neither)"
                    : "it does not speak TLS (a peer in playground mode?) and this peer requires its shared key";
        }
        String refusedCertificate = refusedCertificate(cause);
        if (refusedCertificate != null) return "its certificate is refused: " + refusedCertificate;
        if (notItsKey(cause)) {
            return "its TLS handshake signature does not verify with its certificate's key: it presents a certificate"
                    + " whose private key it does not hold";
        }
        if (differentKey(cause)) {
            return network.tls() instanceof OnlineTls
                    ? "it refused this peer's certificate (" + alert(cause) + "): it trusts another authority, this"
                            + " peer's certificate is not valid by its clock, or it holds a revocation list that revokes"
                            + " this peer's user or device" + ownKey()
                    : "it holds a different shared key" + ownKey();
        }
        if (network.tls() instanceof OnlineTls) {
            // the remote's refusal reaches this side as a bare alert (TLS carries no reason), or as the failure to
            // read the records that follow it; the remote's own log says why
            String alert = alert(cause);
            return alert.isEmpty()
                    ? "the TLS handshake failed (" + t.getMessage() + "); the remote may have refused this peer's"
                            + " certificate" + ownKey()
                    : "it refused this peer's TLS handshake (" + alert + ")" + ownKey();
        }
        for (Throwable c = cause; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof java.nio.channels.ClosedChannelException) {
                return "the connection closed during the TLS handshake (the peer stopped?)";
            }
        }
        return "TLS handshake failed: " + (t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
    }

    /** What to check when the keys differ, with this peer's key fingerprint to compare. */
    private String ownKey() {
        PeerTls identity = network.tls();
        return identity != null ? identity.checkAdvice() : "";
    }

    /** This peer's own verification refused the remote's certificate: why (the host's words), or null. */
    private static @Nullable String refusedCertificate(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof OnlineTls.RefusedCertificate r) return r.getMessage();
        }
        return null;
    }

    /** The JDK refused the remote's CertificateVerify: the remote signed with another key than its certificate's. */
    private static boolean notItsKey(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage();
            if (m != null && m.contains("CertificateVerify") && !m.contains("alert")) return true;
        }
        return false;
    }

    /** The TLS alert the remote sent, as the JDK words it ("Received fatal alert: bad_certificate"), or "". */
    private static String alert(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage();
            if (m != null && m.contains("alert")) return m;
        }
        return "";
    }

    /**
     * True when a handshake failed over certificates: ours did not verify the remote's chain (PKIX), or the remote
     * rejected ours with an alert. With certificates signed by the app's shared key, that means another key.
     */
    private static boolean differentKey(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.security.cert.CertPathValidatorException
                    || t instanceof java.security.cert.CertPathBuilderException) {
                return true;
            }
            String m = t.getMessage();
            if (m != null
                    && (m.contains("certificate_unknown")
                            || m.contains("bad_certificate")
                            || m.contains("unknown_ca")
                            || m.contains("PKIX path"))) {
                return true;
            }
        }
        return false;
    }

    /** What was dialled, with the address it resolved to when that is not already plain in it. */
    private String who() {
        if (target == null) return remote;
        return target.contains(remote) ? target : target + " (" + remote + ")";
    }

    static String address(SocketAddress address) {
        if (address instanceof InetSocketAddress a) {
            String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
        }
        return String.valueOf(address);
    }

    private static String sanitize(String uri) {
        return sanitize(uri, 100);
    }

    /** Text from the remote, fit for a log line: printable ASCII, at most {@code max} characters. */
    private static String sanitize(String text, int max) {
        String s = text.length() > max ? text.substring(0, max) + "..." : text;
        return s.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
