package io.starling.internal.sync;

import static io.starling.internal.sync.SyncSessionTest.obj;
import static io.starling.internal.sync.SyncSessionTest.sub;
import static org.assertj.core.api.Assertions.assertThat;

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
import io.starling.internal.sync.SyncStoreView.DocRef;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The sending half of a session (docs/SYNC-PROTOCOL.md, "The sender"), driven by hand: the test plays the remote
 * receiver (its HELLO, SUBSCRIPTIONS, ACKs and REQUESTs) and reads every message our session sends. Each message is
 * checked against the frame limit as it is produced, and the documents of the batches and answers are put together
 * again (PART pieces concatenated) to compare them with our store. The cases pin what the sender sends, not only
 * that two stores converge in the end: which documents, as DOC, HINT or PART, in which batch, with which
 * {@code done} keys and sequence range — the mutants of {@link Sender} that the convergence tests cannot see
 * (docs/MUTATION.md lists them, each with the test here that kills it).
 */
class SenderTest {
    private static final String CARS = "cars";
    private static final String BIKES = "bikes";
    private static final Subscription ALL = sub(CARS, "*");
    private static final Subscription K1 = sub(CARS, "k = 1");

    private static <T> List<T> only(List<Message> sent, Class<T> type) {
        List<T> l = new ArrayList<>();
        for (Message m : sent) {
            if (type.isInstance(m)) l.add(type.cast(m));
        }
        return l;
    }

    private static String name(byte[] id) {
        return new String(id, StandardCharsets.UTF_8);
    }

    /**
     * Our session (store A, whose sending half is under test) with a remote B that the test plays. The remote's
     * HELLO announces {@code remoteFrame} as its largest frame.
     */
    private static final class Sending {
        final FakeStore a = new FakeStore(1);
        final FakeStore b = new FakeStore(2);
        final SessionConfig config;
        final int remoteFrame;
        SyncSession session;
        Net.Recorder events;
        /** Everything our session sent. */
        final List<Message> out = new ArrayList<>();

        private long revision, requestNo, remoteBatchNo, hlc = 100;

        Sending(SessionConfig config, int remoteFrame) {
            this.config = config;
            this.remoteFrame = remoteFrame;
        }

        Sending(SessionConfig config) {
            this(config, config.maxFrameBytes());
        }

        Sending() {
            this(SessionConfig.defaults());
        }

        long t() {
            return hlc++;
        }

        int frameLimit() {
            return Math.min(config.maxFrameBytes(), remoteFrame);
        }

        /** A new session, established: our HELLO and the remote's. */
        Sending connect() {
            events = new Net.Recorder();
            session = new SyncSession(a, config, events);
            out.clear();
            revision = 0;
            requestNo = 0;
            remoteBatchNo = 0;
            session.setSubscriptions(a.subscriptions);
            out.addAll(session.start());
            feed(new Hello(1, b.appId, b.peerId, b.incarnation, 0, remoteFrame, 0));
            return this;
        }

        /** Hands a message to our session; what it sends must fit a frame. */
        List<Message> feed(Message m) {
            return record(session.onMessage(m));
        }

        /** Our store changed (a local write): what the session sends. */
        List<Message> localChange() {
            return record(session.onLocalChange());
        }

        private List<Message> record(List<Message> o) {
            for (Message x : o) {
                assertThat(WireCodec.encode(x).length)
                        .as("%s fits the frame", x.getClass().getSimpleName())
                        .isLessThanOrEqualTo(frameLimit());
            }
            out.addAll(o);
            return o;
        }

        /** The remote's SUBSCRIPTIONS: resuming from {@code checkpoint} of our store (0: from the start). */
        List<Message> subscribe(long checkpoint, List<Subscriptions.Item> items, String... held) {
            return feed(new Subscriptions(++revision, a.incarnation, checkpoint, items, List.of(held)));
        }

        /** The remote subscribes (nothing covered) from the start. */
        List<Message> subscribe(Subscription... subs) {
            List<Subscriptions.Item> items = new ArrayList<>();
            for (Subscription s : subs) items.add(new Subscriptions.Item(s, false));
            return subscribe(0, items);
        }

        List<Batch> batches() {
            return only(out, Batch.class);
        }

        Batch lastBatch() {
            List<Batch> l = batches();
            assertThat(l).as("batches sent").isNotEmpty();
            return l.get(l.size() - 1);
        }

        /** The remote acknowledges every batch sent so far; what our session sends in return. */
        List<Message> ack() {
            return feed(new Ack(lastBatch().batchNo()));
        }

        /** Acknowledges until no new batch comes. */
        void ackAll() {
            for (int i = 0; i < 2_000; i++) {
                List<Message> o = ack();
                if (only(o, Batch.class).isEmpty()) return;
            }
            throw new AssertionError("batches without end");
        }

        /** The remote asks for documents. */
        List<Message> request(DocRef... refs) {
            return feed(new Request(++requestNo, List.of(refs)));
        }

        /** A batch from the remote (to our receiving half). */
        List<Message> remoteBatch(long toSeq, Entry... entries) {
            return remoteBatch(toSeq - 1, toSeq, List.of(entries));
        }

        /** The remote's batches carry rows of its sequence; our receiving half subscribed once (revision 1). */
        List<Message> remoteBatch(long fromSeq, long toSeq, List<Entry> entries) {
            return feed(new Batch(++remoteBatchNo, 1, fromSeq, toSeq, false, entries, List.of()));
        }

