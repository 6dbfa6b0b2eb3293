package io.starling.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.starling.Attachment;
import io.starling.AttachmentFetchListener;
import io.starling.AttachmentFetcher;
import io.starling.AttachmentToken;
import io.starling.Endpoint;
import io.starling.ErrorCode;
import io.starling.Identity;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.transport.SharedKeys;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * Attachments between two peers in this process.
 *
 * <ul>
 *   <li><b>Throughput over loopback TLS.</b> Peer A holds a generated attachment of {@code --mb} MB; a fresh peer B,
 *       connected to A directly over TCP with TLS 1.3 (shared-key mode: mutual TLS), fetches it — from the call to
 *       {@code completed}, so including B writing, verifying (each chunk and the whole SHA-256), forcing and renaming
 *       the file. Against it, in the same run and alternating with it: a raw copy of the same file over a plain JDK
 *       TLS 1.3 socket on loopback with the same key (the receiver writes it to a file and forces it). Budget: the
 *       attachment at ≥ 80% of the raw copy's rate.
 *   <li><b>Documents first on a 20 KB/s link.</b> B dials A through {@link LoopbackProxy} limited to 20,000 bytes/s
 *       each way (TCP, playground, as S7 of {@code bench/run}). A 1 KB field written on A, until B's store shows it:
 *       {@code --changes} times with the link idle, then as many times while B fetches a {@code --slow-mb} MB
 *       attachment from A over the same link (the fetch is cancelled afterwards: it would take minutes). Budget:
 *       each change within 1 s; and, as an aim, the median during the transfer within 2× of the idle median.
 *   <li><b>Documents first on a plain loopback link.</b> The same through an unlimited relay, while B fetches a {@code
 *       --loopback-mb} MB attachment (the transfer runs at full speed): document latency during a transfer at most 2×
 *       its idle figure.
 * </ul>
 *
 * <p>Figures are printed and written to {@code bench/results/attachments-<UTC time>.json}. Usage: {@code
 * bench/attachments [--mb N] [--runs R] [--slow-mb M] [--loopback-mb L] [--changes C] [--skip-throughput]
 * [--skip-slow-link] [--skip-loopback]}.
 */
public final class AttachmentBenchmark {
    private static final long RATE = 20_000;
    private static final List<Map<String, Object>> RECORDS = new ArrayList<>();

    private AttachmentBenchmark() {}

