package io.starling;

/**
 * A running fetch of an attachment ({@link Store#fetchAttachment}). Closing it cancels the fetch; both are idempotent
 * and never throw. Thread-safe.
 */
public interface AttachmentFetcher extends AutoCloseable {

    AttachmentToken token();

    /** Bytes of the content held and verified so far. */
    long bytesDone();

    /** True once the fetch completed, failed or was cancelled. */
    boolean isDone();

    /**
     * Stops the fetch: the listener gets {@link AttachmentFetchListener#failed} with {@link ErrorCode#ATTACHMENT_CANCELLED}
     * (unless it completed or failed already). The verified part stays on disk, so a later fetch resumes from it.
     */
    void cancel();

    /** Same as {@link #cancel()}. */
    @Override
    void close();
}
