package io.starling.internal.storage;

import org.jspecify.annotations.Nullable;

/** A storage failure with a stable code; the facade maps it to the public error codes. */
public final class StorageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public enum Code {
        /** Another instance or process holds the directory lock. */
        LOCKED,
        /** The database file is damaged or is not a Starling database. */
        CORRUPT,
        /** The database schema is newer than this code supports. */
        NEWER_SCHEMA,
        /**
         * No space left: the disk (or the file system's quota) is full, or the database reached a size limit.
         * The failed transaction was rolled back; writes succeed again once space is freed.
         */
        FULL,
        /** Any other I/O or SQLite failure. */
        IO,
        /** The storage is closed. */
        CLOSED
    }

    private final Code code;

    public StorageException(Code code, String message, @Nullable Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public StorageException(Code code, String message) {
        this(code, message, null);
    }

    public Code code() {
        return code;
    }
}
