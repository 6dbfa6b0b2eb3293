package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.ErrorCode;
import io.starling.QueryException;
import io.starling.StarlingException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ErrorReporterTest {
    private final StringWriter text = new StringWriter();

    private int report(Throwable failure, boolean stackTraces) {
        return new ErrorReporter(new PrintWriter(text), stackTraces).report(failure);
    }

    @Test
    void statementErrorsAreUserErrors() {
        int status = report(new QueryException(ErrorCode.QUERY_SYNTAX, "line 2, column 5: expected FROM", 2, 5), false);
        assertThat(status).isEqualTo(2);
        assertThat(text.toString()).isEqualTo("error: query/syntax-error: line 2, column 5: expected FROM\n");
    }

    @Test
    void theErrorCodeDecidesBetweenOneAndTwo() {
        assertThat(report(new StarlingException(ErrorCode.DOCUMENT_INVALID, "not an object"), false))
                .isEqualTo(2);
        assertThat(report(new StarlingException(ErrorCode.STORE_LOCKED, "in use"), false))
                .isEqualTo(1);
        assertThat(report(new StarlingException(ErrorCode.INTERNAL, "internal error: boom"), false))
                .isEqualTo(1);
        assertThat(text.toString()).isEqualTo("""
                error: document/invalid: not an object
                error: store/locked: in use
                error: internal: internal error: boom
                """);
    }

    @Test
    void failuresFromOutsideTheLibrary() {
        assertThat(report(new CliUsageException("bad"), false)).isEqualTo(2);
        assertThat(report(new IOException("disk full"), false)).isEqualTo(1);
        assertThat(report(new IllegalStateException("oops"), false)).isEqualTo(1);
        assertThat(text.toString()).isEqualTo("""
                error: cli/usage: bad
                error: io: java.io.IOException: disk full
                error: internal: java.lang.IllegalStateException: oops
                """);
    }

    @Test
    void aMessageIsAlwaysOneLine() {
        report(new StarlingException(ErrorCode.STORE_IO, "first\n  second\r\nthird"), false);
        assertThat(text.toString()).isEqualTo("error: store/io: first second third\n");
    }

    @Test
    void stackTraceOnlyWhenAskedFor() {
        report(new StarlingException(ErrorCode.STORE_IO, "x"), false);
        assertThat(text.toString()).doesNotContain("\tat ");
        report(new StarlingException(ErrorCode.STORE_IO, "x"), true);
        assertThat(text.toString()).contains("\tat io.starling.cli.ErrorReporterTest");
    }
}
