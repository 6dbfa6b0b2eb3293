package io.starling.internal.engine;

import io.starling.ErrorCode;
import io.starling.Presence;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.Store;
import io.starling.internal.net.ConnectionInfo;
import io.starling.internal.net.MessageChannel;
import io.starling.internal.net.Network;
import io.starling.internal.net.NetworkHost;
import io.starling.internal.net.NetworkProvider;
import io.starling.internal.query.Permissions;
import io.starling.internal.storage.DirectoryLock;
import io.starling.internal.storage.DocumentStorage;
import io.starling.internal.storage.SqliteStorage;
import io.starling.internal.storage.StorageException;
import io.starling.internal.storage.StorageProvider;
import io.starling.internal.sync.Principal;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.ServiceLoader;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** An open database: owns the storage, the clock and the store. */
public final class DefaultStarling implements Starling {
    private static final Logger log = LoggerFactory.getLogger(DefaultStarling.class);

    static final String META_SITE_ID = "site_id";
    static final String META_APP_ID = "app_id";
    static final String DEFAULT_APP_ID = "default";

    private final StarlingConfig config;
    private final DocumentStorage storage;
    private final DefaultStore store;
    private final DefaultSync sync;
    private final EngineSyncStore syncStore;
    private final Clock clock;
    private final SyncMetrics metrics = new SyncMetrics();
    private final PresenceService presence;
    private final AttachmentService attachments;
    private volatile @Nullable SyncService syncService; // started with the first connection
    private volatile @Nullable Network network;
    private final @Nullable NodeTail tail; // a node of a shared storage: finds the other nodes' commits
    private @Nullable DirectoryLock nodeDirectoryLock; // a node of a shared storage: its own directory, held till close
    private volatile @Nullable DeviceLogin deviceLogin; // online identity mode only
    private volatile boolean closed;
    private volatile boolean drained;

    private DefaultStarling(
            StarlingConfig config,
            DocumentStorage storage,
            DefaultStore store,
            long incarnation,
            Clock clock,
            @Nullable NodeTail tail,
            Path blobDirectory) {
        this.config = config;
        this.tail = tail;
        this.storage = storage;
        this.store = store;
        this.clock = clock;
        this.sync = new DefaultSync(store, clock::millis, this);
        this.presence = new PresenceService(config.siteId().getAsLong(), clock::millis);
        this.syncStore = new EngineSyncStore(
                store,
                config.siteId().getAsLong(),
                incarnation,
                Objects.requireNonNull(config.appId(), "the opened instance's config names its app"),
                clock::millis);
        BlobStore blobs = new BlobStore(blobDirectory, storage.sharedBlobs());
        blobs.cleanTemporaryFiles();
        this.attachments = new AttachmentService(
                blobs,
                storage,
                config.attachments(),
                clock::millis,
                AttachmentAccess.byReadPermission(new AttachmentReferences(storage)));
        store.attachments(attachments);
        store.addChangeListener(changes -> {
            syncStore.logChanged(); // before any session is woken: it must read the log afresh
            SyncService s = syncService;
            if (s != null) s.localChange();
        });
    }

    /** The sync protocol's view of this store (the simulator drives sessions over it directly). */
    public EngineSyncStore syncStore() {
        checkOpen();
        return syncStore;
    }

    /** The subscriptions the sessions announce. */
    public List<io.starling.internal.sync.Subscription> currentSubscriptions() {
        return sync.current();
    }

    /**
     * Starts a sync session over a new connection (any transport) and returns where the connection's
     * incoming messages must go.
     */
    public MessageChannel.Receiver connect(MessageChannel channel) {
        return connect(channel, ConnectionInfo.memory(false));
    }

    private io.starling.internal.sync.SessionConfig sessionConfig = io.starling.internal.sync.SessionConfig.defaults();

    /**
     * The sync session settings, before the first connection (benchmarks and compatibility tests: e.g. a peer that
     * predates range reconciliation). Not part of the public API.
     *
     * @throws IllegalStateException after a connection was made
     */
    public synchronized void useSessionConfig(io.starling.internal.sync.SessionConfig config) {
        if (syncService != null) throw new IllegalStateException("the sync service has started");
        sessionConfig = java.util.Objects.requireNonNull(config, "config");
    }

