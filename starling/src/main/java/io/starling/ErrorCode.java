package io.starling;

/**
 * Stable error codes. {@link #code()} is part of the API (the HTTP API and the CLI print it); new codes
 * may be added, existing ones never change meaning.
 *
 * <p>A <em>user error</em> is a mistake in what the caller asked for (a bad statement, argument, document
 * or option); the CLI exits with 2 for these and with 1 for everything else.
 */
public enum ErrorCode {
    /** The statement does not parse. The message gives line and column. */
    QUERY_SYNTAX("query/syntax-error", true),
    /** The statement parses but is ill-typed or invalid (a bad operand, unknown function, wrong arity). */
    QUERY_INVALID("query/invalid", true),
    /** A named argument is referenced but not supplied, or has a value DQL cannot use. */
    QUERY_ARGUMENT("query/argument", true),
    /** The statement is valid DQL that this version does not execute yet. */
    QUERY_UNSUPPORTED("query/unsupported", true),
    /**
     * The statement ran longer than its time limit ({@link StarlingConfig#statementTimeout()}) and was stopped; a
     * write statement was rolled back. The message names the limit. A user error: the statement asks for more work
     * than the limit allows (an unindexed filter over a large collection, a backtracking regular expression).
     */
    QUERY_TIMEOUT("query/timeout", true),
    /** INSERT with ON ID CONFLICT FAIL (the default) found a document with that id. */
    DOCUMENT_ID_CONFLICT("document/id-conflict", false),
    /** An {@code _id} that is null, a float, binary or an array, or an attempt to change an {@code _id}. */
    DOCUMENT_INVALID_ID("document/invalid-id", true),
    /** A document that is not an object, or holds a value the data model rejects. */
    DOCUMENT_INVALID("document/invalid", true),
    /** A local write would make a document larger than 5 MiB. */
    DOCUMENT_TOO_LARGE("document/too-large", true),
    /** A write was attempted inside a read-only transaction. */
    TRANSACTION_READ_ONLY("transaction/read-only", true),
    /** Configuration rejected before anything was opened. */
    CONFIG_INVALID("config/invalid", true),
    /**
     * A change-feed cursor ({@link Store#changes}) that this store never gave: negative, or beyond the last change
     * committed (a cursor of another database).
     */
    CHANGES_CURSOR("store/invalid-cursor", true),
    /**
     * A change-feed cursor ({@link Store#changes}) older than tombstones this store has purged since: deletes after
     * it are gone from the feed, so reading on from it would miss them. Start again from 0 (the current state of every
     * document) and reconcile.
     */
    CHANGES_CURSOR_EXPIRED("store/cursor-expired", true),
    /** The database directory is held by another Starling instance or process. */
    STORE_LOCKED("store/locked", false),
    /** The database file is damaged, or is not a Starling database. */
    STORE_CORRUPT("store/corrupt", false),
    /** The database was written by a newer Starling with a schema this version cannot read. */
    STORE_NEWER_SCHEMA("store/newer-schema", false),
    /** The database belongs to a different app id than the one configured. */
    STORE_APP_MISMATCH("store/app-mismatch", false),
    /** An I/O or SQLite failure. */
    STORE_IO("store/io", false),
    /**
     * No space left to write the database: the disk (or the user's quota) is full. The write was rolled back and
     * nothing of it applied; writes succeed again once space is freed, without a restart. Until then
     * {@link Store#health()} reports it.
     */
    STORE_FULL("store/full", false),
    /** The instance is closed. */
    CLOSED("store/closed", false),
    /** Networking failed to start: an address that cannot be bound, no network provider on the class path. */
    NETWORK_IO("network/io", false),
    /** A remote write carries a timestamp too far ahead of this peer's clock. */
    CLOCK_DRIFT("sync/clock-drift", false),
    /**
     * The identity a statement runs as (an HTTP API key) may not read or write what the statement touches: a
     * document whose state before or after the write fails every write condition of its collection, a system
     * collection, an index. Nothing of the statement was written.
     */
    PERMISSION_DENIED("permission/denied", true),
    /** The attachment is not held here and could not be fetched: the message says why. */
    ATTACHMENT_UNAVAILABLE("attachment/unavailable", false),
    /** A fetch of an attachment was cancelled. */
    ATTACHMENT_CANCELLED("attachment/cancelled", false),
    /**
     * An attachment too large for what was asked: larger than the peer's limit ({@code
     * StarlingConfig.Attachments#maxBytes}), or {@link Attachment#data()} of more than 2 GiB.
     */
    ATTACHMENT_TOO_LARGE("attachment/too-large", true),
    /** A failure inside application code run by a transaction. */
    TRANSACTION_FAILED("transaction/failed", false),
    /** A bug in Starling. Please report it. */
    INTERNAL("internal", false);

    private final String code;
    private final boolean userError;

    ErrorCode(String code, boolean userError) {
        this.code = code;
        this.userError = userError;
    }

    /** The stable string form, such as {@code query/syntax-error}. */
    public String code() {
        return code;
    }

    /** True when the caller's input is at fault (CLI exit status 2, HTTP status 400). */
    public boolean isUserError() {
        return userError;
    }
}
