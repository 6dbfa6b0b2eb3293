package io.starling.internal.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.core.CodecException;
import io.starling.internal.core.Path;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Worked examples of the merge rules of docs/DATA-MODEL.md, one rule per test. */
class DocumentStateTest {
    static final long A = 0xA, B = 0xB;

    static Stamp at(long t, long site) {
        return new Stamp(t, site);
    }

    static Value.Obj obj(Object... kv) {
        java.util.LinkedHashMap<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return (Value.Obj) Value.fromJava(m);
    }

    static FieldOp set(String path, Object v) {
        return new FieldOp.Set(parse(path), Value.fromJava(v));
    }

    static Path parse(String dotted) {
        java.util.List<Path.Segment> segs = new java.util.ArrayList<>();
        for (String part : dotted.split("\\.")) {
            int b = part.indexOf('[');
            segs.add(new Path.Key(b < 0 ? part : part.substring(0, b)));
            while (b >= 0) {
                int e = part.indexOf(']', b);
                segs.add(new Path.Index(Integer.parseInt(part.substring(b + 1, e))));
                b = part.indexOf('[', e);
            }
        }
        return new Path(segs);
    }

    static DocumentState doc(Object... kv) {
        return DocumentState.empty().insert(obj(kv), at(1, A));
    }

    @Test
    void insertedDocumentIsVisibleWithItsId() {
        DocumentState s = doc("make", "Ford", "year", 2020);
        assertThat(s.exists()).isTrue();
        assertThat(s.document(Value.of("car1")).toJava())
                .isEqualTo(Map.of("_id", "car1", "make", "Ford", "year", 2020L));
    }

    @Test
    void aDocumentWithNoFieldsIsItsIdAlone() {
        DocumentState s = DocumentState.empty().insert(Value.Obj.EMPTY, at(1, A));
        assertThat(s.exists()).isTrue();
        assertThat(s.document(Value.of(7)).toJava()).isEqualTo(Map.of("_id", 7L));
    }

    @Test
    void registerIsLastWriterWinsBySiteOnTies() {
        // at one HLC the greater site wins, sites read as unsigned numbers: -2 is 2^64 - 2, above 2^63 - 1
        // (the signed order would say the opposite); and the winning value sorts first, so no order of values
        // could pass for the site order
        long low = Long.MAX_VALUE, high = -2;
        DocumentState base = doc("color", "red");
        DocumentState a = base.update(List.of(set("color", "zebra")), at(5, low));
        DocumentState b = base.update(List.of(set("color", "apple")), at(5, high));
        assertThat(a.merge(b).fields().get("color")).isEqualTo(Value.of("apple"));
        assertThat(b.merge(a).fields().get("color")).isEqualTo(Value.of("apple"));
        assertThat(b.merge(a)).isEqualTo(a.merge(b));
        // a later HLC wins whatever the sites
        DocumentState later = base.update(List.of(set("color", "black")), at(6, low));
        assertThat(later.merge(b).fields().get("color")).isEqualTo(Value.of("black"));
        assertThat(b.merge(later).fields().get("color")).isEqualTo(Value.of("black"));
    }

    @Test
    void aDeleteAndAnInsertAtOneHlcGoToTheGreaterSite() {
        long low = 1, high = Long.MIN_VALUE; // 2^63
        DocumentState base = doc("a", 1);
        DocumentState deleted = base.delete(at(5, high));
        DocumentState inserted = base.insert(obj("b", 2), at(5, low));
        assertThat(deleted.merge(inserted).exists()).isFalse();
        assertThat(inserted.merge(deleted).exists()).isFalse();
        DocumentState insertedByHigh = base.insert(obj("b", 2), at(5, high));
        DocumentState deletedByLow = base.delete(at(5, low));
        // the insert wins; the document shows only what was written after the delete it beat
        assertThat(deletedByLow.merge(insertedByHigh).fields().toJava()).isEqualTo(Map.of("b", 2L));
        assertThat(insertedByHigh.merge(deletedByLow)).isEqualTo(deletedByLow.merge(insertedByHigh));
    }

    @Test
    void incrementsOfTwoSitesAtOneHlcBothCount() {
        DocumentState base = doc("n", 10);
        DocumentState a = base.update(List.of(inc("n", 1)), at(5, Long.MAX_VALUE));
        DocumentState b = base.update(List.of(inc("n", 2.5)), at(5, Long.MIN_VALUE));
        assertThat(a.merge(b).fields().get("n")).isEqualTo(Value.of(13.5));
        assertThat(b.merge(a)).isEqualTo(a.merge(b));
        assertThat(DocumentState.decode(a.merge(b).encode()).fields().get("n")).isEqualTo(Value.of(13.5));
    }

