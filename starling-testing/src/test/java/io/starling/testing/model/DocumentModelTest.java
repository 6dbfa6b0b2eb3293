package io.starling.testing.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The independent model, rule by rule (docs/DATA-MODEL.md, "The merge rules"), with worked examples. */
class DocumentModelTest {
    private int nextId;

    private static ModelStamp at(long millis, long site) {
        return new ModelStamp(millis << 16, site);
    }

    /** Plans {@code op} against {@code known} and binds it at {@code stamp}; the plan must write. */
    private ModelWrite write(DocumentModel known, ModelOp op, ModelStamp stamp) {
        Plan plan = known.plan(op);
        assertThat(plan.outcome()).as("%s", plan).isEqualTo(Plan.Outcome.WRITE);
        return plan.bind(nextId++, stamp, op.toString());
    }

    private static ModelOp.Insert insert(Map<String, Object> fields) {
        return new ModelOp.Insert(fields, ModelOp.Conflict.DO_UPDATE);
    }

    private static ModelOp.Update set(String path, Object value) {
        return new ModelOp.Update(List.of(new ModelOp.Set(List.of(path.split("\\.")), value)));
    }

    private static ModelOp.Update unset(String path) {
        return new ModelOp.Update(List.of(new ModelOp.Unset(List.of(path.split("\\.")))));
    }

    private static ModelOp.Update inc(String path, Object amount) {
        return new ModelOp.Update(List.of(new ModelOp.Increment(List.of(path.split("\\.")), amount)));
    }

    private static ModelOp.Update restart(String path, Object value) {
        return new ModelOp.Update(List.of(new ModelOp.Restart(List.of(path.split("\\.")), value)));
    }

    @Test
    void stampsOrderByHlcThenSiteAsAnUnsignedNumber() {
        assertThat(at(1, 5)).isLessThan(at(2, 1));
        assertThat(at(1, 1)).isLessThan(at(1, 2));
        assertThat(at(1, Long.MAX_VALUE)).isLessThan(at(1, Long.MIN_VALUE)); // 2^63-1 < 2^63
        assertThat(at(1, Long.MIN_VALUE)).isLessThan(at(1, -1)); // 2^63 < 2^64-1
        assertThat(at(1, 1)).isLessThan(at(1, -2));
        assertThat(ModelStamp.ZERO).isLessThan(new ModelStamp(0, 1)); // INITIAL DOCUMENTS' stamp is above ZERO
    }

    @Test
    void concurrentRegisterWritesWithOneHlcAreDecidedByTheUnsignedSite() {
        DocumentModel base = DocumentModel.empty();
        ModelWrite created = write(base, insert(Map.of("x", 0L)), at(1, 7));
        DocumentModel doc = base.with(created);
        // two sites write x at the same millisecond and counter: site -1 (2^64-1) is the greater, not the smaller
        ModelWrite a = write(doc, set("x", "by 1"), at(5, 1));
        ModelWrite b = write(doc, set("x", "by -1"), at(5, -1));
        assertThat(doc.with(a).with(b).visible()).containsEntry("x", "by -1");
        assertThat(doc.with(b).with(a).visible()).containsEntry("x", "by -1");
        ModelWrite c = write(doc, set("x", "by MAX"), at(5, Long.MAX_VALUE));
        ModelWrite d = write(doc, set("x", "by MIN"), at(5, Long.MIN_VALUE));
        assertThat(doc.with(c).with(d).visible()).containsEntry("x", "by MIN");
    }

    @Test
    void objectsMergeKeyByKeyAndAnAssignmentHidesAnObjectForGood() {
        DocumentModel doc = DocumentModel.empty();
        doc = doc.with(write(doc, insert(Map.of("address", Map.of("city", "Bergen", "zip", "5003"))), at(1, 1)));
        doc = doc.with(write(doc, set("address", Map.of("city", "Oslo")), at(2, 1)));
        assertThat(doc.visible()).isEqualTo(Map.of("address", Map.of("city", "Oslo", "zip", "5003")));

        // SET a = 5 at t5 hides the object and every field written into it up to t5 ...
        doc = doc.with(write(doc, set("address", 5L), at(5, 1)));
        assertThat(doc.visible()).isEqualTo(Map.of("address", 5L));
        // ... and SET a.z = 3 at t6 makes it an object again, holding only z
        doc = doc.with(write(doc, set("address.z", 3L), at(6, 1)));
        assertThat(doc.visible()).isEqualTo(Map.of("address", Map.of("z", 3L)));
        // empty objects are values
        doc = doc.with(write(doc, set("e", Map.of()), at(7, 1)));
        assertThat(doc.visible()).containsEntry("e", Map.of());
    }

