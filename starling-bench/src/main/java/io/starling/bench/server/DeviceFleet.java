package io.starling.bench.server;

import io.starling.Endpoint;
import io.starling.StarlingConfig;
import io.starling.internal.net.ConnectionInfo;
import io.starling.internal.net.MessageChannel;
import io.starling.internal.net.Network;
import io.starling.internal.net.NetworkHost;
import io.starling.internal.sync.SessionConfig;
import io.starling.internal.sync.SyncStoreView.DocRef;
import io.starling.internal.transport.netty.NettyNetworkProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/*
 * Design note — many devices on one network stack.
 *
 * A full engine per device would not fit a thousand of them into one load JVM next to the server on two cores. So the
 * devices are sessions over small in-memory stores (LoadDevice), and they share one instance of the real network
 * stack (the Netty transport the engine uses: its dialers, TCP framing, WebSocket client, timers and keep-alives). The
 * fleet is that stack's host: one dialer per device keeps one connection to the device's server listener, and each
 * connection that opens is given to a device of its transport and node that has none (any device will do: in the
 * playground identity mode a connection is not bound to a peer id; the device's HELLO names it). A device whose
 * session ends goes back to the pool, and its dialer dials again with the transport's backoff, as a real device would.
 *
 * The servers therefore run in the playground identity mode (no TLS): one network stack can present only one
 * certificate, and a device needs a peer id of its own. TLS would add the handshakes of the connect storm and the
 * encryption of every byte to the server's CPU.
 */

/** The simulated devices of one phase and the network stack they share. Thread-safe. */
final class DeviceFleet implements NetworkHost, LoadDevice.FleetEvents, AutoCloseable {
    private final String appId;
    private final StarlingConfig config;
    private final List<LoadDevice> devices = new ArrayList<>();
    private final Map<String, Queue<LoadDevice>> idle = new ConcurrentHashMap<>();
    private final AtomicInteger connected = new AtomicInteger();
    private final AtomicInteger everConnected = new AtomicInteger();
    private final AtomicLong refusedBeforeSession = new AtomicLong();
    private final AtomicLong endedAfterSession = new AtomicLong();
    private final AtomicLong bytesSent = new AtomicLong(), bytesReceived = new AtomicLong();
    private final Map<String, AtomicLong> endReasons = new ConcurrentHashMap<>();
    private final ScheduledExecutorService ticker;
    private final DeliveryTracker tracker;
    private final Map<LoadDevice, Boolean> seen = new ConcurrentHashMap<>();
    private volatile long allConnectedAt;
    private final int size;
    private final Network network;