        DocEntry docOf(FakeStore s, String c, String id) {
            var r = s.rowOf(c, FakeStore.id(id));
            return new DocEntry(c, r.id(), r.group(), r.state());
        }
    }

    /**
     * The documents of {@code messages} (BATCH and DOCS entries, in order), PART pieces put together: by reference,
     * the state as received. Hints are left out; a PART must be followed by the rest of its document.
     */
    private static Map<DocRef, byte[]> documents(List<? extends Message> messages) {
        Map<DocRef, byte[]> docs = new LinkedHashMap<>();
        ByteArrayOutputStream partial = null;
        DocRef partialRef = null;
        for (Message m : messages) {
            List<Entry> entries =
                    m instanceof Batch b ? b.entries() : m instanceof Docs d ? d.entries() : List.<Entry>of();
            for (Entry e : entries) {
                if (e instanceof HintEntry) continue;
                DocRef ref = new DocRef(e.collection(), e.id());
                if (partial != null)
                    assertThat(ref).as("the rest of a document in parts").isEqualTo(partialRef);
                if (e instanceof PartEntry p) {
                    assertThat(p.chunk()).as("a part carries bytes").isNotEmpty();
                    if (partial == null) {
                        partial = new ByteArrayOutputStream();
                        partialRef = ref;
                    }
                    partial.writeBytes(p.chunk());
                } else {
                    byte[] state = ((DocEntry) e).state();
                    if (partial != null) {
                        partial.writeBytes(state);
                        state = partial.toByteArray();
                        partial = null;
                    }
                    docs.put(ref, state);
                }
            }
        }
        assertThat(partial).as("no document left in parts").isNull();
        return docs;
    }

    private static List<String> ids(Map<DocRef, byte[]> docs) {
        List<String> l = new ArrayList<>();
        for (DocRef r : docs.keySet()) l.add(name(r.id()));
        return l;
    }

    private static List<String> ids(List<Entry> entries, Class<? extends Entry> type) {
        List<String> l = new ArrayList<>();
        for (Entry e : entries) {
            if (type.isInstance(e)) l.add(name(e.id()));
        }
        return l;
    }

    private static List<Entry> entries(List<? extends Message> messages) {
        List<Entry> l = new ArrayList<>();
        for (Message m : messages) {
            if (m instanceof Batch b) l.addAll(b.entries());
            if (m instanceof Docs d) l.addAll(d.entries());
        }
        return l;
    }

    // ---- answers to requests --------------------------------------------------------------------------

    private static final int FRAME = SessionConfig.MIN_FRAME;

    private static SessionConfig smallFrames() {
        return SessionConfig.builder().maxFrameBytes(FRAME).build();
    }

    /** Stores raw bytes as a document whose DOC entry takes exactly {@code entryBytes} (the sender never decodes). */
    private static void rawDoc(FakeStore s, String c, String id, int entryBytes) {
        long group = s.lastSequence() + 1;
        int over = WireCodec.docEntryOverhead(c, FakeStore.id(id), group);
        int len = entryBytes - over - 1;
        while (WireCodec.bytesSize(len) + over > entryBytes) len--;
        byte[] state = new byte[len];
        for (int i = 0; i < len; i++) state[i] = (byte) (i * 31 + id.hashCode());
        s.putRaw(c, id, state);
        assertThat(WireCodec.entrySize(new DocEntry(c, FakeStore.id(id), group, state)))
                .isEqualTo(entryBytes);
    }

    /** The remote subscribes to every car, covered by a checkpoint at our last row: nothing to send but answers. */
    private static Sending caughtUp(Sending s) {
        s.connect();
        s.subscribe(s.a.lastSequence(), List.of(new Subscriptions.Item(ALL, true)));
        assertThat(entries(s.batches())).isEmpty();
        return s;
    }

    @Test
    void anAnswerIsCutIntoDocsPartsEachWithinTheFrameAndOnlyStatesLargerThanAFrameTravelInPieces() {
        Sending s = new Sending(smallFrames());
        String longId = "id-" + "l".repeat(300); // a large entry overhead: a piece sized without it overflows
        rawDoc(s.a, CARS, "small", 200);
        rawDoc(s.a, CARS, longId, 3 * FRAME + 1000);
        for (int i = 0; i < 3; i++) rawDoc(s.a, CARS, "mid" + i, FRAME * 2 / 5);
        rawDoc(s.a, BIKES, "bike", 100);
        caughtUp(s);

        List<Message> answer = s.request(
                FakeStore.ref(CARS, "small"),
                FakeStore.ref(CARS, longId),
                FakeStore.ref(CARS, "mid0"),
                FakeStore.ref(CARS, "mid1"),
                FakeStore.ref(CARS, "mid2"),
                FakeStore.ref(BIKES, "bike"), // a collection the remote does not subscribe to
                FakeStore.ref(CARS, "missing")); // a document we do not hold

        assertThat(s.session.isClosed()).isFalse();
        List<Docs> parts = only(answer, Docs.class);
        assertThat(parts).hasSizeGreaterThanOrEqualTo(5); // 3 frames of one state, then 3 × 2/5 of a frame
        for (int i = 0; i < parts.size(); i++) {
            assertThat(parts.get(i).requestNo()).isEqualTo(1);
            assertThat(parts.get(i).part()).isEqualTo(i);
            assertThat(parts.get(i).more()).isEqualTo(i < parts.size() - 1);
        }
        Map<DocRef, byte[]> docs = documents(parts);
        assertThat(ids(docs)).containsExactly("small", longId, "mid0", "mid1", "mid2");
        docs.forEach((ref, state) -> assertThat(state).as("%s", ref).isEqualTo(s.a.bytes(ref)));
        // only the state larger than a frame is cut; two of the others fit one part, never three
        assertThat(ids(entries(parts), PartEntry.class)).containsOnly(longId);
        for (Docs d : parts) {
            assertThat(ids(d.entries(), DocEntry.class).stream().filter(id -> id.startsWith("mid")))
                    .hasSizeLessThanOrEqualTo(2);
        }
    }

