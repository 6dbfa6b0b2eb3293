package io.starling.internal.discovery;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
import java.net.NetworkInterface;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * Plays "another host on the LAN" for {@link LoopbackIsolationTest}, in a child JVM inside a network namespace.
 *
 * <ul>
 *   <li>{@code query <target> <source> <rounds>}: per round, a legacy unicast query for {@code _starling._tcp}
 *       PTR to {@code target:5353} and a multicast one (QU bit set: unicast answer asked for) sent out of the
 *       interface of {@code source}; counts what comes back within 500 ms. Prints {@code RESPONSES <n>}.
 *   <li>{@code join <address>}: joins the mDNS group on the interface of {@code address} on port 5353, as a
 *       system mDNS daemon (avahi) would, and stays until stdin ends. Prints {@code READY}.
 * </ul>
 */
public final class MdnsQueryMain {
    private static final InetSocketAddress GROUP = new InetSocketAddress(ipv4("224.0.0.251"), 5353);

    private MdnsQueryMain() {}

    public static void main(String[] args) throws IOException {
        PrintStream out = System.out;
        if (args[0].equals("join")) {
            try (MulticastSocket s = new MulticastSocket(5353)) {
                s.joinGroup(GROUP, NetworkInterface.getByInetAddress(InetAddress.getByName(args[1])));
                out.println("READY");
                out.flush();
                InputStream in = System.in;
                while (in.read() >= 0) {
                    // hold the membership until the parent closes our stdin
                }
            }
            return;
        }
        InetAddress target = InetAddress.getByName(args[1]), source = InetAddress.getByName(args[2]);
        int rounds = Integer.parseInt(args[3]), responses = 0;
        try (MulticastSocket s = new MulticastSocket(new InetSocketAddress(source, 0))) {
            s.setNetworkInterface(NetworkInterface.getByInetAddress(source));
            s.setSoTimeout(500);
            for (int i = 0; i < rounds; i++) {
                send(s, query(false), new InetSocketAddress(target, 5353));
                send(s, query(true), GROUP);
                responses += drain(s, out);
            }
        }
        out.println("RESPONSES " + responses);
        out.flush();
    }

    private static void send(DatagramSocket s, byte[] packet, InetSocketAddress to) throws IOException {
        s.send(new DatagramPacket(packet, packet.length, to));
    }

    private static int drain(DatagramSocket s, PrintStream out) throws IOException {
        int n = 0;
        byte[] buf = new byte[9000];
        while (true) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                s.receive(p);
            } catch (SocketTimeoutException e) {
                return n;
            }
            n++;
            out.println("RESPONSE from " + p.getSocketAddress() + ", " + p.getLength() + " bytes");
        }
    }

    /** A DNS query: id 0x1234, one question, PTR {@code _starling._tcp.local}, class IN (+ the QU bit). */
    static byte[] query(boolean unicastResponse) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0});
        for (String label : "_starling._tcp.local".split("\\.")) {
            b.write(label.length());
            b.writeBytes(label.getBytes(StandardCharsets.US_ASCII));
        }
        b.writeBytes(new byte[] {0, 0, 12, (byte) (unicastResponse ? 0x80 : 0), 1});
        return b.toByteArray();
    }

    private static InetAddress ipv4(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }
}
