package io.starling.cli;

/**
 * An error answered by a peer's HTTP API (or the failure to reach it), as {@code exec --url} and {@code watch --url}
 * report it: the API's error code and message, printed as {@code error: <code>: <message>} like a local error. Exit
 * status 2 for what the caller got wrong (HTTP 4xx but 409, the id conflict, which is 1 with {@code --db} too), 1 for
 * everything else, including a peer that cannot be reached.
 */
final class HttpApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;

    /**
     * @param status the HTTP status, or 0 when there was no answer
     * @param code the API's error code ({@code query/syntax-error}, {@code http/unauthorized}, {@code io} …)
     */
    HttpApiException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    int status() {
        return status;
    }

    String code() {
        return code;
    }

    /** True when the request was at fault: HTTP 4xx, except 409 (an id conflict is not a usage error). */
    boolean isUserError() {
        return status >= 400 && status < 500 && status != 409;
    }
}
