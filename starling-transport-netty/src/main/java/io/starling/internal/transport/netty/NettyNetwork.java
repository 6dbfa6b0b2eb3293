package io.starling.internal.transport.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.starling.Endpoint;
import io.starling.ErrorCode;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.internal.net.Network;
import io.starling.internal.net.NetworkHost;
import io.starling.internal.net.RefusalLog;
import io.starling.internal.sync.SessionConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Netty network stack of one instance: listeners, dialers, LAN discovery and the event loops they share
 * (docs/NETWORKING.md). Thread-safe.
 */
final class NettyNetwork implements Network {
    private static final Logger log = LoggerFactory.getLogger(NettyNetwork.class);

    private final NetworkHost host;
    private final NetSettings settings;
    private final @Nullable PeerTls tls;
    private final int maxFrameBytes;
    private final EventLoopGroup group;
    private final ConnectionRegistry registry;
    private final WireByteCounter byteCounter;
    private final Pipelines pipelines;
    /** Refusals of incoming connections, logged at a rate: a flood of them must not flood the log. */
    private final RefusalLog refusals = new RefusalLog(log::warn, System::nanoTime, RefusalLog.WINDOW);

    private final Random random = new SecureRandom();
    private final List<Endpoint> listening = new CopyOnWriteArrayList<>();
    private final List<Channel> listeners = new CopyOnWriteArrayList<>();
    private final Map<Dialer, Boolean> dialers = new ConcurrentHashMap<>();
    private final Map<Long, Dialer> lanDialers = new ConcurrentHashMap<>();
    private volatile @Nullable LanHook lan;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicBoolean quiescing = new AtomicBoolean();
    private volatile boolean closed;

