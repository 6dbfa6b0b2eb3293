package io.starling.internal.discovery;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import javax.jmdns.JmDNS;
import javax.jmdns.ServiceInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JmDNS instance on one local address: it advertises this peer's service and browses for others.
 * {@link #start} blocks while JmDNS probes its names (about a second or two); {@link #close} may block for
 * several seconds (goodbye packets, then JmDNS stopping its timers), so {@link LanDiscovery} bounds it.
 */
final class Responder {
    private static final Logger LOG = LoggerFactory.getLogger(Responder.class);

    private final JmDNS jmdns;
    private final String description;

    private Responder(JmDNS jmdns, String description) {
        this.jmdns = jmdns;
        this.description = description;
    }

    /**
     * @throws UncheckedIOException when JmDNS cannot open its socket or register the service
     */
    static Responder start(InetAddress address, Advertisement ad, int port, PeerResolver browser) {
        String where = describe(address);
        JmDNS jmdns;
        try {
            // the JmDNS name is also its host name (A record): one per peer keeps several peers per host apart
            jmdns = new LoopbackScopedJmDNS(address, ad.instanceName());
        } catch (IOException e) {
            throw new UncheckedIOException("mDNS could not start on " + where + ": " + e.getMessage(), e);
        }
        try {
            jmdns.addServiceListener(Advertisement.SERVICE_TYPE, browser);
            ServiceInfo info = ServiceInfo.create(Advertisement.SERVICE_TYPE, ad.instanceName(), port, 0, 0, ad.txt());
            jmdns.registerService(info);
            LOG.info(
                    "LAN discovery: advertising {} on {} port {} (TXT app={} peer={} proto={})",
                    info.getQualifiedName(),
                    where,
                    port,
                    ad.appHash(),
                    Advertisement.peerHex(ad.peerId()),
                    ad.protocolVersion());
        } catch (IOException | RuntimeException e) {
            closeQuietly(jmdns, where);
            if (e instanceof IOException io) {
                throw new UncheckedIOException("mDNS could not advertise on " + where + ": " + e.getMessage(), io);
            }
            throw (RuntimeException) e;
        }
        return new Responder(jmdns, where);
    }

    /** Withdraws the service (goodbye packets) and stops JmDNS. Blocking; call it once. */
    void close() {
        closeQuietly(jmdns, description);
    }

    String description() {
        return description;
    }

    private static void closeQuietly(JmDNS jmdns, String where) {
        try {
            jmdns.close(); // withdraws the services too, side by side with the host name (see docs/DISCOVERY.md)
        } catch (IOException | RuntimeException e) {
            LOG.warn("LAN discovery: stopping mDNS on {} failed", where, e);
        }
    }

    private static String describe(InetAddress address) {
        try {
            NetworkInterface nif = NetworkInterface.getByInetAddress(address);
            return address.getHostAddress() + (nif == null ? "" : " (" + nif.getName() + ")");
        } catch (SocketException e) {
            return address.getHostAddress();
        }
    }
}
