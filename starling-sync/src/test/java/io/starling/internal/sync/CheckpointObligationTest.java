package io.starling.internal.sync;

import static io.starling.internal.sync.SyncSessionTest.obj;
import static io.starling.internal.sync.SyncSessionTest.sub;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.sync.Message.Ack;
import io.starling.internal.sync.Message.Batch;
import io.starling.internal.sync.Message.DocEntry;
import io.starling.internal.sync.Message.Docs;
import io.starling.internal.sync.Message.Entry;
import io.starling.internal.sync.Message.Hello;
import io.starling.internal.sync.Message.HintEntry;
import io.starling.internal.sync.Message.PartEntry;
import io.starling.internal.sync.Message.Request;
import io.starling.internal.sync.Message.Subscriptions;
import io.starling.internal.sync.Message.Zombies;
import io.starling.internal.sync.SyncStoreView.Checkpoint;
import io.starling.internal.sync.SyncStoreView.DocRef;
import io.starling.internal.sync.SyncStoreView.Row;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The receiver's checkpoint and what a batch obliges it to do (docs/SYNC-PROTOCOL.md, "Obligations"): the checkpoint
 * moves past a batch only once the documents the batch hinted have arrived, the states it carried older than ours
 * were pushed back and acknowledged, and its transaction group has ended — and then over every leading batch whose
 * obligations are met, never past one that still owes. A checkpoint stored too early is invisible while the session
 * lasts (the obligation is still met later); it loses a document only when the session ends at the wrong moment,
 * which random histories hit rarely. So these tests are deterministic: most drive one receiving session by hand
 * (the test writes what the sender would send and reads the checkpoint after every message), and the last ones run
 * two sessions over {@link Net} with a fixed seed, cut the connection after every single message of the session in
 * turn, reconnect and check that nothing was lost — and, after every message, that the stored checkpoints claim
 * nothing the receiver does not hold.
 *
 * <p>The bugs each test catches, planted by hand one at a time, are listed in docs/SYNC-PROTOCOL.md ("Testing the
 * checkpoint").
 */
class CheckpointObligationTest {
    private static final String CARS = "cars";
    /** B's subscription: a document whose k changes leaves it, and is hinted from then on. */
    private static final Subscription K1 = sub(CARS, "k = 1");

    private static DocRef ref(String id) {
        return FakeStore.ref(CARS, id);
    }

    private static <T> List<T> only(List<Message> sent, Class<T> type) {
        List<T> l = new ArrayList<>();
        for (Message m : sent) {
            if (type.isInstance(m)) l.add(type.cast(m));
        }
        return l;
    }

    /**
     * B's side of a session with A, where the test writes A's messages (A's store only provides states and
     * sequence numbers). B subscribes to {@code cars WHERE k = 1}.
     */
    private static final class Receiving {
        final FakeStore a = new FakeStore(1), b = new FakeStore(2);
        final SessionConfig config;
        SyncSession session;
        Net.Recorder events;
        /** Everything B sent in the current session. */
        final List<Message> out = new ArrayList<>();
        /** Where in {@link #out} B's sending half had sent its own rows (what comes after are push-backs). */
        private int ownRowsSent;

        private long batchNo, seq, hlc = 100;

        Receiving(SessionConfig config) {
            this.config = config;
            b.subscriptions = List.of(K1);
        }

        Receiving() {
            this(SessionConfig.defaults());
        }

        long t() {
            return hlc++;
        }

        /** A new session; A resumes after the checkpoint B announces in its first SUBSCRIPTIONS, which is returned. */
        Subscriptions connect() {
            events = new Net.Recorder();
            session = new SyncSession(b, config, events);
            out.clear();
            ownRowsSent = 0;
            batchNo = 0;
            session.setSubscriptions(b.subscriptions);
            out.addAll(session.start());
            feed(new Hello(1, a.appId, a.peerId, a.incarnation, 0, config.maxFrameBytes(), 0));
            Subscriptions first = only(out, Subscriptions.class).get(0);
            seq = first.checkpointIncarnation() == a.incarnation ? first.checkpointSequence() : 0;
            return first;
        }

        List<Message> feed(Message m) {
            List<Message> o = session.onMessage(m);
            out.addAll(o);
            return o;
        }

        /** A's next batch, for A's sequence range up to {@code toSeq}. */
        List<Message> batch(long toSeq, boolean continued, Entry... entries) {
            Batch m = new Batch(++batchNo, 1, seq, toSeq, continued, List.of(entries), List.of());
            seq = toSeq;
            return feed(m);
        }

        /** A's next batch, up to A's last sequence. */
        List<Message> batch(Entry... entries) {
            return batch(a.lastSequence(), false, entries);
        }

        DocEntry doc(String id) {
            Row r = a.rowOf(CARS, FakeStore.id(id));
            return new DocEntry(CARS, r.id(), r.group(), r.state());
        }

        HintEntry hint(String id) {
            return new HintEntry(CARS, FakeStore.id(id), Digests.of(a.bytes(ref(id))));
        }

        long seqOf(String id) {
            return a.rowOf(CARS, FakeStore.id(id)).sequence();
        }

        /** A writes a document B subscribes to, and B holds a copy of it: a stale copy once A writes again. */
        void shared(String id) {
            a.insert(CARS, id, obj("k", 1, "v", id), t());
            b.txn().put(CARS, id, a.state(CARS, id));
        }

        /** A's document leaves B's subscription: A hints it from now on, and B's copy is stale. */
        void leaves(String id) {
            a.update(CARS, id, "k", Value.of(2), t());
        }

        /** Where B's checkpoint of A stands (0: none stored). */
        long checkpoint() {
            Checkpoint c = b.checkpoint(a.peerId);
            return c == null ? 0 : c.sequence();
        }

        Request lastRequest() {
            List<Request> l = only(out, Request.class);
            assertThat(l).as("requests sent").isNotEmpty();
            return l.get(l.size() - 1);
        }

        /** A's answer to a request: its states of the documents, in one DOCS part. */
        List<Message> answer(Request r) {
            List<Entry> entries = new ArrayList<>();
            for (DocRef d : r.docs()) entries.add(doc(new String(d.id(), StandardCharsets.UTF_8)));
            return feed(new Docs(r.requestNo(), 0, false, entries));
        }

        /** A subscribes to every car: B's sending half starts, and its first batch (B's rows) is acknowledged. */
        void aSubscribesToEverything() {
            feed(new Subscriptions(1, 0, 0, List.of(new Subscriptions.Item(sub(CARS, "*"), false)), List.of(CARS)));
            acknowledgeB();
            ownRowsSent = out.size();
        }

        /** A acknowledges every batch B sent so far. */
        void acknowledgeB() {
            List<Batch> sent = only(out, Batch.class);
            if (!sent.isEmpty()) feed(new Ack(sent.get(sent.size() - 1).batchNo()));
        }

        /** The batches B's sending half sent since its own rows that carry documents: push-backs. */
        List<Batch> pushBacks() {
            List<Batch> l = new ArrayList<>();
            for (Batch x : only(out.subList(ownRowsSent, out.size()), Batch.class)) {
                if (!x.entries().isEmpty()) l.add(x);
            }
            return l;
        }
    }

    // ---- hints ----------------------------------------------------------------------------------------

    @Test
    void theCheckpointWaitsUntilAHintedDocumentHasArrivedInFull() {
        Receiving r = new Receiving();
        r.shared("h");
        r.a.insert(CARS, "m0", obj("k", 1), r.t());
        r.connect();
        r.batch(r.doc("m0"));
        long before = r.checkpoint();
        assertThat(before).isEqualTo(r.a.lastSequence());

        r.leaves("h");
        r.a.insert(CARS, "m1", obj("k", 1), r.t());
        List<Message> out = r.batch(r.hint("h"), r.doc("m1"));
        assertThat(r.b.holds(CARS, "m1"))
                .as("the batch's documents are applied at once")
                .isTrue();
        assertThat(out).as("and acknowledged").contains(new Ack(2));
        assertThat(r.checkpoint()).as("held back behind the hint").isEqualTo(before);
        Request request = r.lastRequest();
        assertThat(request.docs()).containsExactly(ref("h"));
        assertThat(r.checkpoint()).as("requesting is not receiving").isEqualTo(before);

        // the answer comes in two parts: the hint is met by the last one
        byte[] state = r.a.bytes(ref("h"));
        long group = r.a.rowOf(CARS, FakeStore.id("h")).group();
        byte[] id = FakeStore.id("h");
        r.feed(new Docs(
                request.requestNo(),
                0,
                true,
                List.of(new PartEntry(CARS, id, group, Arrays.copyOf(state, state.length / 2)))));
        assertThat(r.checkpoint()).as("half a document is not the document").isEqualTo(before);
        r.feed(new Docs(
                request.requestNo(),
                1,
                false,
                List.of(new DocEntry(CARS, id, group, Arrays.copyOfRange(state, state.length / 2, state.length)))));
        assertThat(r.b.bytes(ref("h"))).isEqualTo(state);
        assertThat(r.checkpoint())
                .as("met: the checkpoint moves past the batch")
                .isEqualTo(r.a.lastSequence());
        assertThat(r.session.isClosed()).isFalse();
    }

    @Test
    void laterBatchesWaitBehindAnEarlierOneThatOwesAndMoveWithIt() {
        Receiving r = new Receiving();
        r.shared("h1");
        r.shared("h2");
        r.connect();
        r.batch();
        long start = r.checkpoint();

        r.leaves("h1");
        r.batch(r.hint("h1")); // batch 2 owes h1: request 1
        r.a.insert(CARS, "m1", obj("k", 1), r.t());
        r.a.insert(CARS, "m2", obj("k", 1), r.t());
        r.batch(r.doc("m1"), r.doc("m2")); // batch 3 owes nothing itself
        long third = r.a.lastSequence();
        r.leaves("h2");
        r.batch(r.hint("h2")); // batch 4 owes h2: requested once request 1 is answered
        r.a.insert(CARS, "m3", obj("k", 1), r.t());
        r.batch(r.doc("m3"));
        assertThat(r.b.holds(CARS, "m1") && r.b.holds(CARS, "m2") && r.b.holds(CARS, "m3"))
                .isTrue();
        assertThat(r.checkpoint()).as("every batch waits behind batch 2").isEqualTo(start);
        assertThat(only(r.out, Request.class)).hasSize(1);

        r.answer(r.lastRequest()); // h1 arrives late, after three more batches
        assertThat(r.checkpoint())
                .as("over batches 2 and 3, not past batch 4, which owes h2")
                .isEqualTo(third);
        Request second = r.lastRequest();
        assertThat(second.docs()).containsExactly(ref("h2"));

        r.answer(second);
        assertThat(r.checkpoint()).isEqualTo(r.a.lastSequence());
        assertThat(r.b.bytes(ref("h1"))).isEqualTo(r.a.bytes(ref("h1")));
        assertThat(r.b.bytes(ref("h2"))).isEqualTo(r.a.bytes(ref("h2")));
    }

    @Test
    void atMost64BatchesWaitAndLaterOnesShareTheLastOnesObligations() {
        Receiving r = new Receiving();
        int n = Receiver.MAX_HELD_BACK + 6; // 70 batches, each owing one hinted document
        for (int i = 1; i <= n; i++) r.shared("h" + i);
        r.connect();
        long[] toSeq = new long[n + 1];
        for (int i = 1; i <= n; i++) {
            r.leaves("h" + i);
            r.batch(r.hint("h" + i));
            toSeq[i] = r.a.lastSequence();
        }
        assertThat(r.session.receiver().heldBackBatches()).isEqualTo(Receiver.MAX_HELD_BACK);
        assertThat(r.checkpoint()).isZero();

        Request first = r.lastRequest(); // sent after batch 1: h1 alone
        assertThat(first.docs()).containsExactly(ref("h1"));
        r.answer(first);
        assertThat(r.checkpoint()).isEqualTo(toSeq[1]);

        Request second = r.lastRequest(); // h2 … h65: 64 documents
        assertThat(second.docs()).hasSize(Receiver.MAX_REQUEST_DOCS).startsWith(ref("h2"));
        r.answer(second);
        // batches 2 … 63 are tracked alone and met; batch 64 shares its obligations with 65 … 70, and h66 … h70 are
        // still owed
        assertThat(r.checkpoint()).isEqualTo(toSeq[Receiver.MAX_HELD_BACK - 1]);

        r.answer(r.lastRequest());
        assertThat(r.checkpoint()).isEqualTo(toSeq[n]);
        assertThat(r.session.receiver().heldBackBatches()).isZero();
        for (int i = 1; i <= n; i++) assertThat(r.b.bytes(ref("h" + i))).isEqualTo(r.a.bytes(ref("h" + i)));
    }

    // ---- push-backs -----------------------------------------------------------------------------------

    /** A writes p; B holds A's state of it plus a write of its own: what A sends of p is older than B's. */
    private static void bHoldsANewerCopy(Receiving r, String id) {
        r.shared(id);
        r.b.update(CARS, id, "w", Value.of("b's"), r.t());
    }

    @Test
    void aPushBackHoldsTheCheckpointUntilTheSenderAcknowledgesIt() {
        Receiving r = new Receiving();
        bHoldsANewerCopy(r, "p");
        r.a.insert(CARS, "m0", obj("k", 1), r.t());
        r.connect();
        r.aSubscribesToEverything();
        r.batch(r.doc("m0"));
        long before = r.checkpoint();
        assertThat(before).isPositive();

        r.a.insert(CARS, "m1", obj("k", 1), r.t());
        r.batch(r.doc("p"), r.doc("m1")); // A's p is older than B's: B pushes its state back
        assertThat(r.b.holds(CARS, "m1")).isTrue();
        assertThat(r.pushBacks()).hasSize(1);
        Batch push = r.pushBacks().get(0);
        assertThat(push.entries())
                .singleElement()
                .satisfies(e -> assertThat(e.ref()).isEqualTo(ref("p")));
        long owed = r.a.lastSequence();
        assertThat(r.checkpoint()).as("the push-back is owed: held back").isEqualTo(before);
        assertThat(r.b.checkpointWrites)
                .as("never written past the batch, not even for a moment (a crash would keep it)")
                .noneMatch(c -> c.sequence() >= owed);

        // the session ends before A acknowledged the push-back: the next one starts before the batch, so A sends
        // its p again and B pushes back again
        r.session.close("gone");
        assertThat(r.connect().checkpointSequence()).isEqualTo(before);
        r.aSubscribesToEverything();
        r.batch(r.doc("p"));
        Batch again = r.pushBacks().get(r.pushBacks().size() - 1);
        assertThat(again.entries())
                .singleElement()
                .satisfies(e -> assertThat(e.ref()).isEqualTo(ref("p")));
        assertThat(r.checkpoint()).isEqualTo(before);

        r.feed(new Ack(again.batchNo()));
        assertThat(r.checkpoint()).as("acknowledged: met").isEqualTo(r.a.lastSequence());
    }

    @Test
    void anObligationMetEarlyDoesNotMoveTheCheckpointPastAnEarlierOneStillOwed() {
        Receiving r = new Receiving();
        r.shared("h");
        bHoldsANewerCopy(r, "p");
        r.connect();
        r.aSubscribesToEverything();
        r.batch();
        long start = r.checkpoint();

        r.leaves("h");
        r.batch(r.hint("h")); // batch 2 owes h
        r.a.insert(CARS, "m1", obj("k", 1), r.t());
        r.batch(r.doc("p"), r.doc("m1")); // batch 3 owes a push-back of p
        Batch push = r.pushBacks().get(r.pushBacks().size() - 1);
        assertThat(push.entries())
                .singleElement()
                .satisfies(e -> assertThat(e.ref()).isEqualTo(ref("p")));

        r.feed(new Ack(push.batchNo())); // batch 3's obligation is met first
        assertThat(r.checkpoint()).as("batch 2 still owes h: nothing moves").isEqualTo(start);
        r.answer(r.lastRequest());
        assertThat(r.checkpoint()).as("both met").isEqualTo(r.a.lastSequence());
    }

    // ---- groups -----------------------------------------------------------------------------------------

    @Test
    void aContinuedGroupIsAppliedAndCheckpointedOnlyWhenItEnds() {
        Receiving r = new Receiving();
        r.shared("h");
        r.connect();
        r.batch();
        long start = r.checkpoint();

        FakeStore.Txn txn = r.a.txn(); // one transaction: g1, h leaves, big, g2
        txn.insert(CARS, "g1", obj("k", 1), r.t());
        txn.update(CARS, "h", "k", Value.of(2), r.t());
        txn.insert(CARS, "big", obj("k", 1, "pad", "b".repeat(3000)), r.t());
        txn.insert(CARS, "g2", obj("k", 1), r.t());
        byte[] big = r.a.bytes(ref("big"));
        long group = r.a.rowOf(CARS, FakeStore.id("big")).group();
        int applies = r.b.applyCalls.size();

        List<Message> out = r.batch(r.seqOf("h"), true, r.doc("g1"), r.hint("h"));
        assertThat(out).contains(new Ack(2));
        assertThat(r.session.receiver().inGroup()).isTrue();
        r.answer(r.lastRequest()); // the group's hint is answered before the group ends
        r.batch(r.seqOf("h"), true, new PartEntry(CARS, FakeStore.id("big"), group, Arrays.copyOf(big, 1000)));
        assertThat(r.b.holds(CARS, "g1")).as("held until the group ends").isFalse();
        assertThat(r.checkpoint()).as("nothing of the group is checkpointed").isEqualTo(start);

        r.batch(
                r.a.lastSequence(),
                false,
                new DocEntry(CARS, FakeStore.id("big"), group, Arrays.copyOfRange(big, 1000, big.length)),
                r.doc("g2"));
        assertThat(r.session.receiver().inGroup()).isFalse();
        assertThat(r.b.applyCalls.subList(applies, r.b.applyCalls.size()))
                .as("the group in one apply (and the answer to h before it)")
                .anySatisfy(call -> assertThat(call).hasSize(3));
        assertThat(r.b.bytes(ref("big"))).isEqualTo(big);
        assertThat(r.checkpoint()).isEqualTo(r.a.lastSequence());
    }

    @Test
    void aHintInAContinuedGroupHoldsTheGroupsCheckpoint() {
        Receiving r = new Receiving();
        r.shared("h");
        r.connect();
        r.batch();
        long start = r.checkpoint();

        FakeStore.Txn txn = r.a.txn();
        txn.update(CARS, "h", "k", Value.of(2), r.t());
        txn.insert(CARS, "g1", obj("k", 1), r.t());
        txn.insert(CARS, "g2", obj("k", 1), r.t());
        r.batch(r.seqOf("h"), true, r.hint("h")); // the hint is in the group's first batch
        r.batch(r.seqOf("g1"), true, r.doc("g1"));
        r.batch(r.a.lastSequence(), false, r.doc("g2")); // the group ends; h is still owed
        assertThat(r.b.holds(CARS, "g2")).isTrue();
        assertThat(r.checkpoint()).isEqualTo(start);
        r.answer(r.lastRequest());
        assertThat(r.checkpoint()).isEqualTo(r.a.lastSequence());
    }

    @Test
    void aGroupAppliedInPiecesIsCheckpointedOnlyAtItsEnd() {
        SessionConfig cfg = SessionConfig.builder()
                .maxFrameBytes(64 << 10)
                .maxGroupBytes(64 << 10)
                .build();
        Receiving r = new Receiving(cfg);
        r.connect();
        r.a.insert(CARS, "m0", obj("k", 1), r.t());
        r.batch(r.doc("m0"));
        long start = r.checkpoint();

        FakeStore.Txn txn = r.a.txn();
        for (int i = 0; i < 6; i++) txn.insert(CARS, "g" + i, obj("k", 1, "pad", "p".repeat(20_000)), r.t());
        r.batch(r.seqOf("g1"), true, r.doc("g0"), r.doc("g1"));
        r.batch(r.seqOf("g3"), true, r.doc("g2"), r.doc("g3")); // beyond maxGroupBytes: applied, without atomicity
        assertThat(r.b.holds(CARS, "g0")).isTrue();
        assertThat(r.events.warnings).hasSize(1);
        assertThat(r.checkpoint()).as("a piece is not the group").isEqualTo(start);
        r.batch(r.a.lastSequence(), false, r.doc("g4"), r.doc("g5"));
        assertThat(r.checkpoint()).isEqualTo(r.a.lastSequence());
    }

    // ---- sessions that end ------------------------------------------------------------------------------

    @Test
    void aSessionThatEndsBeforeItsHintIsAnsweredResumesBeforeTheHint() {
        Receiving r = new Receiving();
        r.shared("h");
        r.connect();
        r.batch();
        long start = r.checkpoint();
        r.leaves("h");
        r.a.insert(CARS, "m1", obj("k", 1), r.t());
        r.batch(r.seqOf("h"), false, r.hint("h"));
        r.batch(r.doc("m1"));
        Request request = r.lastRequest();
        SyncSession old = r.session;
        old.close("the transport went away");

        assertThat(old.onMessage(new Docs(request.requestNo(), 0, false, List.of(r.doc("h")))))
                .as("an answer that arrives after the end changes nothing")
                .isEmpty();
        assertThat(r.b.bytes(ref("h"))).isNotEqualTo(r.a.bytes(ref("h")));
        assertThat(r.checkpoint()).isEqualTo(start);

        assertThat(r.connect().checkpointSequence())
                .as("the next session resumes before the hint")
                .isEqualTo(start);
        r.batch(r.seqOf("h"), false, r.hint("h")); // so A hints again
        r.batch(r.doc("m1"));
        assertThat(r.lastRequest().docs()).containsExactly(ref("h"));
        r.answer(r.lastRequest());
        assertThat(r.b.bytes(ref("h"))).isEqualTo(r.a.bytes(ref("h")));
        assertThat(r.checkpoint()).isEqualTo(r.a.lastSequence());
    }

    @Test
    void aRequestNeverAnsweredTimesOutAndTheNextSessionAsksAgain() {
        Receiving r = new Receiving();
        r.shared("h");
        r.connect();
        r.aSubscribesToEverything();
        r.session.onTick(0);
        r.batch();
        long start = r.checkpoint();
        r.leaves("h");
        r.batch(r.hint("h"));
        r.session.onTick(1);
        r.session.onTick(1 + r.config.progressTimeoutMillis() + 1);
        assertThat(r.session.closeReason()).isEqualTo(SyncSession.TIMEOUT);
        assertThat(r.events.closedMessage).contains("no answer");
        assertThat(r.checkpoint()).isEqualTo(start);

        assertThat(r.connect().checkpointSequence()).isEqualTo(start);
        r.aSubscribesToEverything();
        r.batch(r.hint("h"));
        r.answer(r.lastRequest());
        assertThat(r.b.bytes(ref("h"))).isEqualTo(r.a.bytes(ref("h")));
        assertThat(r.checkpoint()).isEqualTo(r.a.lastSequence());
    }

    /**
     * The receiver waits for its remote while its SUBSCRIPTIONS is unacknowledged or a request is unanswered, and
     * times out only after a whole progressTimeoutMillis in which nothing arrived: every batch or DOCS part starts
     * the wait anew, and with nothing asked there is nothing to wait for.
     */
    @Test
    void theReceiverTimesOutOnlyAfterAWholeProgressTimeoutWithoutAnswers() {
        Receiving unacknowledged = new Receiving();
        long p = unacknowledged.config.progressTimeoutMillis();
        unacknowledged.connect();
        unacknowledged.aSubscribesToEverything();
        unacknowledged.session.onTick(0);
        unacknowledged.session.onTick(p);
        assertThat(unacknowledged.session.isClosed())
                .as("SUBSCRIPTIONS unacknowledged for exactly the timeout")
                .isFalse();
        unacknowledged.session.onTick(p + 1);
        assertThat(unacknowledged.session.closeReason()).isEqualTo(SyncSession.TIMEOUT);
        assertThat(unacknowledged.events.closedMessage).contains("no answer");

        Receiving r = new Receiving();
        r.shared("h");
        r.connect();
        r.aSubscribesToEverything();
        r.session.onTick(0);
        r.batch(); // acknowledges B's subscriptions
        r.session.onTick(10 * p);
        r.session.onTick(20 * p);
        assertThat(r.session.isClosed())
                .as("nothing asked, nothing to wait for")
                .isFalse();

        r.leaves("h");
        r.batch(r.hint("h"));
        Request request = r.lastRequest();
        r.session.onTick(20 * p + 1);
        r.session.onTick(21 * p + 1);
        assertThat(r.session.isClosed())
                .as("the request waited exactly the timeout")
                .isFalse();
        byte[] state = r.a.bytes(ref("h"));
        byte[] id = FakeStore.id("h");
        long group = r.a.rowOf(CARS, id).group();
        r.feed(new Docs(
                request.requestNo(),
                0,
                true,
                List.of(new PartEntry(CARS, id, group, Arrays.copyOf(state, state.length / 2)))));
        r.session.onTick(22 * p);
        r.session.onTick(23 * p);
        assertThat(r.session.isClosed())
                .as("a DOCS part is an answer: the wait starts anew")
                .isFalse();
        r.session.onTick(23 * p + 1);
        assertThat(r.session.closeReason()).isEqualTo(SyncSession.TIMEOUT);
        assertThat(r.checkpoint()).as("the hint was never met").isLessThan(r.a.lastSequence());
    }

    /** A batch that arrives twice (the remote resent it after a lost ACK) is acknowledged again and applied once. */
    @Test
    void aDuplicateBatchIsAcknowledgedAgainAndChangesNothing() {
        Receiving r = new Receiving();
        r.a.insert(CARS, "m0", obj("k", 1), r.t());
        r.connect();
        Batch first = new Batch(1, 1, 0, r.a.lastSequence(), false, List.of(r.doc("m0")), List.of());
        assertThat(r.feed(first)).contains(new Ack(1));
        long checkpoint = r.checkpoint();
        byte[] held = r.b.bytes(ref("m0"));
        assertThat(r.feed(first)).as("acknowledged again").containsExactly(new Ack(1));
        assertThat(r.checkpoint()).isEqualTo(checkpoint);
        assertThat(r.b.bytes(ref("m0"))).isEqualTo(held);
        assertThat(r.session.isClosed()).isFalse();
    }

    // ---- zombies ----------------------------------------------------------------------------------------

    @Test
    void aRefusedZombieHoldsTheCheckpointForTheRestOfTheSession() {
        Receiving r = new Receiving();
        r.b.horizon = 50; // B purged tombstones older than 50 and holds no row of "ghost", written at 5
        r.a.insert(CARS, "m0", obj("k", 1), r.t());
        r.a.insert(CARS, "ghost", obj("k", 1), 5);
        r.a.insert(CARS, "m1", obj("k", 1), r.t());
        r.connect();
        r.batch(r.seqOf("m0"), false, r.doc("m0"));
        long before = r.checkpoint();
        assertThat(before).isEqualTo(r.seqOf("m0"));

        List<Message> sent = r.batch(r.seqOf("ghost"), false, r.doc("ghost"));
        assertThat(only(sent, Zombies.class))
                .singleElement()
                .satisfies(z -> assertThat(z.docs()).containsExactly(ref("ghost")));
        assertThat(only(sent, Ack.class)).as("acknowledged all the same").hasSize(1);
        assertThat(r.b.holds(CARS, "ghost")).isFalse();
        assertThat(r.checkpoint())
                .as("not past the zombie: A may never hear of it")
                .isEqualTo(before);

        r.batch(r.doc("m1")); // later batches are applied, and wait behind it for the rest of the session
        assertThat(r.b.holds(CARS, "m1")).isTrue();
        assertThat(r.checkpoint()).isEqualTo(before);
        assertThat(r.b.checkpointWrites).allMatch(c -> c.sequence() <= before, "no checkpoint written past it");

        r.session.close("done");
        assertThat(r.connect().checkpointSequence())
                .as("the next session resends the zombie's batch")
                .isEqualTo(before);
    }

    /**
     * A holds "ghost", written long ago (at 5), and "fresh"; B purged tombstones older than 1,000, holds no row of
     * ghost and subscribes to every car, so it refuses A's ghost as a zombie and answers ZOMBIES.
     */
    private static final class Zombie {
        final Net net = new Net(40);
        final FakeStore a = new FakeStore(1), b = new FakeStore(2);

        Zombie() {
            a.insert(CARS, "ghost", obj("k", 1, "y", 2.5), 5);
            a.insert(CARS, "fresh", obj("k", 1), 5000);
            b.horizon = 1000;
            b.subscriptions = List.of(sub(CARS, "*"));
        }

        /**
         * A session in which every ZOMBIES that B sends is lost on its way, and every other message arrives; A writes
         * once more after the zombie's batch was acknowledged, so a later batch must wait behind it too.
         */
        Net.Conn sessionLosingZombies() {
            Net.Conn c = net.connect(a, b);
            int lost = runLosingZombies(c);
            a.insert(CARS, "later", obj("k", 1), 5500);
            net.localChange(a);
            lost += runLosingZombies(c);
            assertThat(b.holds(CARS, "later")).isTrue();
            assertThat(lost).as("ZOMBIES lost").isEqualTo(1);
            assertThat(c.fromA.lastAckReceived).as("A's batches acknowledged").isEqualTo(c.fromA.lastBatchSent);
            assertThat(c.sa.ackedSequence()).isEqualTo(a.lastSequence());
            c.disconnect();
            return c;
        }

        private int runLosingZombies(Net.Conn c) {
            int lost = 0;
            do {
                int queued = c.fromB.queue.size();
                c.fromB.queue.removeIf(m -> m instanceof Zombies);
                lost += queued - c.fromB.queue.size();
            } while (net.step());
            return lost;
        }

        Net.Conn session() {
            Net.Conn c = net.connect(a, b);
            net.runUntilQuiet();
            assertThat(c.open()).isTrue();
            return c;
        }

        long checkpoint() {
            Checkpoint c = b.checkpoint(a.peerId);
            return c == null ? 0 : c.sequence();
        }

        /** A never heard of the refusal and still holds its copy; B's checkpoint stayed below it. */
        void aStillHoldsTheZombie() {
            assertThat(a.holds(CARS, "ghost")).isTrue();
            assertThat(b.holds(CARS, "fresh"))
                    .as("the rest of the batch applied")
                    .isTrue();
            assertThat(b.holds(CARS, "ghost")).isFalse();
            assertThat(checkpoint())
                    .as("B's checkpoint of A stays below the zombie")
                    .isLessThan(a.rowOf(CARS, FakeStore.id("ghost")).sequence());
        }

        /** The next session tells A again and A evicts its copy; the one after finds nothing left to refuse. */
        void theNextSessionsTellAAgain() {
            Net.Conn second = session();
            assertThat(only(second.fromB.sent, Zombies.class))
                    .as("ZOMBIES repeated")
                    .singleElement()
                    .satisfies(z -> assertThat(z.docs()).containsExactly(ref("ghost")));
            assertThat(a.holds(CARS, "ghost")).as("A evicted its copy").isFalse();
            second.disconnect();

            Net.Conn third = session();
            assertThat(only(third.fromB.sent, Zombies.class)).isEmpty();
            assertThat(checkpoint()).as("B's checkpoint moved on").isEqualTo(a.lastSequence());
            assertThat(contents(b)).isEqualTo(contents(a));
        }
    }

    /** Every document a store holds, with its state in hex (arrays compare by identity). */
    private static Map<DocRef, String> contents(FakeStore s) {
        Map<DocRef, String> m = new LinkedHashMap<>();
        s.all().forEach((k, v) -> m.put(k, HexFormat.of().formatHex(v)));
        return m;
    }

    @Test
    void aLostZombiesAnswerIsRepeatedInTheNextSession() {
        Zombie z = new Zombie();
        z.sessionLosingZombies();
        z.aStillHoldsTheZombie();
        z.theNextSessionsTellAAgain();
    }

    @Test
    void aConnectionBrokenAfterTheRefusalWasCommittedAndBeforeZombiesWasSentRepeatsIt() {
        Zombie z = new Zombie();
        Net.Conn c = z.net.connect(z.a, z.b);
        while (only(c.fromB.sent, Zombies.class).isEmpty()) {
            assertThat(z.net.step()).as("B refuses the zombie").isTrue();
        }
        c.disconnect(); // B committed the batch; its ZOMBIES and ACK never reach the wire
        z.aStillHoldsTheZombie();
        z.theNextSessionsTellAAgain();
    }

    @Test
    void aZombieTheRefusingPeerLaterWritesItselfIsMergedNotRefusedAgain() {
        Zombie z = new Zombie();
        z.sessionLosingZombies(); // A subscribes to nothing: B's own writes do not reach it
        z.aStillHoldsTheZombie();
        z.b.insert(CARS, "ghost", obj("k", 1, "z", 1), 6000); // B holds a row of it now: A's copy is no zombie

        Net.Conn second = z.session();
        assertThat(only(second.fromB.sent, Zombies.class))
                .as("the stale refusal not repeated")
                .isEmpty();
        assertThat(z.a.holds(CARS, "ghost")).isTrue();
        assertThat(z.b.field(CARS, "ghost", "y")).as("B got A's write").isEqualTo(Value.of(2.5));
        assertThat(z.checkpoint()).as("B's checkpoint moved on").isEqualTo(z.a.lastSequence());

        z.net.setSubscriptions(z.a, List.of(sub(CARS, "*"))); // now A wants B's cars too
        z.net.runUntilQuiet();
        assertThat(contents(z.a)).isEqualTo(contents(z.b));
        assertThat(z.a.field(CARS, "ghost", "y")).isEqualTo(Value.of(2.5));
        assertThat(z.a.field(CARS, "ghost", "z")).isEqualTo(Value.of(1));
    }

    // ---- a disconnect at every step -------------------------------------------------------------------

    private static final SessionConfig SMALL = SessionConfig.builder()
            .maxFrameBytes(64 << 10)
            .batchBytes(8 << 10)
            .window(2)
            .build();

    /**
     * A and B after a history that leaves work of every kind for their next session. A subscribes to every car, B
     * to {@code k = 1}; they met before. Since then B got a stale copy of x from C (A's x no longer matches B), and
     * A made writes of every kind: documents leaving B's subscription while B holds copies (hints), a transaction
     * larger than a frame with a hint inside (a continued group), a state larger than a frame (parts), a delete, an
     * update and an insert. In their next session A hints, B requests, B sends its stale x and A pushes its own
     * back, and the group and the large state take several batches.
     */
    private static final class Scenario {
        final Net net = new Net(12);
        final FakeStore a = new FakeStore(1), b = new FakeStore(2), c = new FakeStore(3);
        private long hlc = 100;

        Scenario() {
            for (int i = 0; i < 6; i++) a.insert(CARS, "m" + i, obj("k", 1, "v", i), hlc++);
            for (int i = 0; i < 5; i++) a.insert(CARS, "h" + i, obj("k", 1, "v", i), hlc++);
            a.insert(CARS, "x", obj("k", 1), hlc++);
            c.subscriptions = List.of(sub(CARS, "*"));
            net.connect(a, c);
            quietAndClosed();
            a.update(CARS, "x", "k", Value.of(2), hlc++); // C's x is stale now
            a.subscriptions = List.of(sub(CARS, "*"));
            b.subscriptions = List.of(K1);
            // B holds cars from the start: its checkpoint of A owes no hint pass, which would repair x before the
            // push-back this scenario is about
            b.insert(CARS, "b0", obj("k", 1), hlc++);
            net.connect(a, b);
            quietAndClosed();
            net.connect(b, c); // B gets the stale x from C
            quietAndClosed();
            assertThat(b.field(CARS, "x", "k")).isEqualTo(Value.of(1));

            for (int i = 0; i < 4; i++) a.update(CARS, "h" + i, "k", Value.of(2), hlc++);
            a.insert(CARS, "m6", obj("k", 1), hlc++);
            FakeStore.Txn txn = a.txn();
            for (int i = 0; i < 12; i++) {
                if (i == 6) txn.update(CARS, "h4", "k", Value.of(2), hlc++);
                txn.insert(CARS, "g" + i, obj("k", 1, "pad", "g".repeat(6000)), hlc++);
            }
            a.insert(CARS, "huge", obj("k", 1, "pad", "u".repeat(150_000)), hlc++);
            a.delete(CARS, "m0", hlc++);
            a.update(CARS, "m1", "v", Value.of("changed"), hlc++);
        }

        private void quietAndClosed() {
            net.runUntilQuiet();
            for (Net.Conn conn : net.open()) conn.disconnect();
        }

        /** Where the current session resumed: B's checkpoint of A, and A's of B. */
        long bResumedAt, aResumedAt;

        Net.Conn connect() {
            bResumedAt = resumePoint(a, b);
            aResumedAt = resumePoint(b, a);
            return net.connect(a, b, SMALL, false);
        }

        private static long resumePoint(FakeStore sender, FakeStore receiver) {
            Checkpoint c = receiver.checkpoint(sender.peerId);
            return c == null || c.incarnation() != sender.incarnation ? 0 : c.sequence();
        }
    }

    /**
     * What {@code receiver}'s stored checkpoint of {@code sender} claims, checked against what it holds: every row of
     * the sender that the session examined ({@code resumedAt} &lt; sequence &le; checkpoint), for the subscriptions the
     * checkpoint covers, is in the receiver, merged in — the matching documents, the tombstones of the collection and
     * the other documents it holds a copy of (hinted). Rows at or below {@code resumedAt} were claimed by earlier
     * sessions, when the receiver may have held other copies (a stale copy acquired since is what push-backs repair).
     */
    private static void checkpointHolds(FakeStore sender, FakeStore receiver, long resumedAt, String when) {
        Checkpoint c = receiver.checkpoint(sender.peerId);
        if (c == null || c.incarnation() != sender.incarnation) return;
        List<Subscription> covered = new ArrayList<>();
        Set<String> collections = new LinkedHashSet<>();
        for (Subscription s : receiver.subscriptions) {
            if (c.covered().contains(s.key())) {
                covered.add(s);
                collections.add(s.collection());
            }
        }
        for (Row row : sender.rowsUpTo(c.sequence())) {
            if (row.sequence() <= resumedAt || !collections.contains(row.collection())) continue;
            DocRef ref = new DocRef(row.collection(), row.id());
            byte[] ours = receiver.bytes(ref);
            boolean wanted = !row.live() || ours != null;
            for (Subscription s : covered) wanted |= receiver.matches(s, row);
            if (!wanted || Arrays.equals(ours, row.state())) continue;
            String what = when + ": " + receiver + "'s checkpoint of " + sender + " at " + c.sequence() + " passed row "
                    + row.sequence() + " (" + ref + ")";
            assertThat(ours).as("%s, which it does not hold", what).isNotNull();
            byte[] merged = DocumentState.decode(ours)
                    .merge(DocumentState.decode(row.state()))
                    .encode();
            assertThat(merged).as("%s, and holds an older state", what).isEqualTo(ours);
        }
    }

    /** Both directions done: every car of A that B wants is at B, every car of B at A, and copies are identical. */
    private static void converged(Scenario s, String when) {
        Map<DocRef, byte[]> atA = s.a.all(), atB = s.b.all();
        for (Map.Entry<DocRef, byte[]> e : atA.entrySet()) {
            Row row = s.a.rowOf(e.getKey().collection(), e.getKey().id());
            boolean wanted = !row.live() || atB.containsKey(e.getKey()) || s.b.matches(K1, row);
            if (wanted)
                assertThat(atB.get(e.getKey()))
                        .as("%s: B holds A's state of %s", when, e.getKey())
                        .isEqualTo(e.getValue());
        }
        for (Map.Entry<DocRef, byte[]> e : atB.entrySet()) {
            assertThat(atA.get(e.getKey()))
                    .as("%s: A holds B's state of %s", when, e.getKey())
                    .isEqualTo(e.getValue());
        }
    }

    /** Delivers one message; then neither stored checkpoint may claim what its store does not hold. */
    private static boolean stepChecked(Scenario s, String when) {
        if (!s.net.step()) return false;
        checkpointHolds(s.a, s.b, s.bResumedAt, when);
        checkpointHolds(s.b, s.a, s.aResumedAt, when);
        return true;
    }

    @Test
    void theScenarioGivesEveryObligationWorkAndCompletes() {
        Scenario s = new Scenario();
        Net.Conn conn = s.connect();
        for (int n = 1; stepChecked(s, "uncut, message " + n); n++) {}
        assertThat(conn.open()).isTrue();
        converged(s, "uncut");
        assertThat(conn.fromA.hints).as("hints").isGreaterThanOrEqualTo(5);
        assertThat(only(conn.fromB.sent, Request.class)).as("requests").isNotEmpty();
        assertThat(conn.fromA.parts).as("a state in parts").isPositive();
        assertThat(only(conn.fromA.sent, Batch.class)).as("a continued group").anyMatch(Batch::continued);
        assertThat(s.b.bytes(ref("x"))).as("x pushed back to B").isEqualTo(s.a.bytes(ref("x")));
    }

    @Test
    void aDisconnectAfterAnyMessageLosesNothingOnceTheNextSessionEnds() {
        int total;
        {
            Scenario s = new Scenario();
            s.connect();
            total = s.net.runUntilQuiet();
        }
        Set<String> seen = new LinkedHashSet<>();
        for (int cut = 0; cut <= total; cut++) {
            Scenario s = new Scenario();
            Net.Conn conn = s.connect();
            String when = "cut after " + cut + " of " + total + " messages";
            for (int n = 1; n <= cut && stepChecked(s, when + ", message " + n); n++) {}
            seen.addAll(stages(conn));
            conn.disconnect();
            s.connect();
            for (int n = 1; stepChecked(s, when + ", next session, message " + n); n++) {}
            converged(s, when);
        }
        // the cuts fell at every stage of a batch's life
        assertThat(seen)
                .containsAll(List.of(
                        "a batch on its way",
                        "a batch applied, its ACK on its way",
                        "acknowledged, its checkpoint held back",
                        "a hinted document not yet received",
                        "between the batches of a group",
                        "a push-back not yet acknowledged"));
    }

    /** Where the session stands: the stages of a batch's life that are in progress. */
    private static Set<String> stages(Net.Conn conn) {
        Set<String> s = new LinkedHashSet<>();
        Receiver b = conn.sb.receiver();
        boolean ackOnItsWay = conn.fromB.queue.stream().anyMatch(m -> m instanceof Ack);
        if (conn.fromA.queue.stream().anyMatch(m -> m instanceof Batch)) s.add("a batch on its way");
        if (ackOnItsWay) s.add("a batch applied, its ACK on its way");
        if (!ackOnItsWay && b.heldBackBatches() > 0) s.add("acknowledged, its checkpoint held back");
        if (b.hintsWaiting() > 0) s.add("a hinted document not yet received");
        if (b.inGroup()) s.add("between the batches of a group");
        if (conn.sa.receiver().heldBackBatches() > 0) s.add("a push-back not yet acknowledged");
        return s;
    }
}