    @Test
    void aStateJustOverTheFrameIsCutThoughItsEntryAloneWouldAlmostFit() {
        for (String id : new String[] {"edge", "edge-" + "e".repeat(300)}) {
            for (int over : new int[] {1, 8, 24}) {
                Sending s = new Sending(smallFrames());
                rawDoc(s.a, CARS, id, FRAME + over); // the entry alone exceeds the frame by a few bytes
                caughtUp(s);
                List<Docs> parts = only(s.request(FakeStore.ref(CARS, id)), Docs.class);
                assertThat(parts).as("over by %d", over).hasSize(2);
                assertThat(documents(parts).get(FakeStore.ref(CARS, id))).isEqualTo(s.a.bytes(FakeStore.ref(CARS, id)));
            }
        }
    }

    // ---- subscriptions and where the session starts ---------------------------------------------------

    private static Subscription[] manySubs(int n) {
        Subscription[] subs = new Subscription[n];
        for (int i = 0; i < n; i++) subs[i] = sub(CARS, "k = " + i);
        return subs;
    }

    @Test
    void aRemoteMayNameAsManySubscriptionsAsItsFrameHoldsAtSixtyEightBytesEachAndNoMore() {
        int max = FRAME / 68;
        Sending ok = new Sending(smallFrames()).connect();
        ok.subscribe(manySubs(max));
        assertThat(ok.session.isClosed()).isFalse();
        assertThat(ok.session.remoteSubscriptions()).hasSize(max);

        Sending tooMany = new Sending(smallFrames()).connect();
        tooMany.subscribe(manySubs(max + 1));
        assertClosed(tooMany, SyncSession.MALFORMED);
        assertThat(tooMany.batches()).isEmpty();
    }

    @Test
    void aCheckpointAtOurLastRowResumesThereAndAnyOtherStartsFromZeroWithNothingCovered() {
        Sending s = new Sending();
        for (int i = 0; i < 3; i++) s.a.insert(CARS, "c" + i, obj("k", 1), s.t());
        long last = s.a.lastSequence();

        // at our last row: nothing to send, the checkpoint is the acknowledged sequence at once
        s.connect();
        s.subscribe(last, List.of(new Subscriptions.Item(ALL, true)));
        assertThat(s.batches()).singleElement().satisfies(b -> {
            assertThat(b.entries()).isEmpty();
            assertThat(b.done()).isEmpty();
            assertThat(b.fromSeq()).isEqualTo(last);
            assertThat(b.toSeq()).isEqualTo(last);
        });
        assertThat(s.events.acked).isEqualTo(last);
        assertThat(s.session.ackedSequence()).isEqualTo(last);

        // at 0, past our last row, or of another incarnation of our store: from 0, and the subscription that the
        // remote called covered is backfilled (by the live feed, which reads every row) and reported done
        for (long[] ckpt : new long[][] {{s.a.incarnation, 0}, {s.a.incarnation, last + 1}, {s.a.incarnation + 1, 2}}) {
            s.connect();
            s.feed(new Subscriptions(1, ckpt[0], ckpt[1], List.of(new Subscriptions.Item(ALL, true)), List.of()));
            Batch b = s.lastBatch();
            assertThat(ids(b.entries(), DocEntry.class))
                    .as("checkpoint %d", ckpt[1])
                    .containsExactly("c0", "c1", "c2");
            assertThat(b.fromSeq()).isZero();
            assertThat(b.done()).containsExactly(ALL.key());
            assertThat(s.events.acked).isZero();
        }
    }

    // ---- coverage: backfills of subscriptions added, removed or covered mid-session -------------------

    private static Subscriptions.Item item(Subscription s, boolean covered) {
        return new Subscriptions.Item(s, covered);
    }

    /** Bikes a0…a9 with k = 1, a tombstone b-dead, and c0…c9 with k = 2; a kilobyte each but the tombstone. */
    private static void bikes(Sending s) {
        for (int i = 0; i < 10; i++) s.a.insert(BIKES, "a" + i, obj("k", 1, "pad", "a".repeat(1000)), s.t());
        s.a.insert(BIKES, "b-dead", obj("k", 1), s.t());
        s.a.delete(BIKES, "b-dead", s.t());
        for (int i = 0; i < 10; i++) s.a.insert(BIKES, "c" + i, obj("k", 2, "pad", "c".repeat(1000)), s.t());
    }

    private static SessionConfig oneSmallBatchAtATime() {
        return SessionConfig.builder().batchBytes(4096).window(1).build();
    }

    private static List<String> sentSince(Sending s, int fromBatch, Class<? extends Entry> type) {
        List<Batch> all = s.batches();
        return ids(entries(all.subList(fromBatch, all.size())), type);
    }

    private static List<SubscriptionKey> doneSince(Sending s, int fromBatch) {
        List<SubscriptionKey> l = new ArrayList<>();
        List<Batch> all = s.batches();
        for (Batch b : all.subList(fromBatch, all.size())) l.addAll(b.done());
        return l;
    }

