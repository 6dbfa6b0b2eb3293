package io.starling.internal.sync;

import io.starling.internal.core.BinaryWriter;
import io.starling.internal.core.CodecException;
import io.starling.internal.crdt.DocumentException;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.sync.Message.Ack;
import io.starling.internal.sync.Message.Batch;
import io.starling.internal.sync.Message.DocEntry;
import io.starling.internal.sync.Message.Docs;
import io.starling.internal.sync.Message.Entry;
import io.starling.internal.sync.Message.HintEntry;
import io.starling.internal.sync.Message.PartEntry;
import io.starling.internal.sync.Message.Request;
import io.starling.internal.sync.Message.Subscriptions;
import io.starling.internal.sync.Message.Summary;
import io.starling.internal.sync.Message.Zombies;
import io.starling.internal.sync.SyncStoreView.ApplyResult;
import io.starling.internal.sync.SyncStoreView.Checkpoint;
import io.starling.internal.sync.SyncStoreView.Doc;
import io.starling.internal.sync.SyncStoreView.DocRef;
import io.starling.internal.sync.SyncStoreView.RemoteRejectedException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The receiving half of a session: our subscriptions, the remote's batches applied with our checkpoint, hints
 * turned into requests. See the design note of {@link SyncSession}; the rules are those of
 * docs/SYNC-PROTOCOL.md, "The receiver". Not thread-safe.
 */
final class Receiver {
    /** Above this many hinted documents waiting for an answer, batches are acknowledged only as requests drain. */
    static final int MAX_PENDING_HINTS = 4096;

    static final int MAX_REQUEST_DOCS = 64;
    /** Our SUBSCRIPTIONS must fit the smallest frame any peer may announce. */
    static final int MAX_SUBSCRIPTIONS_BYTES = SessionConfig.MIN_FRAME / 2;
    /** Batches whose checkpoint waits for obligations; beyond, new batches share the last one's. */
    static final int MAX_HELD_BACK = 64;

    private final SyncSession session;
    private final SyncStoreView store;

    /** How often (clock ticks) we look for new collections to subscribe to for a remote that does not read EVERY. */
    static final long COLLECTION_CHECK_MILLIS = 2_000;

    private List<Subscription> registered = List.of(); // as the application set them, EVERY included
    private List<Subscription> subs = List.of(); // as announced to this remote: EVERY expanded for one that lacks it
    private boolean remoteEvery; // the remote announced CAP_EVERY (and we honour it)
    private boolean expanding; // EVERY replaced by one subscription per collection we hold (for this remote)
    private boolean collectionsChanged; // expanding EVERY: a local change may have added a collection
    private long collectionsCheckedAt = Long.MIN_VALUE;
    private boolean expansionWarned;
    private Set<SubscriptionKey> covered = new HashSet<>();
    private final Map<SubscriptionKey, Long> since = new HashMap<>(); // revision at which a key was (re)added
    private long revision;
    private final Set<String> heldAnnounced = new HashSet<>();
    private Set<String> heldAtStart = Set.of(); // held in our first SUBSCRIPTIONS of the session
    private boolean remoteHintPasses; // the remote reads "covered, hints owed" (CAP_HINT_PASS)
    private boolean announced; // the first SUBSCRIPTIONS went out
    // peers that never met: collections being reconciled by ranges (SUBSCRIPTIONS waits for them), and those done
    private final Map<String, Reconciliation.Responder> reconciling = new LinkedHashMap<>();
    private final Set<String> reconciledCollections = new HashSet<>();
    private long rangesReceived;

    private long remoteIncarnation;
    private @Nullable Checkpoint
            durable; // the last checkpoint stored for this remote (of its current incarnation), or null
    private long lastBatchNo;
    private long lastRevisionSeen;
    private long activity; // grows with every batch or DOCS part: the receiver's timeout watches it
    private long denied; // changes the remote's write permission did not allow
    private long deltasApplied, deltasRefused; // DELTA entries kept, and refused (their documents requested whole)
    // resumed sessions: the set digest of our last SUBSCRIPTIONS and its revision (0: the sender processed it, or no
    // memory), the revision sent as a marker (0: none outstanding), markers sent
    private long setDigest, setRevision, markerRevision, markersSent;

    // a continued group, held until it ends
    private final List<Doc> holding = new ArrayList<>();
    /** The last state of each document in {@link #holding}: what a hint in the same group is judged against. */
    private final Map<DocRef, byte[]> holdingStates = new HashMap<>();

    private long holdingBytes;
    private @Nullable InPartial partial;
    private boolean groupWarned;

