package io.starling.internal.crdt;

import io.starling.internal.core.BinaryReader;
import io.starling.internal.core.BinaryWriter;
import io.starling.internal.core.CodecException;
import io.starling.internal.core.Limits;
import io.starling.internal.core.Path;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import io.starling.internal.core.ValueCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/*
 * Design note — the document CRDT.
 *
 * A document is a tree of Nodes (see Node). Every write carries one Stamp (hlc, site), greater than every
 * stamp the writing replica has seen, and touches nodes in three ways only:
 *
 *   assign   — a last-writer-wins non-map assignment of a path: a register value (SET to a scalar or
 *              array), a removal (UNSET; DELETE at the root) or a counter restart (RESTART WITH).
 *   mapStamp — "this path is an object as of stamp t": SET to an object, any SET/APPLY below the path
 *              (ancestors become objects), and INSERT at the root.
 *   contribution — a counter increment, folded into a running sum of the writing site (a series).
 *
 * A path is visibly an object iff its mapStamp is later than its assignment; otherwise it shows the
 * assignment (or the counter total, or nothing). An assignment at stamp c makes everything at or below c
 * in the subtree unreachable forever, so normalisation drops it: this is what keeps deleted documents from
 * coming back as husks. The document exists iff the root's mapStamp (latest INSERT) is later than its
 * assignment (latest DELETE); an UPDATE never moves the root's mapStamp, so it never resurrects.
 *
 * Merge is union followed by normalisation. Union takes per-node maxima (LWW assignment, max mapStamp,
 * latest state of each counter series) and normalisation removes only writes dominated by some assignment, and
 * since dominance is monotone in the union the result is the join of a semilattice: commutative,
 * associative and idempotent. The codec writes the normal form canonically (sorted keys, sorted stamp
 * table), so replicas that received the same writes hold byte-identical states.
 *
 * The full rules, with examples, are in docs/DATA-MODEL.md; the laws are checked by DocumentStateLawsTest.
 */

/**
 * The replicated state of one document: immutable, thread-safe. Every operation returns a new state.
 * Operations that write take the write's stamp, which the caller guarantees is greater than {@link
 * #maxStamp()} (the engine's hybrid logical clock observes every merged state).
 */
public final class DocumentState {
    private static final int FORMAT_VERSION = 1;
    private static final String ID = "_id";
    private static final DocumentState EMPTY = new DocumentState(new Node());

    private final Node root;
    /** The canonical encoding, computed once (the state is immutable). */
    private volatile byte @Nullable [] encoded;
    /** The greatest stamp, computed once (a merge asks for it several times). */
    private volatile @Nullable Stamp maxStamp;

    private DocumentState(Node root) {
        this.root = root;
    }

    /** The state of a document nobody has written. */
    public static DocumentState empty() {
        return EMPTY;
    }

    /** True when the document is live: inserted after its latest delete. */
    public boolean exists() {
        return root.isMap();
    }

    /** True when nothing was ever written (or everything written was dominated and dropped). */
    public boolean isEmpty() {
        return root.isEmpty();
    }

    /** True when the document was deleted and not re-inserted since. */
    public boolean isTombstone() {
        return !exists() && root.assignKind == Node.REMOVED;
    }

    /** The visible fields (without {@code _id}), or null when the document does not exist. */
    public Value.@Nullable Obj fields() {
        return exists() ? (Value.Obj) root.visible(Stamp.NONE) : null;
    }

    /** The visible document with {@code _id} first, or null when it does not exist. */
    public Value.@Nullable Obj document(Value id) {
        Value.Obj fields = fields();
        if (fields == null) return null;
        LinkedHashMap<String, Value> doc = new LinkedHashMap<>(fields.size() * 2 + 2);
        doc.put(ID, id);
        for (Map.Entry<String, Value> e : fields.fields().entrySet()) {
            if (!e.getKey().equals(ID)) doc.put(e.getKey(), e.getValue());
        }
        return Value.Obj.ofOwned(doc);
    }

    /** The greatest stamp in the state (the clock must be above it before writing). */
    public Stamp maxStamp() {
        Stamp m = maxStamp;
        if (m == null) maxStamp = m = root.maxStamp();
        return m;
    }

    // ---- writes ----------------------------------------------------------------------------------------

    /**
     * An INSERT (or INSERT ... ON ID CONFLICT DO UPDATE): the document exists as of {@code stamp}, and each
     * supplied field is written; objects merge into existing objects, fields not supplied are kept. A field
     * named {@code _id} is ignored: the id is the document's key, not part of its replicated state.
     */
    public DocumentState insert(Value.Obj fields, Stamp stamp) {
        Node r = root.copy();
        r.mapStamp = Stamp.max(r.mapStamp, stamp);
        for (Map.Entry<String, Value> e : fields.fields().entrySet()) {
            if (!e.getKey().equals(ID)) writeValue(r.child(e.getKey()), e.getValue(), stamp);
        }
        return normalized(r);
    }

    /**
     * INSERT ... ON ID CONFLICT DO UPDATE_LOCAL_DIFF: like {@link #insert} but writes only the fields whose
     * visible value differs (recursively through objects). Returns this same instance when nothing differs.
     */
    public DocumentState insertChangedFields(Value.Obj fields, Stamp stamp) {
        if (!exists()) return insert(fields, stamp);
        if (fields.fields().containsKey(ID)) {
            java.util.LinkedHashMap<String, Value> copy = new java.util.LinkedHashMap<>(fields.fields());
            copy.remove(ID);
            fields = Value.Obj.ofOwned(copy);
        }
        Node r = root.copy();
        if (!writeDiff(r, fields, stamp, Stamp.max(Stamp.NONE, r.assignStamp))) return this;
        return normalized(r);
    }

