package io.starling.cli;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * Named arguments given as JSON text ({@code --args} and the shell's {@code .args}), and the JSON text of single
 * values for the output formats. Integers become {@link Long} (a {@code BigInteger} if they do not fit), other
 * numbers {@link Double}, objects ordered maps.
 */
final class JsonArgs {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.USE_LONG_FOR_INTS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private JsonArgs() {}

    /**
     * Parses a JSON object into argument values.
     *
     * @throws IllegalArgumentException naming the problem (and where it is) if {@code json} is not one JSON object
     */
    static Map<String, Object> parse(String json) {
        Object value;
        try {
            value = MAPPER.readValue(json, Object.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + describe(e));
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("expected a JSON object such as {\"id\": 1}, got " + typeOf(value));
        }
        Map<String, Object> args = new LinkedHashMap<>();
        map.forEach((k, v) -> args.put((String) k, v));
        return Collections.unmodifiableMap(args);
    }

    /** What is wrong with malformed JSON and where: {@code Unexpected end-of-input ... (line 1, column 7)}. */
    static String describe(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
        return oneLine(e.getOriginalMessage()) + where;
    }

    /**
     * Reads JSON text (UTF-8) as a tree, with the same rules as {@link #parse}: one value, no duplicate keys.
     *
     * @throws JsonProcessingException for malformed JSON (see {@link #describe})
     */
    static JsonNode readTree(byte[] json) throws JsonProcessingException {
        try {
            JsonNode node = MAPPER.readTree(json);
            if (node == null || node.isMissingNode()) throw new JsonParseException(null, "no JSON value");
            return node;
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            // reading from a byte array fails only on malformed input
            throw new JsonParseException(null, e.getMessage());
        }
    }

    /** The plain Java values of a JSON object tree: ordered maps, lists, Long, Double, String, Boolean, null. */
    static Map<String, Object> values(JsonNode object) {
        Map<String, Object> values = new LinkedHashMap<>();
        object.properties().forEach(f -> values.put(f.getKey(), value(f.getValue())));
        return Collections.unmodifiableMap(values);
    }

    /** The plain Java value of a JSON tree (as {@link #parse} makes them). */
    static Object value(JsonNode node) {
        return MAPPER.convertValue(node, Object.class);
    }

    /** The JSON tree of plain Java values (for a request body). */
    static JsonNode tree(Object value) {
        return MAPPER.valueToTree(value);
    }

    /** Compact JSON text of a plain Java value as {@code QueryResultItem.value()} holds them. */
    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            // only plain values reach here: this is a bug, not a user error
            throw new IllegalStateException("cannot write " + value.getClass().getName() + " as JSON", e);
        }
    }

    private static String typeOf(Object value) {
        if (value == null) return "null";
        if (value instanceof List) return "an array";
        if (value instanceof String) return "a string";
        if (value instanceof Boolean) return "a boolean";
        return "a number";
    }

    private static String oneLine(String message) {
        return message == null ? "malformed" : message.replaceAll("\\s*\\R\\s*", " ");
    }

    /** Named arguments as a value of their own, so that picocli does not treat the option as {@code key=value}. */
    record NamedArgs(Map<String, Object> values) {
        static final NamedArgs NONE = new NamedArgs(Map.of());
    }

    /** Reports malformed {@code --args} to picocli, which prints it as a usage error (exit status 2). */
    static final class Converter implements CommandLine.ITypeConverter<NamedArgs> {
        @Override
        public NamedArgs convert(String value) {
            try {
                return new NamedArgs(parse(value));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
