package io.starling.cli;

import io.starling.Starling;
import io.starling.internal.cdc.kafka.KafkaChangeSink;
import io.starling.internal.cdc.kafka.KafkaSinkConfig;
import io.starling.internal.cdc.kafka.KafkaSinkException;
import java.io.PrintWriter;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * The {@code --kafka…} options: change data capture to Kafka (docs/CDC.md). A mixin, so that every command that runs
 * a store as a service takes the same flags; {@link #check} before anything opens, {@link #start} once the store is
 * open, and close the sink before the store.
 */
final class KafkaOptions {
    /** The cursor file's name in the database directory, unless {@code --kafka-cursor-file} says otherwise. */
    static final String CURSOR_FILE = "kafka-sink.cursor";

    @Option(
            names = "--kafka-bootstrap",
            paramLabel = "HOST:PORT",
            description = "Send every change of the store to Kafka, at least once, keyed by collection and id"
                    + " (docs/CDC.md): the brokers to start from, HOST:PORT[,HOST:PORT…]. Needs --kafka-topic or"
                    + " --kafka-topic-per-collection.")
    @Nullable
    String bootstrap;

    @Option(names = "--kafka-topic", paramLabel = "TOPIC", description = "Send every collection's changes to TOPIC.")
    @Nullable
    String topic;

    @Option(
            names = "--kafka-topic-per-collection",
            paramLabel = "PREFIX",
            description = "Send the changes of collection C to the topic PREFIX + C (characters Kafka does not allow"
                    + " become '_').")
    @Nullable
    String topicPrefix;

    @Option(
            names = "--kafka-cursor-file",
            paramLabel = "FILE",
            description = "Where the sink keeps the cursor up to which Kafka acknowledged every change (default: "
                    + CURSOR_FILE + " in the database directory).")
    @Nullable
    Path cursorFile;

    @Option(
            names = "--kafka-tombstones",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description = "Follow each delete with a Kafka tombstone (the same key, a null value), so that a"
                    + " compacted topic forgets the document (default: on; --no-kafka-tombstones turns it off).")
    boolean tombstones = true;

    /**
     * Checks the options before anything opens.
     *
     * @return the topics, or null when no sink is asked for
     * @throws CliUsageException for missing or conflicting options and malformed values
     */
    KafkaSinkConfig.@Nullable Topics check() {
        if (bootstrap == null) {
            String stray = topic != null
                    ? "--kafka-topic"
                    : topicPrefix != null
                            ? "--kafka-topic-per-collection"
                            : cursorFile != null ? "--kafka-cursor-file" : null;
            if (stray != null) throw new CliUsageException(stray + " needs --kafka-bootstrap HOST:PORT");
            return null;
        }
        if (topic != null && topicPrefix != null) {
            throw new CliUsageException("--kafka-topic and --kafka-topic-per-collection exclude each other: one topic"
                    + " for everything, or one per collection");
        }
        if (topic == null && topicPrefix == null) {
            throw new CliUsageException(
                    "--kafka-bootstrap needs --kafka-topic TOPIC or --kafka-topic-per-collection PREFIX");
        }
        try {
            KafkaSinkConfig.Topics topics = topic != null
                    ? KafkaSinkConfig.Topics.single(topic)
                    : KafkaSinkConfig.Topics.perCollection(java.util.Objects.requireNonNull(topicPrefix));
            KafkaSinkConfig.of(bootstrap, topics, null); // the bootstrap address
            return topics;
        } catch (IllegalArgumentException e) {
            throw new CliUsageException(String.valueOf(e.getMessage()));
        }
    }

    /**
     * Starts the sink on {@code db}'s store when {@link #check} found one asked for, and says so on {@code err}.
     *
     * @throws CliUsageException for a cursor file that is not one
     */
    @Nullable
    KafkaChangeSink start(Starling db, PrintWriter err) {
        KafkaSinkConfig.Topics topics = check();
        if (topics == null || bootstrap == null) return null;
        Path file = cursorFile != null
                ? cursorFile
                : db.config().databaseDirectory().resolve(CURSOR_FILE);
        KafkaSinkConfig config = KafkaSinkConfig.of(bootstrap, topics, file).withTombstones(tombstones);
        KafkaChangeSink sink;
        try {
            sink = KafkaChangeSink.start(db.store(), config);
        } catch (KafkaSinkException e) {
            throw new CliUsageException(String.valueOf(e.getMessage()));
        }
        err.println("kafka sink: changes to " + topics.describe() + " at " + bootstrap + ", from cursor "
                + sink.status().cursor() + " (kept in " + file + ")");
        return sink;
    }
}