    @Test
    void unsetIsATimestampedRemovalAndDoesNothingUnderANonObject() {
        DocumentModel doc = DocumentModel.empty();
        doc = doc.with(write(doc, insert(Map.of("a", 1L, "o", Map.of("p", 1L))), at(1, 1)));
        ModelWrite removal = write(doc, unset("o.p"), at(3, 1));
        ModelWrite concurrent = write(doc, set("o.p", 2L), at(2, 2)); // earlier: loses to the removal
        assertThat(doc.with(removal).with(concurrent).visible()).isEqualTo(Map.of("a", 1L, "o", Map.of()));
        ModelWrite later = write(doc, set("o.p", 4L), at(4, 2)); // later: wins over it
        assertThat(doc.with(removal).with(later).visible()).isEqualTo(Map.of("a", 1L, "o", Map.of("p", 4L)));

        assertThat(doc.plan(unset("a.b")).outcome()).isEqualTo(Plan.Outcome.NO_CHANGE);
        assertThat(doc.plan(unset("missing.b")).outcome()).isEqualTo(Plan.Outcome.NO_CHANGE);
        assertThat(doc.plan(unset("missing")).outcome()).isEqualTo(Plan.Outcome.WRITE); // a removal, stamped
    }

    @Test
    void concurrentIncrementsAddUpAndARestartDiscardsThoseThatDidNotSeeIt() {
        DocumentModel doc = DocumentModel.empty();
        doc = doc.with(write(doc, insert(Map.of()), at(1, 1)));
        ModelWrite a = write(doc, inc("n", 2L), at(2, 1));
        ModelWrite b = write(doc, inc("n", 3L), at(2, 2)); // same hlc, another site: both count
        assertThat(doc.with(a).with(b).visible()).containsEntry("n", 5L);

        DocumentModel counted = doc.with(a).with(b);
        ModelWrite reset = write(counted, restart("n", 10L), at(3, 1));
        ModelWrite lost = write(doc.with(a), inc("n", 100L), at(4, 2)); // later, but it did not see the restart
        ModelWrite seen = write(counted.with(reset), inc("n", 1L), at(5, 2));
        assertThat(counted.with(reset).with(lost).with(seen).visible()).containsEntry("n", 11L);
    }

    @Test
    void anIncrementOfAPlainNumberCountsOnTopOfIt() {
        DocumentModel doc = DocumentModel.empty();
        doc = doc.with(write(doc, insert(Map.of("n", 0L)), at(1, 1)));
        ModelWrite five = write(doc, inc("n", 5L), at(2, 1));
        ModelWrite ten = write(doc, inc("n", 10L), at(2, 2));
        DocumentModel both = doc.with(five).with(ten);
        assertThat(both.visible()).containsEntry("n", 15L);
        // a later assignment is a new base: increments that did not see it are dropped
        ModelWrite assign = write(doc.with(five), set("n", 100L), at(3, 1));
        assertThat(both.with(assign).visible()).containsEntry("n", 100L);
        ModelWrite after = write(both.with(assign), inc("n", 1L), at(4, 2));
        assertThat(both.with(assign).with(after).visible()).containsEntry("n", 101L);
    }

    @Test
    void counterArithmeticKeepsIntegersAndSaturatesAtTheLargestFloat() {
        DocumentModel doc = DocumentModel.empty();
        doc = doc.with(write(doc, insert(Map.of("big", Long.MAX_VALUE, "s", "text")), at(1, 1)));
        // integer overflow becomes a float
        assertThat(doc.with(write(doc, inc("big", 1L), at(2, 1))).visible().get("big"))
                .isEqualTo((double) Long.MAX_VALUE + 1.0);
        // a float increment makes the counter a float, and it stays one
        DocumentModel f = doc.with(write(doc, inc("m", 0.5), at(2, 1)));
        f = f.with(write(f, inc("m", -0.5), at(3, 1)));
        assertThat(f.visible().get("m")).isEqualTo(0.0);
        // incrementing a missing field starts from 0; a string is refused
        assertThat(doc.with(write(doc, inc("z", 3L), at(2, 1))).visible()).containsEntry("z", 3L);
        assertThat(doc.plan(inc("s", 1L)).outcome()).isEqualTo(Plan.Outcome.REFUSED_INVALID);
        // concurrent increments, each in range, may add up beyond it: the total shows as the largest float
        ModelWrite x = write(doc, inc("h", 1.5e308), at(2, 1));
        ModelWrite y = write(doc, inc("h", 1.5e308), at(2, 2));
        DocumentModel both = doc.with(x).with(y);
        assertThat(both.visible().get("h")).isEqualTo(Double.MAX_VALUE);
        // a local increment whose result leaves the range is refused
        assertThat(doc.with(x).plan(inc("h", 1.5e308)).outcome()).isEqualTo(Plan.Outcome.REFUSED_INVALID);
        ModelWrite down = write(doc.with(x).with(y), inc("h", -1.5e308), at(3, 3));
        assertThat(both.with(down).visible().get("h")).isEqualTo(1.5e308); // counting back shows the true sum
        ModelWrite neg = write(doc, inc("g", -1.5e308), at(2, 1));
        ModelWrite neg2 = write(doc, inc("g", -1.5e308), at(2, 2));
        assertThat(doc.with(neg).with(neg2).visible().get("g")).isEqualTo(-Double.MAX_VALUE);
    }

