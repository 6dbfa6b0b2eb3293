package io.starling.internal.sync;

import static io.starling.internal.sync.SyncSessionTest.obj;
import static io.starling.internal.sync.SyncSessionTest.sub;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.core.Value;
import io.starling.internal.sync.Message.Ack;
import io.starling.internal.sync.Message.Batch;
import io.starling.internal.sync.Message.Close;
import io.starling.internal.sync.Message.DocEntry;
import io.starling.internal.sync.Message.Docs;
import io.starling.internal.sync.Message.Entry;
import io.starling.internal.sync.Message.Hello;
import io.starling.internal.sync.Message.HintEntry;
import io.starling.internal.sync.Message.PartEntry;
import io.starling.internal.sync.Message.Request;
import io.starling.internal.sync.Message.Subscriptions;
import io.starling.internal.sync.Message.Summary;
import io.starling.internal.sync.Message.Zombies;
import io.starling.internal.sync.SyncStoreView.Checkpoint;
import io.starling.internal.sync.SyncStoreView.Doc;
import io.starling.internal.sync.SyncStoreView.DocRef;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The receiver against a remote that breaks the rules or pushes its limits (docs/SYNC-PROTOCOL.md, "The receiver"):
 * states and groups beyond maxGroupBytes, more hinted documents than the receiver keeps waiting, requests sized by
 * count, by estimated answer and by frame, DOCS parts duplicated or out of order, a session closed in the middle of
 * a batch or an answer, a store that refuses. Each test drives one receiving session (B) by hand: the test writes
 * what the remote (A) would send and reads what B answers, stores and keeps.
 */
class ReceiverHostilePeerTest {
    private static final String CARS = "cars";
    private static final int FRAME = SessionConfig.MIN_FRAME;

    private final FakeStore a = new FakeStore(1), b = new FakeStore(2);
    private final Hooked store = new Hooked(b);
    private final Net.Recorder events = new Net.Recorder();
    private SyncSession session;
    /** Everything B sent. */
    private final List<Message> out = new ArrayList<>();

    private long batchNo, seq, hlc = 100;

    private void connect(SessionConfig config, long capabilities) {
        b.subscriptions = List.of(sub(CARS, "*"));
        session = new SyncSession(store, config, events);
        session.setSubscriptions(b.subscriptions);
        out.addAll(session.start());
        feed(new Hello(1, a.appId, a.peerId, a.incarnation, capabilities, config.maxFrameBytes(), 0));
    }

    private void connect(SessionConfig config) {
        connect(config, 0);
    }

    private void connect() {
        connect(SessionConfig.defaults());
    }

    /**
     * B's store as the session sees it: {@link FakeStore} {@code b}, with every apply counted (refused ones too) and,
     * on demand, refused as a whole.
     */
    private static final class Hooked implements SyncStoreView {
        final FakeStore s;
        int applies;
        /** Refuses the apply calls from this one on (counted from 1); 0: none. */
        int refuseFrom;

        String refusal = "a timestamp is too far ahead of our clock";

        Hooked(FakeStore s) {
            this.s = s;
        }

        @Override
        public ApplyResult apply(long fromPeer, List<Doc> docs, @Nullable Checkpoint checkpoint) {
            applies++;
            if (refuseFrom > 0 && applies >= refuseFrom)
                throw new RemoteRejectedException(SyncSession.CLOCK_DRIFT, refusal);
            return s.apply(fromPeer, docs, checkpoint);
        }

        @Override
        public long peerId() {
            return s.peerId();
        }

        @Override
        public long incarnation() {
            return s.incarnation();
        }

        @Override
        public String appId() {
            return s.appId();
        }

        @Override
        public long lastSequence() {
            return s.lastSequence();
        }

        @Override
        public List<Row> changesSince(long after, int maxRows) {
            return s.changesSince(after, maxRows);
        }

        @Override
        public List<Row> scanMatching(Subscription subscription, byte @Nullable [] afterId, int maxRows) {
            return s.scanMatching(subscription, afterId, maxRows);
        }

        @Override
        public List<Row> scanCollection(String collection, byte @Nullable [] afterId, int maxRows) {
            return s.scanCollection(collection, afterId, maxRows);
        }

        @Override
        public boolean matches(Subscription subscription, Row row) {
            return s.matches(subscription, row);
        }

        @Override
        public Row rowOf(String collection, byte[] id) {
            return s.rowOf(collection, id);
        }

        @Override
        public boolean holdsAny(String collection) {
            return s.holdsAny(collection);
        }

        @Override
        public List<String> collections() {
            return s.collections();
        }

        @Override
        public @Nullable Checkpoint checkpoint(long senderPeerId) {
            return s.checkpoint(senderPeerId);
        }

        @Override
        public void evict(List<DocRef> docs) {
            s.evict(docs);
        }

        @Override
        public long tombstoneHorizon() {
            return s.tombstoneHorizon();
        }
    }

    private static SessionConfig small() {
        return SessionConfig.builder().maxFrameBytes(FRAME).maxGroupBytes(FRAME).build();
    }

    private List<Message> feed(Message m) {
        List<Message> o = session.onMessage(m);
        out.addAll(o);
        return o;
    }

