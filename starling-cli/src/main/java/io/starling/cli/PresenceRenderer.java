package io.starling.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starling.Presence;
import java.util.Map;

/**
 * The presence graph as text for people (the shell's {@code .peers}) and as the JSON of
 * {@code GET /api/v1/presence}. Peer ids are always 16 lower-case hex digits.
 */
final class PresenceRenderer {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private PresenceRenderer() {}

    /** A peer id as printed everywhere: 16 lower-case hex digits. */
    static String hex(long peerId) {
        return String.format("%016x", peerId);
    }

    /**
     * The graph for people:
     *
     * <pre>
     * this peer 0123456789abcdef {"name":"ann"}
     * 2 remote peers:
     *   fedcba9876543210  1 hop   {"name":"bob"}
     *   1111222233334444  2 hops
     * 2 connections:
     *   0123456789abcdef - fedcba9876543210  tcp
     *   fedcba9876543210 - 1111222233334444  websocket
     * </pre>
     */
    static String text(Presence.Graph graph) {
        StringBuilder sb = new StringBuilder();
        sb.append("this peer ")
                .append(hex(graph.local().peerId()))
                .append(metadata(graph.local().metadata()))
                .append('\n');
        if (graph.remotePeers().isEmpty()) {
            sb.append("no remote peers\n");
        } else {
            sb.append(count(graph.remotePeers().size(), "remote peer", "remote peers"))
                    .append(":\n");
            for (Presence.Peer peer : graph.remotePeers()) {
                String line = "  " + hex(peer.peerId()) + "  " + count(peer.hops(), "hop", "hops");
                if (peer.certificate() != null)
                    line += "  user " + peer.certificate().userId();
                if (!peer.metadata().isEmpty()) line = String.format("%-27s %s", line, JsonArgs.write(peer.metadata()));
                sb.append(line).append('\n');
            }
        }
        if (graph.connections().isEmpty()) {
            sb.append("no connections\n");
        } else {
            sb.append(count(graph.connections().size(), "connection", "connections"))
                    .append(":\n");
            for (Presence.Connection c : graph.connections()) {
                sb.append("  ")
                        .append(hex(c.peerA()))
                        .append(" - ")
                        .append(hex(c.peerB()))
                        .append("  ")
                        .append(c.transport())
                        .append('\n');
            }
        }
        return sb.toString();
    }

    /**
     * The graph as JSON:
     *
     * <pre>{@code
     * {"local": {"peerId": "0123456789abcdef", "hops": 0, "metadata": {}},
     *  "remotePeers": [{"peerId": "fedcba9876543210", "hops": 1, "metadata": {"name": "bob"},
     *                   "userId": "bob", "certificate": {"userId": "bob", "metadata": {"team": "north"},
     *                     "notBefore": "…", "expiresAt": "…", "serialNumber": "…", "issuer": "…",
     *                     "deviceKeyFingerprint": "…"}}],
     *  "connections": [{"peerA": "0123456789abcdef", "peerB": "fedcba9876543210", "transport": "tcp"}]}
     * }</pre>
     */
    static String json(Presence.Graph graph) {
        ObjectNode root = MAPPER.createObjectNode();
        root.set("local", peer(graph.local()));
        ArrayNode remote = root.putArray("remotePeers");
        graph.remotePeers().forEach(p -> remote.add(peer(p)));
        ArrayNode connections = root.putArray("connections");
        for (Presence.Connection c : graph.connections()) {
            connections
                    .addObject()
                    .put("peerA", hex(c.peerA()))
                    .put("peerB", hex(c.peerB()))
                    .put("transport", c.transport());
        }
        return root.toString();
    }

    private static ObjectNode peer(Presence.Peer peer) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("peerId", hex(peer.peerId()));
        node.put("hops", peer.hops());
        node.set("metadata", MAPPER.valueToTree(peer.metadata()));
        Presence.PeerCertificate cert = peer.certificate();
        if (cert != null) {
            node.put("userId", cert.userId());
            ObjectNode c = node.putObject("certificate");
            c.put("userId", cert.userId());
            c.set("metadata", MAPPER.valueToTree(cert.metadata()));
            c.put("notBefore", cert.notBefore().toString());
            c.put("expiresAt", cert.expiresAt().toString());
            c.put("serialNumber", cert.serialNumber());
            c.put("issuer", cert.issuer());
            c.put("deviceKeyFingerprint", cert.deviceKeyFingerprint());
        }
        return node;
    }

    private static String metadata(Map<String, Object> metadata) {
        return metadata.isEmpty() ? "" : " " + JsonArgs.write(metadata);
    }

    private static String count(int n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }
}
