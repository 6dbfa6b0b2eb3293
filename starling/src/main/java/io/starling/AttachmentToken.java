package io.starling;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A reference to an attachment: an immutable blob of bytes stored beside the database and synced lazily. A token is
 * what a document holds, never the bytes: put it in a field through a statement argument
 * ({@code INSERT INTO c DOCUMENTS ({'_id': 1, 'photo': :photo})} with {@code photo} = the token) and it comes back
 * out of query results as an {@code AttachmentToken} (in {@link QueryResultItem#value()}; in JSON as
 * {@code {"_attachment": {"id": …, "len": …, "metadata": {…}}}}). docs/ATTACHMENTS.md describes how a token is
 * stored in a document and how attachments travel.
 *
 * @param id the SHA-256 of the content, 64 lowercase hexadecimal digits
 * @param len the content's length in bytes
 * @param metadata free-form text the application attaches (a file name, a MIME type); never null, unmodifiable
 */
public record AttachmentToken(String id, long len, Map<String, String> metadata) {

    /** At most this many bytes of metadata (keys and values, UTF-8): a token lives in a document. */
    public static final int MAX_METADATA_BYTES = 4096;

    /**
     * @throws IllegalArgumentException for an id that is not 64 lowercase hex digits, a negative length, or metadata
     *     larger than {@link #MAX_METADATA_BYTES}
     */
    public AttachmentToken {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(metadata, "metadata");
        if (!isId(id)) {
            throw new IllegalArgumentException("an attachment id is 64 lowercase hex digits (a SHA-256), got '"
                    + (id.length() > 80 ? id.substring(0, 80) + "…" : id) + "'");
        }
        if (len < 0) throw new IllegalArgumentException("an attachment's length is never negative, got " + len);
        long bytes = 0;
        TreeMap<String, String> copy = new TreeMap<>();
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            String k = Objects.requireNonNull(e.getKey(), "a metadata key");
            String v = Objects.requireNonNull(e.getValue(), () -> "the value of metadata key '" + k + "'");
            bytes += k.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                    + v.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            copy.put(k, v);
        }
        if (bytes > MAX_METADATA_BYTES) {
            throw new IllegalArgumentException("an attachment's metadata takes at most " + MAX_METADATA_BYTES
                    + " bytes of UTF-8, this one " + bytes);
        }
        metadata = java.util.Collections.unmodifiableMap(copy);
    }

    /** Whether {@code s} has the form of an attachment id (64 lowercase hex digits). */
    public static boolean isId(String s) {
        if (s.length() != 64) return false;
        for (int i = 0; i < 64; i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
        }
        return true;
    }
}