    /** A's next batch, one sequence further. */
    private List<Message> batch(boolean continued, Entry... entries) {
        batchNo++;
        Batch m = new Batch(batchNo, 1, seq, seq + 1, continued, List.of(entries), List.of());
        seq++;
        return feed(m);
    }

    private static byte[] id(String id) {
        return FakeStore.id(id);
    }

    private static DocRef ref(String id) {
        return FakeStore.ref(CARS, id);
    }

    /** A hint of a document B holds, with a digest that differs from B's state: B will request it. */
    private HintEntry hint(String id) {
        byte[] ours = b.bytes(ref(id));
        assertThat(ours).as("B holds %s", id).isNotNull();
        return new HintEntry(CARS, id(id), Digests.of(ours) + 1);
    }

    /** A real state of a document with a pad of {@code pad} characters (in A's store). */
    private byte[] state(String id, int pad) {
        a.insert(CARS, id, obj("k", 1, "pad", "p".repeat(pad)), hlc++);
        return a.bytes(ref(id));
    }

    private static <T> List<T> only(List<Message> sent, Class<T> type) {
        List<T> l = new ArrayList<>();
        for (Message m : sent) {
            if (type.isInstance(m)) l.add(type.cast(m));
        }
        return l;
    }

    private Request lastRequest() {
        List<Request> l = only(out, Request.class);
        assertThat(l).as("requests sent").isNotEmpty();
        return l.get(l.size() - 1);
    }

    /** An answer with nothing in it (A holds none of the documents any more). */
    private List<Message> answerEmpty(Request r) {
        return feed(new Docs(r.requestNo(), 0, false, List.of()));
    }

    /** A subscribes to {@code subs} and says it holds nothing: B's sending half starts; its batches are acknowledged. */
    private void aSubscribes(Subscription... subs) {
        List<Subscriptions.Item> items = new ArrayList<>();
        for (Subscription x : subs) items.add(new Subscriptions.Item(x, false));
        feed(new Subscriptions(1, 0, 0, items, List.of()));
        acknowledgeB();
    }

    /** A acknowledges every batch B sent so far. */
    private void acknowledgeB() {
        List<Batch> sent = only(out, Batch.class);
        if (!sent.isEmpty()) feed(new Ack(sent.get(sent.size() - 1).batchNo()));
    }

    /** B holds A's state of {@code id} plus a write of its own: what A sends of it is older than B's copy. */
    private void bHoldsANewerCopy(String id) {
        a.insert(CARS, id, obj("k", 1), hlc++);
        b.txn().put(CARS, id, a.state(CARS, id));
        b.update(CARS, id, "w", Value.of("b's"), hlc++);
    }

    private DocEntry aState(String id) {
        return new DocEntry(CARS, id(id), 1, a.bytes(ref(id)));
    }

    private long checkpoint() {
        Checkpoint c = b.checkpoint(a.peerId);
        return c == null ? 0 : c.sequence();
    }

    /** B closed with {@code reason}, and the CLOSE is the last thing it sent: nothing follows it. */
    private void closedWith(List<Message> sent, String reason) {
        assertThat(session.closeReason()).isEqualTo(reason);
        assertThat(sent)
                .last()
                .isInstanceOfSatisfying(Close.class, c -> assertThat(c.reason()).isEqualTo(reason));
    }

    // ---- states and groups beyond maxGroupBytes ---------------------------------------------------------

    @Test
    void aStateInPartsOfExactlyMaxGroupBytesIsTakenAndOneByteMoreClosesOversize() {
        connect(small());
        byte[] x = id("x");
        List<Message> sent = batch(true, new PartEntry(CARS, x, 1, new byte[FRAME - 1000]));
        sent = batch(true, new PartEntry(CARS, x, 1, new byte[1000]));
        assertThat(session.isClosed()).as("exactly maxGroupBytes in parts").isFalse();
        assertThat(sent).contains(new Ack(2));

        sent = batch(true, new PartEntry(CARS, x, 1, new byte[1]));
        closedWith(sent, SyncSession.OVERSIZE);
        assertThat(b.applyCalls).isEmpty();
    }

    @Test
    void aStateInDocsPartsBeyondMaxGroupBytesClosesOversize() {
        b.insert(CARS, "h", obj("k", 1), hlc++);
        connect(small());
        batch(false, hint("h"));
        Request r = lastRequest();
        assertThat(r.docs()).containsExactly(ref("h"));
        byte[] h = id("h");
        feed(new Docs(r.requestNo(), 0, true, List.of(new PartEntry(CARS, h, 1, new byte[FRAME - 1000]))));
        List<Message> sent = feed(new Docs(r.requestNo(), 1, true, List.of(new PartEntry(CARS, h, 1, new byte[1000]))));
        assertThat(session.isClosed()).as("exactly maxGroupBytes in parts").isFalse();
        assertThat(sent).isEmpty();

        sent = feed(new Docs(r.requestNo(), 2, true, List.of(new PartEntry(CARS, h, 1, new byte[1]))));
        closedWith(sent, SyncSession.OVERSIZE);
        assertThat(b.applyCalls).as("nothing of the answer applied").isEmpty();
    }