    /** A DELETE: the document and all its fields are gone as of {@code stamp}. */
    public DocumentState delete(Stamp stamp) {
        Node r = root.copy();
        r.assign(Node.REMOVED, stamp, null);
        return normalized(r);
    }

    /**
     * An UPDATE's field operations, all at {@code stamp}. Does not make a deleted document exist.
     *
     * @throws DocumentException if an operation does not fit the document (INCREMENT of a string, an array
     *     position on a non-array, a position past the end)
     */
    public DocumentState update(List<FieldOp> ops, Stamp stamp) {
        return update(ops, stamp, (series, latest) -> true);
    }

    /**
     * Which of its own counter series a site may continue. A site continues a series (adds to its running
     * sum) only when its local copy of the series is the latest it wrote: a copy received back from a peer
     * after the site evicted the document may be older, and continuing it would drop the increments in
     * between, everywhere. The engine answers from what it wrote since it opened the store; any series it
     * cannot vouch for gets a new series instead, which is always correct.
     */
    @FunctionalInterface
    public interface SeriesPolicy {
        boolean mayContinue(Stamp series, Stamp latestLocal);
    }

    /** {@link #update(List, Stamp)} with the engine's {@link SeriesPolicy}. */
    public DocumentState update(List<FieldOp> ops, Stamp stamp, SeriesPolicy policy) {
        Node r = root.copy();
        for (FieldOp op : ops) apply(r, op, stamp, policy);
        return normalized(r);
    }

    /** The counter series (their first stamps) that the write stamped {@code stamp} added to. */
    public List<Stamp> seriesWrittenAt(Stamp stamp) {
        List<Stamp> out = new ArrayList<>();
        collectSeries(root, stamp, out);
        return out;
    }

    private static void collectSeries(Node n, Stamp stamp, List<Stamp> out) {
        if (n.contributions != null) {
            for (Node.Contribution c : n.contributions.values()) if (c.stamp().equals(stamp)) out.add(c.series());
        }
        if (n.entries != null) for (Node c : n.entries.values()) collectSeries(c, stamp, out);
    }

    /** The join of two states: what a replica holds after receiving both. */
    public DocumentState merge(DocumentState other) {
        if (other.root.isEmpty()) return this;
        if (root.isEmpty()) return other;
        Node r = root.copy();
        r.absorb(other.root);
        return normalized(r);
    }

    /**
     * The writes of this state stamped at or after {@code from}: a <em>delta</em> that turns any state holding the
     * rest of this one into this one by {@link #merge} (a replica that held this document before those writes). It is
     * itself a state (a subset of this one's writes, so merging it never adds anything this one lacks); merged onto a
     * state that lacks some earlier write it gives a state short of this one, which is why a receiver checks the
     * result against a digest of the whole state before keeping it. Empty when nothing is that recent.
     */
    public DocumentState writtenSince(Stamp from) {
        Node r = since(root, from);
        return r == null ? EMPTY : normalized(r);
    }

    private static @Nullable Node since(Node n, Stamp from) {
        Node out = new Node();
        if (n.assignKind != Node.NONE && n.assignStamp.compareTo(from) >= 0) {
            out.assignKind = n.assignKind;
            out.assignStamp = n.assignStamp;
            out.assignValue = n.assignValue;
        }
        if (n.mapStamp.compareTo(from) >= 0) out.mapStamp = n.mapStamp;
        if (n.entries != null) {
            for (Map.Entry<String, Node> e : n.entries.entrySet()) {
                Node c = since(e.getValue(), from);
                if (c != null) out.child(e.getKey()).absorb(c);
            }
        }
        if (n.contributions != null) {
            for (Map.Entry<Stamp, Node.Contribution> e : n.contributions.entrySet()) {
                if (e.getValue().stamp().compareTo(from) >= 0)
                    out.contributionsForWrite().put(e.getKey(), e.getValue());
            }
        }
        return out.isEmpty() ? null : out;
    }

    private static DocumentState normalized(Node r) {
        r.normalize(Stamp.NONE);
        return new DocumentState(r);
    }

    private static void writeValue(Node node, Value v, Stamp stamp) {
        if (v instanceof Value.Obj o) {
            node.mapStamp = Stamp.max(node.mapStamp, stamp);
            for (Map.Entry<String, Value> e : o.fields().entrySet()) {
                writeValue(node.child(e.getKey()), e.getValue(), stamp);
            }
        } else {
            node.assign(Node.REGISTER, stamp, v);
        }
    }

    private static boolean writeDiff(Node node, Value.Obj v, Stamp stamp, Stamp clear) {
        boolean changed = false;
        for (Map.Entry<String, Value> e : v.fields().entrySet()) {
            Node child = node.existingChild(e.getKey());
            Value current = child == null ? Value.MISSING : child.visible(clear);
            if (child != null && e.getValue() instanceof Value.Obj o && current instanceof Value.Obj) {
                changed |= writeDiff(child, o, stamp, child.effectiveClear(clear));
            } else if (!e.getValue().equals(current)) {
                writeValue(node.child(e.getKey()), e.getValue(), stamp);
                changed = true;
            }
        }
        if (changed) node.mapStamp = Stamp.max(node.mapStamp, stamp);
        return changed;
    }