    /**
     * The checkpoint may not pass a batch until what the batch obliged us to do is done: the documents it hinted
     * were fetched, the states we found it older than ours were pushed back and acknowledged. Otherwise a session
     * that ends meanwhile would forget them (the next one starts past the batch). A document refused as a zombie
     * is an obligation never met in the session: ZOMBIES is neither numbered nor acknowledged, so we cannot know
     * that the holder evicted its copy, and only a resend of the batch (the next session starts before it) refuses
     * it again — or finds it gone, or no longer a zombie.
     */
    static final class Obligation {
        long toSeq;
        Set<SubscriptionKey> covered = Set.of();
        int remaining;
    }

    private @Nullable Obligation groupOb; // the obligation of the group being received
    private final ArrayDeque<Obligation> heldBack = new ArrayDeque<>();

    private long ackOwed; // acknowledgement deferred while too many hints wait

    private record HintInfo(int size, Obligation ob) {}

    private final LinkedHashMap<DocRef, HintInfo> hints = new LinkedHashMap<>();
    private final Map<DocRef, HintInfo> requested = new LinkedHashMap<>();
    private long nextRequestNo = 1;
    private long outstanding; // request waiting for DOCS, or 0
    private int expectedPart;
    private @Nullable InPartial docsPartial;

    Receiver(SyncSession session, SyncStoreView store) {
        this.session = session;
        this.store = store;
    }

    /** A state arriving in parts. */
    private static final class InPartial {
        final String collection;
        final byte[] id;
        final BinaryWriter bytes = new BinaryWriter(1 << 16);

        InPartial(Entry first) {
            collection = first.collection();
            id = first.id();
        }
    }

    long activity() {
        return activity;
    }

    long denied() {
        return denied;
    }

    /** Batches whose checkpoint waits for their obligations (at most {@link #MAX_HELD_BACK}); for tests. */
    int heldBackBatches() {
        return heldBack.size();
    }

    /** Hinted documents not answered yet (waiting for a REQUEST, or requested); for tests. */
    int hintsWaiting() {
        return hints.size() + requested.size();
    }

    /** True between the batches of a continued group (its entries held until it ends); for tests. */
    boolean inGroup() {
        return groupOb != null;
    }

    /** True while we wait for the remote: a request unanswered, or a subscription revision not yet acknowledged. */
    boolean waiting() {
        return outstanding != 0 || (announced && lastRevisionSeen < revision) || !reconciling.isEmpty();
    }

    // ---- our subscriptions ----------------------------------------------------------------------------

    void setSubscriptions(List<Subscription> list, List<Message> out) {
        registered = List.copyOf(list);
        effectiveSubscriptions();
        if (announced) announce(out);
    }

    /** Our subscriptions as this remote is told them ({@link #subs}), from {@link #registered}. */
    private void effectiveSubscriptions() {
        LinkedHashMap<SubscriptionKey, Subscription> unique = new LinkedHashMap<>();
        for (Subscription s : expanded()) unique.putIfAbsent(s.key(), s);
        retainCovered(unique.keySet());
        since.keySet().retainAll(unique.keySet());
        for (SubscriptionKey k : unique.keySet()) {
            if (!since.containsKey(k)) since.put(k, revision + 1);
        }
        subs = List.copyOf(unique.values());
    }

    /**
     * Keeps in {@link #covered} the keys of these subscriptions, as covered ({@link SubscriptionKey}) or covered while
     * the collection was not held ({@link SubscriptionKey#unhinted()}).
     */
    private void retainCovered(Set<SubscriptionKey> keys) {
        Set<SubscriptionKey> keep = new HashSet<>(keys);
        for (SubscriptionKey k : keys) keep.add(k.unhinted());
        covered.retainAll(keep);
    }

    /**
     * {@link #registered}, with {@link Subscription#EVERY} replaced — for a remote that does not read it — by one
     * subscription per collection we hold (as many as fit a SUBSCRIPTIONS message any peer accepts; the rest wait, with
     * a warning). A collection created later is added by {@link #tick}.
     */
    private List<Subscription> expanded() {
        boolean every = false;
        for (Subscription s : registered) every |= s.everyCollection();
        expanding = every && !remoteEvery;
        if (!expanding) return registered;
        List<Subscription> out = new ArrayList<>();
        Set<SubscriptionKey> keys = new HashSet<>();
        int size = 64;
        for (Subscription s : registered) {
            if (s.everyCollection()) continue;
            out.add(s);
            keys.add(s.key());
            size += subscriptionBytes(s);
        }
        if (!session.established()) return out; // what the remote reads is not known yet
        int maxCount = SessionConfig.MIN_FRAME / 68; // what any sender accepts
        int left = 0;
        for (String c : store.collections()) {
            if (!Subscription.coveredByEvery(c)) continue;
            Subscription s = Subscription.wholeCollection(c);
            if (keys.contains(s.key())) continue;
            int n = subscriptionBytes(s);
            if (out.size() >= maxCount || size + n > MAX_SUBSCRIPTIONS_BYTES) {
                left++;
                continue;
            }
            out.add(s);
            keys.add(s.key());
            size += n;
        }
        if (left > 0 && !expansionWarned) {
            expansionWarned = true;
            session.warning("the remote does not read a subscription to every collection, and " + left
                    + " collections do not fit in one SUBSCRIPTIONS message: they are not asked for");
        }
        return out;
    }

