package io.starling.internal.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.starling.ErrorCode;
import io.starling.StarlingException;

/** The one Jackson mapper of the library: values out as JSON text, items into application types. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(DeserializationFeature.USE_LONG_FOR_INTS, true);

    private Json() {}

    /** JSON text of a plain Java value (as {@code Value.toJava()} returns). Binary becomes base64. */
    static String write(Object javaValue) {
        try {
            return MAPPER.writeValueAsString(javaValue);
        } catch (JsonProcessingException e) {
            throw new StarlingException(ErrorCode.INTERNAL, "cannot write JSON: " + e.getOriginalMessage(), e);
        }
    }
}