    private NettyNetwork(NetworkHost host, NetSettings settings, @Nullable PeerTls tls) {
        this.host = host;
        this.settings = settings;
        this.tls = tls;
        this.maxFrameBytes = SessionConfig.defaults().maxFrameBytes();
        int threads = Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors()));
        this.group = new MultiThreadIoEventLoopGroup(
                threads, new DefaultThreadFactory("starling-net", true), NioIoHandler.newFactory());
        this.registry = new ConnectionRegistry(host.config().maxConnections());
        this.byteCounter = new WireByteCounter(host);
        this.pipelines = new Pipelines(this);
        long window = RefusalLog.WINDOW.toNanos();
        group.next().scheduleAtFixedRate(refusals::flush, window, window, TimeUnit.NANOSECONDS);
    }

    /**
     * Starts the stack as {@code host.config()} says: loads the shared key (if any), binds every listener, then starts
     * dialing and discovery in the background.
     *
     * @throws StarlingException {@code CONFIG_INVALID} for an unusable key file, {@code NETWORK_IO} for an address
     *     that cannot be bound
     */
    static NettyNetwork start(NetworkHost host, NetSettings settings) {
        StarlingConfig config = host.config();
        Path keyFile = config.identity().keyFile(); // null in playground mode
        PeerTls tls = config.identity().isOnline()
                ? new OnlineTls(host)
                : keyFile == null ? null : TlsIdentity.load(keyFile, host.peerId());
        NettyNetwork network = new NettyNetwork(host, settings, tls);
        try {
            if (tls instanceof OnlineTls) {
                log.info(
                        "online mode: TLS 1.3 with mutual authentication by device certificates of authority {}",
                        tls.fingerprint());
            } else if (tls != null) {
                log.info(
                        "shared-key mode: TLS 1.3 with mutual authentication, key {} (fingerprint {}), certificate CN={}",
                        config.identity().keyFile(),
                        tls.fingerprint(),
                        TlsIdentity.peerName(host.peerId()));
            }
            for (Endpoint e : config.listen()) network.listen(e);
            if (config.lan() && network.listening.stream().noneMatch(e -> e.scheme() == Endpoint.Scheme.TCP)) {
                String bind =
                        LanHook.bindAddress() != null ? LanHook.bindAddress().getHostAddress() : "0.0.0.0";
                Endpoint auto = Endpoint.tcp(bind, 0);
                log.info("LAN discovery needs a TCP listener; listening on {}", auto);
                network.listen(auto);
            }
            for (Endpoint e : config.connect()) network.connect(e);
            for (List<Endpoint> addresses : config.connectToAnyOf()) network.connectToAnyOf(addresses);
            if (config.lan()) network.startLan();
            return network;
        } catch (RuntimeException | Error e) {
            network.close();
            throw e;
        }
    }

    // ---- Network

    @Override
    public List<Endpoint> listening() {
        return List.copyOf(listening);
    }

    @Override
    public void connect(Endpoint endpoint) {
        if (closed) throw new StarlingException(ErrorCode.CLOSED, "the network is closed");
        if (endpoint.port() == 0) {
            throw new StarlingException(ErrorCode.CONFIG_INVALID, "cannot connect to port 0: " + endpoint);
        }
        startDialer(endpoint.toString(), (attempt, onFinished) -> dial(endpoint, onFinished));
    }

    @Override
    public void connectToAnyOf(List<Endpoint> addresses) {
        if (closed) throw new StarlingException(ErrorCode.CLOSED, "the network is closed");
        List<Endpoint> list = List.copyOf(addresses);
        if (list.isEmpty()) throw new StarlingException(ErrorCode.CONFIG_INVALID, "no address to connect to");
        for (Endpoint e : list) {
            if (e.port() == 0) throw new StarlingException(ErrorCode.CONFIG_INVALID, "cannot connect to port 0: " + e);
        }
        // attempt n goes to address n mod size: every failed attempt or ended connection moves to the next one
        // (attempts are numbered by the dialer, one at a time, on its executor)
        startDialer("one of " + list, (attempt, onFinished) -> {
            Endpoint endpoint = list.get(Math.floorMod(attempt, list.size()));
            log.debug("dialing {} (address {} of {})", endpoint, Math.floorMod(attempt, list.size()) + 1, list.size());
            return dial(endpoint, onFinished);
        });
    }

    /** Starts dialling with this peer's backoff until the network closes; {@code attempts} makes each attempt. */
    private void startDialer(String name, Dialer.Dial attempts) {
        Dialer d = new Dialer(name, attempts, host, registry, group.next(), newBackoff(), 0, dialers::remove);
        dialers.put(d, true);
        d.start();
    }

    @Override
    public void quiesce() {
        if (!quiescing.compareAndSet(false, true)) return;
        closed = true;
        boolean onLoop = inAnyLoop(); // an event loop must not wait for work of its own group
        long graceMillis = settings.closeGrace().toMillis();
        for (Channel c : listeners) { // first, and fast: nothing new comes in
            if (onLoop) c.close();
            else c.close().awaitUninterruptibly(graceMillis);
        }
        for (Dialer d : new ArrayList<>(dialers.keySet())) d.stop();
        for (Dialer d : new ArrayList<>(lanDialers.values())) d.stop();
        LanHook l = lan;
        if (l != null) l.close(); // says goodbye on the LAN, which takes a moment
    }

    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) return;
        quiesce();
        boolean onLoop = inAnyLoop();
        long graceMillis = settings.closeGrace().toMillis();
        List<Channel> open = registry.channels();
        for (Channel c : open) {
            NettyConnection conn = c.attr(NettyConnection.KEY).get();
            if (conn == null || !conn.isAttached()) c.close(); // no session to flush
        }
        if (!onLoop) { // sessions were closed by the engine: give them the grace period to flush
            long deadline = System.nanoTime() + settings.closeGrace().toNanos();
            for (Channel c : open) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !c.closeFuture().awaitUninterruptibly(TimeUnit.NANOSECONDS.toMillis(left) + 1)) break;
            }
        }
        for (Channel c : registry.channels()) c.close();
        refusals.close();
        var terminated = group.shutdownGracefully(10, graceMillis, TimeUnit.MILLISECONDS);
        if (!onLoop) terminated.awaitUninterruptibly(graceMillis + 1000);
        log.debug("network closed");
    }

    // ---- listening and dialing

    private void listen(Endpoint endpoint) {
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(pipelines.server(endpoint));
        ChannelFuture f = b.bind(endpoint.host(), endpoint.port()).awaitUninterruptibly();
        if (!f.isSuccess()) {
            Throwable c = f.cause();
            throw new StarlingException(
                    ErrorCode.NETWORK_IO,
                    "cannot listen on " + endpoint + ": " + (c.getMessage() != null ? c.getMessage() : c.toString()),
                    c);
        }
        Channel ch = f.channel();
        listeners.add(ch);
        int port = ((InetSocketAddress) ch.localAddress()).getPort();
        Endpoint real = new Endpoint(endpoint.scheme(), endpoint.host(), port, endpoint.path());
        listening.add(real);
        log.info("listening on {}{}", real, tls != null ? " (TLS)" : "");
    }

    private ChannelFuture dial(Endpoint endpoint, Consumer<NettyConnection.Outcome> onFinished) {
        return bootstrap(endpoint, onFinished).connect(endpoint.host(), endpoint.port());
    }

    private ChannelFuture dial(
            Endpoint endpoint, InetSocketAddress address, Consumer<NettyConnection.Outcome> onFinished) {
        return bootstrap(endpoint, onFinished).connect(address);
    }

    private Bootstrap bootstrap(Endpoint endpoint, Consumer<NettyConnection.Outcome> onFinished) {
        return new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)
                        settings.handshakeTimeout().toMillis())
                .handler(pipelines.client(endpoint, onFinished));
    }

    // ---- LAN discovery

    private void startLan() {
        int port = listening.stream()
                .filter(e -> e.scheme() == Endpoint.Scheme.TCP)
                .findFirst()
                .orElseThrow()
                .port();
        lan = LanHook.start(host, port, this::found);
    }

    /** A peer of this app was found on the LAN: dial it unless connected or already dialing (any thread). */
    void found(long peerId, List<InetSocketAddress> addresses) {
        if (closed || host.isConnected(peerId)) return;
        Dialer existing = lanDialers.get(peerId);
        if (existing != null && !existing.isStopped()) return;
        List<InetSocketAddress> targets = List.copyOf(addresses);
        String name = "LAN peer " + TlsIdentity.peerName(peerId) + " " + targets;
        Dialer d = new Dialer(
                name,
                (attempt, onFinished) -> {
                    InetSocketAddress a = targets.get(attempt % targets.size());
                    Endpoint e = Endpoint.tcp(a.getAddress().getHostAddress(), a.getPort());
                    return dial(e, a, onFinished);
                },
                host,
                registry,
                group.next(),
                newBackoff(),
                peerId,
                stopped -> lanDialers.remove(peerId, stopped));
        if (lanDialers.compute(peerId, (k, old) -> old != null && !old.isStopped() ? old : d) != d) return;
        log.info("LAN discovery found peer {} at {}", TlsIdentity.peerName(peerId), targets);
        d.start();
    }

    // ---- shared with the pipeline

    NetworkHost host() {
        return host;
    }

    NetSettings settings() {
        return settings;
    }

    /** This peer's TLS identity, or null in playground mode. */
    @Nullable
    PeerTls tls() {
        return tls;
    }

    int maxFrameBytes() {
        return maxFrameBytes;
    }

    RefusalLog refusals() {
        return refusals;
    }

    ConnectionRegistry registry() {
        return registry;
    }

    WireByteCounter byteCounter() {
        return byteCounter;
    }

    boolean isClosed() {
        return closed;
    }

    private Backoff newBackoff() {
        return new Backoff(settings.backoffMin(), settings.backoffMax(), new Random(random.nextLong()));
    }

    private boolean inAnyLoop() {
        for (var e : group) if (e.inEventLoop()) return true;
        return false;
    }
}
