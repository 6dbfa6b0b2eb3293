package io.starling.cli;

import io.starling.ErrorCode;
import io.starling.Store;
import io.starling.Sync;
import io.starling.internal.auth.AuthException;
import io.starling.internal.auth.LoginService;
import io.starling.internal.cdc.kafka.KafkaChangeSink;
import io.starling.internal.engine.AttachmentCounters;

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
     * @param health the store's health
     */
    static String render(Sync.Metrics metrics, int presencePeers, Store.Health health) {
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
                "starling_sync_documents_refused_total",
                "Document states received from peers and refused one by one (undecodable, or beyond the data model's limits).",
                metrics.documentsRefused());
        counter(
                sb,
                "starling_sync_writes_denied_total",
                "Changes received from peers that their write permission does not allow: dropped one by one, never relayed.",
                metrics.writesDenied());
        counter(
                sb,
                "starling_sync_revocation_lists_refused_total",
                "Revocation lists received from peers that did not verify against the trust anchor: never adopted, never relayed.",
                metrics.revocationListsRefused());
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
        gauge(
                sb,
                "starling_store_healthy",
                "1 while writes to the store succeed; 0 while they fail for a condition of the storage (disk full,"
                        + " I/O error, damage) until a write succeeds again.",
                health.isHealthy() ? 1 : 0);
        gauge(
                sb,
                "starling_store_full",
                "1 while writes fail because the disk is full (store/full), until a write succeeds again.",
                health.problem() == ErrorCode.STORE_FULL ? 1 : 0);
        return sb.toString();
    }

    /** The samples of the attachment layer (docs/ATTACHMENTS.md), since the instance opened. */
    static String render(AttachmentCounters a) {
        StringBuilder sb = new StringBuilder(1024);
        counter(
                sb,
                "starling_attachment_chunk_bytes_sent_total",
                "Attachment chunk bytes sent to peers (blobs this peer holds or relays).",
                a.chunkBytesSent());
        counter(
                sb,
                "starling_attachment_chunk_bytes_received_total",
                "Attachment chunk bytes received from peers, verified or not.",
                a.chunkBytesReceived());
        counter(
                sb,
                "starling_attachment_chunks_rejected_total",
                "Attachment chunks that did not verify; each was asked of another peer.",
                a.chunksRejected());
        counter(
                sb,
                "starling_attachment_relays_total",
                "Attachment fetches started on a peer's behalf (this peer relaying).",
                a.relaysStarted());
        counter(
                sb,
                "starling_attachments_collected_total",
                "Attachments the collector deleted (unreferenced for the grace period).",
                a.blobsCollected());
        return sb.toString();
    }

    /** The samples of the Kafka sink (docs/CDC.md), appended to the others when the peer runs one. */
    static String render(KafkaChangeSink.Status s) {
        StringBuilder sb = new StringBuilder(1024);
        gauge(
                sb,
                "starling_kafka_sink_up",
                "1 while the Kafka sink delivers (or waits for changes); 0 while Kafka does not acknowledge (stalled or"
                        + " retrying after a failure).",
                s.state() == KafkaChangeSink.State.STALLED || s.state() == KafkaChangeSink.State.RETRYING ? 0 : 1);
        String state = "starling_kafka_sink_state";
        sb.append("# HELP ").append(state).append(" What the Kafka sink is doing: 1 for the current state.\n");
        sb.append("# TYPE ").append(state).append(" gauge\n");
        for (KafkaChangeSink.State st : KafkaChangeSink.State.values()) {
            sb.append(state)
                    .append("{state=\"")
                    .append(st.name().toLowerCase(java.util.Locale.ROOT))
                    .append("\"} ")
                    .append(st == s.state() ? 1 : 0)
                    .append('\n');
        }
        String lag = "starling_kafka_sink_lag_seconds";
        sb.append("# HELP ")
                .append(lag)
                .append(" How long the Kafka sink has been behind the store: 0 when caught up.\n");
        sb.append("# TYPE ").append(lag).append(" gauge\n");
        sb.append(lag)
                .append(' ')
                .append(String.format(java.util.Locale.ROOT, "%.3f", s.lagSeconds()))
                .append('\n');
        gauge(
                sb,
                "starling_kafka_sink_cursor",
                "The change-feed cursor up to which Kafka acknowledged every change (the sink's stored position).",
                s.cursor());
        counter(
                sb,
                "starling_kafka_sink_records_sent_total",
                "Records Kafka acknowledged (a delete and its tombstone are two).",
                s.recordsSent());
        counter(
                sb,
                "starling_kafka_sink_delivery_failures_total",
                "Pages of changes whose delivery failed and was started over from the stored cursor.",
                s.deliveryFailures());
        counter(
                sb,
                "starling_kafka_sink_records_skipped_total",
                "Records Kafka refused for good (larger than the topic allows) and the sink skipped, each logged.",
                s.recordsSkipped());
        counter(
                sb,
                "starling_kafka_sink_cursor_resets_total",
                "Times the stored cursor had expired (purged deletes) or was unknown, and the sink sent everything"
                        + " again from the start.",
                s.cursorResets());
        return sb.toString();
    }

    /** The authority's logins (a peer with --auth-config): certificates issued, refusals by code, keys replaced. */
    static String render(LoginService.Counts c) {
        StringBuilder sb = new StringBuilder(1024);
        counter(sb, "starling_auth_logins_total", "Device certificates the authority issued.", c.issued());
        String refused = "starling_auth_logins_refused_total";
        sb.append("# HELP ")
                .append(refused)
                .append(" Logins the authority refused, by code (auth/peer-id-taken: a peer id bound to another"
                        + " user).\n");
        sb.append("# TYPE ").append(refused).append(" counter\n");
        c.refused().forEach((code, n) -> {
            // the refusals of a peer id always (0 until one happens, so that an alert can watch it), others once seen
            if (n > 0 || code == AuthException.Code.PEER_ID_TAKEN || code == AuthException.Code.PEER_ID_LIMIT) {
                sb.append(refused)
                        .append("{code=\"")
                        .append(code.id())
                        .append("\"} ")
                        .append(n)
                        .append('\n');
            }
        });
        counter(
                sb,
                "starling_auth_peer_id_device_keys_replaced_total",
                "Logins of a peer id's own user with another device key than the one bound (an app reinstalled with"
                        + " its store kept).",
                c.newDeviceKeys());
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