    @Test
    void anUpdateNeverResurrectsAndARe_insertShowsOnlyFieldsWrittenAfterTheDelete() {
        DocumentModel doc = DocumentModel.empty();
        doc = doc.with(write(doc, insert(Map.of("a", 1L, "b", 2L)), at(1, 1)));
        ModelWrite delete = write(doc, new ModelOp.Delete(), at(3, 1));
        ModelWrite update = write(doc, set("c", 3L), at(4, 2)); // made by a replica that had not seen the delete
        DocumentModel deleted = doc.with(delete).with(update);
        assertThat(deleted.exists()).isFalse();
        assertThat(deleted.visible()).isNull();
        assertThat(deleted.plan(set("d", 1L)).outcome()).isEqualTo(Plan.Outcome.NOT_MATCHED);
        assertThat(deleted.plan(new ModelOp.Delete()).outcome()).isEqualTo(Plan.Outcome.NOT_MATCHED);

        // the re-insert shows its own fields and the concurrent update (later than the delete), not a or b
        ModelWrite again = write(deleted, new ModelOp.Insert(Map.of("e", 5L), ModelOp.Conflict.FAIL), at(5, 1));
        assertThat(deleted.with(again).visible()).isEqualTo(Map.of("c", 3L, "e", 5L));
        // an INSERT concurrent with a DELETE wins if later, loses if earlier
        ModelWrite early = write(doc, insert(Map.of("f", 1L)), at(2, 2));
        assertThat(doc.with(delete).with(early).exists()).isFalse();
    }

    @Test
    void insertConflictsAndLocalDiffFollowWhatTheWriterKnew() {
        DocumentModel doc = DocumentModel.empty();
        doc = doc.with(write(doc, insert(Map.of("x", 1L, "o", Map.of("p", 1L, "q", 2L))), at(1, 1)));
        assertThat(doc.plan(new ModelOp.Insert(Map.of(), ModelOp.Conflict.FAIL)).outcome())
                .isEqualTo(Plan.Outcome.REFUSED_CONFLICT);
        assertThat(doc.plan(new ModelOp.Insert(Map.of("x", 9L), ModelOp.Conflict.DO_NOTHING))
                        .outcome())
                .isEqualTo(Plan.Outcome.NO_CHANGE);
        Plan same = doc.plan(
                new ModelOp.Insert(Map.of("x", 1L, "o", Map.of("p", 1L)), ModelOp.Conflict.DO_UPDATE_LOCAL_DIFF));
        assertThat(same.outcome()).isEqualTo(Plan.Outcome.NO_CHANGE);
        Plan diff = doc.plan(new ModelOp.Insert(
                Map.of("x", 1L, "o", Map.of("p", 5L), "y", 1.0), ModelOp.Conflict.DO_UPDATE_LOCAL_DIFF));
        assertThat(diff.effects())
                .extracting(e -> String.join(".", e.path()) + " " + e.kind())
                .containsExactlyInAnyOrder("o.p VALUE", "o OBJECT", "y VALUE", " OBJECT");
        assertThat(doc.with(diff.bind(99, at(2, 1), "diff")).visible())
                .isEqualTo(Map.of("x", 1L, "y", 1.0, "o", Map.of("p", 5L, "q", 2L)));
    }

