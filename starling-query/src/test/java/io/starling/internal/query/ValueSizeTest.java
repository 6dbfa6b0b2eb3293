package io.starling.internal.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.core.Value;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One limit, {@link ValueSize#MAX}, on every value a statement builds, checked where it is built (before the
 * allocation where the size is known in advance): a statement cannot exhaust memory by building one huge value.
 */
class ValueSizeTest {
    private static final long MAX = ValueSize.MAX;

    private static void assertTooLarge(String expr, String builder) {
        assertThatThrownBy(() -> Eval.value(expr)).as(expr).isInstanceOfSatisfying(DqlException.class, e -> {
            assertThat(e.kind()).isEqualTo(DqlException.Kind.INVALID);
            assertThat(e.detail())
                    .startsWith(builder + " would build a value of size ")
                    .contains("above the limit of " + MAX + " for a value built by a statement");
        });
    }

    @Test
    void repeatIsCheckedBeforeItAllocates() {
        assertTooLarge("repeat('a', 1000000000000)", "repeat");
        assertTooLarge("repeat('ab', 9223372036854775807)", "repeat"); // the product overflows 64 bits
        assertTooLarge("repeat('a', " + (MAX + 1) + ")", "repeat");
        assertThat(Eval.value("length(repeat('a', " + MAX + "))")).isEqualTo(Value.of(MAX));
        assertThat(Eval.value("repeat('a', -1)")).isEqualTo(Value.NULL);
    }

    @Test
    void theErrorNamesTheFunctionAndWhereItIsCalled() {
        assertThat(Dql.parse("SELECT repeat('a', 1e12) AS x FROM c"))
                .as("parsing is fine: the size is known only when running")
                .isInstanceOf(SelectStatement.class);
        SelectStatement s = (SelectStatement) Dql.parse("SELECT\n  upper(repeat(x, 1e12)) AS y FROM c");
        InMemorySource src = new InMemorySource().add("c", "{'_id': 1, 'x': 'ab'}");
        assertThatThrownBy(() -> QueryExecutor.select(s, src, Eval.ctx()))
                .hasMessageStartingWith("line 2, column 9: repeat would build a value of size 2000000000000 or more");
    }

    @Test
    void stringsBuiltByConcatenationAreChecked() {
        String half = "repeat('a', " + (MAX / 2 + 1) + ")";
        assertTooLarge(half + " || " + half, "||");
        assertTooLarge("concat(" + half + ", " + half + ")", "concat");
        assertTooLarge("replace(repeat('a', 1000), 'a', repeat('b', 20000))", "replace");
        assertTooLarge("tostring([repeat('\"', " + (MAX / 2) + ")])", "a conversion to string"); // quotes escape
        assertThat(Eval.value("length(" + half + " || 'b')")).isEqualTo(Value.of(MAX / 2 + 2));
    }

    @Test
    void arraysAndObjectsBuiltFromLargeValuesAreChecked() {
        String big = "repeat('a', " + (MAX / 3) + ")";
        assertTooLarge("[" + big + ", " + big + ", " + big + ", " + big + "]", "an array constructor [...]");
        assertTooLarge(
                "{'a': " + big + ", 'b': " + big + ", 'c': " + big + ", 'd': " + big + "}",
                "an object constructor {...}");
        assertTooLarge("ARRAY " + big + " FOR v IN [1, 2, 3, 4] END", "ARRAY … FOR");
        assertTooLarge("split(repeat(',', " + MAX + "), ',')", "split");
    }

    @Test
    void concatenatingArraysStopsAtTheLimit() {
        java.util.List<Value> items = new java.util.ArrayList<>();
        for (int i = 0; i < 1_000_000; i++) items.add(Value.of((long) i));
        Map<String, Value> args = Map.of("a", new Value.Arr(items));
        String seventeen = "array_concat(:a" + ", :a".repeat(16) + ")";
        assertThatThrownBy(() -> Eval.eval(seventeen, Value.Obj.EMPTY, args))
                .isInstanceOf(DqlException.class)
                .hasMessageStartingWith("line 1, column 1: array_concat would build a value of size");
        assertThat(Eval.eval("array_length(array_concat(:a, :a))", Value.Obj.EMPTY, args))
                .isEqualTo(Value.of(2_000_000L));
    }

    @Test
    void theSizeCountsCharactersItemsAndFields() {
        assertThat(ValueSize.of(Eval.value("'abc'"))).isEqualTo(3);
        assertThat(ValueSize.of(Eval.value("''"))).isEqualTo(1);
        assertThat(ValueSize.of(Eval.value("[1, 'ab', NULL]"))).isEqualTo(1 + 1 + 2 + 1);
        assertThat(ValueSize.of(Eval.value("{'ab': [TRUE], 'c': {}}"))).isEqualTo(1 + 2 + 2 + 1 + 1);
        assertThat(ValueSize.of(Eval.value("[[1, 2], [3, 4]]"), 3))
                .as("counting stops past the limit")
                .isEqualTo(4);
    }
}
