package io.starling.internal.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.core.Value;
import io.starling.internal.sync.Message.Ack;
import io.starling.internal.sync.Message.Batch;
import io.starling.internal.sync.Message.Close;
import io.starling.internal.sync.Message.DocEntry;
import io.starling.internal.sync.Message.Docs;
import io.starling.internal.sync.Message.Entry;
import io.starling.internal.sync.Message.Hello;
import io.starling.internal.sync.Message.PartEntry;
import io.starling.internal.sync.Message.Request;
import io.starling.internal.sync.Message.Subscriptions;
import io.starling.internal.sync.Message.Zombies;
import io.starling.internal.sync.SyncStoreView.Doc;
import io.starling.internal.sync.SyncStoreView.DocRef;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Scenarios over two or three sessions wired back to back by {@link Net}: what each rule of docs/SYNC-PROTOCOL.md
 * makes happen, counted in entries, applies and messages.
 */
class SyncSessionTest {
    private long hlc = 100;

    private long t() {
        return hlc++;
    }

    /** {@code sub("cars", "*")} or {@code sub("cars", "k = 1")}: a subscription in the fake store's query language. */
    static Subscription sub(String collection, String where) {
        String q = "SELECT * FROM " + collection + (where.equals("*") ? "" : " WHERE " + where);
        return Subscription.of(collection, q, Value.Obj.EMPTY);
    }

    static Value.Obj obj(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return (Value.Obj) Value.fromJava(m);
    }

    private void fill(FakeStore s, String c, int n) {
        for (int i = 0; i < n; i++)
            s.insert(c, String.format("%s%04d", c, i), obj("k", i % 3, "name", "doc " + i), t());
    }

    private static void assertSame(FakeStore a, FakeStore b, String collection) {
        Map<DocRef, byte[]> x = new LinkedHashMap<>(), y = new LinkedHashMap<>();
        a.all().forEach((k, v) -> {
            if (k.collection().equals(collection)) x.put(k, v);
        });
        b.all().forEach((k, v) -> {
            if (k.collection().equals(collection)) y.put(k, v);
        });
        assertThat(y.keySet()).isEqualTo(x.keySet());
        x.forEach((k, v) -> assertThat(y.get(k)).as("%s", k).isEqualTo(v));
    }

    private static List<Entry> entries(List<Message> sent) {
        List<Entry> l = new ArrayList<>();
        for (Message m : sent) {
            if (m instanceof Batch b) l.addAll(b.entries());
            if (m instanceof Docs d) l.addAll(d.entries());
        }
        return l;
    }

    private static <T> List<T> only(List<Message> sent, Class<T> type) {
        List<T> l = new ArrayList<>();
        for (Message m : sent) {
            if (type.isInstance(m)) l.add(type.cast(m));
        }
        return l;
    }

    // ---- the basics -----------------------------------------------------------------------------------

    @Test
    void initialSyncSendsWhatTheReceiverSubscribesTo() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        fill(a, "cars", 300);
        fill(a, "boats", 50);
        b.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(1);
        Net.Conn c = net.connect(a, b);
        net.runUntilQuiet();

