package io.starling.internal.discovery;

import io.starling.testsupport.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Two Linux network namespaces made for one test, joined by a veth pair: "host" ({@code vA}, 198.51.100.1/24,
 * with its own loopback) and "lan" ({@code vB}, 198.51.100.2/24). IPv6 is off and the neighbours are static, so
 * that the kernel itself sends nothing on the pair and every packet counted on {@code vA} comes from a process.
 * Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) and iproute2. Nothing touches the real interfaces.
 */
final class NetworkNamespaces implements AutoCloseable {
    static final String HOST_ADDRESS = "198.51.100.1", LAN_ADDRESS = "198.51.100.2";
    private static final Pattern TX_PACKETS = Pattern.compile("\"tx\":\\{\"bytes\":\\d+,\"packets\":(\\d+)");

    final String host, lan;

    private NetworkNamespaces(String host, String lan) {
        this.host = host;
        this.lan = lan;
    }

    private static Optional<String> unavailable;

    /** Empty when namespaces can be made here, else why not (probed once). */
    static synchronized Optional<String> unavailable() {
        if (unavailable == null) unavailable = probe();
        return unavailable;
    }

    private static Optional<String> probe() {
        try {
            String probe = "starling-probe-"
                    + Integer.toHexString(ThreadLocalRandom.current().nextInt());
            run("ip", "netns", "add", probe);
            run("ip", "netns", "del", probe);
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.of("cannot create a network namespace (needs root and iproute2): " + e.getMessage());
        }
    }

    static NetworkNamespaces create() throws IOException {
        String id = Integer.toHexString(ThreadLocalRandom.current().nextInt());
        NetworkNamespaces ns = new NetworkNamespaces("starling-host-" + id, "starling-lan-" + id);
        run("ip", "netns", "add", ns.host);
        try {
            run("ip", "netns", "add", ns.lan);
            for (String n : List.of(ns.host, ns.lan)) {
                // no IPv6 (router solicitations, MLD) and no IGMP reports for 224.0.0.x (the joined mDNS group)
                run(
                        "ip",
                        "netns",
                        "exec",
                        n,
                        "sysctl",
                        "-qw",
                        "net.ipv6.conf.all.disable_ipv6=1",
                        "net.ipv6.conf.default.disable_ipv6=1",
                        "net.ipv4.igmp_link_local_mcast_reports=0");
                run("ip", "-n", n, "link", "set", "lo", "up");
            }
            run(
                    "ip",
                    "-n",
                    ns.host,
                    "link",
                    "add",
                    "vA",
                    "address",
                    "02:00:00:00:00:0a",
                    "type",
                    "veth",
                    "peer",
                    "name",
                    "vB",
                    "address",
                    "02:00:00:00:00:0b",
                    "netns",
                    ns.lan);
            run("ip", "-n", ns.host, "addr", "add", HOST_ADDRESS + "/24", "dev", "vA");
            run("ip", "-n", ns.lan, "addr", "add", LAN_ADDRESS + "/24", "dev", "vB");
            run(
                    "ip",
                    "-n",
                    ns.host,
                    "neigh",
                    "replace",
                    LAN_ADDRESS,
                    "lladdr",
                    "02:00:00:00:00:0b",
                    "dev",
                    "vA",
                    "nud",
                    "permanent");
            run(
                    "ip",
                    "-n",
                    ns.lan,
                    "neigh",
                    "replace",
                    HOST_ADDRESS,
                    "lladdr",
                    "02:00:00:00:00:0a",
                    "dev",
                    "vB",
                    "nud",
                    "permanent");
            run("ip", "-n", ns.host, "link", "set", "vA", "up");
            run("ip", "-n", ns.lan, "link", "set", "vB", "up");
            // Java counts an interface as up once it is RUNNING too, which the kernel sets a little later
            awaitRunning(ns.host, "vA");
            awaitRunning(ns.lan, "vB");
        } catch (IOException | RuntimeException | AssertionError e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    private static void awaitRunning(String namespace, String device) {
        // polling the kernel's state: there is no event to wait on
        Await.until(device + " in " + namespace + " to be up", Duration.ofSeconds(10), () -> {
            try {
                return run("ip", "-n", namespace, "-j", "link", "show", device).contains("\"operstate\":\"UP\"");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** The command prefix that runs a program inside namespace {@code name}. */
    static List<String> exec(String name) {
        return List.of("ip", "netns", "exec", name);
    }

    /** Packets sent so far by the host side of the pair. */
    long hostTxPackets() throws IOException {
        String json = run("ip", "-n", host, "-j", "-s", "link", "show", "vA");
        Matcher m = TX_PACKETS.matcher(json);
        if (!m.find()) throw new IllegalStateException("no tx packet count in " + json);
        return Long.parseLong(m.group(1));
    }

    @Override
    public void close() {
        for (String n : List.of(host, lan)) {
            try {
                run("ip", "netns", "del", n); // takes the veth pair with it
            } catch (IOException | RuntimeException e) {
                // not created, or already gone
            }
        }
    }

    private static String run(String... command) throws IOException {
        Process p = new ProcessBuilder(new ArrayList<>(List.of(command)))
                .redirectErrorStream(true)
                .start();
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + ": timed out");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) throw new IllegalStateException(String.join(" ", command) + ": " + out.strip());
        return out;
    }
}
