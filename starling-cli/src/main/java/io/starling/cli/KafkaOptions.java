package io.starling.cli;

import io.starling.Starling;
import io.starling.internal.cdc.kafka.KafkaChangeSink;
import io.starling.internal.cdc.kafka.KafkaSinkConfig;
import io.starling.internal.cdc.kafka.KafkaSinkException;
import io.starling.internal.cdc.kafka.SinkPosition;
import io.starling.internal.storage.postgres.PostgresClusterState;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
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

    @Option(
            names = "--kafka-lease",
            paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "Server nodes on one PostgreSQL: one node at a time runs the sink, holding a lease in the"
                    + " database that it renews; when the holder dies, another node takes over from the stored"
                    + " position within this time (default: 45s; at least 1.5 times the delivery timeout of 30s).")
    @Nullable
    Duration lease;

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
                            : cursorFile != null ? "--kafka-cursor-file" : lease != null ? "--kafka-lease" : null;
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
    KafkaChangeSink start(Starling db, PrintWriter err, @Nullable PostgresClusterState shared) {
        KafkaSinkConfig.Topics topics = check();
        if (topics == null || bootstrap == null) return null;
        if (shared != null) {
            if (cursorFile != null) {
                throw new CliUsageException("--kafka-cursor-file: with --postgres the sink's position is kept in the"
                        + " shared database, where every node finds it");
            }
            KafkaSinkConfig config = KafkaSinkConfig.of(bootstrap, topics, null).withTombstones(tombstones);
            Duration leaseTime = lease == null ? DEFAULT_LEASE : lease;
            KafkaChangeSink sink;
            try {
                sink = KafkaChangeSink.start(db.store(), config, new SharedPosition(shared, leaseTime));
            } catch (IllegalArgumentException e) {
                throw new CliUsageException("--kafka-lease: " + e.getMessage());
            }
            err.println("kafka sink: changes to " + topics.describe() + " at " + bootstrap + ", sent by one node of"
                    + " the server at a time (lease of " + leaseTime.toMillis() + " ms in "
                    + shared.where() + ")");
            return sink;
        }
        if (lease != null) throw new CliUsageException("--kafka-lease is for server nodes on --postgres");
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

    static final Duration DEFAULT_LEASE = Duration.ofSeconds(45);
    static final String LEASE_NAME = "kafka-sink";

    /** The sink's position and lease in the database that server nodes share (a row of starling_leases). */
    static final class SharedPosition implements SinkPosition {
        private final PostgresClusterState state;
        private final Duration leaseTime;
        private final String holder;

        SharedPosition(PostgresClusterState state, Duration leaseTime) {
            this.state = state;
            this.leaseTime = leaseTime;
            this.holder = "node-" + UUID.randomUUID();
        }

        @Override
        public Claim claim() {
            PostgresClusterState.Lease l = state.acquire(LEASE_NAME, holder, leaseTime);
            if (l == null) return new Claim(false, null);
            String p = l.position();
            if (p == null) return new Claim(true, null);
            int nl = p.indexOf('\n');
            try {
                return new Claim(true, new Stored(Long.parseLong(p.substring(0, nl)), p.substring(nl + 1)));
            } catch (RuntimeException e) { // not written by this code: start over rather than stop the sink
                return new Claim(true, null);
            }
        }

        @Override
        public boolean save(Stored position) {
            return state.store(LEASE_NAME, holder, position.cursor() + "\n" + position.topics(), leaseTime);
        }

        @Override
        public void release() {
            state.release(LEASE_NAME, holder);
        }

        @Override
        public Duration leaseTime() {
            return leaseTime;
        }

        @Override
        public String describe() {
            return state.where();
        }
    }
}
