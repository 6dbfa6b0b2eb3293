package io.starling.internal.engine;

import io.starling.ErrorCode;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.Store;
import io.starling.internal.storage.DocumentStorage;
import io.starling.internal.storage.SqliteStorage;
import io.starling.internal.storage.StorageException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
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
    private volatile boolean closed;

    private DefaultStarling(StarlingConfig config, DocumentStorage storage, DefaultStore store) {
        this.config = config;
        this.storage = storage;
        this.store = store;
    }

    public static Starling open(StarlingConfig config) {
        return open(config, Clock.systemUTC());
    }

    static DefaultStarling open(StarlingConfig config, Clock clock) {
        Path dir = config.databaseDirectory().toAbsolutePath().normalize();
        DocumentStorage storage;
        try {
            storage = SqliteStorage.open(dir, SqliteStorage.Options.defaults().withDurability(
                    config.durability() == StarlingConfig.Durability.FULL
                            ? SqliteStorage.Durability.FULL
                            : SqliteStorage.Durability.NORMAL));
        } catch (StorageException e) {
            throw Errors.storage(e);
        }
        try {
            return open(config, dir, storage, clock);
        } catch (RuntimeException e) {
            storage.close();
            throw Errors.translate(e);
        }
    }

    /** Opens over any storage (the simulator uses in-memory storage). */
    static DefaultStarling open(StarlingConfig config, Path dir, DocumentStorage storage, Clock clock) {
        Identity identity = storage.write(tx -> {
            String storedApp = string(tx.meta(META_APP_ID));
            String app = config.appId();
            if (storedApp != null && app != null && !storedApp.equals(app)) {
                throw new StarlingException(ErrorCode.STORE_APP_MISMATCH, "the database in " + dir
                        + " belongs to app '" + storedApp + "', not '" + app + "'");
            }
            if (app == null) app = storedApp != null ? storedApp : DEFAULT_APP_ID;
            if (storedApp == null) tx.putMeta(META_APP_ID, app.getBytes(StandardCharsets.UTF_8));

            long storedSite = longOrZero(tx.meta(META_SITE_ID));
            long site = config.siteId().orElse(storedSite);
            if (site == 0) site = newSiteId();
            if (site != storedSite) {
                if (storedSite != 0) {
                    log.warn("site id of {} changes from {} to {} as configured", dir,
                            Long.toUnsignedString(storedSite, 16), Long.toUnsignedString(site, 16));
                }
                tx.putMeta(META_SITE_ID, ByteBuffer.allocate(8).putLong(site).array());
            }
            return new Identity(app, site, longOrZero(tx.meta(DefaultStore.META_HLC)));
        });
        StarlingConfig resolved = config.toBuilder()
                .databaseDirectory(dir)
                .appId(identity.appId)
                .siteId(identity.siteId)
                .build();
        Timestamps timestamps = new Timestamps(identity.siteId, identity.hlc, config.maxClockDrift().toMillis(), clock);
        DefaultStore store = new DefaultStore(storage, timestamps, new EngineMetrics(),
                new SystemCollections.Info(dir, identity.siteId, identity.appId));
        log.info("opened {} (app {}, site {})", dir, identity.appId, Long.toUnsignedString(identity.siteId, 16));
        return new DefaultStarling(resolved, storage, store);
    }

    private record Identity(String appId, long siteId, long hlc) {}

    private static long newSiteId() {
        SecureRandom random = new SecureRandom();
        long id;
        do {
            id = random.nextLong();
        } while (id == 0);
        return id;
    }

    private static String string(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    private static long longOrZero(byte[] b) {
        if (b == null) return 0;
        if (b.length != 8) throw new StarlingException(ErrorCode.STORE_CORRUPT, "malformed meta value of " + b.length + " bytes");
        return ByteBuffer.wrap(b).getLong();
    }

    @Override
    public Store store() {
        checkOpen();
        return store;
    }

    /** The store with its internal entry points (remote merges). */
    DefaultStore defaultStore() {
        checkOpen();
        return store;
    }

    @Override
    public StarlingConfig config() {
        return config;
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        store.markClosed();
        storage.close();
        log.info("closed {}", config.databaseDirectory());
    }

    private void checkOpen() {
        if (closed) throw new StarlingException(ErrorCode.CLOSED, "this Starling instance is closed");
    }
}
