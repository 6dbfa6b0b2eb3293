package io.starling.internal.sync;

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
import io.starling.internal.sync.SyncStoreView.DocRef;
import io.starling.internal.sync.SyncStoreView.Row;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
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
 * The sending half of a session: what the remote subscribes to, read from our store and sent in batches. See the
 * design note of {@link SyncSession}; the rules are those of docs/SYNC-PROTOCOL.md, "The sender". Not thread-safe.
 */
final class Sender {
    /** Results of filling a batch from one source. */
    private static final int EXHAUSTED = 0, FULL = 1, CONTINUED = 2;

    private static final int LIVE = 0, BACKFILL = 1, PUSH = 2;
    private static final long NO_GROUP = -1;
    /** Below this a piece of a large state is not worth starting in a batch that already holds entries. */
    private static final int MIN_CHUNK = 1024;
    /** Rows examined without anything to send before an empty batch moves the remote's checkpoint anyway. */
    static final long PROGRESS_ROWS = 1024;

    static final int MAX_PUSH = 65_536;
    /** The buckets of all SUMMARY messages of a session together (2 MiB of sums). */
    static final int MAX_SUMMARY_BUCKETS = 4 * Summaries.MAX_BUCKETS;

    private final SyncSession session;
    private final SyncStoreView store;

    // the remote's subscriptions
    private boolean started;
    private boolean resumed;
    private long deltasSent;
    /** A state smaller than this is sent whole: a delta and its digest would save next to nothing. */
    static final int MIN_DELTA_STATE = 64;

    private long revision;
    private Map<SubscriptionKey, Subscription> subs = new LinkedHashMap<>();
    private Map<String, List<Subscription>> byCollection = new HashMap<>(); // EVERY included where it applies
    private @Nullable Subscription every; // the remote subscribes to every collection
    private List<Subscription> everyOnly = List.of();
    private final Set<String> held = new HashSet<>();
    /**
     * Collections the remote did not hold documents in when we passed rows of them that match none of its
     * subscriptions (so neither DOC nor HINT went): the sequence of the first such row. Hinted once it holds some.
     */
    private final Map<String, Long> unhinted = new HashMap<>();

    private long rehinted; // collections whose rows passed unhinted were hinted once the remote held some

    // the live feed and the window
    private long cursor; // rows up to here are sent or need nothing
    private long sentSeq; // toSeq of the last batch sent
    private long acked; // toSeq of the last acknowledged batch that ended a group
    private long reported; // the highest sequence told to the listener as reached (acknowledged, or settled)
    private boolean maybeChanges = true;
    private boolean revisionAckOwed;
    private long nextBatchNo = 1;
    private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
    private long progress; // grows with every acknowledgement or request: the progress timeout watches it
    private @Nullable Cont cont; // the last batch was continued: how to go on

    // coverage of the remote's subscriptions
    private final Set<SubscriptionKey> doneReady = new LinkedHashSet<>();
    private final ArrayDeque<Backfill> backfills = new ArrayDeque<>();
    private final LinkedHashMap<DocRef, List<Receiver.Obligation>> push = new LinkedHashMap<>();
    private boolean pushOverflowWarned;

    private long lastRequestNo;
    private double avgRowBytes = 512;

    // peers that never met: the remote's summaries until the first SUBSCRIPTIONS, then the buckets they agree on
    private final Map<String, long[]> remoteSummaries = new HashMap<>();
    private int remoteSummaryBuckets;
    private final Map<String, Skip> skips = new HashMap<>();
    private long skipUpTo; // the buckets agreed on our rows as of this sequence
    private long summarySkipped;
    // peers that never met, by ranges: the comparisons until the first SUBSCRIPTIONS, then the ranges of rows shown
    private final Map<String, Reconciliation.Comparer> comparers = new LinkedHashMap<>();
    private final Map<String, long[]> rangeSkips = new HashMap<>();
    private long rangeSkipUpTo = -1; // read before the first index was built
    private long rangesSkipped;
    private long rangesReceived;
    private long withheld; // rows not sent because the remote may not read them

    /** The buckets (of {@code buckets}) whose rows the remote holds already, byte for byte. */
    private record Skip(BitSet same, int buckets) {}

    Sender(SyncSession session, SyncStoreView store) {
        this.session = session;
        this.store = store;
    }

    private record InFlight(long batchNo, long toSeq, boolean continued, List<Receiver.Obligation> releases) {}

    /**
     * A backfill: the documents that the live feed will not bring (rows up to {@code upTo}) for new subscriptions —
     * all of one collection's subscriptions that no covered subscription reads yet, scanning the whole collection
     * (tombstones and hints too), or a single subscription of an already covered collection, scanning its matches.
     */
    private static final class Backfill {
        final String collection;
        final List<Subscription> subs;
        final boolean full;
        final boolean hintsOnly; // rows of the collection passed unhinted: its hints
        final boolean bySequence; // read in sequence order from afterSeq (else in id order)
        final long upTo; // rows past this are examined by the live feed with the subscriptions in the set
        byte @Nullable [] afterId;
        long afterSeq;

        Backfill(String collection, List<Subscription> subs, boolean full, long upTo) {
            this.collection = collection;
            this.subs = new ArrayList<>(subs);
            this.full = full;
            this.hintsOnly = false;
            this.bySequence = false;
            this.upTo = upTo;
        }

