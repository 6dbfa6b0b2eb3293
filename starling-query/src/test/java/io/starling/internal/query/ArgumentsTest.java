package io.starling.internal.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.core.Value;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ArgumentsTest {
    @Test
    void aCopyHoldsEveryArgumentAndCannotBeChanged() {
        Map<String, Value> source = new HashMap<>();
        for (int i = 0; i < 1000; i++) source.put("d" + i, Value.of(i));
        Arguments args = Arguments.copyOf(source);
        source.put("late", Value.NULL); // the copy does not follow its source
        assertThat(args).hasSize(1000).containsEntry("d0", Value.of(0)).containsEntry("d999", Value.of(999));
        assertThat(args.get("late")).isNull();
        assertThat(args.containsKey("d500")).isTrue();
        assertThat(args.get(null)).isNull();
        assertThat(args).isEqualTo(Map.copyOf(args)); // a Map like any other
        assertThatThrownBy(() -> args.put("x", Value.NULL)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> args.remove("d0")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> args.entrySet().iterator().next().setValue(Value.NULL))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(args::clear).isInstanceOf(UnsupportedOperationException.class);
        assertThat(Arguments.copyOf(args)).isSameAs(args);
    }

    @Test
    void nullNamesAndValuesAndRepeatedNamesAreRefused() {
        Map<String, Value> nullValue = new HashMap<>();
        nullValue.put("a", null);
        assertThatThrownBy(() -> Arguments.copyOf(nullValue)).isInstanceOf(NullPointerException.class);
        Map<String, Value> nullName = new HashMap<>();
        nullName.put(null, Value.NULL);
        assertThatThrownBy(() -> Arguments.copyOf(nullName)).isInstanceOf(NullPointerException.class);
        Arguments.Builder b = Arguments.builder(1).put("a", Value.NULL);
        assertThatThrownBy(() -> b.put("a", Value.of(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("duplicate argument a");
        assertThat(b.build()).containsOnlyKeys("a");
        assertThatThrownBy(b::build).isInstanceOf(NullPointerException.class);
    }

    @Test
    void theEvaluationContextKeepsArgumentsAsTheyAreAndCopiesAnyOtherMap() {
        Arguments args = Arguments.builder(2).put("a", Value.of(1)).build();
        assertThat(new EvalContext(args, 0).arguments()).isSameAs(args);
        EvalContext copied = new EvalContext(Map.of("b", Value.of(2)), 0);
        assertThat(copied.arguments()).isInstanceOf(Arguments.class).containsOnlyKeys("b");
        // a statement reads its arguments through the context
        Statement s = Dql.parse("INSERT INTO c DOCUMENTS (:d0), (:d1)");
        Map<String, Value> docs = new HashMap<>();
        docs.put("d0", Value.fromJava(Map.of("x", 1)));
        docs.put("d1", Value.fromJava(Map.of("x", 2)));
        List<Value> out = QueryExecutor.insertDocuments((InsertStatement) s, new EvalContext(docs, 0));
        assertThat(out).containsExactly(docs.get("d0"), docs.get("d1"));
    }
}