    /** What a subscription adds to SUBSCRIPTIONS, its collection listed in {@code held} included. */
    private static int subscriptionBytes(Subscription s) {
        return 1
                + WireCodec.KEY_BYTES
                + WireCodec.stringSize(s.collection()) * 2
                + WireCodec.stringSize(s.query())
                + 1
                + 8 * s.args().fields().size() // a rough bound is enough: registered ones were checked exactly
                + 1;
    }

    /**
     * The clock: for a remote that does not read EVERY, at most every {@link #COLLECTION_CHECK_MILLIS} after a local
     * change, looks for collections created since and subscribes to them too.
     */
    void tick(long nowMillis, List<Message> out) {
        if (!announced || !collectionsChanged) return;
        if (collectionsCheckedAt != Long.MIN_VALUE && nowMillis - collectionsCheckedAt < COLLECTION_CHECK_MILLIS)
            return;
        collectionsChanged = false;
        collectionsCheckedAt = nowMillis;
        List<Subscription> before = subs;
        effectiveSubscriptions();
        if (!before.equals(subs)) announce(out);
    }

    static void checkSize(List<Subscription> list) {
        List<Subscriptions.Item> items = new ArrayList<>();
        for (Subscription s : list) items.add(new Subscriptions.Item(s, false));
        int size = WireCodec.encode(new Subscriptions(1, 0, Long.MAX_VALUE, items, List.of())).length;
        for (Subscription s : list) size += WireCodec.stringSize(s.collection()); // held, at worst
        if (size > MAX_SUBSCRIPTIONS_BYTES) {
            throw new IllegalArgumentException(list.size() + " subscriptions take " + size + " bytes; at most "
                    + MAX_SUBSCRIPTIONS_BYTES + " fit in a SUBSCRIPTIONS message");
        }
    }

    /**
     * Both HELLOs accepted: our first SUBSCRIPTIONS, with the checkpoint we hold for this remote — preceded, when we
     * hold none and the remote reads them, by a SUMMARY of each subscribed collection we hold documents in.
     */
    void established(long remotePeerId, long remoteIncarnation, long remoteCapabilities, List<Message> out) {
        this.remoteIncarnation = remoteIncarnation;
        remoteEvery = session.config().everyCollection() && (remoteCapabilities & SessionConfig.CAP_EVERY) != 0;
        remoteHintPasses = session.config().hintPasses() && (remoteCapabilities & SessionConfig.CAP_HINT_PASS) != 0;
        effectiveSubscriptions(); // announced below
        Checkpoint ckpt = store.checkpoint(remotePeerId);
        if (ckpt != null && ckpt.incarnation() == remoteIncarnation) {
            durable = ckpt;
            covered = new HashSet<>(ckpt.covered());
        } else { // no checkpoint, or one of a store that was replaced since: everything again, from 0
            durable = null;
            covered = new HashSet<>();
        }
        Set<SubscriptionKey> keys = new HashSet<>();
        for (Subscription s : subs) keys.add(s.key());
        retainCovered(keys);
        since.clear();
        for (SubscriptionKey k : keys) since.put(k, 1L);
        revision = 0;
        boolean cold = durable == null || durable.sequence() == 0;
        if (cold && session.config().ranges() && (remoteCapabilities & SessionConfig.CAP_RANGES) != 0) {
            reconcile(out);
            if (!reconciling.isEmpty()) return; // SUBSCRIPTIONS once every collection is reconciled
        } else if (cold && (remoteCapabilities & SessionConfig.CAP_SUMMARY) != 0) {
            summarize(out);
        }
        announce(out);
    }

    /**
     * Peers that never met, both reading RANGES: each subscribed collection we hold enough of is reconciled before our
     * first SUBSCRIPTIONS (docs/SYNC-PROTOCOL.md, "Peers that never met: ranges").
     */
    private void reconcile(List<Message> out) {
        for (String c : subscribedCollections()) {
            if (reconciling.size() >= Reconciliation.MAX_COLLECTIONS) break;
            if (!store.holdsAny(c)) continue;
            Reconciliation.Index index = Reconciliation.Index.build(store, c);
            if (index.size == 0 || index.stateBytes < (long) session.config().summaryRatio() * Reconciliation.MIN_BYTES)
                continue;
            Reconciliation.Responder r = new Reconciliation.Responder(c, index);
            reconciling.put(c, r);
            out.add(r.open());
        }
    }