        /**
         * The backfill of {@link Subscription#EVERY}: every row at or below {@code upTo}, found by reading the change
         * feed from 0 (a row that changes meanwhile moves past {@code upTo}, where the live feed takes it), each
         * classified as the live feed would (so documents, tombstones, and what the remote may read).
         */
        Backfill(Subscription every, long upTo) {
            this.collection = "";
            this.subs = new ArrayList<>(List.of(every));
            this.full = true;
            this.hintsOnly = false;
            this.bySequence = true;
            this.upTo = upTo;
        }

        /**
         * The hints of {@code collection} that the feed left out while the remote held nothing there: its rows after
         * {@code afterSeq} and at or below {@code upTo}, read in sequence order, each sent only if it is a HINT now (a
         * DOC went when the row was passed). Part of no subscription's coverage: it reports nothing done.
         */
        Backfill(String collection, long afterSeq, long upTo) {
            this.collection = collection;
            this.subs = new ArrayList<>();
            this.full = true;
            this.hintsOnly = true;
            this.bySequence = true;
            this.upTo = upTo;
            this.afterSeq = afterSeq;
        }

        /**
         * A hint pass: the hints of every row of {@code sub}'s collection at or below {@code upTo}, read in id order,
         * for a subscription the receiver reports covered with hints owed ({@link SessionConfig#CAP_HINT_PASS}); its
         * last batch names the subscription in {@code done}.
         */
        Backfill(Subscription sub, long upTo, boolean hintPass) {
            this.collection = sub.collection();
            this.subs = new ArrayList<>(List.of(sub));
            this.full = true;
            this.hintsOnly = hintPass;
            this.bySequence = false;
            this.upTo = upTo;
        }

        boolean covers(SubscriptionKey k) {
            for (Subscription s : subs) {
                if (s.key().equals(k)) return true;
            }
            return false;
        }
    }

    /** A state too large for one batch, being sent in parts. */
    private static final class OutPartial {
        final String collection;
        final byte[] id;
        final long group;
        final byte[] state;
        final long seq; // LIVE: the row's sequence
        final @Nullable Backfill task; // BACKFILL: the task to advance when done
        final List<Receiver.Obligation> releases =
                new ArrayList<>(); // PUSH: released once the whole state is acknowledged
        int offset;

        OutPartial(String collection, byte[] id, long group, byte[] state, long seq, @Nullable Backfill task) {
            this.collection = collection;
            this.id = id;
            this.group = group;
            this.state = state;
            this.seq = seq;
            this.task = task;
        }
    }

    private record Cont(int source, long group, @Nullable OutPartial partial) {}

    /** Entries of a batch being built, against a soft (batchBytes) and a hard (frame) limit. */
    private static final class Builder {
        final int soft, hard;
        final List<Entry> entries = new ArrayList<>();
        final List<Long> echoes = new ArrayList<>();
        final List<Receiver.Obligation> releases = new ArrayList<>();
        int size;

        Builder(int soft, int hard) {
            this.soft = soft;
            this.hard = hard;
        }

        boolean isEmpty() {
            return entries.isEmpty();
        }

        /** Whether {@code n} more bytes fit: under the soft limit, or the hard one in an empty batch. */
        boolean takes(int n) {
            return size + n <= (entries.isEmpty() ? hard : soft);
        }

        boolean fitsHard(int n) {
            return size + n <= hard;
        }

        int roomHard() {
            return hard - size;
        }

        void add(Entry e, int n) {
            entries.add(e);
            size += n;
        }
    }

    /** One examined row of the group being gathered. */
    private record Pending(@Nullable Entry entry, long seq, int size, long echo) {}

    // ---- state ----------------------------------------------------------------------------------------

    boolean started() {
        return started;
    }

    long ackedSequence() {
        return acked;
    }

    int inFlight() {
        return inFlight.size();
    }

    long progress() {
        return progress;
    }

    List<Subscription> subscriptions() {
        return List.copyOf(subs.values());
    }

    /** Rows not sent because the remote's summary showed that it holds them already. */
    long summarySkipped() {
        return summarySkipped;
    }

    /** Rows not sent because range reconciliation showed that the remote holds them already. */
    long rangesSkipped() {
        return rangesSkipped;
    }

    /** RANGES messages received (the handshake's progress while collections are reconciled). */
    long rangesReceived() {
        return rangesReceived;
    }

    /** Rows not sent (as documents or hints) because the remote's read permission does not allow them. */
    long withheld() {
        return withheld;
    }

    /** Whether the remote may read a row of ours: every document and hint we send passes here. */
    private boolean readable(Row row) {
        if (session.principal().mayRead(row)) return true;
        withheld++;
        return false;
    }

    /** Our store has (or may have) new rows. */
    void localChange() {
        maybeChanges = true;
    }

    /** The remote holds documents of this collection (it sent us one): hints become useful there. */
    void remoteHolds(String collection) {
        holds(collection);
    }

