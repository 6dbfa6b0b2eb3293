package io.starling.cli;

/**
 * A mistake in how the CLI was called that picocli cannot see: a bad environment variable, a bad dot-command. Exit
 * status 2, like every user error.
 */
final class CliUsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Error code of usage errors found by the CLI itself; the library's codes cover everything else. */
    static final String USAGE = "cli/usage";

    private final String code;

    CliUsageException(String code, String message) {
        super(message);
        this.code = code;
    }

    CliUsageException(String message) {
        this(USAGE, message);
    }

    String code() {
        return code;
    }
}