    @Test
    void concurrentInsertsMergeFieldByFieldRecursively() {
        DocumentState a = DocumentState.empty().insert(obj("name", "Ann", "address", Map.of("city", "Oslo")), at(3, A));
        DocumentState b = DocumentState.empty().insert(obj("age", 40, "address", Map.of("zip", "0150")), at(4, B));
        DocumentState m = a.merge(b);
        assertThat(m.fields().toJava())
                .isEqualTo(Map.of("name", "Ann", "age", 40L, "address", Map.of("city", "Oslo", "zip", "0150")));
        assertThat(m).isEqualTo(b.merge(a));
    }

    @Test
    void setObjectMergesIntoExistingObject() {
        DocumentState s = doc("address", Map.of("city", "Oslo", "zip", "0150"))
                .update(List.of(set("address", Map.of("city", "Bergen"))), at(2, A));
        assertThat(s.fields().get("address").toJava()).isEqualTo(Map.of("city", "Bergen", "zip", "0150"));
    }

    @Test
    void unsetRemovesAndWinsOverAnOlderConcurrentSet() {
        DocumentState base = doc("a", 1, "b", 2);
        DocumentState unset = base.update(List.of(new FieldOp.Unset(Path.of("a"))), at(5, A));
        DocumentState olderSet = base.update(List.of(set("a", 9)), at(4, B));
        assertThat(unset.fields().toJava()).isEqualTo(Map.of("b", 2L));
        assertThat(unset.merge(olderSet).fields().toJava()).isEqualTo(Map.of("b", 2L));
        DocumentState newerSet = base.update(List.of(set("a", 9)), at(6, B));
        assertThat(unset.merge(newerSet).fields().toJava()).isEqualTo(Map.of("a", 9L, "b", 2L));
    }

    @Test
    void nestedSetCreatesObjectsAndReplacesScalars() {
        DocumentState s = doc("a", 5).update(List.of(set("a.b.c", 1)), at(2, A));
        assertThat(s.fields().toJava()).isEqualTo(Map.of("a", Map.of("b", Map.of("c", 1L))));
    }

    @Test
    void writesIntoAnObjectReplacedLaterAreGone() {
        DocumentState base = doc("a", Map.of("x", 1));
        DocumentState nested = base.update(List.of(set("a.y", 2)), at(4, A));
        DocumentState replaced = base.update(List.of(set("a", "scalar")), at(5, B));
        assertThat(nested.merge(replaced).fields().get("a")).isEqualTo(Value.of("scalar"));
        // ...but a nested write after the replacement makes it an object again, holding only newer fields
        DocumentState again = nested.merge(replaced).update(List.of(set("a.z", 3)), at(6, A));
        assertThat(again.fields().get("a").toJava()).isEqualTo(Map.of("z", 3L));
    }

    @Test
    void emptyObjectRoundTrips() {
        DocumentState s = doc("tags", Map.of());
        assertThat(s.fields().toJava()).isEqualTo(Map.of("tags", Map.of()));
        assertThat(DocumentState.decode(s.encode()).fields().toJava()).isEqualTo(Map.of("tags", Map.of()));
    }

    @Test
    void concurrentIncrementsAddUp() {
        DocumentState base = doc("n", "x");
        DocumentState a = base.update(List.of(inc("likes", 1)), at(2, A)).update(List.of(inc("likes", 2)), at(3, A));
        DocumentState b = base.update(List.of(inc("likes", 10)), at(4, B));
        assertThat(a.fields().get("likes")).isEqualTo(Value.of(3));
        assertThat(a.merge(b).fields().get("likes")).isEqualTo(Value.of(13));
        assertThat(a.merge(b).merge(a).merge(b)).isEqualTo(a.merge(b));
    }

    @Test
    void restartDiscardsIncrementsItDidNotSee() {
        DocumentState base = doc("n", "x").update(List.of(inc("c", 5)), at(2, A));
        DocumentState restarted = base.update(List.of(new FieldOp.Restart(Path.of("c"), Value.of(100))), at(4, A));
        DocumentState concurrentInc = base.update(List.of(inc("c", 1)), at(5, B));
        DocumentState m = restarted.merge(concurrentInc);
        assertThat(m.fields().get("c")).isEqualTo(Value.of(100));
        DocumentState after = m.update(List.of(inc("c", 1)), at(6, B));
        assertThat(after.fields().get("c")).isEqualTo(Value.of(101));
    }

    @Test
    void incrementOfANumberRegisterStartsACounterFromIt() {
        DocumentState s = doc("c", 7).update(List.of(inc("c", 3)), at(2, A));
        assertThat(s.fields().get("c")).isEqualTo(Value.of(10));
        assertThatThrownBy(() -> doc("c", "seven").update(List.of(inc("c", 3)), at(2, A)))
                .isInstanceOf(DocumentException.class)
                .hasMessageContaining("cannot INCREMENT c: it holds a string");
        assertThatThrownBy(() -> doc("c", List.of(7)).update(List.of(inc("c", 3)), at(2, A)))
                .isInstanceOf(DocumentException.class)
                .hasMessage("cannot INCREMENT c: it holds an array");
        assertThatThrownBy(() -> doc("c", Map.of()).update(List.of(inc("c", 3)), at(2, A)))
                .isInstanceOf(DocumentException.class)
                .hasMessage("cannot INCREMENT c: it holds an object");
        assertThatThrownBy(() -> doc("c", true).update(List.of(inc("c", 3)), at(2, A)))
                .isInstanceOf(DocumentException.class)
                .hasMessage("cannot INCREMENT c: it holds a boolean");
    }

