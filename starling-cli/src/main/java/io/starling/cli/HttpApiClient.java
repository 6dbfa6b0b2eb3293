package io.starling.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The client side of the HTTP API ({@code exec --url}, {@code watch --url}), over {@link HttpClient} — fine in the
 * CLI, which runs on a full JVM (the library itself avoids {@code java.net.http} for Android).
 *
 * <p>Thread-safe.
 */
final class HttpApiClient {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final URI base;
    private final @Nullable String token;
    private final HttpClient client;

    /**
     * @param base the peer's URL, {@code http://HOST:PORT} (see {@link #parseUrl})
     * @param token the bearer token to send, or null
     */
    HttpApiClient(URI base, @Nullable String token) {
        this.base = base;
        this.token = token;
        this.client = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
    }

    /**
     * Checks a {@code --url}: {@code http://HOST:PORT} or {@code https://…}, with nothing after the port but an
     * optional {@code /}.
     *
     * @throws CliUsageException naming the problem
     */
    static URI parseUrl(String text) {
        URI uri;
        try {
            uri = new URI(text.strip());
        } catch (URISyntaxException e) {
            throw new CliUsageException("--url is not a URL: " + e.getMessage());
        }
        String scheme = uri.getScheme();
        if (scheme == null
                || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                || uri.getHost() == null) {
            throw new CliUsageException("--url expects http://HOST:PORT, got '" + text + "'");
        }
        String path = uri.getRawPath();
        if ((path != null && !path.isEmpty() && !path.equals("/")) || uri.getRawQuery() != null) {
            throw new CliUsageException("--url is the peer's address only, http://HOST:PORT, got '" + text + "'");
        }
        return URI.create(scheme.toLowerCase(java.util.Locale.ROOT) + "://" + uri.getRawAuthority());
    }

    /** An answer of the API: its status and body. */
    record Response(int status, String body) {}

    /**
     * {@code POST /api/v1/execute}.
     *
     * @throws HttpApiException with code {@code io} if the peer cannot be reached
     */
    Response execute(String statement, Map<String, Object> args) throws InterruptedException {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("statement", statement);
        body.set("args", JsonArgs.tree(args));
        HttpRequest request = request(HttpApi.EXECUTE)
                .header("Content-Type", HttpApi.JSON)
                .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8))
                .build();
        try {
            HttpResponse<String> response =
                    client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Response(response.statusCode(), response.body());
        } catch (IOException e) {
            throw unreachable(e);
        }
    }

    /**
     * {@code GET /api/v1/observe}: calls {@code onEvent} with the data of each event, in order, on a client thread.
     * The returned future completes when the stream ends: normally only when the peer goes away (then with an
     * {@link HttpApiException} with code {@code io}), at once with the API's error if the peer refuses the query,
     * or when {@link Stream#close()} is called.
     */
    Stream observe(String statement, Map<String, Object> args, Consumer<String> onEvent) {
        String query = "?statement=" + URLEncoder.encode(statement, StandardCharsets.UTF_8)
                + (args.isEmpty() ? "" : "&args=" + URLEncoder.encode(JsonArgs.write(args), StandardCharsets.UTF_8));
        HttpRequest request = request(HttpApi.OBSERVE + query)
                .header("Accept", "text/event-stream")
                .GET()
                .build();
        EventParser events = new EventParser(onEvent);
        CompletableFuture<Void> done = new CompletableFuture<>();
        AtomicBoolean answered = new AtomicBoolean();
        client.sendAsync(request, info -> {
                    answered.set(true);
                    return info.statusCode() == 200
                            ? BodySubscribers.fromLineSubscriber(events, s -> "", StandardCharsets.UTF_8, null)
                            : BodySubscribers.ofString(StandardCharsets.UTF_8);
                })
                .whenComplete((response, failure) -> {
                    if (failure != null) {
                        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                                ? failure.getCause()
                                : failure;
                        if (!(cause instanceof IOException io)) {
                            done.completeExceptionally(cause);
                        } else if (answered.get()) {
                            done.completeExceptionally(new HttpApiException(
                                    0, "io", "the stream from the peer at " + base + " broke: " + io.getMessage()));
                        } else {
                            done.completeExceptionally(unreachable(io));
                        }
                    } else if (response.statusCode() != 200) {
                        done.completeExceptionally(error(response.statusCode(), response.body()));
                    } else {
                        done.completeExceptionally(
                                new HttpApiException(500, "io", "the peer at " + base + " ended the stream"));
                    }
                });
        return new Stream(events, done);
    }

    /** A running event stream. */
    static final class Stream implements AutoCloseable {
        private final EventParser events;
        private final CompletableFuture<Void> done;

        private Stream(EventParser events, CompletableFuture<Void> done) {
            this.events = events;
            this.done = done;
        }

        /** Completes (exceptionally, with why) when the stream ends by itself. */
        CompletableFuture<Void> done() {
            return done;
        }

        /** Stops receiving and drops the connection. */
        @Override
        public void close() {
            events.cancel();
            done.complete(null);
        }
    }

    /**
     * The exception for an error answer of the API: its {@code {"error": {"code", "message"}}}, or the status
     * alone when the body is not of that shape.
     */
    HttpApiException error(int status, String body) {
        try {
            JsonNode json = JsonArgs.readTree(body.getBytes(StandardCharsets.UTF_8));
            JsonNode error = json.path("error");
            if (error.path("code").isTextual()) {
                return new HttpApiException(
                        status,
                        error.path("code").textValue(),
                        error.path("message").asText(""));
            }
        } catch (JsonProcessingException e) {
            // not the API's error shape: say what came back
        }
        String text = body.strip();
        if (text.length() > 200) text = text.substring(0, 200) + "…";
        return new HttpApiException(
                status,
                "http/" + status,
                "the peer at " + base + " answered HTTP " + status + (text.isEmpty() ? "" : ": " + text));
    }

    private HttpRequest.Builder request(String pathAndQuery) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + pathAndQuery));
        if (token != null) b.header("Authorization", "Bearer " + token);
        return b;
    }

    private HttpApiException unreachable(IOException e) {
        String why = e instanceof ConnectException
                ? "connection refused"
                : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        return new HttpApiException(0, "io", "cannot reach the peer at " + base + ": " + why);
    }

    /** Cuts the {@code text/event-stream} lines into events: {@code data:} lines, ended by an empty line. */
    private static final class EventParser implements Flow.Subscriber<String> {
        private final Consumer<String> onEvent;
        private final StringBuilder data = new StringBuilder();
        private volatile Flow.@Nullable Subscription subscription;
        private volatile boolean cancelled;

        EventParser(Consumer<String> onEvent) {
            this.onEvent = onEvent;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (cancelled) s.cancel();
            else s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String line) {
            if (cancelled) return;
            if (line.isEmpty()) {
                if (data.length() > 0) {
                    String event = data.toString();
                    data.setLength(0);
                    onEvent.accept(event);
                }
            } else if (line.startsWith("data:")) {
                if (data.length() > 0) data.append('\n');
                data.append(line, line.startsWith("data: ") ? 6 : 5, line.length());
            } // comments (":…") and other fields are not used by this API
        }

        @Override
        public void onError(Throwable throwable) {}

        @Override
        public void onComplete() {}

        void cancel() {
            cancelled = true;
            Flow.Subscription s = subscription;
            if (s != null) s.cancel();
        }
    }
}