    /**
     * The remote holds documents of {@code collection} from now on. If the feed passed rows of it that match none of
     * the remote's subscriptions while it held nothing there, those went neither as DOC nor as HINT: they are hinted
     * now. Otherwise, should the remote hold its own state of such a document — say both sides wrote it at once,
     * matching neither side's filter, each passing its own row before it knew that the other held the collection —
     * neither state would ever be sent again (docs/SIMULATOR.md, bug 8).
     */
    private void holds(String collection) {
        if (!held.add(collection)) return;
        Long first = unhinted.remove(collection);
        if (first == null || cursor == 0) return; // nothing passed: the live feed reads every row with the set as is
        // the remote's states of the collection's documents reach us whole (or hinted), and ours follow from them
        if (session.receiver().remoteSendsEveryRow(collection)) return;
        backfills.add(new Backfill(collection, first - 1, cursor));
        rehinted++;
    }

    /** Collections whose rows were hinted again once the remote held documents there (tests). */
    long rehinted() {
        return rehinted;
    }

    /**
     * The remote sent a state older than ours (the store left it unchanged): send ours back — as a DOC, whether it
     * matches or not — unless the live feed will anyway (the row is past the cursor). {@code ob} is met once the
     * remote acknowledged it.
     */
    void pushBack(DocRef ref, Receiver.Obligation ob) {
        // not something the remote subscribes to; before its first SUBSCRIPTIONS (a receiver reconciling ranges sends
        // it late) that is not known yet: queued, and fillPush decides once we send at all
        if (started && subsFor(ref.collection()) == null) return;
        ob.remaining++;
        List<Receiver.Obligation> obs = push.get(ref);
        if (obs == null && push.size() >= MAX_PUSH) {
            // never met in this session: the checkpoint stops before this batch, and the next session redoes it
            if (!pushOverflowWarned) {
                pushOverflowWarned = true;
                session.warning("push-back queue full (" + MAX_PUSH + "): the checkpoint waits for the next session");
            }
            return;
        }
        if (obs == null) {
            obs = new ArrayList<>(1);
            push.put(ref, obs);
        }
        obs.add(ob);
    }

    // ---- messages -------------------------------------------------------------------------------------

    /** A SUMMARY: kept until the first SUBSCRIPTIONS, which decides whether the session starts from 0. */
    void onSummary(Summary m) {
        if (started) return; // too late to matter (or a duplicate): the live feed has begun
        long[] old = remoteSummaries.put(m.collection(), m.buckets());
        remoteSummaryBuckets += m.buckets().length - (old == null ? 0 : old.length);
        if (remoteSummaryBuckets > MAX_SUMMARY_BUCKETS) {
            session.fail(SyncSession.MALFORMED, "summaries of more than " + MAX_SUMMARY_BUCKETS + " buckets");
        }
    }

    /**
     * The receiver's OPEN or CHILDREN of a collection: compared with our rows, answered with a SPLIT. Ignored after the
     * first SUBSCRIPTIONS (too late to matter, or a duplicate).
     */
    void onRanges(Message.Ranges m, List<Message> out) {
        rangesReceived++;
        if (started) return;
        if (m.part() instanceof Message.Ranges.Split) {
            session.fail(SyncSession.MALFORMED, "a ranges SPLIT sent to the sender of " + m.collection());
            return;
        }
        Reconciliation.Comparer c = comparers.get(m.collection());
        if (c != null && m.round() <= c.round()) return; // a duplicate
        if (c == null) {
            if (!(m.part() instanceof Message.Ranges.Open)) {
                session.fail(
                        SyncSession.OUT_OF_ORDER,
                        "ranges round " + m.round() + " of " + m.collection() + " before its OPEN");
                return;
            }
            if (comparers.size() >= Reconciliation.MAX_COLLECTIONS) {
                session.fail(
                        SyncSession.MALFORMED,
                        "ranges of more than " + Reconciliation.MAX_COLLECTIONS + " collections");
                return;
            }
            // read before any scan: a row at or below it did not change since it was compared
            if (rangeSkipUpTo < 0) rangeSkipUpTo = store.lastSequence();
            c = new Reconciliation.Comparer(m.collection(), Reconciliation.Index.build(store, m.collection()));
            comparers.put(m.collection(), c);
        }
        try {
            out.add(c.onMessage(m, Reconciliation.maxSplits(session.frameLimit())));
        } catch (WireException e) {
            session.fail(e.reason(), Objects.requireNonNullElse(e.getMessage(), e.reason()));
        }
    }

    /**
     * A session from 0 with a remote that sent summaries: the buckets whose sums equal ours hold rows the remote has,
     * so rows of theirs up to our current sequence need nothing. Later rows changed after the comparison.
     */
    private void compareSummaries() {
        skipUpTo = store.lastSequence(); // read before the scan: a row at or below it did not change since
        for (Map.Entry<String, long[]> e : remoteSummaries.entrySet()) {
            if (subsFor(e.getKey()) == null) continue;
            long[] theirs = e.getValue();
            long[] ours = Summaries.compute(store, e.getKey(), theirs.length);
            BitSet same = new BitSet(theirs.length);
            for (int i = 0; i < theirs.length; i++) {
                if (ours[i] == theirs[i]) same.set(i);
            }
            if (!same.isEmpty()) skips.put(e.getKey(), new Skip(same, theirs.length));
        }
    }