    /** Like {@link #connect(MessageChannel)}, with what the transport knows about the connection. */
    public synchronized MessageChannel.Receiver connect(MessageChannel channel, ConnectionInfo info) {
        checkOpen();
        if (drained) {
            throw new StarlingException(ErrorCode.NETWORK_IO, "this peer is draining: it accepts no new sync session");
        }
        if (syncService == null) {
            DeviceLogin login = deviceLogin;
            syncService = new SyncService(
                    syncStore,
                    sync,
                    sessionConfig,
                    clock::millis,
                    metrics,
                    presence,
                    login == null ? null : login.revocations().state());
            sync.attach(syncService);
            syncService.attachments(attachments);
        }
        return syncService.attach(channel, info);
    }

    /** The device certificate expired without a renewal: every session ends (the transport refuses new ones). */
    private void deviceCertificateExpired() {
        SyncService s = syncService;
        if (s != null)
            s.closeAll(io.starling.internal.sync.SyncSession.UNAUTHENTICATED, "the peer's certificate expired");
    }

    /** The peer's revocation list revokes this device: every session ends (the transport refuses new ones). */
    private void deviceRevoked(String why) {
        SyncService s = syncService;
        if (s != null) s.closeAll(io.starling.internal.sync.SyncSession.REVOKED, "this peer's " + why);
    }

    /** The peer adopted a newer revocation list: every session sends it on and ends a revoked remote's. */
    private void revocationsAdopted() {
        SyncService s = syncService;
        if (s != null) s.revocationsChanged();
    }

    /** The online mode's device status, or null in the other modes. */
    io.starling.Sync.@Nullable DeviceStatus deviceStatus() {
        DeviceLogin login = deviceLogin;
        return login == null ? null : login.status();
    }

    void setExpirationHandler(io.starling.Sync.@Nullable ExpirationHandler handler) {
        DeviceLogin login = deviceLogin;
        if (login == null) {
            throw new StarlingException(
                    ErrorCode.CONFIG_INVALID, "an expiration handler needs the online identity mode (Identity.online)");
        }
        login.setExpirationHandler(handler);
    }

    /** Counts bytes of a transport that is not a {@link Network} (the in-memory one). */
    void recordBytes(long sent, long received) {
        metrics.bytesSent.add(sent);
        metrics.bytesReceived.add(received);
    }

    io.starling.Sync.Metrics metrics() {
        SyncService s = syncService;
        return metrics.snapshot(s == null ? 0 : s.connections());
    }

    List<io.starling.Endpoint> listening() {
        Network n = network;
        return n == null ? List.of() : n.listening();
    }

    void connectTo(io.starling.Endpoint endpoint) {
        checkOpen();
        startNetwork().connect(endpoint);
    }

    /** Starts the network stack if it is not running (the first listen, connect or discovery asks for it). */
    private synchronized Network startNetwork() {
        if (network != null) return network;
        NetworkProvider provider = ServiceLoader.load(NetworkProvider.class, DefaultStarling.class.getClassLoader())
                .findFirst()
                .orElseThrow(
                        () -> new StarlingException(
                                ErrorCode.NETWORK_IO,
                                "networking is configured but no network "
                                        + "provider is on the class path: add the io.starling:starling-transport-netty dependency"));
        if (config.identity().isPlayground()) {
            log.warn(
                    "*** PLAYGROUND MODE *** peer {} syncs with no authentication and no encryption: any device that "
                            + "can reach it can read and change this database. Use a shared key (starling keygen) outside "
                            + "development.",
                    EngineSyncStore.hex(syncStore.peerId()));
        }
        network = provider.start(new Host());
        log.info(
                "network started ({}): listening on {}, connecting to {}{}, LAN discovery {}",
                provider.name(),
                network.listening(),
                config.connect(),
                config.connectToAnyOf().isEmpty() ? "" : " and to one of each of " + config.connectToAnyOf(),
                config.lan() ? "on" : "off");
        return network;
    }

