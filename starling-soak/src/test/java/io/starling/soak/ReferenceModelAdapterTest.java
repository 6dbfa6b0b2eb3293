package io.starling.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.core.Path;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.crdt.FieldOp;
import io.starling.internal.sync.Subscription;
import io.starling.testing.model.ModelOp;
import io.starling.testing.model.ModelStatement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Check (c)'s model as the soak calls it: the model's answers follow the merge rules (hand-computed here), a write
 * the model says writes nothing is a disagreement, and — in miniature, on the engine's own document states — the
 * check passes where the engine follows the rules and fails where it does not.
 */
class ReferenceModelAdapterTest {
    static final long A = 0x11L, B = 0x8000_0000_0000_0011L, C = 0x33L;
    static final DocRef DOC = DocRef.of("b", 7L);

    final MergeModel model = ReferenceModelAdapter.create();

    static MergeModel.Write write(int index, long site, long hlc, ModelOp op, Integer... knownBefore) {
        return new MergeModel.Write(index, site, new Stamp(hlc, site), op, new TreeSet<>(Arrays.asList(knownBefore)));
    }

    static Map<String, Object> fields(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    static ModelOp.Update increment(String field, long by) {
        return new ModelOp.Update(List.of(new ModelOp.Increment(List.of(field), by)));
    }

    static ModelOp.Update set(String field, Object value) {
        return new ModelOp.Update(List.of(new ModelOp.Set(List.of(field), value)));
    }

    static ModelOp.Insert insert(Map<String, Object> fields) {
        return new ModelOp.Insert(fields, ModelOp.Conflict.FAIL);
    }

    @Test
    void concurrentIncrementsOfAPlainNumberAddUpWhereBothAreHeld() {
        MergeModel.Write insert = write(0, A, 100, insert(fields("grp", 1L, "n", 0L)));
        MergeModel.Write plus5 = write(1, B, 200, increment("n", 5), 0);
        MergeModel.Write plus10 = write(2, C, 300, increment("n", 10), 0);
        assertThat(model.visible(DOC, List.of(insert))).contains(Map.of("grp", 1L, "n", 0L));
        assertThat(model.visible(DOC, List.of(insert, plus5))).contains(Map.of("grp", 1L, "n", 5L));
        assertThat(model.visible(DOC, List.of(insert, plus10))).contains(Map.of("grp", 1L, "n", 10L));
        assertThat(model.visible(DOC, List.of(insert, plus5, plus10))).contains(Map.of("grp", 1L, "n", 15L));
    }

    @Test
    void ofTwoConcurrentSetsTheLaterStampWinsAndEqualClocksGoToTheHigherUnsignedSite() {
        MergeModel.Write insert = write(0, A, 100, insert(fields("x", 0L)));
        MergeModel.Write byA = write(1, A, 200, set("x", "a"), 0);
        MergeModel.Write byB = write(2, B, 200, set("x", "b"), 0); // B is above A as an unsigned number
        MergeModel.Write laterByC = write(3, C, 201, set("x", "c"), 0);
        assertThat(model.visible(DOC, List.of(insert, byA, byB))).contains(Map.of("x", "b"));
        assertThat(model.visible(DOC, List.of(insert, byA, byB, laterByC))).contains(Map.of("x", "c"));
    }

    @Test
    void aDeleteHidesTheDocumentUntilALaterInsert() {
        MergeModel.Write insert = write(0, A, 100, insert(fields("x", 1L)));
        MergeModel.Write delete = write(1, B, 200, new ModelOp.Delete(), 0);
        MergeModel.Write again = write(2, C, 300, insert(fields("y", 2L)), 0, 1);
        assertThat(model.visible(DOC, List.of(insert, delete))).isEmpty();
        assertThat(model.visible(DOC, List.of(insert, delete, again))).contains(Map.of("y", 2L));
    }

    @Test
    void aWriteTheModelSaysWritesNothingIsADisagreement() {
        MergeModel.Write insert = write(0, A, 100, insert(fields("x", 1L)));
        MergeModel.Write delete = write(1, A, 200, new ModelOp.Delete(), 0);
        MergeModel.Write updateOfTheDeleted = write(2, B, 300, set("x", 2L), 0, 1);
        assertThatThrownBy(() -> model.visible(DOC, List.of(insert, delete, updateOfTheDeleted)))
                .isInstanceOf(MergeModel.Disagreement.class)
                .hasMessageContaining("b/7")
                .hasMessageContaining("write #2 by site " + Long.toUnsignedString(B, 16))
                .hasMessageContaining("NOT_MATCHED");
    }

    @Test
    void aReplicaHoldingAWriteButNotWhatItsWriterHeldIsRefused() {
        MergeModel.Write insert = write(0, A, 100, insert(fields("x", 1L)));
        MergeModel.Write update = write(1, B, 200, set("x", 2L), 0);
        assertThatThrownBy(() -> model.visible(DOC, List.of(update)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not the writes [0]");
        assertThat(model.visible(DOC, List.of(insert, update))).contains(Map.of("x", 2L));
    }

    // ---- in miniature: the engine's states of the concurrent increments above, checked as the soak checks them

    final DocumentState inserted = DocumentState.empty().insert(obj(fields("grp", 1L, "n", 0L)), new Stamp(100, A));
    final DocumentState plus5 =
            inserted.update(List.of(new FieldOp.Increment(Path.of("n"), Value.of(5))), new Stamp(200, B));
    final DocumentState plus10 =
            inserted.update(List.of(new FieldOp.Increment(Path.of("n"), Value.of(10))), new Stamp(300, C));

    static Value.Obj obj(Map<String, Object> m) {
        return (Value.Obj) Value.fromJava(m);
    }

    /**
     * Peer 0 inserted {@code n: 0}, peers 1 and 2 incremented it by 5 and by 10 concurrently (the second write's
     * resulting state is {@code secondAfter}), and every peer ended with both.
     */
    FinalState concurrentIncrements(DocumentState secondAfter) {
        List<SoakWrite> writes = List.of(
                new SoakWrite(
                        0,
                        0,
                        A,
                        DOC,
                        stmt(insert(fields("grp", 1L, "n", 0L))),
                        DocumentState.empty(),
                        inserted,
                        true,
                        10),
                new SoakWrite(1, 1, B, DOC, stmt(increment("n", 5)), inserted, plus5, true, 20),
                new SoakWrite(2, 2, C, DOC, stmt(increment("n", 10)), inserted, secondAfter, true, 30));
        DocumentState end = plus5.merge(secondAfter);
        List<FinalState.PeerState> peers = new ArrayList<>();
        long[] sites = {A, B, C};
        for (int i = 0; i < 3; i++) {
            TreeMap<DocRef, byte[]> rows = new TreeMap<>();
            rows.put(DOC, end.encode());
            peers.add(new FinalState.PeerState(
                    i, sites[i], List.of(Subscription.of("b", "SELECT * FROM b", Value.Obj.EMPTY)), rows));
        }
        return new FinalState(peers, List.of(new int[] {0, 1}, new int[] {1, 2}), writes, List.of(), List.of());
    }

    static SoakPlan.Stmt stmt(ModelOp op) {
        return new SoakPlan.Stmt("b", 7L, ModelStatement.of("b", 7L, op), op);
    }

    @Test
    void theEnginesMergeOfConcurrentIncrementsAgreesWithTheModel() {
        ModelCheck.Result r = ModelCheck.run(concurrentIncrements(plus10), model);
        assertThat(r.problems()).isEmpty();
        assertThat(r.comparisons()).isEqualTo(3);
    }

    @Test
    void anEngineWhoseIncrementsDoNotAddUpFailsTheCheck() {
        // an engine that stored the second increment as the total its writer saw (n = 10, the last writer winning)
        DocumentState lastWriterWins =
                inserted.update(List.of(new FieldOp.Set(Path.of("n"), Value.of(10))), new Stamp(300, C));
        ModelCheck.Result r = ModelCheck.run(concurrentIncrements(lastWriterWins), model);
        assertThat(r.problems()).hasSize(3);
        assertThat(r.problems().get(0))
                .contains("b/7 at peer 0 shows live {\"grp\": 1, \"n\": 10}")
                .contains("the model of the 3 writes it holds gives live {\"grp\": 1, \"n\": 15}")
                .contains("n: expected 15, actual 10");
    }
}
