package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonArgsTest {

    @Test
    void integersAreLongsAndObjectsKeepTheirOrder() {
        Map<String, Object> args = JsonArgs.parse("{\"n\": 1, \"f\": 1.5, \"s\": \"x\", \"b\": true, \"z\": null,"
                + " \"a\": [1, {\"k\": 2}], \"o\": {\"y\": 1, \"x\": 2}}");
        assertThat(args).containsKeys("n", "f", "s", "b", "z", "a", "o");
        assertThat(args.get("n")).isEqualTo(1L);
        assertThat(args.get("f")).isEqualTo(1.5);
        assertThat(args.get("a")).isEqualTo(List.of(1L, Map.of("k", 2L)));
        assertThat(((Map<?, ?>) args.get("o")).keySet().toString()).isEqualTo("[y, x]");
        assertThat(args.keySet()).containsExactly("n", "f", "s", "b", "z", "a", "o");
    }

    @Test
    void emptyObjectIsNoArguments() {
        assertThat(JsonArgs.parse(" {} ")).isEmpty();
    }

    @Test
    void anythingButAnObjectIsRefused() {
        assertThatThrownBy(() -> JsonArgs.parse("[1]"))
                .hasMessageStartingWith("expected a JSON object")
                .hasMessageEndingWith("got an array");
        assertThatThrownBy(() -> JsonArgs.parse("42")).hasMessageEndingWith("got a number");
        assertThatThrownBy(() -> JsonArgs.parse("null")).hasMessageEndingWith("got null");
    }

    @Test
    void malformedJsonSaysWhere() {
        assertThatThrownBy(() -> JsonArgs.parse("{\"a\": }"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not valid JSON: ")
                .hasMessageContaining("(line 1, column 7)")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThatThrownBy(() -> JsonArgs.parse("")).hasMessageStartingWith("not valid JSON: ");
    }

    @Test
    void trailingTextAndDuplicateKeysAreRefused() {
        assertThatThrownBy(() -> JsonArgs.parse("{\"a\": 1} x")).hasMessageStartingWith("not valid JSON: ");
        assertThatThrownBy(() -> JsonArgs.parse("{\"a\": 1, \"a\": 2}")).hasMessageContaining("Duplicate field 'a'");
    }
}
