package io.starling.internal.engine;

import io.starling.ErrorCode;
import io.starling.ObserverHandle;
import io.starling.QueryException;
import io.starling.Sync;
import io.starling.SyncSubscription;
import io.starling.internal.core.Value;
import io.starling.internal.query.DqlException;
import io.starling.internal.query.QueryExecutor;
import io.starling.internal.query.SelectStatement;
import io.starling.internal.query.Statement;
import io.starling.internal.sync.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Subscriptions and peer status of one instance; the sessions themselves run in {@link SyncService}. */
final class DefaultSync implements Sync {
    private static final Logger log = LoggerFactory.getLogger(DefaultSync.class);

    private final DefaultStore store;
    private final List<Registered> subscriptions = new CopyOnWriteArrayList<>();
    private final CallbackList<List<PeerStatus>> peerObservers = new CallbackList<>("a peer status observer", log);
    private final java.util.function.LongSupplier clock;
    private final DefaultStarling owner;
    private volatile @Nullable SyncService service;

    DefaultSync(DefaultStore store, java.util.function.LongSupplier clock, DefaultStarling owner) {
        this.store = store;
        this.clock = clock;
        this.owner = owner;
    }

    void attach(SyncService service) {
        this.service = service;
    }

    @Override
    public SyncSubscription registerSubscription(String query, Map<String, ?> arguments) {
        boolean every;
        try {
            every = io.starling.internal.query.Dql.isEveryCollection(query);
        } catch (DqlException e) {
            throw Errors.query(e);
        }
        if (every) {
            if (arguments != null && !arguments.isEmpty()) {
                throw new QueryException(
                        ErrorCode.QUERY_INVALID,
                        "SELECT * FROM * (every collection) takes no arguments; given " + arguments.keySet(),
                        1,
                        1);
            }
            Registered r = new Registered(Subscription.EVERY, Map.of());
            subscriptions.add(r);
            changed();
            return r;
        }
        Statement statement = store.parseStatement(query);
        if (!(statement instanceof SelectStatement select) || !select.isPlainFilter()) {
            throw new QueryException(
                    ErrorCode.QUERY_INVALID,
                    "a subscription must be SELECT * FROM collection [WHERE condition], with nothing else",
                    1,
                    1);
        }
        Map<String, Value> args = DefaultStore.bindArguments(arguments);
        try {
            QueryExecutor.checkArguments(statement, args);
        } catch (DqlException e) {
            throw Errors.query(e);
        }
        Registered r = new Registered(Subscription.of(select.collection(), query, new Value.Obj(args)), arguments);
        subscriptions.add(r);
        changed();
        return r;
    }

    @Override
    public List<SyncSubscription> subscriptions() {
        return List.copyOf(subscriptions);
    }

    /** The protocol's view of the open subscriptions (duplicates by key collapse to one). */
    List<Subscription> current() {
        List<Subscription> out = new ArrayList<>();
        for (Registered r : subscriptions) {
            if (out.stream().noneMatch(s -> s.key().equals(r.subscription.key()))) out.add(r.subscription);
        }
        return out;
    }

    @Override
    public List<PeerStatus> peers() {
        SyncService s = service;
        return s == null ? List.of() : s.peers();
    }

    @Override
    public boolean hasReached(long peerId, long sequence) {
        for (PeerStatus p : peers()) if (p.peerId() == peerId) return p.acknowledgedSequence() >= sequence;
        return false;
    }

    @Override
    public long purgeTombstones(java.time.Duration retention) {
        if (retention.isNegative()) throw new IllegalArgumentException("retention must not be negative: " + retention);
        long horizonMillis = clock.getAsLong() - retention.toMillis();
        return store.purgeTombstones(io.starling.internal.core.HybridLogicalClock.pack(Math.max(0, horizonMillis), 0));
    }

    @Override
    public List<io.starling.Endpoint> listening() {
        return owner.listening();
    }

    @Override
    public void drain() {
        owner.drain();
    }

    @Override
    public void connect(io.starling.Endpoint endpoint) {
        java.util.Objects.requireNonNull(endpoint, "endpoint");
        if (endpoint.port() == 0)
            throw new io.starling.StarlingException(ErrorCode.CONFIG_INVALID, "cannot connect to port 0: " + endpoint);
        owner.connectTo(endpoint);
    }

    @Override
    public @Nullable DeviceStatus deviceStatus() {
        return owner.deviceStatus();
    }

    @Override
    public void setExpirationHandler(@Nullable ExpirationHandler handler) {
        owner.setExpirationHandler(handler);
    }

    @Override
    public Metrics metrics() {
        return owner.metrics();
    }

    @Override
    public ObserverHandle observePeers(Consumer<List<PeerStatus>> callback) {
        return peerObservers.add(callback);
    }

    /** Called by the service (on its thread) when a connection or an acknowledgement changed. */
    void peersChanged() {
        peerObservers.deliver(this::peers);
    }

    /** The instance is closing: no observer is called again. */
    void closeObservers() {
        peerObservers.closeAll();
    }

    private void changed() {
        SyncService s = service;
        if (s != null) s.subscriptionsChanged(current());
    }

    private final class Registered implements SyncSubscription {
        final Subscription subscription;
        private final Map<String, Object> arguments;
        private volatile boolean closed;

        Registered(Subscription subscription, Map<String, ?> arguments) {
            this.subscription = subscription;
            this.arguments = arguments == null
                    ? Map.of()
                    : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(arguments));
        }

        @Override
        public String query() {
            return subscription.query();
        }

        @Override
        public Map<String, Object> arguments() {
            return arguments;
        }

        @Override
        public boolean isClosed() {
            return closed;
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            subscriptions.remove(this);
            changed();
        }
    }
}
