package io.starling.internal.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.core.BinaryWriter;
import io.starling.internal.core.CodecException;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import io.starling.internal.core.ValueCodec;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The state codec of docs/DATA-MODEL.md on hand-made bytes: each malformation a peer could send is refused with
 * its own message, and what decodes is brought into normal form.
 */
class DocumentStateCodecTest {
    static final long A = 0xA;

    /** A state's bytes: the version, then a stamp table of (hlc delta, site) pairs, then whatever follows. */
    static BinaryWriter state(long... deltaSitePairs) {
        BinaryWriter w = new BinaryWriter().writeByte(1).writeVarInt(deltaSitePairs.length / 2);
        for (int i = 0; i < deltaSitePairs.length; i += 2) {
            w.writeVarLong(deltaSitePairs[i]).writeFixedLong(deltaSitePairs[i + 1]);
        }
        return w;
    }

    /** Flags of a node (docs/DATA-MODEL.md): assignment kind in bits 0-1, then map, entries, contributions. */
    static final int REGISTER = 1, REMOVED = 2, COUNTER = 3, MAP = 4, ENTRIES = 8, CONTRIBUTIONS = 16;

    static void refused(BinaryWriter w, String message) {
        byte[] bytes = w.toByteArray();
        assertThatThrownBy(() -> DocumentState.decode(bytes))
                .isInstanceOf(CodecException.class)
                .hasMessageContaining(message);
    }

    @Test
    void aWellFormedStateDecodesAndEncodesBackToTheSameBytes() {
        // one stamp; the root is an object since it, with a = 1
        BinaryWriter w = state(1, A).writeByte(MAP | ENTRIES).writeVarInt(0).writeVarInt(1);
        ValueCodec.writeString(w, "a");
        w.writeByte(REGISTER).writeVarInt(0);
        ValueCodec.write(w, Value.of(1));
        DocumentState s = DocumentState.decode(w.toByteArray());
        assertThat(s.fields()).isEqualTo(new Value.Obj(Map.of("a", Value.of(1))));
        assertThat(s.encode()).isEqualTo(w.toByteArray());
    }

    @Test
    void anUnknownVersionIsRefused() {
        refused(new BinaryWriter().writeByte(2).writeVarInt(0), "unknown document state version 2");
    }

    @Test
    void aStampTableLongerThanTheBytesIsRefusedBeforeAnythingIsAllocated() {
        // a stamp takes at least 9 bytes: 1 announced, 8 bytes left (the count's included); 1,000 announced, 10 left
        refused(new BinaryWriter().writeByte(1).writeVarInt(1).writeRaw(new byte[7]), "length 1 out of range (max 0)");
        BinaryWriter w = new BinaryWriter()
                .writeByte(1)
                .writeVarInt(1000)
                .writeVarLong(1)
                .writeFixedLong(A);
        refused(w, "length 1000 out of range (max 1)");
    }

    @Test
    void stampsOutOfRangeAreRefused() {
        refused(state(5, A, -1, A).writeByte(0), "stamp table out of range"); // a negative delta
        refused(state(Long.MAX_VALUE, A, 1, A).writeByte(0), "stamp table out of range"); // the HLC overflows
    }

    @Test
    void theStampTableMustBeSortedBySiteAsAnUnsignedNumber() {
        // (1, 2^64 - 1) then (1, 1): descending, since site ids are unsigned
        refused(state(1, -1, 0, 1).writeByte(0), "stamp table not sorted");
        refused(state(1, A, 0, A).writeByte(0), "stamp table not sorted"); // a duplicate
        // (1, 1) then (1, 2^64 - 1): ascending. The second stamp's register wins over the first's
        BinaryWriter w =
                state(1, 1, 0, -1).writeByte(MAP | ENTRIES).writeVarInt(0).writeVarInt(1);
        ValueCodec.writeString(w, "a");
        w.writeByte(REGISTER).writeVarInt(1);
        ValueCodec.write(w, Value.of("x"));
        DocumentState s = DocumentState.decode(w.toByteArray());
        assertThat(s.maxStamp()).isEqualTo(new Stamp(1, -1));
        assertThat(s.fields().get("a")).isEqualTo(Value.of("x"));
    }

    @Test
    void trailingBytesAreRefused() {
        byte[] good =
                DocumentState.empty().insert(Value.Obj.EMPTY, new Stamp(1, A)).encode();
        BinaryWriter w = new BinaryWriter().writeRaw(good).writeByte(0);
        refused(w, "trailing bytes after document state");
    }

    @Test
    void unknownNodeFlagsAreRefused() {
        refused(state(1, A).writeByte(32), "bad node flags 32");
    }

    @Test
    void aCounterBaseMustBeANumber() {
        BinaryWriter w = state(1, A).writeByte(COUNTER).writeVarInt(0);
        ValueCodec.write(w, Value.of("seven"));
        refused(w, "counter base is not a number");
    }