    /** The sender's SPLIT: describe the ranges it asks for, or, once every collection is done, SUBSCRIPTIONS. */
    void onRanges(Message.Ranges m, List<Message> out) {
        if (!(m.part() instanceof Message.Ranges.Split split)) {
            session.fail(
                    SyncSession.MALFORMED, "ranges " + m.part().getClass().getSimpleName() + " sent to a receiver");
            return;
        }
        Reconciliation.Responder r = reconciling.get(m.collection());
        if (r == null || r.done() || m.round() < r.round()) {
            if (r != null || reconciledCollections.contains(m.collection())) return; // a duplicate
            session.fail(SyncSession.OUT_OF_ORDER, "ranges SPLIT of " + m.collection() + ", never reconciled");
            return;
        }
        if (m.round() > r.round()) {
            session.fail(SyncSession.OUT_OF_ORDER, "ranges SPLIT round " + m.round() + " after " + r.round());
            return;
        }
        activity++;
        rangesReceived++;
        Message.Ranges next;
        try {
            next = r.onSplit(split, Reconciliation.maxSplits(session.frameLimit()));
        } catch (WireException e) {
            session.fail(e.reason(), Objects.requireNonNullElse(e.getMessage(), e.reason()));
            return;
        }
        if (next != null) {
            out.add(next);
            return;
        }
        reconciling.remove(m.collection());
        reconciledCollections.add(m.collection());
        if (reconciling.isEmpty() && !announced) announce(out);
    }

    /** SPLIT answers received (the handshake's progress while collections are reconciled). */
    long rangesReceived() {
        return rangesReceived;
    }

    /** True while a collection is being reconciled (our first SUBSCRIPTIONS waits for it). */
    boolean reconciling() {
        return !reconciling.isEmpty();
    }

    /** Peers that never met: what we hold already, so that the sender skips it (docs/SYNC-PROTOCOL.md). */
    private void summarize(List<Message> out) {
        int buckets = 0;
        for (String c : subscribedCollections()) {
            if (!store.holdsAny(c)) continue;
            long[] sums = Summaries.ofCollection(
                    store, c, session.frameLimit(), session.config().summaryRatio());
            if (sums == null) continue;
            // the sender accepts this many in all (many collections, under EVERY say): the rest are sent as usual
            if (buckets + sums.length > Sender.MAX_SUMMARY_BUCKETS) break;
            buckets += sums.length;
            out.add(new Summary(c, sums));
        }
    }

    /** The collections our subscriptions read, EVERY's being those we hold (the others have nothing to compare). */
    private Set<String> subscribedCollections() {
        Set<String> collections = new LinkedHashSet<>();
        for (Subscription s : subs) {
            if (!s.everyCollection()) collections.add(s.collection());
            else
                for (String c : store.collections()) {
                    if (Subscription.coveredByEvery(c)) collections.add(c);
                }
        }
        return collections;
    }

    private void announce(List<Message> out) {
        revision++;
        boolean first = !announced;
        announced = true;
        Set<String> collections = new LinkedHashSet<>();
        for (Subscription s : subs) {
            if (!s.everyCollection()) collections.add(s.collection()); // EVERY's documents all match: no hints
        }
        List<String> held = new ArrayList<>();
        for (String c : collections) {
            if (heldAnnounced.contains(c) || store.holdsAny(c)) {
                held.add(c);
                heldAnnounced.add(c);
            }
        }
        if (first) heldAtStart = Set.copyOf(held);
        List<Subscriptions.Item> items = new ArrayList<>(subs.size());
        boolean hintsOwed = false;
        for (Subscription s : subs) {
            SubscriptionKey k = s.key();
            if (covered.contains(k)) items.add(new Subscriptions.Item(s, true));
            else if (!covered.contains(k.unhinted())) items.add(new Subscriptions.Item(s, false));
            else if (!heldAtStart.contains(s.collection())) items.add(new Subscriptions.Item(s, true));
            else if (!first) items.add(new Subscriptions.Item(s, false)); // its hint pass goes on: the sender keeps it
            else if (remoteHintPasses) { // covered while we held nothing of it, and we hold some now: hints owed
                items.add(new Subscriptions.Item(s, true, true));
                hintsOwed = true;
            } else { // a remote that cannot pass hints alone: the backfill as for a new subscription, hints included
                covered.remove(k.unhinted());
                items.add(new Subscriptions.Item(s, false));
            }
        }
        long ckptInc = durable != null ? durable.incarnation() : 0;
        Subscriptions whole =
                new Subscriptions(revision, ckptInc, durable != null ? durable.sequence() : 0, items, held);
        ResumeMemory memory = session.resumeMemory();
        if (memory == null) {
            out.add(whole);
            return;
        }
        // remembered once the sender shows it processed this revision (a BATCH carrying it): a marker may name it then
        List<Subscription> named = new ArrayList<>(items.size());
        int coveredCount = 0;
        for (Subscriptions.Item item : items) {
            named.add(item.subscription());
            if (item.covered()) coveredCount++;
        }
        setDigest = WireCodec.subscriptionSetDigest(named);
        setRevision = revision;
        Checkpoint from = durable;
        int flags = (coveredCount == items.size() ? Message.SameSubscriptions.COVERED : 0)
                | (held.size() == collections.size() ? Message.SameSubscriptions.HELD : 0);
        boolean expressible = !hintsOwed
                && (coveredCount == 0 || coveredCount == items.size())
                && (held.isEmpty() || held.size() == collections.size());
        if (revision == 1
                && expressible
                && from != null
                && from.sequence() > 0
                && memory.processedBy(session.remotePeerId(), remoteIncarnation, setDigest)) {
            // the first of a session between peers that met before, its subscriptions unchanged since the sender
            // processed them, and its covered flags and held collections all or nothing, as the marker's flags say
            Message.SameSubscriptions marker =
                    new Message.SameSubscriptions(revision, flags, from.sequence(), setDigest);
            if (WireCodec.encode(marker).length < WireCodec.encode(whole).length) {
                markerRevision = revision;
                markersSent++;
                out.add(marker);
                return;
            }
        }
        out.add(whole);
    }