    /**
     * Makes {@code count} devices, alternately on TCP and WebSocket, on node {@code i % nodes} for device i (after the
     * transport), each with {@code initialDocs} documents of its own in {@code personal}. Nothing is dialed yet.
     */
    DeviceFleet(String appId, int count, int nodes, int initialDocs, long seed, DeliveryTracker tracker) {
        this.appId = appId;
        this.tracker = tracker;
        this.size = count;
        this.config =
                StarlingConfig.builder().appId(appId).maxConnections(10_000).build();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            String transport = i % 2 == 0 ? "tcp" : "websocket";
            int node = (i / 2) % nodes;
            LoadDevice d = new LoadDevice(i, transport, node, random.nextLong() | 1, appId, this);
            for (int k = 0; k < initialDocs; k++) {
                d.write(
                        LoadDevice.PERSONAL,
                        d.name + "-own-" + k,
                        Map.of(
                                "owner", io.starling.internal.core.Value.of(d.name),
                                "title", io.starling.internal.core.Value.of("note " + k + " of " + d.name),
                                "done", io.starling.internal.core.Value.of(false)));
            }
            devices.add(d);
            idle.computeIfAbsent(key(transport, node), k -> new ConcurrentLinkedQueue<>())
                    .add(d);
        }
        this.network = new NettyNetworkProvider().start(this);
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "load-devices-tick");
            t.setDaemon(true);
            return t;
        });
        var unusedTicks = ticker.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
    }

    private static String key(String transport, int node) {
        return transport + "@" + node;
    }

    /**
     * Dials, for every device at once: {@code tcp[node]} and {@code ws[node]} are the nodes' listeners. The dialers keep
     * their devices connected until the fleet closes.
     */
    void connectAll(List<Endpoint> tcp, List<Endpoint> ws) {
        for (LoadDevice d : devices) network.connect(d.transport.equals("tcp") ? tcp.get(d.node) : ws.get(d.node));
    }

    List<LoadDevice> devices() {
        return devices;
    }

    int connected() {
        return connected.get();
    }

    /** Devices whose session got established at least once. */
    int everConnected() {
        return everConnected.get();
    }

    /** Connections that ended before their session was established (refused by the server, broken, timed out). */
    long refusedBeforeSession() {
        return refusedBeforeSession.get();
    }

    /** Established sessions that ended while the fleet was open. */
    long endedAfterSession() {
        return endedAfterSession.get();
    }

    Map<String, Long> endReasons() {
        Map<String, Long> out = new java.util.TreeMap<>();
        endReasons.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /** True once every device was connected at the same time. */
    boolean allConnected() {
        return allConnectedAt != 0;
    }

    /** System.nanoTime() when every device was first connected at once (valid once {@link #allConnected()}). */
    long allConnectedAt() {
        return allConnectedAt;
    }

    long wireBytes() {
        return bytesSent.get() + bytesReceived.get();
    }

    private void tick() {
        long now = System.currentTimeMillis();
        for (LoadDevice d : devices) d.tick(now);
    }

    // ---- FleetEvents

    @Override
    public void established(LoadDevice device) {
        if (seen.putIfAbsent(device, true) == null) everConnected.incrementAndGet();
        long now = System.nanoTime();
        if (connected.incrementAndGet() == size && allConnectedAt == 0) allConnectedAt = now;
    }

    @Override
    public void ended(LoadDevice device, String reason, boolean establishedBefore) {
        if (establishedBefore) {
            connected.decrementAndGet();
            endedAfterSession.incrementAndGet();
        } else {
            refusedBeforeSession.incrementAndGet();
        }
        endReasons.computeIfAbsent(reason, k -> new AtomicLong()).incrementAndGet();
        idle.computeIfAbsent(key(device.transport, device.node), k -> new ConcurrentLinkedQueue<>())
                .add(device);
    }

    @Override
    public void received(LoadDevice device, DocRef doc) {
        tracker.received(device, doc);
    }

    // ---- NetworkHost

    @Override
    public long peerId() {
        return 1; // the network stack's own id: used for TLS only, and the fleet runs without
    }

    @Override
    public String appId() {
        return appId;
    }

    @Override
    public int protocolVersion() {
        return SessionConfig.PROTOCOL_VERSION;
    }

    @Override
    public StarlingConfig config() {
        return config;
    }

    @Override
    public MessageChannel.Receiver attach(MessageChannel channel, ConnectionInfo info) {
        String transport = info.transport();
        // which node: the fleet dials each node's listeners, so the remote port says it
        for (Map.Entry<String, Queue<LoadDevice>> e : idle.entrySet()) {
            if (!e.getKey().startsWith(transport + "@")) continue;
            if (!nodeMatches(e.getKey(), info.remoteAddress())) continue;
            LoadDevice d = e.getValue().poll();
            if (d != null) return d.attach(channel);
        }
        channel.sessionEnded("no idle device");
        channel.close();
        return new MessageChannel.Receiver() {
            @Override
            public void onMessage(byte[] message) {}

            @Override
            public void onClosed() {}
        };
    }

    private final Map<String, Integer> nodeOfAddress = new ConcurrentHashMap<>();

    /** Tells the fleet which node listens at which port (so that a connection goes to a device of that node). */
    void nodeAt(Endpoint endpoint, int node) {
        nodeOfAddress.put(String.valueOf(endpoint.port()), node);
    }

    private boolean nodeMatches(String poolKey, String remoteAddress) {
        int colon = remoteAddress.lastIndexOf(':');
        Integer node = nodeOfAddress.get(colon < 0 ? remoteAddress : remoteAddress.substring(colon + 1));
        return node == null || poolKey.endsWith("@" + node);
    }

    @Override
    public boolean isConnected(long peerId) {
        return false; // every device keeps its own connection to the one server peer id
    }

    @Override
    public void recordBytes(long sent, long received) {
        bytesSent.addAndGet(sent);
        bytesReceived.addAndGet(received);
    }

    @Override
    public void recordRefused(String reason) {
        refusedBeforeSession.incrementAndGet();
        endReasons.computeIfAbsent("refused: " + reason, k -> new AtomicLong()).incrementAndGet();
    }

    @Override
    public void close() {
        ticker.shutdownNow();
        for (LoadDevice d : devices) d.close();
        network.close();
    }
}