    /**
     * A RESUME marker for the receiver's first SUBSCRIPTIONS: processed as the set the receiver last sent us whole when
     * the digests agree, else answered with SUBSCRIPTIONS-WANTED (the receiver then sends it whole). We never act on a
     * set the receiver did not send us in full.
     */
    void onSameSubscriptions(Message.SameSubscriptions m, List<Message> out, SessionListener listener) {
        ResumeMemory memory = session.resumeMemory();
        if (memory == null) {
            session.fail(SyncSession.MALFORMED, "a RESUME marker, though this peer did not announce it reads them");
            return;
        }
        if (m.revision() <= revision) return; // a duplicate or a stale reordered copy: the newer set stands
        if (started) {
            session.fail(SyncSession.MALFORMED, "a RESUME marker after the first SUBSCRIPTIONS of the session");
            return;
        }
        ResumeMemory.Received known = memory.receivedFrom(session.remotePeerId());
        if (known == null || known.digest() != m.digest() || !acceptable(known.subscriptions())) {
            subscriptionsWanted++;
            out.add(new Message.SubscriptionsWanted(m.revision()));
            return;
        }
        subscriptionsResumed++;
        onSubscriptions(m.expand(known.subscriptions(), store.incarnation()), listener, false);
    }

    /** Whether a remembered set is one this session accepts (a set we would refuse whole is asked for whole). */
    private boolean acceptable(List<Subscription> subscriptions) {
        if (subscriptions.size() > session.frameLimit() / 68) return false;
        for (Subscription s : subscriptions) {
            if (s.everyCollection() && !session.config().everyCollection()) return false;
        }
        return true;
    }

    /** Markers processed as the set they named, and markers answered with SUBSCRIPTIONS-WANTED. */
    private long subscriptionsResumed, subscriptionsWanted;

    long subscriptionsResumed() {
        return subscriptionsResumed;
    }

    long subscriptionsWanted() {
        return subscriptionsWanted;
    }

    void onSubscriptions(Subscriptions m, SessionListener listener) {
        onSubscriptions(m, listener, true);
    }

    private void onSubscriptions(Subscriptions m, SessionListener listener, boolean whole) {
        if (m.revision() <= revision) return; // a duplicate or a stale reordered copy: the newer set stands
        int maxSubs = session.frameLimit() / 68;
        if (m.subscriptions().size() > maxSubs) {
            session.fail(SyncSession.MALFORMED, m.subscriptions().size() + " subscriptions, more than " + maxSubs);
            return;
        }
        boolean first = !started;
        if (first) {
            started = true;
            long seq = m.checkpointSequence();
            resumed = m.checkpointIncarnation() == store.incarnation() && seq > 0 && seq <= store.lastSequence();
            cursor = sentSeq = acked = resumed ? seq : 0;
            maybeChanges = true;
        }
        revision = m.revision();
        Map<SubscriptionKey, Subscription> old = subs;
        Map<SubscriptionKey, Subscription> now = new LinkedHashMap<>();
        Map<SubscriptionKey, Boolean> coveredFlag = new HashMap<>();
        Set<SubscriptionKey> hintsOwed = new HashSet<>();
        for (Subscriptions.Item item : m.subscriptions()) {
            if (item.hintsOwed()) hintsOwed.add(item.subscription().key());
            if (item.subscription().everyCollection() && !session.config().everyCollection()) {
                // as a peer that predates it: it was never announced to the remote, which must not send it
                session.fail(SyncSession.MALFORMED, "a subscription with an empty collection name");
                return;
            }
            now.putIfAbsent(item.subscription().key(), item.subscription());
            coveredFlag.merge(item.subscription().key(), item.covered(), Boolean::logicalAnd);
        }
        subs = now;
        byCollection = new HashMap<>();
        every = null;
        for (Subscription s : now.values()) {
            if (s.everyCollection()) every = s;
            else
                byCollection
                        .computeIfAbsent(s.collection(), c -> new ArrayList<>())
                        .add(s);
        }
        Subscription all = every;
        everyOnly = all == null ? List.of() : List.of(all);
        if (all != null) {
            byCollection.forEach((c, list) -> {
                if (Subscription.coveredByEvery(c)) list.add(all);
            });
        }
        if (first) {
            if (!resumed && !remoteSummaries.isEmpty()) compareSummaries();
            remoteSummaries.clear();
            if (!resumed) {
                for (Reconciliation.Comparer c : comparers.values()) {
                    long[] intervals = c.skipIntervals();
                    if (intervals.length > 0) rangeSkips.put(c.collection(), intervals);
                }
            }
            comparers.clear();
        }
        for (SubscriptionKey k : old.keySet()) {
            if (!now.containsKey(k)) cancel(k);
        }
        Map<SubscriptionKey, Subscription> starting = new LinkedHashMap<>();
        List<Subscription> hintPasses = new ArrayList<>();
        for (Subscription s : now.values()) {
            boolean covered = Boolean.TRUE.equals(coveredFlag.get(s.key())) && (!first || resumed);
            if (covered) {
                cancel(s.key());
                if (hintsOwed.contains(s.key()) && !s.everyCollection()) hintPasses.add(s);
            } else if (first || !old.containsKey(s.key())) starting.put(s.key(), s);
            // else: kept from the previous set, with whatever coverage is pending for it (or done already)
        }
        startCoverage(starting);
        for (Subscription s : hintPasses) { // covered but for hints: a pass of hints only (ours are all HINTs now)
            if (cursor == 0) doneReady.add(s.key()); // the live feed reads every row, knowing what the remote holds
            else backfills.add(new Backfill(s, cursor, true));
        }
        for (String c : m.held()) holds(c);
        ResumeMemory memory = session.resumeMemory();
        if (whole && memory != null) { // what a marker in a later session may name
            List<Subscription> named = new ArrayList<>(m.subscriptions().size());
            for (Subscriptions.Item item : m.subscriptions()) named.add(item.subscription());
            memory.received(session.remotePeerId(), List.copyOf(named), WireCodec.encode(m).length);
        }
        revisionAckOwed = true;
        if (first && acked > 0) report(acked);
        listener.remoteSubscriptionsChanged(List.copyOf(now.values()));
    }

