package io.starling.internal.transport.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.starling.Endpoint;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Builds the pipeline of each connection (the diagram is in {@link ConnectionHandler}'s design note). Incoming
 * connections over the limit are closed here, before any handler is added.
 */
final class Pipelines {
    /** The largest HTTP upgrade request or response accepted. */
    static final int MAX_UPGRADE_BYTES = 16 * 1024;

    private final NettyNetwork network;

    Pipelines(NettyNetwork network) {
        this.network = network;
    }

    /** Accepts connections on a listener of {@code endpoint}'s scheme and path. */
    ChannelInitializer<SocketChannel> server(Endpoint endpoint) {
        boolean webSocket = endpoint.scheme() == Endpoint.Scheme.WS;
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ConnectionRegistry registry = network.registry();
                if (network.isClosed()) {
                    ch.close();
                    return;
                }
                if (!registry.tryAdd(ch)) {
                    String reason = "connection limit of " + registry.max() + " reached";
                    network.refusals()
                            .refused(
                                    "connection limit",
                                    "a connection from " + ConnectionHandler.address(ch.remoteAddress()) + ": "
                                            + reason);
                    network.host().recordRefused(reason);
                    ch.close();
                    return;
                }
                PeerTls tls = network.tls();
                SslContext context = tls == null ? null : tls.serverContext();
                if (tls != null && context == null) {
                    network.refusals()
                            .refusedWithLine(
                                    "no valid device certificate",
                                    "refused a connection from " + ConnectionHandler.address(ch.remoteAddress()) + ": "
                                            + tls.unavailable());
                    network.host().recordRefused(tls.unavailable());
                    ch.close();
                    return;
                }
                NettyConnection connection = new NettyConnection(ch, webSocket, outcome -> {});
                ChannelPipeline p = ch.pipeline();
                p.addLast("bytes", network.byteCounter());
                p.addLast("probe", new ModeProbe(tls != null, webSocket, tls != null ? tls.fingerprint() : null));
                if (context != null) p.addLast("tls", sslHandler(context.newHandler(ch.alloc())));
                FrameCodec frames = messages(
                        p,
                        webSocket ? new HttpServerCodec() : null,
                        () -> new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                                .websocketPath(endpoint.path())
                                .checkStartsWith(false)
                                .maxFramePayloadLength(network.maxFrameBytes())
                                .handshakeTimeoutMillis(
                                        network.settings().upgradeTimeout().toMillis())
                                .dropPongFrames(false)
                                .build()));
                p.addLast(
                        "connection",
                        new ConnectionHandler(network, connection, webSocket, false, tls != null, null, frames));
            }
        };
    }

    /**
     * The message layer: length-prefixed frames on a stream (returned, for the trickle timer), or — when
     * {@code httpCodec} is given — HTTP for the upgrade, then one binary WebSocket message per protocol message.
     */
    private @Nullable FrameCodec messages(
            ChannelPipeline p,
            @Nullable ChannelHandler httpCodec,
            java.util.function.Supplier<ChannelHandler> webSocketProtocol) {
        if (httpCodec == null) {
            FrameCodec frames = new FrameCodec(network.maxFrameBytes());
            p.addLast("frames", frames);
            return frames;
        }
        p.addLast("http", httpCodec);
        p.addLast("http-aggregator", new HttpObjectAggregator(MAX_UPGRADE_BYTES));
        p.addLast("websocket", webSocketProtocol.get());
        p.addLast("websocket-aggregator", new WebSocketFrameAggregator(network.maxFrameBytes()));
        p.addLast("messages", new WebSocketCodec());
        return null;
    }

    /**
     * Dials {@code endpoint}: the channel joins the registry when it connects (closed at once if the limit was reached
     * meanwhile). {@code onFinished} gets how the connection ended, if it connected (a failed connect is reported by
     * the connect future only).
     */
    ChannelInitializer<Channel> client(Endpoint endpoint, Consumer<NettyConnection.Outcome> onFinished) {
        boolean webSocket = endpoint.scheme() == Endpoint.Scheme.WS;
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                NettyConnection connection = new NettyConnection(ch, webSocket, onFinished);
                ChannelPipeline p = ch.pipeline();
                PeerTls tls = network.tls();
                SslContext context = tls == null ? null : tls.clientContext();
                if (tls != null && context == null) {
                    network.refusals()
                            .refusedWithLine(
                                    "no valid device certificate",
                                    "cannot sync with " + endpoint + ": " + tls.unavailable());
                    network.host().recordRefused(tls.unavailable());
                    ch.close();
                    return;
                }
                p.addLast("limit", new OutgoingLimit(network.registry(), endpoint.toString()));
                p.addLast("bytes", network.byteCounter());
                if (context != null) {
                    p.addLast("tls", sslHandler(context.newHandler(ch.alloc(), endpoint.host(), endpoint.port())));
                }
                FrameCodec frames = messages(
                        p,
                        webSocket ? new HttpClientCodec() : null,
                        () -> new WebSocketClientProtocolHandler(WebSocketClientProtocolConfig.newBuilder()
                                .webSocketUri(uri(endpoint))
                                .maxFramePayloadLength(network.maxFrameBytes())
                                .handshakeTimeoutMillis(
                                        network.settings().upgradeTimeout().toMillis())
                                .dropPongFrames(false)
                                .build()));
                p.addLast(
                        "connection",
                        new ConnectionHandler(
                                network, connection, webSocket, true, tls != null, endpoint.toString(), frames));
            }
        };
    }

    private SslHandler sslHandler(SslHandler handler) {
        handler.setHandshakeTimeoutMillis(network.settings().handshakeTimeout().toMillis());
        handler.setCloseNotifyFlushTimeoutMillis(1000);
        return handler;
    }

    static URI uri(Endpoint endpoint) {
        try {
            return new URI("ws", null, endpoint.host(), endpoint.port(), endpoint.path(), null, null);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a WebSocket address: " + endpoint, e);
        }
    }
}
