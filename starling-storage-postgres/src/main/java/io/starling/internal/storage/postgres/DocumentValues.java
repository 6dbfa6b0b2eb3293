package io.starling.internal.storage.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.index.IndexKeyCodec;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's {@link ValueProjection}: decodes a row's id ({@link IndexKeyCodec}) and its CRDT state ({@link
 * DocumentState}) and writes the visible document, {@code _id} first, as JSON the way the HTTP API does (binary as
 * base64 strings). A tombstone has no value (NULL).
 *
 * <p>NULL too, with a log line, for what {@code jsonb} cannot hold or what cannot be read: a string or field name
 * containing U+0000 (PostgreSQL's text types refuse it), and a state or id that does not decode (a damaged row; the
 * engine reports it when it reads the row). Thread-safe.
 */
public final class DocumentValues implements ValueProjection {
    /** The one instance: it has no state. */
    public static final DocumentValues INSTANCE = new DocumentValues();

    private static final Logger log = LoggerFactory.getLogger(DocumentValues.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private DocumentValues() {}

    @Override
    public @Nullable String json(String collection, byte[] id, boolean live, byte[] state) {
        if (!live) return null;
        Value.@Nullable Obj document;
        try {
            document = DocumentState.decode(state).document(IndexKeyCodec.decodeId(id));
        } catch (RuntimeException e) {
            log.warn(
                    "{}/{}: the state does not decode, its value column stays NULL: {}",
                    collection,
                    HexFormat.of().formatHex(id),
                    e.toString());
            return null;
        }
        if (document == null) return null;
        Object java = document.toJava();
        if (containsNul(java)) {
            log.debug(
                    "{}/{}: a string holds U+0000, which jsonb cannot store; its value column stays NULL",
                    collection,
                    HexFormat.of().formatHex(id));
            return null;
        }
        try {
            return MAPPER.writeValueAsString(java);
        } catch (JsonProcessingException e) {
            log.warn(
                    "{}/{}: cannot write the value as JSON: {}",
                    collection,
                    HexFormat.of().formatHex(id),
                    e.toString());
            return null;
        }
    }

    private static boolean containsNul(@Nullable Object value) {
        if (value instanceof String s) return s.indexOf('\0') >= 0;
        if (value instanceof List<?> list) {
            for (Object item : list) if (containsNul(item)) return true;
            return false;
        }
        if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (containsNul(e.getKey()) || containsNul(e.getValue())) return true;
            }
        }
        return false;
    }
}