    /**
     * The sender does not hold the set our marker named (it restarted, forgot us, or holds another set of ours): our
     * SUBSCRIPTIONS again, whole, under the next revision — unless a later one went out since (it was whole).
     */
    void onSubscriptionsWanted(Message.SubscriptionsWanted m, List<Message> out) {
        if (m.revision() > revision) {
            session.fail(
                    SyncSession.OUT_OF_ORDER, "SUBSCRIPTIONS-WANTED for revision " + m.revision() + ", never sent");
            return;
        }
        if (m.revision() != markerRevision || revision != markerRevision) return; // a duplicate, or superseded
        markerRevision = 0;
        ResumeMemory memory = session.resumeMemory();
        if (memory != null) memory.forgetProcessed(session.remotePeerId());
        announce(out); // whole: the sender is no longer remembered to hold anything of ours
    }

    /** Markers sent instead of a whole SUBSCRIPTIONS (tests). */
    long markersSent() {
        return markersSent;
    }

    /**
     * Whether the remote's sending half sent us every row of {@code collection} it passed, as DOC or HINT: our first
     * SUBSCRIPTIONS listed the collection as held (its sender knew before it read a row), or we read it by {@link
     * Subscription#EVERY} (every live document matches). Then our states of its documents reach it through the remote's
     * own, and rows of ours that our sender passed unhinted need not be hinted again (docs/SYNC-PROTOCOL.md).
     */
    boolean remoteSendsEveryRow(String collection) {
        if (heldAtStart.contains(collection)) return true;
        if (!Subscription.coveredByEvery(collection)) return false;
        for (Subscription s : subs) {
            if (s.everyCollection()) return true;
        }
        return false;
    }

    /** Our store changed: if we now hold documents in a subscribed collection, the sender should hint there. */
    void localChange(List<Message> out) {
        if (!announced) return;
        if (expanding) collectionsChanged = true; // EVERY expanded: maybe a new collection
        for (Subscription s : subs) {
            if (s.everyCollection()) continue;
            String c = s.collection();
            if (!heldAnnounced.contains(c) && store.holdsAny(c)) {
                announce(out);
                return;
            }
        }
    }

    // ---- batches --------------------------------------------------------------------------------------

