package io.starling;

import org.jspecify.annotations.Nullable;

/**
 * The one exception family of the Starling API. Every failure a caller can see is a StarlingException
 * (or a subclass) with a stable {@link ErrorCode}; the cause, if any, is kept.
 */
public class StarlingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode errorCode;

    public StarlingException(ErrorCode errorCode, String message) {
        this(errorCode, message, null);
    }

    public StarlingException(ErrorCode errorCode, String message, @Nullable Throwable cause) {
        super(message, cause);
        this.errorCode = errorCode;
    }

    public ErrorCode errorCode() {
        return errorCode;
    }

    /** True when the caller's input is at fault. */
    public boolean isUserError() {
        return errorCode.isUserError();
    }
}
