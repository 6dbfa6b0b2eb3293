package io.starling.internal.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ValueFromJavaTest {
    /** Stands for an application type the plain rules do not know (as the engine's attachment tokens are). */
    private record Token(String name) {}

    private static final Value.Special SPECIAL = o -> {
        if (o instanceof Token t) return Value.of("token:" + t.name());
        if (o instanceof Map<?, ?> m && m.size() == 1 && m.get("$token") instanceof String name)
            return Value.of("shape:" + name);
        return null;
    };

    @Test
    void theSpecialConversionIsConsultedForMapsAndUnknownTypesAtEveryDepth() {
        Value v = Value.fromJava(
                Map.of(
                        "a", new Token("x"),
                        "b", List.of(1, Map.of("$token", "y"), Map.of("c", new Token("z"))),
                        "d", Map.of("e", "plain")),
                SPECIAL);
        assertThat(v)
                .isEqualTo(Value.fromJava(Map.of(
                        "a", "token:x",
                        "b", List.of(1, "shape:y", Map.of("c", "token:z")),
                        "d", Map.of("e", "plain"))));
    }

    @Test
    void whatTheSpecialConversionDeclinesFollowsThePlainRules() {
        assertThatThrownBy(() -> Value.fromJava(List.of(new Object()), SPECIAL))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unsupported value type java.lang.Object");
        List<Object> deep = new ArrayList<>();
        Object inner = "leaf";
        for (int i = 0; i < Limits.MAX_DEPTH + 1; i++) inner = Map.of("k", inner);
        deep.add(inner);
        assertThatThrownBy(() -> Value.fromJava(deep, SPECIAL))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nested more than");
        assertThat(Value.fromJava(Map.of("$token", 1), SPECIAL)).isEqualTo(Value.fromJava(Map.of("$token", 1)));
    }
}
