package io.starling;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One entry of the store's change feed ({@link Store#changes}): the latest state of one document.
 *
 * <p>The feed holds one entry per document, its latest state: a document written again moves to the end of the
 * feed with a new cursor, and its earlier entry is gone. So a reader sees every document's latest state, in the
 * order of their last commits, but may skip intermediate versions of a document.
 *
 * @param cursor this entry's position in the feed: reading again {@link Store#changes after} it returns only later
 *     entries. Positive; later commits have greater cursors. Valid for this database only.
 * @param collection the document's collection
 * @param idJson the document's {@code _id} as JSON (a string, a number, a boolean or an object)
 * @param deleted true when the document is deleted (a tombstone), false when it exists
 * @param valueJson the whole document as JSON, {@code _id} first, or null when {@code deleted}
 * @param hlc the greatest hybrid-logical-clock timestamp in the document's state (48-bit milliseconds, 16-bit
 *     counter): the time of its latest write, as the writer's clock saw it
 */
public record StoreChange(
        long cursor,
        String collection,
        String idJson,
        boolean deleted,
        @Nullable String valueJson,
        long hlc) {
    public StoreChange {
        Objects.requireNonNull(collection, "collection");
        Objects.requireNonNull(idJson, "idJson");
        if (deleted != (valueJson == null)) {
            throw new IllegalArgumentException("valueJson must be null exactly when the change is a delete");
        }
    }

    /**
     * This change as one line of JSON, the shape every change-data-capture consumer sees (the HTTP change feed's
     * {@code data:} lines, the values of the Kafka sink's records): {@code {"cursor":"17","collection":"cars",
     * "id":"a","op":"upsert","value":{…},"hlc":…}}. {@code cursor} is a string of decimal digits; {@code op} is
     * {@code delete} and {@code value} null for a deleted document.
     */
    public String toJson() {
        StringBuilder sb = new StringBuilder(64 + idJson.length() + (valueJson == null ? 0 : valueJson.length()));
        sb.append("{\"cursor\":\"").append(cursor).append("\",\"collection\":\"");
        com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(collection, sb);
        sb.append("\",\"id\":").append(idJson);
        sb.append(",\"op\":\"").append(deleted ? "delete" : "upsert").append('"');
        sb.append(",\"value\":").append(deleted ? "null" : valueJson);
        sb.append(",\"hlc\":").append(hlc).append('}');
        return sb.toString();
    }

    /**
     * A page of the change feed.
     *
     * @param changes the entries, in cursor order (empty when nothing later matches)
     * @param cursor where the next read starts: the cursor of the last entry the read examined, which is at least
     *     that of the last entry returned (entries of other collections are examined and skipped), or the cursor
     *     given when nothing was examined
     */
    public record Page(java.util.List<StoreChange> changes, long cursor) {
        public Page {
            changes = java.util.List.copyOf(changes);
        }
    }
}