        assertSame(a, b, "cars");
        assertThat(b.holdsAny("boats")).isFalse();
        assertThat(c.fromA.docs).isEqualTo(300);
        assertThat(c.ra.established).isEqualTo(2);
        assertThat(c.rb.established).isEqualTo(1);
        assertThat(c.rb.remoteSubs).isEmpty();
        assertThat(c.ra.remoteSubs).containsExactly(sub("cars", "*"));
        // the session started from 0: the subscription is covered once the feed reached the end, no backfill
        assertThat(b.checkpoint(1).sequence()).isEqualTo(a.lastSequence());
        assertThat(b.checkpoint(1).covered()).containsExactly(sub("cars", "*").key());
        assertThat(c.sa.ackedSequence()).isEqualTo(a.lastSequence());
        assertThat(c.ra.acked).isEqualTo(a.lastSequence());
        assertThat(c.sa.isClosed()).isFalse();
        // wire bytes stay close to the payload
        long payload = 0;
        for (byte[] s : a.all().values()) payload += s.length;
        assertThat(c.fromA.bytes).isLessThan((long) (payload * 1.3) + 2000);
    }

    @Test
    void incrementalChangesFollow() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        fill(a, "cars", 20);
        a.subscriptions = List.of(sub("cars", "*"));
        b.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(2);
        Net.Conn c = net.connect(a, b);
        net.runUntilQuiet();
        int before = c.fromA.docs;

        a.update("cars", "cars0003", "name", Value.of("changed"), t());
        a.insert("cars", "new", obj("k", 1), t());
        net.localChange(a);
        net.runUntilQuiet();
        assertThat(c.fromA.docs - before).isEqualTo(2);
        assertThat(b.field("cars", "cars0003", "name")).isEqualTo(Value.of("changed"));
        assertSame(a, b, "cars");

        b.update("cars", "new", "k", Value.of(9), t()); // and the other way
        net.localChange(b);
        net.runUntilQuiet();
        assertThat(a.field("cars", "new", "k")).isEqualTo(Value.of(9));
        assertSame(a, b, "cars");
    }

    @Test
    void aReconnectCostsOnlyTheChanges() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        fill(a, "cars", 2000);
        a.subscriptions = List.of(sub("cars", "*"));
        b.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(3);
        Net.Conn first = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(first.fromB.docs)
                .as("echo suppression: B sends nothing back")
                .isZero();
        first.disconnect();

        for (int i = 0; i < 10; i++) a.update("cars", String.format("cars%04d", i * 7), "name", Value.of("v2"), t());
        Net.Conn second = net.connect(a, b);
        net.runUntilQuiet();

        assertThat(second.fromA.docs).isEqualTo(10);
        assertThat(second.fromB.docs).isZero();
        assertThat(second.fromA.bytes + second.fromB.bytes)
                .as("bytes exchanged")
                .isLessThan(4000);
        assertSame(a, b, "cars");
    }

    @Test
    void deletesPropagateAsTombstones() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        fill(a, "cars", 5);
        b.subscriptions = List.of(sub("cars", "k = 1"));
        Net net = new Net(4);
        net.connect(a, b);
        net.runUntilQuiet();
        assertThat(b.holds("cars", "cars0001")).isTrue();

        a.delete("cars", "cars0001", t());
        a.delete("cars", "cars0002", t()); // never matched: its tombstone is sent anyway (subscribed collection)
        net.localChange(a);
        net.runUntilQuiet();
        assertThat(b.state("cars", "cars0001").isTombstone()).isTrue();
        assertThat(b.state("cars", "cars0002").isTombstone()).isTrue();
        assertThat(b.bytes(FakeStore.ref("cars", "cars0001"))).isEqualTo(a.bytes(FakeStore.ref("cars", "cars0001")));
    }

    @Test
    void threeStoresRelay() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2), c = new FakeStore(3);
        fill(a, "cars", 30);
        b.subscriptions = List.of(sub("cars", "*"));
        c.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(5);
        net.connect(a, b);
        Net.Conn bc = net.connect(b, c);
        net.runUntilQuiet();
        assertSame(a, c, "cars");

        a.update("cars", "cars0007", "name", Value.of("relayed"), t());
        net.localChange(a);
        net.runUntilQuiet();
        assertThat(c.field("cars", "cars0007", "name")).isEqualTo(Value.of("relayed"));
        assertThat(bc.from(c).docs).as("C sends nothing back to B").isZero();
    }

    @Test
    void echoSuppressionOnBothSides() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        fill(a, "cars", 100);
        fill(b, "boats", 100);
        a.subscriptions = List.of(sub("cars", "*"), sub("boats", "*"));
        b.subscriptions = List.of(sub("cars", "*"), sub("boats", "*"));
        Net net = new Net(6);
        Net.Conn c = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(c.fromA.docs).isEqualTo(100);
        assertThat(c.fromB.docs).isEqualTo(100);
        assertSame(a, b, "cars");
        assertSame(a, b, "boats");
    }

    // ---- subscriptions and backfill -------------------------------------------------------------------

    @Test
    void aSubscriptionAddedMidSessionIsBackfilled() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        fill(a, "cars", 40);
        fill(a, "boats", 40);
        b.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(7);
        Net.Conn c = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(b.holdsAny("boats")).isFalse();

        net.setSubscriptions(b, List.of(sub("cars", "*"), sub("boats", "k = 2")));
        net.runUntilQuiet();
        int boats = 0;
        for (int i = 0; i < 40; i++) boats += i % 3 == 2 ? 1 : 0;
        assertThat(entries(c.fromA.sent).stream()
                        .filter(e -> e.collection().equals("boats") && e instanceof DocEntry)
                        .count())
                .isEqualTo(boats);
        // boats covered while B held nothing of it when the session began: rows may have passed unhinted
        assertThat(b.checkpoint(1).covered())
                .containsExactlyInAnyOrder(
                        sub("cars", "*").key(), sub("boats", "k = 2").key().unhinted());
        for (int i = 0; i < 40; i++)
            assertThat(b.holds("boats", String.format("boats%04d", i))).isEqualTo(i % 3 == 2);

        // B holds boats from the start of the next session: A passes its hints of boats once (no DOC), then nothing
        c.disconnect();
        Net.Conn again = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(again.fromA.docs).isZero();
        assertThat(again.fromA.hints).isEqualTo(40 - boats);
        assertThat(b.checkpoint(1).covered())
                .containsExactlyInAnyOrder(
                        sub("cars", "*").key(), sub("boats", "k = 2").key());
        again.disconnect();
        Net.Conn third = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(third.fromA.entries()).isZero();
    }

    /**
     * A reconnect sends the documents changed since the checkpoint as deltas; one the receiver evicted meanwhile is
     * refused and requested whole; a receiver without the capability gets whole states. All converge.
     */
    @Test
    void aReconnectSendsChangedFieldsAsDeltasAndOldPeersWholeStates() {
        for (boolean old : new boolean[] {false, true}) {
            FakeStore a = new FakeStore(1), b = new FakeStore(2);
            for (int i = 0; i < 20; i++)
                a.insert("cars", String.format("cars%04d", i), obj("k", i, "pad", "p".repeat(200)), t());
            b.subscriptions = List.of(sub("cars", "*"));
            Net net = new Net(11);
            SessionConfig cb = old ? SessionConfig.builder().deltas(false).build() : SessionConfig.defaults();
            Net.Conn first = net.connect(a, b, SessionConfig.defaults(), cb, false);
            net.runUntilQuiet();
            first.disconnect();
            for (int i : new int[] {3, 7, 9}) a.update("cars", String.format("cars%04d", i), "k", Value.of(-i), t());
            b.evict(List.of(new DocRef("cars", FakeStore.id("cars0009"))));
            Net.Conn again = net.connect(a, b, SessionConfig.defaults(), cb, false);
            net.runUntilQuiet();
            assertSame(a, b, "cars");
            assertThat(entries(again.fromA.sent))
                    .as("deltas sent, old receiver: " + old)
                    .filteredOn(e -> e instanceof Message.DeltaEntry)
                    .hasSize(old ? 0 : 3);
            assertThat(again.sa.deltasSent()).isEqualTo(old ? 0 : 3);
            assertThat(again.sb.deltasApplied()).isEqualTo(old ? 0 : 2);
            assertThat(again.sb.deltasRefused()).as("the evicted document").isEqualTo(old ? 0 : 1);
        }
    }

    @Test
    void aSubscriptionAddedWhileDisconnectedIsBackfilledAfterTheReconnect() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        fill(a, "cars", 40);
        fill(a, "boats", 40);
        b.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(8);
        net.connect(a, b).disconnect();
        net.runUntilQuiet();
        Net.Conn c1 = net.connect(a, b);
        net.runUntilQuiet();
        c1.disconnect();

        a.update("cars", "cars0001", "name", Value.of("x"), t());
        b.subscriptions = List.of(sub("cars", "*"), sub("boats", "*"));
        Net.Conn c2 = net.connect(a, b);
        net.runUntilQuiet();
        assertSame(a, b, "boats");
        assertThat(c2.fromA.docs).isEqualTo(41); // the change, and the backfill
        assertThat(b.checkpoint(1).covered()).hasSize(2);
    }

    @Test
    void aBackfillOfANewCollectionBringsTombstonesToo() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        fill(a, "cars", 5);
        b.insert("boats", "old", obj("k", 1), 1); // B holds a boat that A deleted meanwhile
        a.delete("boats", "old", t());
        fill(a, "boats", 3);
        b.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(9);
        net.connect(a, b);
        net.runUntilQuiet();
        assertThat(b.state("boats", "old").exists()).isTrue();

        net.setSubscriptions(b, List.of(sub("cars", "*"), sub("boats", "k = 0")));
        net.runUntilQuiet();
        assertThat(b.state("boats", "old").isTombstone()).isTrue();
        assertThat(b.holds("boats", "boats0000")).isTrue();
        assertThat(b.holds("boats", "boats0001")).isFalse(); // does not match, and B held no boat of that id
    }

    @Test
    void aSecondSubscriptionOnACoveredCollectionScansOnlyItsMatches() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        fill(a, "cars", 60);
        a.delete("cars", "cars0000", t());
        b.subscriptions = List.of(sub("cars", "k = 1"));
        Net net = new Net(10);
        Net.Conn c = net.connect(a, b);
        net.runUntilQuiet();
        int tombstonesBefore = countTombstoneDocs(c.fromA.sent);
        int docsBefore = c.fromA.docs;

        net.setSubscriptions(b, List.of(sub("cars", "k = 1"), sub("cars", "k = 2")));
        net.runUntilQuiet();
        assertThat(c.fromA.docs - docsBefore).isEqualTo(20); // the k = 2 documents, nothing else
        assertThat(countTombstoneDocs(c.fromA.sent)).isEqualTo(tombstonesBefore);
        assertThat(b.checkpoint(1).covered()).hasSize(2);
    }

    private int countTombstoneDocs(List<Message> sent) {
        int n = 0;
        for (Entry e : entries(sent)) {
            if (e instanceof DocEntry d
                    && !io.starling.internal.crdt.DocumentState.decode(d.state())
                            .exists()) n++;
        }
        return n;
    }

    @Test
    void aDoneOfAnOlderRevisionDoesNotCoverASubscriptionAddedAgain() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        Subscription s = sub("cars", "*");
        SyncSession sb = new SyncSession(b, SessionConfig.defaults(), SessionListener.NONE);
        sb.start();
        sb.onMessage(new Hello(1, "app", 1, a.incarnation, 0, 1 << 20, 0));
        // revision 1: nothing; 2: s; 3: nothing; 4: s again
        sb.setSubscriptions(List.of(s));
        sb.setSubscriptions(List.of());
        sb.setSubscriptions(List.of(s));
        sb.onMessage(new Batch(1, 2, 0, 0, false, List.of(), List.of(s.key()))); // a backfill done under revision 2
        assertThat(b.checkpoint(1) == null ? Set.of() : b.checkpoint(1).covered())
                .doesNotContain(s.key());
        sb.onMessage(new Batch(2, 4, 0, 0, false, List.of(), List.of(s.key())));
        assertThat(b.checkpoint(1).covered()).containsExactly(s.key());
        sb.setSubscriptions(List.of()); // removed: no longer covered at the next batch
        sb.onMessage(new Batch(3, 5, 0, 1, false, List.of(), List.of()));
        assertThat(b.checkpoint(1).covered()).isEmpty();
        assertThat(sb.isClosed()).isFalse();
    }

    // ---- hints ----------------------------------------------------------------------------------------

    @Test
    void aDocumentThatLeavesTheSubscriptionIsHintedAndRequested() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        fill(a, "cars", 9);
        b.subscriptions = List.of(sub("cars", "k = 1"));
        Net net = new Net(11);
        Net.Conn c = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(b.field("cars", "cars0004", "k")).isEqualTo(Value.of(1));
        // the 6 others went in the first batch, before B held cars: hinted once it did (B holds none of them)
        assertThat(c.fromA.hints).isEqualTo(6);
        assertThat(only(c.fromB.sent, Request.class)).isEmpty();

        a.update("cars", "cars0004", "k", Value.of(2), t()); // leaves B's subscription
        a.update("cars", "cars0005", "name", Value.of("x"), t()); // never matched: B does not hold it
        net.localChange(a);
        net.runUntilQuiet();

        assertThat(c.fromA.hints).isEqualTo(6 + 2);
        List<Request> requests = only(c.fromB.sent, Request.class);
        assertThat(requests).hasSize(1);
        assertThat(requests.get(0).docs()).containsExactly(FakeStore.ref("cars", "cars0004"));
        assertThat(b.field("cars", "cars0004", "k")).isEqualTo(Value.of(2));
        assertThat(b.bytes(FakeStore.ref("cars", "cars0004"))).isEqualTo(a.bytes(FakeStore.ref("cars", "cars0004")));
        assertThat(b.holds("cars", "cars0005")).isFalse();
    }

    @Test
    void noHintsForACollectionTheReceiverHoldsNothingIn() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        fill(a, "cars", 30);
        b.subscriptions = List.of(sub("cars", "k = 7"));
        Net net = new Net(12);
        Net.Conn c = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(c.fromA.entries()).isZero();

        b.insert("cars", "mine", obj("k", 7), t()); // now B holds cars: it tells A, and hints begin
        net.localChange(b);
        net.runUntilQuiet();
        assertThat(only(c.fromB.sent, Subscriptions.class)).hasSize(2);
        assertThat(only(c.fromB.sent, Subscriptions.class).get(1).held()).containsExactly("cars");
        // the 30 rows A passed while B held nothing there are hinted once (B might hold a state of one of them now)
        assertThat(c.fromA.hints).isEqualTo(30);
        assertThat(only(c.fromB.sent, Request.class)).as("B holds none of them").isEmpty();
        a.update("cars", "cars0001", "name", Value.of("y"), t());
        net.localChange(a);
        net.runUntilQuiet();
        assertThat(c.fromA.hints).isEqualTo(31);
    }

    /**
     * Regression (docs/SIMULATOR.md, bug 8; simulator seeds 27000007487, star of 6, and 29000003851, line of 4): both
     * subscribe to cars WHERE k = 1 and hold nothing there; both write the same document at once, matching neither
     * subscription. Each live feed passes its row before it learns that the other now holds cars (no DOC, no HINT):
     * unless the rows passed that way are hinted once the other side holds the collection, neither ever sends its
     * state.
     */
    @Test
    void concurrentFirstDocumentsOfACollectionMatchingNeitherSideAreHintedOnceTheOtherSideHoldsIt() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        a.subscriptions = List.of(sub("cars", "k = 1"));
        b.subscriptions = List.of(sub("cars", "k = 1"));
        Net net = new Net(15);
        Net.Conn c = net.connect(a, b);
        net.runUntilQuiet();

        long at = t();
        a.insert("cars", "x", obj("k", 2, "by", "a"), at);
        b.insert("cars", "x", obj("k", 3, "by", "b"), at);
        net.localChange(a);
        net.localChange(b);
        net.runUntilQuiet();

        assertThat(a.bytes(FakeStore.ref("cars", "x"))).isEqualTo(b.bytes(FakeStore.ref("cars", "x")));
        assertThat(a.field("cars", "x", "by")).isEqualTo(b.field("cars", "x", "by"));
        assertThat(c.fromA.hints + c.fromB.hints).isPositive();
        assertThat(c.sa.sender().rehinted() + c.sb.sender().rehinted()).isPositive();
        assertThat(c.open()).isTrue();
    }

    /**
     * One way only: A holds x, subscribes to nothing, and passes x unhinted (B holds nothing in cars); then B writes
     * its own state of x, matching nothing B subscribes to. B's sender sends nothing to A (A subscribes to nothing),
     * so only A's hint, once it knows B holds cars, brings B A's fields.
     */
    @Test
    void aRowPassedUnhintedIsHintedOnceTheReceiverHoldsTheCollection() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        a.insert("cars", "x", obj("k", 2, "by", "a", "color", "red"), t());
        b.subscriptions = List.of(sub("cars", "k = 1"));
        Net net = new Net(16);
        Net.Conn c = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(c.fromA.entries()).isZero();

        b.insert("cars", "x", obj("k", 3, "by", "b"), t()); // newer: B's fields win, A's color is kept
        net.localChange(b);
        net.runUntilQuiet();

        assertThat(b.field("cars", "x", "color")).isEqualTo(Value.of("red"));
        assertThat(b.field("cars", "x", "by")).isEqualTo(Value.of("b"));
        assertThat(only(c.fromB.sent, Request.class)).hasSize(1);
        assertThat(c.sa.sender().rehinted()).isEqualTo(1);
    }

    /**
     * The memory of rows passed unhinted lasts one session; the receiver's checkpoint carries the rest. A's row matches
     * nothing B subscribes to and B holds nothing of the collection: it goes neither as DOC nor as HINT, and B's
     * checkpoint passes it. The session ends; B writes its own state of the document while apart. A does not subscribe
     * to the collection, so B's state never flows to A and nothing else would bring A's fields to B: B's checkpoint
     * recorded the coverage as "collection not held", which the next session, B holding the collection, takes as none.
     */
    @Test
    void aRowPassedUnhintedIsHintedInTheNextSessionWhenTheReceiverHoldsTheCollectionByThen() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        a.insert("cars", "x", obj("k", 2, "by", "a", "color", "red"), t());
        b.subscriptions = List.of(sub("cars", "k = 1")); // A subscribes to nothing
        Net net = new Net(18);
        Net.Conn first = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(first.fromA.entries()).isZero();
        assertThat(b.checkpoint(1)).isNotNull();
        assertThat(b.checkpoint(1).sequence())
                .as("the checkpoint passed the row")
                .isEqualTo(a.lastSequence());
        first.disconnect();

        b.insert("cars", "x", obj("k", 3, "by", "b"), t()); // newer: B's fields win, A's color is kept
        Net.Conn second = net.connect(a, b);
        net.runUntilQuiet();

        assertThat(b.field("cars", "x", "color")).isEqualTo(Value.of("red"));
        assertThat(b.field("cars", "x", "by")).isEqualTo(Value.of("b"));
        assertThat(second.fromA.hints).isEqualTo(1);
        second.disconnect();

        Net.Conn third = net.connect(a, b); // covered again, held from the start: nothing is sent again
        net.runUntilQuiet();
        assertThat(third.fromA.entries()).isZero();
    }

    /**
     * The same when B comes to hold the collection during the first session and the session ends before A's hints of
     * the rows it passed went: the checkpoint stored then records the coverage as "collection not held" too.
     */
    @Test
    void aRowPassedUnhintedIsHintedInTheNextSessionWhenTheFirstEndedBeforeTheHintWent() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        a.insert("cars", "x", obj("k", 2, "by", "a", "color", "red"), t());
        b.subscriptions = List.of(sub("cars", "k = 1"));
        Net net = new Net(19);
        Net.Conn first = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(b.checkpoint(1).sequence()).isEqualTo(a.lastSequence());
        b.insert("cars", "x", obj("k", 3, "by", "b"), t());
        net.localChange(b); // B announces that it holds cars, but the connection breaks before A reads it
        first.disconnect();
        assertThat(first.fromA.hints).isZero();
        assertThat(b.field("cars", "x", "color")).isNotEqualTo(Value.of("red"));

        net.connect(a, b);
        net.runUntilQuiet();

        assertThat(b.field("cars", "x", "color")).isEqualTo(Value.of("red"));
        assertThat(b.field("cars", "x", "by")).isEqualTo(Value.of("b"));
    }

    /**
     * Checkpoints stored before coverage was recorded by whether the collection was held (every key a subscription's
     * own) are read as before: covered, whatever is held now. A coverage recorded under the "not held" key counts as
     * covered while the collection is still not held; once it is, the sender passes hints alone (both sides announce
     * CAP_HINT_PASS) or, with a peer that predates it, backfills the subscription as a new one (hints and DOCs).
     */
    @Test
    void storedCoverageIsReadByWhetherTheCollectionWasHeldAndOldCheckpointsAsBefore() {
        Subscription k1 = sub("cars", "k = 1");
        SessionConfig old = SessionConfig.builder().hintPasses(false).build();
        for (int mode = 0; mode < 5; mode++) {
            // 0: an old checkpoint; 1: "not held", still not held; 2: held now; 3, 4: held now, A or B predates it
            FakeStore a = new FakeStore(1), b = new FakeStore(2);
            for (int i = 0; i < 5; i++) a.insert("cars", "c" + i, obj("k", 2, "n", i), t());
            a.insert("cars", "m", obj("k", 1), t()); // matches: B had it when the checkpoint was stored
            if (mode != 1) b.insert("cars", "m", obj("k", 1), t());
            b.subscriptions = List.of(k1);
            SubscriptionKey stored = mode == 0 ? k1.key() : k1.key().unhinted();
            b.apply(1, List.of(), new SyncStoreView.Checkpoint(a.incarnation, a.lastSequence(), Set.of(stored)));
            Net net = new Net(20);
            Net.Conn c = net.connect(
                    a,
                    b,
                    mode == 3 ? old : SessionConfig.defaults(),
                    mode == 4 ? old : SessionConfig.defaults(),
                    false);
            net.runUntilQuiet();
            int[][] expected = {{0, 0}, {0, 0}, {5, 0}, {5, 1}, {5, 1}}; // hints, docs
            assertThat(new int[] {c.fromA.hints, c.fromA.docs})
                    .as("mode " + mode)
                    .containsExactly(expected[mode]);
            assertThat(b.checkpoint(1).covered())
                    .as("mode " + mode)
                    .containsExactly(mode == 1 ? k1.key().unhinted() : k1.key());
        }
    }

    /**
     * A hint pass goes on to its end through the receiver's later SUBSCRIPTIONS of the session (here: B comes to hold
     * a second collection and says so while the pass is under way), and only its end makes the coverage whole again.
     */
    @Test
    void aHintPassGoesOnThroughALaterSubscriptionsAndEndsTheCoverageOwed() {
        Subscription k1 = sub("cars", "k = 1");
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        int n = 3000;
        for (int i = 0; i < n; i++) a.insert("cars", "c" + i, obj("k", 2, "n", i), t());
        b.insert("cars", "own", obj("k", 1), t());
        b.subscriptions = List.of(k1, sub("boats", "k = 1"));
        b.apply(
                1,
                List.of(),
                new SyncStoreView.Checkpoint(
                        a.incarnation, a.lastSequence(), Set.of(k1.key().unhinted())));
        Net net = new Net(21);
        SessionConfig small = SessionConfig.builder()
                .maxFrameBytes(64 << 10)
                .batchBytes(8 << 10)
                .window(2)
                .build();
        Net.Conn c = net.connect(a, b, small, false);
        while (c.fromA.hints == 0) assertThat(net.step()).isTrue();
        b.insert("boats", "y", obj("k", 1), t());
        net.localChange(b); // a second SUBSCRIPTIONS, boats now held
        net.runUntilQuiet();
        assertThat(only(c.fromB.sent, Subscriptions.class)).hasSize(2);
        assertThat(c.fromA.hints).isEqualTo(n);
        assertThat(b.checkpoint(1).covered())
                .contains(k1.key())
                .doesNotContain(k1.key().unhinted());
        assertThat(c.fromA.batches).as("the pass took many batches").isGreaterThan(5);
    }

    /**
     * What the hints again cost is bounded: when our first SUBSCRIPTIONS told the remote that we hold the collection,
     * its sender hinted its rows of it all along; its states reach us and ours follow (a hint answered by a request, a
     * merge that changes our row, or a push-back), so the rows we passed are not hinted again.
     */
    @Test
    void rowsAreNotHintedAgainWhenTheRemoteHintedItsOwnFromTheStart() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        for (int i = 0; i < 20; i++) a.insert("cars", "c" + i, obj("k", 2, "by", "a", "n", i), t());
        a.subscriptions = List.of(sub("cars", "k = 1")); // A holds cars from the start, and says so
        b.subscriptions = List.of(sub("cars", "k = 1"));
        Net net = new Net(17);
        Net.Conn c = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(c.fromA.entries()).isZero();

        b.insert("cars", "c3", obj("k", 3, "by", "b"), t()); // B's own state of one of A's documents
        net.localChange(b);
        net.runUntilQuiet();

        assertThat(c.sa.sender().rehinted()).isZero();
        assertThat(c.fromA.hints).as("only A's merged c3").isEqualTo(1);
        assertThat(a.bytes(FakeStore.ref("cars", "c3"))).isEqualTo(b.bytes(FakeStore.ref("cars", "c3")));
        assertThat(b.field("cars", "c3", "n")).isEqualTo(Value.of(3));
    }

    @Test
    void manyHintsAreRequestedInBoundedChunksWithAcknowledgementsDeferred() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        int n = Receiver.MAX_PENDING_HINTS + 1500;
        for (int i = 0; i < n; i++) a.insert("cars", "c" + i, obj("k", 1), t());
        b.subscriptions = List.of(sub("cars", "k = 1"));
        Net net = new Net(13);
        Net.Conn c = net.connect(a, b);
        net.runUntilQuiet();
        var txn = a.txn();
        for (int i = 0; i < n; i++) txn.update("cars", "c" + i, "k", Value.of(2), t());
        net.localChange(a);
        net.runUntilQuiet();

        List<Request> requests = only(c.fromB.sent, Request.class);
        assertThat(requests)
                .allSatisfy(r -> assertThat(r.docs().size()).isLessThanOrEqualTo(Receiver.MAX_REQUEST_DOCS));
        assertThat(requests.stream().mapToInt(r -> r.docs().size()).sum()).isEqualTo(n);
        for (int i = 0; i < n; i += 97)
            assertThat(b.field("cars", "c" + i, "k")).isEqualTo(Value.of(2));
        assertThat(c.sa.isClosed()).isFalse();
        assertThat(c.sa.ackedSequence()).isEqualTo(a.lastSequence());
    }

    @Test
    void aStaleCopyFromAThirdPeerIsCorrectedByPushBack() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2), c = new FakeStore(3);
        a.insert("cars", "x", obj("k", 1), t());
        c.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(14);
        Net.Conn ac = net.connect(a, c);
        net.runUntilQuiet();
        ac.disconnect(); // C keeps k = 1
        a.update("cars", "x", "k", Value.of(2), t());

        a.subscriptions = List.of(sub("cars", "*"));
        b.subscriptions = List.of(sub("cars", "k = 1"));
        Net.Conn ab = net.connect(a, b); // A's x no longer matches, and B holds nothing yet: nothing sent
        net.runUntilQuiet();
        assertThat(b.holds("cars", "x")).isFalse();
        net.connect(b, c); // B gets the stale copy from C
        net.runUntilQuiet();
        // B's copy reaches A, A finds it older than its own and pushes its state back, whole although it does not
        // match B's subscription (B holds the document)
        assertThat(b.bytes(FakeStore.ref("cars", "x"))).isEqualTo(a.bytes(FakeStore.ref("cars", "x")));
        assertThat(b.field("cars", "x", "k")).isEqualTo(Value.of(2));
        assertThat(ab.fromA.docs).isEqualTo(1);
        assertThat(ab.fromA.hints).isZero();
    }

    @Test
    void aHintWhoseAnswerIsLostIsNotForgotten() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        fill(a, "cars", 9);
        b.insert("cars", "own", obj("k", 1), t()); // B holds cars from the start: no hint pass in the next session
        b.subscriptions = List.of(sub("cars", "k = 1"));
        Net net = new Net(33);
        Net.Conn c = net.connect(a, b);
        net.runUntilQuiet();
        long before = b.checkpoint(1).sequence();

        a.update("cars", "cars0004", "k", Value.of(2), t());
        a.insert("cars", "later", obj("k", 1), t()); // a batch after the hint's: applied, but the checkpoint waits
        net.localChange(a);
        while (net.step()) c.fromA.queue.removeIf(m -> m instanceof Docs); // every answer is lost
        assertThat(only(c.fromB.sent, Request.class)).hasSize(1);
        assertThat(b.holds("cars", "later")).isTrue();
        assertThat(b.checkpoint(1).sequence()).as("held back before the hint").isEqualTo(before);
        c.disconnect();

        Net.Conn again = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(again.fromA.hints).isEqualTo(1);
        assertThat(b.field("cars", "cars0004", "k")).isEqualTo(Value.of(2));
        assertThat(b.checkpoint(1).sequence()).isEqualTo(a.lastSequence());
    }

    @Test
    void aPushBackThatWasNotAcknowledgedIsRedone() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2), c = new FakeStore(3);
        a.insert("cars", "x", obj("k", 1), t());
        c.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(34);
        net.connect(a, c);
        net.runUntilQuiet();
        net.open().forEach(Net.Conn::disconnect);
        a.update("cars", "x", "k", Value.of(2), t());
        a.subscriptions = List.of(sub("cars", "*"));
        b.subscriptions = List.of(sub("cars", "k = 1"));
        b.insert("cars", "own", obj("k", 1), t()); // B holds cars from the start: no hint pass in the next session
        Net.Conn ab = net.connect(a, b);
        net.runUntilQuiet();
        Net.Conn bc = net.connect(b, c);
        while (net.step()) { // A's push-back never reaches B
            ab.fromA.queue.removeIf(
                    m -> m instanceof Batch batch && !batch.entries().isEmpty());
        }
        assertThat(b.field("cars", "x", "k")).isEqualTo(Value.of(1));
        assertThat(a.checkpoint(2) == null ? 0 : a.checkpoint(2).sequence())
                .as("A's checkpoint waits for the push-back")
                .isLessThan(b.lastSequence());
        ab.disconnect();
        bc.disconnect();

        Net.Conn again = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(entries(again.fromA.sent).stream()
                        .filter(e -> e instanceof DocEntry && Arrays.equals(e.id(), FakeStore.id("x")))
                        .count())
                .as("the push-back again (and B's own document, whose batch to B was dropped too)")
                .isEqualTo(1);
        assertThat(b.bytes(FakeStore.ref("cars", "x"))).isEqualTo(a.bytes(FakeStore.ref("cars", "x")));
    }

    @Test
    void newSubscriptionsOnANewCollectionShareOneScan() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        fill(a, "cars", 5);
        fill(a, "boats", 30);
        b.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(35);
        Net.Conn c = net.connect(a, b);
        net.runUntilQuiet();
        int before = c.fromA.docs;
        net.setSubscriptions(
                b, List.of(sub("cars", "*"), sub("boats", "k = 0"), sub("boats", "k = 1"), sub("boats", "k = 0")));
        net.runUntilQuiet();
        assertThat(c.fromA.docs - before).isEqualTo(20);
        Set<DocRef> seen = new java.util.HashSet<>();
        for (Entry e : entries(c.fromA.sent))
            assertThat(seen.add(e.ref())).as("sent once: %s", e).isTrue();
        assertThat(b.checkpoint(1).covered()).hasSize(3);
    }

    // ---- groups, large states, flow control -----------------------------------------------------------

    @Test
    void aTransactionArrivesInOneApply() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        for (int i = 0; i < 50; i++) a.insert("cars", "single" + i, obj("pad", "x".repeat(300)), t());
        var txn = a.txn();
        for (int i = 0; i < 7; i++) txn.insert("cars", "tx" + i, obj("pad", "y".repeat(300)), t());
        for (int i = 0; i < 50; i++) a.insert("cars", "after" + i, obj("pad", "z".repeat(300)), t());
        b.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(15);
        SessionConfig small = SessionConfig.builder().batchBytes(4096).build();
        Net.Conn c = net.connect(a, b, small, false);
        net.runUntilQuiet();

        assertThat(c.fromA.batches).isGreaterThan(10);
        assertThat(b.applyCalls)
                .anySatisfy(call ->
                        assertThat(ids(call)).containsAll(List.of("tx0", "tx1", "tx2", "tx3", "tx4", "tx5", "tx6")));
        assertSame(a, b, "cars");
    }

    @Test
    void aGroupLargerThanAFrameArrivesWholeAfterContinuation() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        a.insert("cars", "before", obj("k", 0), t());
        var txn = a.txn();
        for (int i = 0; i < 40; i++) txn.insert("cars", "big" + i, obj("pad", "p".repeat(4000)), t());
        a.insert("cars", "after", obj("k", 0), t());
        b.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(16);
        SessionConfig cfg = SessionConfig.builder()
                .maxFrameBytes(64 << 10)
                .batchBytes(16 << 10)
                .build();
        Net.Conn c = net.connect(a, b, cfg, false);
        net.runUntilQuiet();

        List<Batch> batches = only(c.fromA.sent, Batch.class);
        assertThat(batches).anySatisfy(x -> assertThat(x.continued()).isTrue());
        assertThat(b.applyCalls)
                .anySatisfy(call -> assertThat(ids(call)).hasSize(40).allMatch(id -> id.startsWith("big")));
        assertSame(a, b, "cars");
        assertThat(c.rb.warnings).isEmpty();
    }

    @Test
    void aGroupBeyondMaxGroupBytesIsAppliedInPiecesWithAWarning() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        var txn = a.txn();
        for (int i = 0; i < 60; i++) txn.insert("cars", "big" + i, obj("pad", "p".repeat(4000)), t());
        b.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(17);
        SessionConfig cfg = SessionConfig.builder()
                .maxFrameBytes(64 << 10)
                .maxGroupBytes(64 << 10)
                .build();
        Net.Conn c = net.connect(a, b, cfg, false);
        net.runUntilQuiet();
        assertThat(c.rb.warnings).hasSize(1);
        assertThat(b.applyCalls.size()).isGreaterThan(1);
        assertSame(a, b, "cars");
    }

    @Test
    void aStateLargerThanAFrameTravelsInParts() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        a.insert("cars", "small", obj("k", 1), t());
        a.insert("cars", "huge", obj("pad", "h".repeat(300_000)), t());
        a.insert("cars", "small2", obj("k", 1), t());
        b.subscriptions = List.of(sub("cars", "*"));
        a.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(18);
        SessionConfig cfg = SessionConfig.builder().maxFrameBytes(64 << 10).build();
        Net.Conn c = net.connect(a, b, cfg, false);
        net.runUntilQuiet();
        assertThat(c.fromA.parts).isGreaterThanOrEqualTo(4);
        assertSame(a, b, "cars");

        // the same state answered to a request (DOCS in parts): B holds an older copy, A's changes stop matching
        b.subscriptions = List.of(sub("cars", "k = 1"));
        c.disconnect();
        a.update("cars", "huge", "more", Value.of("m".repeat(100_000)), t());
        Net.Conn d = net.connect(a, b, cfg, false);
        net.runUntilQuiet();
        assertThat(only(d.fromA.sent, Docs.class).size()).isGreaterThan(4);
        assertSame(a, b, "cars");
    }

    @Test
    void neverMoreThanWindowBatchesUnacknowledged() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        fill(a, "cars", 2000);
        b.subscriptions = List.of(sub("cars", "*"));
        for (int window : new int[] {1, 2, 4}) {
            FakeStore fresh = new FakeStore(10 + window);
            fresh.subscriptions = b.subscriptions;
            Net net = new Net(19);
            Net.Conn c = net.connect(
                    a,
                    fresh,
                    SessionConfig.builder().batchBytes(4096).window(window).build(),
                    false);
            net.runUntilQuiet();
            assertThat(c.fromA.batches).isGreaterThan(20);
            assertThat(c.fromA.maxInFlight).isBetween(1, window);
            if (window > 1) assertThat(c.fromA.maxInFlight).isEqualTo(window);
            assertSame(a, fresh, "cars");
        }
    }

    @Test
    void readsAreBoundedChunks() {
        FakeStore a = new FakeStore(1);
        fill(a, "cars", 3000);
        FakeStore b = new FakeStore(2);
        b.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(20);
        net.connect(a, b, SessionConfig.builder().batchBytes(8192).build(), false);
        net.runUntilQuiet();
        assertThat(a.maxRowsAsked).isBetween(1, 512);
        assertThat(a.rowReads).isLessThan(3000 * 3);
        assertSame(a, b, "cars");
    }

    private static Batch first(List<Message> sent) {
        return only(sent, Batch.class).get(0);
    }

    private static List<String> ids(List<Doc> docs) {
        List<String> l = new ArrayList<>();
        for (Doc d : docs) l.add(new String(d.id(), java.nio.charset.StandardCharsets.UTF_8));
        return l;
    }

    // ---- robustness -----------------------------------------------------------------------------------

    @Test
    void duplicatedAndReplayedMessagesChangeNothing() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        fill(a, "cars", 200);
        fill(b, "cars", 10);
        b.update("cars", "cars0001", "k", Value.of(5), t());
        a.subscriptions = List.of(sub("cars", "k = 1"));
        b.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(21).faults(0, 0.4, 0);
        Net.Conn c = net.connect(a, b, SessionConfig.builder().batchBytes(4096).build(), true);
        net.runUntilQuiet();
        assertThat(c.sa.isClosed()).isFalse();
        assertThat(c.sb.isClosed()).isFalse();
        assertSame(a, b, "cars");

        // replay everything each side ever sent, in order, twice
        long va = a.version(), vb = b.version();
        int appliesA = a.applyCalls.size(), appliesB = b.applyCalls.size();
        for (int round = 0; round < 2; round++) {
            for (Message m : new ArrayList<>(c.fromA.sent)) c.deliver(true, m);
            for (Message m : new ArrayList<>(c.fromB.sent)) c.deliver(false, m);
            net.runUntilQuiet();
        }
        assertThat(c.sa.isClosed()).isFalse();
        assertThat(c.sb.isClosed()).isFalse();
        assertThat(a.version()).isEqualTo(va);
        assertThat(b.version()).isEqualTo(vb);
        assertThat(a.applyCalls).hasSize(appliesA);
        assertThat(b.applyCalls).hasSize(appliesB);
    }

    @Test
    void gapsAndAnswersToNothingCloseOutOfOrder() {
        assertClosesWith(
                new Batch(2, 1, 0, 0, false, List.of(), List.of()), SyncSession.OUT_OF_ORDER); // batch 1 missing
        assertClosesWith(
                new Batch(1, 9, 0, 0, false, List.of(), List.of()), SyncSession.OUT_OF_ORDER); // revision never sent
        assertClosesWith(new Ack(1), SyncSession.OUT_OF_ORDER); // nothing was sent
        assertClosesWith(new Docs(1, 0, false, List.of()), SyncSession.OUT_OF_ORDER); // nothing was requested
        assertClosesWith(new Request(2, List.of()), SyncSession.OUT_OF_ORDER); // request 1 missing
        List<DocRef> many = new ArrayList<>();
        for (int i = 0; i <= Receiver.MAX_REQUEST_DOCS; i++) many.add(FakeStore.ref("c", "d" + i));
        assertClosesWith(new Request(1, many), SyncSession.MALFORMED); // too many at once
        assertClosesWith(new Hello(1, "app", 1, 77, 0, 1 << 20, 0), SyncSession.MALFORMED); // a different second HELLO
        // a part not followed by the rest of its document, across batches
        FakeStore b = new FakeStore(2);
        SyncSession s = established(b);
        s.onMessage(
                new Batch(1, 1, 0, 0, true, List.of(new PartEntry("c", new byte[] {1}, 0, new byte[] {1})), List.of()));
        List<Message> out = s.onMessage(
                new Batch(2, 1, 0, 0, false, List.of(new DocEntry("c", new byte[] {2}, 0, new byte[] {1})), List.of()));
        assertThat(out)
                .last()
                .isEqualTo(new Close(
                        SyncSession.MALFORMED, "a part of a document in c is not followed by the rest of it"));
        assertThat(b.applyCalls).isEmpty();
    }

    @Test
    void reorderedBatchesClose() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        fill(a, "cars", 500);
        b.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(22);
        Net.Conn c = net.connect(a, b, SessionConfig.builder().batchBytes(4096).build(), false);
        // deliver until B applied a few batches and two more wait for it, then swap those two
        while (c.fromA.lastAckReceived < 3 || only(c.fromA.queue, Batch.class).size() < 2)
            assertThat(net.step()).isTrue();
        int i = c.fromA.queue.indexOf(only(c.fromA.queue, Batch.class).get(0));
        int j = c.fromA.queue.indexOf(only(c.fromA.queue, Batch.class).get(1));
        Message first = c.fromA.queue.get(i);
        c.fromA.queue.set(i, c.fromA.queue.get(j));
        c.fromA.queue.set(j, first);
        net.runUntilQuiet();
        assertThat(c.rb.closedReason).isEqualTo(SyncSession.OUT_OF_ORDER);
        assertThat(c.ra.closedReason).isEqualTo(SyncSession.OUT_OF_ORDER);
        assertThat(c.ra.closedByRemote).isTrue();

        Net.Conn again = net.connect(a, b); // the next session resumes from B's checkpoint and completes
        net.runUntilQuiet();
        assertSame(a, b, "cars");
        assertThat(again.fromA.docs)
                .as("resumed, no backfill")
                .isEqualTo(500 - (int) first(again.fromA.sent).fromSeq());
    }

    @Test
    void aLostAcknowledgementTimesOutAndTheNextSessionResumes() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        fill(a, "cars", 500);
        b.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(23);
        SessionConfig cfg = SessionConfig.builder()
                .batchBytes(4096)
                .progressTimeoutMillis(30_000)
                .build();
        Net.Conn c = net.connect(a, b, cfg, false);
        while (net.step()) {
            if (c.fromA.lastAckReceived >= 3) c.fromB.queue.removeIf(m -> m instanceof Ack); // then every ACK is lost
        }
        assertThat(c.sa.isClosed()).isFalse();
        net.tick(20_000);
        assertThat(c.sa.isClosed()).isFalse();
        net.tick(20_000);
        assertThat(c.sa.isClosed()).isFalse(); // progress is measured from the first tick that saw the stall
        net.tick(20_000);
        assertThat(c.ra.closedReason).isEqualTo(SyncSession.TIMEOUT);
        net.runUntilQuiet();
        assertThat(c.sb.isClosed()).isTrue();

        long resumeFrom = b.checkpoint(1).sequence();
        assertThat(resumeFrom).isGreaterThan(0);
        Net.Conn again = net.connect(a, b, cfg, false);
        net.runUntilQuiet();
        assertSame(a, b, "cars");
        assertThat(only(again.fromA.sent, Batch.class).get(0).fromSeq()).isEqualTo(resumeFrom);
    }

    @Test
    void anUnansweredRequestTimesOut() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        fill(a, "cars", 9);
        b.subscriptions = List.of(sub("cars", "k = 1"));
        Net net = new Net(24);
        Net.Conn c = net.connect(a, b);
        net.runUntilQuiet();
        a.update("cars", "cars0001", "k", Value.of(2), t());
        net.localChange(a);
        while (net.step()) c.fromB.queue.removeIf(m -> m instanceof Request);
        assertThat(only(c.fromB.sent, Request.class)).hasSize(1);
        net.tick(1);
        net.tick(SessionConfig.defaults().progressTimeoutMillis() + 1);
        assertThat(c.rb.closedReason).isEqualTo(SyncSession.TIMEOUT);
    }

    @Test
    void helloAndSubscriptionsMustArriveInTime() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        Net net = new Net(25);
        Net.Conn c = net.connect(a, b);
        c.fromA.queue.clear(); // both HELLOs are lost
        c.fromB.queue.clear();
        net.tick(10_000);
        assertThat(c.sa.isClosed()).isFalse();
        net.tick(1);
        assertThat(c.ra.closedReason).isEqualTo(SyncSession.TIMEOUT);
        assertThat(c.ra.closedMessage).contains("no HELLO");

        Net.Conn d = net.connect(a, b);
        net.step();
        net.step(); // both HELLOs delivered; the SUBSCRIPTIONS they produced are lost
        d.fromA.queue.removeIf(m -> m instanceof Subscriptions);
        d.fromB.queue.removeIf(m -> m instanceof Subscriptions);
        net.runUntilQuiet();
        assertThat(d.sa.isClosed()).isFalse();
        net.tick(10_001);
        assertThat(d.ra.closedReason).isEqualTo(SyncSession.TIMEOUT);
        assertThat(d.ra.closedMessage).contains("no SUBSCRIPTIONS");
    }

    // ---- the handshake --------------------------------------------------------------------------------

    @Test
    void aDifferentAppIsRefused() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2, "other-app", 5);
        Net net = new Net(26);
        Net.Conn c = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(c.ra.closedReason).isEqualTo(SyncSession.APP);
        assertThat(c.rb.closedReason).isEqualTo(SyncSession.APP);
        assertThat(c.ra.established).isZero();
    }

    @Test
    void aConnectionToOurselvesIsRefused() {
        FakeStore a = new FakeStore(1), twin = new FakeStore(1);
        Net net = new Net(27);
        Net.Conn c = net.connect(a, twin);
        net.runUntilQuiet();
        assertThat(c.ra.closedReason).isEqualTo(SyncSession.SELF);
    }

    @Test
    void anotherVersionIsRefused() {
        FakeStore a = new FakeStore(1);
        SyncSession s = new SyncSession(a, SessionConfig.defaults(), SessionListener.NONE);
        s.start();
        List<Message> out = s.onMessage(new Hello(2, "app", 2, 3, 0, 1 << 20, 0));
        assertThat(out)
                .hasSize(1)
                .first()
                .isInstanceOfSatisfying(
                        Close.class, cl -> assertThat(cl.reason()).isEqualTo("version"));
        assertThat(s.isClosed()).isTrue();
        assertThat(s.closeReason()).isEqualTo("version");
        assertThat(s.onMessage(new Hello(1, "app", 2, 3, 0, 1 << 20, 0))).isEmpty();
        assertThat(s.onTick(1)).isEmpty();
        assertThat(s.onLocalChange()).isEmpty();
        assertThat(s.setSubscriptions(List.of())).isEmpty();
    }

    @Test
    void malformedHelloesAreRefused() {
        FakeStore a = new FakeStore(1);
        SyncSession s1 = new SyncSession(a, SessionConfig.defaults(), SessionListener.NONE);
        s1.start();
        assertThat(s1.onFrame(new byte[] {1, 1, 3}))
                .hasSize(1)
                .first()
                .isInstanceOfSatisfying(
                        Close.class, cl -> assertThat(cl.reason()).isEqualTo(SyncSession.MALFORMED));

        SyncSession s2 = new SyncSession(a, SessionConfig.defaults(), SessionListener.NONE);
        s2.start();
        assertThat(s2.onMessage(new Hello(1, "app", 2, 3, 0, 1000, 0)))
                .first()
                .isInstanceOfSatisfying(
                        Close.class, cl -> assertThat(cl.reason()).isEqualTo(SyncSession.MALFORMED));

        SyncSession s3 = new SyncSession(a, SessionConfig.defaults(), SessionListener.NONE);
        s3.start();
        assertThat(s3.onMessage(new Ack(1)))
                .first()
                .isInstanceOfSatisfying(
                        Close.class, cl -> assertThat(cl.reason()).isEqualTo(SyncSession.OUT_OF_ORDER));

        SyncSession s4 = new SyncSession(a, SessionConfig.defaults(), SessionListener.NONE);
        s4.start();
        assertThat(s4.onWireError(new WireException(SyncSession.OVERSIZE, "frame too big")))
                .first()
                .isInstanceOfSatisfying(
                        Close.class, cl -> assertThat(cl.reason()).isEqualTo(SyncSession.OVERSIZE));
    }

    @Test
    void closeSendsCloseAndEndsEverything() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        Net net = new Net(28);
        Net.Conn c = net.connect(a, b);
        net.runUntilQuiet();
        List<Message> out = c.sa.close("shutting down");
        assertThat(out).containsExactly(new Close(SyncSession.CLOSED, "shutting down"));
        assertThat(c.ra.closedReason).isEqualTo(SyncSession.CLOSED);
        assertThat(c.ra.closedByRemote).isFalse();
        c.sb.onMessage(out.get(0));
        assertThat(c.rb.closedReason).isEqualTo(SyncSession.CLOSED);
        assertThat(c.rb.closedByRemote).isTrue();
        assertThat(c.sb.close("again")).isEmpty();
    }

    // ---- the store refuses --------------------------------------------------------------------------

    @Test
    void clockDriftClosesWithoutApplying() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        fill(a, "cars", 20);
        b.subscriptions = List.of(sub("cars", "*"));
        b.rejectAll = true;
        Net net = new Net(29);
        Net.Conn c = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(c.rb.closedReason).isEqualTo(SyncSession.CLOCK_DRIFT);
        assertThat(c.ra.closedReason).isEqualTo(SyncSession.CLOCK_DRIFT);
        assertThat(b.size()).isZero();
        assertThat(b.checkpoint(1)).isNull();
        assertThat(only(c.fromB.sent, Ack.class)).isEmpty();

        b.rejectAll = false; // the clocks agree again
        net.connect(a, b);
        net.runUntilQuiet();
        assertSame(a, b, "cars");
    }

    @Test
    void aDocumentTheStoreCannotAcceptIsRefusedAloneAndSyncGoesOn() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        fill(a, "cars", 10);
        a.putRaw("cars", "poison", new byte[] {1, 0, 31}); // no state decodes from this
        fill(a, "cars", 20); // rewrites 0-9 after it, adds 10-19
        b.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(31);
        Net.Conn c = net.connect(a, b);
        net.runUntilQuiet();

        assertThat(c.rb.closedReason).isNull();
        assertThat(c.ra.closedReason).isNull();
        assertThat(c.rb.refused)
                .extracting(SyncStoreView.Refusal::doc)
                .containsExactly(new DocRef("cars", FakeStore.id("poison")));
        assertThat(c.rb.refused.get(0).reason()).contains("does not decode");
        assertThat(b.size()).isEqualTo(20);
        assertThat(b.checkpoint(1).sequence())
                .as("the checkpoint moves past it")
                .isEqualTo(a.lastSequence());

        // later writes flow, and a new session does not bring the refused document again
        a.insert("cars", "later", obj("k", 9), t());
        net.localChange(a);
        net.runUntilQuiet();
        assertThat(b.state("cars", "later").exists()).isTrue();
        c.disconnect();
        Net.Conn again = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(again.rb.refused).isEmpty();
        assertThat(again.rb.closedReason).isNull();
    }

    @Test
    void aFullStoreClosesWithStoreFullAcknowledgesNothingAndCatchesUpOnceItHasSpace() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        fill(a, "cars", 20);
        b.subscriptions = List.of(sub("cars", "*"));
        b.full = true;
        Net net = new Net(31);
        Net.Conn c = net.connect(a, b);
        net.runUntilQuiet(); // no exception escapes: a full store is a condition of this peer, not a bug
        assertThat(c.rb.closedReason).isEqualTo(SyncSession.STORE_FULL);
        assertThat(c.rb.closedByRemote).isFalse();
        assertThat(c.ra.closedReason).isEqualTo(SyncSession.STORE_FULL);
        assertThat(c.ra.closedByRemote).isTrue();
        assertThat(b.size()).isZero();
        assertThat(b.checkpoint(1)).isNull();
        assertThat(only(c.fromB.sent, Ack.class)).isEmpty();

        b.full = false; // space freed
        net.connect(a, b);
        net.runUntilQuiet();
        assertSame(a, b, "cars");
    }

    @Test
    void zombiesAreRefusedAndEvictedByTheirHolder() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        a.insert("cars", "ancient", obj("k", 1), 5); // written long ago, below B's horizon
        a.insert("cars", "recent", obj("k", 1), 5000);
        b.insert("cars", "held", obj("k", 1), 6);
        a.insert("cars", "held", obj("k", 2), 7); // old too, but B holds the document: merged
        b.horizon = 1000;
        b.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(30);
        Net.Conn c = net.connect(a, b);
        net.runUntilQuiet();

        assertThat(b.holds("cars", "ancient")).isFalse();
        assertThat(b.holds("cars", "recent")).isTrue();
        assertThat(b.field("cars", "held", "k")).isEqualTo(Value.of(2));
        assertThat(only(c.fromB.sent, Zombies.class))
                .hasSize(1)
                .first()
                .satisfies(z -> assertThat(z.docs()).containsExactly(FakeStore.ref("cars", "ancient")));
        assertThat(a.holds("cars", "ancient")).as("evicted by its holder").isFalse();
        assertThat(c.sa.remoteHorizon()).isEqualTo(1000);
    }

    /**
     * Regression (simulator seed 29000004833, mesh of 5): B purged its own delete of x, so its horizon is above it. A
     * sends an older tombstone of x (a tombstone is never a zombie: B stores it), then a live state that re-made x after
     * that tombstone but before B's purged delete. Merged onto the old tombstone, x came back at B. A tombstone older
     * than the horizon counts as no row: the live state is refused as a zombie, and A evicts it.
     */
    @Test
    void anOldTombstoneDoesNotOpenTheWayForAnOlderLiveCopyOfADocumentDeletedAndPurged() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        a.insert("cars", "x", obj("k", 1), 5);
        a.delete("cars", "x", 10);
        b.horizon = 1000; // B deleted x at 900, say, and purged that tombstone
        b.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(32);
        Net.Conn c = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(b.holds("cars", "x")).as("a tombstone is never a zombie").isTrue();

        a.insert("cars", "x", obj("k", 2), 500); // made again after A's delete, before B's
        net.localChange(a);
        net.runUntilQuiet();

        assertThat(b.state("cars", "x").exists()).as("x stays deleted at B").isFalse();
        assertThat(only(c.fromB.sent, Zombies.class))
                .singleElement()
                .satisfies(z -> assertThat(z.docs()).containsExactly(FakeStore.ref("cars", "x")));
        assertThat(a.holds("cars", "x")).as("evicted by its holder").isFalse();
    }

    @Test
    void aReplacedStoreIsSyncedFromZero() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        fill(a, "cars", 50);
        b.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(31);
        net.connect(a, b).disconnect();
        net.runUntilQuiet();
        Net.Conn c1 = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(c1.fromA.docs).isEqualTo(50);
        c1.disconnect();

        a.newIncarnation(999); // restored from a backup: its sequence is another history
        Net.Conn c2 = net.connect(a, b);
        net.runUntilQuiet();
        // from zero: every row is examined again, sent or (range reconciliation) shown to be held by B already
        assertThat(c2.fromA.docs + c2.sa.rangesSkipped()).isEqualTo(50);
        assertThat(b.checkpoint(1).incarnation()).isEqualTo(999);
        assertSame(a, b, "cars");
    }

    @Test
    void statusFollowsAcknowledgements() {
        FakeStore a = new FakeStore(1), b = new FakeStore(2);
        fill(a, "cars", 10);
        b.subscriptions = List.of(sub("cars", "*"));
        Net net = new Net(32);
        Net.Conn c = net.connect(a, b);
        assertThat(c.sa.ackedSequence()).isZero();
        net.runUntilQuiet();
        assertThat(c.sa.ackedSequence()).isEqualTo(10);
        a.insert("boats", "b", obj(), t()); // not subscribed: the sequence is not reported as reached
        a.insert("cars", "c", obj(), t());
        net.localChange(a);
        net.runUntilQuiet();
        assertThat(c.sa.ackedSequence()).isEqualTo(12);
        assertThat(c.sa.remotePeerId()).isEqualTo(2);
        assertThat(c.sa.remoteSubscriptions()).containsExactly(sub("cars", "*"));

        c.disconnect();
        Net.Conn again = net.connect(a, b);
        net.runUntilQuiet();
        assertThat(again.sa.ackedSequence()).as("resumed from B's checkpoint").isEqualTo(12);
        assertThat(again.ra.acked).isEqualTo(12);
    }

    // ---- peers that never met: summaries ------------------------------------------------------------

    /** Peers that predate range reconciliation (no CAP_RANGES): they use summaries. */
    private static final SessionConfig SUMMARIES_ONLY =
            SessionConfig.builder().ranges(false).build();

    /** A holds {@code n} cars; D gets the same states through a relay C, so that A and D hold the same but never met. */
    private FakeStore[] sameDataNeverMet(int n, Net net) {
        FakeStore a = new FakeStore(1), c = new FakeStore(3), d = new FakeStore(4);
        fill(a, "cars", n);
        for (FakeStore s : new FakeStore[] {a, c, d}) s.subscriptions = List.of(sub("cars", "*"));
        net.connect(a, c);
        net.runUntilQuiet();
        net.connect(c, d);
        net.runUntilQuiet();
        for (Net.Conn conn : net.open()) conn.disconnect();
        assertSame(a, d, "cars");
        return new FakeStore[] {a, d};
    }

    @Test
    void peersThatNeverMetSendOnlyTheBucketsThatDiffer() {
        Net net = new Net(40);
        FakeStore[] ad = sameDataNeverMet(2000, net);
        FakeStore a = ad[0], d = ad[1];
        for (int i = 0; i < 10; i++) a.update("cars", String.format("cars%04d", i * 97), "name", Value.of("v2"), t());

        Net.Conn c = net.connect(a, d, SUMMARIES_ONLY, false);
        net.runUntilQuiet();

        assertSame(a, d, "cars");
        int buckets = Summaries.bucketsFor(2000, 1 << 20);
        assertThat(buckets).isEqualTo(512);
        // each changed document takes its bucket along (about 2000 / 512 documents); everything else is skipped
        assertThat(c.fromA.docs).isBetween(10, 10 * 12);
        assertThat(c.fromB.docs).isBetween(10, 10 * 12); // D's copies of the same buckets, older: no harm, a join
        assertThat(c.sa.sender().summarySkipped()).isGreaterThan(2000 - 10 * 12);
        assertThat(only(c.fromB.sent, Message.Summary.class)).hasSize(1);
        assertThat(c.fromA.bytes + c.fromB.bytes).as("bytes exchanged").isLessThan(40_000);
        assertThat(d.checkpoint(1).sequence()).isEqualTo(a.lastSequence());

        // the checkpoint holds from now on: the next session resumes, with no summary
        c.disconnect();
        a.update("cars", "cars0001", "name", Value.of("v3"), t());
        Net.Conn again = net.connect(a, d, SUMMARIES_ONLY, false);
        net.runUntilQuiet();
        assertThat(again.fromA.docs).isEqualTo(1);
        assertThat(only(again.fromB.sent, Message.Summary.class)).isEmpty();
        assertSame(a, d, "cars");
    }

    @Test
    void identicalPeersThatNeverMetExchangeNoDocuments() {
        Net net = new Net(41);
        FakeStore[] ad = sameDataNeverMet(3000, net);
        Net.Conn c = net.connect(ad[0], ad[1], SUMMARIES_ONLY, false);
        net.runUntilQuiet();
        assertThat(c.fromA.docs + c.fromB.docs).isZero();
        assertThat(ad[1].checkpoint(1).sequence()).isEqualTo(ad[0].lastSequence());
        assertThat(ad[0].checkpoint(4).sequence()).isEqualTo(ad[1].lastSequence());
    }

    @Test
    void aRowChangedAfterTheComparisonIsSentThoughItsBucketAgreed() {
        Net net = new Net(42);
        FakeStore[] ad = sameDataNeverMet(2000, net);
        FakeStore a = ad[0], d = ad[1];
        Net.Conn c = net.connect(a, d, SUMMARIES_ONLY, false);
        while (c.ra.remoteSubs.isEmpty()) assertThat(c.deliverOne()).isTrue(); // A compared D's summary with its rows
        a.update("cars", "cars0005", "name", Value.of("after"), t());
        net.localChange(a);
        net.runUntilQuiet();
        assertThat(d.field("cars", "cars0005", "name")).isEqualTo(Value.of("after"));
        assertSame(a, d, "cars");
        assertThat(c.fromA.docs).isEqualTo(1);
    }

    @Test
    void summariesGoOnlyToPeersThatReadThemAndOnlyWithoutACheckpoint() {
        FakeStore b = new FakeStore(2);
        fill(b, "cars", 1000);
        b.subscriptions = List.of(sub("cars", "*"), sub("cars", "k = 1"), sub("boats", "*"));
        for (long caps : new long[] {0, SessionConfig.CAP_SUMMARY, SessionConfig.CAP_SUMMARY | 6}) {
            SyncSession s = new SyncSession(b, SessionConfig.defaults(), SessionListener.NONE);
            s.setSubscriptions(b.subscriptions);
            assertThat(s.start().get(0))
                    .isInstanceOfSatisfying(
                            Hello.class,
                            h -> assertThat(h.capabilities())
                                    .isEqualTo(SessionConfig.CAP_SUMMARY
                                            | SessionConfig.CAP_DEFLATE
                                            | SessionConfig.CAP_ATTACHMENTS
                                            | SessionConfig.CAP_RANGES
                                            | SessionConfig.CAP_EVERY
                                            | SessionConfig.CAP_HINT_PASS
                                            | SessionConfig.CAP_DELTAS
                                            | SessionConfig.CAP_RESUME
                                            | SessionConfig.CAP_PRESENCE_RESUME));
            List<Message> out = s.onMessage(new Hello(1, b.appId, 1, 42, caps, 1 << 20, 0));
            List<Message.Summary> sums = only(out, Message.Summary.class);
            if (caps == 0) {
                assertThat(sums).isEmpty();
            } else { // one per subscribed collection held here, before the SUBSCRIPTIONS
                assertThat(sums).extracting(Message.Summary::collection).containsExactly("cars");
                assertThat(sums.get(0).buckets()).hasSize(Summaries.bucketsFor(1000, 1 << 20));
                assertThat(out.indexOf(sums.get(0)))
                        .isLessThan(out.indexOf(only(out, Subscriptions.class).get(0)));
            }
        }
        b.apply(1, List.of(), new SyncStoreView.Checkpoint(42, 7, Set.of()));
        SyncSession s = new SyncSession(b, SessionConfig.defaults(), SessionListener.NONE);
        s.setSubscriptions(b.subscriptions);
        s.start();
        assertThat(only(
                        s.onMessage(new Hello(1, b.appId, 1, 42, SessionConfig.CAP_SUMMARY, 1 << 20, 0)),
                        Message.Summary.class))
                .as("a checkpoint of this incarnation: the session resumes, no summary")
                .isEmpty();
    }

    @Test
    void aSummaryAfterTheFirstSubscriptionsIsIgnoredAndTooManyBucketsClose() {
        FakeStore a = new FakeStore(2);
        fill(a, "cars", 100);
        SyncSession s = established(a);
        s.onMessage(
                new Subscriptions(1, 0, 0, List.of(new Subscriptions.Item(sub("cars", "*"), false)), List.of("cars")));
        List<Message> out = s.onMessage(new Message.Summary("cars", new long[64]));
        assertThat(s.isClosed()).isFalse();
        assertThat(out).isEmpty();

        SyncSession t = established(new FakeStore(2));
        for (int i = 0; i < 4; i++) t.onMessage(new Message.Summary("c" + i, new long[Summaries.MAX_BUCKETS]));
        assertThat(t.isClosed()).isFalse();
        assertThat(t.onMessage(new Message.Summary("c4", new long[1])))
                .last()
                .isInstanceOfSatisfying(
                        Close.class, cl -> assertThat(cl.reason()).isEqualTo(SyncSession.MALFORMED));
    }

    @Test
    void bucketCountsGrowWithTheSquareRootAndFitTheFrame() {
        assertThat(Summaries.bucketsFor(0, 1 << 20)).isEqualTo(8);
        assertThat(Summaries.bucketsFor(10_000, 1 << 20)).isEqualTo(1024);
        assertThat(Summaries.bucketsFor(100_000, 1 << 20)).isEqualTo(4096);
        assertThat(Summaries.bucketsFor(100_000_000, 1 << 20)).isEqualTo(Summaries.MAX_BUCKETS);
        assertThat(Summaries.bucketsFor(100_000_000, SessionConfig.MIN_FRAME)).isEqualTo(4096);
        assertThat(Summaries.bucketOf(FakeStore.id("x"), 1)).isZero();
    }

    // ---- peers that never met: ranges --------------------------------------------------------------

    @Test
    void peersThatNeverMetByRangesSendOnlyTheDocumentsThatDiffer() {
        Net net = new Net(43);
        FakeStore[] ad = sameDataNeverMet(2000, net);
        FakeStore a = ad[0], d = ad[1];
        for (int i = 0; i < 10; i++) a.update("cars", String.format("cars%04d", i * 97), "name", Value.of("v2"), t());

        Net.Conn c = net.connect(a, d);
        net.runUntilQuiet();

        assertSame(a, d, "cars");
        // both directions reconcile: A sends its 10 changed documents, D its 10 older copies (harmless joins), which
        // A may push back before the batch with its newer state is acknowledged; nothing else
        assertThat(c.fromA.docs).as("the changed documents").isBetween(10, 20);
        assertThat(c.fromB.docs).as("D's older copies of them, nothing else").isEqualTo(10);
        assertThat(c.sa.rangesSkipped())
                .as("rows shown held (a row read twice counts twice)")
                .isGreaterThanOrEqualTo(2000 - 10);
        assertThat(only(c.fromB.sent, Message.Summary.class)).isEmpty();
        assertThat(only(c.fromB.sent, Message.Ranges.class)).isNotEmpty();
        assertThat(only(c.fromB.sent, Message.Ranges.class).get(0).part()).isInstanceOf(Message.Ranges.Open.class);
        assertThat(c.fromA.bytes + c.fromB.bytes).as("bytes exchanged").isLessThan(12_000);
        assertThat(d.checkpoint(1).sequence()).isEqualTo(a.lastSequence());

        // the checkpoint holds from now on: the next session resumes, with no reconciliation
        c.disconnect();
        a.update("cars", "cars0001", "name", Value.of("v3"), t());
        Net.Conn again = net.connect(a, d);
        net.runUntilQuiet();
        assertThat(again.fromA.docs).isEqualTo(1);
        assertThat(only(again.fromB.sent, Message.Ranges.class)).isEmpty();
        assertSame(a, d, "cars");
    }

    @Test
    void identicalPeersThatNeverMetReconcileInOneRound() {
        Net net = new Net(44);
        FakeStore[] ad = sameDataNeverMet(3000, net);
        Net.Conn c = net.connect(ad[0], ad[1]);
        net.runUntilQuiet();
        assertThat(c.fromA.docs + c.fromB.docs).isZero();
        // each direction: an OPEN and a SPLIT of nothing
        assertThat(only(c.fromB.sent, Message.Ranges.class)).hasSize(2);
        assertThat(only(c.fromA.sent, Message.Ranges.class)).hasSize(2);
        assertThat(ad[1].checkpoint(1).sequence()).isEqualTo(ad[0].lastSequence());
        assertThat(ad[0].checkpoint(4).sequence()).isEqualTo(ad[1].lastSequence());
    }

    @Test
    void aRowChangedDuringReconciliationIsSentThoughItsRangeAgreed() {
        Net net = new Net(45);
        FakeStore[] ad = sameDataNeverMet(2000, net);
        FakeStore a = ad[0], d = ad[1];
        a.update("cars", "cars0100", "name", Value.of("before"), t()); // one difference: several rounds
        Net.Conn c = net.connect(a, d);
        // A has answered D's OPEN (its sequence read, its rows compared): now a row changes on A
        while (c.fromA.sent.stream()
                .noneMatch(m -> m instanceof Message.Ranges r && r.part() instanceof Message.Ranges.Split))
            assertThat(c.deliverOne()).isTrue();
        a.update("cars", "cars0005", "name", Value.of("after"), t());
        net.localChange(a);
        net.runUntilQuiet();
        assertThat(d.field("cars", "cars0005", "name")).isEqualTo(Value.of("after"));
        assertThat(d.field("cars", "cars0100", "name")).isEqualTo(Value.of("before"));
        assertSame(a, d, "cars");
        // the two changed documents (and, maybe, a push-back of cars0100 answering D's older copy)
        assertThat(c.fromA.docs).isBetween(2, 3);
    }

    @Test
    void oldAndNewPeersInteroperateWithSummaries() {
        Net net = new Net(46);
        FakeStore[] ad = sameDataNeverMet(2000, net);
        FakeStore a = ad[0], d = ad[1];
        a.update("cars", "cars0007", "name", Value.of("v2"), t());
        // A reads ranges, D predates them: D sends a summary, A answers by the summary's rules
        Net.Conn c = net.connect(a, d, SessionConfig.defaults(), SUMMARIES_ONLY, false);
        net.runUntilQuiet();
        assertSame(a, d, "cars");
        assertThat(only(c.fromB.sent, Message.Summary.class)).hasSize(1);
        assertThat(only(c.fromA.sent, Message.Ranges.class)).isEmpty();
        assertThat(only(c.fromB.sent, Message.Ranges.class)).isEmpty();
        assertThat(c.sa.sender().summarySkipped()).isPositive();
    }

    @Test
    void rangesGoOnlyToPeersThatReadThemAndOnlyWithoutACheckpoint() {
        FakeStore b = new FakeStore(2);
        fill(b, "cars", 1000);
        b.subscriptions = List.of(sub("cars", "*"), sub("cars", "k = 1"), sub("boats", "*"));
        long both = SessionConfig.CAP_SUMMARY | SessionConfig.CAP_RANGES;
        SyncSession s = new SyncSession(b, SessionConfig.defaults(), SessionListener.NONE);
        s.setSubscriptions(b.subscriptions);
        s.start();
        List<Message> out = s.onMessage(new Hello(1, b.appId, 1, 42, both, 1 << 20, 0));
        assertThat(out).hasSize(1); // one OPEN per subscribed collection held; SUBSCRIPTIONS waits for its end
        Message.Ranges open = only(out, Message.Ranges.class).get(0);
        assertThat(open.collection()).isEqualTo("cars");
        assertThat(open.round()).isEqualTo(1);
        // the sender splits nothing: the collection is done, SUBSCRIPTIONS follows
        List<Message> after = s.onMessage(new Message.Ranges("cars", 1, new Message.Ranges.Split(1, new BitSet())));
        assertThat(only(after, Subscriptions.class)).hasSize(1);
        assertThat(s.onMessage(new Message.Ranges("cars", 1, new Message.Ranges.Split(1, new BitSet()))))
                .as("a duplicate")
                .isEmpty();
        assertThat(s.isClosed()).isFalse();

        SyncSession off = new SyncSession(b, SUMMARIES_ONLY, SessionListener.NONE);
        off.setSubscriptions(b.subscriptions);
        off.start();
        assertThat(only(off.onMessage(new Hello(1, b.appId, 1, 42, both, 1 << 20, 0)), Message.Ranges.class))
                .as("ranges off here: a summary")
                .isEmpty();

        b.apply(1, List.of(), new SyncStoreView.Checkpoint(42, 7, Set.of()));
        SyncSession resumed = new SyncSession(b, SessionConfig.defaults(), SessionListener.NONE);
        resumed.setSubscriptions(b.subscriptions);
        resumed.start();
        assertThat(only(resumed.onMessage(new Hello(1, b.appId, 1, 42, both, 1 << 20, 0)), Subscriptions.class))
                .as("a checkpoint of this incarnation: the session resumes, no ranges")
                .hasSize(1);
    }

    @Test
    void hostileRangesClose() {
        // a RANGES to a peer that did not announce it
        FakeStore x = new FakeStore(2);
        SyncSession off = new SyncSession(x, SUMMARIES_ONLY, SessionListener.NONE);
        off.start();
        off.onMessage(new Hello(1, x.appId, 1, 42, 0, 1 << 20, 0));
        assertThat(off.onMessage(
                        new Message.Ranges("c", 1, new Message.Ranges.Open(new Message.Ranges.Fingerprint(1)))))
                .last()
                .isInstanceOfSatisfying(
                        Close.class, cl -> assertThat(cl.reason()).isEqualTo(SyncSession.MALFORMED));
        // a SPLIT for a collection we never opened
        assertClosesWith(
                new Message.Ranges("c", 1, new Message.Ranges.Split(0, new BitSet())), SyncSession.OUT_OF_ORDER);
        // CHILDREN before the OPEN
        assertClosesWith(new Message.Ranges("c", 2, new Message.Ranges.Children(List.of())), SyncSession.OUT_OF_ORDER);
        // more collections than a session reconciles
        FakeStore a = new FakeStore(2);
        SyncSession s = established(a);
        List<Message> out = List.of();
        for (int i = 0; i <= Reconciliation.MAX_COLLECTIONS; i++)
            out = s.onMessage(
                    new Message.Ranges("c" + i, 1, new Message.Ranges.Open(new Message.Ranges.Fingerprint(i))));
        assertThat(out)
                .last()
                .isInstanceOfSatisfying(
                        Close.class, cl -> assertThat(cl.reason()).isEqualTo(SyncSession.MALFORMED));
        // after the first SUBSCRIPTIONS, RANGES are too late and ignored
        SyncSession late = established(new FakeStore(2));
        late.onMessage(new Subscriptions(1, 0, 0, List.of(), List.of()));
        assertThat(late.onMessage(
                        new Message.Ranges("c", 1, new Message.Ranges.Open(new Message.Ranges.Fingerprint(1)))))
                .noneMatch(m -> m instanceof Message.Ranges || m instanceof Close);
    }

    @Test
    void aSenderThatNeverAnswersTimesOutAndRoundsExtendTheHelloTimeout() {
        FakeStore b = new FakeStore(2);
        fill(b, "cars", 1000);
        b.subscriptions = List.of(sub("cars", "*"));
        SessionConfig cfg = SessionConfig.builder()
                .helloTimeoutMillis(1000)
                .progressTimeoutMillis(5000)
                .build();
        SyncSession s = new SyncSession(b, cfg, SessionListener.NONE);
        s.setSubscriptions(b.subscriptions);
        s.start();
        s.onTick(0);
        s.onMessage(new Hello(1, b.appId, 1, 42, SessionConfig.CAP_RANGES, 1 << 20, 0));
        s.onMessage(new Subscriptions(1, 0, 0, List.of(), List.of())); // the remote subscribes to nothing
        assertThat(s.onTick(4000)).isEmpty();
        assertThat(s.isClosed())
                .as("waiting for the SPLIT, within the progress timeout")
                .isFalse();
        assertThat(s.onTick(5100))
                .last()
                .isInstanceOfSatisfying(
                        Close.class, cl -> assertThat(cl.reason()).isEqualTo(SyncSession.TIMEOUT));

        // the sender's side: OPEN rounds keep the session open past the hello timeout, silence closes it
        FakeStore a = new FakeStore(3);
        fill(a, "cars", 100);
        SyncSession t = new SyncSession(a, cfg, SessionListener.NONE);
        t.start();
        t.onTick(0);
        t.onMessage(new Hello(1, a.appId, 1, 42, SessionConfig.CAP_RANGES, 1 << 20, 0));
        t.onMessage(new Message.Ranges("cars", 1, new Message.Ranges.Open(new Message.Ranges.Fingerprint(5))));
        t.onTick(900);
        assertThat(t.onTick(1500)).isEmpty();
        assertThat(t.isClosed()).isFalse();
        assertThat(t.onTick(2000))
                .last()
                .isInstanceOfSatisfying(
                        Close.class, cl -> assertThat(cl.reason()).isEqualTo(SyncSession.TIMEOUT));
    }

    private static SyncSession established(FakeStore store) {
        SyncSession s = new SyncSession(store, SessionConfig.defaults(), SessionListener.NONE);
        s.start();
        s.onMessage(new Hello(1, store.appId, 1, 42, 0, 1 << 20, 0));
        return s;
    }

    private static void assertClosesWith(Message m, String reason) {
        FakeStore b = new FakeStore(2);
        SyncSession s = established(b);
        List<Message> out = s.onMessage(m);
        assertThat(out)
                .as("%s", m)
                .last()
                .isInstanceOfSatisfying(
                        Close.class, cl -> assertThat(cl.reason()).isEqualTo(reason));
        assertThat(s.isClosed()).isTrue();
        assertThat(b.applyCalls).isEmpty();
    }
}
