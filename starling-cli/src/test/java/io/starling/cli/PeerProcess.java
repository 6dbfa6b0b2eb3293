package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.starling.testsupport.Await;
import io.starling.testsupport.ChildJvm;
import io.starling.testsupport.ChildJvm.Output;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code starling peer} in a JVM of its own ({@code java -cp <the test class path> io.starling.cli.StarlingCli peer
 * …}), with its HTTP API on a free loopback port: the real thing, signals and crashes included. {@link #start} waits
 * for the {@code ready;} line on its stderr and reads the ports it printed there.
 */
final class PeerProcess implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final String name;
    private final ChildJvm process;
    private final String url;
    private final List<String> syncEndpoints;

    private PeerProcess(String name, ChildJvm process, String url, List<String> syncEndpoints) {
        this.name = name;
        this.process = process;
        this.url = url;
        this.syncEndpoints = syncEndpoints;
    }

    /**
     * Starts {@code starling peer --db <dir>/<name> --http 127.0.0.1:0 <args>} and waits until it is ready.
     *
     * @param dir holds the database ({@code <name>}) and the child's temporary files ({@code <name>-tmp})
     */
    static PeerProcess start(Path dir, String name, String... args) throws IOException {
        return startWithHeap(dir, name, "256m", args);
    }

    /** {@link #start} with a maximum heap of {@code maxHeap} ({@code -Xmx}, such as {@code 48m}). */
    static PeerProcess startWithHeap(Path dir, String name, String maxHeap, String... args) throws IOException {
        List<String> command =
                new ArrayList<>(List.of("peer", "--db", dir.resolve(name).toString(), "--http", "127.0.0.1:0"));
        command.addAll(List.of(args));
        return launch(dir, name, command, maxHeap);
    }

    /**
     * Starts {@code starling server --http 127.0.0.1:0 <args>} (the storage, {@code --db} or {@code --postgres}, comes
     * in {@code args}) and waits until it is ready. A node of {@code --postgres} keeps its own files (attachments) in
     * {@code <dir>/<name>} ({@code STARLING_DB_PATH}).
     */
    static PeerProcess startServer(Path dir, String name, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("server", "--http", "127.0.0.1:0"));
        command.addAll(List.of(args));
        return launch(dir, name, command, "256m");
    }

    private static PeerProcess launch(Path dir, String name, List<String> command, String maxHeap) throws IOException {
        ChildJvm.Builder builder = ChildJvm.builder(StarlingCli.class);
        if (command.contains("--postgres"))
            builder.environment("STARLING_DB_PATH", dir.resolve(name).toString());
        ChildJvm process = builder.name(name)
                .jvmOptions("-Xmx" + maxHeap, "-XX:TieredStopAtLevel=1") // starts faster; these peers do little work
                .temporaryFiles(dir.resolve(name + "-tmp"))
                .args(command.toArray(String[]::new))
                .removeEnvironment(k -> k.startsWith("STARLING_"))
                .environment("STARLING_LOG_LEVEL", "info")
                .stdinFromNull()
                .start();
        try {
            process.awaitLine(Output.STDERR, "the ready line", START_TIMEOUT, l -> l.startsWith("ready;"));
        } catch (AssertionError e) {
            process.close();
            throw e;
        }
        List<String> printed = process.lines(Output.STDERR);
        String url = after(printed, "http listening on ").get(0);
        return new PeerProcess(name, process, url, after(printed, "sync listening on "));
    }

    private static List<String> after(List<String> lines, String prefix) {
        return lines.stream()
                .filter(l -> l.startsWith(prefix))
                .map(l -> l.substring(prefix.length()))
                .toList();
    }

    /** The HTTP API, {@code http://127.0.0.1:PORT}. */
    String url() {
        return url;
    }

    /** The first sync endpoint it listens on, as printed ({@code tcp://127.0.0.1:PORT}). */
    String syncEndpoint() {
        assertThat(syncEndpoints).as(name + " listens for sync").isNotEmpty();
        return syncEndpoints.get(0);
    }

    /** Runs a statement through the HTTP API; fails unless it answers 200. Returns the body. */
    JsonNode execute(String statement) throws Exception {
        HttpResponse<String> r = post(statement, Map.of());
        assertThat(r.statusCode())
                .as(name + ": " + statement + " → " + r.body())
                .isEqualTo(200);
        return JSON.readTree(r.body());
    }

    HttpResponse<String> post(String statement, Map<String, Object> args) throws Exception {
        String body = JSON.writeValueAsString(Map.of("statement", statement, "args", args));
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(url + HttpApi.EXECUTE))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The items of a query. */
    JsonNode query(String statement) throws Exception {
        return execute(statement).get("items");
    }

    /** {@code GET path} of its HTTP API (such as {@code /api/v1/sync}), as JSON; fails unless it answers 200. */
    JsonNode get(String path) throws Exception {
        HttpResponse<String> r = HTTP.send(
                HttpRequest.newBuilder(URI.create(url + path))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(name + ": GET " + path + " → " + r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    /** {@code GET /api/v1/presence}. */
    JsonNode presence() throws Exception {
        return JSON.readTree(HTTP.send(
                        HttpRequest.newBuilder(URI.create(url + HttpApi.PRESENCE))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body());
    }

    /** One sample of {@code /metrics}. */
    long metric(String name) throws Exception {
        String text = HTTP.send(
                        HttpRequest.newBuilder(URI.create(url + HttpApi.METRICS))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        return text.lines()
                .filter(l -> l.startsWith(name + " "))
                .mapToLong(l -> Long.parseLong(l.substring(name.length() + 1)))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no metric " + name + " in " + text));
    }

    /** Waits until {@code statement} returns exactly {@code expected} items (as JSON text). */
    PeerProcess awaitItems(String statement, String expectedItemsJson, Duration timeout) {
        String[] last = {null};
        Await.until(
                name + " to answer " + statement + " with " + expectedItemsJson,
                timeout,
                () -> {
                    try {
                        last[0] = query(statement).toString();
                        return last[0].equals(expectedItemsJson);
                    } catch (Exception | AssertionError e) { // an error answer: the peer may not be ready yet
                        last[0] = e.toString();
                        return false;
                    }
                },
                () -> "its last answer: " + last[0]);
        return this;
    }

    /** SIGTERM, then waits for the exit: returns the exit status (143 after a clean stop). */
    int stop() {
        return process.stop(STOP_TIMEOUT);
    }

    /** SIGKILL: a crash. */
    void kill() {
        process.kill();
    }

    /** Everything it printed on stderr. */
    String stderr() {
        return process.text(Output.STDERR);
    }

    @Override
    public void close() {
        process.close();
    }
}
