package io.starling.internal.discovery;

import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The local addresses to run mDNS on when the caller names none: one address per interface that is up,
 * multicast-capable, not loopback, not point-to-point (VPN tunnels) and not virtual (sub-interfaces). An IPv4
 * address is preferred; an interface with IPv6 only contributes its first IPv6 address.
 */
final class MulticastInterfaces {
    private MulticastInterfaces() {}

    /**
     * @throws IllegalStateException when no interface qualifies (say, a container with loopback only)
     * @throws java.io.UncheckedIOException when the interfaces cannot be listed
     */
    static List<InetAddress> addresses() {
        List<InetAddress> chosen = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        try {
            for (NetworkInterface nif : NetworkInterface.networkInterfaces().toList()) {
                if (!nif.isUp()
                        || nif.isLoopback()
                        || nif.isPointToPoint()
                        || nif.isVirtual()
                        || !nif.supportsMulticast()) {
                    skipped.add(nif.getName());
                    continue;
                }
                pick(nif).ifPresentOrElse(chosen::add, () -> skipped.add(nif.getName()));
            }
        } catch (SocketException e) {
            throw new UncheckedIOException("cannot list the network interfaces for mDNS: " + e.getMessage(), e);
        }
        if (chosen.isEmpty()) {
            throw new IllegalStateException("no network interface is up, multicast-capable and not loopback (skipped "
                    + skipped + "); LAN discovery needs one, or an explicit Options.bindAddress");
        }
        return chosen;
    }

    private static Optional<InetAddress> pick(NetworkInterface nif) {
        InetAddress v6 = null;
        for (InterfaceAddress ia : nif.getInterfaceAddresses()) {
            InetAddress a = ia.getAddress();
            if (a instanceof Inet4Address) return Optional.of(a);
            if (v6 == null) v6 = a;
        }
        return Optional.ofNullable(v6);
    }
}
