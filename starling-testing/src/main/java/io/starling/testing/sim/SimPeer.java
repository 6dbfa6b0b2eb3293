package io.starling.testing.sim;

import io.starling.StarlingConfig;
import io.starling.SyncSubscription;
import io.starling.internal.engine.DefaultStarling;
import io.starling.internal.storage.InMemoryStorage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.jspecify.annotations.Nullable;

/**
 * One simulated replica: a durable in-memory store, a virtual clock, the application's subscriptions and, while
 * it is up, an open engine over the store. A crash abandons the engine without closing anything (nothing runs at
 * a crash; no engine thread exists to stop, since the simulator never starts the threaded sync service) and a
 * restart opens a new engine over the same storage object, whose committed state is the durable state.
 */
final class SimPeer {
    /** A subscription as the application registers it (again after each restart). */
    record SubscriptionSpec(String collection, String query, Map<String, Object> args) {
        @Override
        public String toString() {
            return query + (args.isEmpty() ? "" : " " + args);
        }
    }

    final int index;
    final long site;
    final InMemoryStorage disk = new InMemoryStorage();
    final VirtualClock clock;
    private final Random engineRandom;
    private final StarlingConfig config;
    /** The application's subscriptions, in registration order. */
    final List<SubscriptionSpec> subscriptions = new ArrayList<>();

    private final Map<SubscriptionSpec, SyncSubscription> handles = new LinkedHashMap<>();
    final List<Link> links = new ArrayList<>();

    @Nullable
    DefaultStarling db; // null while crashed

    int crashes;

    SimPeer(int index, long site, VirtualClock clock, long engineSeed) {
        this.index = index;
        this.site = site;
        this.clock = clock;
        this.engineRandom = new Random(engineSeed);
        this.config = StarlingConfig.builder()
                .appId("sim")
                .siteId(site)
                .databaseDirectory(Path.of("simulated", "peer-" + index))
                .build();
    }

    boolean up() {
        return db != null;
    }

    void open() {
        if (db != null) throw new IllegalStateException("peer " + index + " is already up");
        db = DefaultStarling.open(config, config.databaseDirectory(), disk, clock, engineRandom);
        for (SubscriptionSpec s : subscriptions) handles.put(s, db.sync().registerSubscription(s.query(), s.args()));
    }

    /** The process dies: the engine is dropped as it is, never closed; the storage keeps what was committed. */
    void crash() {
        db = null;
        handles.clear();
        crashes++;
    }

    void subscribe(SubscriptionSpec s) {
        if (subscriptions.contains(s)) return;
        subscriptions.add(s);
        if (db != null) handles.put(s, db.sync().registerSubscription(s.query(), s.args()));
    }

    void unsubscribe(SubscriptionSpec s) {
        if (!subscriptions.remove(s)) return;
        SyncSubscription h = handles.remove(s);
        if (h != null) h.close();
    }

    /** The running engine; the peer must be up. */
    DefaultStarling db() {
        return Objects.requireNonNull(db, this + " is down");
    }

    long lastSequence() {
        return db().defaultStore().lastSequence();
    }

    @Override
    public String toString() {
        return "peer " + index + " (site " + Long.toUnsignedString(site, 16) + ")";
    }
}