    @Test
    void aSubscriptionRemovedOrReportedCoveredWhileItsBackfillIsUnderWayStopsItAndIsNeverDone() {
        // bikes are covered by B1 (k = 2), so the new subscription's backfill scans only its matches (DOC each)
        Subscription b1 = sub(BIKES, "k = 2"), bikesAll = sub(BIKES, "*");
        for (boolean removed : new boolean[] {true, false}) {
            Sending s = new Sending(oneSmallBatchAtATime());
            bikes(s);
            s.connect();
            s.subscribe(s.a.lastSequence(), List.of(item(b1, true))); // resumed: nothing to send
            s.ack();
            int from = s.batches().size();
            s.subscribe(s.a.lastSequence(), List.of(item(b1, true), item(bikesAll, false)));
            int sentBefore = sentSince(s, from, DocEntry.class).size();
            assertThat(sentBefore).as("the backfill has begun and is not over").isBetween(1, 10);
            // the remote drops the subscription, or reports it covered (it got the documents elsewhere)
            s.subscribe(
                    s.a.lastSequence(),
                    removed ? List.of(item(b1, true)) : List.of(item(b1, true), item(bikesAll, true)));
            s.ackAll();
            assertThat(sentSince(s, from, DocEntry.class))
                    .as("removed %s", removed)
                    .hasSize(sentBefore);
            assertThat(doneSince(s, from)).as("removed %s", removed).doesNotContain(bikesAll.key());
        }
    }

    @Test
    void aSubscriptionAddedWhileAnotherOfItsCollectionIsStillBackfilledScansTheWholeCollectionToo() {
        // B1 (k = 2) is being backfilled when B2 (k = 1) comes: the collection is not covered yet, so B2 needs a
        // scan of the whole collection (tombstones and hints), not only of its matches — B1 may go before its scan
        // ends, and B2's remote would never learn of the tombstone
        Subscription b1 = sub(BIKES, "k = 2"), b2 = sub(BIKES, "k = 1");
        Sending s = new Sending(oneSmallBatchAtATime());
        bikes(s);
        s.connect();
        s.subscribe(s.a.lastSequence(), List.of(item(b1, false)));
        assertThat(ids(s.lastBatch().entries(), DocEntry.class))
                .as("B1's scan has begun")
                .contains("b-dead");
        int from = s.batches().size();
        s.subscribe(s.a.lastSequence(), List.of(item(b1, false), item(b2, false)));
        s.subscribe(s.a.lastSequence(), List.of(item(b2, false))); // B1 goes before its scan ended
        s.ackAll();
        assertThat(sentSince(s, from, DocEntry.class))
                .contains("b-dead", "a0", "a9")
                .doesNotContain("c0", "c9");
        assertThat(sentSince(s, from, HintEntry.class))
                .as("B2's non-matches, hinted")
                .contains("c0", "c9");
        assertThat(doneSince(s, from)).containsExactly(b2.key());
    }

    // ---- push-backs -----------------------------------------------------------------------------------

    /**
     * Our receiving half subscribes to every car and bike; the remote sends us an older state of {@code id} in
     * {@code collection} (ours, written after it, includes it), so the merge leaves ours unchanged: behind.
     */
    private static DocEntry staleCopy(Sending s, String collection, String id) {
        return staleCopy(s, collection, id, "");
    }

    private static DocEntry staleCopy(Sending s, String collection, String id, String pad) {
        s.b.insert(collection, id, obj("k", 1, "v", "old", "pad", pad), 50);
        s.a.txn().put(collection, id, s.b.state(collection, id));
        s.a.update(collection, id, "v", io.starling.internal.core.Value.of("new"), s.t());
        return s.docOf(s.b, collection, id);
    }

    private static Sending pushing(SessionConfig config) {
        Sending s = new Sending(config);
        s.a.subscriptions = List.of(ALL, sub(BIKES, "*"));
        return s;
    }

    /** Where our checkpoint of the remote stands (0: none stored). */
    private static long checkpointOfRemote(Sending s) {
        var c = s.a.checkpoint(s.b.peerId);
        return c == null ? 0 : c.sequence();
    }

    @Test
    void aStateBehindOursInACollectionTheRemoteDoesNotSubscribeToIsNotPushedBackAndOwesNothing() {
        Sending s = pushing(SessionConfig.builder().window(1).build());
        DocEntry stale = staleCopy(s, BIKES, "x");
        s.connect();
        s.subscribe(ALL); // the remote reads cars only; our first batch stays unacknowledged: the window is full
        assertThat(s.batches()).hasSize(1);
        s.remoteBatch(7, stale);
        assertThat(checkpointOfRemote(s))
                .as("nothing owed: the checkpoint moves at once")
                .isEqualTo(7);
        s.ackAll();
        assertThat(ids(entries(s.batches()), DocEntry.class)).doesNotContain("x");
    }

    @Test
    void aPushBackIsSentWholeAsADocAndTheCheckpointWaitsForItsAcknowledgement() {
        Sending s = pushing(SessionConfig.builder().window(1).build());
        DocEntry stale = staleCopy(s, CARS, "x");
        s.a.insert(CARS, "later", obj("k", 1), s.t());
        s.connect();
        s.subscribe(s.a.lastSequence(), List.of(item(K1, true))); // x does not match k = 1 any more: still a DOC
        s.remoteBatch(3, stale);
        assertThat(checkpointOfRemote(s)).isZero();
        s.ack();
        Batch push = s.lastBatch();
        assertThat(push.entries()).singleElement().isInstanceOfSatisfying(DocEntry.class, d -> {
            assertThat(name(d.id())).isEqualTo("x");
            assertThat(d.state()).isEqualTo(s.a.bytes(FakeStore.ref(CARS, "x")));
        });
        assertThat(checkpointOfRemote(s))
                .as("not before the push-back is acknowledged")
                .isZero();
        s.ack();
        assertThat(checkpointOfRemote(s)).isEqualTo(3);
    }

