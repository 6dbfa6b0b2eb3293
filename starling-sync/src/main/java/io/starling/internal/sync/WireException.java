package io.starling.internal.sync;

/**
 * Bytes from a peer that are not a valid frame or message. {@link #reason()} is the close reason to send:
 * {@code malformed}, or {@code oversize} for a frame longer than the maximum. The only exception that
 * {@link WireCodec#decode} and {@link FrameDecoder} throw.
 */
public final class WireException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String reason;

    public WireException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** The stable close reason: {@link SyncSession#MALFORMED} or {@link SyncSession#OVERSIZE}. */
    public String reason() {
        return reason;
    }

    static WireException malformed(String message) {
        return new WireException(SyncSession.MALFORMED, message);
    }
}
