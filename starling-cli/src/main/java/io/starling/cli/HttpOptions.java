package io.starling.cli;

import io.starling.Endpoint;
import io.starling.StarlingException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * {@code --http} and {@code --http-token} of {@code starling peer}: where the HTTP API listens and the bearer token
 * it requires. The API is bound to the loopback interface unless {@code --http} names another host, and a
 * non-loopback bind is refused without a token: the API can read and write every document.
 */
final class HttpOptions {
    static final String TOKEN_VARIABLE = "STARLING_HTTP_TOKEN";

    @Option(
            names = "--http",
            paramLabel = "HOST:PORT",
            description = "Serve the HTTP API (docs/HTTP-API.md) on HOST:PORT, or PORT alone for 127.0.0.1:PORT;"
                    + " port 0 picks a free one. A host other than a loopback address needs --http-token.")
    @Nullable
    String http;

    @Option(
            names = "--http-token",
            paramLabel = "TOKEN",
            description = "Require 'Authorization: Bearer TOKEN' on every request but /healthz (default: $"
                    + TOKEN_VARIABLE + ").")
    @Nullable
    String token;

    /** The settings checked and resolved: null when {@code --http} was not given. */
    record Binding(InetSocketAddress address, @Nullable String token) {
        boolean loopback() {
            return address.getAddress().isLoopbackAddress();
        }
    }

    /**
     * Checks the options.
     *
     * @throws CliUsageException for a malformed {@code --http}, an unknown host, a non-loopback address without a
     *     token, or a token without {@code --http}
     */
    @Nullable
    Binding binding(Map<String, String> env) {
        String bearer = token != null ? token : env.get(TOKEN_VARIABLE);
        if (bearer != null && bearer.isBlank()) bearer = null;
        if (http == null) {
            if (token != null) throw new CliUsageException("--http-token needs --http HOST:PORT");
            return null;
        }
        if (bearer != null && !bearer.matches("[\\x21-\\x7e]+")) {
            throw new CliUsageException("the HTTP token must be printable ASCII without spaces");
        }
        InetSocketAddress address = parse(http);
        if (!address.getAddress().isLoopbackAddress() && bearer == null) {
            throw new CliUsageException("--http " + http + " is not a loopback address: anyone who can reach it could"
                    + " read and write every document. Give --http-token TOKEN (or $" + TOKEN_VARIABLE
                    + "), or bind to 127.0.0.1");
        }
        return new Binding(address, bearer);
    }

    /** {@code PORT}, {@code HOST:PORT} or {@code [IPv6]:PORT} (parsed as a tcp {@link Endpoint}). */
    static InetSocketAddress parse(String text) {
        String t = text.strip();
        Endpoint e;
        try {
            e = Endpoint.parse(t.matches("\\d+") ? "127.0.0.1:" + t : t);
        } catch (StarlingException invalid) {
            throw new CliUsageException(
                    "--http expects HOST:PORT or PORT, got '" + text + "': " + invalid.getMessage());
        }
        if (e.scheme() != Endpoint.Scheme.TCP) throw bad(text);
        try {
            return new InetSocketAddress(InetAddress.getByName(e.host()), e.port());
        } catch (UnknownHostException unknown) {
            throw new CliUsageException("--http: unknown host '" + e.host() + "'");
        }
    }

    private static CliUsageException bad(String text) {
        return new CliUsageException("--http expects HOST:PORT or PORT, got '" + text + "'");
    }
}
