package io.starling;

import java.util.Map;

/** One result item, readable three ways. Immutable. */
public interface QueryResultItem {

    /** The item as compact JSON text. Binary values are base64 strings. */
    String json();

    /**
     * The item as an unmodifiable map of plain Java values (null, Boolean, Long, Double, String, byte[],
     * List, Map), keeping the projection's field order.
     */
    Map<String, Object> value();

    /**
     * The item mapped to an application class or record through Jackson. Unknown fields are ignored.
     *
     * @throws StarlingException with {@link ErrorCode#DOCUMENT_INVALID} if the item does not fit the type
     */
    <T> T as(Class<T> type);
}
