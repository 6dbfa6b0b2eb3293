package io.starling.internal.sync;

import io.starling.internal.sync.SyncStoreView.DocRef;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;

/**
 * The messages of the sync protocol, version 1 (docs/SYNC-PROTOCOL.md, "Messages"). Immutable values;
 * {@link WireCodec} turns them into bytes and back. Byte arrays are not copied: whoever builds a message
 * hands its arrays over and must not modify them afterwards. Equality compares contents, arrays included.
 */
public sealed interface Message
        permits Message.Hello,
                Message.Subscriptions,
                Message.Batch,
                Message.Ack,
                Message.Request,
                Message.Docs,
                Message.Zombies,
                Message.Close,
                Message.Presence,
                Message.Summary,
                Message.Blob,
                Message.Revocations,
                Message.Ranges,
                Message.SameSubscriptions,
                Message.SubscriptionsWanted,
                Message.SamePresence,
                Message.PresenceWanted {

    /**
     * The first message of each side. {@code capabilities} is a bit set ({@link SessionConfig#CAP_SUMMARY}; unknown
     * bits are ignored), {@code maxFrame}
     * the largest frame this side accepts, {@code horizon} its tombstone horizon (0 = none).
     */
    /**
     * An attachment message ({@link BlobMessage}), sent only to a peer that announced
     * {@link SessionConfig#CAP_ATTACHMENTS}. The session leaves them to the engine's attachment layer.
     */
    record Blob(BlobMessage body) implements Message {
        public Blob {
            Objects.requireNonNull(body, "body");
        }
    }

    record Hello(
            int version, String appId, long peerId, long incarnation, long capabilities, int maxFrame, long horizon)
            implements Message {
        public Hello {
            Objects.requireNonNull(appId, "appId");
            nonNegative(version, "version");
            nonNegative(maxFrame, "maxFrame");
            nonNegative(horizon, "horizon");
        }
    }

    /**
     * The whole set of subscriptions of the sending side (as a receiver), with its checkpoint for the other
     * side and the subscribed collections in which it holds documents. Replaces the previous set.
     */
    record Subscriptions(
            long revision,
            long checkpointIncarnation,
            long checkpointSequence,
            List<Item> subscriptions,
            List<String> held)
            implements Message {
        public Subscriptions {
            positive(revision, "revision");
            nonNegative(checkpointSequence, "checkpointSequence");
            subscriptions = List.copyOf(subscriptions);
            held = List.copyOf(held);
        }

        /**
         * One subscription and whether the checkpoint already covers it (no backfill needed); {@code hintsOwed}, only
         * with {@code covered} and only to a peer that announced {@link SessionConfig#CAP_HINT_PASS}: covered but for
         * the hints of rows that match none of the receiver's subscriptions (a hint pass owed).
         */
        public record Item(Subscription subscription, boolean covered, boolean hintsOwed) {
            public Item {
                Objects.requireNonNull(subscription, "subscription");
                if (hintsOwed && !covered)
                    throw new IllegalArgumentException("hints owed of a subscription not covered");
            }

            public Item(Subscription subscription, boolean covered) {
                this(subscription, covered, false);
            }
        }
    }

    /**
     * Entries for the sender's change-sequence range ({@code fromSeq}, {@code toSeq}], produced under the
     * receiver's subscription {@code revision}. {@code continued}: the last group (or document) goes on in the
     * next batch. {@code done}: subscriptions whose backfill completes with this batch.
     */
    record Batch(
            long batchNo,
            long revision,
            long fromSeq,
            long toSeq,
            boolean continued,
            List<Entry> entries,
            List<SubscriptionKey> done)
            implements Message {
        public Batch {
            positive(batchNo, "batchNo");
            nonNegative(revision, "revision");
            nonNegative(fromSeq, "fromSeq");
            if (toSeq < fromSeq) throw new IllegalArgumentException("toSeq " + toSeq + " < fromSeq " + fromSeq);
            entries = List.copyOf(entries);
            done = List.copyOf(done);
            if (continued && !done.isEmpty())
                throw new IllegalArgumentException("a continued batch completes no backfill");
            checkParts(entries, continued);
        }
    }

    /** The receiver applied batch {@code batchNo} (and every batch before it) and stored its checkpoint. */
    record Ack(long batchNo) implements Message {
        public Ack {
            positive(batchNo, "batchNo");
        }
    }

    /** Asks for whole documents (after hints). */
    record Request(long requestNo, List<DocRef> docs) implements Message {
        public Request {
            positive(requestNo, "requestNo");
            docs = List.copyOf(docs);
        }
    }

    /**
     * Part {@code part} (from 0) of the answer to request {@code requestNo}; {@code more}: another part follows.
     * Entries are {@link DocEntry} and {@link PartEntry} only.
     */
    record Docs(long requestNo, int part, boolean more, List<Entry> entries) implements Message {
        public Docs {
            positive(requestNo, "requestNo");
            nonNegative(part, "part");
            entries = List.copyOf(entries);
            for (Entry e : entries) {
                if (e instanceof HintEntry || e instanceof DeltaEntry)
                    throw new IllegalArgumentException("DOCS carries no hints and no deltas");
            }
            checkParts(entries, more);
        }
    }

    /** Documents the receiver refused as zombies: the holder evicts them. */
    record Zombies(List<DocRef> docs) implements Message {
        public Zombies {
            docs = List.copyOf(docs);
        }
    }

    /** The sender closes the connection; {@code reason} is one of the stable close reasons. */
    record Close(String reason, String message) implements Message {
        public Close {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(message, "message");
        }
    }

    /**
     * A receiver's first SUBSCRIPTIONS of a session, sent as a marker (docs/SYNC-PROTOCOL.md, "Resumed sessions"): its
     * subscriptions are exactly, in order, those of the last SUBSCRIPTIONS the sender processed whole from it, named by
     * their digest ({@link WireCodec#subscriptionSetDigest}); {@link #COVERED} says that the checkpoint covers every one
     * of them (else none), {@link #HELD} that the receiver holds documents in every collection they name (else in none);
     * its checkpoint is {@code checkpointSequence} of the incarnation the sender announced in this session's HELLO. Sent
     * only to a peer that announced {@link SessionConfig#CAP_RESUME}, and only by a receiver that holds a checkpoint.
     */
    record SameSubscriptions(long revision, int flags, long checkpointSequence, long digest) implements Message {
        /** Flag: every subscription is covered (without it: none is). */
        public static final int COVERED = 1;
        /** Flag: {@code held} lists every collection the subscriptions name, EVERY aside (without it: none). */
        public static final int HELD = 2;

        static final int ALL_FLAGS = COVERED | HELD;

        public SameSubscriptions {
            positive(revision, "revision");
            positive(checkpointSequence, "checkpointSequence");
            if ((flags & ~ALL_FLAGS) != 0) throw new IllegalArgumentException("unknown flags " + flags);
        }

        /** The SUBSCRIPTIONS this marker stands for, given the subscriptions it names and our incarnation. */
        public Subscriptions expand(List<Subscription> subscriptions, long incarnation) {
            List<Subscriptions.Item> items = new java.util.ArrayList<>(subscriptions.size());
            java.util.Set<String> held = new java.util.LinkedHashSet<>();
            for (Subscription s : subscriptions) {
                items.add(new Subscriptions.Item(s, (flags & COVERED) != 0));
                if ((flags & HELD) != 0 && !s.everyCollection()) held.add(s.collection());
            }
            return new Subscriptions(revision, incarnation, checkpointSequence, items, List.copyOf(held));
        }
    }

    /**
     * The sender's answer to a {@link SameSubscriptions} it cannot use (it holds no set of that digest from this peer,
     * or cannot accept the one it holds): the receiver sends its SUBSCRIPTIONS whole, under a new revision.
     */
    record SubscriptionsWanted(long revision) implements Message {
        public SubscriptionsWanted {
            positive(revision, "revision");
        }
    }

    /**
     * A session's first presence view, sent as a marker (docs/SYNC-PROTOCOL.md, "Presence on resumed sessions"): the
     * view is the last one the sender sent the receiver (in any session), named by {@code digest} (the engine's digest
     * of its bytes), with the sender's own record's sequence replaced by {@code sequence}. Opaque to the session, like
     * {@link Presence}, and handed to the engine ({@link SessionListener#samePresence}). Sent only to a peer that
     * announced {@link SessionConfig#CAP_PRESENCE_RESUME}.
     */
    record SamePresence(long digest, long sequence) implements Message {
        public SamePresence {
            if (sequence < 0) throw new IllegalArgumentException("negative sequence " + sequence);
        }
    }

    /**
     * The answer to a {@link SamePresence} whose view the receiver does not hold from that peer (it restarted, forgot,
     * or the digest does not match): the sender sends its view whole. {@code digest} repeats the marker's.
     */
    record PresenceWanted(long digest) implements Message {}

    /**
     * Presence gossip: the sender's view of the mesh (peers, their metadata and connections), opaque to the
     * session and handed to the engine ({@link SessionListener#presence}). At most 64 KiB.
     */
    record Presence(byte[] payload) implements Message {
        public static final int MAX_BYTES = 64 << 10;

        public Presence {
            Objects.requireNonNull(payload, "payload");
            if (payload.length > MAX_BYTES)
                throw new IllegalArgumentException("presence payload over 64 KiB: " + payload.length);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Presence p && java.util.Arrays.equals(payload, p.payload);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(payload);
        }
    }

    /**
     * The sender's revocation list (docs/SYNC-PROTOCOL.md, "Revocations"), sent only to a peer that announced {@link
     * SessionConfig#CAP_REVOCATIONS}. With an empty {@code list} it announces the number of the list the sender holds
     * (0: none); with a list, it carries the signed list numbered {@code serial}, opaque to the session (a {@link
     * RevocationVerifier} judges it). At most {@link #MAX_BYTES}, the largest list an authority signs.
     */
    record Revocations(long serial, byte[] list) implements Message {
        /** The largest list: the limit the authority's revocation lists keep (512 KiB). */
        public static final int MAX_BYTES = 512 << 10;

        public Revocations {
            nonNegative(serial, "serial");
            Objects.requireNonNull(list, "list");
            if (list.length > MAX_BYTES)
                throw new IllegalArgumentException("revocation list over " + MAX_BYTES + " bytes: " + list.length);
            if (list.length > 0 && serial < 1)
                throw new IllegalArgumentException("a revocation list is numbered from 1: " + serial);
        }

        /** An announcement of the number held, carrying no list. */
        public static Revocations announce(long serial) {
            return new Revocations(serial, new byte[0]);
        }

        public boolean announcement() {
            return list.length == 0;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Revocations r && serial == r.serial && Arrays.equals(list, r.list);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(serial) * 31 + Arrays.hashCode(list);
        }

        @Override
        public String toString() {
            return "Revocations[" + serial + (list.length == 0 ? ", announced]" : ", " + list.length + " bytes]");
        }
    }

    /**
     * What the receiver holds of one collection, sent before its first SUBSCRIPTIONS of a session it has no
     * checkpoint for (and only to a peer announcing {@link SessionConfig#CAP_SUMMARY}): per bucket of document ids,
     * the sum of its rows' hashes ({@link Summaries}). The sender skips the rows of every bucket whose sum equals
     * its own: the receiver holds them already. {@code buckets.length} is a power of two up to
     * {@link Summaries#MAX_BUCKETS}.
     */
    record Summary(String collection, long[] buckets) implements Message {
        public Summary {
            Objects.requireNonNull(collection, "collection");
            Objects.requireNonNull(buckets, "buckets");
            if (!Summaries.validBucketCount(buckets.length)) {
                throw new IllegalArgumentException(
                        "bucket count " + buckets.length + " is not a power of two up to " + Summaries.MAX_BUCKETS);
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Summary s && collection.equals(s.collection) && Arrays.equals(buckets, s.buckets);
        }

        @Override
        public int hashCode() {
            return collection.hashCode() * 31 + Arrays.hashCode(buckets);
        }

        @Override
        public String toString() {
            return "Summary[" + collection + ", " + buckets.length + " buckets]";
        }
    }

    /**
     * Range-based reconciliation of one collection for peers that never met ({@link Reconciliation},
     * docs/SYNC-PROTOCOL.md, "Peers that never met: ranges"), exchanged before the receiver's first SUBSCRIPTIONS
     * and only between peers that both announced {@link SessionConfig#CAP_RANGES}. The receiver describes ranges of
     * its rows (ordered by the hash of their id) by a fingerprint or by the list of its row hashes ({@link Open} in
     * round 1, {@link Children} in later rounds); the sender answers each round with a {@link Split}: which of the
     * fingerprinted ranges to describe next, in four parts each. An answer that splits nothing ends the collection.
     */
    record Ranges(String collection, int round, Part part) implements Message {
        public Ranges {
            Objects.requireNonNull(collection, "collection");
            Objects.requireNonNull(part, "part");
            if (collection.isEmpty()) throw new IllegalArgumentException("empty collection name");
            if (round < 1 || round > Reconciliation.MAX_ROUND)
                throw new IllegalArgumentException("round " + round + " outside 1.." + Reconciliation.MAX_ROUND);
            if (part instanceof Open && round != 1) throw new IllegalArgumentException("OPEN in round " + round);
            if (part instanceof Children && round == 1) throw new IllegalArgumentException("CHILDREN in round 1");
        }

        /** What a RANGES message carries. */
        public sealed interface Part permits Open, Split, Children {}

        /** Round 1, receiver to sender: the whole collection as one range. */
        public record Open(Range root) implements Part {
            public Open {
                Objects.requireNonNull(root, "root");
                if (root instanceof Implied) throw new IllegalArgumentException("an implied root");
            }
        }

        /**
         * Sender to receiver: of the {@code ranges} ranges the receiver's last message fingerprinted (explicitly or
         * implied, in order), those to split (bit i = the i-th). No bit set: the collection is reconciled.
         */
        public record Split(int ranges, BitSet split) implements Part {
            public Split {
                Objects.requireNonNull(split, "split");
                if (ranges < 0 || ranges > Reconciliation.MAX_FRONTIER)
                    throw new IllegalArgumentException(
                            "range count " + ranges + " outside 0.." + Reconciliation.MAX_FRONTIER);
                if (split.length() > ranges)
                    throw new IllegalArgumentException("bit " + (split.length() - 1) + " of " + ranges + " ranges");
                split = (BitSet) split.clone();
            }

            @Override
            public BitSet split() {
                return (BitSet) split.clone();
            }
        }

        /**
         * Receiver to sender: for each range the last SPLIT named, in order, its four parts ({@link
         * Reconciliation#FANOUT}); only the last part may be {@link Implied}.
         */
        public record Children(List<List<Range>> nodes) implements Part {
            public Children {
                nodes = List.copyOf(nodes);
                if (nodes.size() > Reconciliation.MAX_SPLITS)
                    throw new IllegalArgumentException(nodes.size() + " nodes, more than " + Reconciliation.MAX_SPLITS);
                for (List<Range> node : nodes) {
                    if (node.size() != Reconciliation.FANOUT)
                        throw new IllegalArgumentException("a node of " + node.size() + " parts");
                    for (int i = 0; i < Reconciliation.FANOUT - 1; i++) {
                        if (node.get(i) instanceof Implied)
                            throw new IllegalArgumentException("part " + i + " implied (only the last may be)");
                    }
                }
                nodes = nodes.stream().map(List::copyOf).toList();
            }
        }

        /** How a range is described. */
        public sealed interface Range permits Fingerprint, Listed, Implied {}

        /** The sum (mod 2<sup>64</sup>) of the row hashes of the range. */
        public record Fingerprint(long sum) implements Range {}

        /** Every row hash of the range (at most {@link Reconciliation#MAX_LIST}). */
        public record Listed(long[] hashes) implements Range {
            public Listed {
                Objects.requireNonNull(hashes, "hashes");
                if (hashes.length > Reconciliation.MAX_LIST)
                    throw new IllegalArgumentException(
                            hashes.length + " hashes listed, more than " + Reconciliation.MAX_LIST);
                hashes = hashes.clone();
            }

            @Override
            public long[] hashes() {
                return hashes.clone();
            }

            @Override
            public boolean equals(Object o) {
                return o instanceof Listed l && Arrays.equals(hashes, l.hashes);
            }

            @Override
            public int hashCode() {
                return Arrays.hashCode(hashes);
            }

            @Override
            public String toString() {
                return "Listed" + Arrays.toString(hashes);
            }
        }

        /** A fingerprint left out: the parent's minus its siblings' (the last part of a node only). */
        public record Implied() implements Range {}
    }

    /** An entry of a {@link Batch} or {@link Docs}. */
    sealed interface Entry permits DocEntry, HintEntry, PartEntry, DeltaEntry {
        String collection();

        byte[] id();

        default DocRef ref() {
            return new DocRef(collection(), id());
        }

        default boolean sameDocument(Entry o) {
            return collection().equals(o.collection()) && Arrays.equals(id(), o.id());
        }
    }

    /** A document's whole state (or the last piece of one sent in {@link PartEntry parts}). */
    record DocEntry(String collection, byte[] id, long group, byte[] state) implements Entry {
        public DocEntry {
            Objects.requireNonNull(collection, "collection");
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(state, "state");
            nonNegative(group, "group");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof DocEntry e
                    && group == e.group
                    && collection.equals(e.collection)
                    && Arrays.equals(id, e.id)
                    && Arrays.equals(state, e.state);
        }

        @Override
        public int hashCode() {
            return Objects.hash(collection, Arrays.hashCode(id), group, Arrays.hashCode(state));
        }

        @Override
        public String toString() {
            return "DOC[" + collection + "/" + Hex.of(id) + " g" + group + ", " + state.length + " bytes]";
        }
    }

    /** The document changed here and no longer matches: a receiver holding another state may request it. */
    record HintEntry(String collection, byte[] id, long digest) implements Entry {
        public HintEntry {
            Objects.requireNonNull(collection, "collection");
            Objects.requireNonNull(id, "id");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof HintEntry e
                    && digest == e.digest
                    && collection.equals(e.collection)
                    && Arrays.equals(id, e.id);
        }

        @Override
        public int hashCode() {
            return Objects.hash(collection, Arrays.hashCode(id), digest);
        }

        @Override
        public String toString() {
            return "HINT[" + collection + "/" + Hex.of(id) + " " + Long.toHexString(digest) + "]";
        }
    }

    /**
     * A document's newest writes (a state holding only them, {@code DocumentState#writtenSince}) and the digest of
     * the sender's whole state, sent only in BATCH and only to a peer that announced {@link SessionConfig#CAP_DELTAS}.
     * The receiver keeps the merge of {@code delta} onto what it holds only when that merge has {@code digest}; else it
     * requests the whole state, as for a hint.
     */
    record DeltaEntry(String collection, byte[] id, long group, long digest, byte[] delta) implements Entry {
        public DeltaEntry {
            Objects.requireNonNull(collection, "collection");
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(delta, "delta");
            nonNegative(group, "group");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof DeltaEntry e
                    && group == e.group
                    && digest == e.digest
                    && collection.equals(e.collection)
                    && Arrays.equals(id, e.id)
                    && Arrays.equals(delta, e.delta);
        }

        @Override
        public int hashCode() {
            return Objects.hash(collection, Arrays.hashCode(id), group, digest, Arrays.hashCode(delta));
        }

        @Override
        public String toString() {
            return "DELTA[" + collection + "/" + Hex.of(id) + " g" + group + " " + Long.toHexString(digest) + ", "
                    + delta.length + " bytes]";
        }
    }

    /**
     * A leading piece of a state too large for one frame. The next entry — in the same message or at the start
     * of the next one — continues the same document with another part or ends it with a {@link DocEntry}.
     */
    record PartEntry(String collection, byte[] id, long group, byte[] chunk) implements Entry {
        public PartEntry {
            Objects.requireNonNull(collection, "collection");
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(chunk, "chunk");
            nonNegative(group, "group");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof PartEntry e
                    && group == e.group
                    && collection.equals(e.collection)
                    && Arrays.equals(id, e.id)
                    && Arrays.equals(chunk, e.chunk);
        }

        @Override
        public int hashCode() {
            return Objects.hash(collection, Arrays.hashCode(id), group, Arrays.hashCode(chunk));
        }

        @Override
        public String toString() {
            return "PART[" + collection + "/" + Hex.of(id) + " g" + group + ", " + chunk.length + " bytes]";
        }
    }

    private static void nonNegative(long v, String name) {
        if (v < 0) throw new IllegalArgumentException(name + " must not be negative: " + v);
    }

    private static void positive(long v, String name) {
        if (v < 1) throw new IllegalArgumentException(name + " must be at least 1: " + v);
    }

    /** A part is followed by a part or a doc of the same document, or ends a message that goes on. */
    private static void checkParts(List<Entry> entries, boolean goesOn) {
        for (int i = 0; i < entries.size(); i++) {
            if (!(entries.get(i) instanceof PartEntry p)) continue;
            if (i + 1 == entries.size()) {
                if (!goesOn) throw new IllegalArgumentException("a message ending with a part must be continued");
            } else {
                Entry next = entries.get(i + 1);
                if (!(next instanceof PartEntry || next instanceof DocEntry) || !next.sameDocument(p)) {
                    throw new IllegalArgumentException("a part must be followed by the rest of its document");
                }
            }
        }
    }
}