    void onBatch(Batch b, List<Message> out) {
        if (b.batchNo() <= lastBatchNo) { // a duplicate: acknowledged again, otherwise ignored
            if (ackOwed == 0) out.add(new Ack(b.batchNo()));
            return;
        }
        if (b.batchNo() != lastBatchNo + 1) {
            session.fail(SyncSession.OUT_OF_ORDER, "batch " + b.batchNo() + " after " + lastBatchNo);
            return;
        }
        if (b.revision() > revision) {
            session.fail(SyncSession.OUT_OF_ORDER, "batch for subscription revision " + b.revision() + ", never sent");
            return;
        }
        lastBatchNo = b.batchNo();
        lastRevisionSeen = Math.max(lastRevisionSeen, b.revision());
        if (setRevision != 0 && b.revision() >= setRevision) { // the sender processed our last SUBSCRIPTIONS
            ResumeMemory memory = session.resumeMemory();
            if (memory != null) memory.processed(session.remotePeerId(), remoteIncarnation, setDigest);
            setRevision = 0;
        }
        activity++;
        if (groupOb == null) groupOb = heldBack.size() >= MAX_HELD_BACK ? heldBack.peekLast() : new Obligation();
        for (Entry e : b.entries()) {
            session.sender().remoteHolds(e.collection());
            if (e instanceof HintEntry h) {
                hint(h, groupOb);
                continue;
            }
            Doc doc;
            if (e instanceof Message.DeltaEntry d) {
                if (partial != null) {
                    session.fail(SyncSession.MALFORMED, "a part of a document is followed by a delta");
                    return;
                }
                doc = delta(d, groupOb);
            } else {
                doc = reassemble(e, false);
            }
            if (session.isClosed()) return;
            if (doc == null) continue;
            holding.add(doc);
            holdingStates.put(doc.ref(), doc.state());
            holdingBytes += doc.state().length;
        }
        long max = session.config().maxGroupBytes();
        long partialBytes = partial == null ? 0 : partial.bytes.size();
        if (partialBytes > max) {
            session.fail(SyncSession.OVERSIZE, "a document state of more than " + max + " bytes");
            return;
        }
        if (b.continued()) {
            if (holdingBytes + partialBytes > max) {
                if (!groupWarned) {
                    groupWarned = true;
                    session.warning("a transaction group of more than " + max
                            + " bytes is applied in pieces, without atomicity");
                }
                if (apply(new ArrayList<>(holding), null, groupOb, out) == null) return;
                holding.clear();
                holdingStates.clear();
                holdingBytes = 0;
            }
        } else {
            if (partial != null) {
                session.fail(SyncSession.MALFORMED, "a batch that is not continued leaves a document in parts");
                return;
            }
            if (!endGroup(b, out)) return;
        }
        if (hints.size() + requested.size() > MAX_PENDING_HINTS) ackOwed = b.batchNo();
        else out.add(new Ack(b.batchNo()));
        maybeRequest(out);
    }

    /** Applies a complete group with its checkpoint, or holds the checkpoint back behind obligations. */
    private boolean endGroup(Batch b, List<Message> out) {
        Set<SubscriptionKey> next = new HashSet<>(covered);
        for (SubscriptionKey k : b.done()) {
            Long s = since.get(k);
            if (s != null && b.revision() >= s) { // a backfill of the subscription as it is now (or a hint pass)
                next.add(k);
                next.remove(k.unhinted());
            }
        }
        Obligation ob = Objects.requireNonNull(groupOb, "onBatch starts every group's obligation");
        groupOb = null;
        boolean shared = !heldBack.isEmpty() && heldBack.peekLast() == ob;
        boolean hold = !heldBack.isEmpty() || ob.remaining > 0;
        Checkpoint ckpt = checkpoint(b.toSeq(), next);
        boolean changed = durable == null
                || b.toSeq() != durable.sequence()
                || !ckpt.covered().equals(durable.covered());
        if (hold) {
            if (!holding.isEmpty() && apply(new ArrayList<>(holding), null, ob, out) == null) return false;
        } else if (!holding.isEmpty() || changed) {
            ApplyResult result = apply(new ArrayList<>(holding), ckpt, ob, out);
            if (result == null) return false;
            if (ob.remaining > 0) { // states to push back or zombies: the store left the checkpoint out, it waits
                hold = true;
            } else if (!result.behind().isEmpty()) { // left out, but nothing is owed to this remote
                if (!storeCheckpoint(ckpt, out)) return false;
                durable = ckpt;
            } else {
                durable = ckpt;
            }
        }
        ob.toSeq = b.toSeq();
        ob.covered = next;
        if (hold && !shared) heldBack.addLast(ob);
        covered = next;
        holding.clear();
        holdingStates.clear();
        holdingBytes = 0;
        groupWarned = false;
        return true;
    }

    /** One obligation met; the checkpoint moves over every batch at the head whose obligations are all met. */
    void release(Obligation ob, List<Message> out) {
        ob.remaining--;
        Obligation last = null;
        while (!heldBack.isEmpty() && heldBack.peekFirst().remaining == 0 && heldBack.peekFirst() != groupOb) {
            last = heldBack.pollFirst();
        }
        if (last != null && !session.isClosed()) {
            Checkpoint ckpt = checkpoint(last.toSeq, last.covered);
            if (storeCheckpoint(ckpt, out)) durable = ckpt;
        }
    }

    /**
     * The checkpoint as stored: a covered subscription with a filter, of a collection our first SUBSCRIPTIONS did not
     * list as held, is recorded under its {@link SubscriptionKey#unhinted()} key. The remote's sender passed rows of
     * that collection matching none of our subscriptions without a hint, and the memory of them lasts one session: a
     * later session that holds the collection from its start takes such a coverage as none, so the backfill hints them
     * (docs/SYNC-PROTOCOL.md, "Coverage taken while a collection was not held").
     */
    private Checkpoint checkpoint(long toSeq, Set<SubscriptionKey> keys) {
        Set<SubscriptionKey> stored = new HashSet<>(keys);
        for (Subscription s : subs) {
            if (!keys.contains(s.key()) || s.matchesEveryDocument() || heldAtStart.contains(s.collection())) continue;
            stored.remove(s.key());
            stored.add(s.key().unhinted());
        }
        return new Checkpoint(remoteIncarnation, toSeq, stored);
    }