    private static void apply(Node root, FieldOp op, Stamp stamp, SeriesPolicy policy) {
        List<Path.Segment> segs = op.path().segments();
        int firstIndex = firstIndexSegment(segs);
        if (!(segs.get(0) instanceof Path.Key)) throw new DocumentException("a path must start with a field name");
        if (op instanceof FieldOp.Unset) {
            unset(root, segs, firstIndex, stamp);
            return;
        }
        if (firstIndex >= 0 && !(op instanceof FieldOp.Set)) {
            throw new DocumentException("APPLY needs a field path without array positions: " + op.path());
        }
        int keyCount = firstIndex >= 0 ? firstIndex : segs.size();
        // walk to the target, making ancestors objects as of this write
        Node node = root;
        Stamp clear = root.assignStamp;
        for (int i = 0; i < keyCount - 1; i++) {
            node = node.child(((Path.Key) segs.get(i)).name());
            clear = node.effectiveClear(clear);
            node.mapStamp = Stamp.max(node.mapStamp, stamp);
        }
        Node target = node.child(((Path.Key) segs.get(keyCount - 1)).name());
        Stamp targetClear = target.effectiveClear(clear);
        if (op instanceof FieldOp.Set set) {
            if (firstIndex < 0) {
                writeValue(target, set.value(), stamp);
            } else {
                Value current = target.visible(clear);
                Value updated = setIn(current, segs.subList(firstIndex, segs.size()), set.value(), op.path());
                writeValue(target, updated, stamp);
            }
        } else if (op instanceof FieldOp.Increment inc) {
            checkFinite(inc.amount(), op);
            Value current = target.visible(clear);
            boolean plainNumber = target.assignKind == Node.REGISTER && current.isNumber();
            if (target.isCounter() || current.isMissing() || plainNumber) {
                // A plain number counts as the counter's base: increments that saw it add up (each site's
                // series has the number's assignment as its basis), and a later assignment clears them.
                // Continue this site's series for the current basis if it holds one, else start a series.
                Node.Contribution mine = null;
                if (target.contributions != null) {
                    for (Node.Contribution c : target.contributions.values()) {
                        if (c.series().site() == stamp.site()
                                && c.basis().equals(targetClear)
                                && policy.mayContinue(c.series(), c.stamp())) {
                            mine = c; // the latest such series
                        }
                    }
                }
                Value sum = mine != null ? Node.add(mine.sum(), inc.amount()) : inc.amount();
                Value total = Node.add(current.isMissing() ? new Value.Int(0) : current, inc.amount());
                if (!isFinite(sum) || !isFinite(total)) {
                    throw new DocumentException("cannot INCREMENT " + op.path() + " by " + inc.amount()
                            + ": the counter would overflow the range of a float");
                }
                Node.Contribution next = mine != null
                        ? new Node.Contribution(targetClear, mine.series(), stamp, sum)
                        : new Node.Contribution(targetClear, stamp, stamp, sum);
                target.contributionsForWrite().put(next.series(), next);
            } else {
                throw new DocumentException(
                        "cannot INCREMENT " + op.path() + ": it holds " + article(current.typeName()));
            }
        } else if (op instanceof FieldOp.Restart restart) {
            checkFinite(restart.value(), op);
            target.assign(Node.COUNTER, stamp, restart.value());
        }
    }

    private static boolean isFinite(Value number) {
        return !(number instanceof Value.Dbl d) || Double.isFinite(d.value());
    }

    private static void checkFinite(Value number, FieldOp op) {
        if (!isFinite(number)) {
            throw new DocumentException(
                    "cannot apply " + number + " to " + op.path() + ": only finite numbers can be stored");
        }
    }

    private static void unset(Node root, List<Path.Segment> segs, int firstIndex, Stamp stamp) {
        int keyCount = firstIndex >= 0 ? firstIndex : segs.size();
        Node node = root;
        Stamp clear = root.assignStamp;
        for (int i = 0; i < keyCount - 1; i++) {
            node = node.existingChild(((Path.Key) segs.get(i)).name());
            if (node == null || !node.isMap()) return; // nothing there to remove
            clear = node.effectiveClear(clear);
        }
        String key = ((Path.Key) segs.get(keyCount - 1)).name();
        if (firstIndex < 0) {
            node.child(key).assign(Node.REMOVED, stamp, null);
            return;
        }
        Node target = node.existingChild(key);
        if (target == null) return;
        Value current = target.visible(clear);
        Value updated = unsetIn(current, segs.subList(firstIndex, segs.size()));
        if (updated != current) writeValue(target, updated, stamp);
    }

    private static int firstIndexSegment(List<Path.Segment> segs) {
        for (int i = 0; i < segs.size(); i++) if (segs.get(i) instanceof Path.Index) return i;
        return -1;
    }

    /** {@code current} with the value at {@code segs} replaced (array positions: within or one past the end). */
    private static Value setIn(Value current, List<Path.Segment> segs, Value v, Path whole) {
        if (segs.isEmpty()) return v;
        Path.Segment s = segs.get(0);
        List<Path.Segment> rest = segs.subList(1, segs.size());
        if (s instanceof Path.Key k) {
            Map<String, Value> fields =
                    current instanceof Value.Obj o ? new LinkedHashMap<>(o.fields()) : new LinkedHashMap<>();
            fields.put(
                    k.name(), setIn(current instanceof Value.Obj o ? o.get(k.name()) : Value.MISSING, rest, v, whole));
            return new Value.Obj(fields);
        }
        if (!(current instanceof Value.Arr a)) {
            throw new DocumentException(
                    "cannot SET " + whole + ": " + (current.isMissing() ? "the array does not exist" : "not an array"));
        }
        int i = ((Path.Index) s).index();
        if (i < 0) i += a.size();
        if (i < 0 || i > a.size()) {
            throw new DocumentException(
                    "cannot SET " + whole + ": position out of range (the array has " + a.size() + " items)");
        }
        List<Value> items = new ArrayList<>(a.items());
        if (i == items.size()) items.add(setIn(Value.MISSING, rest, v, whole));
        else items.set(i, setIn(items.get(i), rest, v, whole));
        return new Value.Arr(items);
    }