    /**
     * The remote's subscriptions that read {@code collection} — its own, and {@link Subscription#EVERY} unless it is a
     * system collection — or null when none does.
     */
    private @Nullable List<Subscription> subsFor(String collection) {
        List<Subscription> list = byCollection.get(collection);
        if (list != null) return list;
        return every != null && Subscription.coveredByEvery(collection) ? everyOnly : null;
    }

    private void cancel(SubscriptionKey k) {
        doneReady.remove(k);
        for (Iterator<Backfill> it = backfills.iterator(); it.hasNext(); ) {
            Backfill t = it.next();
            boolean had = !t.subs.isEmpty();
            t.subs.removeIf(s -> s.key().equals(k));
            if (had && t.subs.isEmpty()) it.remove(); // a re-hint of rows passed unhinted has none, and goes on
        }
    }

    private boolean pending(SubscriptionKey k) {
        if (doneReady.contains(k)) return true;
        for (Backfill t : backfills) {
            if (t.covers(k)) return true;
        }
        return false;
    }

    /** Subscriptions the remote reports not covered: backfills, unless no row was examined yet. */
    private void startCoverage(Map<SubscriptionKey, Subscription> starting) {
        for (SubscriptionKey k : starting.keySet()) cancel(k);
        if (cursor == 0) { // no row examined yet: the live feed reads every row with these subscriptions in the set
            doneReady.addAll(starting.keySet());
            return;
        }
        Map<String, List<Subscription>> fresh = new LinkedHashMap<>();
        for (Subscription s : starting.values()) {
            if (s.everyCollection()) { // every row of ours, in every collection: by sequence, not by collection
                backfills.add(new Backfill(s, cursor));
                continue;
            }
            boolean collectionCovered = false;
            for (Subscription other : Objects.requireNonNull(byCollection.get(s.collection()))) {
                if (!starting.containsKey(other.key()) && !pending(other.key())) collectionCovered = true;
            }
            if (collectionCovered) backfills.add(new Backfill(s.collection(), List.of(s), false, cursor));
            else fresh.computeIfAbsent(s.collection(), c -> new ArrayList<>()).add(s);
        }
        fresh.forEach((c, list) -> backfills.add(new Backfill(c, list, true, cursor)));
    }

    void onAck(Ack a, List<Message> out) {
        if (a.batchNo() >= nextBatchNo) {
            session.fail(
                    SyncSession.OUT_OF_ORDER,
                    "ACK for batch " + a.batchNo() + ", never sent (last " + (nextBatchNo - 1) + ")");
            return;
        }
        long to = -1;
        while (!inFlight.isEmpty() && inFlight.peekFirst().batchNo() <= a.batchNo()) { // cumulative
            InFlight f = inFlight.pollFirst();
            if (!f.continued()) to = Math.max(to, f.toSeq());
            progress++;
            for (Receiver.Obligation ob : f.releases()) session.receiver().release(ob, out);
        }
        if (to > acked) {
            acked = to;
            report(acked);
        }
    }

    /** Answers a REQUEST with DOCS parts, each within a frame. */
    void onRequest(Request r, List<Message> out) {
        if (r.requestNo() <= lastRequestNo) return; // duplicate
        if (r.requestNo() != lastRequestNo + 1) {
            session.fail(SyncSession.OUT_OF_ORDER, "REQUEST " + r.requestNo() + " after " + lastRequestNo);
            return;
        }
        if (r.docs().size() > Receiver.MAX_REQUEST_DOCS) { // an answer must stay small: it is built at once
            session.fail(
                    SyncSession.MALFORMED,
                    "REQUEST of " + r.docs().size() + " documents, more than " + Receiver.MAX_REQUEST_DOCS);
            return;
        }
        lastRequestNo = r.requestNo();
        progress++;
        int hard = session.frameLimit() - 32;
        int part = 0;
        List<Entry> entries = new ArrayList<>();
        int size = 0;
        for (DocRef ref : r.docs()) {
            if (subsFor(ref.collection()) == null) continue; // not something the remote subscribes to
            Row row = store.rowOf(ref.collection(), ref.id());
            if (row == null || !readable(row)) continue; // as if we did not hold it
            int over = WireCodec.docEntryOverhead(row.collection(), row.id(), row.group());
            int n = over + WireCodec.bytesSize(row.state().length);
            if (size + n > hard && !entries.isEmpty()) {
                out.add(new Docs(r.requestNo(), part++, true, entries));
                entries = new ArrayList<>();
                size = 0;
            }
            int offset = 0;
            byte[] state = row.state();
            while (size + over + WireCodec.bytesSize(state.length - offset) > hard) { // too large even alone
                int room = hard - size - over - 5;
                entries.add(new PartEntry(
                        row.collection(), row.id(), row.group(), Arrays.copyOfRange(state, offset, offset + room)));
                offset += room;
                out.add(new Docs(r.requestNo(), part++, true, entries));
                entries = new ArrayList<>();
                size = 0;
            }
            byte[] rest = offset == 0 ? state : Arrays.copyOfRange(state, offset, state.length);
            entries.add(new DocEntry(row.collection(), row.id(), row.group(), rest));
            size += over + WireCodec.bytesSize(rest.length);
        }
        out.add(new Docs(r.requestNo(), part, false, entries));
    }

