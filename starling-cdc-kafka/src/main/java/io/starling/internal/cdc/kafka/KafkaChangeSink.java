package io.starling.internal.cdc.kafka;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.starling.ErrorCode;
import io.starling.ObserverHandle;
import io.starling.StarlingException;
import io.starling.Store;
import io.starling.StoreChange;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Design note — at least once, in order per document, one page at a time.
 *
 * One thread ("starling-kafka-sink") runs a loop over the store's change feed:
 *
 *   read a page after the stored cursor ──► produce its records ──► wait until Kafka acknowledged every one
 *        ▲            │ empty: wait for a commit                        │ all acknowledged      │ one failed
 *        │            ▼                                                 ▼                       ▼
 *        └──────── (observeCommits wakes it) ◄──────── store the page's cursor (file)    back off, then read the
 *                                                                                         same page again
 *
 * - At least once: the cursor is stored only after Kafka acknowledged every record of the page (acks=all), so a
 *   crash at any point resumes at or before the first change Kafka may not hold. What was acknowledged but not yet
 *   recorded is sent again: duplicates, never gaps.
 * - Per-document order: the record key is the collection and the document's id, so one document always lands in
 *   one partition; the feed gives a document's states in commit order (a rewritten document moves to the end of
 *   the log), the producer is idempotent (its retries neither duplicate nor reorder within a partition) and one
 *   producer lives as long as the sink, so a page sent again is appended after everything of the failed attempt.
 *   A consumer may see a state twice, never an older state after a newer one.
 * - Bounded: one page is in flight (at most 256 changes, cut by the store once values pass about 1 MiB); the store's
 *   change log is the backlog, whatever the rate of writes or the state of Kafka.
 * - A broker that is down is not an error of the peer: the producer retries until the delivery timeout, then the sink
 *   counts a failure, logs it (once per attempt, the pauses doubling up to the maximum backoff) and starts over from
 *   its cursor. The state and the counters are in status(), which the peer's /metrics shows.
 * - An expired cursor (the store purged tombstones newer than it, store/cursor-expired) or one the database never
 *   gave (a database restored from an older backup, store/invalid-cursor): the sink logs a warning, counts a cursor
 *   reset and sends every document again from the start of the feed. Deletes purged meanwhile are not sent: a
 *   consumer that kept such documents keeps them (docs/CDC.md says how to notice and what to do).
 * - Several server nodes on one database (SinkPosition with a lease): one node at a time sends. A node claims the
 *   lease before its first page and renews it while it runs; the others wait in STANDBY and try to claim it every
 *   so often. The holder starts a page only while its claim leaves a whole delivery timeout before the lease could
 *   run out (the lease's time counts from the moment the claim was asked for, so the holder's view is never later
 *   than the database's), and its stored position is written only while it holds the lease. So when a holder dies
 *   or is cut off, its last page has been acknowledged or abandoned before another node takes over from the
 *   position stored last: duplicates, no gap, and no older state of a document after a newer one. A node that
 *   stops (close) releases the lease, so another takes over at its next try.
 */

/**
 * Change data capture to Kafka: tails a store's change feed ({@link Store#changes}) and produces every change to
 * Kafka, at least once, keyed by collection and document id, resuming from its stored cursor after a restart or a
 * crash (docs/CDC.md).
 *
 * <p>Records: the key is {@code {"collection":"tasks","id":"t1"}} (the id as JSON), the value the change as the HTTP
 * change feed writes it ({@link StoreChange#toJson()}); a delete's value has {@code "op":"delete"} and {@code
 * "value":null}, and, when {@link KafkaSinkConfig#tombstones()}, a Kafka tombstone (the same key, a null value)
 * follows it.
 *
 * <p>Thread-safe. {@link #start} returns at once (the brokers need not be up); {@link #close} stops the thread, giving
 * the page in flight a moment to be acknowledged. Close the sink before the store's instance.
 */
public final class KafkaChangeSink implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaChangeSink.class);

    /** The most changes read from the store (and in flight to Kafka) at once. */
    static final int PAGE = 256;

    /** How long a page may wait for acknowledgements before the sink reports itself stalled. */
    static final Duration STALL_AFTER = Duration.ofSeconds(5);

    /** The longest a send waits for the brokers' metadata before the sink counts a failure. */
    static final Duration MAX_BLOCK = Duration.ofSeconds(10);

    /** How long {@link #close} lets the page in flight finish before it aborts the producer. */
    static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

    /** How soon a holder tries again after a renewal of its lease failed (while the lease still covers it). */
    static final Duration RENEW_RETRY = Duration.ofMillis(500);

    /** What the sink is doing. */
    public enum State {
        /** Opening: the first read has not finished yet. */
        STARTING,
        /** Caught up with the store: waiting for the next commit. */
        CAUGHT_UP,
        /** Sending a page of changes. */
        SENDING,
        /** A page has waited for Kafka's acknowledgement for longer than a few seconds (brokers down or slow). */
        STALLED,
        /** A delivery failed: waiting out the backoff before sending again from the stored cursor. */
        RETRYING,
        /** Another node of the server holds the sink's lease: this one waits to take over. */
        STANDBY,
        /** Closed. */
        STOPPED
    }

    /**
     * A snapshot of the sink, for metrics.
     *
     * @param state what the sink is doing
     * @param cursor the stored cursor: every change up to it is acknowledged by Kafka
     * @param recordsSent records Kafka acknowledged (a delete with its tombstone is two)
     * @param deliveryFailures pages whose delivery failed and was started over
     * @param recordsSkipped records Kafka refused for good (larger than the topic allows) and the sink skipped
     * @param cursorResets times the stored cursor was expired or unknown and the sink started over from 0
     * @param lagSeconds how long the sink has been behind the store: 0 when caught up, else the seconds since it last
     *     was
     * @param lastError the last delivery failure, or null
     */
    public record Status(
            State state,
            long cursor,
            long recordsSent,
            long deliveryFailures,
            long recordsSkipped,
            long cursorResets,
            double lagSeconds,
            @Nullable String lastError) {}

    private final Store store;
    private final KafkaSinkConfig config;
    private final SinkPosition position;
    private final @Nullable Duration leaseTime;
    private boolean holding; // on the sink's thread only
    private long renewAtNanos; // on the sink's thread only
    private long sendUntilNanos; // on the sink's thread only
    private final Function<Properties, Producer<byte[], byte[]>> producerFactory;
    private volatile @Nullable Producer<byte[], byte[]> producer; // made on the sink's thread (it may fail: retried)
    private final Thread thread;
    private final ObserverHandle commitObserver;

    private final Object lock = new Object();
    private long commits; // guarded by lock
    private boolean closed; // guarded by lock

    private volatile State state = State.STARTING;
    private volatile long cursor;
    private volatile long behindSinceNanos = System.nanoTime();
    private volatile @Nullable String lastError;
    private final AtomicLong recordsSent = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final AtomicLong resets = new AtomicLong();

    private KafkaChangeSink(
            Store store,
            KafkaSinkConfig config,
            SinkPosition position,
            Function<Properties, Producer<byte[], byte[]>> producerFactory) {
        this.store = store;
        this.config = config;
        this.position = position;
        this.leaseTime = position.leaseTime();
        if (leaseTime != null
                && leaseTime.compareTo(config.deliveryTimeout().multipliedBy(3).dividedBy(2)) < 0) {
            throw new IllegalArgumentException("the sink's lease time (" + human(leaseTime)
                    + ") must be at least 1.5 times the delivery timeout (" + human(config.deliveryTimeout())
                    + "): a page must be delivered or abandoned before the lease can run out");
        }
        if (leaseTime == null) { // a file: read at start, so that a damaged one is an error of the start
            this.cursor = initialCursor(position.claim().position());
            this.holding = true;
        }
        this.producerFactory = producerFactory;
        this.commitObserver = store.observeCommits(this::committed);
        this.thread = new Thread(this::run, "starling-kafka-sink");
        thread.setDaemon(true);
    }

    /**
     * Starts tailing {@code store} into Kafka, from the cursor stored in the config's cursor file (or from the start
     * of the feed). Returns at once.
     *
     * @throws KafkaSinkException for a cursor file that cannot be read or is not one
     */
    public static KafkaChangeSink start(Store store, KafkaSinkConfig config) {
        return start(store, config, SinkPosition.inFile(config.cursorFile()), KafkaProducer::new);
    }

    /**
     * As {@link #start(Store, KafkaSinkConfig)}, with the position (and, for several nodes, the lease) kept by {@code
     * position} instead of the config's cursor file.
     *
     * @throws IllegalArgumentException when the position's lease time is shorter than 1.5 delivery timeouts
     */
    public static KafkaChangeSink start(Store store, KafkaSinkConfig config, SinkPosition position) {
        return start(store, config, position, KafkaProducer::new);
    }

    /** As {@link #start(Store, KafkaSinkConfig)}, with the producer made by {@code producerFactory} (tests). */
    static KafkaChangeSink start(
            Store store, KafkaSinkConfig config, Function<Properties, Producer<byte[], byte[]>> producerFactory) {
        return start(store, config, SinkPosition.inFile(config.cursorFile()), producerFactory);
    }

    static KafkaChangeSink start(
            Store store,
            KafkaSinkConfig config,
            SinkPosition position,
            Function<Properties, Producer<byte[], byte[]>> producerFactory) {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(position, "position");
        KafkaChangeSink sink = new KafkaChangeSink(store, config, position, producerFactory);
        sink.thread.start();
        if (sink.leaseTime == null) {
            log.info(
                    "kafka sink: sending changes to {} at {} from cursor {} (stored in {})",
                    config.topics().describe(),
                    config.bootstrap(),
                    sink.cursor,
                    position.describe());
        } else {
            log.info(
                    "kafka sink: sending changes to {} at {} while this node holds the sink's lease in {}",
                    config.topics().describe(),
                    config.bootstrap(),
                    position.describe());
        }
        return sink;
    }

    /** The producer's settings: acknowledged by every in-sync replica, idempotent, bounded in time and memory. */
    static Properties producerProperties(KafkaSinkConfig config) {
        long delivery = config.deliveryTimeout().toMillis();
        long linger = 5;
        long request = Math.max(500, (delivery - linger) / 3);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrap());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "starling-cdc");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        p.put(ProducerConfig.LINGER_MS_CONFIG, Long.toString(linger));
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(request));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(delivery));
        // a send waits this long for the brokers' metadata (while none answers): a failure, then, that shows soon
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(Math.min(delivery, MAX_BLOCK.toMillis())));
        // a document may hold 5 MiB (more as JSON): let the brokers judge; a topic that refuses it is reported
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(16 << 20));
        p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "5000");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    /** The record key of a change: {@code {"collection":"tasks","id":"t1"}}, the same bytes for every state. */
    static byte[] key(StoreChange change) {
        StringBuilder sb = new StringBuilder(
                32 + change.collection().length() + change.idJson().length());
        sb.append("{\"collection\":\"");
        JsonStringEncoder.getInstance().quoteAsString(change.collection(), sb);
        sb.append("\",\"id\":").append(change.idJson()).append('}');
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** What the sink is doing, for metrics. */
    public Status status() {
        State s = state;
        boolean behind = s != State.CAUGHT_UP && s != State.STOPPED && s != State.STANDBY; // standby: not its job
        double lag = behind ? (System.nanoTime() - behindSinceNanos) / 1e9 : 0;
        return new Status(s, cursor, recordsSent.get(), failures.get(), skipped.get(), resets.get(), lag, lastError);
    }

    /** The config the sink was started with. */
    public KafkaSinkConfig config() {
        return config;
    }

    /**
     * Stops the sink: the page in flight gets a few seconds to be acknowledged (and its cursor stored), then the
     * producer is closed, dropping what it still holds (sent again by the next start). Idempotent; never throws.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) return;
            closed = true;
            lock.notifyAll();
        }
        commitObserver.close();
        try {
            thread.join(CLOSE_GRACE.toMillis());
            if (thread.isAlive()) {
                closeProducer(); // fails what is in flight: the loop sees `closed` and ends
                thread.interrupt();
                thread.join(CLOSE_GRACE.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeProducer();
            if (leaseTime != null && !thread.isAlive()) {
                try {
                    position.release(); // another node takes over at its next try, not when the lease runs out
                } catch (RuntimeException e) {
                    log.warn(
                            "kafka sink: releasing the lease failed (another node takes over when it runs out): {}",
                            e.getMessage());
                }
            }
            state = State.STOPPED;
            log.info("kafka sink stopped at cursor {}", cursor);
        }
    }

    private void closeProducer() {
        Producer<byte[], byte[]> p = producer;
        if (p == null) return;
        try {
            p.close(Duration.ZERO);
        } catch (RuntimeException e) {
            log.debug("kafka sink: closing the producer failed", e);
        }
    }

    /**
     * The producer, made on first use (on the sink's thread: making it may fail, e.g. while no bootstrap address
     * resolves, and is then tried again like a failed delivery).
     */
    private Producer<byte[], byte[]> producer() {
        Producer<byte[], byte[]> p = producer;
        if (p != null) return p;
        p = producerFactory.apply(producerProperties(config));
        synchronized (lock) {
            producer = p;
            if (!closed) return p;
        }
        closeProducer(); // close() ran meanwhile and saw no producer
        throw new IllegalStateException("the sink is closed");
    }

    private long initialCursor(SinkPosition.@Nullable Stored p) {
        if (p == null) return 0;
        String topics = config.topics().describe();
        if (!p.topics().equals(topics)) {
            log.warn(
                    "kafka sink: {} recorded a position for {}, not {}: sending every document again to the new"
                            + " topics",
                    position.describe(),
                    p.topics(),
                    topics);
            return 0;
        }
        return p.cursor();
    }

    /**
     * Whether this node may send a page now: always for a file; with a lease, claims or renews it when due, and
     * says no while another node holds it or once this node's claim could run out before a page is delivered.
     */
    private boolean mayStartAPage() {
        Duration lease = leaseTime;
        if (lease == null) return true;
        long asked = System.nanoTime();
        if (holding && asked < renewAtNanos) return true;
        SinkPosition.Claim claim;
        try {
            claim = position.claim();
        } catch (RuntimeException e) {
            lastError = "cannot claim the sink's lease: " + describe(e);
            if (holding && asked < sendUntilNanos) { // the claim still covers a whole delivery: try again soon
                renewAtNanos = Math.min(sendUntilNanos, asked + RENEW_RETRY.toNanos());
                return true;
            }
            if (holding)
                log.warn(
                        "kafka sink: cannot renew the lease in {}: {}; sending stops",
                        position.describe(),
                        describe(e));
            holding = false;
            return false;
        }
        if (!claim.held()) {
            if (holding) log.warn("kafka sink: another node took the sink's lease; this node stops sending");
            holding = false;
            return false;
        }
        if (!holding) {
            cursor = initialCursor(claim.position());
            log.info("kafka sink: this node holds the sink's lease; sending from cursor {}", cursor);
        }
        holding = true;
        long spare = lease.minus(config.deliveryTimeout()).toNanos();
        renewAtNanos = asked + spare / 2;
        sendUntilNanos = asked + spare;
        return true;
    }

    /** How long a node without the lease waits before it tries to claim it again. */
    private Duration standbyPause() {
        Duration lease = java.util.Objects.requireNonNull(leaseTime);
        return lease.minus(config.deliveryTimeout()).dividedBy(2);
    }

    /** On the committing thread: wake the loop. Quick; does not touch the store. */
    private void committed() {
        synchronized (lock) {
            commits++;
            lock.notifyAll();
        }
    }

    private boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    private void run() {
        Duration backoff = config.minBackoff();
        while (!isClosed()) {
            long seen;
            synchronized (lock) {
                seen = commits;
            }
            if (!mayStartAPage()) {
                state = State.STANDBY;
                pause(standbyPause());
                continue;
            }
            StoreChange.Page page;
            try {
                page = store.changes(cursor, PAGE, Set.of());
            } catch (StarlingException e) {
                if (e.errorCode() == ErrorCode.CHANGES_CURSOR_EXPIRED || e.errorCode() == ErrorCode.CHANGES_CURSOR) {
                    resetCursor(e);
                    continue;
                }
                if (isClosed() || e.errorCode() == ErrorCode.CLOSED) break;
                log.warn("kafka sink: reading the change feed failed; trying again in {}", human(backoff), e);
                pause(backoff);
                backoff = next(backoff);
                continue;
            } catch (RuntimeException e) { // the thread must not die of it: the peer would never know
                if (isClosed()) break;
                log.warn("kafka sink: reading the change feed failed; trying again in {}", human(backoff), e);
                pause(backoff);
                backoff = next(backoff);
                continue;
            }
            if (page.changes().isEmpty()) {
                if (page.cursor() != cursor) { // entries that no longer decode were skipped: move past them
                    store(page.cursor());
                    continue;
                }
                state = State.CAUGHT_UP;
                synchronized (lock) {
                    while (!closed && commits == seen) {
                        try {
                            if (leaseTime == null) {
                                lock.wait();
                            } else { // wake to renew the lease in time
                                long left = renewAtNanos - System.nanoTime();
                                if (left <= 0) break;
                                TimeUnit.NANOSECONDS.timedWait(lock, left);
                            }
                        } catch (InterruptedException e) {
                            return; // close() interrupts only after its grace
                        }
                    }
                }
                behindSinceNanos = System.nanoTime();
                continue;
            }
            if (state == State.CAUGHT_UP || state == State.STARTING) behindSinceNanos = System.nanoTime();
            if (state != State.RETRYING) state = State.SENDING;
            String failure;
            try {
                failure = send(producer(), page.changes());
            } catch (RuntimeException e) { // the client cannot be made
                failure = describe(e);
            }
            if (failure == null) {
                store(page.cursor());
                state = State.SENDING;
                backoff = config.minBackoff();
                continue;
            }
            if (isClosed()) break;
            failures.incrementAndGet();
            lastError = failure;
            state = State.RETRYING;
            log.warn(
                    "kafka sink: Kafka at {} did not acknowledge {} changes after cursor {} ({}); sending them again"
                            + " in {}",
                    config.bootstrap(),
                    page.changes().size(),
                    cursor,
                    failure,
                    human(backoff));
            pause(backoff);
            backoff = next(backoff);
        }
    }

    /**
     * Produces the records of {@code changes} and waits for every acknowledgement.
     *
     * @return null when Kafka acknowledged every record (or refused some for good, which are skipped and logged), else
     *     what went wrong
     */
    private @Nullable String send(Producer<byte[], byte[]> producer, List<StoreChange> changes) {
        List<Future<RecordMetadata>> acks = new ArrayList<>(changes.size() * 2);
        List<StoreChange> of = new ArrayList<>(changes.size() * 2);
        try {
            for (StoreChange c : changes) {
                String topic = config.topics().topicFor(c.collection());
                byte[] key = key(c);
                acks.add(producer.send(
                        new ProducerRecord<>(topic, key, c.toJson().getBytes(StandardCharsets.UTF_8))));
                of.add(c);
                if (c.deleted() && config.tombstones()) {
                    acks.add(producer.send(new ProducerRecord<>(topic, key, null)));
                    of.add(c);
                }
            }
        } catch (RuntimeException e) { // metadata not available within the delivery timeout, producer closed, …
            return describe(e);
        }
        long stallAt = System.nanoTime() + STALL_AFTER.toNanos();
        for (int i = 0; i < acks.size(); i++) {
            try {
                awaitAck(acks.get(i), stallAt);
                recordsSent.incrementAndGet();
            } catch (ExecutionException e) {
                Throwable cause = Objects.requireNonNullElse(e.getCause(), e);
                if (cause instanceof RecordTooLargeException || cause instanceof InvalidTopicException) {
                    StoreChange c = of.get(i);
                    skipped.incrementAndGet();
                    log.error(
                            "kafka sink: Kafka refused the change of {} {} (cursor {}) for good and it is skipped: {}",
                            c.collection(),
                            c.idJson(),
                            c.cursor(),
                            cause.toString());
                    continue;
                }
                return describe(cause);
            } catch (InterruptedException e) {
                return "interrupted";
            }
        }
        return null;
    }

    private void awaitAck(Future<RecordMetadata> ack, long stallAtNanos)
            throws ExecutionException, InterruptedException {
        while (true) {
            long wait = stallAtNanos - System.nanoTime();
            if (wait <= 0 && state != State.STALLED && state != State.RETRYING) {
                state = State.STALLED;
                log.warn(
                        "kafka sink: Kafka at {} has not acknowledged for {}; the producer keeps trying for up to {}",
                        config.bootstrap(),
                        human(STALL_AFTER),
                        human(config.deliveryTimeout()));
            }
            try {
                ack.get(Math.max(wait, TimeUnit.SECONDS.toNanos(1)), TimeUnit.NANOSECONDS);
                return;
            } catch (TimeoutException e) {
                // not yet: report the stall once, and keep waiting (the producer fails it at its delivery timeout)
            }
        }
    }

    /** {@code 500ms}, {@code 4s}: how a person writes a pause. */
    static String human(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    private void store(long newCursor) {
        cursor = newCursor;
        try {
            if (!position.save(
                    new SinkPosition.Stored(newCursor, config.topics().describe()))) {
                log.warn("kafka sink: another node took the sink's lease; this node stops sending");
                holding = false;
            }
        } catch (RuntimeException e) {
            // the position stays in memory; a restart sends again from the last stored one (duplicates, no gap)
            log.warn("kafka sink: {}", e.getMessage());
        }
    }

    private void resetCursor(StarlingException e) {
        resets.incrementAndGet();
        log.warn(
                "kafka sink: the stored cursor {} cannot be resumed ({}: {}); sending every document again from the"
                        + " start of the change feed",
                cursor,
                e.errorCode().code(),
                e.getMessage());
        store(0);
    }

    private void pause(Duration d) {
        long until = System.nanoTime() + d.toNanos();
        synchronized (lock) {
            long left;
            while (!closed && (left = until - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private Duration next(Duration backoff) {
        Duration doubled = backoff.multipliedBy(2);
        return doubled.compareTo(config.maxBackoff()) > 0 ? config.maxBackoff() : doubled;
    }
}