    /** {@code current} without the value at {@code segs}; the same instance when there is nothing to remove. */
    private static Value unsetIn(Value current, List<Path.Segment> segs) {
        Path.Segment s = segs.get(0);
        List<Path.Segment> rest = segs.subList(1, segs.size());
        if (s instanceof Path.Key k) {
            if (!(current instanceof Value.Obj o) || o.get(k.name()).isMissing()) return current;
            Map<String, Value> fields = new LinkedHashMap<>(o.fields());
            if (rest.isEmpty()) {
                fields.remove(k.name());
            } else {
                Value inner = o.get(k.name());
                Value updated = unsetIn(inner, rest);
                if (updated == inner) return current;
                fields.put(k.name(), updated);
            }
            return new Value.Obj(fields);
        }
        if (!(current instanceof Value.Arr a)) return current;
        int i = ((Path.Index) s).index();
        if (i < 0) i += a.size();
        if (i < 0 || i >= a.size()) return current;
        List<Value> items = new ArrayList<>(a.items());
        if (rest.isEmpty()) {
            items.remove(i);
        } else {
            Value updated = unsetIn(items.get(i), rest);
            if (updated == items.get(i)) return current;
            items.set(i, updated);
        }
        return new Value.Arr(items);
    }

    private static String article(String type) {
        return (type.startsWith("a") || type.startsWith("o") ? "an " : "a ") + type;
    }

    // ---- codec ---------------------------------------------------------------------------------------------

    /*
     * state    := version(=1) varint-count stamp* node         -- stamps sorted ascending, distinct
     * stamp    := varlong hlc-delta-from-previous  8-byte site
     * node     := flags [varint stamp-index [value]] [varint stamp-index] [entries] [contributions]
     *   flags: bits 0-1 assignment kind (0 none, 1 register, 2 removed, 3 counter),
     *          bit 2 has mapStamp, bit 3 has entries, bit 4 has contributions;
     *          the value follows for register (the value) and counter (its base)
     * entries  := varint-count (string node)*                    -- keys in String order
     * contributions := varint-count (varint basis-index varint series-index varint stamp-index value)*
     *                  -- series in stamp order
     */

    /**
     * {@code empty().insert(fields, stamp).encode()} without building the tree: the fast path of the
     * common write, a new document. {@code DocumentStateTest} checks that both paths agree byte for byte.
     */
    public static byte[] encodeInserted(Value.Obj fields, Stamp stamp) {
        if (stamp.isNone()) throw new IllegalArgumentException("a write needs a stamp above NONE");
        BinaryWriter w = new BinaryWriter(64 + fields.size() * 24);
        w.writeByte(FORMAT_VERSION).writeVarInt(1).writeVarLong(stamp.hlc()).writeFixedLong(stamp.site());
        try {
            writeInsertedMap(w, fields, 0);
        } catch (CodecException e) {
            throw unstorable(e);
        }
        return w.toByteArray();
    }

    /**
     * Room left before the root in {@link #writeInsertedBody}'s writer for what {@link #encodeInserted(Stamp, byte[],
     * int)} writes before it: the format, a stamp count of one, the HLC (at most 10 bytes) and the site (8).
     */
    static final int HEADER_ROOM = 20;

    /**
     * Writes, after {@link #HEADER_ROOM} bytes, what {@link #encodeInserted} writes after the stamp table for {@code
     * Value.fromJava(root, special)}, straight from the Java map in one walk; false when the map holds anything the walk
     * leaves to the ordinary path (see {@link ValueCodec#writeJava}): the caller then converts and checks it the
     * ordinary way. The root's {@code _id} is not written (the id is the row's key), as in {@link #encodeInserted}; it
     * is put in {@code id[0]} (left alone when the map has none), and {@code id[1]} is set to the map.
     */
    static boolean writeInsertedBody(BinaryWriter w, Map<?, ?> root, Value.Special special, @Nullable Object[] id) {
        w.writeZeros(HEADER_ROOM);
        return writeInsertedJavaMap(w, root, 0, special, id);
    }

    /** {@link #encodeInserted}'s bytes from a stamp and a body {@link #writeInsertedBody} wrote into {@code buf}. */
    static byte[] encodeInserted(Stamp stamp, byte[] buf, int end) {
        if (stamp.isNone()) throw new IllegalArgumentException("a write needs a stamp above NONE");
        long hlc = stamp.hlc();
        int hlcBytes = 1;
        for (long v = hlc >>> 7; v != 0; v >>>= 7) hlcBytes++;
        int body = end - HEADER_ROOM;
        byte[] out = new byte[2 + hlcBytes + 8 + body];
        out[0] = FORMAT_VERSION;
        out[1] = 1; // one stamp
        int at = 2;
        for (long v = hlc; ; v >>>= 7) { // BinaryWriter.writeVarLong
            if ((v & ~0x7fL) == 0) {
                out[at++] = (byte) v;
                break;
            }
            out[at++] = (byte) ((v & 0x7f) | 0x80);
        }
        long site = stamp.site();
        for (int i = 7; i >= 0; i--) out[at++] = (byte) (site >>> (i * 8)); // BinaryWriter.writeFixedLong
        System.arraycopy(buf, HEADER_ROOM, out, at, body);
        return out;
    }