    /** What the network stack sees of this instance. */
    private final class Host implements NetworkHost {
        @Override
        public long peerId() {
            return syncStore.peerId();
        }

        @Override
        public String appId() {
            return syncStore.appId();
        }

        @Override
        public int protocolVersion() {
            return io.starling.internal.sync.SessionConfig.PROTOCOL_VERSION;
        }

        @Override
        public StarlingConfig config() {
            return config;
        }

        @Override
        public MessageChannel.Receiver attach(MessageChannel channel, ConnectionInfo info) {
            return connect(channel, info);
        }

        @Override
        public boolean isConnected(long peerId) {
            SyncService s = syncService;
            return s != null && s.isConnected(peerId);
        }

        @Override
        public void recordBytes(long sent, long received) {
            DefaultStarling.this.recordBytes(sent, received);
        }

        @Override
        public void recordRefused(String reason) {
            metrics.connectionsRefused.increment();
        }

        @Override
        public io.starling.internal.net.@Nullable DeviceTls deviceTls() {
            DeviceLogin login = deviceLogin;
            return login == null ? null : login.deviceTls();
        }

        @Override
        public io.starling.internal.net.RemoteIdentity verifyRemote(List<java.security.cert.X509Certificate> chain)
                throws java.security.cert.CertificateException {
            DeviceLogin login = deviceLogin;
            if (login == null) throw new java.security.cert.CertificateException("this peer is not in the online mode");
            return login.verifyRemote(chain);
        }
    }

    public static Starling open(StarlingConfig config) {
        return open(config, Clock.systemUTC());
    }

    static DefaultStarling open(StarlingConfig config, Clock clock) {
        DefaultStarling db = open(config, clock, new SecureRandom());
        if (config.identity().isOnline()) {
            try {
                DeviceLogin login = DeviceLogin.start(
                        db.config.databaseDirectory(),
                        db.syncStore.peerId(),
                        config.identity(),
                        clock,
                        db::deviceCertificateExpired,
                        db::deviceRevoked,
                        DeviceLogin.CHECK_EVERY);
                login.revocations().addListener(list -> db.revocationsAdopted());
                db.deviceLogin = login;
            } catch (RuntimeException e) {
                db.close();
                throw Errors.translate(e);
            }
        }
        if (config.networked()) {
            try {
                db.startNetwork();
            } catch (RuntimeException e) {
                db.close();
                throw Errors.translate(e);
            }
        }
        return db;
    }

    static DefaultStarling open(StarlingConfig config, Clock clock, java.util.Random random) {
        String url = config.storageUrl();
        if (url != null) return openNode(config, url, clock, random);
        Path dir = config.databaseDirectory().toAbsolutePath().normalize();
        DocumentStorage storage;
        try {
            storage = SqliteStorage.open(
                    dir,
                    SqliteStorage.Options.defaults()
                            .withDurability(
                                    config.durability() == StarlingConfig.Durability.FULL
                                            ? SqliteStorage.Durability.FULL
                                            : SqliteStorage.Durability.NORMAL));
        } catch (StorageException e) {
            throw Errors.storage(e);
        }
        try {
            return open(config, dir, storage, clock, random);
        } catch (RuntimeException e) {
            storage.close();
            throw Errors.translate(e);
        }
    }

    /**
     * Opens a node of the shared storage at {@code url} through the {@link StorageProvider} that accepts it (found with
     * {@link ServiceLoader}, so the engine depends on no driver).
     */
    private static DefaultStarling openNode(StarlingConfig config, String url, Clock clock, java.util.Random random) {
        int q = url.indexOf('?');
        String where = q < 0 ? url : url.substring(0, q); // the parameters may hold a password
        StorageProvider provider = null;
        for (StorageProvider p : ServiceLoader.load(StorageProvider.class, DefaultStarling.class.getClassLoader())) {
            if (p.accepts(url)) {
                provider = p;
                break;
            }
        }
        if (provider == null) {
            throw new StarlingException(
                    ErrorCode.CONFIG_INVALID,
                    "no storage on the class path opens " + where
                            + " (for jdbc:postgresql: add the io.starling:starling-storage-postgres dependency)");
        }
        DocumentStorage storage;
        try {
            storage = provider.open(url);
        } catch (StorageException e) {
            throw Errors.storage(e);
        } catch (IllegalArgumentException e) {
            throw new StarlingException(ErrorCode.CONFIG_INVALID, String.valueOf(e.getMessage()), e);
        }
        try {
            // the node's blob files are its own working copy (the shared storage holds the blobs for every node): in
            // the
            // directory it was configured with, not in one named after the URL, which every node would share
            Path blobs = config.databaseDirectory().toAbsolutePath().normalize();
            DirectoryLock lock = lockNodeDirectory(blobs);
            try {
                DefaultStarling db = open(config, Path.of(where), storage, clock, random, true, true, blobs, null);
                db.nodeDirectoryLock = lock;
                return db;
            } catch (RuntimeException e) {
                lock.close();
                throw e;
            }
        } catch (RuntimeException e) {
            storage.close();
            throw Errors.translate(e);
        }
    }