    public static void main(String[] args) throws Exception {
        int mb = 200, runs = 3, slowMb = 5, changes = 10, loopbackMb = 600;
        boolean throughput = true, slowLink = true, loopback = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--mb" -> mb = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--slow-mb" -> slowMb = Integer.parseInt(args[++i]);
                case "--changes" -> changes = Integer.parseInt(args[++i]);
                case "--skip-throughput" -> throughput = false;
                case "--skip-slow-link" -> slowLink = false;
                case "--loopback-mb" -> loopbackMb = Integer.parseInt(args[++i]);
                case "--skip-loopback" -> loopback = false;
                default ->
                    throw new IllegalArgumentException("unknown option " + args[i]
                            + " (use --mb N --runs R --slow-mb M --loopback-mb L --changes C --skip-throughput"
                            + " --skip-slow-link --skip-loopback)");
            }
        }
        System.out.printf(
                "machine: %d cores, java %s%n%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        Path dir = Files.createTempDirectory("starling-attach-bench");
        try {
            if (throughput) throughput(dir.resolve("throughput"), mb, runs);
            if (slowLink) slowLink(dir.resolve("slow"), slowMb, changes);
            if (loopback) documentsDuringTransfer(dir.resolve("loopback"), 0, loopbackMb, changes, "loopback_link");
        } finally {
            delete(dir);
        }
        Path results = Path.of(System.getProperty("starling.bench.results", "bench/results"));
        Files.createDirectories(results);
        Path out = results.resolve("attachments-"
                + Instant.now().truncatedTo(ChronoUnit.SECONDS).toString().replace(':', '-') + ".json");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), RECORDS);
        System.out.println("\nwritten " + out);
    }

    // ---- throughput

    static void throughput(Path dir, int mb, int runs) throws Exception {
        Files.createDirectories(dir);
        Path key = dir.resolve("app.key");
        SharedKeys.generate(key);
        Path file = dir.resolve("content.bin");
        long length = (long) mb * 1_000_000;
        generate(file, length, 42);
        SSLContext tls = rawTls(key);
        System.out.printf(
                "attachment of %,d bytes, A → B over loopback TCP + TLS 1.3 (shared key), against a raw JDK TLS 1.3 copy"
                        + " of the same file%n%n",
                length);
        System.out.println("| run | raw TLS copy MB/s | attachment fetch MB/s | ratio |");
        System.out.println("|---|---|---|---|");
        try (Starling a = Starling.open(config(dir.resolve("a"), Identity.sharedKey(key))
                .listen("127.0.0.1:0")
                .build())) {
            AttachmentToken token = a.store().newAttachment(file, Map.of("name", "content.bin"));
            int port = a.sync().listening().get(0).port();
            List<Double> ratios = new ArrayList<>(), raws = new ArrayList<>(), ours = new ArrayList<>();
            for (int r = 0; r <= runs; r++) { // run 0 warms both paths up and is not counted
                double raw = rawCopy(tls, file, dir.resolve("raw-copy.bin"), length);
                double fetched = fetchOnce(dir.resolve("b" + r), key, port, token);
                if (r == 0) {
                    System.out.printf("| warm-up | %.1f | %.1f | %.2f |%n", raw, fetched, fetched / raw);
                    continue;
                }
                raws.add(raw);
                ours.add(fetched);
                ratios.add(fetched / raw);
                System.out.printf("| %d | %.1f | %.1f | %.2f |%n", r, raw, fetched, fetched / raw);
            }
            record("throughput", "raw_tls_mb_per_s", median(raws), "MB/s", mb);
            record("throughput", "attachment_mb_per_s", median(ours), "MB/s", mb);
            record("throughput", "attachment_over_raw", median(ratios), "ratio", mb);
            System.out.printf(
                    "%nmedian: raw %.1f MB/s, attachment %.1f MB/s, ratio %.2f (budget ≥ 0.80)%n%n",
                    median(raws), median(ours), median(ratios));
        }
    }

    /** B fetches the token from A (B is new each time); MB/s from the fetch call to completed. */
    static double fetchOnce(Path dirB, Path key, int port, AttachmentToken token) throws Exception {
        try (Starling b = Starling.open(config(dirB, Identity.sharedKey(key)).build())) {
            b.sync().connect(Endpoint.tcp("127.0.0.1", port));
            await("B connected", () -> b.sync().peers().stream().anyMatch(p -> p.connected()), 60);
            Done done = new Done();
            long t0 = System.nanoTime();
            b.store().fetchAttachment(token, done);
            Attachment got = done.result.get(10, TimeUnit.MINUTES);
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (got.token().len() != token.len()) throw new IllegalStateException("fetched " + got.token());
            return token.len() / 1e6 / seconds;
        } finally {
            delete(dirB);
        }
    }

    /** The same bytes over a plain TLS socket on loopback, written to a file and forced, MB/s. */
    static double rawCopy(SSLContext tls, Path file, Path target, long length) throws Exception {
        try (SSLServerSocket server = (SSLServerSocket)
                tls.getServerSocketFactory().createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setEnabledProtocols(new String[] {"TLSv1.3"});
            server.setNeedClientAuth(true);
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                try (SSLSocket s = (SSLSocket) server.accept();
                        OutputStream out = s.getOutputStream();
                        InputStream in = Files.newInputStream(file)) {
                    s.startHandshake();
                    byte[] buf = new byte[64 * 1024];
                    int n;
                    while ((n = in.read(buf)) > 0) out.write(buf, 0, n);
                    out.flush();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            try (SSLSocket s = (SSLSocket)
                    tls.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                s.setEnabledProtocols(new String[] {"TLSv1.3"});
                s.startHandshake(); // like the attachment fetch, the connection is up before the clock starts
                long t0 = System.nanoTime();
                long got = 0;
                try (InputStream in = s.getInputStream();
                        FileChannel out = FileChannel.open(
                                target,
                                StandardOpenOption.CREATE,
                                StandardOpenOption.WRITE,
                                StandardOpenOption.TRUNCATE_EXISTING)) {
                    byte[] buf = new byte[64 * 1024];
                    int n;
                    while (got < length && (n = in.read(buf)) > 0) {
                        ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                        while (b.hasRemaining()) out.write(b);
                        got += n;
                    }
                    out.force(true);
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                sent.get(1, TimeUnit.MINUTES);
                if (got != length) throw new IllegalStateException("raw copy got " + got + " of " + length);
                return length / 1e6 / seconds;
            } finally {
                Files.deleteIfExists(target);
            }
        }
    }

    /** A JDK TLS context from the shared key file: the CA key and certificate serve both ends, trusting the CA. */
    static SSLContext rawTls(Path keyFile) throws Exception {
        String pem = Files.readString(keyFile, StandardCharsets.US_ASCII);
        byte[] keyDer = pemBlock(pem, "PRIVATE KEY");
        byte[] certDer = pemBlock(pem, "CERTIFICATE");
        PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(keyDer));
        Certificate cert =
                CertificateFactory.getInstance("X.509").generateCertificate(new java.io.ByteArrayInputStream(certDer));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("k", key, new char[0], new Certificate[] {cert});
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", cert);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext c = SSLContext.getInstance("TLSv1.3");
        c.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return c;
    }

    private static byte[] pemBlock(String pem, String type) {
        Matcher m = Pattern.compile("-----BEGIN " + type + "-----([^-]+)-----END " + type + "-----")
                .matcher(pem);
        if (!m.find()) throw new IllegalStateException("no " + type + " in the key file");
        return Base64.getMimeDecoder().decode(m.group(1));
    }

    // ---- documents first on a slow link

    static void slowLink(Path dir, int mb, int changes) throws Exception {
        documentsDuringTransfer(dir, RATE, mb, changes, "slow_link");
    }

    /**
     * A 1 KB change A → B, idle and while B fetches an {@code mb} MB attachment from A over the same link: a {@link
     * LoopbackProxy} limited to {@code rate} bytes/s each way, or unlimited ({@code rate} 0, plain loopback).
     */
    static void documentsDuringTransfer(Path dir, long rate, int mb, int changes, String scenario) throws Exception {
        Files.createDirectories(dir);
        System.out.printf(
                "%s (LoopbackProxy, %s, TCP, playground): a 1 KB change A → B, idle and while B fetches a %d MB"
                        + " attachment from A over the same link%n%n",
                rate > 0 ? String.format("%,d B/s link", rate) : "unlimited loopback link",
                rate > 0 ? String.format("%,d bytes/s each way", rate) : "no rate limit",
                mb);
        try (Starling a = Starling.open(config(dir.resolve("a"), Identity.playground())
                        .listen("127.0.0.1:0")
                        .build());
                Starling b = Starling.open(
                        config(dir.resolve("b"), Identity.playground()).build());
                LoopbackProxy proxy = new LoopbackProxy(
                        new InetSocketAddress(
                                "127.0.0.1", a.sync().listening().get(0).port()),
                        rate)) {
            b.sync().registerSubscription("SELECT * FROM docs", Map.of());
            a.store().execute("INSERT INTO docs DOCUMENTS (:d)", Map.of("d", Map.of("_id", "d1", "v", "")));
            b.sync().connect(Endpoint.tcp("127.0.0.1", proxy.port()));
            await("the document reaches B", () -> !value(b).isEmpty() || hasDoc(b), 60);
            awaitQuiet(proxy::bytes, 500);

            List<Double> idle = new ArrayList<>();
            for (int i = 0; i < changes; i++) {
                idle.add(change(a, b, "idle-" + i));
                LockSupport.parkNanos(200_000_000); // the link drains between changes (pacing, not synchronisation)
            }

            Path file = dir.resolve("slow.bin");
            generate(file, (long) mb * 1_000_000, 7);
            AttachmentToken token = a.store().newAttachment(file, Map.of());
            Done done = new Done();
            AttachmentFetcher fetcher = b.store().fetchAttachment(token, done);
            long started = System.nanoTime();
            await("the transfer runs", () -> fetcher.bytesDone() > 0, 60);
            List<Double> busy = new ArrayList<>();
            long bytesAtStart = fetcher.bytesDone();
            for (int i = 0; i < changes; i++) {
                busy.add(change(a, b, "busy-" + i));
                LockSupport.parkNanos(200_000_000);
            }
            long bytesAtEnd = fetcher.bytesDone();
            double seconds = (System.nanoTime() - started) / 1e9;
            boolean stillRunning = !fetcher.isDone();
            fetcher.cancel();

            double idleMedian = median(idle), busyMedian = median(busy);
            double busyMax = busy.stream().max(Comparator.naturalOrder()).orElse(0.0);
            System.out.println("| | changes | median ms | max ms |");
            System.out.println("|---|---|---|---|");
            System.out.printf(
                    "| link idle | %d | %.0f | %.0f |%n",
                    idle.size(),
                    idleMedian,
                    idle.stream().max(Comparator.naturalOrder()).orElse(0.0));
            System.out.printf(
                    "| during the attachment transfer | %d | %.0f | %.0f |%n", busy.size(), busyMedian, busyMax);
            System.out.printf(
                    "%nduring/idle (medians) %.2f (aim ≤ 2); slowest change during the transfer %.0f ms%s;"
                            + " the attachment moved %,d bytes meanwhile (%.1f KB/s%s), transfer still running at the"
                            + " end: %s%n%n",
                    busyMedian / idleMedian,
                    busyMax,
                    rate == RATE ? " (budget ≤ 1000)" : "",
                    bytesAtEnd - bytesAtStart,
                    bytesAtEnd / seconds / 1000,
                    rate > 0 ? String.format(" of the link's %.0f", rate / 1000.0) : "",
                    stillRunning);
            record(scenario, "change_1kb_idle_ms", idleMedian, "ms", mb);
            record(scenario, "change_1kb_during_transfer_ms", busyMedian, "ms", mb);
            record(scenario, "change_1kb_during_transfer_max_ms", busyMax, "ms", mb);
            record(scenario, "during_over_idle", busyMedian / idleMedian, "ratio", mb);
            record(scenario, "attachment_kb_per_s_during", bytesAtEnd / seconds / 1000, "KB/s", mb);
        }
    }

    /** Writes a 1 KB value on A and waits until B shows it; milliseconds. */
    static double change(Starling a, Starling b, String tag) {
        String value = tag + "x".repeat(1024 - tag.length());
        long t0 = System.nanoTime();
        a.store().execute("UPDATE docs SET v = :v WHERE _id = 'd1'", Map.of("v", value));
        await("the change " + tag + " reaches B", () -> value.equals(value(b)), 120);
        return (System.nanoTime() - t0) / 1e6;
    }

    static boolean hasDoc(Starling b) {
        return !b.store()
                .execute("SELECT v FROM docs WHERE _id = 'd1'", Map.of())
                .items()
                .isEmpty();
    }

    static String value(Starling b) {
        var items = b.store()
                .execute("SELECT v FROM docs WHERE _id = 'd1'", Map.of())
                .items();
        if (items.isEmpty()) return "";
        Object v = items.get(0).value().get("v");
        return v == null ? "" : v.toString();
    }

    // ---- helpers

    static StarlingConfig.Builder config(Path dir, Identity identity) {
        return StarlingConfig.builder().databaseDirectory(dir).appId("bench").identity(identity);
    }

    /** A file of seeded pseudo-random bytes (incompressible, like a photo). */
    static void generate(Path file, long length, long seed) throws IOException {
        Random r = new Random(seed);
        byte[] buf = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long done = 0; done < length; ) {
                r.nextBytes(buf);
                int n = (int) Math.min(buf.length, length - done);
                out.write(buf, 0, n);
                done += n;
            }
        }
    }

    static final class Done implements AttachmentFetchListener {
        final CompletableFuture<Attachment> result = new CompletableFuture<>();

        @Override
        public void progress(long done, long total) {}

        @Override
        public void completed(Attachment attachment) {
            result.complete(attachment);
        }

        @Override
        public void failed(ErrorCode code, String reason) {
            result.completeExceptionally(new IllegalStateException(code.code() + ": " + reason));
        }
    }

    static void await(String what, BooleanSupplier condition, int seconds) {
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("timed out waiting for " + what);
            LockSupport.parkNanos(500_000);
        }
    }

    static void awaitQuiet(java.util.function.LongSupplier counter, long quietMillis) {
        long last = counter.getAsLong(), since = System.nanoTime();
        while (System.nanoTime() - since < quietMillis * 1_000_000) {
            LockSupport.parkNanos(10_000_000);
            long now = counter.getAsLong();
            if (now != last) {
                last = now;
                since = System.nanoTime();
            }
        }
    }

    static double median(List<Double> values) {
        List<Double> v = new ArrayList<>(values);
        v.sort(null);
        int n = v.size();
        return n == 0 ? Double.NaN : n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    static void record(String scenario, String metric, double value, String unit, int mb) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("scenario", "attachments/" + scenario);
        r.put("system", "starling");
        r.put("n", mb);
        r.put("metric", metric);
        r.put("value", Math.round(value * 1000) / 1000.0);
        r.put("unit", unit);
        RECORDS.add(r);
    }

    static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
