package io.starling.internal.cdc.kafka;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link KafkaChangeSink} is told: where Kafka is, which topics the changes go to, where the sink keeps its
 * position, and how patient it is. Checked when built: every refusal names the value and what is wrong with it.
 *
 * @param bootstrap the brokers to start from, {@code HOST:PORT[,HOST:PORT…]} (IPv6 hosts in brackets)
 * @param topics one topic for every change, or one per collection
 * @param cursorFile where the sink keeps the cursor up to which Kafka acknowledged every change; null keeps it in
 *     memory only (an in-memory database, which starts empty again anyway)
 * @param tombstones whether a delete is followed by a Kafka tombstone (the same key, a null value), so that a
 *     compacted topic forgets the document in the end
 * @param deliveryTimeout how long the producer tries to deliver a record before the sink counts a failure and
 *     starts over from its stored cursor (a send waits for the brokers' metadata for this long, 10 s at most)
 * @param minBackoff the first pause after a failure; it doubles with each failure in a row
 * @param maxBackoff the longest pause after a failure
 */
public record KafkaSinkConfig(
        String bootstrap,
        Topics topics,
        @Nullable Path cursorFile,
        boolean tombstones,
        Duration deliveryTimeout,
        Duration minBackoff,
        Duration maxBackoff) {

    /** Kafka's limit on a topic name's length. */
    static final int MAX_TOPIC = 249;

    /** The default delivery timeout: long enough for a broker to fail over, short enough to show up in metrics. */
    public static final Duration DEFAULT_DELIVERY_TIMEOUT = Duration.ofSeconds(30);

    public KafkaSinkConfig {
        Objects.requireNonNull(bootstrap, "bootstrap");
        Objects.requireNonNull(topics, "topics");
        checkBootstrap(bootstrap);
        if (deliveryTimeout.compareTo(Duration.ofSeconds(1)) < 0
                || deliveryTimeout.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("the delivery timeout must be 1s to 1h, got " + deliveryTimeout);
        }
        if (minBackoff.isNegative() || minBackoff.isZero() || maxBackoff.compareTo(minBackoff) < 0) {
            throw new IllegalArgumentException("backoff must be positive, its maximum at least its minimum: got "
                    + minBackoff + " to " + maxBackoff);
        }
    }

    /** The defaults for {@code bootstrap} and {@code topics}: tombstones on, 30 s delivery timeout, backoff 1 s to 1 min. */
    public static KafkaSinkConfig of(String bootstrap, Topics topics, @Nullable Path cursorFile) {
        return new KafkaSinkConfig(
                bootstrap,
                topics,
                cursorFile,
                true,
                DEFAULT_DELIVERY_TIMEOUT,
                Duration.ofSeconds(1),
                Duration.ofMinutes(1));
    }

    public KafkaSinkConfig withTombstones(boolean on) {
        return new KafkaSinkConfig(bootstrap, topics, cursorFile, on, deliveryTimeout, minBackoff, maxBackoff);
    }

    public KafkaSinkConfig withTimeouts(Duration delivery, Duration backoffMin, Duration backoffMax) {
        return new KafkaSinkConfig(bootstrap, topics, cursorFile, tombstones, delivery, backoffMin, backoffMax);
    }

    private static void checkBootstrap(String bootstrap) {
        if (bootstrap.isBlank()) throw new IllegalArgumentException("the Kafka bootstrap address is empty");
        for (String server : bootstrap.split(",", -1)) {
            String s = server.trim();
            int colon = s.lastIndexOf(':');
            String host = colon < 0 ? "" : s.substring(0, colon);
            String port = colon < 0 ? "" : s.substring(colon + 1);
            boolean ok = !host.isEmpty()
                    && !port.isEmpty()
                    && port.length() <= 5
                    && port.chars().allMatch(c -> c >= '0' && c <= '9')
                    && Integer.parseInt(port) >= 1
                    && Integer.parseInt(port) <= 65535
                    && (host.indexOf(':') < 0 || (host.startsWith("[") && host.endsWith("]")));
            if (!ok) {
                throw new IllegalArgumentException(
                        "the Kafka bootstrap address '" + bootstrap + "' is not HOST:PORT[,HOST:PORT…]: '"
                                + s + "' " + (colon < 0 ? "has no port" : "is not a host and a port 1 to 65535")
                                + " (an IPv6 host goes in brackets: [::1]:9092)");
            }
        }
    }

    /** Where changes go: one topic, or a topic per collection. */
    public sealed interface Topics {
        /** The topic of a change of {@code collection}. */
        String topicFor(String collection);

        /** What the cursor file records, so that a sink pointed elsewhere starts over: {@code topic:T}. */
        String describe();

        /** Every change to {@code topic}. */
        static Topics single(String topic) {
            return new Single(topic);
        }

        /** The changes of collection {@code c} to the topic {@code prefix + c} (see {@link PerCollection}). */
        static Topics perCollection(String prefix) {
            return new PerCollection(prefix);
        }
    }

    /** One topic for every collection. */
    public record Single(String topic) implements Topics {
        public Single {
            checkTopicChars(topic, "topic", false);
        }

        @Override
        public String topicFor(String collection) {
            return topic;
        }

        @Override
        public String describe() {
            return "topic:" + topic;
        }
    }

    /**
     * A topic per collection: {@code prefix} followed by the collection's name, in which every character Kafka does
     * not allow in a topic name (anything but ASCII letters, digits, '.', '_' and '-') becomes '_'; a name longer
     * than Kafka's 249 characters is cut and ends in '-' and 8 hex digits of a hash of the collection's name.
     * Two collections may so share a topic; the record key still tells them apart.
     */
    public record PerCollection(String prefix) implements Topics {
        public PerCollection {
            checkTopicChars(prefix, "topic prefix", true);
            if (prefix.length() > 200) {
                throw new IllegalArgumentException(
                        "the topic prefix '" + prefix + "' is longer than 200 characters: topic names stop at 249");
            }
        }

        @Override
        public String topicFor(String collection) {
            StringBuilder sb = new StringBuilder(prefix.length() + collection.length());
            sb.append(prefix);
            for (int i = 0; i < collection.length(); i++) {
                char c = collection.charAt(i);
                sb.append(legal(c) ? c : '_');
            }
            if (sb.length() > MAX_TOPIC) {
                int hash = java.util.Arrays.hashCode(collection.getBytes(StandardCharsets.UTF_8));
                sb.setLength(MAX_TOPIC - 9);
                sb.append('-').append(String.format(java.util.Locale.ROOT, "%08x", hash));
            }
            return sb.toString();
        }

        @Override
        public String describe() {
            return "prefix:" + prefix;
        }
    }

    private static boolean legal(char c) {
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || c == '.'
                || c == '_'
                || c == '-';
    }

    private static void checkTopicChars(String name, String what, boolean prefix) {
        Objects.requireNonNull(name, what);
        if (name.isEmpty() && !prefix) throw new IllegalArgumentException("the Kafka " + what + " is empty");
        if (!prefix && (name.equals(".") || name.equals(".."))) {
            throw new IllegalArgumentException("the Kafka " + what + " cannot be '" + name + "'");
        }
        if (name.length() > MAX_TOPIC) {
            throw new IllegalArgumentException(
                    "the Kafka " + what + " '" + name + "' is longer than " + MAX_TOPIC + " characters");
        }
        for (int i = 0; i < name.length(); i++) {
            if (!legal(name.charAt(i))) {
                throw new IllegalArgumentException("the Kafka " + what + " '" + name + "' has '" + name.charAt(i)
                        + "' at position " + (i + 1) + ": Kafka allows only ASCII letters, digits, '.', '_' and '-'");
            }
        }
    }
}
