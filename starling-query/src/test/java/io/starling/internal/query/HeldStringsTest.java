package io.starling.internal.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.core.Value;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The strings a WHERE's matches must hold ({@link QueryPlan#heldStrings}), which a store may use to leave out rows
 * whose stored form cannot hold them: only conjuncts {@code path = string} qualify, never a branch of OR or NOT,
 * another operator, a non-string constant, or {@code _id} (not among the stored values).
 */
class HeldStringsTest {
    private static List<String> held(String where) {
        Env env = new Env(new EvalContext(Map.of("s", new Value.Str("arg"), "n", new Value.Int(1)), 0), 0);
        return QueryPlan.heldStrings(Parser.parseExpression(where), env);
    }

    @Test
    void conjunctsComparingAPathWithAStringOnEitherSide() {
        assertThat(held("a = 'x'")).containsExactly("x");
        assertThat(held("a = 'x' AND b > 3 AND 'y' = c.d AND e[0] = :s")).containsExactly("x", "y", "arg");
        assertThat(held("(a = 'x' AND b = 'é') AND c = ''")).containsExactly("x", "é", "");
    }

    @Test
    void nothingElseIsHeld() {
        assertThat(held("a = 'x' OR b = 'y'")).isEmpty();
        assertThat(held("NOT (a = 'x')")).isEmpty();
        assertThat(held("a != 'x' AND a LIKE 'x' AND a IN ['x'] AND a > 'x'")).isEmpty();
        assertThat(held("a = 1 AND b = :n AND c = :absent AND d = TRUE AND e = ['x']"))
                .isEmpty();
        assertThat(held("lower(a) = 'x' AND a || '' = 'x' AND a = b")).isEmpty();
        assertThat(held("_id = 'x' AND _id.k = 'y' AND 'z' = _id")).isEmpty();
        assertThat(held("a = 'x' OR (b = 'y' AND c = 'z')")).isEmpty();
    }
}