    @Test
    void aReplicaIncludesAWriteItReceivedOrThatIsSupersededThere() {
        DocumentModel doc = DocumentModel.empty();
        ModelWrite created = write(doc, insert(Map.of("x", 1L)), at(1, 1));
        doc = doc.with(created);
        ModelWrite older = write(doc, set("x", 2L), at(2, 1));
        ModelWrite newer = write(doc, set("x", 3L), at(3, 2));
        assertThat(doc.with(newer).includes(older)).isTrue(); // superseded: receiving it changes nothing
        assertThat(doc.with(older).includes(newer)).isFalse();
        ModelWrite delete = write(doc, new ModelOp.Delete(), at(4, 1));
        ModelWrite hidden = write(doc, set("y", 1L), at(5, 2)); // later than the delete: kept for a re-insert
        assertThat(doc.with(delete).includes(hidden)).isFalse();
        assertThat(doc.with(delete).includes(older)).isTrue();
        ModelWrite increment = write(doc, inc("n", 1L), at(6, 2));
        assertThat(doc.with(delete).includes(increment)).isTrue(); // toward a clear that is gone
    }

    @Test
    void aWriteShowsWhileOneOfItsEffectsIsNotSuperseded() {
        DocumentModel doc = DocumentModel.empty();
        ModelWrite created = write(doc, insert(Map.of("x", 1L, "y", 1L)), at(1, 1));
        doc = doc.with(created);
        ModelWrite setX = write(doc, set("x", 2L), at(2, 1));
        ModelWrite count = write(doc, inc("n", 1L), at(3, 1));
        DocumentModel all = doc.with(setX).with(count);
        assertThat(all.shows(created)).isTrue(); // its y and its root object
        assertThat(all.shows(setX)).isTrue();
        assertThat(all.shows(count)).isTrue();
        ModelWrite overX = write(all, set("x", 3L), at(4, 2));
        assertThat(all.with(overX).shows(setX)).isFalse();
        ModelWrite delete = write(all, new ModelOp.Delete(), at(5, 1));
        ModelWrite again = write(all.with(delete), insert(Map.of("z", 1L)), at(6, 1));
        DocumentModel reborn = all.with(delete).with(again);
        assertThat(reborn.shows(created)).isFalse();
        assertThat(reborn.shows(count)).isFalse(); // toward a clear the delete replaced
        assertThat(reborn.shows(again)).isTrue();
        assertThat(doc.shows(setX)).isFalse(); // not received
    }

    @Test
    void whatAReplicaShowsDependsOnlyOnTheSetOfWritesItReceived() {
        // a random history at three sites; every order of the same writes shows the same document
        Random rnd = new Random(42);
        DocumentModel doc = DocumentModel.empty();
        List<ModelWrite> all = new ArrayList<>();
        ModelWrite first = write(doc, insert(Map.of("n", 0L)), at(1, 1));
        all.add(first);
        DocumentModel[] sites = {doc.with(first), doc.with(first), doc.with(first)};
        for (int t = 2; t < 60; t++) {
            int s = rnd.nextInt(3);
            if (rnd.nextInt(4) == 0) { // receive another site's knowledge
                sites[s] = sites[s].union(sites[rnd.nextInt(3)]);
                continue;
            }
            ModelOp op = switch (rnd.nextInt(6)) {
                case 0 -> set("x", (long) rnd.nextInt(5));
                case 1 -> inc("n", (long) rnd.nextInt(5));
                case 2 -> set("o.p", "v" + t);
                case 3 -> rnd.nextBoolean() ? new ModelOp.Delete() : insert(Map.of("y", (long) t));
                case 4 -> restart("n", 1L);
                default -> unset("o");
            };
            Plan plan = sites[s].plan(op);
            if (!plan.writes()) continue;
            ModelWrite w = plan.bind(nextId++, at(t, s - 1L), op.toString());
            all.add(w);
            sites[s] = sites[s].with(w);
        }
        DocumentModel everything = DocumentModel.of(all);
        for (int i = 0; i < 20; i++) {
            List<ModelWrite> shuffled = new ArrayList<>(all);
            Collections.shuffle(shuffled, rnd);
            DocumentModel m = DocumentModel.empty();
            for (ModelWrite w : shuffled) m = m.with(w);
            assertThat(m.visible()).isEqualTo(everything.visible());
        }
        assertThat(sites[0].union(sites[1]).union(sites[2]).union(everything).visible())
                .isEqualTo(everything.visible());
    }

    @Test
    void differencesNamePathsAndIgnoreKeyOrder() {
        assertThat(ModelDiff.differences(Map.of("a", 1L, "b", Map.of("c", 2L)), Map.of("b", Map.of("c", 2L), "a", 1L)))
                .isEmpty();
        assertThat(ModelDiff.differences(Map.of("a", 1L, "b", Map.of("c", 2L)), Map.of("a", 1.0, "b", Map.of())))
                .containsExactly("a: expected 1, actual 1.0", "b.c: expected 2, actual MISSING");
        assertThat(ModelDiff.differences(null, Map.of("a", 1L)))
                .containsExactly("<document>: expected none, actual {\"a\": 1}");
    }
}
