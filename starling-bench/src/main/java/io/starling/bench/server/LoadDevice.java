package io.starling.bench.server;

import io.starling.internal.core.HybridLogicalClock;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.index.IndexKeyCodec;
import io.starling.internal.net.MessageChannel;
import io.starling.internal.sync.Message;
import io.starling.internal.sync.SessionConfig;
import io.starling.internal.sync.SessionListener;
import io.starling.internal.sync.Subscription;
import io.starling.internal.sync.SyncSession;
import io.starling.internal.sync.SyncStoreView.DocRef;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One simulated device: a small local store ({@link DeviceStore}) and, while connected, one real {@link SyncSession}
 * on a real connection of the fleet's network stack — the sans-I/O session the engine runs, driven the way the
 * engine's sync service drives it (HELLO, our subscriptions, then whatever arrives, local changes and ticks). Its
 * subscriptions: every document of {@code shared} (what every device sees) and the documents of {@code personal}
 * whose {@code owner} is this device's name (a per-device filter). Thread-safe: every call into the session or the
 * store holds the device's lock (the transport calls in from its event loops, the harness from its own threads).
 */
final class LoadDevice {
    static final String SHARED = "shared", PERSONAL = "personal";

    final int index;
    final String name;
    final String transport; // "tcp" or "websocket": which listener the fleet dials for this device
    final int node; // which server node it connects to (0 or 1)
    private final DeviceStore store;
    private final List<Subscription> subscriptions;
    private final SessionConfig config = SessionConfig.defaults();
    private final FleetEvents events;
    private int counter;

    // guarded by this
    private @Nullable Link link;

    /** What a device reports to its fleet. */
    interface FleetEvents {
        void established(LoadDevice device);

        /** The session ended; {@code establishedBefore} says whether it had been established. */
        void ended(LoadDevice device, String reason, boolean establishedBefore);

        /** The device received a document it did not hold (from the server). */
        void received(LoadDevice device, DocRef doc);
    }

    LoadDevice(int index, String transport, int node, long peerId, String appId, FleetEvents events) {
        this.index = index;
        this.name = "dev-" + index;
        this.transport = transport;
        this.node = node;
        this.events = events;
        this.store = new DeviceStore(peerId, peerId ^ 0x5DEECE66DL, appId, doc -> events.received(this, doc));
        this.subscriptions = List.of(
                Subscription.of(SHARED, "SELECT * FROM " + SHARED, Value.Obj.EMPTY),
                Subscription.of(
                        PERSONAL,
                        "SELECT * FROM " + PERSONAL + " WHERE owner = :owner",
                        new Value.Obj(Map.of("owner", Value.of(name)))));
    }

    /** The encoded id of a string {@code _id}, as the engine stores it. */
    static byte[] id(String id) {
        return IndexKeyCodec.encodeId(Value.of(id));
    }

    /** The string {@code _id} of an encoded id, or null when it is not a string. */
    static @Nullable String idOf(byte[] encoded) {
        return IndexKeyCodec.decodeId(encoded) instanceof Value.Str s ? s.value() : null;
    }

    /** Writes a document locally ({@code _id} and fields as given) and tells the session, if connected. */
    synchronized void write(String collection, String id, Map<String, Value> fields) {
        Map<String, Value> all = new LinkedHashMap<>(fields);
        all.put("_id", Value.of(id));
        long hlc = HybridLogicalClock.pack(System.currentTimeMillis(), counter++ & 0xffff);
        store.put(collection, id(id), DocumentState.encodeInserted(new Value.Obj(all), new Stamp(hlc, store.peerId())));
        Link l = link;
        if (l != null) l.feed(l.session.onLocalChange());
    }

    synchronized int documents() {
        return store.size();
    }

    synchronized boolean connected() {
        Link l = link;
        return l != null && l.established;
    }

    /** A new connection for this device: starts a session on it. */
    synchronized MessageChannel.Receiver attach(MessageChannel channel) {
        Link l = new Link(channel);
        link = l;
        l.feed(l.session.start());
        l.feed(l.session.setSubscriptions(subscriptions));
        l.feed(l.session.onTick(System.currentTimeMillis()));
        return l;
    }

    synchronized void tick(long nowMillis) {
        Link l = link;
        if (l != null) l.feed(l.session.onTick(nowMillis));
    }

    /** Closes the session, if any (the fleet is closing). */
    synchronized void close() {
        Link l = link;
        if (l != null) l.feed(l.session.close("the load harness is done"));
    }

    /** One connection and its session. */
    private final class Link implements MessageChannel.Receiver, SessionListener {
        final MessageChannel channel;
        final SyncSession session;
        boolean established;
        boolean gone;

        Link(MessageChannel channel) {
            this.channel = channel;
            this.session = new SyncSession(store, config, this);
        }

        @Override
        public void onMessage(byte[] message) {
            synchronized (LoadDevice.this) {
                if (!gone) feed(session.onFrame(message));
            }
        }

        @Override
        public void onClosed() {
            synchronized (LoadDevice.this) {
                shutdown("connection closed");
            }
        }

        void feed(List<Message> out) {
            if (gone) return;
            for (Message m : out) channel.send(session.encode(m));
            if (session.isClosed()) shutdown(String.valueOf(session.closeReason()));
        }

        void shutdown(String reason) {
            if (gone) return;
            gone = true;
            if (link == this) link = null;
            channel.sessionEnded(reason);
            channel.close();
            events.ended(LoadDevice.this, reason, established);
        }

        @Override
        public void established(long remotePeerId) {
            established = true;
            channel.established(remotePeerId);
            events.established(LoadDevice.this);
        }
    }
}
