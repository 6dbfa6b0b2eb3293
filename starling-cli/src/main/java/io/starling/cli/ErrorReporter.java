package io.starling.cli;

import io.starling.QueryException;
import io.starling.StarlingException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;

/**
 * Turns a failure into one line on stderr, {@code error: <code>: <message>}, and an exit status (docs/CLI.md):
 * 2 for a user error (a bad statement, argument, document or option), 1 for everything else. A stack trace follows
 * only at log level debug or trace: a user mistake deserves a message, not a trace.
 */
final class ErrorReporter {
    private final PrintWriter err;
    private final boolean stackTraces;

    ErrorReporter(PrintWriter err, boolean stackTraces) {
        this.err = err;
        this.stackTraces = stackTraces;
    }

    /** Prints {@code failure} and returns the exit status it deserves. */
    int report(Throwable failure) {
        String code;
        int status;
        if (failure instanceof StarlingException e) {
            code = e.errorCode().code();
            status = e instanceof QueryException || e.isUserError()
                    ? CommandLine.ExitCode.USAGE
                    : CommandLine.ExitCode.SOFTWARE;
        } else if (failure instanceof HttpApiException e) {
            code = e.code();
            status = e.isUserError() ? CommandLine.ExitCode.USAGE : CommandLine.ExitCode.SOFTWARE;
        } else if (failure instanceof CliUsageException e) {
            code = e.code();
            status = CommandLine.ExitCode.USAGE;
        } else if (failure instanceof IOException || failure instanceof UncheckedIOException) {
            code = "io";
            status = CommandLine.ExitCode.SOFTWARE;
        } else {
            code = "internal";
            status = CommandLine.ExitCode.SOFTWARE;
        }
        String message = failure.getMessage();
        boolean unexpected = !(failure instanceof StarlingException
                || failure instanceof CliUsageException
                || failure instanceof HttpApiException);
        // for an exception nobody meant to throw, its class is part of the story
        if (message == null || message.isBlank() || unexpected) message = String.valueOf(failure);
        err.println("error: " + code + ": " + message.replaceAll("\\s*\\R\\s*", " "));
        if (stackTraces) failure.printStackTrace(err);
        err.flush();
        return status;
    }

    /** Prints a usage error found by the CLI itself (a bad dot-command) and returns 2. */
    int usage(String message) {
        return report(new CliUsageException(message));
    }
}
