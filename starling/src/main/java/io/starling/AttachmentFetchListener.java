package io.starling;

/**
 * Hears how a fetch of an attachment goes ({@link Store#fetchAttachment}).
 *
 * <p>Thread: the instance's attachment thread ({@code starling-attachments}); calls for one fetch never overlap, and
 * {@link #completed} or {@link #failed} comes exactly once, last. Return quickly: other fetches wait meanwhile. An
 * exception a method throws is logged and ignored.
 */
public interface AttachmentFetchListener {

    /** Some bytes arrived and were verified: {@code done} of {@code total} are held now. */
    default void progress(long done, long total) {}

    /** The whole content is held, its SHA-256 verified. */
    void completed(Attachment attachment);

    /**
     * The fetch stopped without the content: {@code code} is {@link ErrorCode#ATTACHMENT_CANCELLED}, or
     * {@link ErrorCode#ATTACHMENT_UNAVAILABLE} ({@code reason} says why: no connected peer holds it, it did not
     * arrive in time, every peer that offered it sent bytes that did not verify), {@link ErrorCode#STORE_IO}, or
     * {@link ErrorCode#CLOSED} when the instance closes first.
     */
    void failed(ErrorCode code, String reason);
}