    @Test
    void integerCountersThatLeave64BitsBecomeFloats() {
        DocumentState up = doc("n", Long.MAX_VALUE).update(List.of(inc("n", Long.MAX_VALUE)), at(2, A));
        assertThat(up.fields().get("n")).isEqualTo(Value.of(2.0 * Long.MAX_VALUE));
        DocumentState down = doc("n", Long.MIN_VALUE).update(List.of(inc("n", -1)), at(2, A));
        assertThat(down.fields().get("n")).isEqualTo(Value.of((double) Long.MIN_VALUE - 1));
        DocumentState inRange = doc("n", Long.MAX_VALUE).update(List.of(inc("n", -1)), at(2, A));
        assertThat(inRange.fields().get("n")).isEqualTo(Value.of(Long.MAX_VALUE - 1));
    }

    @Test
    void concurrentFirstIncrementsOfAPlainNumberAddUp() {
        DocumentState base = doc("n", 0);
        DocumentState a = base.update(List.of(inc("n", 5)), at(2, A));
        DocumentState b = base.update(List.of(inc("n", 10)), at(3, B));
        assertThat(a.merge(b).fields().get("n")).isEqualTo(Value.of(15));
        assertThat(b.merge(a)).isEqualTo(a.merge(b));
        // each site goes on counting on top of the number
        DocumentState more = a.merge(b).update(List.of(inc("n", 1)), at(4, A));
        assertThat(more.fields().get("n")).isEqualTo(Value.of(16));
        assertThat(DocumentState.decode(more.encode()).fields().get("n")).isEqualTo(Value.of(16));
    }

    @Test
    void aLaterAssignmentOfTheNumberClearsTheIncrementsThatCountedOnIt() {
        DocumentState base = doc("n", 0);
        DocumentState counted = base.update(List.of(inc("n", 5)), at(2, A));
        DocumentState reset = base.update(List.of(set("n", 100)), at(3, B));
        assertThat(counted.merge(reset).fields().get("n")).isEqualTo(Value.of(100));
        // an increment that saw the new value counts on top of it
        DocumentState after = counted.merge(reset).update(List.of(inc("n", 1)), at(4, A));
        assertThat(after.merge(counted).fields().get("n")).isEqualTo(Value.of(101));
    }

    @Test
    void aLocalIncrementThatWouldOverflowIsRefused() {
        DocumentState s = doc("n", 1.0e308);
        assertThatThrownBy(() -> s.update(List.of(inc("n", 1.0e308)), at(2, A)))
                .isInstanceOf(DocumentException.class)
                .hasMessageContaining("overflow");
        DocumentState counter = doc().update(List.of(inc("c", 1.0e308)), at(2, A));
        assertThatThrownBy(() -> counter.update(List.of(inc("c", 1.0e308)), at(3, A)))
                .isInstanceOf(DocumentException.class)
                .hasMessageContaining("overflow");
        assertThatThrownBy(() -> s.update(List.of(inc("n", Double.POSITIVE_INFINITY)), at(2, A)))
                .isInstanceOf(DocumentException.class)
                .hasMessageContaining("finite");
        assertThatThrownBy(() -> s.update(List.of(new FieldOp.Restart(Path.of("n"), Value.of(Double.NaN))), at(2, A)))
                .isInstanceOf(DocumentException.class)
                .hasMessageContaining("finite");
    }

    @Test
    void concurrentIncrementsWhoseSumOverflowsSaturateAtTheLargestFloatEverywhere() {
        DocumentState base = doc("n", "x");
        DocumentState a = base.update(List.of(inc("c", 1.5e308)), at(2, A));
        DocumentState b = base.update(List.of(inc("c", 1.5e308)), at(3, B));
        DocumentState merged = a.merge(b);
        assertThat(merged.fields().get("c")).isEqualTo(Value.of(Double.MAX_VALUE));
        assertThat(DocumentState.decode(merged.encode()).fields().get("c")).isEqualTo(Value.of(Double.MAX_VALUE));
        DocumentState negative = base.update(List.of(inc("c", -1.5e308)), at(4, A))
                .merge(base.update(List.of(inc("c", -1.5e308)), at(5, B)));
        assertThat(negative.fields().get("c")).isEqualTo(Value.of(-Double.MAX_VALUE));
        // the total is the true sum, shown saturated: counting down shows again once the sum is in range
        DocumentState down = merged.update(List.of(inc("c", -1.0e308)), at(6, A));
        assertThat(down.fields().get("c")).isEqualTo(Value.of(Double.MAX_VALUE)); // 2e308, still out of range
        DocumentState inRange = down.update(List.of(inc("c", -1.0e308)), at(7, A));
        assertThat(((Value.Dbl) inRange.fields().get("c")).value())
                .isCloseTo(1.0e308, org.assertj.core.data.Percentage.withPercentage(1e-9));
    }

