package io.starling;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * Configuration of one Starling instance. Immutable; build it with {@link #builder()} (plain defaults) or
 * {@link #fromEnvironment()} (defaults taken from {@code STARLING_*} environment variables). The builder
 * rejects a bad value at once, naming it.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>setting</th><th>environment default</th><th>default</th></tr>
 *   <tr><td>{@link Builder#databaseDirectory}</td><td>STARLING_DB_PATH</td><td>{@code starling-data}</td></tr>
 *   <tr><td>{@link Builder#storageUrl}</td><td></td><td>none: SQLite in the database directory</td></tr>
 *   <tr><td>{@link Builder#appId}</td><td>STARLING_APP_ID</td><td>the one stored in the database, or
 *       {@code default} for a new one</td></tr>
 *   <tr><td>{@link Builder#siteId}</td><td>STARLING_SITE_ID</td><td>generated once, then persisted</td></tr>
 *   <tr><td>{@link Builder#durability}</td><td></td><td>{@link Durability#FULL}</td></tr>
 *   <tr><td>{@link Builder#maxClockDrift}</td><td></td><td>10 minutes</td></tr>
 *   <tr><td>{@link Builder#identity}</td><td>STARLING_SHARED_KEY (a key file)</td><td>playground</td></tr>
 *   <tr><td>{@link Builder#listen}</td><td>STARLING_LISTEN (comma-separated endpoints)</td><td>none</td></tr>
 *   <tr><td>{@link Builder#connect}</td><td>STARLING_CONNECT (comma-separated endpoints)</td><td>none</td></tr>
 *   <tr><td>{@link Builder#lan}</td><td>STARLING_LAN ({@code true}/{@code false})</td><td>false</td></tr>
 *   <tr><td>{@link Builder#maxConnections}</td><td></td><td>64</td></tr>
 *   <tr><td>{@link Builder#statementTimeout}</td><td></td><td>60 seconds</td></tr>
 *   <tr><td>{@link Builder#attachments}</td><td></td><td>{@link Attachments#defaults()}</td></tr>
 * </table>
 *
 * <p>Networking starts when the instance opens if anything is listened on, connected to or LAN discovery is
 * on; it needs a network provider ({@code starling-transport-netty}) on the class path.
 */
public final class StarlingConfig {

    /** How hard a commit works to survive failures. */
    public enum Durability {
        /** A write survives a crash of the process and of the machine (SQLite synchronous=FULL). */
        FULL,
        /** A write survives a crash of the process; a power loss may lose the last commits (synchronous=NORMAL). */
        NORMAL
    }

    public static final String DEFAULT_DIRECTORY = "starling-data";
    public static final Duration DEFAULT_MAX_CLOCK_DRIFT = Duration.ofMinutes(10);
    public static final int DEFAULT_MAX_CONNECTIONS = 64;
    /**
     * The default statement time limit: far above what a statement needs on a local store (an unindexed filter over
     * a million documents takes about a second), yet a runaway statement — a backtracking regular expression, a
     * cross-join-like ANY over huge arrays — gives the writer lock and its thread back within a minute.
     */
    public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(60);

    static final Duration MAX_STATEMENT_TIMEOUT = Duration.ofHours(24);
    static final int MAX_APP_ID_LENGTH = 128;

    private final Path databaseDirectory;
    private final @Nullable String storageUrl;
    private final @Nullable String appId;
    private final long siteId;
    private final Durability durability;
    private final Duration maxClockDrift;
    private final Identity identity;
    private final List<Endpoint> listen;
    private final List<Endpoint> connect;
    private final List<List<Endpoint>> connectToAnyOf;
    private final boolean lan;
    private final int maxConnections;
    private final Duration statementTimeout;
    private final Attachments attachments;

    private StarlingConfig(Builder b) {
        this.databaseDirectory = b.databaseDirectory;
        this.storageUrl = b.storageUrl;
        this.appId = b.appId;
        this.siteId = b.siteId;
        this.durability = b.durability;
        this.maxClockDrift = b.maxClockDrift;
        this.identity = b.identity;
        this.listen = List.copyOf(b.listen);
        this.connect = List.copyOf(b.connect);
        this.connectToAnyOf = b.connectToAnyOf.stream().map(List::copyOf).toList();
        this.lan = b.lan;
        this.maxConnections = b.maxConnections;
        this.statementTimeout = b.statementTimeout;
        this.attachments = b.attachments;
    }

    /** A builder with plain defaults; the environment is not read. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder whose defaults come from {@code STARLING_DB_PATH}, {@code STARLING_APP_ID} and
     * {@code STARLING_SITE_ID} when they are set.
     *
     * @throws StarlingException with {@link ErrorCode#CONFIG_INVALID} naming the variable that is malformed
     */
    public static Builder fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    static Builder fromEnvironment(Map<String, String> env) {
        Builder b = new Builder();
        String dir = env.get("STARLING_DB_PATH");
        if (dir != null && !dir.isBlank()) b.databaseDirectory(Path.of(dir));
        String app = env.get("STARLING_APP_ID");
        if (app != null && !app.isBlank()) b.appId(app);
        String site = env.get("STARLING_SITE_ID");
        if (site != null && !site.isBlank()) b.siteId(parseSiteId("STARLING_SITE_ID", site));
        String key = env.get("STARLING_SHARED_KEY");
        if (key != null && !key.isBlank()) b.identity(Identity.sharedKey(Path.of(key.trim())));
        String listen = env.get("STARLING_LISTEN");
        if (listen != null && !listen.isBlank()) b.listen(endpoints("STARLING_LISTEN", listen));
        String connect = env.get("STARLING_CONNECT");
        if (connect != null && !connect.isBlank()) b.connect(endpoints("STARLING_CONNECT", connect));
        String lan = env.get("STARLING_LAN");
        if (lan != null && !lan.isBlank()) {
            String v = lan.trim().toLowerCase(Locale.ROOT);
            if (!v.equals("true") && !v.equals("false"))
                throw invalid("STARLING_LAN must be true or false, got '" + lan + "'");
            b.lan(v.equals("true"));
        }
        return b;
    }

    private static List<Endpoint> endpoints(String what, String text) {
        List<Endpoint> out = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            if (part.isBlank()) continue;
            try {
                out.add(Endpoint.parse(part));
            } catch (StarlingException e) {
                throw invalid(what + ": " + e.getMessage());
            }
        }
        return out;
    }

    /**
     * Parses a site id written in decimal (signed or unsigned 64-bit) or as hex with a {@code 0x} prefix.
     */
    private static long parseSiteId(String what, String text) {
        String t = text.trim();
        try {
            long v = t.startsWith("0x") || t.startsWith("0X")
                    ? Long.parseUnsignedLong(t.substring(2), 16)
                    : t.startsWith("-") ? Long.parseLong(t) : Long.parseUnsignedLong(t);
            if (v == 0) throw invalid(what + " must not be 0");
            return v;
        } catch (NumberFormatException e) {
            throw invalid(what + " is not a 64-bit integer: '" + text + "'");
        }
    }

    /** The directory holding the database; created on open if absent. */
    public Path databaseDirectory() {
        return databaseDirectory;
    }

    /**
     * The shared storage this instance is a node of ({@code jdbc:postgresql:...}), or null for SQLite in {@link
     * #databaseDirectory()}. See {@link Builder#storageUrl}.
     */
    public @Nullable String storageUrl() {
        return storageUrl;
    }

    /** The app id, or null when it is to be taken from the database (or be {@code default} for a new one). */
    public @Nullable String appId() {
        return appId;
    }

    /** The site id, or empty when the persisted (or a newly generated) one is to be used. */
    public OptionalLong siteId() {
        return siteId == 0 ? OptionalLong.empty() : OptionalLong.of(siteId);
    }

    public Durability durability() {
        return durability;
    }

    /** How far ahead of the local clock a remote timestamp may be before it is rejected. */
    public Duration maxClockDrift() {
        return maxClockDrift;
    }

    /** How this peer proves it belongs to the app: playground (none) or a shared key. */
    public Identity identity() {
        return identity;
    }

    /** Where this peer accepts connections. */
    public List<Endpoint> listen() {
        return listen;
    }

    /** Where this peer keeps connecting to (reconnecting with backoff). */
    public List<Endpoint> connect() {
        return connect;
    }

    /**
     * Peers reachable at several addresses (the nodes of one server), each kept connected through one of its
     * addresses at a time ({@link Builder#connectToAnyOf}).
     */
    public List<List<Endpoint>> connectToAnyOf() {
        return connectToAnyOf;
    }

    /** Whether this peer advertises itself and finds peers of its app on the local network (mDNS). */
    public boolean lan() {
        return lan;
    }

    /** The most connections (both directions) held at once; more are refused and logged. */
    public int maxConnections() {
        return maxConnections;
    }

    /**
     * How long one statement may run before it is stopped with {@link ErrorCode#QUERY_TIMEOUT} (a write rolls
     * back). It applies to every statement: {@link Store#execute}, each statement of a transaction, and each
     * evaluation of a live query. It counts from when the statement starts running (for a write, once it holds the
     * writer lock); application code inside {@link Store#transaction} is not limited.
     */
    public Duration statementTimeout() {
        return statementTimeout;
    }

    /** How attachments are fetched and collected. */
    public Attachments attachments() {
        return attachments;
    }

    /** Shorthand for {@code attachments().fetchTimeout()}. */
    public Duration attachmentFetchTimeout() {
        return attachments.fetchTimeout();
    }

    /**
     * How attachments are fetched and collected (docs/ATTACHMENTS.md).
     *
     * @param maxConcurrentFetches fetches that transfer at once (1–64, default 4); further ones wait their turn
     * @param fetchTimeout how long a fetch may go without a verified chunk before the peer it waits on is given up
     *     (the fetch then tries another; with no other peer it fails) — 100 ms to 1 hour, default 30 s
     * @param bytesPerSecondPerPeer how many attachment bytes a second this peer sends to one peer at most (0 = no
     *     limit, the default); documents are never held back by it
     * @param gracePeriod how long a blob no document references stays before the collector deletes it — 0 to 30
     *     days, default 1 hour
     * @param maxBytes the largest attachment this peer stores, in bytes: {@code newAttachment}, an HTTP upload, a
     *     fetch and a relay for another peer all refuse a larger one ({@link ErrorCode#ATTACHMENT_TOO_LARGE}) — at
     *     least 1, default {@link #DEFAULT_MAX_BYTES} (1 GiB)
     */
    public record Attachments(
            int maxConcurrentFetches,
            Duration fetchTimeout,
            long bytesPerSecondPerPeer,
            Duration gracePeriod,
            long maxBytes) {
        /** The default largest attachment: 1 GiB. */
        public static final long DEFAULT_MAX_BYTES = 1L << 30;

        /** @throws StarlingException {@link ErrorCode#CONFIG_INVALID} naming the value out of range */
        public Attachments {
            Objects.requireNonNull(fetchTimeout, "fetchTimeout");
            Objects.requireNonNull(gracePeriod, "gracePeriod");
            if (maxConcurrentFetches < 1 || maxConcurrentFetches > 64)
                throw invalid("attachments.maxConcurrentFetches must be 1 to 64, got " + maxConcurrentFetches);
            if (fetchTimeout.compareTo(Duration.ofMillis(100)) < 0 || fetchTimeout.compareTo(Duration.ofHours(1)) > 0)
                throw invalid("attachments.fetchTimeout must be 100 ms to 1 hour, got " + fetchTimeout);
            if (bytesPerSecondPerPeer < 0)
                throw invalid(
                        "attachments.bytesPerSecondPerPeer must be 0 (no limit) or more, got " + bytesPerSecondPerPeer);
            if (gracePeriod.isNegative() || gracePeriod.compareTo(Duration.ofDays(30)) > 0)
                throw invalid("attachments.gracePeriod must be 0 to 30 days, got " + gracePeriod);
            if (maxBytes < 1) throw invalid("attachments.maxBytes must be at least 1 byte, got " + maxBytes);
        }

        /** The settings with the default largest attachment ({@link #DEFAULT_MAX_BYTES}). */
        public Attachments(
                int maxConcurrentFetches, Duration fetchTimeout, long bytesPerSecondPerPeer, Duration gracePeriod) {
            this(maxConcurrentFetches, fetchTimeout, bytesPerSecondPerPeer, gracePeriod, DEFAULT_MAX_BYTES);
        }

        /** These settings with {@code maxBytes} as the largest attachment. */
        public Attachments withMaxBytes(long maxBytes) {
            return new Attachments(maxConcurrentFetches, fetchTimeout, bytesPerSecondPerPeer, gracePeriod, maxBytes);
        }

        /** 4 concurrent fetches, 30 s without progress, no bandwidth limit, 1 hour of grace, 1 GiB at most. */
        public static Attachments defaults() {
            return new Attachments(4, Duration.ofSeconds(30), 0, Duration.ofHours(1), DEFAULT_MAX_BYTES);
        }
    }

    /** True when opening this configuration starts networking. */
    public boolean networked() {
        return !listen.isEmpty() || !connect.isEmpty() || !connectToAnyOf.isEmpty() || lan;
    }

    /** A builder holding this configuration's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.databaseDirectory = databaseDirectory;
        b.storageUrl = storageUrl;
        b.appId = appId;
        b.siteId = siteId;
        b.durability = durability;
        b.maxClockDrift = maxClockDrift;
        b.identity = identity;
        b.listen = new ArrayList<>(listen);
        b.connect = new ArrayList<>(connect);
        b.connectToAnyOf = new ArrayList<>(connectToAnyOf);
        b.lan = lan;
        b.maxConnections = maxConnections;
        b.statementTimeout = statementTimeout;
        b.attachments = attachments;
        return b;
    }

    @Override
    public String toString() {
        return "StarlingConfig{databaseDirectory=" + databaseDirectory
                + (storageUrl == null ? "" : ", storageUrl=" + withoutParameters(storageUrl)) + ", appId=" + appId
                + ", siteId="
                + (siteId == 0 ? "auto" : Long.toUnsignedString(siteId, 16)) + ", durability=" + durability
                + ", maxClockDrift=" + maxClockDrift + ", identity=" + identity + ", listen=" + listen
                + ", connect=" + connect + (connectToAnyOf.isEmpty() ? "" : ", connectToAnyOf=" + connectToAnyOf)
                + ", lan=" + lan + ", maxConnections=" + maxConnections
                + ", statementTimeout=" + statementTimeout + ", attachments=" + attachments + '}';
    }

    /** A storage URL as messages show it: without its parameters, which may hold a password. */
    static String withoutParameters(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q) + "?…";
    }

    private static StarlingException invalid(String message) {
        return new StarlingException(ErrorCode.CONFIG_INVALID, message);
    }

    /** Builds a {@link StarlingConfig}. Not thread-safe. */
    public static final class Builder {
        private Path databaseDirectory = Path.of(DEFAULT_DIRECTORY);
        private @Nullable String storageUrl;
        private @Nullable String appId;
        private long siteId;
        private Durability durability = Durability.FULL;
        private Duration maxClockDrift = DEFAULT_MAX_CLOCK_DRIFT;
        private Identity identity = Identity.playground();
        private List<Endpoint> listen = new ArrayList<>();
        private List<Endpoint> connect = new ArrayList<>();
        private List<List<Endpoint>> connectToAnyOf = new ArrayList<>();
        private boolean lan;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private Duration statementTimeout = DEFAULT_STATEMENT_TIMEOUT;
        private Attachments attachments = Attachments.defaults();

        private Builder() {}

        /** How attachments are fetched and collected ({@link StarlingConfig#attachments()}). */
        public Builder attachments(Attachments attachments) {
            this.attachments = Objects.requireNonNull(attachments, "attachments");
            return this;
        }

        public Builder databaseDirectory(Path dir) {
            this.databaseDirectory = Objects.requireNonNull(dir, "databaseDirectory");
            return this;
        }

        /**
         * Keep the data in a shared storage named by URL instead of SQLite in the database directory:
         * {@code jdbc:postgresql://host:5432/db?user=…&password=…&currentSchema=…} with {@code
         * io.starling:starling-storage-postgres} on the class path. Several instances given the same URL are
         * <em>nodes</em> of one logical peer: one peer id toward other peers, one change log, checkpoints valid on
         * every node, each node with a site id of its own for its write stamps (docs/SERVER.md). The database
         * directory is then not used. Null (the default) means SQLite.
         */
        public Builder storageUrl(@Nullable String url) {
            if (url != null && (url.isBlank() || !url.startsWith("jdbc:"))) {
                throw invalid("storageUrl must be a JDBC URL such as jdbc:postgresql://host:5432/db, got '"
                        + withoutParameters(url) + "'");
            }
            this.storageUrl = url;
            return this;
        }

        /**
         * The app id: peers sync only with peers of the same app. 1 to 128 characters from
         * {@code [A-Za-z0-9._-]}.
         */
        public Builder appId(String appId) {
            Objects.requireNonNull(appId, "appId");
            if (appId.isEmpty() || appId.length() > MAX_APP_ID_LENGTH || !appId.matches("[A-Za-z0-9._-]+")) {
                throw invalid("appId must be 1 to " + MAX_APP_ID_LENGTH + " characters from [A-Za-z0-9._-], got '"
                        + appId + "'");
            }
            this.appId = appId;
            return this;
        }

        /** A fixed 64-bit site id (not 0). Normally left unset: a random one is generated and persisted. */
        public Builder siteId(long siteId) {
            if (siteId == 0) throw invalid("siteId must not be 0");
            this.siteId = siteId;
            return this;
        }

        public Builder durability(Durability durability) {
            this.durability = Objects.requireNonNull(durability, "durability");
            return this;
        }

        /** At least one second. */
        public Builder maxClockDrift(Duration drift) {
            Objects.requireNonNull(drift, "maxClockDrift");
            if (drift.compareTo(Duration.ofSeconds(1)) < 0) {
                throw invalid("maxClockDrift must be at least 1 second, got " + drift);
            }
            this.maxClockDrift = drift;
            return this;
        }

        public Builder identity(Identity identity) {
            this.identity = Objects.requireNonNull(identity, "identity");
            return this;
        }

        /** Endpoints to accept connections on (replacing any set before); port 0 picks a free port. */
        public Builder listen(List<Endpoint> endpoints) {
            this.listen = new ArrayList<>(endpoints);
            return this;
        }

        /** Like {@link #listen(List)}, parsing each with {@link Endpoint#parse}. */
        public Builder listen(String... endpoints) {
            return listen(parseAll(endpoints));
        }

        /** Endpoints to keep connected to (replacing any set before). */
        public Builder connect(List<Endpoint> endpoints) {
            for (Endpoint e : endpoints) {
                if (e.port() == 0) throw invalid("cannot connect to port 0: " + e);
            }
            this.connect = new ArrayList<>(endpoints);
            return this;
        }

        /** Like {@link #connect(List)}, parsing each with {@link Endpoint#parse}. */
        public Builder connect(String... endpoints) {
            return connect(parseAll(endpoints));
        }

        /**
         * Adds one peer that answers at several addresses — the nodes of one server on a shared database — to keep
         * connected to through one address at a time: when a connection attempt fails or the connection ends, the
         * next attempt (after the usual backoff) goes to the next address, round the list. So a device reaches the
         * server while any node is up, without a load balancer. A connection that ends because a node drains
         * ({@code going-away}) moves on as well.
         *
         * @throws StarlingException {@link ErrorCode#CONFIG_INVALID} for an empty list, a repeated address or port 0
         */
        public Builder connectToAnyOf(List<Endpoint> addresses) {
            if (addresses.isEmpty()) throw invalid("connectToAnyOf needs at least one address");
            if (new java.util.HashSet<>(addresses).size() != addresses.size()) {
                throw invalid("an address is repeated in " + addresses);
            }
            for (Endpoint e : addresses) {
                if (e.port() == 0) throw invalid("cannot connect to port 0: " + e);
            }
            this.connectToAnyOf.add(List.copyOf(addresses));
            return this;
        }

        /** LAN discovery over mDNS: advertise this peer and connect to peers of the same app. */
        public Builder lan(boolean lan) {
            this.lan = lan;
            return this;
        }

        /** 1 to 10,000. */
        public Builder maxConnections(int max) {
            if (max < 1 || max > 10_000) throw invalid("maxConnections must be 1 to 10000, got " + max);
            this.maxConnections = max;
            return this;
        }

        /**
         * How long one statement may run before it is stopped ({@link StarlingConfig#statementTimeout()}): 1 ms to
         * 24 hours. Default {@link #DEFAULT_STATEMENT_TIMEOUT}.
         */
        public Builder statementTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "statementTimeout");
            if (timeout.compareTo(Duration.ofMillis(1)) < 0 || timeout.compareTo(MAX_STATEMENT_TIMEOUT) > 0) {
                throw invalid("statementTimeout must be 1 ms to 24 hours, got " + timeout);
            }
            this.statementTimeout = timeout;
            return this;
        }

        private static List<Endpoint> parseAll(String... endpoints) {
            List<Endpoint> out = new ArrayList<>();
            for (String e : endpoints) out.add(Endpoint.parse(e));
            return out;
        }

        public StarlingConfig build() {
            return new StarlingConfig(this);
        }
    }
}
