package io.starling.testing.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The shared workload: a seed gives one sequence of ops, and a few thousand draws use every kind of clause. */
class RandomOpsTest {

    private static List<Object> draws(long seed, double blobChance) {
        RandomOps ops = new RandomOps(new Random(seed), 0, blobChance, 10, 20);
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            out.add(ops.insert(i % 2));
            out.add(ops.update());
            out.add(ops.increment());
        }
        return out;
    }

    @Test
    void aSeedGivesOneSequenceOfOps() {
        assertThat(draws(7, 0.1)).isEqualTo(draws(7, 0.1));
        assertThat(draws(7, 0.1)).isNotEqualTo(draws(8, 0.1));
    }

    @Test
    void theDrawsUseEveryClauseConflictPolicyAndNestedPath() {
        Set<Class<?>> clauses = new HashSet<>();
        Set<List<String>> paths = new HashSet<>();
        Set<ModelOp.Conflict> modes = EnumSet.noneOf(ModelOp.Conflict.class);
        boolean bareFail = false, blob = false;
        for (Object o : draws(1, 0.1)) {
            if (o instanceof RandomOps.DrawnInsert ins) {
                modes.add(ins.op().onConflict());
                bareFail |= !ins.conflictClause();
                if (!ins.conflictClause()) assertThat(ins.op().onConflict()).isEqualTo(ModelOp.Conflict.FAIL);
                blob |= ins.op().fields().containsKey("blob");
            } else {
                for (ModelOp.Change ch : ((ModelOp.Update) o).changes()) {
                    clauses.add(ch.getClass());
                    paths.add(ch.path());
                }
            }
        }
        assertThat(clauses)
                .containsExactlyInAnyOrder(
                        ModelOp.Increment.class, ModelOp.Restart.class, ModelOp.Set.class, ModelOp.Unset.class);
        assertThat(paths).contains(List.of("n"), List.of("o", "c"), List.of("o", "r", "s"), List.of("o", "p"));
        assertThat(modes).containsExactlyInAnyOrder(ModelOp.Conflict.values());
        assertThat(bareFail).isTrue();
        assertThat(blob).isTrue();
        assertThat(draws(1, 0))
                .noneMatch(o -> o instanceof RandomOps.DrawnInsert ins
                        && ins.op().fields().containsKey("blob"));
    }

    @Test
    void aBadBlobSettingIsRefused() {
        assertThatThrownBy(() -> new RandomOps(new Random(1), 0, 1.5, 10, 20))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blob chance 1.5");
        assertThatThrownBy(() -> new RandomOps(new Random(1), 0, 0.1, 20, 20))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("length 20..20");
    }
}