    // ---- producing batches ----------------------------------------------------------------------------

    /** Sends batches while the window has room and there is something to send. */
    void fill(List<Message> out) {
        if (!started) return;
        while (inFlight.size() < session.config().window() && !session.isClosed()) {
            Batch b = next(out);
            if (b == null) {
                settled();
                return;
            }
            out.add(b);
        }
    }

    /**
     * Nothing to send, nothing in flight, owed or half sent: every row up to the cursor either was acknowledged or
     * needs nothing at the remote (an echo of what it sent us, a row of a collection it does not read). The listener
     * hears it as reached ({@code Sync.hasReached}), with no message: an empty batch moves the remote's checkpoint only
     * every {@link #PROGRESS_ROWS} rows, and a session that received a write and sends nothing back would otherwise
     * never report its own log's copy of that write as reached (the suite's S4 waited for it forever).
     */
    private void settled() {
        if (inFlight.isEmpty() && cont == null && push.isEmpty() && backfills.isEmpty()) report(cursor);
    }

    private void report(long sequence) {
        if (sequence <= reported) return;
        reported = sequence;
        session.listener().acknowledged(sequence);
    }

    private @Nullable Batch next(List<Message> out) {
        int hard = session.frameLimit() - reserve();
        int soft = Math.min(session.config().batchBytes() - reserve(), hard);
        Builder b = new Builder(soft, hard);
        int st = EXHAUSTED;
        boolean liveDone = false;
        if (cont != null) {
            liveDone = cont.source() == LIVE;
            st = resume(b);
        }
        if (st == EXHAUSTED && !liveDone && maybeChanges) st = fillLive(b, NO_GROUP);
        if (st == EXHAUSTED) st = fillPush(b, out);
        if (st == EXHAUSTED) st = fillBackfill(b);
        return emit(b, st == CONTINUED);
    }

    /** Header bytes, and room for the done keys that this batch could carry. */
    private int reserve() {
        int candidates = Math.min(subs.size(), doneReady.size() + backfills.size());
        return 64 + candidates * (1 + WireCodec.KEY_BYTES);
    }

    private @Nullable Batch emit(Builder b, boolean continued) {
        List<SubscriptionKey> done = List.of();
        if (!continued) {
            if (!doneReady.isEmpty()) {
                List<SubscriptionKey> keys = new ArrayList<>();
                for (SubscriptionKey k : doneReady) {
                    if (subs.containsKey(k)) keys.add(k);
                }
                doneReady.clear();
                done = keys;
            }
        }
        boolean needed = !b.isEmpty()
                || continued
                || !done.isEmpty()
                || revisionAckOwed
                || (cursor - sentSeq >= PROGRESS_ROWS && inFlight.isEmpty());
        // the cursor is past the suppressed rows whether a batch goes now or later: the suppressions are used up
        for (long k : b.echoes) session.echo().consumed(k);
        if (!needed) return null;
        Batch batch = new Batch(nextBatchNo++, revision, sentSeq, cursor, continued, b.entries, done);
        sentSeq = cursor;
        revisionAckOwed = false;
        inFlight.addLast(new InFlight(batch.batchNo(), batch.toSeq(), continued, List.copyOf(b.releases)));
        for (Entry e : b.entries) {
            if (!(e instanceof HintEntry)) holds(e.collection());
        }
        return batch;
    }

    private int resume(Builder b) {
        Cont c = Objects.requireNonNull(cont, "resume() follows a continued batch");
        cont = null;
        OutPartial p = c.partial();
        if (p != null) {
            if (!continuePartial(b, p, c)) return CONTINUED;
            if (c.source() == LIVE) cursor = p.seq;
            else if (c.source() == BACKFILL && p.task != null && backfills.contains(p.task)) {
                p.task.afterId = p.id;
                p.task.afterSeq = p.seq;
            }
            b.releases.addAll(p.releases);
        }
        if (c.source() == LIVE) return fillLive(b, c.group());
        return EXHAUSTED;
    }

    private boolean continuePartial(Builder b, OutPartial p, Cont c) {
        int over = WireCodec.docEntryOverhead(p.collection, p.id, p.group);
        int rest = p.state.length - p.offset;
        int n = over + WireCodec.bytesSize(rest);
        if (b.fitsHard(n)) {
            b.add(new DocEntry(p.collection, p.id, p.group, Arrays.copyOfRange(p.state, p.offset, p.state.length)), n);
            return true;
        }
        int room = b.roomHard() - over - 5;
        byte[] chunk = Arrays.copyOfRange(p.state, p.offset, p.offset + room);
        b.add(new PartEntry(p.collection, p.id, p.group, chunk), over + WireCodec.bytesSize(chunk.length));
        p.offset += room;
        cont = c.partial() == p ? c : new Cont(c.source(), c.group(), p);
        return false;
    }

