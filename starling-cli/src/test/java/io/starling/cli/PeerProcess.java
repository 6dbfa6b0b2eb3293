package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code starling peer} in a JVM of its own ({@code java -cp <the test class path> io.starling.cli.StarlingCli peer
 * …}), with its HTTP API on a free loopback port: the real thing, signals and crashes included. Its stderr goes to a
 * file, from which {@link #start} reads the ports it printed.
 */
final class PeerProcess implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final String name;
    private final Process process;
    private final Path stderr;
    private final String url;
    private final List<String> syncEndpoints;

    private PeerProcess(String name, Process process, Path stderr, String url, List<String> syncEndpoints) {
        this.name = name;
        this.process = process;
        this.stderr = stderr;
        this.url = url;
        this.syncEndpoints = syncEndpoints;
    }

    /**
     * Starts {@code starling peer --db <dir>/<name> --http 127.0.0.1:0 <args>} and waits until it is ready.
     *
     * @param dir holds the database ({@code <name>}) and the output ({@code <name>.out}, {@code <name>.err}, the
     *     latter appended to across restarts)
     */
    static PeerProcess start(Path dir, String name, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-XX:TieredStopAtLevel=1", // starts faster; these peers do little work
                "-cp",
                System.getProperty("java.class.path"),
                StarlingCli.class.getName(),
                "peer",
                "--db",
                dir.resolve(name).toString(),
                "--http",
                "127.0.0.1:0"));
        command.addAll(List.of(args));
        Path err = dir.resolve(name + ".err");
        Path out = dir.resolve(name + ".out");
        long offset = Files.exists(err) ? Files.size(err) : 0;
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(err.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
        pb.environment().keySet().removeIf(k -> k.startsWith("STARLING_"));
        pb.environment().put("STARLING_LOG_LEVEL", "info");
        Process process = pb.start();
        try {
            Polling.await(
                    name + " to be ready; its stderr: " + tail(err, offset),
                    START_TIMEOUT,
                    () -> !process.isAlive() || lines(err, offset).stream().anyMatch(l -> l.startsWith("ready;")));
        } catch (AssertionError e) {
            process.destroyForcibly();
            throw e;
        }
        if (!process.isAlive()) {
            throw new AssertionError(name + " exited with " + process.exitValue() + " at start: " + tail(err, offset));
        }
        List<String> printed = lines(err, offset);
        String url = after(printed, "http listening on ").get(0);
        return new PeerProcess(name, process, err, url, after(printed, "sync listening on "));
    }

    private static java.io.File nullDevice() {
        return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    private static List<String> after(List<String> lines, String prefix) {
        return lines.stream()
                .filter(l -> l.startsWith(prefix))
                .map(l -> l.substring(prefix.length()))
                .toList();
    }

    private static List<String> lines(Path file, long offset) {
        try {
            if (!Files.exists(file)) return List.of();
            byte[] all = Files.readAllBytes(file);
            return new String(all, (int) offset, all.length - (int) offset, StandardCharsets.UTF_8)
                    .lines()
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static String tail(Path file, long offset) {
        return String.join("\n", lines(file, offset));
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
        Polling.await(name + " to answer " + statement + " with " + expectedItemsJson, timeout, () -> {
            try {
                last[0] = query(statement).toString();
                return last[0].equals(expectedItemsJson);
            } catch (Exception e) {
                last[0] = e.toString();
                return false;
            }
        });
        return this;
    }

    /** SIGTERM, then waits for the exit: returns the exit status (143 after a clean stop). */
    int stop() throws Exception {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(
                    name + " did not stop within 60 s of SIGTERM; stderr: " + Files.readString(stderr));
        }
        return process.exitValue();
    }

    /** SIGKILL: a crash. */
    void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Everything it printed on stderr (over all its runs with this name). */
    String stderr() throws IOException {
        return Files.readString(stderr);
    }

    @Override
    public void close() {
        if (process.isAlive()) kill();
    }
}