    @Test
    void documentsNestAtMostTheDepthLimitAndWhatIsWrittenDecodes() {
        int max = io.starling.internal.core.Limits.MAX_DEPTH;
        Value.Obj atLimit = new Value.Obj(Map.of("a", nested(max - 1))); // the root object is level 1
        DocumentState ok = DocumentState.empty().insert(atLimit, at(1, A));
        assertThat(DocumentState.decode(ok.encode()).fields()).isEqualTo(ok.fields());
        assertThat(DocumentState.encodeInserted(atLimit, at(1, A))).isEqualTo(ok.encode());

        Value.Obj tooDeep = new Value.Obj(Map.of("a", nested(max)));
        assertThatThrownBy(() -> DocumentState.empty().insert(tooDeep, at(1, A)).encode())
                .isInstanceOf(DocumentException.class)
                .hasMessageContaining("deeper than " + max);
        assertThatThrownBy(() -> DocumentState.encodeInserted(tooDeep, at(1, A)))
                .isInstanceOf(DocumentException.class)
                .hasMessageContaining("deeper than " + max);
        // arrays count as levels too, and a register's value counts on top of the objects around it
        Value arrays = new Value.Arr(List.of(nested(max - 2)));
        DocumentState viaSet = doc().update(List.of(new FieldOp.Set(Path.of("x"), arrays)), at(2, A));
        assertThat(DocumentState.decode(viaSet.encode()).fields()).isEqualTo(viaSet.fields());
        assertThatThrownBy(() -> doc().update(List.of(new FieldOp.Set(Path.of("x", "y"), arrays)), at(2, A))
                        .encode())
                .isInstanceOf(DocumentException.class);
    }

    @Test
    void stateBytesNestedBeyondTheLimitAreRefusedOnDecoding() {
        int max = io.starling.internal.core.Limits.MAX_DEPTH;
        // hand-made bytes: max + 1 levels of objects, one stamp, each node "map at stamp 0, with entries"
        io.starling.internal.core.BinaryWriter w = new io.starling.internal.core.BinaryWriter();
        w.writeByte(1).writeVarInt(1).writeVarLong(1).writeFixedLong(A);
        for (int level = 0; level < max + 1; level++)
            w.writeByte(4 | 8).writeVarInt(0).writeVarInt(1).writeString("a");
        w.writeByte(1).writeVarInt(0).writeByte(0); // a register holding null
        assertThatThrownBy(() -> DocumentState.decode(w.toByteArray()))
                .isInstanceOf(CodecException.class)
                .hasMessage("document nested deeper than " + max + " levels");
    }

    /** An object {@code {"a": {"a": … 1}}} that is {@code levels} deep. */
    static Value nested(int levels) {
        Value v = Value.of(1);
        for (int i = 0; i < levels; i++) v = new Value.Obj(Map.of("a", v));
        return v;
    }

    @Test
    void aSiteThatCannotVouchForItsSeriesStartsANewOneAndLosesNothing() {
        DocumentState base = doc("n", "x");
        DocumentState s1 = base.update(List.of(inc("c", 1)), at(2, A)); // reaches B
        DocumentState atB = s1;
        DocumentState s2 = s1.update(List.of(inc("c", 2)), at(3, A)); // only A has it
        // A evicts, then gets B's older copy back: continuing its series from there would lose the 2
        DocumentState forgetful = atB.update(List.of(inc("c", 1)), at(4, A));
        assertThat(s2.merge(forgetful).fields().get("c"))
                .as("continued from a stale copy")
                .isEqualTo(Value.of(2));
        // the engine's policy refuses to continue a series it did not write last: a new series starts
        DocumentState careful = atB.update(List.of(inc("c", 1)), at(4, A), (series, latest) -> false);
        assertThat(s2.merge(careful).fields().get("c")).isEqualTo(Value.of(4));
        assertThat(careful.seriesWrittenAt(at(4, A))).containsExactly(at(4, A));
        assertThat(s2.seriesWrittenAt(at(3, A))).containsExactly(at(2, A));
    }

    @Test
    void aSiteWithoutItsSeriesStartsANewOneInsteadOfReplacingTheOld() {
        DocumentState base = doc("n", "x");
        DocumentState s1 = base.update(List.of(inc("c", 5)), at(2, A));
        // A evicted everything (say, an older version without the series rule): it re-inserts and increments anew
        DocumentState again =
                DocumentState.empty().insert(obj("n", "x"), at(3, A)).update(List.of(inc("c", 1)), at(4, A));
        assertThat(s1.merge(again).fields().get("c")).isEqualTo(Value.of(6));
        assertThat(again.merge(s1)).isEqualTo(s1.merge(again));
    }

