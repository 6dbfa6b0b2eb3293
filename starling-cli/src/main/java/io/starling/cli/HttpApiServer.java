package io.starling.cli;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.starling.Starling;
import io.starling.internal.auth.LoginService;
import io.starling.internal.net.RefusalLog;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Design note — what bounds the server.
 *
 * Every resource a client can make the server hold has a limit, and every limit answers with the API's error shape
 * where an answer is possible:
 *
 *  - Connections: at most maxConnections are served. Beyond that, as many again (at least 64) are answered 503
 *    (their request head is read, then the answer is written and the connection closed, within a short linger);
 *    beyond that, a new connection is closed at once. So file descriptors stay bounded before any token is checked.
 *  - Time: a connection waiting for its next request is closed after idleTimeout; a request must arrive completely,
 *    head and body, within requestTimeout of its first byte (else 408: slowloris, or a body trickled a byte at a
 *    time). While a statement runs, no timer: how long a statement may run is the store's business.
 *  - Memory per request: the request line (64 KiB: an observed SELECT travels in the query string), the headers
 *    (16 KiB) and the body (maxBody) are bounded by the codec and the aggregator. An attachment upload is not
 *    aggregated: its body streams to the blob store through an UploadBody, which stops reading the socket while
 *    256 KiB wait for the disk, so its memory is bounded whatever its size; its size is bounded by the store's
 *    attachment limit (413), and it may stall for at most requestTimeout (408) instead of having to arrive whole
 *    within it. At most MAX_UPLOADS upload at once (503 beyond).
 *  - Event streams: at most maxStreams at once (503 beyond). Each holds at most one event in memory: the observer
 *    delivers the next result only once the previous event has been written to the socket, coalescing changes
 *    meanwhile into the latest result (registerObserverWithSignalNext), and keep-alive comments are not queued
 *    behind an unwritten event. A client that reads nothing for idleTimeout while an event waits is dropped, with a
 *    logged reason, and its observer closed.
 *  - Workers: 8 run statements, 256 requests may wait; beyond that, 503.
 *
 * Refusals that an operator should see (limits, timeouts, foreign Host or Origin, a wrong token) go through one
 * RefusalLog: one line for the first, then a count every 10 s, not a line each.
 *
 * Per connection, the Deadlines handler keeps the phase: IDLE (waiting for a request: idle timer), READING (the
 * first byte came: request timer), UPLOADING (an upload's body streams: a stall timer, re-armed by progress), BUSY
 * (the request is with a worker: no timer), STREAMING (an event stream: the sink's stall timer instead). It sits before the codec, so that it sees the first raw byte of a request, not only
 * a complete head.
 */

/**
 * The HTTP/1.1 server of {@code starling peer}: carries {@link HttpApi} over Netty.
 *
 * <pre>
 *  socket ─► Deadlines ─► HttpServerCodec ─► HeadCheck ─► BodyLimit (413) ─► ApiHandler ─► worker pool ─► HttpApi
 *              (idle / request timers)       (401, 403, 404, 405,                  ▲                           │
 *                                              415, 413 per path)   response (or SSE headers, then events) ◄──┘
 *                                                   │
 *                                                   └─ POST /api/v1/attachments: UploadBody ─► upload pool ─► store
 *  over the connection limit: HttpServerCodec ─► Refuser (503, then close)
 * </pre>
 *
 * <p>Netty's I/O threads only parse and write; {@link HttpApi#handle} runs on a small bounded pool, since
 * statements block on the store (a full pool answers 503). A connection handles one request at a time (reading
 * pauses until the answer is written), so responses keep request order. An event stream ({@code /api/v1/observe})
 * owns its connection until the client leaves; its observer is closed as soon as the connection closes, and a
 * comment line every {@link #KEEPALIVE_SECONDS} seconds finds clients that vanished without closing. The limits are
 * in the design note above and in docs/HTTP-API.md.
 *
 * <p>{@link #close()} stops accepting, lets running requests finish and answer, closes every connection (and so
 * every observer of an event stream), then stops the threads. Thread-safe.
 */
final class HttpApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpApiServer.class);

    /** Request bodies larger than this are refused with 413. */
    static final int DEFAULT_MAX_BODY = 16 * 1024 * 1024;

    static final int DEFAULT_MAX_CONNECTIONS = 128;
    static final int DEFAULT_MAX_STREAMS = 32;
    static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

    /** The longest request line: an observed SELECT and its arguments travel in the query string. */
    static final int MAX_REQUEST_LINE = 64 * 1024;

    static final int MAX_HEADERS = 16 * 1024;
    /** Connections over the limit answered 503 at once, at least (as many as the limit if it is higher). */
    static final int MIN_REFUSING = 64;

    /** How long a refused connection may take to send its request head and read the 503. */
    static final Duration REFUSAL_LINGER = Duration.ofSeconds(2);

    static final int KEEPALIVE_SECONDS = 15;
    private static final int WORKERS = 8;
    private static final int QUEUE = 256;
    /** Attachment uploads streaming at once; more are answered 503. */
    static final int MAX_UPLOADS = 16;

    private static final AttributeKey<Boolean> STREAMING = AttributeKey.valueOf("starling.streaming");

    /**
     * What the server is told: the token, the limits and the browser rule. Immutable; the {@code with} methods
     * check their value and return a copy.
     *
     * @param token the bearer token to require, or null for none
     * @param maxBody the largest request body, in bytes
     * @param maxConnections connections served at once (as many again are answered 503, then closed)
     * @param maxStreams event streams at once
     * @param idleTimeout how long a connection may wait for its next request, and an event stream may leave an event
     *     unread
     * @param requestTimeout how long a request may take to arrive completely, head and body, from its first byte
     * @param allowedHosts names accepted in {@code Host} besides IP literals and {@code localhost}
     * @param allowedOrigins origins accepted in {@code Origin} besides the request's own
     * @param commitWait how long a read carrying a commit token may wait for this node to hold that write
     * @param apiKeys the API keys (a file, or the rows of a shared database), or null for none: only the admin token then
     */
    record Settings(
            @Nullable String token,
            int maxBody,
            int maxConnections,
            int maxStreams,
            Duration idleTimeout,
            Duration requestTimeout,
            Set<String> allowedHosts,
            Set<String> allowedOrigins,
            Duration commitWait,
            @Nullable ApiKeys apiKeys) {
        Settings {
            positive("maxBody", maxBody);
            positive("maxConnections", maxConnections);
            positive("maxStreams", maxStreams);
            positive("idleTimeout", idleTimeout);
            positive("requestTimeout", requestTimeout);
            positive("commitWait", commitWait);
            allowedHosts = Set.copyOf(allowedHosts);
            allowedOrigins = Set.copyOf(allowedOrigins);
            for (String o : allowedOrigins) BrowserGuard.normalizeOrigin(o);
        }

        static Settings defaults() {
            return new Settings(
                    null,
                    DEFAULT_MAX_BODY,
                    DEFAULT_MAX_CONNECTIONS,
                    DEFAULT_MAX_STREAMS,
                    DEFAULT_IDLE_TIMEOUT,
                    DEFAULT_REQUEST_TIMEOUT,
                    Set.of(),
                    Set.of(),
                    CommitWait.DEFAULT_LIMIT,
                    null);
        }

        Settings withToken(@Nullable String token) {
            return new Settings(
                    token,
                    maxBody,
                    maxConnections,
                    maxStreams,
                    idleTimeout,
                    requestTimeout,
                    allowedHosts,
                    allowedOrigins,
                    commitWait,
                    apiKeys);
        }

        Settings withMaxBody(int maxBody) {
            return new Settings(
                    token,
                    maxBody,
                    maxConnections,
                    maxStreams,
                    idleTimeout,
                    requestTimeout,
                    allowedHosts,
                    allowedOrigins,
                    commitWait,
                    apiKeys);
        }

        Settings withMaxConnections(int maxConnections) {
            return new Settings(
                    token,
                    maxBody,
                    maxConnections,
                    maxStreams,
                    idleTimeout,
                    requestTimeout,
                    allowedHosts,
                    allowedOrigins,
                    commitWait,
                    apiKeys);
        }

        Settings withMaxStreams(int maxStreams) {
            return new Settings(
                    token,
                    maxBody,
                    maxConnections,
                    maxStreams,
                    idleTimeout,
                    requestTimeout,
                    allowedHosts,
                    allowedOrigins,
                    commitWait,
                    apiKeys);
        }

        Settings withIdleTimeout(Duration idleTimeout) {
            return new Settings(
                    token,
                    maxBody,
                    maxConnections,
                    maxStreams,
                    idleTimeout,
                    requestTimeout,
                    allowedHosts,
                    allowedOrigins,
                    commitWait,
                    apiKeys);
        }

        Settings withRequestTimeout(Duration requestTimeout) {
            return new Settings(
                    token,
                    maxBody,
                    maxConnections,
                    maxStreams,
                    idleTimeout,
                    requestTimeout,
                    allowedHosts,
                    allowedOrigins,
                    commitWait,
                    apiKeys);
        }

        Settings withAllowedHosts(Set<String> allowedHosts) {
            return new Settings(
                    token,
                    maxBody,
                    maxConnections,
                    maxStreams,
                    idleTimeout,
                    requestTimeout,
                    allowedHosts,
                    allowedOrigins,
                    commitWait,
                    apiKeys);
        }

        Settings withAllowedOrigins(Set<String> allowedOrigins) {
            return new Settings(
                    token,
                    maxBody,
                    maxConnections,
                    maxStreams,
                    idleTimeout,
                    requestTimeout,
                    allowedHosts,
                    allowedOrigins,
                    commitWait,
                    apiKeys);
        }

        Settings withCommitWait(Duration commitWait) {
            return new Settings(
                    token,
                    maxBody,
                    maxConnections,
                    maxStreams,
                    idleTimeout,
                    requestTimeout,
                    allowedHosts,
                    allowedOrigins,
                    commitWait,
                    apiKeys);
        }

        Settings withApiKeys(@Nullable ApiKeys apiKeys) {
            return new Settings(
                    token,
                    maxBody,
                    maxConnections,
                    maxStreams,
                    idleTimeout,
                    requestTimeout,
                    allowedHosts,
                    allowedOrigins,
                    commitWait,
                    apiKeys);
        }

        private static void positive(String name, long value) {
            if (value <= 0) throw new IllegalArgumentException(name + " must be positive, got " + value);
        }

        private static void positive(String name, Duration value) {
            Objects.requireNonNull(value, name);
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, got " + value);
            }
        }
    }

    private final HttpApi api;
    private final Settings settings;
    private final RefusalLog refusals;
    private final EventLoopGroup boss;
    private final EventLoopGroup io;
    private final ExecutorService workers;
    private final ExecutorService uploads;
    private final ChannelGroup channels = new DefaultChannelGroup("starling-http", GlobalEventExecutor.INSTANCE);
    private final AtomicInteger served = new AtomicInteger();
    private final AtomicInteger refusing = new AtomicInteger();
    private final AtomicInteger streams = new AtomicInteger();
    private final Channel server;
    private final ScheduledFuture<?> refusalFlush;
    private boolean closed;

    private HttpApiServer(
            Starling db,
            InetSocketAddress address,
            Settings settings,
            RefusalLog refusals,
            @Nullable LoginService login,
            Readiness readiness)
            throws InterruptedException {
        this.settings = settings;
        this.refusals = refusals;
        this.api = new HttpApi(
                db,
                settings,
                new BrowserGuard(settings.allowedHosts(), settings.allowedOrigins()),
                refusals,
                login == null ? null : new LoginEndpoint(login, refusals, System::nanoTime),
                readiness,
                WORKERS / 2);
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
        // a thread per streaming upload (it blocks on the connection's body), none kept idle, refused beyond the limit
        this.uploads = new ThreadPoolExecutor(
                0,
                MAX_UPLOADS,
                30,
                TimeUnit.SECONDS,
                new SynchronousQueue<>(),
                new DefaultThreadFactory("starling-http-upload", true));
        try {
            this.server = new ServerBootstrap()
                    .group(boss, io)
                    .channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            accepted(ch);
                        }
                    })
                    .bind(address)
                    .sync()
                    .channel();
            // after the acceptor (which pauses accepting for a second on a failed accept): no warning a failure
            server.pipeline().addLast(new AcceptFailures());
        } catch (RuntimeException | InterruptedException e) {
            shutdownThreads();
            throw e;
        }
        long window = RefusalLog.WINDOW.toNanos();
        this.refusalFlush = boss.next().scheduleAtFixedRate(refusals::flush, window, window, TimeUnit.NANOSECONDS);
    }

    /**
     * Starts serving {@code db}'s API on {@code address} (port 0 picks a free port). Throws {@link
     * java.io.IOException} (undeclared, as Netty throws it) if the address cannot be bound.
     *
     */
    static HttpApiServer start(Starling db, InetSocketAddress address, Settings settings) throws InterruptedException {
        return start(db, address, settings, new RefusalLog(log::warn, System::nanoTime, RefusalLog.WINDOW));
    }

    /** As {@link #start(Starling, InetSocketAddress, Settings)}, logging refusals to {@code refusals} (tests). */
    static HttpApiServer start(Starling db, InetSocketAddress address, Settings settings, RefusalLog refusals)
            throws InterruptedException {
        return new HttpApiServer(db, address, settings, refusals, null, Readiness.ready());
    }

    /**
     * As {@link #start(Starling, InetSocketAddress, Settings)}, also serving {@code POST /api/v1/auth/login} with
     * {@code login} when it is not null (a peer that is an authority).
     */
    static HttpApiServer start(Starling db, InetSocketAddress address, Settings settings, @Nullable LoginService login)
            throws InterruptedException {
        return start(db, address, settings, login, Readiness.ready());
    }

    /** As {@link #start(Starling, InetSocketAddress, Settings, LoginService)}; {@code /readyz} answers {@code readiness}. */
    static HttpApiServer start(
            Starling db,
            InetSocketAddress address,
            Settings settings,
            @Nullable LoginService login,
            Readiness readiness)
            throws InterruptedException {
        return new HttpApiServer(
                db,
                address,
                settings,
                new RefusalLog(log::warn, System::nanoTime, RefusalLog.WINDOW),
                login,
                readiness);
    }

    /** Adds {@code samples} (Prometheus text) to every {@code /metrics} answer: the Kafka sink's, say. */
    void addMetrics(java.util.function.Supplier<String> samples) {
        api.addMetrics(samples);
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

    Settings settings() {
        return settings;
    }

    /** Open connections: served, and being refused (tests). */
    int openConnections() {
        return served.get() + refusing.get();
    }

    /** Reads waiting for a commit token now (tests). */
    int waitingForCommits() {
        return api.waitingForCommits();
    }

    /** Event streams open now (tests). */
    int openStreams() {
        return streams.get();
    }

    /** Bytes written to event streams and not yet taken by the socket, over all streams (tests). */
    long pendingStreamBytes() {
        long total = 0;
        for (Channel ch : channels) {
            if (!Boolean.TRUE.equals(ch.attr(STREAMING).get())) continue;
            ChannelOutboundBuffer buffer = ch.unsafe().outboundBuffer();
            if (buffer != null) total += buffer.totalPendingWriteBytes();
        }
        return total;
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
        api.close();
        refusalFlush.cancel(false);
        refusals.close();
        shutdownThreads();
    }

    private void shutdownThreads() {
        workers.shutdownNow();
        uploads.shutdownNow();
        io.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** A new connection: served, refused with an answer, or (beyond twice the limit) closed at once. */
    private void accepted(SocketChannel ch) {
        channels.add(ch);
        if (served.incrementAndGet() <= settings.maxConnections()) {
            ch.closeFuture().addListener(f -> served.decrementAndGet());
            ch.pipeline()
                    .addLast(new Deadlines())
                    .addLast(new HttpServerCodec(new HttpDecoderConfig()
                            .setMaxInitialLineLength(MAX_REQUEST_LINE)
                            .setMaxHeaderSize(MAX_HEADERS)))
                    .addLast(new HeadCheck())
                    .addLast(new BodyLimit(settings.maxBody()))
                    .addLast(new ApiHandler());
            return;
        }
        served.decrementAndGet();
        String detail = "a connection from " + address(ch.remoteAddress()) + "; the limit is "
                + settings.maxConnections() + " (--http-max-connections)";
        refusals.refused("too many connections", detail);
        if (refusing.incrementAndGet() > Math.max(settings.maxConnections(), MIN_REFUSING)) {
            refusing.decrementAndGet();
            ch.close(); // a flood: no answer, the file descriptor back at once
            return;
        }
        ch.closeFuture().addListener(f -> refusing.decrementAndGet());
        long linger =
                Math.min(REFUSAL_LINGER.toNanos(), settings.requestTimeout().toNanos());
        var timer = ch.eventLoop().schedule(() -> ch.close(), linger, TimeUnit.NANOSECONDS);
        ch.closeFuture().addListener(f -> timer.cancel(false));
        ch.pipeline().addLast(new HttpServerCodec()).addLast(new Refuser());
    }

    static String address(SocketAddress a) {
        if (a instanceof InetSocketAddress i && i.getAddress() != null) {
            String host = i.getAddress().getHostAddress();
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + i.getPort();
        }
        return String.valueOf(a);
    }

    /** Answers the first request of a connection over the limit with 503, then closes it. */
    private final class Refuser extends ChannelInboundHandlerAdapter {
        private boolean answered;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (answered || !(msg instanceof HttpRequest)) return;
                answered = true;
                FullHttpResponse res = toNetty(HttpApi.error(
                                503,
                                HttpApi.OVERLOADED,
                                "too many connections to this peer's HTTP API (the limit is "
                                        + settings.maxConnections() + "); retry later")
                        .withHeader("Retry-After", "1"));
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                // then half-close and keep reading until the client closes (or the linger ends): closing with a
                // request body unread could reset the connection before the client has read the answer
                ctx.writeAndFlush(res).addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess() && f.channel() instanceof SocketChannel s) s.shutdownOutput();
                    else f.channel().close();
                });
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Accept failures (out of file descriptors): logged at a rate; Netty pauses accepting for a second itself. */
    private final class AcceptFailures extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            refusals.refused("cannot accept connections", String.valueOf(cause));
        }
    }

    /** Where a connection is in its life, for its timers. */
    private enum Phase {
        /** Waiting for the next request: closed after the idle timeout. */
        IDLE,
        /** A request's first byte came: it must be complete within the request timeout (else 408). */
        READING,
        /** An upload's body streams to the store: closed (408) once it makes no progress for the request timeout. */
        UPLOADING,
        /** The request is with a worker: no timer. */
        BUSY,
        /** An event stream: the sink watches for a client that reads nothing. */
        STREAMING
    }

    /** The idle and request timers of one connection. Runs on the connection's event loop only. */
    private final class Deadlines extends ChannelDuplexHandler {
        private Phase phase = Phase.BUSY;
        private @Nullable ScheduledFuture<?> timer;
        /** When an upload last moved (bytes came, or the store took some); any thread. */
        private volatile long uploadProgress;

        @SuppressWarnings("NullAway.Init") // Netty calls handlerAdded before any event reaches the handler
        private ChannelHandlerContext ctx;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            idle();
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (phase == Phase.IDLE && msg instanceof ByteBuf b && b.isReadable()) {
                phase = Phase.READING;
                arm(settings.requestTimeout(), this::requestTimedOut);
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            cancel();
            ctx.fireChannelInactive();
        }

        /** The whole request arrived and goes to a worker. */
        void received() {
            phase = Phase.BUSY;
            cancel();
        }

        /** The answer was written; the connection waits for the next request. */
        void idle() {
            phase = Phase.IDLE;
            arm(settings.idleTimeout(), () -> {
                log.debug(
                        "closing the idle HTTP connection from {}",
                        address(ctx.channel().remoteAddress()));
                ctx.close();
            });
        }

        void streaming() {
            phase = Phase.STREAMING;
            cancel();
        }

        /** An upload's body starts streaming: it may take as long as it keeps moving. */
        void uploading() {
            phase = Phase.UPLOADING;
            progress();
            arm(settings.requestTimeout(), this::uploadStalled);
        }

        /** The upload moved. Any thread. */
        void progress() {
            uploadProgress = System.nanoTime();
        }

        private void uploadStalled() {
            if (phase != Phase.UPLOADING) return;
            long left = settings.requestTimeout().toNanos() - (System.nanoTime() - uploadProgress);
            if (left > 0) {
                arm(Duration.ofNanos(left), this::uploadStalled);
                return;
            }
            refusals.refused(
                    "upload stalled",
                    "an upload from " + address(ctx.channel().remoteAddress()) + " made no progress for "
                            + seconds(settings.requestTimeout()) + " (--http-request-timeout)");
            phase = Phase.BUSY;
            FullHttpResponse res = toNetty(HttpApi.error(
                    408,
                    HttpApi.REQUEST_TIMEOUT,
                    "the upload made no progress for " + seconds(settings.requestTimeout())));
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.channel().writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }

        private void requestTimedOut() {
            if (phase != Phase.READING) return;
            refusals.refused(
                    "request too slow",
                    "a request from " + address(ctx.channel().remoteAddress()) + " did not arrive completely within "
                            + seconds(settings.requestTimeout()) + " (--http-request-timeout)");
            phase = Phase.BUSY;
            FullHttpResponse res = toNetty(HttpApi.error(
                    408,
                    HttpApi.REQUEST_TIMEOUT,
                    "the request did not arrive completely within " + seconds(settings.requestTimeout())));
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.channel().writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }

        private void arm(Duration delay, Runnable action) {
            cancel();
            timer = ctx.executor().schedule(action, delay.toNanos(), TimeUnit.NANOSECONDS);
        }

        private void cancel() {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
        }
    }

    static String seconds(Duration d) {
        long millis = d.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    }

    private static Deadlines deadlines(Channel channel) {
        return channel.pipeline().get(Deadlines.class);
    }

    /** Turns Netty requests into {@link HttpApi.Request}s, runs them on the workers, writes the answers. */
    private final class ApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            Channel channel = ctx.channel();
            if (Boolean.TRUE.equals(channel.attr(STREAMING).get())) return; // an event stream takes no more requests
            deadlines(channel).received();
            if (!request.decoderResult().isSuccess()) {
                write(channel, malformed(request.decoderResult().cause()), false);
                return;
            }
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            String path;
            Map<String, List<String>> query;
            try {
                QueryStringDecoder uri = new QueryStringDecoder(request.uri());
                path = uri.path();
                query = uri.parameters();
            } catch (IllegalArgumentException e) { // a malformed percent-encoding
                write(
                        channel,
                        HttpApi.error(
                                400,
                                HttpApi.BAD_REQUEST,
                                "the request target is not properly percent-encoded: " + e.getMessage()),
                        keepAlive);
                return;
            }
            Map<String, String> headers = headers(request, channel);
            HttpApi.Request apiRequest = new HttpApi.Request(
                    request.method().name(),
                    path,
                    query,
                    headers,
                    ByteBufUtil.getBytes(request.content()),
                    address(channel.remoteAddress()));
            channel.config().setAutoRead(false); // one request at a time per connection
            try {
                workers.execute(() -> answer(channel, apiRequest, keepAlive));
            } catch (RejectedExecutionException e) {
                refusals.refused(
                        "too many requests at once",
                        apiRequest.method() + " " + path + " from " + apiRequest.remote() + ": " + WORKERS
                                + " running and " + QUEUE + " waiting");
                write(
                        channel,
                        HttpApi.error(503, HttpApi.OVERLOADED, "too many requests at once; retry later")
                                .withHeader("Retry-After", "1"),
                        keepAlive);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("HTTP connection {} failed", ctx.channel().remoteAddress(), cause);
            ctx.close();
        }
    }

    /** The headers of {@link HttpApi#HEADERS} that {@code request} has, by lower-case name. */
    private static Map<String, String> headers(HttpRequest request, Channel channel) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (String name : HttpApi.HEADERS) {
            String value = request.headers().get(name);
            if (value != null) headers.put(name, value);
        }
        if (!headers.containsKey("host") && request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            // HTTP/1.0 has no Host (old health checkers still speak it); no browser sends such a request
            headers.put("host", address((InetSocketAddress) channel.localAddress()));
        }
        return headers;
    }

    /*
     * Design note — refusing on the head.
     *
     * The aggregator would read a whole body (up to maxBody) before the API sees the request, so an unauthenticated
     * client could make the server read and hold 16 MiB per connection. HeadCheck runs the API's head checks
     * (HttpApi.admit: Host/Origin, credentials, path, method, content type) as soon as the head is parsed, and knows
     * the path's own body limit (HttpApi.bodyLimit: the execute limit, 16 KiB for the login, nothing for the
     * others). A refused request is answered at once with Connection: close; the server then half-closes and drops
     * whatever of the body still comes (nothing of it is kept) until the client closes or the refusal linger ends —
     * closing at once with unread bytes would reset the connection and could destroy the answer before the client
     * read it.
     */

    /** Refuses a request on its head, before its body is read; enforces the path's body limit. */
    private final class HeadCheck extends ChannelInboundHandlerAdapter {
        private boolean discarding;
        private long limit;
        private long received;
        /** The body of the upload being received, or null. */
        private @Nullable UploadBody upload;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (discarding) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (msg instanceof HttpRequest request) {
                received = 0;
                limit = Long.MAX_VALUE;
                if (!request.decoderResult().isSuccess()
                        || Boolean.TRUE.equals(ctx.channel().attr(STREAMING).get())) {
                    ctx.fireChannelRead(msg); // ApiHandler answers a malformed request, and ignores one on a stream
                    return;
                }
                String path;
                try {
                    path = new QueryStringDecoder(request.uri()).path();
                } catch (IllegalArgumentException e) {
                    ctx.fireChannelRead(msg); // ApiHandler answers the bad percent-encoding
                    return;
                }
                Map<String, String> headers = headers(request, ctx.channel());
                HttpApi.Admission admission;
                try {
                    admission = api.admit(
                            request.method().name(),
                            path,
                            headers::get,
                            address(ctx.channel().remoteAddress()));
                } catch (RuntimeException e) {
                    admission = HttpApi.Admission.refused(HttpApi.error(e));
                }
                if (admission.refusal() != null) {
                    refuse(ctx, admission.refusal(), msg);
                    return;
                }
                limit = api.bodyLimit(path);
                long announced = HttpUtil.getContentLength(request, -1L);
                if (announced > limit) {
                    refuse(ctx, tooLarge(path, limit), msg);
                    return;
                }
                if (path.equals(AttachmentEndpoints.PATH)) { // admitted: a POST
                    startUpload(ctx, request);
                    return;
                }
            } else if (msg instanceof HttpContent content) {
                received += content.content().readableBytes();
                if (received > limit) {
                    refuse(ctx, tooLarge("this path", limit), msg);
                    return;
                }
                if (upload != null) {
                    feed(ctx, upload, content);
                    return;
                }
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            UploadBody body = upload;
            if (body != null) {
                upload = null;
                body.fail("the connection closed after " + body.received() + " bytes of the upload");
            }
            ctx.fireChannelInactive();
        }

        /** An upload's head was admitted: its body goes to the store as it comes, on an upload thread. */
        private void startUpload(ChannelHandlerContext ctx, HttpRequest request) {
            Map<String, List<String>> query = new QueryStringDecoder(request.uri()).parameters();
            String problem = AttachmentEndpoints.metadataProblem(query);
            if (problem != null) {
                refuse(ctx, HttpApi.error(400, HttpApi.BAD_REQUEST, problem), request);
                return;
            }
            String expect = request.headers().get(HttpHeaderNames.EXPECT);
            if (expect != null && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect.strip())) {
                refuse(
                        ctx,
                        HttpApi.error(
                                417,
                                HttpApi.EXPECTATION_FAILED,
                                "the only expectation this API meets is 'Expect: 100-continue'"),
                        request);
                return;
            }
            Channel channel = ctx.channel();
            Deadlines d = deadlines(channel);
            UploadBody body = new UploadBody(channel, d::progress);
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            try {
                uploads.execute(() -> storeUpload(channel, body, query, keepAlive));
            } catch (RejectedExecutionException e) {
                refusals.refused(
                        "too many uploads at once",
                        "an upload from " + address(channel.remoteAddress()) + ": " + MAX_UPLOADS + " are streaming");
                refuse(
                        ctx,
                        HttpApi.error(503, HttpApi.OVERLOADED, "too many attachment uploads at once; retry later")
                                .withHeader("Retry-After", "1"),
                        request);
                return;
            }
            upload = body;
            d.uploading();
            if (HttpUtil.is100ContinueExpected(request)) {
                ctx.writeAndFlush(new DefaultFullHttpResponse(
                        HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
            }
        }

        /** A piece of an upload's body: to the store's queue; the last one ends the request. */
        private void feed(ChannelHandlerContext ctx, UploadBody body, HttpContent content) {
            try {
                if (!content.decoderResult().isSuccess()) {
                    Throwable cause = content.decoderResult().cause();
                    refuse(
                            ctx,
                            HttpApi.error(
                                    400,
                                    HttpApi.BAD_REQUEST,
                                    "the upload's body is malformed or cut short: " + cause.getMessage()),
                            content);
                    return;
                }
                body.offer(content.content());
                deadlines(ctx.channel()).progress();
                if (content instanceof LastHttpContent) {
                    upload = null;
                    ctx.channel().config().setAutoRead(false); // the next request once this one is answered
                    deadlines(ctx.channel()).received();
                    body.end();
                }
            } finally {
                ReferenceCountUtil.release(content);
            }
        }

        private HttpApi.Response tooLarge(String path, long limit) {
            return HttpApi.error(
                    413,
                    HttpApi.TOO_LARGE,
                    limit == 0
                            ? path + " takes no request body"
                            : "the request body is larger than the limit of " + limit + " bytes for " + path);
        }

        /** Answers {@code refusal} and closes, dropping the rest of the request (and an upload's partial body). */
        private void refuse(ChannelHandlerContext ctx, HttpApi.Response refusal, Object msg) {
            ReferenceCountUtil.release(msg);
            UploadBody body = upload;
            if (body != null) {
                upload = null;
                body.fail("the upload was refused after " + body.received() + " bytes");
            }
            discarding = true;
            Channel channel = ctx.channel();
            Deadlines d = deadlines(channel);
            if (d != null) d.received(); // no request timer: the refusal linger bounds the connection now
            FullHttpResponse res = toNetty(refusal);
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(res).addListener((ChannelFutureListener) f -> {
                if (f.isSuccess() && f.channel() instanceof SocketChannel sc) sc.shutdownOutput();
                else f.channel().close();
            });
            long linger =
                    Math.min(REFUSAL_LINGER.toNanos(), settings.requestTimeout().toNanos());
            var timer = channel.eventLoop().schedule(() -> channel.close(), linger, TimeUnit.NANOSECONDS);
            channel.closeFuture().addListener(f -> timer.cancel(false));
        }
    }

    /**
     * Stores an upload's body as it streams in (on an upload thread), then answers. A body that failed (cut, refused,
     * too slow) has been answered or closed by the connection already: nothing is written then.
     */
    private void storeUpload(Channel channel, UploadBody body, Map<String, List<String>> query, boolean keepAlive) {
        HttpApi.Response res;
        try {
            res = api.upload(query, body);
        } catch (Throwable t) { // upload() answers every failure it expects
            log.error("an attachment upload failed", t);
            res = HttpApi.error(500, "internal", String.valueOf(t));
            if (t instanceof Error) {
                body.fail("the upload failed");
                channel.close();
                throw t;
            }
        }
        if (body.failed()) {
            log.debug("an upload from {} did not arrive whole", address(channel.remoteAddress()));
            return;
        }
        if (!body.ended()) {
            // the store gave up before the body ended (a full disk, say): answer, and drop the rest with the connection
            body.fail("answered before the body ended");
            write(channel, res, false);
            return;
        }
        write(channel, res, keepAlive);
    }

    /** The answer to a request the codec could not parse. */
    private static HttpApi.Response malformed(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return HttpApi.error(
                    414,
                    HttpApi.URI_TOO_LONG,
                    "the request line is longer than " + MAX_REQUEST_LINE + " bytes (an observed statement that"
                            + " long belongs in a POST to /api/v1/execute)");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return HttpApi.error(
                    431, HttpApi.HEADERS_TOO_LARGE, "the request headers are larger than " + MAX_HEADERS + " bytes");
        }
        return HttpApi.error(400, HttpApi.BAD_REQUEST, "malformed HTTP request: " + cause.getMessage());
    }

    private void answer(Channel channel, HttpApi.Request request, boolean keepAlive) {
        try {
            HttpApi.Reply reply = api.handle(request);
            if (reply instanceof HttpApi.Response response) {
                write(channel, response, keepAlive);
            } else {
                stream(channel, request, (HttpApi.EventStream) reply, keepAlive);
            }
        } catch (Throwable t) { // handle() answers every failure it expects; never leave a client hanging
            log.error("HTTP request {} {} failed", request.method(), request.path(), t);
            write(channel, HttpApi.error(500, "internal", String.valueOf(t)), false);
            if (t instanceof Error e) throw e;
        }
    }

    private void stream(Channel channel, HttpApi.Request request, HttpApi.EventStream stream, boolean keepAlive) {
        if (streams.incrementAndGet() > settings.maxStreams()) {
            streams.decrementAndGet();
            refusals.refused(
                    "too many event streams",
                    "an event stream for " + request.remote() + "; the limit is " + settings.maxStreams()
                            + " (--http-max-streams)");
            write(
                    channel,
                    HttpApi.error(
                                    503,
                                    HttpApi.OVERLOADED,
                                    "too many event streams at once (the limit is " + settings.maxStreams()
                                            + "); retry later")
                            .withHeader("Retry-After", "5"),
                    keepAlive);
            return;
        }
        EventStreamSink sink = new EventStreamSink(
                channel,
                settings.idleTimeout(),
                () -> refusals.refused(
                        "event stream not read",
                        "closed the event stream of " + request.remote() + ": it read nothing for "
                                + seconds(settings.idleTimeout()) + " while an event waited (--http-idle-timeout)"));
        AutoCloseable handle;
        try {
            handle = stream.start(sink);
        } catch (RuntimeException e) {
            streams.decrementAndGet();
            write(channel, HttpApi.error(e), keepAlive); // nothing has been sent yet
            return;
        }
        channel.attr(STREAMING).set(true);
        channel.eventLoop().execute(() -> {
            Deadlines d = deadlines(channel);
            if (d != null) d.streaming();
        });
        sink.open();
        channel.config().setAutoRead(true); // to notice the client closing
        var keepalive = channel.eventLoop()
                .scheduleAtFixedRate(sink::keepalive, KEEPALIVE_SECONDS, KEEPALIVE_SECONDS, TimeUnit.SECONDS);
        channel.closeFuture().addListener(f -> {
            streams.decrementAndGet();
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
                if (f.isSuccess()) {
                    Deadlines d = deadlines(f.channel());
                    if (d != null) d.idle();
                    f.channel().config().setAutoRead(true);
                } else {
                    f.channel().close();
                }
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

    /**
     * The aggregator, answering with the API's JSON error instead of Netty's empty ones: 413 for a body over the
     * limit (announced by {@code Content-Length}, with or without {@code Expect: 100-continue}, or found while
     * reading a chunked one) and 417 for an expectation other than {@code 100-continue}. Both close the connection.
     */
    private static final class BodyLimit extends HttpObjectAggregator {
        private final int limit;

        BodyLimit(int limit) {
            super(limit, true); // close the connection after refusing an expectation: its body would follow
            this.limit = limit;
        }

        private HttpApi.Response tooLarge() {
            return HttpApi.error(
                    413, HttpApi.TOO_LARGE, "the request body is larger than the limit of " + limit + " bytes");
        }

        @Override
        protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
            Object netty = super.newContinueResponse(start, maxContentLength, pipeline);
            if (!(netty instanceof HttpResponse r) || r.status().codeClass() != HttpStatusClass.CLIENT_ERROR) {
                return netty; // 100 Continue, or nothing to say
            }
            ReferenceCountUtil.release(netty);
            HttpApi.Response error = r.status().code() == 413
                    ? tooLarge()
                    : HttpApi.error(
                            417,
                            HttpApi.EXPECTATION_FAILED,
                            "the only expectation this API meets is 'Expect: 100-continue'");
            FullHttpResponse res = toNetty(error);
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            return res;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
            if (!(oversized instanceof HttpRequest)) {
                super.handleOversizedMessage(ctx, oversized);
                return;
            }
            // then close: reading (and dropping) the rest of a body of any size would only keep the connection busy
            FullHttpResponse res = toNetty(tooLarge());
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
