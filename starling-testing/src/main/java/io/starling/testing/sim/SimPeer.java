package io.starling.testing.sim;

import io.starling.StarlingConfig;
import io.starling.SyncSubscription;
import io.starling.internal.engine.DefaultStarling;
import io.starling.internal.storage.DocumentStorage;
import io.starling.internal.storage.InMemoryStorage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    /** The peer id: the site id of its store; the cluster's one peer id for a server node. */
    final long site;
    /** The durable store: its own, or the one of its server cluster. */
    final InMemoryStorage disk;
    /** What the engine opens: {@link #disk}, or a server node's view of the shared store. */
    private final DocumentStorage storage;
    /** The server cluster whose node this peer is, or null. */
    final @Nullable SharedStore cluster;

    final VirtualClock clock;
    private final Random engineRandom;
    private final StarlingConfig config;
    private final Simulation sim;
    /** The application's subscriptions, in registration order. */
    final List<SubscriptionSpec> subscriptions = new ArrayList<>();

    private final Map<SubscriptionSpec, SyncSubscription> handles = new LinkedHashMap<>();
    final List<Link> links = new ArrayList<>();

    @Nullable
    DefaultStarling db; // null while crashed

    /** The store the peer's sessions use: the engine's, watched by the simulator (null while crashed). */
    @Nullable
    TrackedStore store;

    /** The running engine; the peer must be up. */
    DefaultStarling db() {
        return java.util.Objects.requireNonNull(db, this + " is down");
    }

    /** The store the peer's sessions use; the peer must be up. */
    TrackedStore store() {
        return java.util.Objects.requireNonNull(store, this + " is down");
    }

    int crashes;
    /** Sessions attached so far (their order, for the duplicate rule). */
    long attachOrder;

    SimPeer(int index, long site, VirtualClock clock, long engineSeed, Simulation sim) {
        this(index, site, clock, engineSeed, sim, null);
    }

    /** A server node over {@code cluster}'s store when {@code cluster} is not null (then {@code site} is its peer id). */
    SimPeer(int index, long site, VirtualClock clock, long engineSeed, Simulation sim, @Nullable SharedStore cluster) {
        this.index = index;
        this.site = site;
        this.clock = clock;
        this.sim = sim;
        this.cluster = cluster;
        this.disk = cluster != null ? cluster.disk : new InMemoryStorage();
        this.storage = cluster != null ? cluster.forNode(index) : disk;
        this.engineRandom = new Random(engineSeed);
        this.config = StarlingConfig.builder()
                .appId("sim")
                .siteId(site)
                .databaseDirectory(Path.of("simulated", cluster != null ? "server" : "peer-" + index))
                .build();
    }

    /** Whether this peer is a node of a server cluster. */
    boolean node() {
        return cluster != null;
    }

    /** The site id this peer stamps its writes with: its peer id, or a server node's own (new at every open). */
    long stampSite() {
        return db().stampSite();
    }

    boolean up() {
        return db != null;
    }

    void open() {
        if (db != null) throw new IllegalStateException("peer " + index + " is already up");
        DefaultStarling opened = cluster != null
                ? DefaultStarling.openNodeDrivenByCaller(
                        config, config.databaseDirectory(), storage, clock, engineRandom)
                : DefaultStarling.open(config, config.databaseDirectory(), storage, clock, engineRandom);
        db = opened;
        store = new TrackedStore(opened.syncStore(), this, sim);
        for (SubscriptionSpec s : subscriptions)
            handles.put(s, opened.sync().registerSubscription(s.query(), s.args()));
    }

    /** The process dies: the engine is dropped as it is, never closed; the storage keeps what was committed. */
    void crash() {
        db = null;
        store = null;
        handles.clear();
        crashes++;
    }

    void subscribe(SubscriptionSpec s) {
        if (subscriptions.contains(s)) return;
        subscriptions.add(s);
        DefaultStarling running = db;
        if (running != null) handles.put(s, running.sync().registerSubscription(s.query(), s.args()));
    }

    void unsubscribe(SubscriptionSpec s) {
        if (!subscriptions.remove(s)) return;
        SyncSubscription h = handles.remove(s);
        if (h != null) h.close();
    }

    long lastSequence() {
        return db().defaultStore().lastSequence();
    }

    /** The committed state of a document (null: no row); readable while the peer is down, too. */
    byte @Nullable [] stateOf(DocKey d) {
        byte[] id = d.encodedId();
        java.util.Optional<DocumentStorage.Row> row =
                disk.read(tx -> java.util.Optional.ofNullable(tx.get(d.collection(), id)));
        return row.map(DocumentStorage.Row::state).orElse(null);
    }

    @Override
    public String toString() {
        return (cluster != null ? "node " : "peer ") + index + " (site " + Long.toUnsignedString(site, 16) + ")";
    }
}