    @Test
    void counterMixesIntegersAndFloats() {
        DocumentState s = doc().update(List.of(inc("c", 1)), at(2, A)).update(List.of(inc("c", 0.5)), at(3, A));
        assertThat(s.fields().get("c")).isEqualTo(Value.of(1.5));
    }

    @Test
    void deleteHidesEverythingAndAConcurrentUpdateDoesNotResurrect() {
        DocumentState base = doc("a", 1, "b", 2);
        DocumentState deleted = base.delete(at(5, A));
        DocumentState updated = base.update(List.of(set("a", 99), inc("c", 1)), at(6, B));
        DocumentState m = deleted.merge(updated);
        assertThat(m.exists()).isFalse();
        assertThat(m.isTombstone()).isTrue();
        assertThat(m.fields()).isNull();
        assertThat(updated.merge(deleted)).isEqualTo(m);
    }

    @Test
    void reinsertAfterDeleteShowsOnlyFieldsWrittenAfterTheDelete() {
        DocumentState base = doc("a", 1, "b", 2, "nested", Map.of("x", 1)).update(List.of(inc("c", 4)), at(2, A));
        DocumentState reinserted = base.delete(at(5, A)).insert(obj("b", 3), at(7, A));
        assertThat(reinserted.fields().toJava()).isEqualTo(Map.of("b", 3L));
        // a peer that never saw the delete keeps writing the old incarnation; its writes before the delete stay gone
        DocumentState stale = base.update(List.of(set("a", 7), set("nested.y", 2)), at(4, B));
        assertThat(reinserted.merge(stale).fields().toJava()).isEqualTo(Map.of("b", 3L));
    }

    @Test
    void insertConcurrentWithALaterDeleteStaysDeleted() {
        DocumentState base = doc("a", 1);
        DocumentState deleted = base.delete(at(6, A));
        DocumentState upsert = base.insert(obj("a", 2), at(5, B));
        assertThat(deleted.merge(upsert).exists()).isFalse();
        DocumentState laterUpsert = base.insert(obj("a", 2), at(7, B));
        assertThat(deleted.merge(laterUpsert).fields().toJava()).isEqualTo(Map.of("a", 2L));
    }

    @Test
    void initialDocumentsLoseToAnyRealWrite() {
        DocumentState initial = DocumentState.empty().insert(obj("a", "initial", "b", "initial"), at(0, B));
        DocumentState real = DocumentState.empty().insert(obj("a", "real"), at(1, A));
        assertThat(initial.merge(real).fields().toJava()).isEqualTo(Map.of("a", "real", "b", "initial"));
    }

    @Test
    void insertChangedFieldsWritesOnlyDifferences() {
        DocumentState s = doc("a", 1, "o", Map.of("x", 1, "y", 2));
        assertThat(s.insertChangedFields(obj("a", 1, "o", Map.of("x", 1)), at(2, A)))
                .isSameAs(s);
        DocumentState changed = s.insertChangedFields(obj("a", 1, "o", Map.of("x", 5)), at(2, A));
        assertThat(changed.fields().toJava()).isEqualTo(Map.of("a", 1L, "o", Map.of("x", 5L, "y", 2L)));
        // only o.x carries the new stamp: a concurrent newer write of a wins
        DocumentState other = s.update(List.of(set("a", 42)), at(3, B));
        assertThat(changed.merge(other).fields().get("a")).isEqualTo(Value.of(42));
    }

    /**
     * After a delete and a re-insert, a counter's series count toward the re-insert's incarnation; the diff must
     * read them so, or it would rewrite an unchanged counter as a plain number and drop concurrent increments.
     */
    @Test
    void insertChangedFieldsReadsCountersOfAReinsertedDocument() {
        DocumentState s =
                doc("a", 1).delete(at(2, A)).insert(obj("a", 1), at(3, A)).update(List.of(inc("n", 5)), at(4, A));
        assertThat(s.fields().toJava()).isEqualTo(Map.of("a", 1L, "n", 5L));
        assertThat(s.insertChangedFields(obj("a", 1, "n", 5), at(5, A))).isSameAs(s);
        DocumentState concurrent = s.update(List.of(inc("n", 2)), at(5, B));
        DocumentState diffed = s.insertChangedFields(obj("n", 5), at(6, A));
        assertThat(diffed.merge(concurrent).fields().get("n")).isEqualTo(Value.of(7));
    }

    /**
     * One UPDATE that removes a path and then writes below it: the removal and the "make object" carry one stamp, so
     * the path is not an object (it is an object only when made one later than its assignment) and the field
     * written below it is gone for good — a later write into the path does not bring it back.
     */
    @Test
    void aFieldWrittenAtTheStampOfItsParentsRemovalStaysGone() {
        DocumentState s =
                doc("a", Map.of("x", 1)).update(List.of(new FieldOp.Unset(Path.of("a")), set("a.b", 1)), at(2, A));
        assertThat(s.fields().toJava()).isEqualTo(Map.of());
        DocumentState later = s.update(List.of(set("a.c", 2)), at(3, A));
        assertThat(later.fields().toJava()).isEqualTo(Map.of("a", Map.of("c", 2L)));
    }