    /**
     * Takes a node's own directory (its attachment files) for this process: two nodes sharing one would delete each
     * other's uploads in progress when they start ({@link BlobStore#cleanTemporaryFiles}) and collect each other's
     * files.
     */
    private static DirectoryLock lockNodeDirectory(Path directory) {
        try {
            Files.createDirectories(directory);
            return DirectoryLock.acquire(directory);
        } catch (IOException e) {
            throw new StarlingException(
                    ErrorCode.STORE_IO, "cannot create this node's directory " + directory + ": " + e, e);
        } catch (StorageException e) {
            if (e.code() != StorageException.Code.LOCKED) throw Errors.storage(e);
            throw new StarlingException(
                    ErrorCode.STORE_LOCKED,
                    "the directory " + directory + " (this node's attachment files) is in use by another Starling"
                            + " instance or process: give each node of a shared storage a directory of its own"
                            + " (STARLING_DB_PATH)",
                    e);
        }
    }

    /** Opens over any storage (the simulator uses in-memory storage). */
    static DefaultStarling open(StarlingConfig config, Path dir, DocumentStorage storage, Clock clock) {
        return open(config, dir, storage, clock, new SecureRandom());
    }

    /**
     * Opens over any storage with a given clock and source of randomness (site id, incarnation): the
     * deterministic simulator passes seeded ones.
     */
    public static DefaultStarling open(
            StarlingConfig config, Path dir, DocumentStorage storage, Clock clock, java.util.Random random) {
        return open(config, dir, storage, clock, random, false);
    }

    /**
     * As above; {@code node}: the storage is shared with other engines (nodes of one logical peer). The stored site id
     * is then the peer id every node presents, while this node stamps its writes with a site id of its own, new on
     * every open, so that two nodes never take the same stamp (docs/SERVER.md).
     */
    public static DefaultStarling open(
            StarlingConfig config,
            Path dir,
            DocumentStorage storage,
            Clock clock,
            java.util.Random random,
            boolean node) {
        return open(config, dir, storage, clock, random, node, true);
    }

    /**
     * A node of a shared storage whose change log tail runs only when {@link #tailOnce()} is called, on the caller's
     * thread: the deterministic simulator drives it (no thread is started).
     */
    public static DefaultStarling openNodeDrivenByCaller(
            StarlingConfig config, Path dir, DocumentStorage storage, Clock clock, java.util.Random random) {
        return open(config, dir, storage, clock, random, true, false);
    }

    private static DefaultStarling open(
            StarlingConfig config,
            Path dir,
            DocumentStorage storage,
            Clock clock,
            java.util.Random random,
            boolean node,
            boolean tailThread) {
        return open(config, dir, storage, clock, random, node, tailThread, dir, null);
    }

    /**
     * A node of a shared storage whose tail reads the log only every {@code poll}, whether or not the storage signals
     * commits (it does wake at once when the storage's commit signal fires): tests that show what the signal alone
     * delivers.
     */
    public static DefaultStarling openNodeReadingTheLogEvery(
            StarlingConfig config, Path dir, DocumentStorage storage, Duration poll) {
        return open(config, dir, storage, Clock.systemUTC(), new SecureRandom(), true, true, dir, poll);
    }

