package io.starling.internal.auth;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.starling.internal.core.Value;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * JSON in and out of the auth module. Input is hostile: its size is bounded by the caller, nesting and string
 * lengths by the parser, a duplicate member is refused (two readers could otherwise take different ones), and
 * trailing content after the value is refused.
 */
final class AuthJson {
    /** Deeper than any config, answer or claims need; metadata has its own, smaller limit. */
    static final int MAX_DEPTH = 32;

    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_DEPTH)
                            .maxNumberLength(64)
                            .maxStringLength(1 << 20)
                            .build())
                    .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .configure(DeserializationFeature.USE_LONG_FOR_INTS, true)
            .configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true)
            .configure(JsonParser.Feature.ALLOW_COMMENTS, false);

    private AuthJson() {}

    /**
     * Parses one JSON value.
     *
     * @throws IllegalArgumentException saying what is wrong and where (line and column), without quoting the input
     */
    static Value parse(byte[] json) {
        Object java;
        try {
            java = MAPPER.readValue(json, Object.class);
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            // Jackson's own message quotes the input, which may hold a token or a secret: say only where
            String where = loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
            throw new IllegalArgumentException("is not valid JSON" + where); // no cause: it quotes the input
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot be read as JSON");
        }
        if (java == null) return Value.NULL;
        try {
            return Value.fromJava(java);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("is not valid here (" + e.getMessage() + ")", e);
        }
    }

    static Value parse(String json) {
        return parse(json.getBytes(StandardCharsets.UTF_8));
    }

    /** Compact JSON text of a value made of JSON types (no binary). */
    static String write(Value value) {
        try {
            return MAPPER.writeValueAsString(value.toJava());
        } catch (JsonProcessingException e) {
            throw new AuthException(AuthException.Code.INTERNAL, "cannot write JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** What kind of JSON value this is, for messages: "a string", "an object". */
    static String kind(Value v) {
        if (v instanceof Value.Str) return "a string";
        if (v instanceof Value.Obj) return "an object";
        if (v instanceof Value.Arr) return "an array";
        if (v instanceof Value.Bool) return "a boolean";
        if (v.isNumber()) return "a number";
        return "null";
    }
}
