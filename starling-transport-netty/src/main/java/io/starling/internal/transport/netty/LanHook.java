package io.starling.internal.transport.netty;

import io.starling.ErrorCode;
import io.starling.StarlingException;
import io.starling.internal.discovery.LanDiscovery;
import io.starling.internal.net.NetworkHost;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge to LAN discovery ({@code starling-discovery}): advertises this peer's TCP port and hands every peer found
 * to the network's dialers. Discovery that cannot start (no usable interface, multicast refused) is logged at WARN and
 * the peer runs without it. The system property {@value #BIND_PROPERTY} restricts discovery to one local address
 * (tests use {@code 127.0.0.1}); it then also becomes the address of the TCP listener added for discovery.
 */
final class LanHook implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LanHook.class);
    static final String BIND_PROPERTY = "starling.lan.bindAddress";

    private final LanDiscovery discovery;

    private LanHook(LanDiscovery discovery) {
        this.discovery = discovery;
    }

    /** Starts discovery, or returns null (logged) when it cannot start. {@code onFound} runs on a discovery thread. */
    static @Nullable LanHook start(NetworkHost host, int port, BiConsumer<Long, List<InetSocketAddress>> onFound) {
        LanDiscovery.Options options =
                new LanDiscovery.Options(host.appId(), host.peerId(), host.protocolVersion(), port, bindAddress());
        try {
            LanDiscovery d = LanDiscovery.start(options, found -> onFound.accept(found.peerId(), found.addresses()));
            log.info(
                    "LAN discovery on{}: advertising peer {} on TCP port {}",
                    options.bindAddress() == null
                            ? " every interface"
                            : " " + options.bindAddress().getHostAddress(),
                    TlsIdentity.peerName(host.peerId()),
                    port);
            return new LanHook(d);
        } catch (IllegalArgumentException | IllegalStateException | UncheckedIOException e) {
            log.warn("LAN discovery could not start, continuing without it: {}", e.getMessage());
            return null;
        } catch (LinkageError e) { // starling-discovery or JmDNS missing from the class path
            log.warn("LAN discovery is not available, continuing without it: {}", e.toString());
            return null;
        }
    }

    /** The address of {@value #BIND_PROPERTY}, or null for every interface. */
    static @Nullable InetAddress bindAddress() {
        String v = System.getProperty(BIND_PROPERTY);
        if (v == null || v.trim().isEmpty()) return null;
        try {
            return InetAddress.getByName(v.trim());
        } catch (UnknownHostException e) {
            throw new StarlingException(
                    ErrorCode.CONFIG_INVALID, "system property " + BIND_PROPERTY + " is not an address: " + v, e);
        }
    }

    @Override
    public void close() {
        discovery.close();
    }
}