    /**
     * @param blobDirectory this instance's own files: attachments ({@code attachments/} in it); the opened config
     *     names it as the database directory
     */
    private static DefaultStarling open(
            StarlingConfig config,
            Path dir,
            DocumentStorage storage,
            Clock clock,
            java.util.Random random,
            boolean node,
            boolean tailThread,
            Path blobDirectory,
            @Nullable Duration poll) {
        Identity identity = storage.write(tx -> {
            String storedApp = string(tx.meta(META_APP_ID));
            String app = config.appId();
            if (storedApp != null && app != null && !storedApp.equals(app)) {
                throw new StarlingException(
                        ErrorCode.STORE_APP_MISMATCH,
                        "the database in " + dir + " belongs to app '" + storedApp + "', not '" + app + "'");
            }
            if (app == null) app = storedApp != null ? storedApp : DEFAULT_APP_ID;
            if (storedApp == null) tx.putMeta(META_APP_ID, app.getBytes(StandardCharsets.UTF_8));

            long storedSite = longOrZero(tx.meta(META_SITE_ID));
            long site = config.siteId().orElse(storedSite);
            if (site == 0) site = newSiteId(random);
            if (site != storedSite) {
                if (storedSite != 0) {
                    log.warn(
                            "site id of {} changes from {} to {} as configured",
                            dir,
                            Long.toUnsignedString(storedSite, 16),
                            Long.toUnsignedString(site, 16));
                }
                tx.putMeta(META_SITE_ID, ByteBuffer.allocate(8).putLong(site).array());
            }
            long incarnation = longOrZero(tx.meta(EngineSyncStore.META_INCARNATION));
            if (incarnation == 0) {
                incarnation = newSiteId(random);
                tx.putMeta(
                        EngineSyncStore.META_INCARNATION,
                        ByteBuffer.allocate(8).putLong(incarnation).array());
            }
            return new Identity(app, site, longOrZero(tx.meta(DefaultStore.META_HLC)), incarnation);
        });
        StarlingConfig resolved = config.toBuilder()
                // a node's own files (device credentials, API keys, the Kafka cursor, blobs) go in its directory, not
                // in one named after the storage's URL
                .databaseDirectory(blobDirectory)
                .appId(identity.appId)
                .siteId(identity.siteId)
                .build();
        long stampSite = node ? newSiteId(random, identity.siteId) : identity.siteId;
        Timestamps timestamps =
                new Timestamps(stampSite, identity.hlc, config.maxClockDrift().toMillis(), clock);
        DefaultStore store = new DefaultStore(
                storage,
                timestamps,
                new EngineMetrics(),
                new SystemCollections.Info(dir, identity.siteId, identity.appId),
                new RunningStatements(config.statementTimeout()));
        NodeTail tail = null;
        if (node) {
            tail = poll == null
                    ? new NodeTail(storage, store.lastSequence(), NodeTail.DEFAULT_INTERVAL)
                    : new NodeTail(storage, store.lastSequence(), poll, poll);
            store.becomeNode(tail);
            log.info(
                    "opened {} as a node of peer {} (app {}, this node's site {})",
                    dir,
                    Long.toUnsignedString(identity.siteId, 16),
                    identity.appId,
                    Long.toUnsignedString(stampSite, 16));
        } else {
            log.info("opened {} (app {}, site {})", dir, identity.appId, Long.toUnsignedString(identity.siteId, 16));
        }
        DefaultStarling db =
                new DefaultStarling(resolved, storage, store, identity.incarnation, clock, tail, blobDirectory);
        if (tail != null && tailThread) tail.start(store);
        return db;
    }

    /**
     * A node opened by {@link #openNodeDrivenByCaller}: reads the shared change log once and announces the other
     * nodes' commits since the last call to this node's live queries, sessions and feeds. Returns whether there were
     * any.
     */
    public boolean tailOnce() {
        NodeTail t = tail;
        if (t == null) throw new IllegalStateException("not a node of a shared storage");
        return t.poll(store);
    }

    /** Whether this node's tail is woken by the storage's commit signal now (a node of a PostgreSQL storage). */
    public boolean tailListening() {
        NodeTail t = tail;
        return t != null && t.listening();
    }

