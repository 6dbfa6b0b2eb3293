package io.starling.internal.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The filtering and merging rules, without any network: resolved instances are fed in directly. */
class PeerResolverTest {
    private static final long ME = 0x1111L, OTHER = 0x2222L;
    /** A responder's address that is not this host's: no interface, so no IPv6 scope either. */
    private static final InetAddress LAN = ip("192.168.1.2");

    private final Advertisement own = new Advertisement(Advertisement.appHash("app"), ME, 1);
    private final List<LanDiscovery.Found> found = new ArrayList<>();
    private final List<String> ignored = new ArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final PeerResolver.Context context = new PeerResolver.Context(
            own, new PeerAddresses(), found::add, (name, why) -> ignored.add(name + ": " + why), closed::get);

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal); // literals only: no lookup
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static Map<String, String> txt(String appId, long peer, int proto) {
        return new Advertisement(Advertisement.appHash(appId), peer, proto).txt();
    }

    @Test
    void reportsAPeerOfTheSameAppAndVersionWithIpv4First() {
        PeerResolver r = new PeerResolver(0, LAN, context);
        r.resolved(
                "starling-2222",
                txt("app", OTHER, 1)::get,
                4000,
                List.of(ip("fe80::1"), ip("192.168.1.9"), ip("10.0.0.2")));
        assertThat(found)
                .containsExactly(new LanDiscovery.Found(
                        OTHER,
                        List.of(
                                new InetSocketAddress(ip("192.168.1.9"), 4000),
                                new InetSocketAddress(ip("10.0.0.2"), 4000),
                                new InetSocketAddress(ip("fe80::1"), 4000))));
        assertThat(ignored).isEmpty();
    }

    @Test
    void ignoresItselfOtherAppsOtherVersionsAndBadRecordsSayingWhy() {
        PeerResolver r = new PeerResolver(0, LAN, context);
        List<InetAddress> at = List.of(ip("10.0.0.2"));
        r.resolved("self", txt("app", ME, 1)::get, 4000, at);
        r.resolved("other-app", txt("another app", OTHER, 1)::get, 4000, at);
        r.resolved("other-version", txt("app", OTHER, 2)::get, 4000, at);
        r.resolved("bad-port", txt("app", OTHER, 1)::get, 0, at);
        r.resolved("bad-txt", Map.of("app", "zz", "peer", "1", "proto", "1")::get, 4000, at);
        assertThat(found).isEmpty();
        assertThat(ignored)
                .containsExactly(
                        "self: it is this peer (0000000000001111)",
                        "other-app: peer 0000000000002222 is of another app (hash "
                                + Advertisement.appHash("another app") + ", ours " + own.appHash() + ")",
                        "other-version: peer 0000000000002222 speaks protocol version 2, ours is 1",
                        "bad-port: peer 0000000000002222 advertises port 0",
                        "bad-txt: TXT app=zz is not 16 hex digits");
    }

    @Test
    void waitsQuietlyForTxtAndAddressesNotResolvedYet() {
        PeerResolver r = new PeerResolver(0, LAN, context);
        r.resolved("no-txt", Map.<String, String>of()::get, 4000, List.of(ip("10.0.0.2")));
        r.resolved("no-address", txt("app", OTHER, 1)::get, 4000, List.of());
        assertThat(found).isEmpty();
        assertThat(ignored).isEmpty();
    }

    @Test
    void boundToLoopbackItReportsLoopbackAddressesOnly() {
        PeerResolver r = new PeerResolver(0, ip("127.0.0.1"), context);
        r.resolved("lan", txt("app", OTHER, 1)::get, 4000, List.of(ip("192.168.1.9")));
        assertThat(found).isEmpty();
        assertThat(ignored).singleElement().asString().contains("bound to loopback");
        r.resolved("both", txt("app", OTHER, 1)::get, 4000, List.of(ip("192.168.1.9"), ip("127.0.0.1")));
        assertThat(found)
                .containsExactly(new LanDiscovery.Found(OTHER, List.of(new InetSocketAddress(ip("127.0.0.1"), 4000))));
    }

    @Test
    void aPeerSeenOnTwoInterfacesIsReportedWithBothAndAReResolutionReplacesOnlyItsOwn() {
        PeerResolver eth = new PeerResolver(0, LAN, context), wifi = new PeerResolver(1, LAN, context);
        eth.resolved("p", txt("app", OTHER, 1)::get, 4000, List.of(ip("10.0.0.2")));
        wifi.resolved("p", txt("app", OTHER, 1)::get, 4000, List.of(ip("fd00::2"), ip("192.168.1.9")));
        eth.resolved("p", txt("app", OTHER, 1)::get, 4000, List.of(ip("10.0.0.3")));
        assertThat(found)
                .extracting(f -> f.addresses().toString())
                .containsExactly(
                        "[/10.0.0.2:4000]",
                        "[/10.0.0.2:4000, /192.168.1.9:4000, /[fd00:0:0:0:0:0:0:2]:4000]",
                        "[/10.0.0.3:4000, /192.168.1.9:4000, /[fd00:0:0:0:0:0:0:2]:4000]");
        context.book().remove(OTHER, 1);
        eth.resolved("p", txt("app", OTHER, 1)::get, 4000, List.of(ip("10.0.0.3")));
        assertThat(found.get(3).addresses()).containsExactly(new InetSocketAddress(ip("10.0.0.3"), 4000));
    }

    @Test
    void linkLocalIpv6AddressesGetTheResponderInterfaceAsScope() throws Exception {
        NetworkInterface nif = NetworkInterface.networkInterfaces()
                .filter(n -> !n.inetAddresses().allMatch(InetAddress::isLoopbackAddress))
                .findFirst()
                .orElse(null);
        assumeTrue(nif != null, "no interface with a non-loopback address here");
        InetAddress local = nif.inetAddresses()
                .filter(a -> !a.isLoopbackAddress())
                .findFirst()
                .orElseThrow();
        new PeerResolver(0, local, context)
                .resolved("p", txt("app", OTHER, 1)::get, 4000, List.of(ip("fe80::1"), ip("fd00::1")));
        assertThat(found).hasSize(1);
        assertThat(found.get(0).addresses())
                .extracting(a -> {
                    Inet6Address v6 = (Inet6Address) a.getAddress();
                    return v6.getScopedInterface() == null
                            ? v6.getHostAddress()
                            : v6.getScopedInterface().getName();
                })
                .containsExactly(nif.getName(), "fd00:0:0:0:0:0:0:1");
    }

    @Test
    void aFailingCallbackIsContainedAndNothingIsReportedOnceClosed() {
        PeerResolver failing = new PeerResolver(
                0,
                LAN,
                new PeerResolver.Context(
                        own,
                        new PeerAddresses(),
                        f -> {
                            throw new IllegalStateException("callback bug");
                        },
                        (n, w) -> {},
                        closed::get));
        failing.resolved("p", txt("app", OTHER, 1)::get, 4000, List.of(ip("10.0.0.2"))); // logged, not thrown

        PeerResolver r = new PeerResolver(0, LAN, context);
        closed.set(true);
        r.resolved("p", txt("app", OTHER, 1)::get, 4000, List.of(ip("10.0.0.2")));
        r.resolved("self", txt("app", ME, 1)::get, 4000, List.of(ip("10.0.0.2")));
        assertThat(found).isEmpty();
        assertThat(ignored).isEmpty();
    }
}
