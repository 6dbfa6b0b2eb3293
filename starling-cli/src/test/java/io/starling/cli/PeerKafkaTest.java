package io.starling.cli;

import static io.starling.cli.CliRunner.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.cli.CliRunner.Background;
import io.starling.cli.CliRunner.Result;
import io.starling.internal.cdc.kafka.KafkaChangeSink;
import io.starling.testsupport.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code --kafka…} options of {@code starling peer}: mistakes are usage errors that open nothing; a sink whose
 * brokers are unreachable never stops the peer and shows in {@code /metrics}. (The sink's delivery is tested against
 * a real broker in starling-cdc-kafka.)
 */
class PeerKafkaTest {
    @TempDir
    Path dir;

    private String db() {
        return dir.resolve("db").toString();
    }

    private static void assertUsage(Result r, String message) {
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains(message).doesNotContain("\tat ");
        assertThat(r.err().lines()).hasSize(1);
    }

    @Test
    void kafkaFlagMistakesAreUsageErrorsThatOpenNothing() {
        assertUsage(cli().run("peer", "--db", db(), "--kafka-topic", "t"), "--kafka-topic needs --kafka-bootstrap");
        assertUsage(
                cli().run("peer", "--db", db(), "--kafka-bootstrap", "127.0.0.1:9092"),
                "--kafka-bootstrap needs --kafka-topic TOPIC or --kafka-topic-per-collection PREFIX");
        assertUsage(
                cli().run(
                                "peer",
                                "--db",
                                db(),
                                "--kafka-bootstrap",
                                "127.0.0.1:9092",
                                "--kafka-topic",
                                "t",
                                "--kafka-topic-per-collection",
                                "p."),
                "exclude each other");
        assertUsage(
                cli().run("peer", "--db", db(), "--kafka-bootstrap", "kafka", "--kafka-topic", "t"),
                "the Kafka bootstrap address 'kafka' is not HOST:PORT");
        assertUsage(
                cli().run("peer", "--db", db(), "--kafka-bootstrap", "127.0.0.1:9092", "--kafka-topic", "a b"),
                "the Kafka topic 'a b' has ' ' at position 2");
        assertThat(Files.exists(dir.resolve("db")))
                .as("no database opened for a bad flag")
                .isFalse();
    }

    @Test
    void aCursorFileThatIsNotOneIsAUsageError() throws Exception {
        Path cursor = dir.resolve("cursor");
        Files.writeString(cursor, "cursor=banana\ntopics=topic:t\n");
        Result r = cli().run(
                        "peer",
                        "--db",
                        db(),
                        "--kafka-bootstrap",
                        "127.0.0.1:9092",
                        "--kafka-topic",
                        "t",
                        "--kafka-cursor-file",
                        cursor.toString());
        // read once the database is open (its directory holds the file by default): the peer's line comes first
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.err())
                .endsWith("\nerror: cli/usage: the Kafka sink's cursor file " + cursor.toAbsolutePath()
                        + ", line 1: the cursor 'banana' is not a number 0 or greater; fix it, or delete it to send"
                        + " every document again\n")
                .doesNotContain("\tat ");
        // and the database was closed on the way out
        assertThat(cli().run("exec", "--db", db(), "SELECT * FROM c").exitCode())
                .isZero();
    }

    @Test
    void unreachableBrokersDoNotStopThePeerAndShowInMetrics() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        Background peer = cli().start(
                        "peer",
                        "--db",
                        db(),
                        "--http",
                        "127.0.0.1:0",
                        "--kafka-bootstrap",
                        "127.0.0.1:" + port,
                        "--kafka-topic",
                        "changes");
        peer.await("ready", () -> peer.err().contains("\nready; stop with Ctrl-C or SIGTERM\n"));
        assertThat(peer.err())
                .contains("kafka sink: changes to topic:changes at 127.0.0.1:" + port + ", from cursor 0 (kept in "
                        + dir.resolve("db").resolve(KafkaOptions.CURSOR_FILE) + ")\n");
        String url = peer.awaitErrLine("http listening on ");
        Result exec = cli().run("exec", "--url", url, "INSERT INTO tasks DOCUMENTS ({_id: 'a'})");
        assertThat(exec.exitCode()).as(exec.err()).isZero();

        HttpClient http = HttpClient.newHttpClient();
        String metrics = Await.value(
                "the sink behind, in /metrics",
                Duration.ofSeconds(30),
                () -> {
                    try {
                        return http.send(
                                        HttpRequest.newBuilder(URI.create(url + "/metrics"))
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString())
                                .body();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                },
                body -> body.contains("starling_kafka_sink_state{state=\"sending\"} 1\n")
                        || body.contains("starling_kafka_sink_state{state=\"stalled\"} 1\n"));
        assertThat(metrics)
                .contains("# TYPE starling_kafka_sink_up gauge\n")
                .contains("\nstarling_kafka_sink_cursor 0\n")
                .contains("\nstarling_kafka_sink_records_sent_total 0\n")
                .containsPattern("\nstarling_kafka_sink_lag_seconds [0-9]+\\.[0-9]{3}\n");

        Result stopped = peer.stop();
        assertThat(stopped.exitCode()).isZero();
        assertThat(stopped.err()).endsWith("stopping\nstopped\n");
    }

    @Test
    void theSinksMetricsAreOneSampleEachInPrometheusText() {
        String text = PrometheusMetrics.render(
                new KafkaChangeSink.Status(KafkaChangeSink.State.RETRYING, 41, 100, 3, 1, 2, 12.5, "TimeoutException"));
        assertThat(text)
                .contains("\nstarling_kafka_sink_up 0\n")
                .contains("\nstarling_kafka_sink_state{state=\"retrying\"} 1\n")
                .contains("\nstarling_kafka_sink_state{state=\"caught_up\"} 0\n")
                .contains("\nstarling_kafka_sink_lag_seconds 12.500\n")
                .contains("\nstarling_kafka_sink_cursor 41\n")
                .contains(
                        "# TYPE starling_kafka_sink_records_sent_total counter\nstarling_kafka_sink_records_sent_total 100\n")
                .contains("\nstarling_kafka_sink_delivery_failures_total 3\n")
                .contains("\nstarling_kafka_sink_records_skipped_total 1\n")
                .contains("\nstarling_kafka_sink_cursor_resets_total 2\n");
        for (String line : text.split("\n")) {
            assertThat(line)
                    .matches(
                            "# (HELP|TYPE) starling_kafka_sink_\\w+ .+|starling_kafka_sink_\\w+(\\{state=\"\\w+\"\\})? [0-9.]+");
        }
    }
}
