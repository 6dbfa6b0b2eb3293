package io.starling.bench.server;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.starling.internal.core.Value;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The server load harness ({@code bench/server}; docs/BENCHMARKS.md, "Server under load"). Runs {@code starling
 * server} as child JVMs with a fixed 1 GiB heap and a fleet of simulated devices in this JVM, each a real sync session
 * over real sockets on 127.0.0.1 (half TCP, half WebSocket) with its own subscriptions and a few documents of its own
 * ({@link DeviceFleet}). Three phases:
 *
 * <ol>
 *   <li><b>connect storm</b> — one node on SQLite; every device dials at once: time until all are connected, refusals,
 *       then the server's heap after a full GC, threads and CPU with every device connected;
 *   <li><b>steady</b> — at a fixed rate, a write to {@code shared} (every device subscribes to it) made alternately by a
 *       device and through the HTTP API, and an HTTP write to {@code personal} that only one device's filter selects:
 *       time from each write until every subscriber holds it (p50/p99), and until each one does;
 *   <li><b>two nodes</b> — two server processes on one PostgreSQL (embedded binaries), the devices split between them;
 *       writes on node 1 (by its devices and through its HTTP API): time until each device on node 2 holds them.
 * </ol>
 *
 * Prints each figure with its budget beside it and writes the figures as JSON into {@code bench/results}.
 */
public final class ServerLoadBenchmark {
    static final String APP = "bench-server";
    private static final String BUDGET_WRITE_ALL = "p99 ≤ 2,000 ms";
    private static final String BUDGET_TWO_NODES = "p99 ≤ 500 ms";

