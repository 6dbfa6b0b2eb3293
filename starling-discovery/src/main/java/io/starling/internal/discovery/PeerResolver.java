package io.starling.internal.discovery;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.jmdns.ServiceEvent;
import javax.jmdns.ServiceInfo;
import javax.jmdns.ServiceListener;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Browses {@code _starling._tcp} on one JmDNS responder: asks for every announced instance to be resolved,
 * and reports the resolved instances that belong to the same app and protocol version and are not this peer.
 * Everything else is ignored with a DEBUG line saying why.
 *
 * <p>Callbacks arrive on JmDNS threads; {@code onFound} is called on them too and must be quick. An exception
 * from {@code onFound} is logged and swallowed so that it cannot stop the responder.
 */
final class PeerResolver implements ServiceListener {
    private static final Logger LOG = LoggerFactory.getLogger(PeerResolver.class);
    private static final String NAME_PREFIX = "starling-";

    /**
     * What every responder of one {@link LanDiscovery} shares.
     *
     * @param onIgnored (instance name, why) for each resolved instance that is not reported; for tests
     * @param closed true once the owner closes: nothing is reported from then on
     */
    record Context(
            Advertisement own,
            PeerAddresses book,
            Consumer<LanDiscovery.Found> onFound,
            BiConsumer<String, String> onIgnored,
            BooleanSupplier closed) {}

    private final int responder;
    private final InetAddress bound;
    private final @Nullable NetworkInterface scope;
    private final Context context;

    /**
     * @param responder the index of the JmDNS instance this listener is registered on
     * @param bound the local address of that instance. Loopback: only loopback addresses are reported (its
     *     wildcard-bound socket may also hear LAN traffic, see {@link LoopbackScopedJmDNS}). Otherwise its
     *     interface becomes the scope of IPv6 link-local addresses, which cannot be dialled without one.
     */
    PeerResolver(int responder, InetAddress bound, Context context) {
        this.responder = responder;
        this.bound = bound;
        this.scope = interfaceOf(bound);
        this.context = context;
    }

    private static @Nullable NetworkInterface interfaceOf(InetAddress address) {
        try {
            return NetworkInterface.getByInetAddress(address);
        } catch (SocketException e) {
            return null;
        }
    }

    @Override
    public void serviceAdded(ServiceEvent event) {
        if (context.closed().getAsBoolean()) return;
        // the event carries the name only: ask for SRV, TXT and address records (answered in serviceResolved)
        event.getDNS().requestServiceInfo(event.getType(), event.getName());
    }

    @Override
    public void serviceResolved(ServiceEvent event) {
        ServiceInfo info = event.getInfo();
        List<InetAddress> addresses = new ArrayList<>(Arrays.asList(info.getInet4Addresses()));
        addresses.addAll(Arrays.asList(info.getInet6Addresses()));
        resolved(info.getName(), info::getPropertyString, info.getPort(), addresses);
    }

    @Override
    public void serviceRemoved(ServiceEvent event) {
        String name = event.getName();
        if (name.startsWith(NAME_PREFIX) && name.length() == NAME_PREFIX.length() + 16) {
            try {
                context.book().remove(Long.parseUnsignedLong(name.substring(NAME_PREFIX.length()), 16), responder);
            } catch (NumberFormatException ignored) {
                // not one of ours: nothing was recorded under it
            }
        }
        LOG.debug("mDNS: {} withdrew its service", name);
    }

    /** Decides about one resolved instance ({@code txt} returns null for an absent key). */
    void resolved(String name, Function<String, String> txt, int port, List<InetAddress> addresses) {
        if (txt.apply(Advertisement.KEY_APP) == null && txt.apply(Advertisement.KEY_PEER) == null) {
            LOG.debug("mDNS: {} not resolved yet (no TXT record)", name);
            return;
        }
        Advertisement theirs;
        try {
            theirs = Advertisement.parse(txt);
        } catch (IllegalArgumentException e) {
            ignore(name, String.valueOf(e.getMessage()));
            return;
        }
        Advertisement own = context.own();
        String peer = Advertisement.peerHex(theirs.peerId());
        if (theirs.peerId() == own.peerId()) {
            ignore(name, "it is this peer (" + peer + ")");
        } else if (!theirs.appHash().equals(own.appHash())) {
            ignore(
                    name,
                    "peer " + peer + " is of another app (hash " + theirs.appHash() + ", ours " + own.appHash() + ")");
        } else if (theirs.protocolVersion() != own.protocolVersion()) {
            ignore(
                    name,
                    "peer " + peer + " speaks protocol version " + theirs.protocolVersion() + ", ours is "
                            + own.protocolVersion());
        } else if (port < 1 || port > 0xffff) {
            ignore(name, "peer " + peer + " advertises port " + port);
        } else if (addresses.isEmpty()) {
            LOG.debug("mDNS: {} (peer {}) has no address resolved yet", name, peer);
        } else if (bound.isLoopbackAddress() && addresses.stream().noneMatch(InetAddress::isLoopbackAddress)) {
            ignore(name, "peer " + peer + " is at " + addresses + ", and this responder is bound to loopback");
        } else {
            List<InetSocketAddress> at = new ArrayList<>(addresses.size());
            for (InetAddress a : addresses) {
                if (!bound.isLoopbackAddress() || a.isLoopbackAddress()) at.add(new InetSocketAddress(scoped(a), port));
            }
            report(theirs.peerId(), context.book().update(theirs.peerId(), responder, PeerAddresses.ipv4First(at)));
        }
    }

    private InetAddress scoped(InetAddress a) {
        if (scope == null || !(a instanceof Inet6Address v6) || !v6.isLinkLocalAddress() || v6.getScopeId() != 0)
            return a;
        try {
            return Inet6Address.getByAddress(null, v6.getAddress(), scope);
        } catch (UnknownHostException e) {
            return a; // cannot happen for a 16-byte address
        }
    }

    private void report(long peerId, List<InetSocketAddress> addresses) {
        if (context.closed().getAsBoolean()) return;
        LOG.debug("mDNS: found peer {} at {}", Advertisement.peerHex(peerId), addresses);
        try {
            context.onFound().accept(new LanDiscovery.Found(peerId, addresses));
        } catch (RuntimeException e) {
            LOG.warn("mDNS: the onFound callback failed for peer {}", Advertisement.peerHex(peerId), e);
        }
    }

    private void ignore(String name, String why) {
        LOG.debug("mDNS: ignoring {}: {}", name, why);
        if (!context.closed().getAsBoolean()) context.onIgnored().accept(name, why);
    }
}
