package io.starling.internal.cdc.kafka;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real Kafka broker in this JVM: one KRaft node that is controller and broker, from the Apache Kafka artifacts,
 * listening on 127.0.0.1 only, its logs in a temporary directory. It can be stopped and started again on the same
 * ports (a broker that goes down and comes back). If it cannot start, {@link #start} throws with the reason: a test
 * that needs it fails, it is never skipped.
 */
final class KRaftBroker implements AutoCloseable {
    private final KafkaConfig config;
    private final int port;
    private KafkaRaftServer server;
    private boolean running;

    private KRaftBroker(KafkaConfig config, int port) {
        this.config = config;
        this.port = port;
    }

    /** Formats {@code dir} as a new cluster's only node and starts it. */
    static KRaftBroker start(Path dir) throws Exception {
        // a fatal error inside the broker must fail the test, not halt the test JVM
        Exit.setExitProcedure((status, message) -> {
            throw new IllegalStateException("the in-process Kafka broker wanted to exit(" + status + "): " + message);
        });
        Exit.setHaltProcedure((status, message) -> {
            throw new IllegalStateException("the in-process Kafka broker wanted to halt(" + status + "): " + message);
        });
        int brokerPort = freePort();
        int controllerPort = freePort();
        String logs = dir.toAbsolutePath().toString();
        Map<String, Object> p = new HashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", logs);
        p.put("metadata.log.dir", logs);
        p.put("num.partitions", "4"); // several partitions: per-document order must come from the key
        p.put("auto.create.topics.enable", "true");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("log.cleaner.dedupe.buffer.size", "2097152");
        KafkaConfig config = new KafkaConfig(p, false);
        new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8))
                .setNodeId(1)
                .setClusterId(Uuid.randomUuid().toString())
                .setDirectories(Set.of(logs))
                .setMetadataLogDirectory(logs)
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .setControllerListenerName("CONTROLLER")
                .run();
        KRaftBroker broker = new KRaftBroker(config, brokerPort);
        broker.up();
        return broker;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** {@code 127.0.0.1:PORT}, the same across stops and starts. */
    String bootstrap() {
        return "127.0.0.1:" + port;
    }

    /** Starts the broker (again) on its ports and log directory. */
    synchronized void up() {
        if (running) return;
        server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        running = true;
    }

    /** Stops the broker: clients can no longer connect. */
    synchronized void down() {
        if (!running) return;
        server.shutdown();
        server.awaitShutdown();
        running = false;
    }

    @Override
    public synchronized void close() {
        down();
    }

    /**
     * Every record of {@code topics} from the beginning, reading until {@code until} holds for what was read or
     * {@code timeout} passes (then it returns what it has).
     */
    List<ConsumerRecord<String, String>> readAll(
            Set<String> topics,
            java.util.function.Predicate<List<ConsumerRecord<String, String>>> until,
            Duration timeout) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String t : topics) {
                consumer.partitionsFor(t, Duration.ofSeconds(10))
                        .forEach(info -> partitions.add(new TopicPartition(t, info.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (!until.test(out) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }
}