    @Test
    void aSubscriptionKeptInANewRevisionGoesOnWhereItsBackfillWasAndOneOnACoveredCollectionScansOnlyItsMatches() {
        Subscription b1 = sub(BIKES, "k = 2"), bikesAll = sub(BIKES, "*"), carsK1 = sub(CARS, "k = 1");
        Sending s = new Sending(oneSmallBatchAtATime());
        bikes(s);
        for (int i = 0; i < 10; i++) s.a.insert(CARS, "car" + i, obj("k", 1, "pad", "x".repeat(1000)), s.t());
        s.connect();
        s.subscribe(s.a.lastSequence(), List.of(item(b1, true)));
        s.ack();
        int from = s.batches().size();
        // cars k = 1: a scan of the whole collection (no covered subscription reads cars)
        s.subscribe(s.a.lastSequence(), List.of(item(b1, true), item(carsK1, false)));
        assertThat(sentSince(s, from, DocEntry.class)).as("under way").hasSizeBetween(1, 9);
        // the remote has not seen cars k = 1 done yet, so it still reports it not covered; it adds every bike, a
        // scan of its matches only (bikes are covered by k = 2), while the scan of cars goes on
        s.subscribe(s.a.lastSequence(), List.of(item(b1, true), item(carsK1, false), item(bikesAll, false)));
        s.ackAll();
        Map<String, List<String>> sent = new LinkedHashMap<>();
        for (Entry e : entries(s.batches().subList(from, s.batches().size()))) {
            if (e instanceof DocEntry)
                sent.computeIfAbsent(e.collection(), c -> new ArrayList<>()).add(name(e.id()));
        }
        assertThat(sent.get(CARS)).as("each car once").hasSize(10).doesNotHaveDuplicates();
        assertThat(sent.get(BIKES))
                .as("each matching bike once, and no tombstone")
                .hasSize(20)
                .doesNotHaveDuplicates()
                .doesNotContain("b-dead");
        assertThat(doneSince(s, from)).containsExactlyInAnyOrder(bikesAll.key(), carsK1.key());
    }

    // ---- continuation: groups and states larger than a frame ----------------------------------------

    /** The id of a state larger than a frame: long, so that a piece sized without its entry's header overflows. */
    private static final String HUGE = "huge-" + "h".repeat(120);

    /** Every group of the live feed arrives whole: a batch that ends inside a group is continued. */
    private static void assertGroupsWhole(List<Batch> batches) {
        Long open = null; // the group the last batch ended in, if continued
        for (Batch b : batches) {
            for (Entry e : b.entries()) {
                long g = e instanceof DocEntry d ? d.group() : e instanceof PartEntry p ? p.group() : -1;
                if (open != null && g >= 0)
                    assertThat(g)
                            .as("batch %d goes on with group %d", b.batchNo(), open)
                            .isEqualTo(open);
                open = null;
            }
            if (b.continued()) {
                Entry last = b.entries().get(b.entries().size() - 1);
                open = last instanceof DocEntry d ? d.group() : ((PartEntry) last).group();
            } else {
                open = null;
            }
        }
    }

    /** Groups of the live feed: which batches carried each, by group id. */
    private static Map<Long, List<Long>> groupBatches(List<Batch> batches) {
        Map<Long, List<Long>> m = new LinkedHashMap<>();
        for (Batch b : batches) {
            for (Entry e : b.entries()) {
                long g = e instanceof DocEntry d ? d.group() : e instanceof PartEntry p ? p.group() : -1;
                if (g < 0) continue;
                List<Long> l = m.computeIfAbsent(g, k -> new ArrayList<>());
                if (l.isEmpty() || l.get(l.size() - 1) != b.batchNo()) l.add(b.batchNo());
            }
        }
        return m;
    }

    @Test
    void aGroupWithAStateLargerThanAFrameGoesOnInContinuedBatchesUntilItsLastRow() {
        Sending s = new Sending(smallFrames());
        s.a.insert(CARS, "before", obj("k", 1), s.t());
        s.connect();
        s.subscribe(s.a.lastSequence(), List.of(item(ALL, true)));
        s.ack();
        // one transaction: a state of three frames, then rows that together exceed a frame again
        long group = s.a.lastSequence() + 1;
        var txn = s.a.txn().insert(CARS, HUGE, obj("pad", "h".repeat(3 * FRAME)), s.t());
        for (int i = 0; i < 30; i++) txn.insert(CARS, "row" + i, obj("pad", "r".repeat(4000)), s.t());
        s.a.insert(CARS, "after", obj("k", 1), s.t());
        s.localChange();
        s.ackAll();
        List<Batch> batches = s.batches();
        assertGroupsWhole(batches);
        Map<DocRef, byte[]> docs = documents(batches);
        assertThat(ids(docs)).containsSubsequence(HUGE, "row0", "row29", "after");
        docs.forEach((ref, state) -> assertThat(state).as("%s", ref).isEqualTo(s.a.bytes(ref)));
        List<Long> carriers = groupBatches(batches).get(group);
        assertThat(carriers.size()).as("the group spans several batches").isGreaterThan(3);
        for (Batch b : batches) {
            if (carriers.contains(b.batchNo()) && b.batchNo() != carriers.get(carriers.size() - 1))
                assertThat(b.continued()).as("batch %d", b.batchNo()).isTrue();
        }
    }