    @Test
    void arrayPositionsReadModifyWriteTheArray() {
        DocumentState s = doc("tags", List.of("a", "b"));
        assertThat(s.update(List.of(set("tags[1]", "B")), at(2, A))
                        .fields()
                        .get("tags")
                        .toJava())
                .isEqualTo(List.of("a", "B"));
        assertThat(s.update(List.of(set("tags[2]", "c")), at(2, A))
                        .fields()
                        .get("tags")
                        .toJava())
                .isEqualTo(List.of("a", "b", "c"));
        assertThat(s.update(List.of(set("tags[-1]", "z")), at(2, A))
                        .fields()
                        .get("tags")
                        .toJava())
                .isEqualTo(List.of("a", "z"));
        assertThat(s.update(List.of(new FieldOp.Unset(parse("tags[0]"))), at(2, A))
                        .fields()
                        .get("tags")
                        .toJava())
                .isEqualTo(List.of("b"));
        assertThatThrownBy(() -> s.update(List.of(set("tags[5]", "x")), at(2, A)))
                .isInstanceOf(DocumentException.class)
                .hasMessageContaining("out of range");
    }

    @Test
    void encodingIsCanonicalAndDecodesBack() {
        DocumentState s = doc("z", 1, "a", Map.of("k", List.of(1, "two", Map.of("q", true))), "bin", new byte[] {1, 2})
                .update(List.of(inc("c", 3)), at(2, B));
        byte[] bytes = s.encode();
        DocumentState back = DocumentState.decode(bytes);
        assertThat(back.encode()).isEqualTo(bytes);
        assertThat(back.fields()).isEqualTo(s.fields());
    }

    @Test
    void malformedBytesAreRejectedCleanly() {
        byte[] good = doc("a", "hello", "b", List.of(1, 2)).encode();
        for (int cut = 0; cut < good.length; cut++) {
            byte[] truncated = java.util.Arrays.copyOf(good, cut);
            assertThatThrownBy(() -> DocumentState.decode(truncated)).isInstanceOf(CodecException.class);
        }
        java.util.Random random = new java.util.Random(42);
        for (int i = 0; i < 2000; i++) {
            byte[] garbage = good.clone();
            garbage[random.nextInt(garbage.length)] = (byte) random.nextInt(256);
            try {
                DocumentState.decode(garbage);
            } catch (CodecException expected) {
                // the only acceptable failure
            }
        }
    }

    @Test
    void arrayPositionsReachIntoObjectsInsideArrays() {
        DocumentState s = doc("tags", List.of(Map.of("k", 0, "j", 2), 5));
        assertThat(s.update(List.of(set("tags[0].k", 1)), at(2, A))
                        .fields()
                        .get("tags")
                        .toJava())
                .isEqualTo(List.of(Map.of("k", 1L, "j", 2L), 5L));
        // a position holding a scalar becomes an object holding only the new field
        assertThat(s.update(List.of(set("tags[1].k", 1)), at(2, A))
                        .fields()
                        .get("tags")
                        .toJava())
                .isEqualTo(List.of(Map.of("k", 0L, "j", 2L), Map.of("k", 1L)));
        DocumentState deep = doc("tags", List.of(Map.of("k", Map.of("y", 2))));
        assertThat(deep.update(List.of(set("tags[0].k.x", 1)), at(2, A))
                        .fields()
                        .get("tags")
                        .toJava())
                .isEqualTo(List.of(Map.of("k", Map.of("y", 2L, "x", 1L))));
        assertThat(s.update(List.of(set("tags[0]", "first")), at(2, A))
                        .fields()
                        .get("tags")
                        .toJava())
                .isEqualTo(List.of("first", 5L));
        assertThat(s.update(List.of(set("tags[-2]", "first")), at(2, A))
                        .fields()
                        .get("tags")
                        .toJava())
                .isEqualTo(List.of("first", 5L));
        assertThatThrownBy(() -> s.update(List.of(set("tags[-3]", "x")), at(2, A)))
                .isInstanceOf(DocumentException.class)
                .hasMessage("cannot SET tags[-3]: position out of range (the array has 2 items)");
        assertThatThrownBy(() -> s.update(List.of(set("nope[0]", "x")), at(2, A)))
                .isInstanceOf(DocumentException.class)
                .hasMessage("cannot SET nope[0]: the array does not exist");
        assertThatThrownBy(() -> doc("s", "str").update(List.of(set("s[0]", "x")), at(2, A)))
                .isInstanceOf(DocumentException.class)
                .hasMessage("cannot SET s[0]: not an array");
    }

