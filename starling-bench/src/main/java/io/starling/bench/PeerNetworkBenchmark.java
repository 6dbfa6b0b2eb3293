package io.starling.bench;

import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.internal.engine.DefaultStarling;
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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Sync between two peer processes ({@code starling peer}) over loopback TCP with TLS 1.3 (shared-key mode), the
 * figures read from each peer's {@code /metrics}. B dials A through a relay in this process ({@link LoopbackProxy})
 * so that the link can be cut while both processes keep running.
 *
 * <ul>
 *   <li>initial sync of 3N documents of about 200 bytes from A to B, in one session: documents per second over
 *       the first N (from B's first received byte; both JVMs fresh, so this includes their JIT warm-up) and over
 *       the last N (warm JVMs, the steady state of a running peer) — budget ≥ 50,000/s; wire bytes both ways
 *       (after TLS) against the payload, the encoded ids and states (budget ≤ 1.3×);
 *   <li>reconnect after 10 changes: the relay cuts the link, A changes 10 documents, the link comes back — the
 *       bytes of the new connection both ways from B's /metrics, TLS handshake included (budget ≤ 16 KB), and the
 *       time from the relay accepting B's new connection to B holding the 10 changes (budget ≤ 100 ms); three
 *       rounds, the median reported. B's figure also counts its refused dials while the link was down (a TLS
 *       ClientHello each); the bytes the relay carried for the new connection are printed beside it.
 * </ul>
 *
 * Usage: {@code bench/network [--n N] [--runs R]} (defaults 100000 and 3; medians and minimum reported). JVM
 * options for the peer processes: {@code -Dstarling.peer.java.opts="..."} ({@code {name}} becomes a or b).
 */
public final class PeerNetworkBenchmark {
    private static final boolean PROGRESS = Boolean.getBoolean("starling.bench.progress");
    /** How often /metrics is polled: often enough for 1% precision, rarely enough not to steal the peers' CPU. */
    private static final long POLL_NANOS = 20_000_000;

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String BYTES_SENT = "starling_sync_bytes_sent_total";
    private static final String BYTES_RECEIVED = "starling_sync_bytes_received_total";
    private static final String DOCS_RECEIVED = "starling_sync_documents_received_total";
    private static final Pattern LISTENING = Pattern.compile("(http|sync) listening on (\\S+)");

