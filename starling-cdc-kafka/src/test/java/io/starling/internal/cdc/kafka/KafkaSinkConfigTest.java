package io.starling.internal.cdc.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.StoreChange;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The sink's settings, its topic names and record keys, without a broker. */
class KafkaSinkConfigTest {
    private static final KafkaSinkConfig.Topics TOPIC = KafkaSinkConfig.Topics.single("changes");

    @Test
    void bootstrapAddressesAreHostAndPortLists() {
        for (String ok : new String[] {"127.0.0.1:9092", "a:1,b:65535", " kafka-1:9092 , kafka-2:9092", "[::1]:9092"}) {
            assertThat(KafkaSinkConfig.of(ok, TOPIC, null).bootstrap()).isEqualTo(ok);
        }
        assertThatThrownBy(() -> KafkaSinkConfig.of("kafka", TOPIC, null))
                .hasMessage("the Kafka bootstrap address 'kafka' is not HOST:PORT[,HOST:PORT…]: 'kafka' has no port"
                        + " (an IPv6 host goes in brackets: [::1]:9092)");
        for (String bad : new String[] {"", " ", "a:0", "a:65536", "a:x", ":9092", "a:9092,", "::1:9092", "a:123456"}) {
            assertThatThrownBy(() -> KafkaSinkConfig.of(bad, TOPIC, null))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("bootstrap address");
        }
    }

    @Test
    void topicNamesAreCheckedAndPerCollectionNamesMadeLegal() {
        assertThatThrownBy(() -> KafkaSinkConfig.Topics.single("my topic"))
                .hasMessage("the Kafka topic 'my topic' has ' ' at position 3: Kafka allows only ASCII letters,"
                        + " digits, '.', '_' and '-'");
        assertThatThrownBy(() -> KafkaSinkConfig.Topics.single("")).hasMessage("the Kafka topic is empty");
        assertThatThrownBy(() -> KafkaSinkConfig.Topics.single("..")).hasMessage("the Kafka topic cannot be '..'");
        assertThatThrownBy(() -> KafkaSinkConfig.Topics.perCollection("a/")).hasMessageContaining("position 2");
        assertThatThrownBy(() -> KafkaSinkConfig.Topics.single("x".repeat(250)))
                .hasMessageContaining("longer than 249");

        KafkaSinkConfig.Topics per = KafkaSinkConfig.Topics.perCollection("starling.");
        assertThat(per.topicFor("tasks")).isEqualTo("starling.tasks");
        assertThat(per.topicFor("my tasks/ü")).isEqualTo("starling.my_tasks__");
        assertThat(KafkaSinkConfig.Topics.perCollection("").topicFor("a-b.c_d")).isEqualTo("a-b.c_d");
        String longName = per.topicFor("c".repeat(256));
        assertThat(longName).hasSize(249).startsWith("starling.ccc").matches(".*-[0-9a-f]{8}");
        assertThat(per.topicFor("c".repeat(255) + "d")).hasSize(249).isNotEqualTo(longName);
        assertThat(TOPIC.topicFor("anything")).isEqualTo("changes");
        assertThat(TOPIC.describe()).isEqualTo("topic:changes");
        assertThat(per.describe()).isEqualTo("prefix:starling.");
    }

    @Test
    void timeoutsAndBackoffAreChecked() {
        KafkaSinkConfig c = KafkaSinkConfig.of("k:1", TOPIC, null);
        assertThatThrownBy(() -> c.withTimeouts(Duration.ofMillis(10), Duration.ofSeconds(1), Duration.ofSeconds(2)))
                .hasMessageContaining("delivery timeout must be 1s to 1h");
        assertThatThrownBy(() -> c.withTimeouts(Duration.ofSeconds(5), Duration.ZERO, Duration.ofSeconds(2)))
                .hasMessageContaining("backoff must be positive");
        assertThatThrownBy(() -> c.withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(3), Duration.ofSeconds(2)))
                .hasMessageContaining("its maximum at least its minimum");
        assertThat(c.tombstones()).isTrue();
        assertThat(c.withTombstones(false).tombstones()).isFalse();
    }

    @Test
    void theProducerIsIdempotentAcknowledgedByAllAndBoundedInTime() {
        Properties p = KafkaChangeSink.producerProperties(KafkaSinkConfig.of("k:1", TOPIC, null)
                .withTimeouts(Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(2)));
        assertThat(p)
                .containsEntry("bootstrap.servers", "k:1")
                .containsEntry("acks", "all")
                .containsEntry("enable.idempotence", "true")
                .containsEntry("delivery.timeout.ms", "30000")
                .containsEntry("max.block.ms", "10000");
        assertThat(KafkaChangeSink.producerProperties(KafkaSinkConfig.of("k:1", TOPIC, null)
                        .withTimeouts(Duration.ofSeconds(3), Duration.ofSeconds(1), Duration.ofSeconds(2))))
                .containsEntry("max.block.ms", "3000");
        assertThat(KafkaChangeSink.human(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(KafkaChangeSink.human(Duration.ofSeconds(60))).isEqualTo("60s");
        long request = Long.parseLong((String) p.get("request.timeout.ms"));
        long linger = Long.parseLong((String) p.get("linger.ms"));
        assertThat(request + linger).isLessThanOrEqualTo(30000); // what the producer requires of the delivery timeout
    }

    @Test
    void theKeyIsTheCollectionAndTheIdAsJson() {
        assertThat(key(new StoreChange(1, "cars", "\"a\"", false, "{\"_id\":\"a\"}", 1)))
                .isEqualTo("{\"collection\":\"cars\",\"id\":\"a\"}");
        assertThat(key(new StoreChange(9, "ca\"rs", "{\"k\":1}", true, null, 1)))
                .isEqualTo("{\"collection\":\"ca\\\"rs\",\"id\":{\"k\":1}}");
        // every state of a document has the same key: one partition, so Kafka keeps their order
        assertThat(key(new StoreChange(1, "c", "7", false, "{\"_id\":7}", 1)))
                .isEqualTo(key(new StoreChange(99, "c", "7", true, null, 5)));
    }

    private static String key(StoreChange c) {
        return new String(KafkaChangeSink.key(c), StandardCharsets.UTF_8);
    }
}