    @Test
    void unsetAtArrayPositionsWritesOnlyWhenSomethingIsRemoved() {
        DocumentState s = doc("tags", List.of(Map.of("k", 0, "j", 2), "b"), "o", Map.of("t", List.of(1, 2)), "x", 1);
        assertThat(unset(s, "tags[0].k").fields().get("tags").toJava()).isEqualTo(List.of(Map.of("j", 2L), "b"));
        assertThat(unset(s, "tags[-1]").fields().get("tags").toJava()).isEqualTo(List.of(Map.of("k", 0L, "j", 2L)));
        assertThat(unset(s, "o.t[1]").fields().get("o").toJava()).isEqualTo(Map.of("t", List.of(1L)));
        // nothing there: no write at all, the state stays byte for byte the same
        for (String nothing : new String[] {
            "tags[2]",
            "tags[-3]",
            "tags[0].zz",
            "tags[1].k",
            "tags[0].k[0]",
            "tags[1][0]",
            "nope[0]",
            "x.y[0]",
            "o.t[0].z",
            "o.nope[0]"
        }) {
            assertThat(unset(s, nothing).encode()).as("UNSET %s", nothing).isEqualTo(s.encode());
        }
    }

    static DocumentState unset(DocumentState s, String path) {
        return s.update(List.of(new FieldOp.Unset(parse(path))), at(2, B));
    }

    @Test
    void pathsMustStartWithAFieldAndApplyTakesNoPositions() {
        DocumentState s = doc("tags", List.of(1));
        Path positionFirst = new Path(List.of(new Path.Index(0)));
        assertThatThrownBy(() -> s.update(List.of(new FieldOp.Set(positionFirst, Value.of(1))), at(2, A)))
                .isInstanceOf(DocumentException.class)
                .hasMessage("a path must start with a field name");
        assertThatThrownBy(() -> s.update(List.of(inc("tags[0]", 1)), at(2, A)))
                .isInstanceOf(DocumentException.class)
                .hasMessage("APPLY needs a field path without array positions: tags[0]");
        assertThatThrownBy(() -> s.update(List.of(new FieldOp.Restart(parse("tags[0]"), Value.of(1))), at(2, A)))
                .isInstanceOf(DocumentException.class)
                .hasMessageStartingWith("APPLY needs a field path without array positions");
    }