    public static void main(String[] args) throws Exception {
        int n = 100_000, runs = 3;
        String jar = System.getProperty("starling.cli.jar");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--n" -> n = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (use --n N --runs R)");
            }
        }
        if (jar == null || !Files.exists(Path.of(jar)))
            throw new IllegalStateException("set -Dstarling.cli.jar to the shaded CLI jar");
        System.out.printf(
                "machine: %d cores, java %s; two peer processes over loopback TCP + TLS 1.3 (shared key)%n%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        System.out.println(
                "| run | documents | payload bytes | wire bytes (both ways) | ratio | docs/s, first N (fresh JVMs) "
                        + "| docs/s, last N (warm) | reconnect bytes (median of 3) | reconnect ms (median of 3) |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        List<double[]> results = new ArrayList<>();
        for (int r = 1; r <= runs; r++) results.add(run(Path.of(jar), n, r));
        double[] cold = sorted(results, 0), warm = sorted(results, 1), ratios = sorted(results, 2);
        double[] bytes = sorted(results, 3), millis = sorted(results, 4);
        System.out.printf(
                "%nmedian of %d runs (min): initial sync %.0f docs/s (%.0f) in fresh JVMs, %.0f docs/s (%.0f) warm "
                        + "[budget ≥ 50,000]; wire/payload %.3f× [≤ 1.3×]; reconnect after 10 changes %.0f bytes (max %.0f) "
                        + "[≤ 16,384], %.0f ms (max %.0f) [≤ 100]%n",
                runs,
                median(cold),
                cold[0],
                median(warm),
                warm[0],
                median(ratios),
                median(bytes),
                bytes[bytes.length - 1],
                median(millis),
                millis[millis.length - 1]);
    }

    /** Returns {cold docs/s, warm docs/s, wire ratio, reconnect bytes, reconnect ms}. */
    static double[] run(Path jar, int n, int runNo) throws Exception {
        Path dir = Files.createTempDirectory("starling-net-bench");
        List<Peer> peers = new ArrayList<>();
        LoopbackProxy proxy = null;
        try {
            Path key = dir.resolve("app.key");
            exec(jar, dir, "keygen", key.toString());
            long payload;
            try (DefaultStarling a = (DefaultStarling) Starling.open(StarlingConfig.builder()
                    .databaseDirectory(dir.resolve("a"))
                    .appId("bench")
                    .build())) {
                LiveQueryBenchmark.load(a, 3 * n); // the first n measure fresh processes, the last n warm ones
                payload = SyncBenchmark.payload(a);
            }
            Peer a = Peer.start(
                    jar,
                    dir,
                    "a",
                    "--db",
                    dir.resolve("a").toString(),
                    "--app",
                    "bench",
                    "--listen",
                    "127.0.0.1:0",
                    "--http",
                    "127.0.0.1:0",
                    "--shared-key",
                    key.toString());
            peers.add(a);
            java.net.URI sync = java.net.URI.create(a.sync);
            proxy = new LoopbackProxy(new java.net.InetSocketAddress("127.0.0.1", sync.getPort()));
            Peer b = Peer.start(
                    jar,
                    dir,
                    "b",
                    "--db",
                    dir.resolve("b").toString(),
                    "--app",
                    "bench",
                    "--connect",
                    proxy.address(),
                    "--http",
                    "127.0.0.1:0",
                    "--shared-key",
                    key.toString(),
                    "--subscribe",
                    "SELECT * FROM docs");
            peers.add(b);

            long first = 0, half = 0, twoThirds = 0, lastProgress = 0;
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (true) {
                Map<String, Double> m = b.metrics();
                long now = System.nanoTime();
                double docs = m.getOrDefault(DOCS_RECEIVED, 0.0);
                if (first == 0 && m.getOrDefault(BYTES_RECEIVED, 0.0) > 0) first = now;
                if (half == 0 && docs >= n) half = now;
                if (twoThirds == 0 && docs >= 2 * n) twoThirds = now;
                if (PROGRESS && first != 0 && now - lastProgress > 250_000_000L) {
                    lastProgress = now;
                    System.out.printf("  %.2f s: %.0f documents%n", (now - first) / 1e9, docs);
                }
                if (docs >= 3 * n) break;
                if (now > deadline) throw new IllegalStateException("sync did not finish in 10 minutes: " + m);
                LockSupport.parkNanos(POLL_NANOS);
            }
            long end = System.nanoTime();
            double cold = n / ((half - first) / 1e9), warm = n / ((end - twoThirds) / 1e9);
            Map<String, Double> ma = a.settledMetrics();
            long wire = (long) (metric(ma, BYTES_SENT) + metric(ma, BYTES_RECEIVED));

            // reconnect, three times: the link drops, A changes 10 documents, the link comes back; both processes keep
            // running. The first reconnect runs the TLS handshake code for the first time since start-up.
            double[] rbytes = new double[3], rmillis = new double[3];
            long relayed = 0;
            for (int round = 0; round < 3; round++) {
                Map<String, Double> before = b.settledMetrics();
                proxy.cut();
                while (a.metrics().getOrDefault("starling_connections", 1.0) > 0) LockSupport.parkNanos(POLL_NANOS);
                for (int i = 0; i < 10; i++) {
                    a.execute("UPDATE docs SET score = " + (-1 - i - 10 * round) + " WHERE _id = '"
                            + DocumentGenerator.id(i * (n / 10) + round) + "'");
                }
                long proxyBefore = proxy.bytes();
                proxy.release();
                while (b.metrics().getOrDefault(DOCS_RECEIVED, 0.0) < metric(before, DOCS_RECEIVED) + 10) {
                    if (System.nanoTime() > deadline) throw new IllegalStateException("reconnect did not finish");
                    LockSupport.parkNanos(1_000_000);
                }
                rmillis[round] = (System.nanoTime() - proxy.acceptedAt()) / 1e6;
                Map<String, Double> after = b.settledMetrics();
                rbytes[round] = metric(after, BYTES_SENT)
                        + metric(after, BYTES_RECEIVED)
                        - metric(before, BYTES_SENT)
                        - metric(before, BYTES_RECEIVED);
                relayed = proxy.bytes() - proxyBefore;
            }
            java.util.Arrays.sort(rbytes);
            java.util.Arrays.sort(rmillis);
            long reconnectBytes = (long) rbytes[1];
            double reconnectMs = rmillis[1];
            System.out.printf(
                    "| %d | %d | %d | %d | %.3f× | %.0f | %.0f | %d (relayed %d) | %.0f (max %.0f) |%n",
                    runNo,
                    3 * n,
                    payload,
                    wire,
                    (double) wire / payload,
                    cold,
                    warm,
                    reconnectBytes,
                    relayed,
                    reconnectMs,
                    rmillis[2]);
            return new double[] {cold, warm, (double) wire / payload, reconnectBytes, reconnectMs};
        } finally {
            if (proxy != null) proxy.close();
            for (Peer p : peers) p.stop();
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    private static double[] sorted(List<double[]> results, int column) {
        return results.stream().mapToDouble(x -> x[column]).sorted().toArray();
    }

    private static double median(double[] sorted) {
        return sorted[sorted.length / 2];
    }

    static void exec(Path jar, Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(java(), "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("keygen.log").toFile())
                .start();
        if (p.waitFor() != 0)
            throw new IllegalStateException(
                    "starling " + String.join(" ", args) + " failed: " + Files.readString(dir.resolve("keygen.log")));
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** A metric the peer must report. */
    static double metric(Map<String, Double> metrics, String name) {
        Double v = metrics.get(name);
        if (v == null)
            throw new IllegalStateException("the peer reports no " + name + " (it has " + metrics.keySet() + ")");
        return v;
    }

    /** One peer process, its HTTP address and its sync endpoint. */
    static final class Peer {
        final Process process;

        @SuppressWarnings("NullAway.Init") // set by start() before it returns the peer
        String http;

        @SuppressWarnings("NullAway.Init") // as http
        String sync;

        private Peer(Process process) {
            this.process = process;
        }

        static Peer start(Path jar, Path dir, String name, String... args) throws Exception {
            List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx512m"));
            String opts = System.getProperty("starling.peer.java.opts", "").replace("{name}", name);
            if (!opts.isBlank()) cmd.addAll(List.of(opts.trim().split("\\s+")));
            cmd.addAll(List.of("-jar", jar.toString(), "peer"));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .start();
            Peer peer = new Peer(p);
            Path log = dir.resolve(name + ".log");
            CompletableFuture<Void> ready = new CompletableFuture<>();
            Thread reader = new Thread(
                    () -> {
                        try (BufferedReader r = new BufferedReader(
                                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                                var out = Files.newBufferedWriter(log)) {
                            String line;
                            while ((line = r.readLine()) != null) {
                                out.write(line);
                                out.newLine();
                                out.flush();
                                Matcher m = LISTENING.matcher(line);
                                if (m.find()) {
                                    if (m.group(1).equals("http")) peer.http = m.group(2);
                                    else if (peer.sync == null) peer.sync = m.group(2);
                                }
                                if (peer.http != null
                                        && (peer.sync != null || !List.of(args).contains("--listen")))
                                    ready.complete(null);
                            }
                            ready.completeExceptionally(
                                    new IllegalStateException("peer " + name + " exited; see " + log));
                        } catch (IOException e) {
                            ready.completeExceptionally(e);
                        }
                    },
                    "peer-" + name + "-output");
            reader.setDaemon(true);
            reader.start();
            ready.get(60, TimeUnit.SECONDS);
            return peer;
        }

        Map<String, Double> metrics() throws Exception {
            HttpResponse<String> r = HTTP.send(
                    HttpRequest.newBuilder(URI.create(http + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            Map<String, Double> out = new HashMap<>();
            for (String line : r.body().split("\n", -1)) {
                if (line.startsWith("#") || line.isBlank()) continue;
                String[] parts = line.trim().split("\\s+", -1);
                out.put(parts[0], Double.parseDouble(parts[1]));
            }
            return out;
        }

        /** Metrics once the byte counters stop moving (acknowledgements and presence have crossed). */
        Map<String, Double> settledMetrics() throws Exception {
            Map<String, Double> last = metrics();
            for (int stable = 0; stable < 5; ) {
                LockSupport.parkNanos(100_000_000);
                Map<String, Double> now = metrics();
                stable = metric(now, BYTES_SENT) == metric(last, BYTES_SENT)
                                && metric(now, BYTES_RECEIVED) == metric(last, BYTES_RECEIVED)
                        ? stable + 1
                        : 0;
                last = now;
            }
            return last;
        }

        void execute(String statement) throws Exception {
            String body = "{\"statement\": "
                    + com.fasterxml.jackson.databind.json.JsonMapper.builder()
                            .build()
                            .writeValueAsString(statement) + "}";
            HttpResponse<String> r = HTTP.send(
                    HttpRequest.newBuilder(URI.create(http + "/api/v1/execute"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200)
                throw new IllegalStateException("execute failed: " + r.statusCode() + " " + r.body());
        }

        void stop() throws InterruptedException {
            process.destroy(); // SIGTERM: a clean shutdown
            if (!process.waitFor(30, TimeUnit.SECONDS))
                process.destroyForcibly().waitFor();
        }

        void kill() throws InterruptedException {
            process.destroyForcibly().waitFor();
        }
    }
}
