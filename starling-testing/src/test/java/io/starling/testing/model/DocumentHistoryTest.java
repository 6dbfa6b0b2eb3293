package io.starling.testing.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The entry point a checker uses when it records writes as issued (the soak): statement, stamp, what the writer held. */
class DocumentHistoryTest {

    private static ModelStamp at(long millis, long site) {
        return new ModelStamp(millis << 16, site);
    }

    private static ModelOp.Update inc(String field, long amount) {
        return new ModelOp.Update(List.of(new ModelOp.Increment(List.of(field), amount)));
    }

    @Test
    void writesArePlannedAgainstWhatTheirWriterHeldAndReplicasShowWhatTheyHold() {
        DocumentHistory h = new DocumentHistory();
        assertThat(h.add(0, at(1, 1), new ModelOp.Insert(Map.of("n", 1L), ModelOp.Conflict.FAIL), Set.of(), "insert")
                        .writes())
                .isTrue();
        // two sites increment concurrently, each holding only the insert: both count on top of the plain number
        h.add(1, at(2, 1), inc("n", 2L), Set.of(0), "a");
        h.add(2, at(2, -1L), inc("n", 3L), Set.of(0), "b");
        // a third site held the insert and write 1 and sets n: a new base, on which neither increment counts
        h.add(3, at(3, 5), new ModelOp.Update(List.of(new ModelOp.Set(List.of("n"), 10L))), Set.of(0, 1), "set");

        assertThat(h.visible(Set.of(0))).isEqualTo(Map.of("n", 1L));
        assertThat(h.visible(Set.of(0, 1, 2))).isEqualTo(Map.of("n", 6L));
        assertThat(h.visible(Set.of(0, 1, 2, 3))).isEqualTo(Map.of("n", 10L));
        assertThat(h.visible(Set.of())).isNull();
        assertThat(h.write(1).stamp()).isEqualTo(at(2, 1));
    }

    @Test
    void aStatementTheModelSaysWritesNothingAddsNothingAndItsPlanSaysWhy() {
        DocumentHistory h = new DocumentHistory();
        h.add(0, at(1, 1), new ModelOp.Insert(Map.of("x", 1L), ModelOp.Conflict.FAIL), Set.of(), "insert");
        Plan again =
                h.add(1, at(2, 2), new ModelOp.Insert(Map.of("x", 2L), ModelOp.Conflict.DO_NOTHING), Set.of(0), "");
        assertThat(again.outcome()).isEqualTo(Plan.Outcome.NO_CHANGE);
        assertThat(h.plan(1)).isEqualTo(again);
        assertThat(h.write(1)).isNull();
        assertThat(h.visible(Set.of(0, 1))).isEqualTo(Map.of("x", 1L));

        assertThatThrownBy(() -> h.add(1, at(3, 1), new ModelOp.Delete(), Set.of(0), ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("write 1");
        assertThatThrownBy(() -> h.add(2, at(3, 1), new ModelOp.Delete(), Set.of(7), ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("write 7 was not added");
    }
}