    @Test
    void fieldOperationsRefuseValuesTheyCannotWrite() {
        assertThatThrownBy(() -> new FieldOp.Set(Path.of("a"), Value.MISSING))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("use UNSET");
        assertThatThrownBy(() -> new FieldOp.Increment(Path.of("a"), Value.of("1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("INCREMENT BY needs a number");
        assertThatThrownBy(() -> new FieldOp.Restart(Path.of("a"), Value.NULL))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("RESTART WITH needs a number");
    }

    @Test
    void insertChangedFieldsOfAnAbsentDocumentIsAnInsertAndIgnoresTheId() {
        DocumentState deleted = doc("a", 1).delete(at(2, A));
        DocumentState revived = deleted.insertChangedFields(obj("_id", "k", "b", 2), at(3, A));
        assertThat(revived.fields().toJava()).isEqualTo(Map.of("b", 2L));
        assertThat(revived).isEqualTo(deleted.insert(obj("b", 2), at(3, A)));
        DocumentState live = doc("a", 1);
        assertThat(live.insertChangedFields(obj("_id", "k", "a", 1), at(2, A))).isSameAs(live);
        assertThat(live.insertChangedFields(obj("_id", "k", "a", 2), at(2, A))
                        .fields()
                        .toJava())
                .isEqualTo(Map.of("a", 2L));
    }

    @Test
    void lifecycleQueries() {
        assertThat(DocumentState.empty().isEmpty()).isTrue();
        assertThat(DocumentState.empty().exists()).isFalse();
        assertThat(DocumentState.empty().isTombstone()).isFalse();
        assertThat(DocumentState.empty().document(Value.of("k"))).isNull();
        DocumentState live = doc("a", 1);
        assertThat(live.isEmpty()).isFalse();
        assertThat(live.isTombstone()).isFalse();
        DocumentState deleted = live.delete(at(2, A));
        assertThat(deleted.isTombstone()).isTrue();
        assertThat(deleted.isEmpty()).isFalse();
        assertThat(deleted.document(Value.of("k"))).isNull();
        // an update of a document nobody inserted: not a tombstone, not live, not empty
        DocumentState husk = DocumentState.empty().update(List.of(set("a", 1)), at(3, A));
        assertThat(husk.exists()).isFalse();
        assertThat(husk.isTombstone()).isFalse();
        assertThat(husk.isEmpty()).isFalse();
    }

    @Test
    void theGreatestStampCountsEveryKindOfWrite() {
        DocumentState s = doc("a", 1);
        assertThat(s.maxStamp()).isEqualTo(at(1, A));
        assertThat(s.update(List.of(inc("n", 1)), at(5, -1)).maxStamp()).isEqualTo(at(5, -1));
        assertThat(s.update(List.of(set("o.p", 1)), at(6, 1))
                        .merge(s.update(List.of(set("a", 2)), at(6, -1)))
                        .maxStamp())
                .as("the greater site at one HLC, unsigned")
                .isEqualTo(at(6, -1));
        assertThat(s.delete(at(7, B)).maxStamp()).isEqualTo(at(7, B));
        assertThat(DocumentState.empty().maxStamp()).isEqualTo(Stamp.NONE);
    }

    @Test
    void identityIsTheCanonicalEncoding() {
        DocumentState a = doc("a", 1), same = doc("a", 1), other = doc("a", 2);
        assertThat(a.equals(a)).isTrue();
        assertThat(a)
                .isEqualTo(same)
                .hasSameHashCodeAs(same)
                .isNotEqualTo(other)
                .isNotEqualTo("a");
        assertThat(a.hashCode()).isNotEqualTo(other.hashCode());
        assertThat(a.encodedSize()).isEqualTo(a.encode().length).isPositive();
        byte[] bytes = a.encode();
        bytes[0] = 99;
        assertThat(a.encode()[0]).as("encode hands out a copy").isEqualTo((byte) 1);
    }

    @Test
    void writesThatALaterAssignmentReplacedLeaveNoTrace() {
        // the same visible document from different dominated writes: the same bytes (normal form)
        DocumentState viaObject = DocumentState.empty()
                .insert(obj("a", Map.of("x", 1, "y", Map.of("z", 2))), at(1, A))
                .update(List.of(inc("a.n", 3)), at(2, A))
                .update(List.of(set("a", 5)), at(3, A));
        DocumentState viaScalar =
                DocumentState.empty().insert(obj("a", 1), at(1, A)).update(List.of(set("a", 5)), at(3, A));
        assertThat(viaObject.encode()).isEqualTo(viaScalar.encode());
        DocumentState deleted = viaObject.delete(at(4, A));
        assertThat(deleted.encode())
                .isEqualTo(DocumentState.empty().delete(at(4, A)).encode());
    }

    /**
     * Two assignments with one stamp come from one write; should corrupt input ever disagree, merge still picks the
     * same on every replica (commutative), for registers, kinds of assignment and counter series alike.
     */
    @Test
    void disagreeingWritesWithOneStampStillMergeCommutatively() {
        Stamp s = at(5, B);
        DocumentState base = doc("a", 0);
        List<DocumentState> variants = List.of(
                base.update(List.of(set("a", 1)), s),
                base.update(List.of(set("a", "one")), s),
                base.update(List.of(new FieldOp.Unset(Path.of("a"))), s),
                base.update(List.of(new FieldOp.Unset(Path.of("a")), set("b", 1)), s),
                base.update(List.of(new FieldOp.Restart(Path.of("a"), Value.of(1))), s),
                base.update(List.of(new FieldOp.Restart(Path.of("a"), Value.of(2))), s),
                base.update(List.of(inc("c", 1)), s),
                base.update(List.of(inc("c", 2)), s),
                base.update(List.of(set("c", 7)), at(4, A)).update(List.of(inc("c", 1)), s),
                DocumentState.empty().insert(obj("a", 3), s));
        for (DocumentState x : variants) {
            for (DocumentState y : variants) {
                assertThat(x.merge(y).encode())
                        .as("%s\nmerged with\n%s", x, y)
                        .isEqualTo(y.merge(x).encode());
            }
        }
    }

    @Test
    void readsAsATreeInTestFailures() {
        DocumentState s = doc("a", 1, "o", Map.of("x", "y"))
                .update(List.of(inc("n", 2)), at(2, B))
                .update(List.of(new FieldOp.Unset(Path.of("gone"))), at(3, B))
                .update(List.of(new FieldOp.Restart(Path.of("r"), Value.of(4))), at(4, B));
        assertThat(s.toString()).isEqualTo("""
                        <root>: map@0.1@a
                          a: register@0.1@a=1
                          gone: removed@0.3@b
                          n: contributions=[Contribution[basis=0.0@0, series=0.2@b, stamp=0.2@b, sum=2]]
                          o: map@0.1@a
                            x: register@0.1@a="y"
                          r: counter@0.4@b=4
                        """);
    }

    @Test
    void aFastInsertRefusesWhatTheTreeRefuses() {
        int max = io.starling.internal.core.Limits.MAX_DEPTH;
        Value arrays = Value.of(1);
        for (int i = 0; i < max; i++) arrays = new Value.Arr(List.of(arrays)); // max levels below the root object
        Value.Obj tooDeep = new Value.Obj(Map.of("a", arrays));
        assertThatThrownBy(() -> DocumentState.encodeInserted(tooDeep, at(1, A)))
                .isInstanceOf(DocumentException.class)
                .hasMessageContaining("deeper than " + max);
        assertThatThrownBy(() -> DocumentState.empty().insert(tooDeep, at(1, A)).encode())
                .isInstanceOf(DocumentException.class);
        assertThatThrownBy(() -> DocumentState.encodeInserted(obj("a", 1), Stamp.NONE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a write needs a stamp above NONE");
    }

    static FieldOp inc(String path, Object by) {
        return new FieldOp.Increment(parse(path), Value.fromJava(by));
    }
}
