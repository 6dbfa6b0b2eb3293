package io.starling.bench.server;

import io.starling.Endpoint;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One {@code starling server} process (a child JVM with a fixed heap), its listeners from its start-up lines, and
 * what the harness reads of it: {@code /metrics}, the heap used after a full GC and a class histogram (through {@code
 * jcmd}), process CPU time, thread count.
 */
final class ServerProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("(http|sync) listening on (\\S+)");
    private static final Pattern HEAP_USED = Pattern.compile("heap\\s+total \\d+K, used (\\d+)K");
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    final String name;
    final Process process;
    final Path log;
    private volatile @Nullable String http;
    private volatile @Nullable Endpoint tcp;
    private volatile @Nullable Endpoint ws;

    private ServerProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@code java <jvmOptions> <launch> server <args>} (launch: {@code -jar JAR} or {@code -cp CP MAIN}) and
     * waits until it printed {@code ready;}.
     */
    static ServerProcess start(List<String> launch, List<String> jvmOptions, Path dir, String name, List<String> args)
            throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(launch);
        cmd.add("server");
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        // a node of --postgres keeps its own files (attachments) in a directory no other node uses
        if (args.contains("--postgres"))
            pb.environment().put("STARLING_DB_PATH", dir.resolve(name).toString());
        Process p = pb.start();
        ServerProcess server = new ServerProcess(name, p, dir.resolve(name + ".log"));
        // a harness stopped with Ctrl-C must not leave servers behind
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroy, "stop-server-" + name));
        CompletableFuture<Void> ready = new CompletableFuture<>();
        Thread reader = new Thread(
                () -> {
                    try (BufferedReader r = new BufferedReader(
                                    new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                            var out = Files.newBufferedWriter(server.log)) {
                        String line;
                        while ((line = r.readLine()) != null) {
                            out.write(line);
                            out.newLine();
                            out.flush();
                            Matcher m = LISTENING.matcher(line);
                            if (m.find()) {
                                if (m.group(1).equals("http")) server.http = m.group(2);
                                else if (m.group(2).startsWith("ws://")) server.ws = Endpoint.parse(m.group(2));
                                else server.tcp = Endpoint.parse(m.group(2));
                            }
                            if (line.startsWith("ready;")) ready.complete(null);
                        }
                        ready.completeExceptionally(
                                new IllegalStateException("server " + name + " exited; see " + server.log));
                    } catch (IOException e) {
                        ready.completeExceptionally(e);
                    }
                },
                "server-" + name + "-output");
        reader.setDaemon(true);
        reader.start();
        try {
            ready.get(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            server.close();
            throw new IllegalStateException("server " + name + " did not start: " + e.getMessage() + " (log "
                    + server.log + ":\n" + tail(server.log) + ")");
        }
        if (server.http == null || server.tcp == null || server.ws == null)
            throw new IllegalStateException("server " + name + " did not print its listeners; see " + server.log);
        return server;
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    Endpoint tcp() {
        return java.util.Objects.requireNonNull(tcp);
    }

    Endpoint ws() {
        return java.util.Objects.requireNonNull(ws);
    }

    String http() {
        return java.util.Objects.requireNonNull(http);
    }

    long pid() {
        return process.pid();
    }

    Map<String, Double> metrics() throws Exception {
        HttpResponse<String> r = HTTP.send(
                HttpRequest.newBuilder(URI.create(http() + "/metrics"))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        Map<String, Double> out = new HashMap<>();
        for (String line : r.body().split("\n", -1)) {
            if (line.startsWith("#") || line.isBlank()) continue;
            String[] parts = line.trim().split("\\s+", -1);
            if (parts.length >= 2) out.put(parts[0], Double.parseDouble(parts[1]));
        }
        return out;
    }

    double metric(String name) throws Exception {
        return metrics().getOrDefault(name, Double.NaN);
    }

    /** Sends a statement to {@code /api/v1/execute}; completes with the HTTP status and body. */
    CompletableFuture<HttpResponse<String>> execute(String statementJson) {
        return HTTP.sendAsync(
                HttpRequest.newBuilder(URI.create(http() + "/api/v1/execute"))
                        .header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(60))
                        .POST(HttpRequest.BodyPublishers.ofString(statementJson))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Heap in use right after a full GC, in bytes (jcmd GC.run, then GC.heap_info). */
    long heapUsedAfterGc() throws Exception {
        jcmd("GC.run");
        String info = jcmd("GC.heap_info");
        Matcher m = HEAP_USED.matcher(info);
        if (!m.find()) throw new IllegalStateException("no heap figure in jcmd GC.heap_info: " + info);
        return Long.parseLong(m.group(1)) * 1024;
    }

    /** The first {@code rows} lines of the class histogram of live objects (jcmd GC.class_histogram). */
    String histogram(int rows) throws Exception {
        String[] lines = jcmd("GC.class_histogram").split("\n", -1);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(lines.length, rows + 3); i++)
            b.append(lines[i]).append('\n');
        return b.toString();
    }

    /** CPU time of the process so far (user + system), in seconds, or NaN where the platform does not say. */
    double cpuSeconds() {
        return process.info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
    }

    /** Threads of the process (from /proc), or -1 where there is no /proc. */
    int threads() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid()), "status"))) {
                if (line.startsWith("Threads:"))
                    return Integer.parseInt(line.substring(8).trim());
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux
        }
        return -1;
    }

    private String jcmd(String command) throws Exception {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), String.valueOf(pid()), command)
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0)
            throw new IllegalStateException("jcmd " + command + " failed: " + out);
        return out;
    }

    /** SIGTERM (the server drains), then SIGKILL after 30 s. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
    }
}