    /** {@link #writeInsertedMap} for a Java map at tree depth {@code depth}; false: leave it to the ordinary path. */
    private static boolean writeInsertedJavaMap(
            BinaryWriter w, Map<?, ?> m, int depth, Value.Special special, @Nullable Object[] id) {
        // Value.fromJava's limit for the map itself (an object at level depth + 1), whether or not it has fields
        if (ValueCodec.isSpecial(m, special) || depth + 1 > Limits.MAX_DEPTH) return false;
        Map.Entry<?, ?>[] entries = ValueCodec.sortedEntries(m, false); // the entries' TreeMap order
        if (entries == null) return false;
        int n = entries.length;
        int skip = 0;
        if (depth == 0) {
            for (Map.Entry<?, ?> e : entries) {
                if (e.getKey().equals(ID)) {
                    id[0] = e.getValue();
                    id[1] = m;
                    skip = 1;
                    break;
                }
            }
        }
        w.writeByte(4 | (n - skip > 0 ? 8 : 0)).writeVarInt(0);
        if (n - skip == 0) return true;
        w.writeVarInt(n - skip);
        for (Map.Entry<?, ?> e : entries) {
            String key = (String) e.getKey();
            if (skip == 1 && key.equals(ID)) continue;
            if (!ValueCodec.writeJavaKey(w, key)) return false;
            Object v = e.getValue();
            if (v instanceof Map<?, ?> inner) {
                if (!writeInsertedJavaMap(w, inner, depth + 1, special, id)) return false;
            } else {
                w.writeByte(Node.REGISTER).writeVarInt(0);
                if (!ValueCodec.writeJava(w, v, depth + 1, special)) return false;
            }
        }
        return true;
    }

    /** A state that could not be read back is never written: the write fails as a whole. */
    private static DocumentException unstorable(CodecException e) {
        return new DocumentException("the document cannot be stored: " + e.getMessage());
    }

    /** Writes an inserted object at tree depth {@code depth} (the root: 0; the object is level depth + 1). */
    private static void writeInsertedMap(BinaryWriter w, Value.Obj obj, int depth) {
        boolean root = depth == 0;
        boolean skipId = root && obj.fields().containsKey(ID);
        int n = obj.size() - (skipId ? 1 : 0);
        String[] keys = new String[n];
        int k = 0;
        for (String key : obj.fields().keySet()) if (!skipId || !key.equals(ID)) keys[k++] = key;
        Arrays.sort(keys); // the entries' TreeMap order
        w.writeByte(4 | (n > 0 ? 8 : 0)).writeVarInt(0);
        if (n == 0) return;
        checkDepth(depth + 1);
        w.writeVarInt(n);
        for (String key : keys) {
            ValueCodec.writeString(w, key);
            Value v = Objects.requireNonNull(obj.fields().get(key));
            if (v instanceof Value.Obj o) {
                writeInsertedMap(w, o, depth + 1);
            } else {
                w.writeByte(Node.REGISTER).writeVarInt(0);
                ValueCodec.write(w, v, depth + 1);
            }
        }
    }

    /** The canonical encoding: equal states encode to identical bytes. */
    public byte[] encode() {
        byte[] e = encoded;
        if (e == null) encoded = e = encodeNow();
        return e.clone();
    }

    /** Size of the canonical encoding in bytes. */
    public int encodedSize() {
        byte[] e = encoded;
        if (e == null) encoded = e = encodeNow();
        return e.length;
    }

    private byte[] encodeNow() {
        StampTable stamps = new StampTable();
        collectStamps(root, stamps);
        stamps.seal();
        BinaryWriter w = new BinaryWriter(256);
        w.writeByte(FORMAT_VERSION).writeVarInt(stamps.size());
        long prev = 0;
        for (int i = 0; i < stamps.size(); i++) {
            Stamp s = stamps.get(i);
            w.writeVarLong(s.hlc() - prev).writeFixedLong(s.site());
            prev = s.hlc();
        }
        try {
            writeNode(w, root, stamps, 0);
        } catch (CodecException e) {
            throw unstorable(e);
        }
        return w.toByteArray();
    }

    /**
     * The tree's depth limit: a node at depth {@code d} (the root: 0) stands for a value inside {@code d} levels
     * of objects, so its entries are a container at level {@code d + 1} ({@link Limits#MAX_DEPTH}).
     */
    private static void checkDepth(int level) {
        if (level > Limits.MAX_DEPTH) {
            throw new CodecException("document nested deeper than " + Limits.MAX_DEPTH + " levels");
        }
    }

    /**
     * The distinct stamps of a state, sorted, with their positions. Most documents hold one to a few stamps,
     * so a sorted array with binary search beats hashing.
     */
    private static final class StampTable {
        private Stamp[] stamps = new Stamp[4];
        private int size;

        void add(Stamp s) {
            for (int i = size - 1; i >= 0 && i >= size - 2; i--) if (stamps[i].equals(s)) return; // common repeats
            if (size == stamps.length) stamps = Arrays.copyOf(stamps, size * 2);
            stamps[size++] = s;
        }

        void seal() {
            Arrays.sort(stamps, 0, size);
            int n = 0;
            for (int i = 0; i < size; i++) if (n == 0 || !stamps[n - 1].equals(stamps[i])) stamps[n++] = stamps[i];
            size = n;
        }

        int size() {
            return size;
        }

        Stamp get(int i) {
            return stamps[i];
        }

        int indexOf(Stamp s) {
            return Arrays.binarySearch(stamps, 0, size, s);
        }
    }

    private static void collectStamps(Node n, StampTable out) {
        if (n.assignKind != Node.NONE) out.add(n.assignStamp);
        if (!n.mapStamp.isNone()) out.add(n.mapStamp);
        if (n.entries != null) for (Node c : n.entries.values()) collectStamps(c, out);
        if (n.contributions != null) {
            for (Node.Contribution c : n.contributions.values()) {
                out.add(c.basis());
                out.add(c.series());
                out.add(c.stamp());
            }
        }
    }

