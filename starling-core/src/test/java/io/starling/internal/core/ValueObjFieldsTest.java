package io.starling.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link Value.Obj#ofFields}, the array-backed object of a scan's filter rows: an object like any other. */
class ValueObjFieldsTest {
    @Test
    void anArrayBackedObjectEqualsTheSameMapBackedOneAndDropsMissing() {
        Value.Obj small = Value.Obj.ofFields(
                new String[] {"_id", "a", "gone", "b"},
                new Value[] {Value.of("x"), new Value.Int(1), Value.MISSING, Value.NULL},
                4);
        LinkedHashMap<String, Value> map = new LinkedHashMap<>();
        map.put("_id", Value.of("x"));
        map.put("a", new Value.Int(1));
        map.put("b", Value.NULL);
        Value.Obj big = Value.Obj.ofOwned(map);
        assertThat(small).isEqualTo(big);
        assertThat(big).isEqualTo(small);
        assertThat(small.hashCode()).isEqualTo(big.hashCode());
        assertThat(small.toString()).isEqualTo(big.toString());
        assertThat(small.size()).isEqualTo(3);
        assertThat(List.copyOf(small.fields().keySet())).containsExactly("_id", "a", "b");
        assertThat(small.get("a")).isEqualTo(new Value.Int(1));
        assertThat(small.get("gone")).isSameAs(Value.MISSING);
        assertThat(small.get("nope")).isSameAs(Value.MISSING);
        assertThat(small.fields().containsKey("b")).isTrue();
        assertThat(small.fields().containsKey("gone")).isFalse();
        assertThatThrownBy(() -> small.fields().put("c", Value.NULL)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(Value.Obj.ofFields(new String[] {"a"}, new Value[] {Value.TRUE}, 0))
                .isEqualTo(new Value.Obj(Map.of()));
    }

    @Test
    void aCountBeyondTheArraysIsRefused() {
        assertThatThrownBy(() -> Value.Obj.ofFields(new String[1], new Value[2], 2))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
