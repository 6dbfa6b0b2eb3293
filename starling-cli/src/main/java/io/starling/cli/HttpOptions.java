package io.starling.cli;

import io.starling.Endpoint;
import io.starling.StarlingException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * The {@code --http…} options of {@code starling peer}: where the HTTP API listens, the bearer token it requires, its
 * limits, and the names and origins it accepts from browsers. The API is bound to the loopback interface unless
 * {@code --http} names another host, and a non-loopback bind is refused without a token: the API can read and write
 * every document.
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

    @Option(
            names = "--http-max-connections",
            paramLabel = "N",
            description = "Serve at most N connections at once; more are answered 503 and closed (default: "
                    + HttpApiServer.DEFAULT_MAX_CONNECTIONS + ").")
    @Nullable
    Integer maxConnections;

    @Option(
            names = "--http-max-streams",
            paramLabel = "N",
            description =
                    "Allow at most N event streams (/api/v1/observe and /api/v1/changes together) at once; more are"
                            + " answered 503"
                            + " (default: " + HttpApiServer.DEFAULT_MAX_STREAMS + ").")
    @Nullable
    Integer maxStreams;

    @Option(
            names = "--http-idle-timeout",
            paramLabel = "DURATION",
            description = "Close a connection that sends no request for this long, and an event stream whose client"
                    + " reads nothing for this long (default: 60s; 500ms, 30s, 5m or plain seconds).")
    @Nullable
    String idleTimeout;

    @Option(
            names = "--http-request-timeout",
            paramLabel = "DURATION",
            description = "Answer 408 and close when a request (head and body) has not arrived completely this long"
                    + " after its first byte (default: 30s).")
    @Nullable
    String requestTimeout;

    @Option(
            names = "--http-commit-wait",
            paramLabel = "DURATION",
            description = "How long a read carrying a commit token ('Starling-Commit-Token') may wait for this node"
                    + " to hold that write before it is answered 503 (default: 5s).")
    @Nullable
    String commitWait;

    @Option(
            names = "--http-allow-host",
            paramLabel = "NAME",
            description = "Also accept requests whose Host header names NAME (repeatable): the public name of a"
                    + " reverse proxy that passes Host through. IP addresses and localhost are always accepted.")
    List<String> allowedHosts = new ArrayList<>();

    @Option(
            names = "--http-allow-origin",
            paramLabel = "ORIGIN",
            description = "Also accept requests from web pages of ORIGIN, scheme://host[:port] (repeatable): for a"
                    + " reverse proxy that rewrites Host. Pages of other origins are refused.")
    List<String> allowedOrigins = new ArrayList<>();

    /** The settings checked and resolved: null when {@code --http} was not given. */
    record Binding(InetSocketAddress address, @Nullable String token, HttpApiServer.Settings settings) {
        boolean loopback() {
            return address.getAddress().isLoopbackAddress();
        }

        /** The same binding, accepting the API keys of {@code file}. */
        Binding withApiKeys(ApiKeys keys) {
            return new Binding(address, token, settings.withApiKeys(keys));
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
            String given = optionGivenWithoutHttp();
            if (given != null) throw new CliUsageException(given + " needs --http HOST:PORT");
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
        HttpApiServer.Settings settings = HttpApiServer.Settings.defaults().withToken(bearer);
        if (maxConnections != null)
            settings = settings.withMaxConnections(positive("--http-max-connections", maxConnections));
        if (maxStreams != null) settings = settings.withMaxStreams(positive("--http-max-streams", maxStreams));
        if (idleTimeout != null) settings = settings.withIdleTimeout(duration("--http-idle-timeout", idleTimeout));
        if (requestTimeout != null) {
            settings = settings.withRequestTimeout(duration("--http-request-timeout", requestTimeout));
        }
        if (commitWait != null) settings = settings.withCommitWait(duration("--http-commit-wait", commitWait));
        List<String> hosts = new ArrayList<>();
        for (String h : allowedHosts) {
            String name = h.strip();
            if (name.isEmpty() || !name.matches("[A-Za-z0-9.-]+")) {
                throw new CliUsageException(
                        "--http-allow-host expects a host name (letters, digits, '.', '-'), got '" + h + "'");
            }
            hosts.add(name);
        }
        List<String> origins = new ArrayList<>();
        for (String o : allowedOrigins) {
            try {
                origins.add(BrowserGuard.normalizeOrigin(o));
            } catch (IllegalArgumentException e) {
                throw new CliUsageException("--http-allow-origin: " + e.getMessage());
            }
        }
        settings = settings.withAllowedHosts(Set.copyOf(hosts)).withAllowedOrigins(Set.copyOf(origins));
        return new Binding(address, bearer, settings);
    }

    /** The first {@code --http-…} option given, or null (without {@code --http} they would be ignored). */
    private @Nullable String optionGivenWithoutHttp() {
        if (token != null) return "--http-token";
        if (maxConnections != null) return "--http-max-connections";
        if (maxStreams != null) return "--http-max-streams";
        if (idleTimeout != null) return "--http-idle-timeout";
        if (requestTimeout != null) return "--http-request-timeout";
        if (commitWait != null) return "--http-commit-wait";
        if (!allowedHosts.isEmpty()) return "--http-allow-host";
        if (!allowedOrigins.isEmpty()) return "--http-allow-origin";
        return null;
    }

    private static int positive(String option, int value) {
        if (value < 1) throw new CliUsageException(option + " must be at least 1, got " + value);
        return value;
    }

    /**
     * A duration: a number with a unit, {@code ms}, {@code s}, {@code m} or {@code h} ({@code 500ms}, {@code 30s},
     * {@code 5m}), or a plain number of seconds. Positive, at most a day.
     *
     * @throws CliUsageException naming the option otherwise
     */
    static Duration duration(String option, String text) {
        Matcher m = Pattern.compile("(\\d{1,9})(ms|s|m|h)?").matcher(text.strip());
        if (!m.matches()) {
            throw new CliUsageException(
                    option + " expects a duration such as 500ms, 30s, 5m or a number of seconds, got '" + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        Duration d = switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
        };
        if (d.isZero() || d.compareTo(Duration.ofDays(1)) > 0) {
            throw new CliUsageException(option + " must be more than 0 and at most a day, got '" + text + "'");
        }
        return d;
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