    private boolean storeCheckpoint(Checkpoint ckpt, List<Message> out) {
        return apply(List.of(), ckpt, null, out) != null;
    }

    /** A whole state from a DOC entry, or null while parts of it are still arriving. */
    private @Nullable Doc reassemble(Entry e, boolean inDocs) {
        InPartial current = inDocs ? docsPartial : partial;
        if (current != null && !(current.collection.equals(e.collection()) && Arrays.equals(current.id, e.id()))) {
            session.fail(
                    SyncSession.MALFORMED,
                    "a part of a document in " + current.collection + " is not followed by the rest of it");
            return null;
        }
        if (e instanceof PartEntry p) {
            InPartial ip = current != null ? current : new InPartial(p);
            ip.bytes.writeRaw(p.chunk());
            if (inDocs) docsPartial = ip;
            else partial = ip;
            return null;
        }
        DocEntry d = (DocEntry) e;
        if (current == null) return new Doc(d.collection(), d.id(), d.state());
        current.bytes.writeRaw(d.state());
        if (inDocs) docsPartial = null;
        else partial = null;
        return new Doc(d.collection(), d.id(), current.bytes.toByteArray());
    }

    /**
     * A DELTA: the merge of its writes onto the state we hold (the store's, with what this group brought) when that
     * merge has the digest of the sender's state — then we hold exactly the sender's state, as if it had come whole.
     * Otherwise (we lack an earlier write, we hold writes the sender lacks, we evicted the document, or the delta does
     * not decode) the delta is refused and counted, and the document is requested whole, under the batch's obligation
     * like a hint: the checkpoint does not pass it before the answer came.
     */
    private @Nullable Doc delta(Message.DeltaEntry d, Obligation ob) {
        DocRef ref = d.ref();
        byte[] stored = store.stateOf(d.collection(), d.id());
        byte[] brought = holdingStates.get(ref);
        byte[] merged = null;
        try {
            DocumentState base = stored == null ? DocumentState.empty() : DocumentState.decode(stored);
            if (brought != null) base = base.merge(DocumentState.decode(brought));
            if (!base.isEmpty())
                merged = base.merge(DocumentState.decode(d.delta())).encode();
        } catch (CodecException | DocumentException e) {
            merged = null; // a delta (or a state) that does not decode: the whole state settles it
        }
        if (merged != null && Digests.of(merged) == d.digest()) {
            deltasApplied++;
            return new Doc(d.collection(), d.id(), merged);
        }
        deltasRefused++;
        if (!hints.containsKey(ref)) { // else requested later: the answer will be at least this new
            hints.put(ref, new HintInfo(stored == null ? 0 : stored.length, ob));
            ob.remaining++;
        }
        return null;
    }

    long deltasApplied() {
        return deltasApplied;
    }

    long deltasRefused() {
        return deltasRefused;
    }

    private void hint(HintEntry h, Obligation ob) {
        DocRef ref = h.ref();
        if (hints.containsKey(ref)) return; // to be requested later: the answer will be at least this new
        byte[] ours = store.stateOf(h.collection(), h.id());
        // a state this very group brings counts as held: a sender reading its log in chunks can send a document's older
        // state and, once a merge moved the row on, a hint of its newer state in one group; judged against the store
        // alone (which does not hold it yet) the hint would be dropped and the checkpoint would pass the newer state
        if (ours == null) ours = holdingStates.get(ref);
        if (ours != null && Digests.of(ours) != h.digest()) {
            hints.put(ref, new HintInfo(ours.length, ob));
            ob.remaining++;
        }
    }

