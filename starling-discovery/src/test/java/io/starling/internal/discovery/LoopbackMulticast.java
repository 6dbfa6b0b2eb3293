package io.starling.internal.discovery;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
import java.net.NetworkInterface;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;

/**
 * Whether multicast works on the loopback interface here: one datagram to the mDNS group {@code 224.0.0.251},
 * on an ephemeral port (not 5353), sent out of loopback only and received back. Linux delivers it even when
 * {@code lo} lacks the MULTICAST flag; a sandbox or firewall may not (docs/DISCOVERY.md, "Running the tests").
 */
final class LoopbackMulticast {
    private static final Optional<String> UNAVAILABLE = probe();

    private LoopbackMulticast() {}

    /** Empty when it works, else why not (for a JUnit assumption message). */
    static Optional<String> unavailable() {
        return UNAVAILABLE;
    }

    private static Optional<String> probe() {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        String flag = "";
        try {
            NetworkInterface lo = NetworkInterface.getByInetAddress(loopback);
            if (lo == null) return Optional.of("no interface holds " + loopback.getHostAddress());
            flag = " (" + lo.getName() + (lo.supportsMulticast() ? " has" : " lacks") + " the MULTICAST flag)";
            byte[] token = UUID.randomUUID().toString().getBytes(StandardCharsets.US_ASCII);
            try (MulticastSocket rx = new MulticastSocket(0);
                    MulticastSocket tx = new MulticastSocket(0)) {
                InetSocketAddress group =
                        new InetSocketAddress(InetAddress.getByName("224.0.0.251"), rx.getLocalPort());
                rx.joinGroup(group, lo);
                rx.setSoTimeout(2000);
                tx.setNetworkInterface(lo);
                tx.setTimeToLive(1);
                tx.send(new DatagramPacket(token, token.length, group));
                byte[] buf = new byte[token.length + 1];
                long deadline = System.nanoTime() + 2_000_000_000L;
                while (System.nanoTime() < deadline) {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    rx.receive(p);
                    if (Arrays.equals(token, 0, token.length, p.getData(), 0, p.getLength())) return Optional.empty();
                }
            }
            return Optional.of("multicast on loopback does not come back" + flag);
        } catch (SocketTimeoutException e) {
            return Optional.of("multicast on loopback does not come back within 2 s" + flag);
        } catch (IOException e) {
            return Optional.of("multicast on loopback fails" + flag + ": " + e);
        }
    }
}
