package io.starling.cli;

import io.starling.Sync;

/**
 * {@code GET /metrics}: the peer's replication counters in the Prometheus text exposition format (version
 * 0.0.4), each with its {@code # HELP} and {@code # TYPE} lines. The names are part of the interface
 * (docs/HTTP-API.md); new ones may be added, existing ones keep their meaning.
 */
final class PrometheusMetrics {
    /** The content type Prometheus expects for this format. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private PrometheusMetrics() {}

    /**
     * The exposition text.
     *
     * @param metrics the instance's counters
     * @param presencePeers how many remote peers the presence graph holds (direct and multi-hop)
     */
    static String render(Sync.Metrics metrics, int presencePeers) {
        StringBuilder sb = new StringBuilder(1024);
        counter(
                sb,
                "starling_sync_bytes_sent_total",
                "Bytes sent to peers on the network, after framing and encryption.",
                metrics.bytesSent());
        counter(
                sb,
                "starling_sync_bytes_received_total",
                "Bytes received from peers on the network, before decryption and unframing.",
                metrics.bytesReceived());
        counter(sb, "starling_sync_documents_sent_total", "Document states sent to peers.", metrics.documentsSent());
        counter(
                sb,
                "starling_sync_documents_received_total",
                "Document states received from peers and applied.",
                metrics.documentsReceived());
        counter(
                sb,
                "starling_sync_messages_sent_total",
                "Sync protocol messages sent to peers (presence and keep-alives excluded).",
                metrics.messagesSent());
        counter(
                sb,
                "starling_sync_messages_received_total",
                "Sync protocol messages received from peers (presence and keep-alives excluded).",
                metrics.messagesReceived());
        gauge(sb, "starling_connections", "Open sync sessions with peers.", metrics.connections());
        counter(
                sb,
                "starling_connections_refused_total",
                "Connections refused before a sync session started (limit, TLS, identity, hook).",
                metrics.connectionsRefused());
        gauge(
                sb,
                "starling_presence_peers",
                "Remote peers in the presence graph, direct and multi-hop.",
                presencePeers);
        return sb.toString();
    }

    private static void counter(StringBuilder sb, String name, String help, long value) {
        metric(sb, name, "counter", help, value);
    }

    private static void gauge(StringBuilder sb, String name, String help, long value) {
        metric(sb, name, "gauge", help, value);
    }

    private static void metric(StringBuilder sb, String name, String type, String help, long value) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        sb.append(name).append(' ').append(value).append('\n');
    }
}
