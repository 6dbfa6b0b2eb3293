package io.starling.internal.sync;

import static io.starling.internal.sync.SyncSessionTest.obj;
import static io.starling.internal.sync.SyncSessionTest.sub;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.core.BinaryWriter;
import io.starling.internal.core.Value;
import io.starling.internal.sync.Message.Subscriptions;
import io.starling.internal.sync.SyncStoreView.DocRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The subscription to every collection ({@link Subscription#EVERY}, docs/SYNC-PROTOCOL.md, "Every collection"): every
 * collection the sender holds, including ones created later, system ones excepted; backfilled when added later;
 * filtered by the remote's read permission; and, with a peer that does not announce {@link SessionConfig#CAP_EVERY},
 * replaced by one subscription per collection the receiver holds.
 */
class SessionEveryCollectionTest {
    private static final SessionConfig OLD =
            SessionConfig.builder().everyCollection(false).build();

    private long hlc = 100;

    private long t() {
        return hlc++;
    }

    private static Map<String, String> contents(FakeStore s) {
        Map<String, String> m = new TreeMap<>();
        s.all().forEach((ref, state) -> m.put(ref.toString(), Hex.of(state)));
        return m;
    }

    private static List<Subscription> announced(Net.Conn c, boolean byA) {
        List<Subscription> subs = new ArrayList<>();
        Subscriptions last = null;
        for (Message m : (byA ? c.fromA : c.fromB).sent) if (m instanceof Subscriptions s) last = s;
        if (last != null) for (Subscriptions.Item i : last.subscriptions()) subs.add(i.subscription());
        return subs;
    }

    @Test
    void everyCollectionBringsEveryCollectionIncludingOnesCreatedLater() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        a.insert("cars", "c1", obj("k", 1), t());
        a.insert("boats", "b1", obj("k", 2), t());
        a.delete("boats", "b2", t()); // a tombstone travels too
        a.insert("system:info", "i1", obj("k", 3), t()); // a system collection: never covered
        b.subscriptions = List.of(Subscription.EVERY);
        Net net = new Net(1);
        Net.Conn c = net.connect(a, b);
        net.runUntilQuiet();

        assertThat(c.ra.remoteSubs).containsExactly(Subscription.EVERY);
        assertThat(b.holds("cars", "c1")).isTrue();
        assertThat(b.holds("boats", "b1")).isTrue();
        assertThat(b.all()).containsKey(new DocRef("boats", FakeStore.id("b2")));
        assertThat(b.collections()).containsExactly("boats", "cars");
        assertThat(b.checkpoint(1).covered()).containsExactly(Subscription.EVERY.key());

        // a collection nobody named, created after the subscription: sent by the live feed, no new SUBSCRIPTIONS
        int subscriptionsBefore = announced(c, false).size();
        long messagesBefore =
                c.fromB.sent.stream().filter(m -> m instanceof Subscriptions).count();
        a.insert("planes", "p1", obj("k", 4), t());
        net.localChange(a);
        net.runUntilQuiet();
        assertThat(b.holds("planes", "p1")).isTrue();
        assertThat(c.fromB.sent.stream().filter(m -> m instanceof Subscriptions).count())
                .isEqualTo(messagesBefore);
        assertThat(announced(c, false)).hasSize(subscriptionsBefore);
        assertThat(c.sa.isClosed()).isFalse();
        assertThat(c.sb.isClosed()).isFalse();
    }

    @Test
    void everyCollectionAddedLaterIsBackfilledOnceAndCoveredAfterAReconnect() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        for (int i = 0; i < 40; i++) a.insert(i % 2 == 0 ? "cars" : "boats", "d" + i, obj("k", i), t());
        b.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(2);
        Net.Conn c = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(b.holdsAny("boats")).isFalse();

        net.setSubscriptions(b, List.of(sub("cars", "*"), Subscription.EVERY));
        net.runUntilQuiet();
        assertThat(contents(b)).isEqualTo(contents(a));
        assertThat(b.checkpoint(1).covered()).contains(Subscription.EVERY.key());
        c.disconnect();

        // resumes from its checkpoint: EVERY is covered, nothing is sent again
        a.insert("trains", "t1", obj("k", 1), t());
        Net.Conn again = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(again.fromA.docs).isEqualTo(1);
        assertThat(contents(b)).isEqualTo(contents(a));
    }

    @Test
    void everyCollectionFromARemoteIsBoundedByItsReadPermission() {
        FakeStore hub = new FakeStore(1), alice = new FakeStore(2);
        hub.insert("tasks", "a1", obj("owner", "alice"), t());
        hub.insert("tasks", "b1", obj("owner", "bob"), t());
        hub.insert("notes", "n1", obj("shared", true), t());
        hub.insert("notes", "n2", obj("shared", false), t());
        hub.insert("other", "o1", obj("owner", "alice"), t());
        alice.subscriptions = List.of(Subscription.EVERY);
        Net net = new Net(3);
        Net.Conn c = net.connect(hub, alice, SessionPermissionsTest.user("alice"), Principal.UNRESTRICTED);
        net.runUntilQuiet();
        assertThat(alice.holds("tasks", "a1")).isTrue();
        assertThat(alice.holds("notes", "n1")).isTrue();
        assertThat(alice.holds("tasks", "b1")).as("another user's task").isFalse();
        assertThat(alice.holds("notes", "n2")).as("a note not shared").isFalse();
        assertThat(alice.holdsAny("other"))
                .as("a collection outside the read permission")
                .isFalse();
        assertThat(c.sa.withheld()).isEqualTo(3);

        // a collection created later is held to the permission as well
        hub.insert("more", "m1", obj("owner", "alice"), t());
        hub.insert("tasks", "a2", obj("owner", "alice"), t());
        net.localChange(hub);
        net.runUntilQuiet();
        assertThat(alice.holds("tasks", "a2")).isTrue();
        assertThat(alice.holdsAny("more")).isFalse();
    }

    @Test
    void aPeerWithoutTheCapabilityIsAskedForEachCollectionHeldAndNewOnesAfterATick() {
        FakeStore old = new FakeStore(1), server = new FakeStore(2);
        old.insert("cars", "c1", obj("k", 1), t());
        old.insert("boats", "b1", obj("k", 2), t());
        server.insert("cars", "c0", obj("k", 0), t());
        server.subscriptions = List.of(Subscription.EVERY);
        Net net = new Net(4);
        Net.Conn c = net.connect(old, server, OLD, SessionConfig.defaults(), false);
        net.runUntilQuiet();

        assertThat(c.sa.remoteCapabilities() & SessionConfig.CAP_EVERY).isNotZero();
        assertThat(c.sb.remoteCapabilities() & SessionConfig.CAP_EVERY).isZero();
        assertThat(announced(c, false)).containsExactly(Subscription.wholeCollection("cars"));
        assertThat(server.holds("cars", "c1")).isTrue();
        assertThat(server.holdsAny("boats"))
                .as("a collection the server does not hold yet")
                .isFalse();

        // the server comes to hold a new collection: after the next check it asks the old peer for it too
        server.insert("boats", "b0", obj("k", 0), t());
        net.localChange(server);
        net.runUntilQuiet();
        net.tick(Receiver.COLLECTION_CHECK_MILLIS);
        net.runUntilQuiet();
        assertThat(announced(c, false))
                .containsExactlyInAnyOrder(Subscription.wholeCollection("cars"), Subscription.wholeCollection("boats"));
        assertThat(server.holds("boats", "b1")).isTrue();
        assertThat(c.sa.isClosed()).isFalse();
        assertThat(c.sb.isClosed()).isFalse();
    }

    @Test
    void oldAndNewPeersInteroperateInBothDirections() {
        FakeStore old = new FakeStore(1), fresh = new FakeStore(2);
        old.insert("cars", "c1", obj("k", 1), t());
        fresh.insert("boats", "b1", obj("k", 2), t());
        old.subscriptions = List.of(sub("boats", "*"));
        fresh.subscriptions = List.of(Subscription.EVERY, sub("cars", "*"));
        Net net = new Net(5);
        Net.Conn c = net.connect(old, fresh, OLD, SessionConfig.defaults(), false);
        net.runUntilQuiet();
        assertThat(old.holds("boats", "b1")).isTrue();
        assertThat(fresh.holds("cars", "c1")).isTrue();
        assertThat(announced(c, false)).noneMatch(Subscription::everyCollection);
        assertThat(c.sa.isClosed()).isFalse();
    }

    @Test
    void aPeerThatDoesNotReadEveryCollectionRefusesItAsMalformed() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        Net net = new Net(6);
        Net.Conn c = net.connect(a, b, OLD, SessionConfig.defaults(), false);
        net.runUntilQuiet();
        c.send(
                false,
                List.of(new Subscriptions(
                        99, 0, 0, List.of(new Subscriptions.Item(Subscription.EVERY, false)), List.of())));
        net.runUntilQuiet();
        assertThat(c.sa.closeReason()).isEqualTo(SyncSession.MALFORMED);
    }

    @Test
    void anEmptyCollectionNameIsOnlyEveryCollectionOnTheWire() {
        byte[] every = WireCodec.encode(
                new Subscriptions(1, 0, 0, List.of(new Subscriptions.Item(Subscription.EVERY, false)), List.of()));
        assertThat(WireCodec.decode(every))
                .isEqualTo(new Subscriptions(
                        1, 0, 0, List.of(new Subscriptions.Item(Subscription.EVERY, false)), List.of()));

        // the same empty name with another query, or with arguments: malformed
        Subscription forged = Subscription.of("", "SELECT * FROM x", Value.Obj.EMPTY);
        assertThatThrownBy(() -> WireCodec.decode(WireCodec.encode(
                        new Subscriptions(1, 0, 0, List.of(new Subscriptions.Item(forged, false)), List.of()))))
                .isInstanceOf(WireException.class)
                .hasMessageContaining("empty collection name");
        Subscription withArgs = Subscription.of("", Subscription.EVERY_QUERY, obj("x", 1));
        assertThatThrownBy(() -> WireCodec.decode(WireCodec.encode(
                        new Subscriptions(1, 0, 0, List.of(new Subscriptions.Item(withArgs, false)), List.of()))))
                .isInstanceOf(WireException.class);
        // EVERY's key with another text: malformed too (the key must be that of the text)
        Subscription wrongKey = new Subscription(
                SubscriptionKey.of("SELECT * FROM cars", Value.Obj.EMPTY),
                "",
                Subscription.EVERY_QUERY,
                Value.Obj.EMPTY);
        assertThatThrownBy(() -> WireCodec.decode(WireCodec.encode(
                        new Subscriptions(1, 0, 0, List.of(new Subscriptions.Item(wrongKey, false)), List.of()))))
                .isInstanceOf(WireException.class);
        // a held collection is still never empty
        BinaryWriter w = new BinaryWriter();
        w.writeByte(2)
                .writeVarLong(1)
                .writeFixedLong(0)
                .writeVarLong(0)
                .writeVarInt(0)
                .writeVarInt(1)
                .writeString("");
        assertThatThrownBy(() -> WireCodec.decode(w.toByteArray())).isInstanceOf(WireException.class);
    }

    @Test
    void wholeCollectionQuotesTheName() {
        assertThat(Subscription.wholeCollection("cars").query()).isEqualTo("SELECT * FROM `cars`");
        assertThat(Subscription.wholeCollection("a`b").query()).isEqualTo("SELECT * FROM `a``b`");
        assertThat(Subscription.coveredByEvery("system:indexes")).isFalse();
        assertThat(Subscription.coveredByEvery("systems")).isTrue();
        assertThatThrownBy(() -> Subscription.wholeCollection("")).isInstanceOf(IllegalArgumentException.class);
    }
}
