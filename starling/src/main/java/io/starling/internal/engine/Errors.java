package io.starling.internal.engine;

import io.starling.ErrorCode;
import io.starling.QueryException;
import io.starling.StarlingException;
import io.starling.internal.core.HybridLogicalClock;
import io.starling.internal.crdt.DocumentException;
import io.starling.internal.query.DqlException;
import io.starling.internal.storage.StorageException;

/** Translates the layers' own exceptions into the public family, once, keeping the cause. */
final class Errors {
    private Errors() {}

    static RuntimeException translate(RuntimeException e) {
        if (e instanceof StarlingException) return e;
        if (e instanceof DqlException q) return query(q);
        if (e instanceof StorageException s) return storage(s);
        if (e instanceof DocumentException d)
            return new StarlingException(ErrorCode.DOCUMENT_INVALID, String.valueOf(d.getMessage()), d);
        if (e instanceof HybridLogicalClock.ClockDriftException c) {
            return new StarlingException(ErrorCode.CLOCK_DRIFT, String.valueOf(c.getMessage()), c);
        }
        return new StarlingException(ErrorCode.INTERNAL, "internal error: " + e, e);
    }

    static QueryException query(DqlException e) {
        ErrorCode code;
        switch (e.kind()) {
            case SYNTAX:
                code = ErrorCode.QUERY_SYNTAX;
                break;
            case ARGUMENT:
                code = ErrorCode.QUERY_ARGUMENT;
                break;
            case UNSUPPORTED:
                code = ErrorCode.QUERY_UNSUPPORTED;
                break;
            case TIMEOUT:
                code = ErrorCode.QUERY_TIMEOUT;
                break;
            default:
                code = ErrorCode.QUERY_INVALID;
        }
        return new QueryException(code, String.valueOf(e.getMessage()), e.line(), e.column(), e);
    }

    static StarlingException storage(StorageException e) {
        ErrorCode code;
        switch (e.code()) {
            case LOCKED:
                code = ErrorCode.STORE_LOCKED;
                break;
            case CORRUPT:
                code = ErrorCode.STORE_CORRUPT;
                break;
            case NEWER_SCHEMA:
                code = ErrorCode.STORE_NEWER_SCHEMA;
                break;
            case CLOSED:
                code = ErrorCode.CLOSED;
                break;
            case FULL:
                code = ErrorCode.STORE_FULL;
                break;
            default:
                code = ErrorCode.STORE_IO;
        }
        return new StarlingException(code, String.valueOf(e.getMessage()), e);
    }
}