    /**
     * A group's held documents and the state arriving in parts count together: at exactly maxGroupBytes the group
     * is still held whole, one byte more and what is held is applied (without atomicity, with one warning).
     */
    @Test
    void aGroupIsHeldUpToMaxGroupBytesCountingTheStateInPartsAndAppliedInPiecesBeyond() {
        connect(small());
        byte[] held = state("held", 20_000);
        byte[] big = state("big", FRAME + 5000);
        DocEntry first = new DocEntry(CARS, id("held"), 1, held);
        int chunk = FRAME - held.length;
        batch(true, first, new PartEntry(CARS, id("big"), 1, Arrays.copyOf(big, chunk)));
        assertThat(b.holds(CARS, "held"))
                .as("exactly maxGroupBytes: the group is held")
                .isFalse();
        assertThat(events.warnings).isEmpty();

        batch(true, new PartEntry(CARS, id("big"), 1, Arrays.copyOfRange(big, chunk, chunk + 1)));
        assertThat(b.holds(CARS, "held")).as("one byte more: applied in pieces").isTrue();
        assertThat(events.warnings).hasSize(1);
        assertThat(checkpoint()).as("a piece is not the group").isZero();

        List<Message> sent =
                batch(false, new DocEntry(CARS, id("big"), 1, Arrays.copyOfRange(big, chunk + 1, big.length)));
        assertThat(sent).contains(new Ack(3));
        assertThat(b.bytes(ref("big"))).isEqualTo(big);
        assertThat(events.warnings).as("one warning per group").hasSize(1);
        assertThat(b.applyCalls.get(b.applyCalls.size() - 1))
                .as("the piece applied before is not applied again")
                .extracting(Doc::ref)
                .containsExactly(ref("big"));
        assertThat(checkpoint()).isEqualTo(seq);
        assertThat(session.isClosed()).isFalse();
    }

    @Test
    void aGroupAppliedInPiecesOnAStoreThatRefusesClosesAndAcknowledgesNothing() {
        connect(small());
        byte[] g0 = state("g0", 40_000), g1 = state("g1", 40_000);
        batch(true, new DocEntry(CARS, id("g0"), 1, g0));
        b.rejectAll = true;
        List<Message> sent = batch(true, new DocEntry(CARS, id("g1"), 1, g1));
        closedWith(sent, SyncSession.CLOCK_DRIFT);
        assertThat(only(sent, Ack.class)).isEmpty();
        assertThat(b.holds(CARS, "g0")).isFalse();
    }

    // ---- a session closed in the middle of a batch or an answer -----------------------------------------

    /**
     * A part followed by another document closes the session (malformed) at that entry: nothing after it is
     * applied, not even the rest of the state in parts that comes next, and nothing is sent after the CLOSE.
     */
    @Test
    void aBatchThatBreaksAStateInPartsClosesAtOnceAndAppliesNothingAfter() {
        connect();
        byte[] x = state("x", 3000), y = state("y", 10);
        batch(true, new PartEntry(CARS, id("x"), 1, Arrays.copyOf(x, 1000)));
        List<Message> sent = batch(
                false,
                new DocEntry(CARS, id("y"), 1, y),
                new DocEntry(CARS, id("x"), 1, Arrays.copyOfRange(x, 1000, x.length)));
        closedWith(sent, SyncSession.MALFORMED);
        assertThat(b.holds(CARS, "x")).isFalse();
        assertThat(b.holds(CARS, "y")).isFalse();
        assertThat(b.applyCalls).isEmpty();
    }

    @Test
    void aContinuedBatchThatBreaksAStateInPartsIsNotAcknowledged() {
        connect();
        byte[] x = state("x", 3000), y = state("y", 10);
        batch(true, new PartEntry(CARS, id("x"), 1, Arrays.copyOf(x, 1000)));
        List<Message> sent = batch(true, new DocEntry(CARS, id("y"), 1, y));
        closedWith(sent, SyncSession.MALFORMED);
        assertThat(only(sent, Ack.class)).isEmpty();
    }

    @Test
    void anAnswerThatBreaksAStateInPartsClosesAtOnceAndAppliesNothingAfter() {
        b.insert(CARS, "x", obj("k", 0), hlc++);
        b.insert(CARS, "y", obj("k", 0), hlc++);
        connect();
        batch(false, hint("x"), hint("y"));
        Request r = lastRequest();
        byte[] x = state("x", 3000), y = state("y", 10);
        byte[] bx = b.bytes(ref("x")), by = b.bytes(ref("y"));
        int applies = b.applyCalls.size();
        feed(new Docs(r.requestNo(), 0, true, List.of(new PartEntry(CARS, id("x"), 1, Arrays.copyOf(x, 1000)))));
        List<Message> sent = feed(new Docs(
                r.requestNo(),
                1,
                false,
                List.of(
                        new DocEntry(CARS, id("y"), 1, y),
                        new DocEntry(CARS, id("x"), 1, Arrays.copyOfRange(x, 1000, x.length)))));
        closedWith(sent, SyncSession.MALFORMED);
        assertThat(b.bytes(ref("x"))).isEqualTo(bx);
        assertThat(b.bytes(ref("y"))).isEqualTo(by);
        assertThat(b.applyCalls).hasSize(applies);
    }

    // ---- DOCS parts duplicated, out of order, late ------------------------------------------------------

