package io.starling.internal.sync;

import io.starling.internal.core.BinaryReader;
import io.starling.internal.core.BinaryWriter;
import io.starling.internal.core.CodecException;
import io.starling.internal.core.Value;
import io.starling.internal.core.ValueCodec;
import io.starling.internal.sync.Message.Ack;
import io.starling.internal.sync.Message.Batch;
import io.starling.internal.sync.Message.Close;
import io.starling.internal.sync.Message.DocEntry;
import io.starling.internal.sync.Message.Docs;
import io.starling.internal.sync.Message.Entry;
import io.starling.internal.sync.Message.Hello;
import io.starling.internal.sync.Message.HintEntry;
import io.starling.internal.sync.Message.PartEntry;
import io.starling.internal.sync.Message.Presence;
import io.starling.internal.sync.Message.Request;
import io.starling.internal.sync.Message.Revocations;
import io.starling.internal.sync.Message.Subscriptions;
import io.starling.internal.sync.Message.Summary;
import io.starling.internal.sync.Message.Zombies;
import io.starling.internal.sync.SyncStoreView.DocRef;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The binary encoding of {@link Message}s (docs/SYNC-PROTOCOL.md, "Messages"): a type byte and the body,
 * without the frame length ({@link FrameEncoder} adds it). Stateless and thread-safe.
 *
 * <p>{@link #decode} reads a message completely before returning it and refuses anything that is not
 * exactly one valid message — unknown type, truncation, trailing bytes, lengths or counts past the end,
 * out-of-range numbers, invalid UTF-8, a subscription key that is not 16 bytes, a part entry not followed by
 * the rest of its document — with a {@link WireException}, and with no other exception. Allocation is bounded
 * by the input size. Document states are opaque here: the store decodes them when it merges.
 */
public final class WireCodec {
    static final int HELLO = 1,
            SUBSCRIPTIONS = 2,
            BATCH = 3,
            ACK = 4,
            REQUEST = 5,
            DOCS = 6,
            ZOMBIES = 7,
            CLOSE = 8,
            PRESENCE = 9,
            SUMMARY = 10,
            DEFLATED = 11,
            BLOB = 12,
            REVOCATIONS = 13,
            RANGES = 14,
            RESUME = 15,
            PRESENCE_RESUME = 16;
    static final int RESUME_SAME = 1, RESUME_WANTED = 2;
    static final int PRESENCE_SAME = 1, PRESENCE_WANTED = 2;
    static final int RANGES_OPEN = 1, RANGES_SPLIT = 2, RANGES_CHILDREN = 3;
    static final int MODE_FP = 0, MODE_LIST = 1, MODE_IMPLIED = 2;
    /** Below this many bytes a message is not worth compressing. */
    static final int MIN_DEFLATE = 256;

    static final int DOC = 1, HINT = 2, PART = 3, DELTA = 4;
    static final int FLAG_CONTINUED = 1;
    static final int KEY_BYTES = 16;

    private WireCodec() {}

    // ---- encoding -------------------------------------------------------------------------------------

    /** The message bytes: type and body, without the frame length. */
    public static byte[] encode(Message m) {
        BinaryWriter w = new BinaryWriter(m instanceof Batch b ? batchSize(b) : 64);
        if (m instanceof Hello h) {
            w.writeByte(HELLO)
                    .writeVarLong(h.version())
                    .writeString(h.appId())
                    .writeFixedLong(h.peerId())
                    .writeFixedLong(h.incarnation())
                    .writeVarLong(h.capabilities())
                    .writeVarLong(h.maxFrame())
                    .writeVarLong(h.horizon());
        } else if (m instanceof Subscriptions s) {
            w.writeByte(SUBSCRIPTIONS)
                    .writeVarLong(s.revision())
                    .writeFixedLong(s.checkpointIncarnation())
                    .writeVarLong(s.checkpointSequence());
            writeSubscriptionSet(w, s.subscriptions(), s.held());
        } else if (m instanceof Message.SameSubscriptions same) {
            w.writeByte(RESUME)
                    .writeByte(RESUME_SAME)
                    .writeVarLong(same.revision())
                    .writeVarLong(same.flags())
                    .writeVarLong(same.checkpointSequence())
                    .writeFixedLong(same.digest());
        } else if (m instanceof Message.SubscriptionsWanted wanted) {
            w.writeByte(RESUME).writeByte(RESUME_WANTED).writeVarLong(wanted.revision());
        } else if (m instanceof Batch b) {
            w.writeByte(BATCH)
                    .writeVarLong(b.batchNo())
                    .writeVarLong(b.revision())
                    .writeVarLong(b.fromSeq())
                    .writeVarLong(b.toSeq())
                    .writeVarLong(b.continued() ? FLAG_CONTINUED : 0)
                    .writeVarInt(b.entries().size());
            for (Entry e : b.entries()) writeEntry(w, e);
            w.writeVarInt(b.done().size());
            for (SubscriptionKey k : b.done()) w.writeBytes(k.bytes());
        } else if (m instanceof Ack a) {
            w.writeByte(ACK).writeVarLong(a.batchNo());
        } else if (m instanceof Request r) {
            w.writeByte(REQUEST).writeVarLong(r.requestNo());
            writeRefs(w, r.docs());
        } else if (m instanceof Docs d) {
            w.writeByte(DOCS)
                    .writeVarLong(d.requestNo())
                    .writeVarLong(d.part())
                    .writeVarLong(d.more() ? FLAG_CONTINUED : 0)
                    .writeVarInt(d.entries().size());
            for (Entry e : d.entries()) writeEntry(w, e);
        } else if (m instanceof Zombies z) {
            w.writeByte(ZOMBIES);
            writeRefs(w, z.docs());
        } else if (m instanceof Close c) {
            w.writeByte(CLOSE).writeString(c.reason()).writeString(c.message());
        } else if (m instanceof Presence p) {
            w.writeByte(PRESENCE).writeBytes(p.payload());
        } else if (m instanceof Message.SamePresence same) {
            w.writeByte(PRESENCE_RESUME)
                    .writeByte(PRESENCE_SAME)
                    .writeFixedLong(same.digest())
                    .writeVarLong(same.sequence());
        } else if (m instanceof Message.PresenceWanted wanted) {
            w.writeByte(PRESENCE_RESUME).writeByte(PRESENCE_WANTED).writeFixedLong(wanted.digest());
        } else if (m instanceof Message.Blob b) {
            w.writeByte(BLOB);
            BlobCodec.write(w, b.body());
        } else if (m instanceof Revocations v) {
            w.writeByte(REVOCATIONS).writeVarLong(v.serial()).writeBytes(v.list());
        } else if (m instanceof Summary s) {
            w.writeByte(SUMMARY).writeString(s.collection()).writeVarInt(s.buckets().length);
            for (long b : s.buckets()) w.writeFixedLong(b);
        } else if (m instanceof Message.Ranges rg) {
            writeRanges(w, rg);
        }
        return w.toByteArray();
    }

    /** The part of SUBSCRIPTIONS after the checkpoint: the subscriptions with their covered flags, then held. */
    private static void writeSubscriptionSet(BinaryWriter w, List<Subscriptions.Item> items, List<String> held) {
        w.writeVarInt(items.size());
        for (Subscriptions.Item item : items) {
            writeSubscription(w, item.subscription());
            w.writeByte(item.hintsOwed() ? 2 : item.covered() ? 1 : 0);
        }
        w.writeVarInt(held.size());
        for (String c : held) w.writeString(c);
    }

    private static void writeSubscription(BinaryWriter w, Subscription sub) {
        w.writeBytes(sub.key().bytes()).writeString(sub.collection()).writeString(sub.query());
        ValueCodec.write(w, sub.args());
    }

    /**
     * The digest a RESUME marker names a subscription set by: the first 8 bytes (big-endian) of the SHA-256 of the
     * subscriptions' count and then each subscription (key, collection, query, arguments) as SUBSCRIPTIONS encodes it,
     * in order, without the covered flags and the held collections (the marker carries those as flags).
     */
    public static long subscriptionSetDigest(List<Subscription> subscriptions) {
        BinaryWriter w = new BinaryWriter(64);
        w.writeVarInt(subscriptions.size());
        for (Subscription s : subscriptions) writeSubscription(w, s);
        return Digests.of(w.toByteArray());
    }

    private static void writeRanges(BinaryWriter w, Message.Ranges m) {
        w.writeByte(RANGES).writeString(m.collection()).writeVarInt(m.round());
        if (m.part() instanceof Message.Ranges.Open o) {
            w.writeByte(RANGES_OPEN).writeByte(mode(o.root()));
            writeItem(w, o.root());
        } else if (m.part() instanceof Message.Ranges.Split sp) {
            w.writeByte(RANGES_SPLIT).writeVarInt(sp.ranges());
            byte[] bits = sp.split().toByteArray();
            for (int i = 0; i < (sp.ranges() + 7) / 8; i++) w.writeByte(i < bits.length ? bits[i] & 0xff : 0);
        } else if (m.part() instanceof Message.Ranges.Children c) {
            w.writeByte(RANGES_CHILDREN).writeVarInt(c.nodes().size());
            for (List<Message.Ranges.Range> node : c.nodes()) {
                int modes = 0;
                for (int i = 0; i < node.size(); i++) modes |= mode(node.get(i)) << (2 * i);
                w.writeByte(modes);
                for (Message.Ranges.Range item : node) writeItem(w, item);
            }
        }
    }

    private static int mode(Message.Ranges.Range item) {
        if (item instanceof Message.Ranges.Fingerprint) return MODE_FP;
        if (item instanceof Message.Ranges.Listed) return MODE_LIST;
        return MODE_IMPLIED;
    }

    private static void writeItem(BinaryWriter w, Message.Ranges.Range item) {
        if (item instanceof Message.Ranges.Fingerprint f) {
            w.writeFixedLong(f.sum());
        } else if (item instanceof Message.Ranges.Listed l) {
            long[] hashes = l.hashes();
            w.writeVarInt(hashes.length);
            for (long h : hashes) w.writeFixedLong(h);
        }
    }

    private static void writeEntry(BinaryWriter w, Entry e) {
        if (e instanceof DocEntry d) {
            w.writeByte(DOC)
                    .writeString(d.collection())
                    .writeBytes(d.id())
                    .writeVarLong(d.group())
                    .writeBytes(d.state());
        } else if (e instanceof HintEntry h) {
            w.writeByte(HINT).writeString(h.collection()).writeBytes(h.id()).writeFixedLong(h.digest());
        } else if (e instanceof Message.DeltaEntry d) {
            w.writeByte(DELTA)
                    .writeString(d.collection())
                    .writeBytes(d.id())
                    .writeVarLong(d.group())
                    .writeFixedLong(d.digest())
                    .writeBytes(d.delta());
        } else if (e instanceof PartEntry p) {
            w.writeByte(PART)
                    .writeString(p.collection())
                    .writeBytes(p.id())
                    .writeVarLong(p.group())
                    .writeBytes(p.chunk());
        }
    }

    private static void writeRefs(BinaryWriter w, List<DocRef> refs) {
        w.writeVarInt(refs.size());
        for (DocRef r : refs) w.writeString(r.collection()).writeBytes(r.id());
    }

    // ---- sizes (exact, so that a sender can fill a frame without encoding twice) ------------------------

    static int varLen(long v) {
        int n = 1;
        while ((v & ~0x7fL) != 0) {
            v >>>= 7;
            n++;
        }
        return n;
    }

    static int utf8Len(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) n++;
            else if (c < 0x800) n += 2;
            else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else n += 3;
        }
        return n;
    }

    static int stringSize(String s) {
        int n = utf8Len(s);
        return varLen(n) + n;
    }

    static int bytesSize(int length) {
        return varLen(length) + length;
    }

    /** Everything of a DOC or PART entry but the state or chunk bytes and their length. */
    static int docEntryOverhead(String collection, byte[] id, long group) {
        return 1 + stringSize(collection) + bytesSize(id.length) + varLen(group);
    }

    static int entrySize(Entry e) {
        if (e instanceof DocEntry d)
            return docEntryOverhead(d.collection(), d.id(), d.group()) + bytesSize(d.state().length);
        if (e instanceof PartEntry p)
            return docEntryOverhead(p.collection(), p.id(), p.group()) + bytesSize(p.chunk().length);
        if (e instanceof Message.DeltaEntry d)
            return docEntryOverhead(d.collection(), d.id(), d.group()) + 8 + bytesSize(d.delta().length);
        HintEntry h = (HintEntry) e;
        return 1 + stringSize(h.collection()) + bytesSize(h.id().length) + 8;
    }

    static int refSize(DocRef r) {
        return stringSize(r.collection()) + bytesSize(r.id().length);
    }

    static int batchSize(Batch b) {
        int n = 1
                + varLen(b.batchNo())
                + varLen(b.revision())
                + varLen(b.fromSeq())
                + varLen(b.toSeq())
                + 1
                + varLen(b.entries().size())
                + varLen(b.done().size())
                + b.done().size() * (1 + KEY_BYTES);
        for (Entry e : b.entries()) n += entrySize(e);
        return n;
    }

    /**
     * The bytes of a message DEFLATE-compressed (type 11: the raw length, then a raw DEFLATE stream of the plain
     * encoding) when that is smaller, else the plain encoding. For a peer that announced
     * {@link SessionConfig#CAP_DEFLATE}; {@link #decode} returns the inner message either way.
     */
    public static byte[] encodeDeflated(Message m) {
        Deflater d = newDeflater();
        try {
            return encodeDeflated(m, d);
        } finally {
            d.end();
        }
    }

    /** A compressor for {@link #encodeDeflated(Message, Deflater)}: best speed, raw DEFLATE (no zlib wrapper). */
    public static Deflater newDeflater() {
        return new Deflater(Deflater.BEST_SPEED, true);
    }

    /**
     * {@link #encodeDeflated(Message)} with a compressor of {@link #newDeflater()} that the caller reuses from message
     * to message (it is reset here): setting one up allocates and clears some 300 KiB of native memory, which a server
     * sending one small batch to each of a thousand peers would otherwise do a thousand times per write. Not
     * thread-safe: one compressor per thread.
     */
    public static byte[] encodeDeflated(Message m, Deflater d) {
        byte[] raw = encode(m);
        if (raw.length < MIN_DEFLATE) return raw;
        int header = 1 + varLen(raw.length);
        byte[] buf = new byte[raw.length - header - 1]; // not smaller than that: not worth it
        int n = 0;
        d.reset();
        d.setInput(raw);
        d.finish();
        while (!d.finished() && n < buf.length) n += d.deflate(buf, n, buf.length - n);
        if (!d.finished()) return raw;
        return new BinaryWriter(header + n)
                .writeByte(DEFLATED)
                .writeVarInt(raw.length)
                .writeRaw(java.util.Arrays.copyOf(buf, n))
                .toByteArray();
    }

    // ---- decoding -------------------------------------------------------------------------------------

    /**
     * Decodes exactly one message.
     *
     * @throws WireException (reason {@code malformed}) on anything that is not exactly one valid message
     */
    public static Message decode(byte[] bytes) {
        return decode(bytes, SessionConfig.defaults().maxFrameBytes());
    }

    /**
     * Decodes exactly one message; a compressed one (type 11) may inflate to at most {@code maxInflated} bytes
     * (the receiver's own maximum frame size: no sender makes a larger message), which bounds what it allocates.
     *
     * @throws WireException (reason {@code malformed}) on anything that is not exactly one valid message
     */
    public static Message decode(byte[] bytes, int maxInflated) {
        if (bytes.length > 0 && bytes[0] == DEFLATED) return decodePlain(inflate(bytes, maxInflated), "compressed ");
        return decodePlain(bytes, "");
    }

    private static byte[] inflate(byte[] bytes, int maxInflated) {
        BinaryReader r = new BinaryReader(bytes);
        int length;
        try {
            r.readByte();
            length = r.readLength(maxInflated);
        } catch (CodecException e) {
            throw WireException.malformed("compressed message: " + e.getMessage());
        }
        if (length == 0) throw WireException.malformed("compressed message of 0 bytes");
        byte[] out = new byte[length];
        Inflater inf = new Inflater(true);
        try {
            inf.setInput(bytes, r.position(), bytes.length - r.position());
            int n = 0;
            while (n < length) {
                int k = inf.inflate(out, n, length - n);
                if (k == 0 && (inf.finished() || inf.needsInput() || inf.needsDictionary())) break;
                n += k;
            }
            if (n < length)
                throw WireException.malformed("compressed message inflates to " + n + " bytes, not " + length);
            if (!inf.finished() && inf.inflate(new byte[1]) > 0) {
                throw WireException.malformed("compressed message inflates to more than " + length + " bytes");
            }
            if (!inf.finished() || inf.getRemaining() > 0)
                throw WireException.malformed("compressed message: bytes after the stream");
            return out;
        } catch (DataFormatException e) {
            throw WireException.malformed("compressed message: " + e.getMessage());
        } finally {
            inf.end();
        }
    }

    private static Message decodePlain(byte[] bytes, String what) {
        if (bytes.length == 0) throw WireException.malformed("empty message");
        BinaryReader r = new BinaryReader(bytes);
        Message m;
        boolean trailingAllowed = false;
        try {
            int type = r.readByte();
            switch (type) {
                case HELLO -> {
                    Hello h = readHello(r);
                    trailingAllowed = h.version() != 1; // a later version may append fields; it is refused anyway
                    m = h;
                }
                case SUBSCRIPTIONS -> m = readSubscriptions(r);
                case BATCH -> m = readBatch(r);
                case ACK -> m = new Ack(positive(r, "batch number"));
                case REQUEST -> m = new Request(positive(r, "request number"), readRefs(r));
                case DOCS -> m = readDocs(r);
                case ZOMBIES -> m = new Zombies(readRefs(r));
                case CLOSE -> m = new Close(r.readString(), r.readString());
                case PRESENCE -> {
                    byte[] payload = r.readBytes();
                    if (payload.length > Presence.MAX_BYTES)
                        throw WireException.malformed("presence payload over 64 KiB");
                    m = new Presence(payload);
                }
                case SUMMARY -> m = readSummary(r);
                case RANGES -> m = readRanges(r);
                case BLOB -> m = new Message.Blob(BlobCodec.read(r));
                case REVOCATIONS -> m = readRevocations(r);
                case RESUME -> m = readResume(r);
                case PRESENCE_RESUME -> m = readPresenceResume(r);
                case DEFLATED -> throw WireException.malformed("a compressed message inside a compressed message");
                default -> throw WireException.malformed("unknown " + what + "message type " + type);
            }
        } catch (CodecException e) {
            throw WireException.malformed(Objects.requireNonNullElse(e.getMessage(), e.toString()));
        } catch (IllegalArgumentException e) { // a record's own check: the reader's checks should come first
            throw WireException.malformed(Objects.requireNonNullElse(e.getMessage(), e.toString()));
        }
        if (r.hasRemaining() && !trailingAllowed) {
            throw WireException.malformed(
                    r.remaining() + " trailing bytes after " + m.getClass().getSimpleName());
        }
        return m;
    }

    private static Hello readHello(BinaryReader r) {
        int version = intValue(r, "version");
        String appId = r.readString();
        long peerId = r.readFixedLong();
        long incarnation = r.readFixedLong();
        long capabilities = r.readVarLong();
        int maxFrame = intValue(r, "maximum frame size");
        long horizon = nonNegative(r, "horizon");
        return new Hello(version, appId, peerId, incarnation, capabilities, maxFrame, horizon);
    }

    private static Message readResume(BinaryReader r) {
        int kind = r.readByte();
        return switch (kind) {
            case RESUME_SAME -> {
                long revision = positive(r, "revision");
                long flags = r.readVarLong();
                if ((flags & ~(long) Message.SameSubscriptions.ALL_FLAGS) != 0)
                    throw WireException.malformed("unknown resume flags " + Long.toHexString(flags));
                yield new Message.SameSubscriptions(
                        revision, (int) flags, positive(r, "checkpoint sequence"), r.readFixedLong());
            }
            case RESUME_WANTED -> new Message.SubscriptionsWanted(positive(r, "revision"));
            default -> throw WireException.malformed("unknown resume kind " + kind);
        };
    }

    private static Message readPresenceResume(BinaryReader r) {
        int kind = r.readByte();
        return switch (kind) {
            case PRESENCE_SAME -> {
                long digest = r.readFixedLong();
                yield new Message.SamePresence(digest, nonNegative(r, "presence sequence"));
            }
            case PRESENCE_WANTED -> new Message.PresenceWanted(r.readFixedLong());
            default -> throw WireException.malformed("unknown presence-resume kind " + kind);
        };
    }

    private static Revocations readRevocations(BinaryReader r) {
        long serial = nonNegative(r, "revocation list number");
        byte[] list = r.readBytes(); // bounded by the input, itself bounded by the frame
        if (list.length > Revocations.MAX_BYTES)
            throw WireException.malformed(
                    "revocation list of " + list.length + " bytes, over " + Revocations.MAX_BYTES);
        if (list.length > 0 && serial < 1) throw WireException.malformed("revocation list numbered 0");
        return new Revocations(serial, list);
    }

    private static Summary readSummary(BinaryReader r) {
        String collection = collection(r);
        int n = r.readLength(r.remaining() / 8);
        if (!Summaries.validBucketCount(n))
            throw WireException.malformed(
                    "summary bucket count " + n + " is not a power of two up to " + Summaries.MAX_BUCKETS);
        long[] buckets = new long[n];
        for (int i = 0; i < n; i++) buckets[i] = r.readFixedLong();
        return new Summary(collection, buckets);
    }

    private static Message.Ranges readRanges(BinaryReader r) {
        String collection = collection(r);
        long round = r.readVarLong();
        if (round < 1 || round > Reconciliation.MAX_ROUND)
            throw WireException.malformed(
                    "ranges round " + Long.toUnsignedString(round) + " outside 1.." + Reconciliation.MAX_ROUND);
        int kind = r.readByte();
        Message.Ranges.Part part;
        switch (kind) {
            case RANGES_OPEN -> {
                if (round != 1) throw WireException.malformed("ranges OPEN in round " + round);
                int mode = r.readByte();
                if (mode != MODE_FP && mode != MODE_LIST) throw WireException.malformed("ranges root mode " + mode);
                part = new Message.Ranges.Open(readItem(r, mode));
            }
            case RANGES_SPLIT -> {
                int n = r.readLength(Reconciliation.MAX_FRONTIER);
                BitSet bits = new BitSet(n);
                int bytes = (n + 7) / 8;
                for (int i = 0; i < bytes; i++) {
                    int b = r.readByte();
                    for (int j = 0; j < 8; j++) {
                        if ((b & (1 << j)) == 0) continue;
                        if (i * 8 + j >= n) throw WireException.malformed("ranges split bit past " + n + " ranges");
                        bits.set(i * 8 + j);
                    }
                }
                part = new Message.Ranges.Split(n, bits);
            }
            case RANGES_CHILDREN -> {
                if (round == 1) throw WireException.malformed("ranges CHILDREN in round 1");
                int n = r.readLength(Math.min(Reconciliation.MAX_SPLITS, r.remaining()));
                List<List<Message.Ranges.Range>> nodes = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    int modes = r.readByte();
                    for (int c = 0; c < Reconciliation.FANOUT; c++) { // every mode checked before any part is read
                        int mode = (modes >>> (2 * c)) & 3;
                        if (mode == 3 || (mode == MODE_IMPLIED && c != Reconciliation.FANOUT - 1))
                            throw WireException.malformed("ranges part " + c + " of mode " + mode);
                    }
                    List<Message.Ranges.Range> node = new ArrayList<>(Reconciliation.FANOUT);
                    for (int c = 0; c < Reconciliation.FANOUT; c++) node.add(readItem(r, (modes >>> (2 * c)) & 3));
                    nodes.add(node);
                }
                part = new Message.Ranges.Children(nodes);
            }
            default -> throw WireException.malformed("unknown ranges kind " + kind);
        }
        return new Message.Ranges(collection, (int) round, part);
    }

    private static Message.Ranges.Range readItem(BinaryReader r, int mode) {
        if (mode == MODE_FP) return new Message.Ranges.Fingerprint(r.readFixedLong());
        if (mode == MODE_IMPLIED) return new Message.Ranges.Implied();
        int n = r.readLength(Reconciliation.MAX_LIST);
        long[] hashes = new long[n];
        for (int i = 0; i < n; i++) hashes[i] = r.readFixedLong();
        return new Message.Ranges.Listed(hashes);
    }

    private static Subscriptions readSubscriptions(BinaryReader r) {
        long revision = positive(r, "revision");
        long ckptIncarnation = r.readFixedLong();
        long ckptSeq = nonNegative(r, "checkpoint sequence");
        int n = r.readLength(r.remaining());
        List<Subscriptions.Item> items = new ArrayList<>(Math.min(n, 256));
        for (int i = 0; i < n; i++) {
            SubscriptionKey key = readKey(r);
            String collection = r.readString(); // empty only in the subscription to every collection
            String query = r.readString();
            Value args = ValueCodec.read(r);
            if (!(args instanceof Value.Obj obj))
                throw WireException.malformed("subscription arguments are not an object");
            int covered = r.readByte();
            if (covered > 2) throw WireException.malformed("covered flag " + covered);
            Subscription sub = new Subscription(key, collection, query, obj);
            if (collection.isEmpty() && !sub.equals(Subscription.EVERY))
                throw WireException.malformed("a subscription with an empty collection name that is not "
                        + Subscription.EVERY_QUERY + " with no arguments");
            items.add(new Subscriptions.Item(sub, covered >= 1, covered == 2));
        }
        int h = r.readLength(r.remaining());
        List<String> held = new ArrayList<>(Math.min(h, 256));
        for (int i = 0; i < h; i++) held.add(collection(r));
        return new Subscriptions(revision, ckptIncarnation, ckptSeq, items, held);
    }

    private static Batch readBatch(BinaryReader r) {
        long batchNo = positive(r, "batch number");
        long revision = nonNegative(r, "revision");
        long from = nonNegative(r, "fromSeq");
        long to = nonNegative(r, "toSeq");
        if (to < from) throw WireException.malformed("toSeq " + to + " below fromSeq " + from);
        boolean continued = flag(r);
        List<Entry> entries = readEntries(r, true);
        int n = r.readLength(r.remaining());
        List<SubscriptionKey> done = new ArrayList<>(Math.min(n, 256));
        for (int i = 0; i < n; i++) done.add(readKey(r));
        if (continued && !done.isEmpty()) throw WireException.malformed("a continued batch lists completed backfills");
        checkParts(entries, continued);
        return new Batch(batchNo, revision, from, to, continued, entries, done);
    }

    private static Docs readDocs(BinaryReader r) {
        long requestNo = positive(r, "request number");
        int part = intValue(r, "part");
        boolean more = flag(r);
        List<Entry> entries = readEntries(r, false);
        checkParts(entries, more);
        return new Docs(requestNo, part, more, entries);
    }

    private static List<Entry> readEntries(BinaryReader r, boolean hints) {
        int n = r.readLength(r.remaining());
        List<Entry> entries = new ArrayList<>(Math.min(n, 1024));
        for (int i = 0; i < n; i++) {
            int type = r.readByte();
            String collection = collection(r);
            byte[] id = id(r);
            switch (type) {
                case DOC ->
                    entries.add(
                            new DocEntry(collection, id, nonNegative(r, "group"), nonEmpty(r.readBytes(), "state")));
                case PART ->
                    entries.add(
                            new PartEntry(collection, id, nonNegative(r, "group"), nonEmpty(r.readBytes(), "part")));
                case DELTA -> {
                    if (!hints) throw WireException.malformed("a delta in DOCS");
                    long group = nonNegative(r, "group");
                    long digest = r.readFixedLong();
                    entries.add(
                            new Message.DeltaEntry(collection, id, group, digest, nonEmpty(r.readBytes(), "delta")));
                }
                case HINT -> {
                    if (!hints) throw WireException.malformed("a hint in DOCS");
                    entries.add(new HintEntry(collection, id, r.readFixedLong()));
                }
                default -> throw WireException.malformed("unknown entry type " + type);
            }
        }
        return entries;
    }

    private static void checkParts(List<Entry> entries, boolean goesOn) {
        for (int i = 0; i < entries.size(); i++) {
            if (!(entries.get(i) instanceof PartEntry p)) continue;
            if (i + 1 == entries.size()) {
                if (!goesOn) throw WireException.malformed("the last entry is a part but nothing follows");
            } else {
                Entry next = entries.get(i + 1);
                if (!(next instanceof PartEntry || next instanceof DocEntry) || !next.sameDocument(p)) {
                    throw WireException.malformed("a part is not followed by the rest of its document");
                }
            }
        }
    }

    private static List<DocRef> readRefs(BinaryReader r) {
        int n = r.readLength(r.remaining());
        List<DocRef> refs = new ArrayList<>(Math.min(n, 1024));
        for (int i = 0; i < n; i++) refs.add(new DocRef(collection(r), id(r)));
        return refs;
    }

    private static SubscriptionKey readKey(BinaryReader r) {
        byte[] k = r.readBytes();
        if (k.length != KEY_BYTES) throw WireException.malformed("subscription key of " + k.length + " bytes");
        return SubscriptionKey.fromBytes(k);
    }

    private static String collection(BinaryReader r) {
        String c = r.readString();
        if (c.isEmpty()) throw WireException.malformed("empty collection name");
        return c;
    }

    private static byte[] id(BinaryReader r) {
        return nonEmpty(r.readBytes(), "document id");
    }

    private static byte[] nonEmpty(byte[] b, String what) {
        if (b.length == 0) throw WireException.malformed("empty " + what);
        return b;
    }

    private static boolean flag(BinaryReader r) {
        long f = r.readVarLong();
        if ((f & ~FLAG_CONTINUED) != 0) throw WireException.malformed("unknown flags " + Long.toHexString(f));
        return f == FLAG_CONTINUED;
    }

    private static long nonNegative(BinaryReader r, String what) {
        long v = r.readVarLong();
        if (v < 0) throw WireException.malformed(what + " out of range");
        return v;
    }

    private static long positive(BinaryReader r, String what) {
        long v = r.readVarLong();
        if (v < 1) throw WireException.malformed(what + " out of range: " + Long.toUnsignedString(v));
        return v;
    }

    private static int intValue(BinaryReader r, String what) {
        long v = r.readVarLong();
        if (v < 0 || v > Integer.MAX_VALUE)
            throw WireException.malformed(what + " out of range: " + Long.toUnsignedString(v));
        return (int) v;
    }
}
