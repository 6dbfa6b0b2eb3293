package io.starling.internal.query;

/**
 * The one exception of the query layer: a statement that cannot be parsed, is not valid, lacks an argument,
 * or asks for something not supported yet.
 *
 * <p>The message names the problem and, when there is one, the position of the offending token:
 * {@code "line 1, column 10: expected FROM but found 'FORM'"}. Lines and columns are 1-based and count UTF-16
 * chars; both are 0 when the error has no position, and the message then has no prefix. {@link #detail()} is the
 * message without the position prefix. {@link #kind()} is a stable code for APIs (the HTTP layer maps it to
 * {@code error.code}).
 */
public final class DqlException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A stable classification of the failure. */
    public enum Kind {
        /** The text is not DQL: unexpected token, unterminated string or comment, bad number, trailing input. */
        SYNTAX,
        /** Well-formed but meaningless: unknown function, wrong argument count, {@code SET _id}, overlapping paths… */
        INVALID,
        /** A named argument ({@code :name}) was referenced but not supplied. */
        ARGUMENT,
        /** Valid DQL that this version does not execute (none in the query layer today; kept for the engine). */
        UNSUPPORTED,
        /**
         * The statement ran past its time limit and was stopped. Raised by the engine's {@link Cancellation}, never
         * by the query layer itself (it reads no clock); the message names the limit.
         */
        TIMEOUT
    }

    private final Kind kind;
    private final int line;
    private final int column;
    private final String detail;

    /** An error at a position (1-based line and column). */
    public DqlException(Kind kind, int line, int column, String detail) {
        super(line > 0 ? "line " + line + ", column " + column + ": " + detail : detail);
        this.kind = kind;
        this.line = Math.max(line, 0);
        this.column = line > 0 ? column : 0;
        this.detail = detail;
    }

    /** An error without a position. */
    public DqlException(Kind kind, String detail) {
        this(kind, 0, 0, detail);
    }

    /** The same error at a position, for an error raised where the position was not known. */
    public DqlException at(int line, int column) {
        DqlException positioned = new DqlException(kind, line, column, detail);
        positioned.setStackTrace(getStackTrace());
        return positioned;
    }

    public Kind kind() {
        return kind;
    }

    /** 1-based line of the offending token, 0 when there is no position. */
    public int line() {
        return line;
    }

    /** 1-based column of the offending token, 0 when there is no position. */
    public int column() {
        return column;
    }

    /** The message without its {@code "line L, column C: "} prefix. */
    public String detail() {
        return detail;
    }
}