    @Test
    void aDuplicatedDocsPartIsIgnoredAndTheAnswerStillCompletes() {
        b.insert(CARS, "h1", obj("k", 0), hlc++);
        b.insert(CARS, "h2", obj("k", 0), hlc++);
        connect();
        batch(false, hint("h1"), hint("h2"));
        Request r = lastRequest();
        byte[] h1 = state("h1", 10), h2 = state("h2", 10);
        Docs part0 = new Docs(r.requestNo(), 0, true, List.of(new DocEntry(CARS, id("h1"), 1, h1)));
        feed(part0);
        int applies = b.applyCalls.size();
        assertThat(feed(part0)).as("a duplicate part").isEmpty();
        assertThat(b.applyCalls).as("applied once").hasSize(applies);

        feed(new Docs(r.requestNo(), 1, false, List.of(new DocEntry(CARS, id("h2"), 1, h2))));
        assertThat(session.isClosed()).isFalse();
        assertThat(b.bytes(ref("h2"))).isEqualTo(h2);
        assertThat(session.receiver().hintsWaiting()).isZero();
        assertThat(checkpoint()).as("the hints are met").isEqualTo(seq);

        assertThat(feed(part0)).as("a part of an answer already complete").isEmpty();
        assertThat(session.isClosed()).isFalse();
    }

    @Test
    void aDocsPartThatSkipsOneClosesOutOfOrder() {
        b.insert(CARS, "h", obj("k", 0), hlc++);
        connect();
        batch(false, hint("h"));
        Request r = lastRequest();
        List<Message> sent =
                feed(new Docs(r.requestNo(), 1, false, List.of(new DocEntry(CARS, id("h"), 1, state("h", 10)))));
        closedWith(sent, SyncSession.OUT_OF_ORDER);
        assertThat(b.bytes(ref("h"))).isNotEqualTo(a.bytes(ref("h")));
    }

    // ---- the bound on hinted documents waiting ----------------------------------------------------------

    /**
     * While more than {@link Receiver#MAX_PENDING_HINTS} hinted documents wait (to be requested, or requested), a
     * batch is applied but its ACK is deferred, also when the batch arrives again; at exactly the bound it is sent.
     * The first request holds one large document alone (the next would exceed batchBytes), so that answering it
     * brings the count down to the bound exactly.
     */
    @Test
    void acknowledgementsWaitWhileMoreThanTheBoundOfHintsWaitAndGoOutAtTheBound() {
        int n = Receiver.MAX_PENDING_HINTS;
        FakeStore.Txn txn = b.txn();
        txn.insert(CARS, "big", obj("k", 0, "pad", "b".repeat(5000)), hlc++);
        for (int i = 0; i < n; i++) txn.insert(CARS, "s" + i, obj("k", 0), hlc++);
        connect(SessionConfig.builder().batchBytes(4096).build());

        Entry[] first = new Entry[n];
        first[0] = hint("big");
        for (int i = 1; i < n; i++) first[i] = hint("s" + (i - 1));
        List<Message> sent = batch(false, first);
        assertThat(session.receiver().hintsWaiting()).isEqualTo(n);
        assertThat(sent).as("at the bound: acknowledged").contains(new Ack(1));
        Request request = lastRequest();
        assertThat(request.docs()).as("a large document alone").containsExactly(ref("big"));

        sent = batch(false, hint("s" + (n - 1)));
        assertThat(session.receiver().hintsWaiting()).isEqualTo(n + 1);
        assertThat(only(sent, Ack.class)).as("beyond the bound: deferred").isEmpty();
        assertThat(feed(new Batch(2, 1, seq - 1, seq, false, List.of(hint("s" + (n - 1))), List.of())))
                .as("the batch again: still deferred")
                .isEmpty();
        assertThat(session.onTick(0)).as("nothing else releases it").isEmpty();

        sent = feed(new Docs(
                request.requestNo(), 0, false, List.of(new DocEntry(CARS, id("big"), 1, b.bytes(ref("big"))))));
        assertThat(session.receiver().hintsWaiting()).isEqualTo(n);
        assertThat(sent).as("back at the bound: the deferred ACK").contains(new Ack(2));
        assertThat(lastRequest().docs()).hasSize(Receiver.MAX_REQUEST_DOCS);
        assertThat(session.isClosed()).isFalse();
    }

    // ---- how many documents one REQUEST asks for --------------------------------------------------------

    /**
     * A request asks for documents while their estimated answer (the sizes of our states) stays within batchBytes:
     * exactly batchBytes is still one request.
     */
    @Test
    void aRequestAsksForDocumentsUpToBatchBytesOfEstimatedAnswer() {
        int[] sizes = {1000, 1500, 4096 - 2500, 10};
        for (int i = 0; i < sizes.length; i++) b.putRaw(CARS, "d" + i, new byte[sizes[i]]);
        connect(SessionConfig.builder().batchBytes(4096).build());
        batch(false, hint("d0"), hint("d1"), hint("d2"), hint("d3"));
        assertThat(lastRequest().docs()).containsExactly(ref("d0"), ref("d1"), ref("d2"));
    }

    private static int refSize(int idLength) {
        return WireCodec.refSize(new DocRef(CARS, new byte[idLength]));
    }

