package io.starling;

import org.jspecify.annotations.Nullable;

/**
 * A statement that cannot run: a syntax error, an invalid expression or a missing argument. When the
 * problem has a place in the statement, {@link #line()} and {@link #column()} give it (1-based) and the
 * message starts with {@code line L, column C: }.
 */
public final class QueryException extends StarlingException {
    private static final long serialVersionUID = 1L;

    private final int line;
    private final int column;

    public QueryException(ErrorCode code, String message, int line, int column) {
        this(code, message, line, column, null);
    }

    public QueryException(ErrorCode code, String message, int line, int column, @Nullable Throwable cause) {
        super(code, message, cause);
        this.line = line;
        this.column = column;
    }

    /** 1-based line of the problem, or 0 when it has no place in the statement. */
    public int line() {
        return line;
    }

    /** 1-based column of the problem, or 0 when it has no place in the statement. */
    public int column() {
        return column;
    }
}
