package io.starling.internal.core;

/** Bytes that do not decode: truncated, malformed or out of range. */
public final class CodecException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CodecException(String message) {
        super(message);
    }
}