    /** A request's references fill at most half a frame (the smaller of ours and the remote's): exactly half fits. */
    @Test
    void aRequestsReferencesFillAtMostHalfAFrame() {
        List<String> ids = new ArrayList<>();
        int bytes = 0, half = FRAME / 2;
        while (bytes < half) {
            int room = half - bytes;
            int length = 2000;
            if (room < 2 * refSize(length)) { // the last one fills exactly what is left
                length = 1;
                while (refSize(length) < room) length++;
            }
            String id = String.format("%04d", ids.size()) + "x".repeat(length - 4);
            ids.add(id);
            bytes += WireCodec.refSize(new DocRef(CARS, id(id)));
        }
        assertThat(bytes).as("the test's references fill half a frame exactly").isEqualTo(half);
        ids.add("one-more");
        for (String id : ids) b.putRaw(CARS, id, new byte[] {1});
        connect(SessionConfig.builder().maxFrameBytes(FRAME).build());
        batch(false, ids.stream().map(this::hint).toArray(Entry[]::new));
        List<DocRef> asked = lastRequest().docs();
        assertThat(asked).hasSize(ids.size() - 1).doesNotContain(ref("one-more"));
        assertThat(WireCodec.encode(lastRequest()).length).isLessThanOrEqualTo(FRAME);
    }

    // ---- the checkpoint and its obligations, against the store ------------------------------------------

    /** A batch that moves neither the sequence nor the covered set writes nothing: no store transaction for it. */
    @Test
    void aBatchThatMovesNothingWritesNothing() {
        connect();
        batch(false);
        assertThat(checkpoint()).isEqualTo(1);
        int applies = store.applies;
        batchNo++;
        List<Message> sent = feed(new Batch(batchNo, 1, seq, seq, false, List.of(), List.of()));
        assertThat(sent).containsExactly(new Ack(batchNo));
        assertThat(store.applies).isEqualTo(applies);
        assertThat(checkpoint()).isEqualTo(1);
    }

    /** The same once the checkpoint was stored by an obligation met late: the session knows what it stored. */
    @Test
    void aBatchThatMovesNothingAfterACheckpointMovedByAnAnswerWritesNothing() {
        b.insert(CARS, "h", obj("k", 0), hlc++);
        connect();
        batch(false, hint("h"));
        assertThat(checkpoint()).isZero();
        answerEmpty(lastRequest());
        assertThat(checkpoint()).isEqualTo(1);
        int applies = store.applies;
        batchNo++;
        List<Message> sent = feed(new Batch(batchNo, 1, seq, seq, false, List.of(), List.of()));
        assertThat(sent).containsExactly(new Ack(batchNo));
        assertThat(store.applies).isEqualTo(applies);
    }

    @Test
    void aStoreThatRefusesABatchHeldBehindAnObligationClosesAndAcknowledgesNothing() {
        b.insert(CARS, "h", obj("k", 0), hlc++);
        connect();
        batch(false, hint("h")); // held back: h is owed
        store.refuseFrom = store.applies + 1;
        List<Message> sent = batch(false, new DocEntry(CARS, id("m"), 1, state("m", 10)));
        closedWith(sent, SyncSession.CLOCK_DRIFT);
        assertThat(only(sent, Ack.class)).isEmpty();
        assertThat(b.holds(CARS, "m")).isFalse();
    }

    /** A store that refuses without saying why: the CLOSE names the reason. */
    @Test
    void aRefusalWithoutAMessageClosesWithItsReason() {
        connect();
        store.refuseFrom = 1;
        store.refusal = null;
        List<Message> sent = batch(false, new DocEntry(CARS, id("m"), 1, state("m", 10)));
        assertThat(sent).last().isEqualTo(new Close(SyncSession.CLOCK_DRIFT, SyncSession.CLOCK_DRIFT));
    }

    /**
     * A state older than ours in a collection the remote does not subscribe to owes no push-back (our sender sends
     * it nothing there), but the store left the checkpoint out of the batch: it is stored on its own. A store that
     * refuses that closes the session, and the batch is not acknowledged.
     */
    @Test
    void aStaleCopyThatOwesNothingStillMovesTheCheckpointOnItsOwn() {
        bHoldsANewerCopy("p");
        connect();
        aSubscribes(); // to nothing
        List<Message> sent = batch(false, aState("p"));
        assertThat(sent).contains(new Ack(1));
        assertThat(checkpoint()).isEqualTo(1);
        assertThat(b.field(CARS, "p", "w")).isEqualTo(Value.of("b's"));

        store.refuseFrom = store.applies + 2; // the batch is applied; its checkpoint, stored alone, is refused
        sent = batch(false, aState("p"));
        closedWith(sent, SyncSession.CLOCK_DRIFT);
        assertThat(only(sent, Ack.class)).isEmpty();
        assertThat(checkpoint()).isEqualTo(1);
    }

