package io.starling.internal.query;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** The top-level fields an expression reads: what a prefiltered scan decodes to test a WHERE. */
class FieldRefsTest {
    private static Set<String> fields(String expr) {
        Set<String> out = FieldRefs.of(Parser.parseExpression(expr));
        assertThat(out).as(expr).isNotNull();
        return out;
    }

    @Test
    void aPathReadsItsFirstKey() {
        assertThat(fields("a = 1")).containsExactly("a");
        assertThat(fields("a.b.c > 2 AND d[3].e IS MISSING")).containsExactlyInAnyOrder("a", "d");
        assertThat(fields("x[0] = 1 OR y IS NOT VALUED")).containsExactlyInAnyOrder("x", "y");
    }

    @Test
    void idIsNeverListedAsEveryDocumentCarriesIt() {
        assertThat(fields("_id > 3")).isEmpty();
        assertThat(fields("IFMISSING(_id, 0) = a")).containsExactly("a");
        assertThat(fields("TRUE")).isEmpty();
    }

    @Test
    void withIdListsTheIdWhenTheExpressionReadsIt() {
        assertThat(FieldRefs.withId(Parser.parseExpression("_id > 3"))).containsExactly("_id");
        assertThat(FieldRefs.withId(Parser.parseExpression("IFMISSING(_id.x, 0) = a")))
                .containsExactlyInAnyOrder("_id", "a");
        assertThat(FieldRefs.withId(Parser.parseExpression("a = 1 OR b._id = 2")))
                .containsExactlyInAnyOrder("a", "b");
        assertThat(FieldRefs.withId(Parser.parseExpression("ANY _id IN arr SATISFIES _id = 1 END")))
                .containsExactly("arr");
        assertThat(FieldRefs.withId(Parser.parseExpression("TRUE"))).isEmpty();
    }

    @Test
    void everyOperandIsWalked() {
        assertThat(fields("CASE WHEN a IS NULL THEN b ELSE c END = lower(d)"))
                .containsExactlyInAnyOrder("a", "b", "c", "d");
        assertThat(fields("e BETWEEN f AND g")).containsExactlyInAnyOrder("e", "f", "g");
        assertThat(fields("h IN (i, j) AND k LIKE l ESCAPE m")).containsExactlyInAnyOrder("h", "i", "j", "k", "l", "m");
        assertThat(fields("{o: p, q: [r, -s]} = t")).containsExactlyInAnyOrder("p", "r", "s", "t");
        assertThat(fields("NOT (u + v > 1)")).containsExactlyInAnyOrder("u", "v");
    }

    @Test
    void boundVariablesAreNotFieldsButTheirSourcesAre() {
        assertThat(fields("ANY v IN arr SATISFIES v.x = w END")).containsExactlyInAnyOrder("arr", "w");
        assertThat(fields("array_length(ARRAY v * 2 FOR v IN nums WHEN v > lim END) > 0"))
                .containsExactlyInAnyOrder("nums", "lim");
        assertThat(fields("EVERY v IN arr SATISFIES v > 0 END")).containsExactly("arr");
    }

    @Test
    void constantsAndArgumentsReadNoField() {
        assertThat(fields(":p = 1 AND [1, 2][0] = 1")).isEmpty();
    }
}