    private static void writeNode(BinaryWriter w, Node n, StampTable index, int depth) {
        boolean hasMap = !n.mapStamp.isNone();
        boolean hasEntries = n.entries != null && !n.entries.isEmpty();
        boolean hasContribs = n.contributions != null && !n.contributions.isEmpty();
        w.writeByte(n.assignKind | (hasMap ? 4 : 0) | (hasEntries ? 8 : 0) | (hasContribs ? 16 : 0));
        if (n.assignKind != Node.NONE) {
            w.writeVarInt(index.indexOf(n.assignStamp));
            if (n.assignKind == Node.REGISTER || n.assignKind == Node.COUNTER) {
                ValueCodec.write(w, Objects.requireNonNull(n.assignValue), depth);
            }
        }
        if (hasMap) w.writeVarInt(index.indexOf(n.mapStamp));
        if (hasEntries && n.entries != null) {
            checkDepth(depth + 1);
            w.writeVarInt(n.entries.size());
            for (Map.Entry<String, Node> e : n.entries.entrySet()) {
                ValueCodec.writeString(w, e.getKey());
                writeNode(w, e.getValue(), index, depth + 1);
            }
        }
        if (hasContribs && n.contributions != null) {
            w.writeVarInt(n.contributions.size());
            for (Node.Contribution c : n.contributions.values()) {
                w.writeVarInt(index.indexOf(c.basis()))
                        .writeVarInt(index.indexOf(c.series()))
                        .writeVarInt(index.indexOf(c.stamp()));
                ValueCodec.write(w, c.sum(), depth);
            }
        }
    }

    /**
     * Decodes and normalises a state. Safe on untrusted bytes.
     *
     * @throws CodecException if the bytes are not a valid state
     */
    public static DocumentState decode(byte[] bytes) {
        BinaryReader r = new BinaryReader(bytes);
        Stamp[] stamps = readStamps(r);
        Node root = readNode(r, stamps, 0);
        if (r.hasRemaining()) throw new CodecException("trailing bytes after document state");
        root.normalize(Stamp.NONE);
        return new DocumentState(root);
    }

    /** The version byte and the stamp table. */
    private static Stamp[] readStamps(BinaryReader r) {
        int version = r.readByte();
        if (version != FORMAT_VERSION) throw new CodecException("unknown document state version " + version);
        int count = r.readLength(r.remaining() / 9);
        Stamp[] stamps = new Stamp[count];
        long hlc = 0;
        for (int i = 0; i < count; i++) {
            long delta = r.readVarLong();
            hlc += delta;
            if (delta < 0 || hlc < 0) throw new CodecException("stamp table out of range");
            stamps[i] = new Stamp(hlc, r.readFixedLong());
            if (i > 0 && !stamps[i].after(stamps[i - 1])) throw new CodecException("stamp table not sorted");
        }
        return stamps;
    }

    // ---- reading the visible document without building the tree ------------------------------------------------

    /**
     * The visible document of an encoded state with {@code _id} first — what {@code decode(bytes).document(id)}
     * gives — keeping only the top-level fields named in {@code fields} (every field when null); null when the
     * document does not exist. It reads the bytes once without building the CRDT tree and skips the values of the
     * fields it leaves out: the cheap path of scans, which read many states and keep few documents.
     * {@code DocumentStateReadTest} checks it against the full decode on random write histories.
     *
     * <p>Safe on untrusted bytes. The states this codec writes are in normal form, which is what lets a node's
     * visible value be computed in one pass; bytes that are valid but not normal (never written by this codec) take
     * the full decode instead.
     *
     * @throws CodecException if the bytes are not a valid state
     */
    public static Value.@Nullable Obj readDocument(byte[] bytes, Value id, @Nullable Set<String> fields) {
        return readDocument(bytes, id, fields == null ? null : FieldSet.of(fields));
    }

    /**
     * Top-level field names prepared for {@link #readDocument(byte[], Value, FieldSet)}: a reader compares each
     * stored key's bytes with theirs and decodes only the keys that match. Immutable; make one per scan.
     */
    public static final class FieldSet {
        final Set<String> names;
        final String[] ordered;
        final byte[][] utf8;

        private FieldSet(Set<String> names) {
            this.names = Set.copyOf(names);
            this.ordered = this.names.stream().filter(n -> !n.equals(ID)).toArray(String[]::new);
            this.utf8 = new byte[ordered.length][];
            for (int i = 0; i < ordered.length; i++)
                utf8[i] = ordered[i].getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }

        public static FieldSet of(Set<String> names) {
            return new FieldSet(names);
        }

        /** How many fields {@link #readFields} reads: the names given, {@code _id} left out. */
        public int size() {
            return ordered.length;
        }

        /** The name of the field {@link #readFields} puts at {@code index}. */
        public String name(int index) {
            return ordered[index];
        }
    }

    /**
     * The visible values of the top-level fields in {@code fields} of an encoded state, put in {@code into} at the
     * fields' indexes ({@link FieldSet#name}; {@link Value#MISSING} for a field the document lacks), building no
     * document: the cheap test of a scan's filter, which most rows fail. The values are what {@link
     * #readDocument(byte[], Value, FieldSet)} gives for the same fields. Safe on untrusted bytes.
     *
     * @return false when the document does not exist ({@code into} then holds nothing of use)
     * @throws CodecException if the bytes are not a valid state
     */
    public static boolean readFields(byte[] bytes, FieldSet fields, Value[] into) {
        if (into.length < fields.ordered.length) throw new IllegalArgumentException("into is shorter than fields");
        Arrays.fill(into, 0, fields.ordered.length, Value.MISSING);
        try {
            BinaryReader r = new BinaryReader(bytes);
            Stamp[] stamps = readStamps(r);
            Value root = visibleNode(r, stamps, 0, Stamp.NONE, Value.NULL, fields, into);
            if (r.hasRemaining()) throw new CodecException("trailing bytes after document state");
            return root == Value.TRUE;
        } catch (NotNormal e) {
            Value.Obj doc = decode(bytes).fields();
            if (doc == null) return false;
            for (int i = 0; i < fields.ordered.length; i++) into[i] = doc.get(fields.ordered[i]);
            return true;
        }
    }