    /**
     * Regression (simulator seed 32000001398, mesh of 5 with the session policy): A's batch brought a state of p older
     * than B's before A's first SUBSCRIPTIONS arrived (a receiver reconciling ranges sends it late, while its sending
     * half is already running). B's sending half, not started, did not know that A subscribes to p's collection and
     * dropped the push-back, with no obligation: the checkpoint passed the batch, and A, resuming past B's row of p,
     * kept its older state for good. The push-back now waits for A's subscriptions, and holds the checkpoint meanwhile.
     */
    @Test
    void aPushBackOwedBeforeTheRemotesFirstSubscriptionsIsSentOnceTheyArrive() {
        bHoldsANewerCopy("p");
        connect();
        List<Message> sent = batch(false, aState("p"));
        assertThat(sent).contains(new Ack(1));
        assertThat(checkpoint()).as("held back: the push-back is owed").isZero();

        // A subscribes, resuming past B's row of p: only the push-back can bring it B's state
        sent = feed(new Subscriptions(
                1,
                b.incarnation,
                b.lastSequence(),
                List.of(new Subscriptions.Item(sub(CARS, "*"), true)),
                List.of(CARS)));
        assertThat(only(sent, Batch.class))
                .flatExtracting(Batch::entries)
                .filteredOn(e -> e instanceof DocEntry)
                .extracting(Entry::ref)
                .containsExactly(ref("p"));
        acknowledgeB();
        assertThat(checkpoint()).as("released once A acknowledged it").isEqualTo(1);
    }

    /**
     * The store refuses the checkpoint that an answer releases: the session closes there, and touches the store no
     * more — neither for the next batch released by the same answer nor for a request of the hints still waiting.
     */
    @Test
    void aRefusedCheckpointAfterAnAnswerClosesAndNothingMoreIsTriedOrSent() {
        for (int i = 0; i < 4; i++) b.insert(CARS, "h" + i, obj("k", 0), hlc++);
        connect();
        batch(false, hint("h0")); // request 1: h0
        batch(false, hint("h1"));
        batch(false, hint("h2"));
        answerEmpty(lastRequest());
        assertThat(checkpoint()).isEqualTo(1);
        Request second = lastRequest();
        assertThat(second.docs()).containsExactly(ref("h1"), ref("h2"));
        batch(false, hint("h3")); // waits for request 2's answer

        store.refuseFrom = store.applies + 1;
        int applies = store.applies;
        List<Message> sent = answerEmpty(second); // releases batch 2's checkpoint (refused), then batch 3's
        assertThat(sent).singleElement().isInstanceOf(Close.class);
        assertThat(session.closeReason()).isEqualTo(SyncSession.CLOCK_DRIFT);
        assertThat(store.applies).as("one attempt").isEqualTo(applies + 1);
        assertThat(checkpoint()).isEqualTo(1);
    }

    /**
     * A document hinted again by a later batch before it was requested is requested once; both batches wait for it,
     * and both move once it arrived.
     */
    @Test
    void aDocumentHintedAgainBeforeItIsRequestedIsRequestedOnceAndMeetsBothBatches() {
        b.insert(CARS, "h0", obj("k", 0), hlc++);
        b.insert(CARS, "h1", obj("k", 0), hlc++);
        connect();
        batch(false, hint("h0"));
        batch(false, hint("h1"));
        batch(false, hint("h1"));
        assertThat(session.receiver().hintsWaiting()).isEqualTo(2);
        answerEmpty(lastRequest());
        assertThat(checkpoint()).isEqualTo(1);
        Request second = lastRequest();
        assertThat(second.docs()).containsExactly(ref("h1"));
        answerEmpty(second);
        assertThat(checkpoint()).isEqualTo(3);
        assertThat(session.receiver().heldBackBatches()).isZero();
    }

    /**
     * Regression (simulator seed 9465309171): a batch brings a document's older state and, later in the same group, a
     * hint of its newer state (the sender read its log in chunks while a merge moved the row on). The hint is judged
     * against the state the group brings — we held nothing before it — so the newer state is requested, and the batch
     * waits for it.
     */
    @Test
    void aHintOfADocumentTheSameGroupBringsIsRequested() {
        connect();
        byte[] older = state("m", 1);
        batch(false, new DocEntry(CARS, id("m"), 1, older), new HintEntry(CARS, id("m"), Digests.of(older) + 1));
        assertThat(b.bytes(ref("m"))).as("the older state is applied").isEqualTo(older);
        assertThat(lastRequest().docs()).containsExactly(ref("m"));
        assertThat(checkpoint()).as("the batch waits for the hinted document").isZero();
    }

    /**
     * An answer older than our copy is pushed back, and the batch that hinted it waits until the push-back is
     * acknowledged. A document the remote sends unasked is merged, but owes nothing.
     */
    @Test
    void anAnswerOlderThanOurCopyIsPushedBackAndHoldsTheHintingBatch() {
        bHoldsANewerCopy("p");
        bHoldsANewerCopy("q");
        connect();
        aSubscribes(sub(CARS, "*"));
        batch(false, hint("p"));
        Request r = lastRequest();
        assertThat(r.docs()).containsExactly(ref("p"));
        int before = only(out, Batch.class).size();
        feed(new Docs(r.requestNo(), 0, false, List.of(aState("p"), aState("q"))));
        assertThat(session.isClosed()).isFalse();
        List<Batch> pushed =
                only(out, Batch.class).subList(before, only(out, Batch.class).size());
        assertThat(pushed).flatExtracting(Batch::entries).extracting(Entry::ref).containsExactly(ref("p"));
        assertThat(checkpoint()).as("the push-back is owed").isZero();
        acknowledgeB();
        assertThat(checkpoint()).isEqualTo(1);
    }