    /** A document state whose DOC entry, in {@code group}, takes exactly {@code entryBytes}. */
    private static io.starling.internal.crdt.DocumentState exactState(String id, long group, long hlc, int entryBytes) {
        int over = WireCodec.docEntryOverhead(CARS, FakeStore.id(id), group);
        for (int pad = entryBytes; pad > 0; pad--) {
            var state = io.starling.internal.crdt.DocumentState.empty()
                    .insert(obj("pad", "x".repeat(pad)), new io.starling.internal.core.Stamp(hlc, 1));
            int n = over + WireCodec.bytesSize(state.encode().length);
            if (n == entryBytes) return state;
            if (n > entryBytes) pad -= n - entryBytes - 1; // close in fast
        }
        throw new AssertionError("no state of " + entryBytes + " bytes");
    }

    @Test
    void aGroupLargerThanAFrameFillsABatchExactlyAndGoesOnWithTheRowThatNoLongerFits() {
        Sending s = new Sending(smallFrames());
        s.a.insert(CARS, "before", obj("k", 1), s.t());
        s.connect();
        s.subscribe(s.a.lastSequence(), List.of(item(ALL, true)));
        s.ack();
        // a batch holds the frame less 64 bytes for its header: 16 entries of exactly a sixteenth of that
        int entry = (FRAME - 64) / 16;
        long group = s.a.lastSequence() + 1;
        var txn = s.a.txn();
        for (int i = 0; i < 40; i++) {
            String id = String.format("r%02d", i);
            txn.put(CARS, id, exactState(id, group, s.t(), entry));
        }
        s.localChange();
        s.ackAll();
        assertThat(s.session.isClosed()).isFalse();
        List<Batch> batches = s.batches();
        assertGroupsWhole(batches);
        assertThat(batches.get(2).entries()).hasSize(16).allMatch(e -> e instanceof DocEntry);
        assertThat(WireCodec.batchSize(batches.get(2))).isBetween(FRAME - 64, FRAME);
        Map<DocRef, byte[]> docs = documents(batches);
        assertThat(docs).hasSize(40);
        docs.forEach((ref, state) -> assertThat(state).as("%s", ref).isEqualTo(s.a.bytes(ref)));
    }

    @Test
    void aBackfilledStateLargerThanAFrameIsSentInPiecesOnceAndTheScanGoesOnAfterIt() {
        Subscription bikesAll = sub(BIKES, "*");
        Sending s = new Sending(smallFrames());
        s.a.putRaw(BIKES, "a", new byte[300]);
        s.a.putRaw(BIKES, "b" + HUGE, new byte[2 * FRAME + 100]);
        s.a.putRaw(BIKES, "c", new byte[300]);
        s.connect();
        s.subscribe(s.a.lastSequence(), List.of(item(ALL, true), item(bikesAll, false)));
        s.ackAll();
        Map<DocRef, byte[]> docs = documents(s.batches());
        assertThat(ids(docs)).containsExactly("a", "b" + HUGE, "c");
        docs.forEach((ref, state) -> assertThat(state).as("%s", ref).isEqualTo(s.a.bytes(ref)));
        assertThat(ids(entries(s.batches()), PartEntry.class))
                .containsOnly("b" + HUGE)
                .hasSizeGreaterThan(1);
        assertThat(doneSince(s, 0)).containsExactly(bikesAll.key());
    }

    @Test
    void aPushBackTheRemoteNoLongerWantsIsReleasedWithoutBeingSent() {
        Sending s = pushing(SessionConfig.builder().window(1).build());
        DocEntry stale = staleCopy(s, CARS, "x");
        s.connect();
        s.subscribe(s.a.lastSequence(), List.of(item(ALL, true))); // our first batch stays unacknowledged
        s.remoteBatch(3, stale); // the push-back waits for room in the window
        assertThat(checkpointOfRemote(s)).isZero();
        int from = s.batches().size();
        s.subscribe(s.a.lastSequence(), List.of(item(sub(BIKES, "*"), true))); // the remote no longer reads cars
        s.ack();
        assertThat(checkpointOfRemote(s)).isEqualTo(3);
        s.ackAll();
        assertThat(entries(s.batches().subList(from, s.batches().size()))).isEmpty();
    }

    @Test
    void pushBacksFillBatchesUpToBatchBytesLikeAnyEntries() {
        Sending s = pushing(SessionConfig.builder().batchBytes(4096).window(1).build());
        List<Entry> stale = new ArrayList<>();
        for (int i = 0; i < 6; i++) stale.add(staleCopy(s, CARS, "x" + i, "p".repeat(1500)));
        s.connect();
        s.subscribe(s.a.lastSequence(), List.of(item(ALL, true)));
        s.remoteBatch(0, 3, stale);
        s.ackAll();
        List<Batch> pushes = new ArrayList<>();
        for (Batch b : s.batches()) {
            if (!b.entries().isEmpty()) pushes.add(b);
        }
        assertThat(ids(entries(pushes), DocEntry.class)).containsExactly("x0", "x1", "x2", "x3", "x4", "x5");
        for (Batch b : pushes)
            assertThat(WireCodec.encode(b).length).as("batch %d", b.batchNo()).isLessThanOrEqualTo(4096);
        assertThat(checkpointOfRemote(s)).isEqualTo(3);
    }