    /** What to run. */
    record Options(
            int devices,
            int twoNodeDevices,
            Duration steady,
            Duration twoNode,
            double rate,
            int initialDocs,
            Duration warmup,
            boolean twoNodes,
            Duration connectDeadline,
            long seed,
            List<String> launch,
            List<String> serverJvmOptions,
            Path results) {

        static Options parse(String[] args) {
            int devices = 1000, twoNodeDevices = -1, initialDocs = 5;
            double steady = 60, twoNode = 30, rate = 2, warmup = 10;
            boolean twoNodes = true, quick = false;
            long seed = System.nanoTime();
            Path results = Path.of("bench", "results");
            String jar = System.getProperty("starling.cli.jar");
            String classPath = null;
            List<String> jvm = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--quick" -> quick = true;
                    case "--devices" -> devices = positive(a, value(args, ++i, a));
                    case "--two-node-devices" -> twoNodeDevices = positive(a, value(args, ++i, a));
                    case "--steady" -> steady = seconds(a, value(args, ++i, a));
                    case "--two-node" -> twoNode = seconds(a, value(args, ++i, a));
                    case "--rate" -> rate = seconds(a, value(args, ++i, a));
                    case "--warmup" -> warmup = seconds(a, value(args, ++i, a));
                    case "--initial-docs" -> initialDocs = (int) seconds(a, value(args, ++i, a));
                    case "--no-two-nodes" -> twoNodes = false;
                    case "--seed" -> seed = Long.parseLong(value(args, ++i, a));
                    case "--results" -> results = Path.of(value(args, ++i, a));
                    case "--server-jar" -> jar = value(args, ++i, a);
                    case "--server-classpath" -> classPath = value(args, ++i, a);
                    case "--server-jvm-option" -> jvm.add(value(args, ++i, a));
                    case "-h", "--help" -> {
                        System.out.println(USAGE);
                        System.exit(0);
                    }
                    default -> throw new IllegalArgumentException("unknown option " + a + "\n" + USAGE);
                }
            }
            if (quick) {
                boolean devicesGiven = List.of(args).contains("--devices");
                if (!devicesGiven) devices = 100;
                if (!List.of(args).contains("--steady")) steady = 10;
                if (!List.of(args).contains("--two-node")) twoNode = 8;
                if (!List.of(args).contains("--warmup")) warmup = 3;
            }
            if (twoNodeDevices < 0) twoNodeDevices = devices;
            List<String> launch;
            if (classPath != null) launch = List.of("-cp", classPath, "io.starling.cli.StarlingCli");
            else if (jar != null && Files.exists(Path.of(jar)))
                launch = List.of("-jar", Path.of(jar).toAbsolutePath().toString());
            else
                throw new IllegalArgumentException(
                        "no starling CLI to run: give --server-jar (or -Dstarling.cli.jar) or --server-classpath");
            List<String> serverJvm = new ArrayList<>(List.of("-Xmx1g"));
            serverJvm.addAll(jvm);
            return new Options(
                    devices,
                    twoNodeDevices,
                    Duration.ofMillis((long) (steady * 1000)),
                    Duration.ofMillis((long) (twoNode * 1000)),
                    rate,
                    initialDocs,
                    Duration.ofMillis((long) (warmup * 1000)),
                    twoNodes,
                    Duration.ofSeconds(Math.max(60, devices / 5)),
                    seed,
                    launch,
                    serverJvm,
                    results);
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length) throw new IllegalArgumentException(option + " needs a value");
            return args[i];
        }

        private static int positive(String option, String v) {
            try {
                int n = Integer.parseInt(v);
                if (n < 2) throw new IllegalArgumentException(option + " must be at least 2, got " + v);
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " needs a whole number, got '" + v + "'");
            }
        }

        private static double seconds(String option, String v) {
            try {
                double d = Double.parseDouble(v);
                if (!(d > 0)) throw new IllegalArgumentException(option + " must be positive, got " + v);
                return d;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " needs a number, got '" + v + "'");
            }
        }
    }

    static final String USAGE = """
            usage: bench/server [--quick] [--devices N] [--steady SECONDS] [--rate WRITES_PER_SECOND]
                                [--warmup SECONDS] [--two-node SECONDS] [--two-node-devices N] [--no-two-nodes] [--initial-docs K]
                                [--seed S] [--results DIR] [--server-jvm-option OPT]...
              defaults: 1,000 devices, 60 s steady, 2 shared writes/s (plus 2 filtered), 30 s on two nodes,
              5 documents per device; --quick: 100 devices, 10 s steady, 8 s on two nodes""";

    public static void main(String[] args) throws Exception {
        // the fleet's transport logs every redial; the figures are what this prints
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null)
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("bench/server: " + e.getMessage());
            System.exit(2);
            return;
        }
        Map<String, Object> result = run(o, System.out);
        Files.createDirectories(o.results());
        Path file = o.results()
                .resolve("server-"
                        + Instant.now()
                                .truncatedTo(ChronoUnit.SECONDS)
                                .toString()
                                .replace(':', '-') + ".json");
        JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build().writeValue(file.toFile(), result);
        System.out.println("\nwritten to " + file);
    }

    /** Runs every phase; prints as it goes; returns the figures (the JSON written). */
    static Map<String, Object> run(Options o, java.io.PrintStream out) throws Exception {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        result.put("machine", machine());
        result.put("loadAverageAtStart", loadAverage());
        result.put(
                "options",
                Map.of(
                        "devices", o.devices(),
                        "twoNodeDevices", o.twoNodeDevices(),
                        "steadySeconds", o.steady().toMillis() / 1000.0,
                        "twoNodeSeconds", o.twoNode().toMillis() / 1000.0,
                        "sharedWritesPerSecond", o.rate(),
                        "initialDocsPerDevice", o.initialDocs(),
                        "seed", o.seed(),
                        "serverJvm", o.serverJvmOptions()));
        out.printf(
                "machine: %s; load average %s; server JVM %s; seed %d%n",
                result.get("machine"), result.get("loadAverageAtStart"), o.serverJvmOptions(), o.seed());
        Path dir = Files.createTempDirectory("starling-server-bench");
        List<String[]> table = new ArrayList<>();
        try {
            result.put("oneNode", oneNode(o, dir, out, table));
            if (o.twoNodes()) result.put("twoNodes", twoNodes(o, dir, out, table));
        } finally {
            delete(dir);
        }
        result.put("loadAverageAtEnd", loadAverage());
        out.printf("%n| figure | measured | budget |%n|---|---|---|%n");
        for (String[] row : table) out.printf("| %s | %s | %s |%n", row[0], row[1], row[2]);
        out.printf("load average at the end: %s%n", result.get("loadAverageAtEnd"));
        return result;
    }

    private static List<String> serverArgs(String storageFlag, String storage) {
        return List.of(
                storageFlag,
                storage,
                "--app",
                APP,
                "--listen",
                "tcp://127.0.0.1:0",
                "--listen",
                "ws://127.0.0.1:0/sync",
                "--collection",
                LoadDevice.SHARED,
                "--collection",
                LoadDevice.PERSONAL,
                "--http",
                "127.0.0.1:0",
                "--max-peers",
                "10000");
    }

    // ---- phase 1 and 2: one node

    private static Map<String, Object> oneNode(Options o, Path dir, java.io.PrintStream out, List<String[]> table)
            throws Exception {
        Map<String, Object> r = new LinkedHashMap<>();
        int n = o.devices();
        DeliveryTracker tracker = new DeliveryTracker();
        out.printf("%n== one node (SQLite): %d devices ==%n", n);
        try (ServerProcess server = ServerProcess.start(
                        o.launch(),
                        o.serverJvmOptions(),
                        dir,
                        "node",
                        serverArgs("--db", dir.resolve("node-db").toString()));
                DeviceFleet fleet = new DeviceFleet(APP, n, 1, o.initialDocs(), o.seed(), tracker)) {
            fleet.nodeAt(server.tcp(), 0);
            fleet.nodeAt(server.ws(), 0);
            long heapIdle = server.heapUsedAfterGc();
            int threadsIdle = server.threads();
            double cpuStart = server.cpuSeconds();

            // connect storm
            long t0 = System.nanoTime();
            fleet.connectAll(List.of(server.tcp()), List.of(server.ws()));
            boolean all = await(fleet::allConnected, o.connectDeadline());
            double connectSeconds = all ? (fleet.allConnectedAt() - t0) / 1e9 : Double.NaN;
            long expectedUploads = (long) n * o.initialDocs();
            boolean uploaded = await(
                    () -> metricOr(server, "starling_sync_documents_received_total") >= expectedUploads,
                    o.connectDeadline());
            double settledSeconds = (System.nanoTime() - t0) / 1e9;
            double cpuStorm = server.cpuSeconds() - cpuStart;
            Map<String, Double> m = server.metrics();
            long heapConnected = server.heapUsedAfterGc();
            int threadsConnected = server.threads();
            Map<String, Object> storm = new LinkedHashMap<>();
            storm.put("allConnected", all);
            storm.put("secondsToAllConnected", all ? connectSeconds : null); // JSON has no NaN
            storm.put("devicesConnected", fleet.connected());
            storm.put("serverConnections", m.get("starling_connections"));
            storm.put("serverRefusedConnections", m.get("starling_connections_refused_total"));
            storm.put("sessionsEndedBeforeEstablished", fleet.refusedBeforeSession());
            storm.put("sessionsEndedAfterEstablished", fleet.endedAfterSession());
            storm.put("endReasons", fleet.endReasons());
            storm.put("initialDocumentsUploaded", uploaded);
            storm.put("secondsToInitialDocumentsStored", settledSeconds);
            storm.put("serverCpuSeconds", cpuStorm);
            storm.put("serverHeapUsedAfterGcIdleBytes", heapIdle);
            storm.put("serverHeapUsedAfterGcConnectedBytes", heapConnected);
            storm.put("serverHeapPerPeerBytes", (heapConnected - heapIdle) / (double) n);
            storm.put("serverThreadsIdle", threadsIdle);
            storm.put("serverThreadsConnected", threadsConnected);
            storm.put("serverBytesSent", m.get("starling_sync_bytes_sent_total"));
            r.put("connectStorm", storm);
            out.printf(
                    "connect storm: %d of %d connected in %.2f s (%s); %d ended before their session, %d after %s, server"
                            + " refused %.0f; initial documents stored after %.2f s; server CPU %.1f s%n",
                    fleet.connected(),
                    n,
                    connectSeconds,
                    all ? "all" : "NOT ALL, deadline " + o.connectDeadline().toSeconds() + " s",
                    fleet.refusedBeforeSession(),
                    fleet.endedAfterSession(),
                    fleet.endReasons(),
                    m.getOrDefault("starling_connections_refused_total", Double.NaN),
                    settledSeconds,
                    cpuStorm);
            out.printf(
                    "server heap after GC: %s idle, %s with %d peers (%.1f KiB per peer); threads %d idle, %d"
                            + " connected%n",
                    mib(heapIdle),
                    mib(heapConnected),
                    fleet.connected(),
                    (heapConnected - heapIdle) / 1024.0 / n,
                    threadsIdle,
                    threadsConnected);
            table.add(new String[] {
                "one node: connected peers",
                fleet.connected() + " of " + n,
                "≥ 1,000" + (n < 1000 ? FEWER : verdict(fleet.connected() >= 1000))
            });
            table.add(new String[] {
                "one node: server heap used after GC, all connected",
                mib(heapConnected) + " of -Xmx1g (" + String.format("%.1f", (heapConnected - heapIdle) / 1024.0 / n)
                        + " KiB per peer)",
                "≤ 1 GiB" + verdict(heapConnected <= 1L << 30)
            });
            table.add(new String[] {
                "one node: connect storm, all connected",
                String.format(
                        "%.2f s; %d refused or dropped before the session",
                        connectSeconds, fleet.refusedBeforeSession()),
                "—"
            });

            // steady
            double cpuBefore = server.cpuSeconds();
            long wallBefore = System.nanoTime();
            Steady steady = steady(o, fleet, server, tracker, o.steady(), out);
            double cpuSteady = server.cpuSeconds() - cpuBefore;
            double wallSteady = (System.nanoTime() - wallBefore) / 1e9;
            long heapSteady = server.heapUsedAfterGc();
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("sharedWritesByDevices", tracker.writes("device").size());
            s.put("sharedWritesByHttp", tracker.writes("http").size());
            s.put("filteredWritesByHttp", tracker.writes("personal").size());
            s.put("httpErrors", steady.httpErrors);
            for (String kind : List.of("device", "http", "personal")) s.put(kind, latencies(tracker, kind));
            double[] allShared =
                    concat(tracker.toEverySubscriberMillis("device"), tracker.toEverySubscriberMillis("http"));
            java.util.Arrays.sort(allShared);
            s.put("sharedToEverySubscriberP50Ms", DeliveryTracker.percentile(allShared, 50));
            s.put("sharedToEverySubscriberP99Ms", DeliveryTracker.percentile(allShared, 99));
            s.put("serverCpuSeconds", cpuSteady);
            s.put("serverCpuCores", cpuSteady / wallSteady);
            s.put("serverHeapUsedAfterGcBytes", heapSteady);
            s.put("serverThreads", server.threads());
            s.put("devicesConnectedAtEnd", fleet.connected());
            s.put("sessionsEndedAfterEstablished", fleet.endedAfterSession());
            s.put("serverHistogram", server.histogram(15));
            r.put("steady", s);
            long[] missDevice = tracker.incomplete("device"), missHttp = tracker.incomplete("http");
            out.printf(
                    "steady: %d shared writes (devices %d, HTTP %d) to %d subscribers each, %d filtered; write → every"
                            + " subscriber p50 %.0f ms, p99 %.0f ms, max %.0f ms; %d writes missed %d deliveries; server"
                            + " CPU %.2f cores, heap after GC %s%n",
                    allShared.length + missDevice[0] + missHttp[0],
                    tracker.writes("device").size(),
                    tracker.writes("http").size(),
                    n - 1,
                    tracker.writes("personal").size(),
                    DeliveryTracker.percentile(allShared, 50),
                    DeliveryTracker.percentile(allShared, 99),
                    DeliveryTracker.percentile(allShared, 100),
                    missDevice[0] + missHttp[0],
                    missDevice[1] + missHttp[1],
                    cpuSteady / wallSteady,
                    mib(heapSteady));
            double[] personal = tracker.toEverySubscriberMillis("personal");
            out.printf(
                    "  filtered write (HTTP) → its one device: p50 %.0f ms, p99 %.0f ms%n",
                    DeliveryTracker.percentile(personal, 50), DeliveryTracker.percentile(personal, 99));
            out.print("  server class histogram after GC (top 15):\n" + s.get("serverHistogram"));
            table.add(new String[] {
                "one node: shared write → all " + (n - 1) + " subscribers, p50 / p99",
                String.format(
                        "%.0f / %.0f ms (%d writes, %d incomplete)",
                        DeliveryTracker.percentile(allShared, 50),
                        DeliveryTracker.percentile(allShared, 99),
                        allShared.length,
                        missDevice[0] + missHttp[0]),
                BUDGET_WRITE_ALL
                        + (n < 1000
                                ? FEWER
                                : verdict(missDevice[0] + missHttp[0] == 0
                                        && DeliveryTracker.percentile(allShared, 99) <= 2000))
            });
            table.add(new String[] {
                "one node: server CPU in the steady phase",
                String.format("%.2f cores (%.0f s CPU in %.0f s)", cpuSteady / wallSteady, cpuSteady, wallSteady),
                "—"
            });
        }
        return r;
    }

    /** What the steady phase saw besides the tracker. */
    private static final class Steady {
        int httpErrors;
    }

    /**
     * Writes at {@code o.rate()} per second for {@code duration}: alternately a device's write to {@code shared} and an
     * HTTP write to {@code shared} at {@code writeNode}, each expected at {@code subscribers} (every device but the
     * writer); on one node also an HTTP write to {@code personal} per slot for a random device. Then waits for the
     * deliveries (at most a minute).
     */
    private static Steady steady(
            Options o,
            DeviceFleet fleet,
            ServerProcess server,
            DeliveryTracker tracker,
            Duration duration,
            java.io.PrintStream out)
            throws Exception {
        return writeLoop(o, fleet, server, tracker, duration, 0, null, out);
    }

    private static Steady writeLoop(
            Options o,
            DeviceFleet fleet,
            ServerProcess server,
            DeliveryTracker tracker,
            Duration duration,
            int writerNode,
            @Nullable BitSet onlySubscribers,
            java.io.PrintStream out)
            throws Exception {
        Steady steady = new Steady();
        SplittableRandom random = new SplittableRandom(o.seed() ^ 0x9E3779B97F4A7C15L);
        List<LoadDevice> devices = fleet.devices();
        List<LoadDevice> writers =
                devices.stream().filter(d -> d.node == writerNode).toList();
        long period = (long) (1e9 / o.rate());
        // the first writes (a warm-up, not reported) run while the JIT compiles the paths they take, on both sides
        long start = System.nanoTime(), measured = start + o.warmup().toNanos(), end = measured + duration.toNanos();
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        String phase = onlySubscribers == null ? "s" : "t";
        for (int i = 0; ; i++) {
            long at = start + i * period;
            if (at >= end) break;
            while (System.nanoTime() < at) LockSupport.parkNanos(at - System.nanoTime());
            String id = phase + "-" + i;
            String prefix = at < measured ? "warmup-" : "";
            if (i % 2 == 0) {
                LoadDevice writer = writers.get(random.nextInt(writers.size()));
                BitSet subs = subscribers(devices, onlySubscribers, writer);
                tracker.expect(prefix + "device", id, subs);
                writer.write(
                        LoadDevice.SHARED,
                        id,
                        Map.of("n", Value.of(i), "by", Value.of(writer.name), "text", Value.of(TEXT)));
            } else {
                BitSet subs = subscribers(devices, onlySubscribers, null);
                tracker.expect(prefix + "http", id, subs);
                pending.add(server.execute(insert(LoadDevice.SHARED, id, Map.of("n", i, "by", "http", "text", TEXT))));
            }
            if (onlySubscribers == null) {
                LoadDevice owner = devices.get(random.nextInt(devices.size()));
                BitSet one = new BitSet();
                one.set(owner.index);
                String pid = "p-" + i;
                tracker.expect(prefix + "personal", pid, one);
                pending.add(server.execute(
                        insert(LoadDevice.PERSONAL, pid, Map.of("owner", owner.name, "n", i, "text", TEXT))));
            }
        }
        for (CompletableFuture<HttpResponse<String>> f : pending) {
            HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
            if (r.statusCode() != 200) {
                if (steady.httpErrors++ == 0) out.println("HTTP write failed: " + r.statusCode() + " " + r.body());
            }
        }
        await(tracker::allComplete, Duration.ofSeconds(60));
        return steady;
    }

    private static final String TEXT = "x".repeat(120); // documents of about 200 bytes

    private static BitSet subscribers(List<LoadDevice> devices, @Nullable BitSet only, @Nullable LoadDevice writer) {
        BitSet subs = new BitSet();
        if (only != null) subs.or(only);
        else subs.set(0, devices.size());
        if (writer != null) subs.clear(writer.index);
        return subs;
    }

    private static String insert(String collection, String id, Map<String, Object> fields) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("_id", id);
        doc.putAll(fields);
        return JsonMapper.builder()
                .build()
                .writeValueAsString(
                        Map.of("statement", "INSERT INTO " + collection + " DOCUMENTS (:d)", "args", Map.of("d", doc)));
    }

    // ---- phase 3: two nodes on one PostgreSQL

    private static Map<String, Object> twoNodes(Options o, Path dir, java.io.PrintStream out, List<String[]> table)
            throws Exception {
        Map<String, Object> r = new LinkedHashMap<>();
        int n = o.twoNodeDevices();
        out.printf("%n== two nodes on one PostgreSQL: %d devices, half on each ==%n", n);
        long pgStart = System.nanoTime();
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder()
                .setPGStartupWait(Duration.ofSeconds(60))
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("max_connections", "200")
                .setCleanDataDirectory(true)
                .start()) {
            String url = "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres?user=postgres";
            out.printf("PostgreSQL (embedded) started in %.1f s%n", (System.nanoTime() - pgStart) / 1e9);
            DeliveryTracker tracker = new DeliveryTracker();
            try (ServerProcess one = ServerProcess.start(
                            o.launch(), o.serverJvmOptions(), dir, "node1", serverArgs("--postgres", url));
                    ServerProcess two = ServerProcess.start(
                            o.launch(), o.serverJvmOptions(), dir, "node2", serverArgs("--postgres", url));
                    DeviceFleet fleet = new DeviceFleet(APP, n, 2, o.initialDocs(), o.seed() + 1, tracker)) {
                fleet.nodeAt(one.tcp(), 0);
                fleet.nodeAt(one.ws(), 0);
                fleet.nodeAt(two.tcp(), 1);
                fleet.nodeAt(two.ws(), 1);
                long t0 = System.nanoTime();
                fleet.connectAll(List.of(one.tcp(), two.tcp()), List.of(one.ws(), two.ws()));
                boolean all = await(fleet::allConnected, o.connectDeadline());
                double connectSeconds = all ? (fleet.allConnectedAt() - t0) / 1e9 : Double.NaN;
                long expectedUploads = (long) n * o.initialDocs();
                await(
                        () -> metricOr(one, "starling_sync_documents_received_total")
                                        + metricOr(two, "starling_sync_documents_received_total")
                                >= expectedUploads,
                        o.connectDeadline());
                out.printf(
                        "connected: %d of %d in %.2f s (node 1: %.0f, node 2: %.0f sessions)%n",
                        fleet.connected(),
                        n,
                        connectSeconds,
                        metricOr(one, "starling_connections"),
                        metricOr(two, "starling_connections"));
                BitSet onTwo = new BitSet();
                for (LoadDevice d : fleet.devices()) if (d.node == 1) onTwo.set(d.index);
                double cpu1 = one.cpuSeconds(), cpu2 = two.cpuSeconds();
                long wall = System.nanoTime();
                Steady steady = writeLoop(o, fleet, one, tracker, o.twoNode(), 0, onTwo, out);
                double secs = (System.nanoTime() - wall) / 1e9;
                double[] each = concat(tracker.perSubscriberMillis("device"), tracker.perSubscriberMillis("http"));
                java.util.Arrays.sort(each);
                double[] all2 =
                        concat(tracker.toEverySubscriberMillis("device"), tracker.toEverySubscriberMillis("http"));
                java.util.Arrays.sort(all2);
                long[] miss1 = tracker.incomplete("device"), miss2 = tracker.incomplete("http");
                r.put("devices", n);
                r.put("allConnected", all);
                r.put("secondsToAllConnected", all ? connectSeconds : null); // JSON has no NaN
                r.put(
                        "writesOnNode1",
                        tracker.writes("device").size() + tracker.writes("http").size());
                r.put("httpErrors", steady.httpErrors);
                r.put("node1ToEachPeerOnNode2P50Ms", DeliveryTracker.percentile(each, 50));
                r.put("node1ToEachPeerOnNode2P99Ms", DeliveryTracker.percentile(each, 99));
                r.put("node1ToEachPeerOnNode2MaxMs", DeliveryTracker.percentile(each, 100));
                r.put("node1ToEveryPeerOnNode2P50Ms", DeliveryTracker.percentile(all2, 50));
                r.put("node1ToEveryPeerOnNode2P99Ms", DeliveryTracker.percentile(all2, 99));
                r.put("incompleteWrites", miss1[0] + miss2[0]);
                r.put("missingDeliveries", miss1[1] + miss2[1]);
                r.put("device", latencies(tracker, "device"));
                r.put("http", latencies(tracker, "http"));
                double cores1 = (one.cpuSeconds() - cpu1) / secs, cores2 = (two.cpuSeconds() - cpu2) / secs;
                long heap1 = one.heapUsedAfterGc(), heap2 = two.heapUsedAfterGc();
                r.put("node1CpuCores", cores1);
                r.put("node2CpuCores", cores2);
                r.put("node1HeapUsedAfterGcBytes", heap1);
                r.put("node2HeapUsedAfterGcBytes", heap2);
                r.put("node1Threads", one.threads());
                r.put("node2Threads", two.threads());
                out.printf(
                        "write on node 1 → each peer on node 2: p50 %.0f ms, p99 %.0f ms, max %.0f ms (%d deliveries);"
                                + " → every peer on node 2: p50 %.0f ms, p99 %.0f ms; %d writes missed %d deliveries;"
                                + " CPU node 1 %.2f, node 2 %.2f cores; heap after GC %s, %s%n",
                        DeliveryTracker.percentile(each, 50),
                        DeliveryTracker.percentile(each, 99),
                        DeliveryTracker.percentile(each, 100),
                        each.length,
                        DeliveryTracker.percentile(all2, 50),
                        DeliveryTracker.percentile(all2, 99),
                        miss1[0] + miss2[0],
                        miss1[1] + miss2[1],
                        cores1,
                        cores2,
                        mib(heap1),
                        mib(heap2));
                table.add(new String[] {
                    "two nodes: write on node 1 → a peer on node 2, p50 / p99",
                    String.format(
                            "%.0f / %.0f ms (%d deliveries of %d writes to %d peers; %d missing)",
                            DeliveryTracker.percentile(each, 50),
                            DeliveryTracker.percentile(each, 99),
                            each.length,
                            tracker.writes("device").size()
                                    + tracker.writes("http").size(),
                            onTwo.cardinality(),
                            miss1[1] + miss2[1]),
                    BUDGET_TWO_NODES + verdict(miss1[1] + miss2[1] == 0 && DeliveryTracker.percentile(each, 99) <= 500)
                });
                table.add(new String[] {
                    "two nodes: write on node 1 → all " + onTwo.cardinality() + " peers on node 2, p50 / p99",
                    String.format(
                            "%.0f / %.0f ms",
                            DeliveryTracker.percentile(all2, 50), DeliveryTracker.percentile(all2, 99)),
                    "—"
                });
            }
        }
        return r;
    }

    // ---- helpers

    private static Map<String, Object> latencies(DeliveryTracker tracker, String kind) {
        double[] every = tracker.toEverySubscriberMillis(kind);
        double[] each = tracker.perSubscriberMillis(kind);
        long[] missing = tracker.incomplete(kind);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("writes", tracker.writes(kind).size());
        m.put("toEverySubscriberP50Ms", DeliveryTracker.percentile(every, 50));
        m.put("toEverySubscriberP99Ms", DeliveryTracker.percentile(every, 99));
        m.put("toEverySubscriberMaxMs", DeliveryTracker.percentile(every, 100));
        m.put("toEachSubscriberP50Ms", DeliveryTracker.percentile(each, 50));
        m.put("toEachSubscriberP99Ms", DeliveryTracker.percentile(each, 99));
        m.put("incompleteWrites", missing[0]);
        m.put("missingDeliveries", missing[1]);
        return m;
    }

    private static double[] concat(double[] a, double[] b) {
        double[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static double metricOr(ServerProcess server, String name) {
        try {
            return server.metrics().getOrDefault(name, 0.0);
        } catch (Exception e) {
            return 0;
        }
    }

    /** Polls {@code condition} every 20 ms until it holds or the deadline passes; returns whether it held. */
    static boolean await(BooleanSupplier condition, Duration deadline) {
        long end = System.nanoTime() + deadline.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) return false;
            LockSupport.parkNanos(20_000_000);
        }
        return true;
    }

    private static final String FEWER = " — not checked: fewer than 1,000 devices";

    /** The budget's verdict: met only when the figure is within it (and every write was delivered). */
    private static String verdict(boolean met) {
        return met ? " — met" : " — missed";
    }

    private static String mib(long bytes) {
        return String.format("%.0f MiB", bytes / 1048576.0);
    }

    static String machine() {
        return Runtime.getRuntime().availableProcessors() + " cores, java " + System.getProperty("java.version") + ", "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch");
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+", -1);
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