    /** A zombie refused is not held: our next SUBSCRIPTIONS does not claim its collection. */
    @Test
    void aRefusedZombieIsNotCountedAsHeld() {
        b.horizon = 1000;
        connect();
        a.insert(CARS, "ghost", obj("k", 1), 5);
        List<Message> sent = batch(false, aState("ghost"));
        assertThat(only(sent, Zombies.class))
                .singleElement()
                .satisfies(z -> assertThat(z.docs()).containsExactly(ref("ghost")));
        sent = session.setSubscriptions(List.of(sub(CARS, "*"), sub(CARS, "k = 1")));
        assertThat(only(sent, Subscriptions.class))
                .singleElement()
                .satisfies(x -> assertThat(x.held()).isEmpty());
    }

    /**
     * Regression (simulator seed 867469774042, star of 6): a remote told its copy is a zombie removes it when the
     * notice arrives, but a newer state it sent before that may still arrive and be accepted. That state is no proof
     * that the remote holds it any more, so it is sent back instead of being suppressed as an echo — else the remote
     * never gets its own write back and the two peers diverge for good.
     */
    @Test
    void aStateOfADocumentToldToBeAZombieIsNotSuppressedAsAnEcho() {
        b.horizon = 1000;
        connect();
        aSubscribes(sub(CARS, "*"));
        a.insert(CARS, "ghost", obj("k", 1), 5);
        List<Message> sent = batch(false, aState("ghost"));
        assertThat(only(sent, Zombies.class))
                .singleElement()
                .satisfies(z -> assertThat(z.docs()).containsExactly(ref("ghost")));
        a.update(CARS, "ghost", "k", Value.of(2), 2000); // written before the notice reached A: above the horizon
        int before = only(out, Batch.class).size();
        batch(false, aState("ghost"));
        acknowledgeB();
        assertThat(b.holds(CARS, "ghost")).isTrue();
        List<Batch> since =
                only(out, Batch.class).subList(before, only(out, Batch.class).size());
        assertThat(since)
                .as("A removed its copy on our notice: B's copy goes back to it")
                .flatExtracting(Batch::entries)
                .extracting(Entry::ref)
                .containsExactly(ref("ghost"));
    }

    // ---- what the remote's documents tell our sender ------------------------------------------------------

    /**
     * A remote that said it holds nothing but sends documents (in a batch, or in an answer) holds them: our sender
     * hints its changes in those collections from then on.
     */
    @Test
    void documentsTheRemoteSendsMakeOurSenderHintTheirCollections() {
        b.insert(CARS, "c", obj("k", 2), hlc++);
        b.insert("boats", "d", obj("k", 2), hlc++);
        b.insert(CARS, "h", obj("k", 0), hlc++);
        connect();
        aSubscribes(sub(CARS, "k = 1"), sub("boats", "k = 1"));
        assertThat(only(out, Batch.class)).flatExtracting(Batch::entries).isEmpty();

        batch(false, hint("h"));
        a.insert("boats", "n", obj("k", 1), hlc++);
        feed(new Docs(
                lastRequest().requestNo(),
                0,
                false,
                List.of(new DocEntry("boats", id("n"), 1, a.bytes(FakeStore.ref("boats", "n"))))));
        acknowledgeB();
        b.update(CARS, "c", "k", Value.of(3), hlc++);
        b.update("boats", "d", "k", Value.of(3), hlc++);
        out.addAll(session.onLocalChange());
        // boats/d twice: its first row, passed unhinted while the remote held no boats, is hinted once it does (we do
        // not subscribe to boats, so nothing of the remote's would bring ours); then its change. Not so in cars: our
        // first SUBSCRIPTIONS said we hold cars, so the remote hinted its own rows all along.
        assertThat(only(out, Batch.class))
                .flatExtracting(Batch::entries)
                .filteredOn(e -> e instanceof HintEntry)
                .extracting(Entry::ref)
                .containsExactlyInAnyOrder(ref("c"), FakeStore.ref("boats", "d"), FakeStore.ref("boats", "d"));
    }

    // ---- parts left unfinished ------------------------------------------------------------------------------

    @Test
    void aGroupThatEndsWithAStateInPartsUnfinishedClosesMalformed() {
        connect();
        batch(true, new PartEntry(CARS, id("x"), 1, new byte[100]));
        List<Message> sent = batch(false);
        closedWith(sent, SyncSession.MALFORMED);
        assertThat(b.applyCalls).isEmpty();
    }

    @Test
    void anAnswerThatEndsWithAStateInPartsUnfinishedClosesMalformed() {
        b.insert(CARS, "h", obj("k", 0), hlc++);
        connect();
        batch(false, hint("h"));
        Request r = lastRequest();
        feed(new Docs(r.requestNo(), 0, true, List.of(new PartEntry(CARS, id("h"), 1, new byte[100]))));
        List<Message> sent = feed(new Docs(r.requestNo(), 1, false, List.of()));
        closedWith(sent, SyncSession.MALFORMED);
        assertThat(checkpoint()).isZero();
    }

    // ---- peers that never met -------------------------------------------------------------------------------