    /** {@link #readDocument(byte[], Value, Set)} with the field names prepared once for many documents. */
    public static Value.@Nullable Obj readDocument(byte[] bytes, Value id, @Nullable FieldSet fields) {
        try {
            BinaryReader r = new BinaryReader(bytes);
            Stamp[] stamps = readStamps(r);
            Value root = visibleNode(r, stamps, 0, Stamp.NONE, id, fields, null);
            if (r.hasRemaining()) throw new CodecException("trailing bytes after document state");
            return root instanceof Value.Obj doc ? doc : null;
        } catch (NotNormal e) {
            Value.Obj doc = decode(bytes).document(id);
            if (doc == null || fields == null) return doc;
            LinkedHashMap<String, Value> kept = new LinkedHashMap<>();
            for (Map.Entry<String, Value> f : doc.fields().entrySet()) {
                if (f.getKey().equals(ID) || fields.names.contains(f.getKey())) kept.put(f.getKey(), f.getValue());
            }
            return Value.Obj.ofOwned(kept);
        }
    }

    /** Valid bytes that are not in normal form: {@link #readDocument} decodes them fully instead. */
    private static final class NotNormal extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotNormal() {
            super("not in normal form", null, false, false);
        }
    }

    /**
     * One node's visible value ({@link Node#visible}) read straight from the bytes. At the root ({@code id} not
     * null) the value is the document with {@code _id} first, and entries not in {@code only} are skipped. With
     * {@code into} (at the root, with {@code only}) the values of the fields in {@code only} go there instead, no
     * document is built, and the root's value is {@link Value#TRUE} when the document exists.
     */
    private static Value visibleNode(
            BinaryReader r,
            Stamp[] stamps,
            int depth,
            Stamp parentClear,
            @Nullable Value id,
            @Nullable FieldSet only,
            Value @Nullable [] into) {
        if (depth > ValueCodec.MAX_DEPTH)
            throw new CodecException("document nested deeper than " + ValueCodec.MAX_DEPTH);
        int flags = r.readByte();
        if ((flags & ~31) != 0) throw new CodecException("bad node flags " + flags);
        int kind = flags & 3;
        Stamp assignStamp = Stamp.NONE;
        Value assigned = null;
        if (kind != Node.NONE) {
            assignStamp = stamp(r, stamps);
            if (!assignStamp.after(parentClear)) throw new NotNormal();
            if (kind == Node.REGISTER || kind == Node.COUNTER) {
                assigned = ValueCodec.read(r, depth);
                if (kind == Node.COUNTER && !assigned.isNumber())
                    throw new CodecException("counter base is not a number");
            }
        }
        Stamp clear = Stamp.max(parentClear, assignStamp);
        Stamp mapStamp = Stamp.NONE;
        if ((flags & 4) != 0) {
            mapStamp = stamp(r, stamps);
            if (!mapStamp.after(clear)) throw new NotNormal();
        }
        boolean isMap = !mapStamp.isNone() && mapStamp.after(assignStamp);
        LinkedHashMap<String, Value> fields = null;
        if (isMap && into == null) {
            fields = new LinkedHashMap<>(depth == 0 && only != null ? 2 * only.ordered.length + 2 : 16);
            if (depth == 0 && id != null) fields.put(ID, id);
        }
        if ((flags & 8) != 0) {
            checkDepth(depth + 1);
            int size = r.readLength(r.remaining());
            String prev = null;
            for (int i = 0; i < size; i++) {
                if (depth == 0 && only != null) {
                    // match the key's bytes: no string for the keys left out (their order is not checked)
                    int wanted = r.readRunMatching(only.utf8);
                    if (wanted < 0) {
                        skipNode(r, stamps, depth + 1);
                    } else {
                        Value v = visibleNode(r, stamps, depth + 1, clear, null, null, null);
                        if (into != null) into[wanted] = v;
                        else if (fields != null && !v.isMissing()) fields.put(only.ordered[wanted], v);
                    }
                    continue;
                }
                String key = r.readString();
                if (prev != null && prev.compareTo(key) >= 0) throw new CodecException("entries not sorted");
                prev = key;
                if (depth == 0 && key.equals(ID)) {
                    skipNode(r, stamps, depth + 1);
                } else {
                    Value v = visibleNode(r, stamps, depth + 1, clear, null, null, null);
                    if (fields != null && !v.isMissing()) fields.put(key, v);
                }
            }
        }
        boolean hasContributions = false;
        Node.Sum total = new Node.Sum(assigned != null && assigned.isNumber() ? assigned : new Value.Int(0));
        if ((flags & 16) != 0) {
            int size = r.readLength(r.remaining());
            Stamp prevSeries = null;
            for (int i = 0; i < size; i++) {
                Node.Contribution c = readContribution(r, stamps, depth, prevSeries);
                prevSeries = c.series();
                if (c.basis().compareTo(clear) < 0) throw new NotNormal();
                hasContributions = true;
                if (c.basis().equals(clear)) total.add(c.sum());
            }
        }
        if (into != null) return isMap ? Value.TRUE : Value.MISSING;
        if (fields != null) return Value.Obj.ofOwned(fields);
        // as Node.visible: a register, or a counter (its base or 0, plus the series that counted toward it)
        if (assigned != null && kind == Node.REGISTER && (!hasContributions || !assigned.isNumber())) return assigned;
        if (assigned != null || hasContributions) return total.value();
        return Value.MISSING;
    }

    /** Reads past one node, checking its structure but building nothing. */
    private static void skipNode(BinaryReader r, Stamp[] stamps, int depth) {
        if (depth > ValueCodec.MAX_DEPTH)
            throw new CodecException("document nested deeper than " + ValueCodec.MAX_DEPTH);
        int flags = r.readByte();
        if ((flags & ~31) != 0) throw new CodecException("bad node flags " + flags);
        int kind = flags & 3;
        if (kind != Node.NONE) {
            stamp(r, stamps);
            if (kind == Node.REGISTER || kind == Node.COUNTER) ValueCodec.skip(r, depth);
        }
        if ((flags & 4) != 0) stamp(r, stamps);
        if ((flags & 8) != 0) {
            checkDepth(depth + 1);
            int size = r.readLength(r.remaining());
            for (int i = 0; i < size; i++) {
                r.skipRun();
                skipNode(r, stamps, depth + 1);
            }
        }
        if ((flags & 16) != 0) {
            int size = r.readLength(r.remaining());
            for (int i = 0; i < size; i++) {
                stamp(r, stamps);
                stamp(r, stamps);
                stamp(r, stamps);
                ValueCodec.skip(r, depth);
            }
        }
    }

    private static Node readNode(BinaryReader r, Stamp[] stamps, int depth) {
        if (depth > ValueCodec.MAX_DEPTH)
            throw new CodecException("document nested deeper than " + ValueCodec.MAX_DEPTH);
        int flags = r.readByte();
        if ((flags & ~31) != 0) throw new CodecException("bad node flags " + flags);
        Node n = new Node();
        n.assignKind = flags & 3;
        if (n.assignKind != Node.NONE) {
            n.assignStamp = stamp(r, stamps);
            if (n.assignKind == Node.REGISTER) {
                n.assignValue = ValueCodec.read(r, depth);
            } else if (n.assignKind == Node.COUNTER) {
                n.assignValue = ValueCodec.read(r, depth);
                if (!n.assignValue.isNumber()) throw new CodecException("counter base is not a number");
            }
        }
        if ((flags & 4) != 0) n.mapStamp = stamp(r, stamps);
        if ((flags & 8) != 0) {
            checkDepth(depth + 1);
            int size = r.readLength(r.remaining());
            n.entries = new TreeMap<>();
            String prev = null;
            for (int i = 0; i < size; i++) {
                String key = r.readString();
                if (prev != null && prev.compareTo(key) >= 0) throw new CodecException("entries not sorted");
                prev = key;
                n.entries.put(key, readNode(r, stamps, depth + 1));
            }
        }
        if ((flags & 16) != 0) {
            int size = r.readLength(r.remaining());
            Stamp prevSeries = null;
            for (int i = 0; i < size; i++) {
                Node.Contribution c = readContribution(r, stamps, depth, prevSeries);
                prevSeries = c.series();
                n.contributionsForWrite().put(c.series(), c);
            }
        }
        return n;
    }

    /**
     * One counter contribution, checked: its sum a number, its series after {@code prevSeries} (contributions are
     * sorted by series) and consistent with its stamp (same site, not earlier).
     */
    private static Node.Contribution readContribution(
            BinaryReader r, Stamp[] stamps, int depth, @Nullable Stamp prevSeries) {
        Stamp basis = stamp(r, stamps), series = stamp(r, stamps), at = stamp(r, stamps);
        Value sum = ValueCodec.read(r, depth);
        if (!sum.isNumber()) throw new CodecException("counter contribution is not a number");
        if (prevSeries != null && !series.after(prevSeries)) {
            throw new CodecException("contributions not sorted by series");
        }
        if (series.site() != at.site() || at.compareTo(series) < 0) {
            throw new CodecException("a counter series is inconsistent");
        }
        return new Node.Contribution(basis, series, at, sum);
    }

    private static Stamp stamp(BinaryReader r, Stamp[] stamps) {
        int i = r.readLength(Integer.MAX_VALUE);
        if (i >= stamps.length) throw new CodecException("stamp index " + i + " out of range");
        return stamps[i];
    }

    // ---- identity ---------------------------------------------------------------------------------------------

    /** Equal states are structurally equal (and encode identically). */
    @Override
    public boolean equals(Object o) {
        if (o == this) return true;
        if (!(o instanceof DocumentState d)) return false;
        encodedSize();
        d.encodedSize();
        return Arrays.equals(encoded, d.encoded);
    }

    @Override
    public int hashCode() {
        encodedSize();
        return Arrays.hashCode(encoded);
    }

    /** A readable dump of the tree, for test failures. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        dump(sb, "<root>", root, 0);
        return sb.toString();
    }

    private static void dump(StringBuilder sb, String key, Node n, int depth) {
        sb.append("  ".repeat(depth)).append(key).append(':');
        if (n.assignKind != Node.NONE) {
            sb.append(" ")
                    .append(new String[] {"", "register", "removed", "counter"}[n.assignKind])
                    .append('@')
                    .append(n.assignStamp);
            if (n.assignValue != null) sb.append('=').append(n.assignValue);
        }
        if (!n.mapStamp.isNone()) sb.append(" map@").append(n.mapStamp);
        if (n.contributions != null) sb.append(" contributions=").append(n.contributions.values());
        sb.append('\n');
        if (n.entries != null)
            for (Map.Entry<String, Node> e : n.entries.entrySet()) dump(sb, e.getKey(), e.getValue(), depth + 1);
    }
}
