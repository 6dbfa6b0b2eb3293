package io.starling.cli;

import java.util.Objects;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** {@code --url} and {@code --token}: talk to a running peer through its HTTP API instead of a local database. */
final class RemoteOptions {
    @Option(
            names = "--url",
            paramLabel = "URL",
            description = "Use the peer serving its HTTP API at http://HOST:PORT instead of a local database.")
    @Nullable
    String url;

    @Option(
            names = "--token",
            paramLabel = "TOKEN",
            description = "Bearer token for --url (default: $" + HttpOptions.TOKEN_VARIABLE + ").")
    @Nullable
    String token;

    boolean given() {
        return url != null;
    }

    /** Refuses {@code --token} without {@code --url}. */
    void checkTokenNeedsUrl() {
        if (url == null && token != null) throw new CliUsageException("--token goes with --url");
    }

    /** The client for {@code --url}; the token is {@code --token}, else {@code $STARLING_HTTP_TOKEN}, else none. */
    HttpApiClient client(CliEnvironment environment) {
        String t = token != null ? token : environment.env().get(HttpOptions.TOKEN_VARIABLE);
        return new HttpApiClient(
                HttpApiClient.parseUrl(Objects.requireNonNull(url, "--url")),
                t == null || t.isBlank() ? null : t.strip());
    }
}
