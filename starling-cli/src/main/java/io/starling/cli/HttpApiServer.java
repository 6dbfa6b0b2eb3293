package io.starling.cli;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.starling.Starling;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/1.1 server of {@code starling peer}: carries {@link HttpApi} over Netty.
 *
 * <pre>
 *  socket ─► HttpServerCodec ─► BodyLimit (413 over the limit) ─► ApiHandler ─► worker pool ─► HttpApi
 *                                                                     ▲                           │
 *                                   response (or SSE headers, then one chunk per event) ◄─────────┘
 * </pre>
 *
 * <p>Netty's I/O threads only parse and write; {@link HttpApi#handle} runs on a small bounded pool, since
 * statements block on the store (a full pool answers 503). A connection handles one request at a time (reading
 * pauses until the answer is written), so responses keep request order. An event stream ({@code /api/v1/observe})
 * owns its connection until the client leaves; its observer is closed as soon as the connection closes, and a
 * comment line every {@link #KEEPALIVE_SECONDS} seconds finds clients that vanished without closing.
 *
 * <p>{@link #close()} stops accepting, lets running requests finish and answer, closes every connection (and so
 * every observer of an event stream), then stops the threads. Thread-safe.
 */
final class HttpApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpApiServer.class);

    /** Request bodies larger than this are refused with 413. */
    static final int DEFAULT_MAX_BODY = 16 * 1024 * 1024;

    static final int KEEPALIVE_SECONDS = 15;
    private static final int WORKERS = 8;
    private static final int QUEUE = 256;
    private static final AttributeKey<Boolean> STREAMING = AttributeKey.valueOf("starling.streaming");

    private final HttpApi api;
    private final int maxBody;
    private final EventLoopGroup boss;
    private final EventLoopGroup io;
    private final ExecutorService workers;
    private final ChannelGroup channels = new DefaultChannelGroup("starling-http", GlobalEventExecutor.INSTANCE);
    private final Channel server;
    private boolean closed;

    private HttpApiServer(HttpApi api, InetSocketAddress address, int maxBody) throws InterruptedException {
        this.api = api;
        this.maxBody = maxBody;
        this.boss = new MultiThreadIoEventLoopGroup(
                1, new DefaultThreadFactory("starling-http-accept", true), NioIoHandler.newFactory());
        this.io = new MultiThreadIoEventLoopGroup(
                2, new DefaultThreadFactory("starling-http-io", true), NioIoHandler.newFactory());
        this.workers = new ThreadPoolExecutor(
                WORKERS,
                WORKERS,
                30,
                TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(QUEUE),
                new DefaultThreadFactory("starling-http-worker", true));
        ((ThreadPoolExecutor) workers).allowCoreThreadTimeOut(true);
        try {
            this.server = new ServerBootstrap()
                    .group(boss, io)
                    .channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            channels.add(ch);
                            ch.pipeline()
                                    .addLast(new HttpServerCodec())
                                    .addLast(new BodyLimit(HttpApiServer.this.maxBody))
                                    .addLast(new ApiHandler());
                        }
                    })
                    .bind(address)
                    .sync()
                    .channel();
        } catch (RuntimeException | InterruptedException e) {
            shutdownThreads();
            throw e;
        }
    }

    /**
     * Starts serving {@code db}'s API on {@code address} (port 0 picks a free port). Throws {@link
     * java.io.IOException} (undeclared, as Netty throws it) if the address cannot be bound.
     *
     * @param token the bearer token to require, or null for none
     */
    static HttpApiServer start(Starling db, InetSocketAddress address, @Nullable String token, int maxBody)
            throws InterruptedException {
        return new HttpApiServer(new HttpApi(db, token), address, maxBody);
    }

    /** The address bound, with the real port. */
    InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    /** The base URL of the API, {@code http://127.0.0.1:PORT}. */
    String url() {
        InetSocketAddress a = address();
        String host = a.getAddress().getHostAddress();
        if (host.indexOf(':') >= 0) host = "[" + host + "]";
        return "http://" + host + ":" + a.getPort();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        server.close().syncUninterruptibly();
        workers.shutdown(); // requests already taken finish and answer
        try {
            if (!workers.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("HTTP requests still running after 10 s; closing their connections");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // event streams end with the last chunk, so that their clients see an end, not a broken stream; closing
        // their connections closes their observers
        for (Channel ch : channels) {
            if (Boolean.TRUE.equals(ch.attr(STREAMING).get())) ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        channels.close().awaitUninterruptibly();
        shutdownThreads();
    }

    private void shutdownThreads() {
        workers.shutdownNow();
        io.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Turns Netty requests into {@link HttpApi.Request}s, runs them on the workers, writes the answers. */
    private final class ApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            Channel channel = ctx.channel();
            if (Boolean.TRUE.equals(channel.attr(STREAMING).get())) return; // an event stream takes no more requests
            if (!request.decoderResult().isSuccess()) {
                write(
                        channel,
                        HttpApi.error(
                                400,
                                HttpApi.BAD_REQUEST,
                                "malformed HTTP request: "
                                        + request.decoderResult().cause()),
                        false);
                return;
            }
            QueryStringDecoder uri = new QueryStringDecoder(request.uri());
            HttpApi.Request apiRequest = new HttpApi.Request(
                    request.method().name(),
                    uri.path(),
                    uri.parameters(),
                    request.headers().get(HttpHeaderNames.AUTHORIZATION),
                    ByteBufUtil.getBytes(request.content()));
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            channel.config().setAutoRead(false); // one request at a time per connection
            try {
                workers.execute(() -> answer(channel, apiRequest, keepAlive));
            } catch (RejectedExecutionException e) {
                write(
                        channel,
                        HttpApi.error(503, HttpApi.OVERLOADED, "too many requests at once; retry later"),
                        keepAlive);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("HTTP connection {} failed", ctx.channel().remoteAddress(), cause);
            ctx.close();
        }
    }

    private void answer(Channel channel, HttpApi.Request request, boolean keepAlive) {
        try {
            HttpApi.Reply reply = api.handle(request);
            if (reply instanceof HttpApi.Response response) {
                write(channel, response, keepAlive);
            } else {
                stream(channel, (HttpApi.EventStream) reply, keepAlive);
            }
        } catch (Throwable t) { // handle() answers every failure it expects; never leave a client hanging
            log.error("HTTP request {} {} failed", request.method(), request.path(), t);
            write(channel, HttpApi.error(500, "internal", String.valueOf(t)), false);
            if (t instanceof Error e) throw e;
        }
    }

    private void stream(Channel channel, HttpApi.EventStream stream, boolean keepAlive) {
        EventStreamSink sink = new EventStreamSink(channel);
        AutoCloseable handle;
        try {
            handle = stream.start(sink);
        } catch (RuntimeException e) {
            write(channel, HttpApi.error(e), keepAlive); // nothing has been sent yet
            return;
        }
        channel.attr(STREAMING).set(true);
        sink.open();
        channel.config().setAutoRead(true); // to notice the client closing
        var keepalive = channel.eventLoop()
                .scheduleAtFixedRate(sink::keepalive, KEEPALIVE_SECONDS, KEEPALIVE_SECONDS, TimeUnit.SECONDS);
        channel.closeFuture().addListener(f -> {
            keepalive.cancel(false);
            try {
                handle.close();
            } catch (Exception e) {
                log.warn("closing the observer of an event stream failed", e);
            }
        });
    }

    /** Writes a complete response; then reads the next request, or closes the connection. */
    private static void write(Channel channel, HttpApi.Response response, boolean keepAlive) {
        FullHttpResponse res = toNetty(response);
        if (keepAlive) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            channel.writeAndFlush(res).addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) f.channel().config().setAutoRead(true);
                else f.channel().close();
            });
        } else {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            channel.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static FullHttpResponse toNetty(HttpApi.Response response) {
        FullHttpResponse res = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(response.status()),
                Unpooled.wrappedBuffer(response.body()));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, response.contentType());
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.body().length);
        for (Map.Entry<String, String> h : response.headers().entrySet())
            res.headers().set(h.getKey(), h.getValue());
        return res;
    }

    /** The aggregator, answering an oversized body with the API's JSON error instead of an empty 413. */
    private static final class BodyLimit extends HttpObjectAggregator {
        private final int limit;

        BodyLimit(int limit) {
            super(limit);
            this.limit = limit;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
            if (!(oversized instanceof HttpRequest)) {
                super.handleOversizedMessage(ctx, oversized);
                return;
            }
            FullHttpResponse res = toNetty(HttpApi.error(
                    413, HttpApi.TOO_LARGE, "the request body is larger than the limit of " + limit + " bytes"));
            // As Netty does: once body bytes were read, or nobody will reuse the connection, close it; otherwise
            // the aggregator skips the rest of the body and the connection serves the next request.
            if (oversized instanceof FullHttpMessage
                    || (!HttpUtil.is100ContinueExpected(oversized) && !HttpUtil.isKeepAlive(oversized))) {
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            }
        }
    }
}