    /**
     * Applies documents (and a checkpoint) through the store's single write path, then reports zombies and
     * refusals, records echo digests and hands the states found older than ours to our sender, as obligations of
     * {@code ob} (or, for a DOCS answer, of the batch that hinted the document); a zombie is an obligation of it
     * that stays owed for the rest of the session. Null when the store refused the batch as a whole: the session
     * is closed then. A document refused alone is only reported: the checkpoint moves past it (it would be refused
     * again), sync goes on.
     */
    private @Nullable ApplyResult apply(
            List<Doc> docs, @Nullable Checkpoint ckpt, @Nullable Obligation ob, List<Message> out) {
        ApplyResult result;
        try {
            result = store.apply(session.remotePeerId(), docs, ckpt, session.principal());
        } catch (RemoteRejectedException e) {
            session.fail(e.reason(), e.getMessage() == null ? e.reason() : e.getMessage());
            return null;
        }
        Set<DocRef> refused = new HashSet<>(result.zombies());
        for (SyncStoreView.Refusal r : result.refused()) refused.add(r.doc());
        refused.addAll(result.denied());
        if (!result.refused().isEmpty()) session.listener().refused(result.refused());
        // the remote removes these when our ZOMBIES reaches it: what it sent of them proves nothing from now on
        for (DocRef ref : result.zombies()) session.echo().distrust(ref.collection(), ref.id());
        if (!result.denied().isEmpty()) {
            denied += result.denied().size();
            session.listener().denied(result.denied());
        }
        for (Doc d : docs) {
            if (!refused.isEmpty() && refused.contains(d.ref())) continue; // we do not hold what it sent
            session.echo().received(d.collection(), d.id(), d.state());
            heldAnnounced.add(d.collection()); // the sender knows we hold it now
        }
        if (!docs.isEmpty()) session.sender().localChange();
        if (!result.zombies().isEmpty()) out.add(new Zombies(result.zombies()));
        for (DocRef ref : result.zombies()) {
            Obligation owner = owner(ref, ob);
            if (owner != null) owner.remaining++; // never released: the store left the checkpoint out
        }
        for (DocRef ref : result.behind()) {
            Obligation owner = owner(ref, ob);
            if (owner != null) session.sender().pushBack(ref, owner);
        }
        return result;
    }

    /** The obligation a document's outcome belongs to: the batch's, or for a DOCS answer the hint's batch's. */
    private @Nullable Obligation owner(DocRef ref, @Nullable Obligation ob) {
        if (ob != null) return ob;
        HintInfo info = requested.get(ref);
        return info == null ? null : info.ob();
    }

    // ---- requests after hints -------------------------------------------------------------------------

    void maybeRequest(List<Message> out) {
        if (session.isClosed()) return;
        if (outstanding == 0 && !hints.isEmpty()) {
            List<DocRef> refs = new ArrayList<>();
            long estimate = 0;
            int bytes = 0;
            int maxBytes = session.frameLimit() / 2;
            for (Iterator<Map.Entry<DocRef, HintInfo>> it = hints.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<DocRef, HintInfo> e = it.next();
                int n = WireCodec.refSize(e.getKey());
                if (!refs.isEmpty()
                        && (refs.size() == MAX_REQUEST_DOCS
                                || estimate + e.getValue().size()
                                        > session.config().batchBytes()
                                || bytes + n > maxBytes)) {
                    break;
                }
                refs.add(e.getKey());
                requested.put(e.getKey(), e.getValue());
                estimate += e.getValue().size();
                bytes += n;
                it.remove();
            }
            outstanding = nextRequestNo++;
            expectedPart = 0;
            out.add(new Request(outstanding, refs));
        }
        if (ackOwed != 0 && hints.size() + requested.size() <= MAX_PENDING_HINTS) {
            out.add(new Ack(ackOwed));
            ackOwed = 0;
        }
    }

    void onDocs(Docs d, List<Message> out) {
        if (outstanding != 0 && d.requestNo() == outstanding) {
            if (d.part() < expectedPart) return; // duplicate
            if (d.part() > expectedPart) {
                session.fail(
                        SyncSession.OUT_OF_ORDER,
                        "DOCS part " + d.part() + " of request " + d.requestNo() + ", expected " + expectedPart);
                return;
            }
        } else if (d.requestNo() < nextRequestNo) {
            return; // a duplicate of an answer already complete
        } else {
            session.fail(SyncSession.OUT_OF_ORDER, "DOCS for request " + d.requestNo() + ", never sent");
            return;
        }
        expectedPart++;
        activity++;
        List<Doc> docs = new ArrayList<>();
        for (Entry e : d.entries()) {
            session.sender().remoteHolds(e.collection());
            Doc doc = reassemble(e, true);
            if (session.isClosed()) return;
            if (doc != null) docs.add(doc);
        }
        if (docsPartial != null && docsPartial.bytes.size() > session.config().maxGroupBytes()) {
            session.fail(
                    SyncSession.OVERSIZE,
                    "a document state of more than " + session.config().maxGroupBytes() + " bytes");
            return;
        }
        if (!docs.isEmpty() && apply(docs, null, null, out) == null) return;
        if (!d.more()) {
            if (docsPartial != null) {
                session.fail(SyncSession.MALFORMED, "the last DOCS part leaves a document in parts");
                return;
            }
            outstanding = 0;
            List<HintInfo> answered = new ArrayList<>(requested.values());
            requested.clear();
            for (HintInfo info : answered) release(info.ob(), out);
        }
        maybeRequest(out);
    }
}