    /** The site id this instance stamps its writes with: its peer id, or on a node of a shared storage its own. */
    public long stampSite() {
        return store.stampSite();
    }

    private record Identity(String appId, long siteId, long hlc, long incarnation) {}

    private static long newSiteId(java.util.Random random) {
        return newSiteId(random, 0);
    }

    private static long newSiteId(java.util.Random random, long not) {
        long id;
        do {
            id = random.nextLong();
        } while (id == 0 || id == not);
        return id;
    }

    private static @Nullable String string(byte @Nullable [] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    private static long longOrZero(byte @Nullable [] b) {
        if (b == null) return 0;
        if (b.length != 8)
            throw new StarlingException(ErrorCode.STORE_CORRUPT, "malformed meta value of " + b.length + " bytes");
        return ByteBuffer.wrap(b).getLong();
    }

    @Override
    public Store store() {
        checkOpen();
        return store;
    }

    @Override
    public io.starling.Sync sync() {
        checkOpen();
        return sync;
    }

    /** The attachment layer (tests run its collector). */
    public List<String> collectAttachments() {
        checkOpen();
        return attachments.collectGarbage();
    }

    /** Attachment bytes this instance sent to the peers connected now (tests of resume). */
    public long attachmentBytesServed() {
        checkOpen();
        return attachments.bytesServed();
    }

    /**
     * Why the holder of {@code grant} (an HTTP API key) may not have attachment {@code id}, or null when it may: the
     * rule peers follow (docs/ATTACHMENTS.md, "Access"), a document here that references it and that the grant may
     * read.
     */
    public @Nullable String attachmentRefusal(Permissions.Grant grant, String id) {
        checkOpen();
        Principal who = grant.permissions().read().everything()
                ? Principal.UNRESTRICTED
                : Principal.of(grant.userId(), grant.metadata(), new GrantAccess(grant, clock::millis));
        return attachments.refusal(who, id);
    }

    /** The attachment layer's counters since open (the CLI's {@code /metrics}). */
    public AttachmentCounters attachmentCounters() {
        return attachments.counters();
    }

    /** Relay fetches this instance started on peers' behalf (tests of multi-hop). */
    public long attachmentRelays() {
        return attachments.relaysStarted();
    }

    /** The storage under the store (tests reach its hooks through it, such as a size cap that makes it "full"). */
    public DocumentStorage storage() {
        return storage;
    }

    /** The store with its internal entry points (remote merges). */
    public DefaultStore defaultStore() {
        checkOpen();
        return store;
    }

    @Override
    public Presence presence() {
        checkOpen();
        return presence;
    }

    @Override
    public StarlingConfig config() {
        return config;
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        store.cancelRunning(); // first: a running statement must not hold up sync, the network or the writer lock
        Network n = network;
        if (n != null) n.quiesce(); // nothing new comes in or goes out
        if (syncService != null) syncService.close(); // each session sends CLOSE; channels flush, then close
        if (n != null) n.close(); // waits a grace period for those flushes, then stops the event loops
        DeviceLogin login = deviceLogin;
        if (login != null) login.close();
        attachments.close(); // fetches still running fail with store/closed
        sync.closeObservers();
        presence.closeObservers();
        if (tail != null) tail.close();
        store.markClosed();
        storage.close();
        DirectoryLock lock = nodeDirectoryLock;
        if (lock != null) lock.close();
        log.info("closed {}", config.databaseDirectory());
    }

    /**
     * Stops syncing so that peers go elsewhere ({@link io.starling.Sync#drain}): nothing new is accepted or dialed,
     * and every session closes with {@code going-away} once what it was applying is stored. The store stays usable.
     */
    synchronized void drain() {
        checkOpen();
        if (drained) return;
        drained = true;
        Network n = network;
        if (n != null) n.quiesce();
        SyncService s = syncService;
        if (s != null) s.goAway();
        log.info("drained: sync sessions closed with going-away, no new connections");
    }

    private void checkOpen() {
        if (closed) throw new StarlingException(ErrorCode.CLOSED, "this Starling instance is closed");
    }
}