    @Test
    void atMostMaxPushPushBacksWaitAndTheCheckpointStaysBeforeTheFirstBatchBeyond() {
        Sending s = pushing(SessionConfig.defaults());
        int n = Sender.MAX_PUSH + 2;
        List<Entry> stale = new ArrayList<>();
        long hlc = 1_000_000;
        for (int i = 0; i < n; i++) { // as staleCopy, in bulk
            String id = "p" + i;
            var older = io.starling.internal.crdt.DocumentState.empty()
                    .insert(obj("v", i), new io.starling.internal.core.Stamp(50, s.b.peerId));
            s.a.txn()
                    .put(
                            CARS,
                            id,
                            older.update(
                                    List.of(new io.starling.internal.crdt.FieldOp.Set(
                                            io.starling.internal.core.Path.of("w"),
                                            io.starling.internal.core.Value.of(1))),
                                    new io.starling.internal.core.Stamp(hlc++, s.a.peerId)));
            stale.add(new DocEntry(CARS, FakeStore.id(id), 1, older.encode()));
        }
        s.connect();
        s.subscribe(s.a.lastSequence(), List.of(item(ALL, true))); // one batch in flight: fill the window
        for (int i = 0; i < 8; i++) { // four batches in flight, unacknowledged: no push-back is sent meanwhile
            s.a.insert(CARS, "w" + i, obj("k", 1, "pad", "w".repeat(200_000)), s.t());
        }
        s.localChange();
        assertThat(s.session.sender().inFlight())
                .isEqualTo(SessionConfig.defaults().window());
        // MAX_PUSH stale states in 8 batches (remote rows 1–8), then one more (row 9), then another (row 10)
        int per = Sender.MAX_PUSH / 8;
        for (int k = 0; k < 8; k++) s.remoteBatch(k, k + 1, stale.subList(k * per, (k + 1) * per));
        assertThat(s.events.warnings).isEmpty();
        s.remoteBatch(8, 9, stale.subList(n - 2, n - 1));
        s.remoteBatch(9, 10, stale.subList(n - 1, n));
        assertThat(s.events.warnings).singleElement().asString().contains("push-back queue full");
        s.ackAll();
        assertThat(ids(entries(s.batches()), DocEntry.class)).contains("p0", "p" + (Sender.MAX_PUSH - 1));
        assertThat(checkpointOfRemote(s))
                .as("every push-back queued was met, not the one beyond")
                .isEqualTo(8);
        assertThat(s.session.isClosed()).isFalse();
    }

    // ---- the frame: room for the done keys ------------------------------------------------------------

    @Test
    void aFullBatchKeepsRoomInTheFrameForTheDoneKeysOfEveryBackfillThatMayEndInIt() {
        // 899 subscriptions on empty collections end their backfill at once, then every car fills the batch
        List<Subscriptions.Item> items = new ArrayList<>();
        for (int i = 0; i < 899; i++) items.add(item(sub("e" + i, "*"), false));
        items.add(item(ALL, false));
        Sending s = new Sending(smallFrames());
        for (int i = 0; i < 100; i++) s.a.insert(CARS, String.format("c%03d", i), obj("pad", "c".repeat(1000)), s.t());
        s.connect();
        s.subscribe(s.a.lastSequence(), items); // frames are checked as they are sent
        Batch first = s.batches().get(0);
        assertThat(first.done()).hasSize(899);
        assertThat(first.entries()).hasSizeGreaterThan(30);
        assertThat(WireCodec.encode(first).length).isGreaterThan(FRAME - 2048); // full indeed
        s.ackAll();
        assertThat(ids(documents(s.batches()))).hasSize(100);
        assertThat(doneSince(s, 0)).hasSize(900);
    }

    // ---- batches of nothing ----------------------------------------------------------------------------

    @Test
    void nothingIsSentBeforeTheFirstSubscriptionsAndRowsThatNeedNothingAreWorthABatchOnlyByTheThousand() {
        Sending s = new Sending();
        for (int i = 0; i < 1100; i++) s.a.insert(CARS, "c" + i, obj("k", i), s.t());
        s.connect();
        s.localChange();
        assertThat(s.batches()).as("before SUBSCRIPTIONS").isEmpty();
        s.subscribe(s.a.lastSequence(), List.of(item(sub(BIKES, "*"), true)));
        assertThat(s.batches()).hasSize(1);
        s.ack();
        long from = s.a.lastSequence();
        for (int i = 0; i < (int) Sender.PROGRESS_ROWS - 1; i++) s.a.insert(CARS, "d" + i, obj("k", i), s.t());
        s.localChange();
        assertThat(s.batches()).as("1,023 rows that need nothing").hasSize(1);
        s.a.insert(CARS, "last", obj("k", 1), s.t());
        s.localChange();
        assertThat(s.batches()).hasSize(2);
        assertThat(s.lastBatch().entries()).isEmpty();
        assertThat(s.lastBatch().fromSeq()).isEqualTo(from);
        assertThat(s.lastBatch().toSeq()).isEqualTo(from + Sender.PROGRESS_ROWS);
    }

    // ---- summaries and acknowledgements ---------------------------------------------------------------