    /** A checkpoint at sequence 0 holds nothing of the remote: we still send summaries of what we hold. */
    @Test
    void aCheckpointAtSequenceZeroStillSendsSummaries() {
        for (int i = 0; i < 20; i++) b.insert(CARS, "c" + i, obj("k", 1, "pad", "p".repeat(300)), hlc++);
        b.apply(a.peerId, List.of(), new Checkpoint(a.incarnation, 0, Set.of()));
        connect(SessionConfig.defaults(), SessionConfig.CAP_SUMMARY);
        assertThat(only(out, Summary.class))
                .singleElement()
                .satisfies(x -> assertThat(x.collection()).isEqualTo(CARS));
    }

    // ---- field deltas -----------------------------------------------------------------------------------

    /** A's newest writes of {@code id} as a DELTA, with the digest of A's whole state. */
    private Message.DeltaEntry aDelta(String id) {
        byte[] whole = a.bytes(ref(id));
        io.starling.internal.crdt.DocumentState s = io.starling.internal.crdt.DocumentState.decode(whole);
        return new Message.DeltaEntry(
                CARS, id(id), 1, Digests.of(whole), s.writtenSince(s.maxStamp()).encode());
    }

    /** B holds A's current state of {@code id}. */
    private void bHoldsAsState(String id) {
        b.txn().put(CARS, id, a.state(CARS, id));
    }

    @Test
    void aDeltaOntoTheStateItWasComputedAgainstGivesTheSendersStateAndMovesTheCheckpoint() {
        a.insert(CARS, "d", obj("k", 1, "pad", "p".repeat(200)), hlc++);
        bHoldsAsState("d");
        a.update(CARS, "d", "k", Value.of(2), hlc++);
        connect();
        batch(false, aDelta("d"));
        assertThat(b.bytes(ref("d"))).isEqualTo(a.bytes(ref("d")));
        assertThat(session.deltasApplied()).isEqualTo(1);
        assertThat(session.deltasRefused()).isZero();
        assertThat(only(out, Request.class)).isEmpty();
        assertThat(checkpoint()).isEqualTo(1);
    }

    @Test
    void aDeltaOntoAnotherStateIsRefusedCountedAndTheDocumentRequestedWhole() {
        a.insert(CARS, "d", obj("k", 1, "pad", "p".repeat(200)), hlc++);
        bHoldsAsState("d");
        byte[] bs = b.bytes(ref("d"));
        a.update(CARS, "d", "j", Value.of(1), hlc++); // B misses this write
        a.update(CARS, "d", "k", Value.of(2), hlc++);
        connect();
        batch(false, aDelta("d"));
        assertThat(b.bytes(ref("d"))).as("never merged onto the wrong base").isEqualTo(bs);
        assertThat(session.deltasRefused()).isEqualTo(1);
        assertThat(lastRequest().docs()).containsExactly(ref("d"));
        assertThat(checkpoint()).as("the batch waits for the whole state").isZero();
        feed(new Docs(lastRequest().requestNo(), 0, false, List.of(aState("d"))));
        assertThat(b.bytes(ref("d"))).isEqualTo(a.bytes(ref("d")));
        assertThat(checkpoint()).isEqualTo(1);
    }

    @Test
    void aDeltaOfADocumentWeDoNotHoldIsRequestedWhole() {
        a.insert(CARS, "d", obj("k", 1, "pad", "p".repeat(200)), hlc++);
        a.update(CARS, "d", "k", Value.of(2), hlc++);
        connect();
        batch(false, aDelta("d"));
        assertThat(b.bytes(ref("d"))).isNull();
        assertThat(session.deltasRefused()).isEqualTo(1);
        assertThat(lastRequest().docs()).containsExactly(ref("d"));
    }

    @Test
    void aDeltaThatDoesNotDecodeOrHasWritesWeLackIsRefusedAloneAndTheSessionGoesOn() {
        a.insert(CARS, "d", obj("k", 1, "pad", "p".repeat(200)), hlc++);
        a.insert(CARS, "e", obj("k", 1, "pad", "p".repeat(200)), hlc++);
        bHoldsAsState("d");
        bHoldsAsState("e");
        byte[] d = b.bytes(ref("d"));
        a.update(CARS, "e", "k", Value.of(2), hlc++);
        Message.DeltaEntry good = aDelta("e");
        connect();
        batch(
                false,
                new Message.DeltaEntry(CARS, id("d"), 1, Digests.of(d), new byte[] {9, 9, 9}),
                new Message.DeltaEntry(CARS, id("d"), 1, 12345, good.delta()), // fields of another document
                good);
        assertThat(session.isClosed()).isFalse();
        assertThat(b.bytes(ref("d"))).isEqualTo(d);
        assertThat(b.bytes(ref("e"))).isEqualTo(a.bytes(ref("e")));
        assertThat(session.deltasRefused()).isEqualTo(2);
        assertThat(session.deltasApplied()).isEqualTo(1);
        assertThat(lastRequest().docs()).containsExactly(ref("d"));
    }

    @Test
    void aDeltaAfterAPartOfADocumentCloses() {
        connect();
        a.insert(CARS, "e", obj("k", 1), hlc++);
        batch(true, new PartEntry(CARS, id("x"), 1, new byte[10]));
        closedWith(batch(false, aDelta("e")), SyncSession.MALFORMED);
    }
}
