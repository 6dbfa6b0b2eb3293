package io.starling.testing.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each op renders as the statement that asks for exactly it: text, argument names and values, clause for clause. */
class ModelStatementTest {

    @Test
    void anInsertCarriesItsIdFirstAndSpellsItsConflictPolicy() {
        Map<String, Object> id = new LinkedHashMap<>();
        id.put("s", "x");
        id.put("k", 1L); // passed as the application passes it: this key order is kept
        ModelOp.Insert op = new ModelOp.Insert(Map.of("x", 1L, "grp", 0L), ModelOp.Conflict.DO_UPDATE_LOCAL_DIFF);
        ModelStatement s = ModelStatement.insert("a", id, op, true);
        assertThat(s.text()).isEqualTo("INSERT INTO a DOCUMENTS (:doc) ON ID CONFLICT DO UPDATE_LOCAL_DIFF");
        Map<?, ?> doc = (Map<?, ?>) s.args().get("doc");
        assertThat(new ArrayList<Object>(doc.keySet())).isEqualTo(List.of("_id", "grp", "x"));
        assertThat(doc.get("_id")).isSameAs(id);
        assertThat(ModelStatement.of("a", 7L, new ModelOp.Insert(Map.of(), ModelOp.Conflict.DO_NOTHING))
                        .text())
                .endsWith(" ON ID CONFLICT DO NOTHING");
        assertThat(ModelStatement.insert("b", 7L, new ModelOp.Insert(Map.of(), ModelOp.Conflict.FAIL), false)
                        .text())
                .isEqualTo("INSERT INTO b DOCUMENTS (:doc)");
        assertThat(ModelStatement.of("b", 7L, new ModelOp.Insert(Map.of(), ModelOp.Conflict.FAIL))
                        .text())
                .isEqualTo("INSERT INTO b DOCUMENTS (:doc) ON ID CONFLICT FAIL");
        assertThatThrownBy(() ->
                        ModelStatement.insert("b", 7L, new ModelOp.Insert(Map.of(), ModelOp.Conflict.DO_UPDATE), false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("DO_UPDATE");
    }

    @Test
    void anUpdateRendersEveryClauseWithItsValueInOrder() {
        ModelOp.Update op = new ModelOp.Update(List.of(
                new ModelOp.Increment(List.of("o", "c"), 0.5),
                new ModelOp.Restart(List.of("n"), 3L),
                new ModelOp.Set(List.of("o"), Map.of("q", true)),
                new ModelOp.Set(List.of("x"), null),
                new ModelOp.Unset(List.of("o", "p")),
                new ModelOp.Unset(List.of("y"))));
        ModelStatement s = ModelStatement.update("c", "s1", op);
        assertThat(s.text())
                .isEqualTo("UPDATE c APPLY o.c INCREMENT BY :v0 APPLY n RESTART WITH :v1 SET o = :v2, x = :v3"
                        + " UNSET o.p, y WHERE _id = :id");
        assertThat(new ArrayList<>(s.args().keySet())).containsExactly("id", "v0", "v1", "v2", "v3");
        assertThat(new ArrayList<>(s.args().values())).isEqualTo(Arrays.asList("s1", 0.5, 3L, Map.of("q", true), null));
    }

    @Test
    void anUpdateWithoutClausesStoresNothingAndADeleteNamesTheId() {
        assertThat(ModelStatement.update("a", 1L, new ModelOp.Update(List.of())).text())
                .isEqualTo("UPDATE a UNSET zz.zz WHERE _id = :id");
        ModelStatement d = ModelStatement.of("a", false, new ModelOp.Delete());
        assertThat(d.text()).isEqualTo("DELETE FROM a WHERE _id = :id");
        assertThat(d.args()).containsExactly(Map.entry("id", false));
    }

    @Test
    void aSummarySaysWhatTheOpAsks() {
        assertThat(new ModelOp.Update(List.of(
                                new ModelOp.Set(List.of("x"), 1L),
                                new ModelOp.Increment(List.of("n"), 2L),
                                new ModelOp.Restart(List.of("m"), 0L),
                                new ModelOp.Unset(List.of("o", "p"))))
                        .summary())
                .isEqualTo("x = 1, n += 2, m restart 0, o.p unset");
        assertThat(new ModelOp.Insert(Map.of("x", "a"), ModelOp.Conflict.FAIL).summary())
                .isEqualTo("FAIL {\"x\": \"a\"}");
        assertThat(new ModelOp.Delete().summary()).isEmpty();
    }
}
