package io.starling.internal.discovery;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.util.stream.Collectors;

/**
 * A peer in its own JVM, for the multi-process and network-namespace tests. Arguments: app id, peer id (hex),
 * port, bind address ({@code null} for every suitable interface). Prints {@code READY}, then
 * {@code FOUND <peer hex> <address,...>} per report; closes and prints {@code CLOSED} when its stdin ends.
 */
public final class DiscoveryPeerMain {
    private DiscoveryPeerMain() {}

    public static void main(String[] args) throws IOException {
        PrintStream out = System.out;
        InetAddress bind = args[3].equals("null") ? null : InetAddress.getByName(args[3]);
        LanDiscovery.Options options = new LanDiscovery.Options(
                args[0], Long.parseUnsignedLong(args[1], 16), 1, Integer.parseInt(args[2]), bind);
        LanDiscovery discovery = LanDiscovery.start(options, f -> {
            synchronized (out) {
                out.println("FOUND " + Advertisement.peerHex(f.peerId()) + " "
                        + f.addresses().stream()
                                .map(a -> a.getAddress().getHostAddress() + ":" + a.getPort())
                                .collect(Collectors.joining(",")));
                out.flush();
            }
        });
        try {
            out.println("READY");
            out.flush();
            InputStream in = System.in;
            while (in.read() >= 0) {
                // run until the parent closes our stdin
            }
        } finally {
            discovery.close();
        }
        out.println("CLOSED");
        out.flush();
    }
}