    @Test
    void entriesMustBeSortedAndDistinct() {
        for (String[] keys : new String[][] {{"b", "a"}, {"a", "a"}}) {
            BinaryWriter w = state(1, A).writeByte(MAP | ENTRIES).writeVarInt(0).writeVarInt(2);
            for (String k : keys) {
                ValueCodec.writeString(w, k);
                w.writeByte(REMOVED).writeVarInt(0);
            }
            refused(w, "entries not sorted");
        }
    }

    /**
     * A root object since stamp 1 with a field n holding the given contributions, (basis, series, stamp, sum)*, over
     * the stamps 0 = none (the basis of a counter nobody assigned), 1 = (1, A), 2 = (2, A), 3 = (3, B).
     */
    static BinaryWriter counter(Object... contributions) {
        BinaryWriter w = state(0, 0, 1, A, 1, A, 1, B)
                .writeByte(MAP | ENTRIES)
                .writeVarInt(1)
                .writeVarInt(1);
        ValueCodec.writeString(w, "n");
        w.writeByte(CONTRIBUTIONS).writeVarInt(contributions.length / 4);
        for (int i = 0; i < contributions.length; i += 4) {
            w.writeVarInt((Integer) contributions[i])
                    .writeVarInt((Integer) contributions[i + 1])
                    .writeVarInt((Integer) contributions[i + 2]);
            ValueCodec.write(w, (Value) contributions[i + 3]);
        }
        return w;
    }

    static final long B = 0xB;

    @Test
    void counterContributionsAreChecked() {
        DocumentState ok = DocumentState.decode(
                counter(0, 1, 2, Value.of(4), 0, 3, 3, Value.of(1)).toByteArray());
        assertThat(ok.fields().get("n")).isEqualTo(Value.of(5));
        refused(counter(0, 1, 2, Value.of("4")), "counter contribution is not a number");
        refused(counter(0, 3, 3, Value.of(1), 0, 1, 2, Value.of(4)), "contributions not sorted by series");
        refused(counter(0, 1, 1, Value.of(1), 0, 1, 2, Value.of(2)), "contributions not sorted by series");
        refused(counter(0, 1, 3, Value.of(1)), "a counter series is inconsistent"); // two sites
        refused(counter(0, 2, 1, Value.of(1)), "a counter series is inconsistent"); // latest before first
    }

    @Test
    void aRegisterThatIsNotANumberShowsItselfWhateverCountsTowardIt() {
        // corrupt input: increments counted toward a string (no replica writes that: it refuses such increments)
        BinaryWriter w =
                state(0, 0, 1, A).writeByte(MAP | ENTRIES).writeVarInt(1).writeVarInt(1);
        ValueCodec.writeString(w, "n");
        w.writeByte(REGISTER | CONTRIBUTIONS).writeVarInt(1);
        ValueCodec.write(w, Value.of("seven"));
        w.writeVarInt(1).writeVarInt(1).writeVarInt(1).writeVarInt(1);
        ValueCodec.write(w, Value.of(3));
        assertThat(DocumentState.decode(w.toByteArray()).fields().get("n")).isEqualTo(Value.of("seven"));
    }

    @Test
    void aStampIndexOutOfTheTableIsRefused() {
        refused(state(1, A).writeByte(REMOVED).writeVarInt(1), "stamp index 1 out of range");
    }

    @Test
    void statesNestedBeyondTheLimitAreRefusedWithTheLimitNamed() {
        int max = io.starling.internal.core.Limits.MAX_DEPTH;
        BinaryWriter w = state(1, A);
        for (int level = 0; level < max + 1; level++) {
            w.writeByte(MAP | ENTRIES).writeVarInt(0).writeVarInt(1).writeString("a");
        }
        w.writeByte(REGISTER).writeVarInt(0).writeByte(0);
        refused(w, "document nested deeper than " + max + " levels");
        // one level less is the limit itself: it decodes
        BinaryWriter ok = state(1, A);
        for (int level = 0; level < max; level++) {
            ok.writeByte(MAP | ENTRIES).writeVarInt(0).writeVarInt(1).writeString("a");
        }
        ok.writeByte(REGISTER).writeVarInt(0).writeByte(0);
        assertThat(DocumentState.decode(ok.toByteArray()).exists()).isTrue();
    }

    @Test
    void whatDecodesIsBroughtIntoNormalForm() {
        // a root removed at (2, A), an object since (1, A) holding a = 1 written at (1, A): all of it before the delete
        BinaryWriter w = state(1, A, 1, A)
                .writeByte(REMOVED | MAP | ENTRIES)
                .writeVarInt(1)
                .writeVarInt(0);
        w.writeVarInt(1);
        ValueCodec.writeString(w, "a");
        w.writeByte(REGISTER).writeVarInt(0);
        ValueCodec.write(w, Value.of(1));
        DocumentState s = DocumentState.decode(w.toByteArray());
        assertThat(s.isTombstone()).isTrue();
        assertThat(s.encode())
                .isEqualTo(DocumentState.empty().delete(new Stamp(2, A)).encode());
    }
}