    @Test
    void summaryBucketsCountOncePerCollectionAndSummariesAfterTheFirstSubscriptionsAreIgnored() {
        long[] buckets = new long[Summaries.MAX_BUCKETS];
        Sending s = new Sending().connect();
        for (int i = 0; i < 6; i++) s.feed(new Message.Summary(CARS, buckets)); // a replaced summary counts once
        assertThat(s.session.isClosed()).isFalse();
        s.subscribe(ALL);
        for (int i = 0; i < 6; i++) s.feed(new Message.Summary("c" + i, buckets)); // too late: ignored, not counted
        assertThat(s.session.isClosed()).isFalse();
    }

    @Test
    void anAcknowledgementOfABatchNeverSentClosesNamingTheLastOneSent() {
        Sending s = new Sending().connect();
        s.subscribe(ALL);
        assertThat(s.batches()).hasSize(1);
        s.feed(new Ack(5));
        assertClosed(s, SyncSession.OUT_OF_ORDER);
        assertThat(s.events.closedMessage).isEqualTo("ACK for batch 5, never sent (last 1)");
    }

    // ---- echo suppression ------------------------------------------------------------------------------

    @Test
    void aStateTheRemoteSentIsNotSentBackButABackfillAfterwardsSendsIt() {
        Sending s = pushing(SessionConfig.defaults());
        s.connect();
        s.subscribe(s.a.lastSequence(), List.of(item(ALL, true)));
        s.ack();
        s.b.insert(CARS, "d", obj("k", 1), 50);
        s.remoteBatch(1, s.docOf(s.b, CARS, "d"));
        assertThat(s.a.bytes(FakeStore.ref(CARS, "d"))).isEqualTo(s.b.bytes(FakeStore.ref(CARS, "d")));
        s.ackAll();
        assertThat(ids(entries(s.batches()), DocEntry.class))
                .as("not sent back")
                .isEmpty();
        // a new subscription's backfill sends every match: the suppression was used up
        int from = s.batches().size();
        s.subscribe(s.a.lastSequence(), List.of(item(ALL, true), item(K1, false)));
        s.ackAll();
        assertThat(sentSince(s, from, DocEntry.class)).containsExactly("d");
    }

    @Test
    void aStateTheRemoteSentOfACollectionItSubscribesToLaterIsNotSentBackByTheBackfillOnce() {
        Subscription bikesAll = sub(BIKES, "*"), bikesK1 = sub(BIKES, "k = 1");
        Sending s = pushing(SessionConfig.defaults());
        s.connect();
        s.subscribe(s.a.lastSequence(), List.of(item(ALL, true))); // not bikes, yet
        s.ack();
        s.b.insert(BIKES, "d", obj("k", 1), 50);
        s.remoteBatch(1, s.docOf(s.b, BIKES, "d"));
        s.ackAll();
        int from = s.batches().size();
        s.subscribe(s.a.lastSequence(), List.of(item(ALL, true), item(bikesAll, false)));
        s.ackAll();
        assertThat(sentSince(s, from, DocEntry.class))
                .as("the remote's own state")
                .isEmpty();
        assertThat(doneSince(s, from)).containsExactly(bikesAll.key());
        from = s.batches().size();
        s.subscribe(s.a.lastSequence(), List.of(item(ALL, true), item(bikesAll, true), item(bikesK1, false)));
        s.ackAll();
        assertThat(sentSince(s, from, DocEntry.class))
                .as("the suppression was used up")
                .containsExactly("d");
    }

    @Test
    void echoesInAGroupLargerThanAFrameAreUsedUpToo() {
        for (boolean echoesFirst : new boolean[] {true, false}) {
            Sending s = pushing(smallFrames());
            List<Entry> remote = new ArrayList<>();
            List<Entry> echoes = new ArrayList<>();
            for (int i = 0; i < 20; i++) { // concurrent versions: the merge differs from both, and is sent
                String id = "m" + i;
                s.b.insert(CARS, id, obj("k", 2, "pad", "m".repeat(4000)), 50 + i);
                s.a.txn().put(CARS, id, s.b.state(CARS, id));
                s.a.update(CARS, id, "w", io.starling.internal.core.Value.of(1), s.t());
                s.b.update(CARS, id, "v", io.starling.internal.core.Value.of(2), 80 + i);
                remote.add(s.docOf(s.b, CARS, id));
            }
            for (int i = 0; i < 5; i++) {
                s.b.insert(CARS, "e" + i, obj("k", 1), 90 + i);
                echoes.add(s.docOf(s.b, CARS, "e" + i));
            }
            if (echoesFirst) remote.addAll(0, echoes);
            else remote.addAll(echoes);
            s.connect();
            s.subscribe(s.a.lastSequence(), List.of(item(ALL, true)));
            s.ack();
            s.remoteBatch(0, 1, remote); // merged in one transaction: one group of about 80 KB
            s.ackAll();
            List<String> sent = ids(documents(s.batches()));
            assertThat(sent).as("echoes first %s", echoesFirst).hasSize(20).allMatch(id -> id.startsWith("m"));
            int from = s.batches().size();
            s.subscribe(s.a.lastSequence(), List.of(item(ALL, true), item(K1, false)));
            s.ackAll();
            assertThat(sentSince(s, from, DocEntry.class))
                    .as("echoes first %s", echoesFirst)
                    .containsExactlyInAnyOrder("e0", "e1", "e2", "e3", "e4");
        }
    }

    private static void assertClosed(Sending s, String reason) {
        assertThat(s.session.isClosed()).isTrue();
        assertThat(only(s.out, Close.class))
                .last()
                .satisfies(c -> assertThat(c.reason()).isEqualTo(reason));
    }
}
