package io.starling.internal.discovery;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import javax.jmdns.impl.DNSOutgoing;
import javax.jmdns.impl.HostInfo;
import javax.jmdns.impl.JmDNSImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JmDNS that, when bound to a loopback address, never sends a packet off the loopback interface.
 *
 * <p>Why: on Linux and macOS JmDNS binds its socket to the wildcard address ({@code 0.0.0.0:5353}) and only
 * sets the outgoing multicast interface, so a unicast query from another host that reaches port 5353 (or a
 * multicast one, once any process joined the mDNS group on a LAN interface) is answered by unicast, routed
 * out of the LAN interface — advertising loopback records to the network (measured: docs/DISCOVERY.md,
 * "Loopback isolation"). Multicast packets already leave by the bound interface only; this drops the unicast
 * ones whose destination is not a loopback address. Bound to any other address it behaves as JmDNS does.
 */
final class LoopbackScopedJmDNS extends JmDNSImpl {
    private static final Logger LOG = LoggerFactory.getLogger(LoopbackScopedJmDNS.class);

    LoopbackScopedJmDNS(InetAddress address, String name) throws IOException {
        super(address, name);
    }

    @Override
    public void send(DNSOutgoing out) throws IOException {
        InetSocketAddress to = out.getDestination();
        if (to != null && !to.getAddress().isLoopbackAddress() && !boundToNonLoopback()) {
            LOG.debug("mDNS: not answering {} from a loopback-bound responder", to);
            return;
        }
        super.send(out);
    }

    /** False while unknown (during construction): fail closed. */
    private boolean boundToNonLoopback() {
        HostInfo host = getLocalHost();
        InetAddress local = host == null ? null : host.getInetAddress();
        return local != null && !local.isLoopbackAddress();
    }
}
