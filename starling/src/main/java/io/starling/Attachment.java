package io.starling;

import java.io.InputStream;
import java.nio.file.Path;

/**
 * The content of an attachment held by this peer (its hash verified). Reading it reads the file beside the database;
 * nothing is held in memory. The blob stays readable while this object is reachable and at least for the garbage
 * collector's grace period (docs/ATTACHMENTS.md). Thread-safe.
 */
public interface Attachment {

    AttachmentToken token();

    /**
     * The whole content in memory. Only for small attachments: prefer {@link #inputStream()} or {@link #copyTo(Path)}.
     *
     * @throws StarlingException {@link ErrorCode#ATTACHMENT_TOO_LARGE} above 2 GiB − 16 bytes (a Java array's
     *     limit); {@link ErrorCode#STORE_IO} when the file cannot be read
     */
    byte[] data();

    /**
     * Copies the content to {@code target} (replaced if it exists), streaming. Written to a temporary file beside it
     * and renamed, so {@code target} never holds part of the content.
     *
     * @throws StarlingException {@link ErrorCode#STORE_IO} naming the path that failed
     */
    void copyTo(Path target);

    /**
     * A stream of the content; the caller closes it.
     *
     * @throws StarlingException {@link ErrorCode#STORE_IO} when the file cannot be opened
     */
    InputStream inputStream();
}
