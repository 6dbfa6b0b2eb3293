package io.starling.internal.discovery;

import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the peers of one app on the local network over mDNS/DNS-SD, and lets them find this one
 * (docs/DISCOVERY.md).
 *
 * <p>{@link #start} advertises the service {@code _starling._tcp.local.} under the instance name
 * {@code starling-<peer id as 16 hex digits>}, with TXT {@code app} (the first 16 hex digits of SHA-256 of the
 * app id; the app id itself is never sent), {@code peer} and {@code proto}. It browses the same service type
 * and reports through {@code onFound} every peer that has the same app hash and protocol version and another
 * peer id, with the addresses it was resolved at (IPv4 first) and its port. Anything else is ignored (logged at
 * DEBUG).
 *
 * <p>Threading: {@code onFound} runs on a JmDNS thread and must return quickly (hand the work to another
 * executor); it may be called again for the same peer, whenever the peer is resolved anew, and concurrently for
 * different peers when several interfaces are in use. An exception it throws is logged and dropped. The
 * instance itself is thread-safe.
 *
 * <p>Cost: one JmDNS instance (a multicast socket on UDP port 5353, shared with other mDNS responders on the
 * host, and a few threads) per local address in use. {@code start} blocks for one to two seconds while JmDNS
 * probes its names; {@link #close} waits at most {@link #CLOSE_TIMEOUT}.
 */
public final class LanDiscovery implements AutoCloseable {
    /** The longest {@link #close} waits for JmDNS to say goodbye and stop; it then gives up (logged). */
    public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private static final Logger LOG = LoggerFactory.getLogger(LanDiscovery.class);

    private final Advertisement advertisement;
    private final List<Responder> responders;
    private final AtomicBoolean closed;

    /**
     * What to advertise and where.
     *
     * @param appId the application id; only a hash of it is advertised. Not blank.
     * @param peerId this peer's id; instances with the same id are taken to be this peer and ignored
     * @param protocolVersion the sync protocol version; peers advertising another one are ignored. Not negative.
     * @param port the TCP port this peer accepts connections on, 1 to 65535
     * @param bindAddress the one local address to run mDNS on (for instance the loopback address in tests), or
     *     null for every interface that is up, multicast-capable, not loopback, not point-to-point and not virtual
     */
    public record Options(
            String appId,
            long peerId,
            int protocolVersion,
            int port,
            @Nullable InetAddress bindAddress) {
        public Options {
            Objects.requireNonNull(appId, "appId");
            if (appId.isBlank()) throw new IllegalArgumentException("appId must not be blank");
            if (protocolVersion < 0)
                throw new IllegalArgumentException("protocolVersion must not be negative: " + protocolVersion);
            if (port < 1 || port > 0xffff) throw new IllegalArgumentException("port must be 1 to 65535: " + port);
            if (bindAddress != null && (bindAddress.isAnyLocalAddress() || bindAddress.isMulticastAddress())) {
                throw new IllegalArgumentException(
                        "bindAddress must be a unicast address of this host (null means every "
                                + "suitable interface): " + bindAddress.getHostAddress());
            }
        }
    }

    /**
     * A peer of the same app and protocol version, and the addresses it can be reached at (IPv4 first, then IPv6,
     * all with its advertised port). Never empty.
     */
    public record Found(long peerId, List<InetSocketAddress> addresses) {
        public Found {
            addresses = List.copyOf(addresses);
            if (addresses.isEmpty()) throw new IllegalArgumentException("a found peer has at least one address");
        }
    }

    private LanDiscovery(Advertisement advertisement, List<Responder> responders, AtomicBoolean closed) {
        this.advertisement = advertisement;
        this.responders = responders;
        this.closed = closed;
    }

    /**
     * Starts advertising and browsing. Blocks while JmDNS starts (one to two seconds).
     *
     * @throws IllegalArgumentException when {@code bindAddress} is not an address of this host
     * @throws IllegalStateException when {@code bindAddress} is null and no interface is suitable for mDNS
     * @throws UncheckedIOException when mDNS cannot start (socket or multicast group refused) on the bind address,
     *     or on every suitable interface
     */
    public static LanDiscovery start(Options options, Consumer<Found> onFound) {
        return start(options, onFound, (name, why) -> {});
    }

    /** {@link #start(Options, Consumer)}, also telling {@code onIgnored} which instances it ignored and why. */
    static LanDiscovery start(Options options, Consumer<Found> onFound, BiConsumer<String, String> onIgnored) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(onFound, "onFound");
        List<InetAddress> addresses = options.bindAddress() == null
                ? MulticastInterfaces.addresses()
                : List.of(checkLocal(options.bindAddress()));
        Advertisement ad = Advertisement.of(options);
        AtomicBoolean closed = new AtomicBoolean();
        PeerResolver.Context context =
                new PeerResolver.Context(ad, new PeerAddresses(), onFound, onIgnored, closed::get);
        if (addresses.size() == 1) {
            InetAddress address = addresses.get(0);
            PeerResolver browser = new PeerResolver(0, address, context);
            return new LanDiscovery(ad, List.of(Responder.start(address, ad, options.port(), browser)), closed);
        }
        // several interfaces: start them side by side (each probes for a second or two); keep those that start
        List<CompletableFuture<Responder>> starting = new ArrayList<>();
        for (int i = 0; i < addresses.size(); i++) {
            InetAddress address = addresses.get(i);
            PeerResolver browser = new PeerResolver(i, address, context);
            starting.add(CompletableFuture.supplyAsync(
                    () -> Responder.start(address, ad, options.port(), browser),
                    task -> daemon(task, "starling-mdns-start").start()));
        }
        List<Responder> started = new ArrayList<>();
        RuntimeException failure = null;
        for (int i = 0; i < starting.size(); i++) {
            try {
                started.add(starting.get(i).join());
            } catch (CompletionException e) {
                RuntimeException cause = e.getCause() instanceof RuntimeException r ? r : e;
                LOG.warn("LAN discovery: not using {}: {}", addresses.get(i).getHostAddress(), cause.getMessage());
                failure = cause;
            }
        }
        if (started.isEmpty()) throw Objects.requireNonNull(failure);
        return new LanDiscovery(ad, List.copyOf(started), closed);
    }

    /**
     * Withdraws the advertisement (goodbye packets) and stops browsing. {@code onFound} is not called once
     * {@code close} has begun, apart from a call already running. Waits at most {@link #CLOSE_TIMEOUT} for JmDNS
     * to stop; past that it logs a warning and lets JmDNS finish in the background. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        List<Thread> closing = new ArrayList<>();
        for (Responder r : responders) {
            Thread t = daemon(r::close, "starling-mdns-close");
            t.start();
            closing.add(t);
        }
        long deadline = System.nanoTime() + CLOSE_TIMEOUT.toNanos();
        boolean interrupted = false;
        for (int i = 0; i < closing.size(); i++) {
            Thread t = closing.get(i);
            try {
                long left = deadline - System.nanoTime();
                if (left > 0) t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            } catch (InterruptedException e) {
                interrupted = true;
                deadline = System.nanoTime(); // stop waiting for the others too
            }
            if (t.isAlive()) {
                LOG.warn(
                        "LAN discovery: mDNS on {} did not stop within {} ms; leaving it to finish in the background",
                        responders.get(i).description(),
                        CLOSE_TIMEOUT.toMillis());
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        LOG.info("LAN discovery: stopped advertising {}", advertisement.instanceName());
    }

    private static InetAddress checkLocal(InetAddress address) {
        try {
            if (NetworkInterface.getByInetAddress(address) == null) {
                throw new IllegalArgumentException(
                        "bindAddress " + address.getHostAddress() + " is not an address of this host");
            }
        } catch (SocketException e) {
            throw new UncheckedIOException("cannot look up the interface of " + address.getHostAddress(), e);
        }
        return address;
    }

    private static Thread daemon(Runnable task, String name) {
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        return t;
    }
}