    /**
     * Adds an entry that may not fit, in a batch that must take it now (a group alone larger than a batch, or an
     * empty batch): a state that does not fit is cut into parts. False when the batch ends here, continued.
     */
    private boolean addSplitting(
            Builder b,
            Entry e,
            int source,
            long group,
            long seq,
            @Nullable Backfill task,
            List<Receiver.Obligation> releases) {
        int n = WireCodec.entrySize(e);
        if (b.fitsHard(n)) {
            b.add(e, n);
            b.releases.addAll(releases);
            return true;
        }
        if (e instanceof DocEntry d) {
            int over = WireCodec.docEntryOverhead(d.collection(), d.id(), d.group());
            int room = b.roomHard() - over - 5;
            if (room >= MIN_CHUNK || (b.isEmpty() && room > 0)) {
                byte[] chunk = Arrays.copyOf(d.state(), room);
                b.add(
                        new PartEntry(d.collection(), d.id(), d.group(), chunk),
                        over + WireCodec.bytesSize(chunk.length));
                OutPartial p = new OutPartial(d.collection(), d.id(), d.group(), d.state(), seq, task);
                p.releases.addAll(releases);
                p.offset = room;
                cont = new Cont(source, group, p);
                return false;
            }
        }
        // no room for a useful piece: the batch ends, and the row is read again for the next one
        cont = new Cont(source, group, null);
        return false;
    }

    private int chunkRows() {
        return (int) Math.max(8, Math.min(512, session.config().batchBytes() / Math.max(1.0, avgRowBytes)));
    }

    private void observe(Row row) {
        avgRowBytes = avgRowBytes * 0.9 + row.state().length * 0.1;
    }

    /**
     * The live feed: rows past the cursor in sequence order, never splitting a group unless it alone is too big.
     * Only rows that produce an entry (or suppress an echo) are kept while a group is gathered.
     */
    private int fillLive(Builder b, long tailGroup) {
        long groupId = tailGroup;
        boolean splitting = tailGroup != NO_GROUP; // entries of the current group go straight into the batch
        List<Pending> group = new ArrayList<>();
        int groupBytes = 0;
        long groupLast = cursor; // the last row of the group being gathered
        long readPos = cursor;
        while (true) {
            List<Row> rows = store.changesSince(readPos, chunkRows());
            if (rows.isEmpty()) break;
            for (Row row : rows) {
                observe(row);
                readPos = row.sequence();
                if (row.group() != groupId) {
                    if (splitting) splitting = false; // the group that went on from the last batch ends here
                    else commit(b, group, groupLast);
                    group.clear();
                    groupBytes = 0;
                    groupId = row.group();
                }
                long echo = 0;
                Entry e = classifyLive(row, true);
                if (e != null && (echo = session.echo().echoKey(row.collection(), row.id(), row.state())) != 0)
                    e = null;
                if (splitting) {
                    if (e != null && !addSplitting(b, e, LIVE, groupId, row.sequence(), null, List.of()))
                        return CONTINUED;
                    if (echo != 0) b.echoes.add(echo);
                    cursor = row.sequence();
                    continue;
                }
                groupLast = row.sequence();
                if (e == null && echo == 0) continue;
                int n = e == null ? 0 : WireCodec.entrySize(e);
                group.add(new Pending(e, row.sequence(), n, echo));
                groupBytes += n;
                if (!b.takes(groupBytes)) {
                    if (!b.isEmpty()) return FULL; // ends before this group, which is read again next time
                    splitting = true; // the group alone is larger than a frame
                    for (Pending p : group) {
                        if (p.entry() != null && !addSplitting(b, p.entry(), LIVE, groupId, p.seq(), null, List.of()))
                            return CONTINUED;
                        if (p.echo() != 0) b.echoes.add(p.echo());
                        cursor = p.seq();
                    }
                    cursor = groupLast;
                    group.clear();
                    groupBytes = 0;
                }
            }
        }
        if (!splitting) commit(b, group, groupLast);
        maybeChanges = false;
        return EXHAUSTED;
    }

    private void commit(Builder b, List<Pending> group, long groupLast) {
        for (Pending p : group) {
            if (p.entry() != null) b.add(p.entry(), p.size());
            if (p.echo() != 0) b.echoes.add(p.echo());
        }
        cursor = Math.max(cursor, groupLast);
    }

    /**
     * DOC, HINT or nothing for a row, by the remote's subscriptions (echo suppression aside); a DELTA may replace the
     * DOC only on the live feed ({@code live}): a backfill's documents are ones the remote may never have held.
     */
    private @Nullable Entry classifyLive(Row row, boolean live) {
        List<Subscription> list = subsFor(row.collection());
        if (list == null) return null;
        if (!skips.isEmpty() && row.sequence() <= skipUpTo) {
            Skip skip = skips.get(row.collection());
            if (skip != null && skip.same().get(Summaries.bucketOf(row.id(), skip.buckets()))) {
                summarySkipped++;
                return null; // the remote holds this very state
            }
        }
        if (!rangeSkips.isEmpty() && row.sequence() <= rangeSkipUpTo) {
            long[] intervals = rangeSkips.get(row.collection());
            if (intervals != null && Reconciliation.covers(intervals, row.id())) {
                rangesSkipped++;
                return null; // the remote holds this very state
            }
        }
        if (!readable(row)) return null; // no document, no hint: as if we did not hold it
        boolean doc = !row.live() || matchesAny(list, row);
        if (doc)
            return row.live() && live
                    ? docOrDelta(row)
                    : new DocEntry(row.collection(), row.id(), row.group(), row.state());
        if (held.contains(row.collection())) return new HintEntry(row.collection(), row.id(), store.digestOf(row));
        unhinted.merge(row.collection(), row.sequence(), Math::min); // hinted once the remote holds documents there
        return null;
    }

    /**
     * A changed document for a remote that resumed from its checkpoint: its newest writes (those of its latest stamp)
     * when the remote reads deltas and they are much smaller than the whole state, else the whole state. Whether the
     * remote holds the rest is not known here (it may have evicted the document, refused a change, or missed one that
     * a filter or permission left out): the digest lets it check, and it requests the whole state when the merge does
     * not give it.
     */
    private Entry docOrDelta(Row row) {
        DocEntry whole = new DocEntry(row.collection(), row.id(), row.group(), row.state());
        if (!resumed
                || !session.config().deltas()
                || (session.remoteCapabilities() & SessionConfig.CAP_DELTAS) == 0
                || row.state().length < MIN_DELTA_STATE) return whole;
        // the same for every receiver: the store may share it between sessions, as it shares the rows
        byte[] delta = store.deltaOf(row);
        if (delta == null) return whole; // our own state does not decode: never happens, and the whole state is right
        if (delta.length + 16 > row.state().length || delta.length > session.frameLimit() / 4) return whole;
        deltasSent++;
        return new Message.DeltaEntry(row.collection(), row.id(), row.group(), store.digestOf(row), delta);
    }

    long deltasSent() {
        return deltasSent;
    }

    private boolean matchesAny(List<Subscription> list, Row row) {
        for (Subscription s : list) {
            if (s.everyCollection() || store.matches(s, row)) return true; // EVERY: any live document
        }
        return false;
    }

    /** Newer states for documents the remote just sent us older ones of. */
    private int fillPush(Builder b, List<Message> out) {
        while (!push.isEmpty()) {
            Map.Entry<DocRef, List<Receiver.Obligation>> first =
                    push.entrySet().iterator().next();
            DocRef ref = first.getKey();
            List<Receiver.Obligation> obs = first.getValue();
            Row row = store.rowOf(ref.collection(), ref.id());
            Entry e = null;
            List<Subscription> list = subsFor(ref.collection());
            if (row != null
                    && row.sequence() <= cursor
                    && list != null
                    && readable(row)) { // else the live feed brings it, or it is not the remote's to read
                // the whole state even if it does not match: the remote holds the document, and its ACK must mean
                // it has the state (a hint would be acknowledged before the remote fetched it)
                e = new DocEntry(row.collection(), row.id(), row.group(), row.state());
            }
            if (e == null) {
                push.remove(ref);
                for (Receiver.Obligation ob : obs) session.receiver().release(ob, out);
                continue;
            }
            int n = WireCodec.entrySize(e);
            if (!b.takes(n)) {
                if (!b.isEmpty()) return FULL;
                push.remove(ref);
                if (!addSplitting(b, e, PUSH, NO_GROUP, 0, null, obs)) return CONTINUED;
                continue;
            }
            b.add(e, n);
            b.releases.addAll(obs);
            push.remove(ref);
        }
        return EXHAUSTED;
    }

    /** Backfills, one subscription at a time, by a resumable id cursor. */
    private int fillBackfill(Builder b) {
        while (!backfills.isEmpty()) {
            Backfill t = backfills.peekFirst();
            boolean bySequence = t.bySequence;
            List<Row> rows = bySequence
                    ? store.changesSince(t.afterSeq, chunkRows())
                    : t.full
                            ? store.scanCollection(t.collection, t.afterId, chunkRows())
                            : store.scanMatching(t.subs.get(0), t.afterId, chunkRows());
            if (bySequence && !rows.isEmpty() && rows.get(0).sequence() > t.upTo) rows = List.of();
            if (rows.isEmpty()) {
                backfills.pollFirst();
                for (Subscription s : t.subs) doneReady.add(s.key());
                continue;
            }
            for (Row row : rows) {
                observe(row);
                Entry e = null;
                long echo = 0;
                if (row.sequence() <= t.upTo) { // else the live feed brings it, or brought it
                    if (t.hintsOnly) {
                        if (row.collection().equals(t.collection) && classifyLive(row, false) instanceof HintEntry h)
                            e = h;
                    } else if (t.full) e = classifyLive(row, false); // whole states: the remote may hold none
                    else if (readable(row)) e = new DocEntry(row.collection(), row.id(), row.group(), row.state());
                    if (e != null && (echo = session.echo().echoKey(row.collection(), row.id(), row.state())) != 0)
                        e = null;
                }
                if (e != null) {
                    int n = WireCodec.entrySize(e);
                    if (!b.takes(n)) {
                        if (!b.isEmpty()) return FULL;
                        if (!addSplitting(b, e, BACKFILL, NO_GROUP, row.sequence(), t, List.of())) return CONTINUED;
                    } else {
                        b.add(e, n);
                    }
                }
                if (echo != 0) b.echoes.add(echo);
                t.afterId = row.id();
                t.afterSeq = row.sequence();
            }
        }
        return EXHAUSTED;
    }
}
