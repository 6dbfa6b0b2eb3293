package io.starling.bench.suite;

import io.starling.Endpoint;
import io.starling.Identity;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.bench.DocumentGenerator;
import io.starling.bench.LoopbackProxy;
import io.starling.internal.engine.DefaultStarling;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * S7, Starling only, over a 20 KB/s link (20,000 bytes/s each way, {@link LoopbackProxy} with a rate limit) between two in-JVM
 * peers over loopback TCP in playground mode (no TLS: the certificates' handshake would be charged to every
 * reconnect here; S2's starling-tcp-tls shows the TLS cost). At N = 1,000 whatever --n says:
 * {@code sync_seconds_20kbps} and the bytes each way of an initial sync; {@code reconnect_seconds_k10_20kbps}
 * (from the proxy accepting B's new connection to A seeing B's acknowledgement of 10 changes made while the
 * link was cut) and its bytes; {@code change_1kb_latency_ms}: a 1 KB field written on A until B's store shows
 * it (median of 5; budget ≤ 1 s, docs/BENCHMARKS.md).
 */
final class S7SlowLink implements Scenario {
    static final int N = 1000;
    static final long RATE = 20_000;

    @Override
    public String id() {
        return "S7";
    }

    @Override
    public String title() {
        return "20 KB/s link (throttling proxy on loopback, TCP, playground), Starling only, N = 1,000";
    }

    @Override
    public boolean appliesTo(int n, Context ctx) {
        return ctx.sizes.isEmpty() || n == ctx.sizes.get(0);
    }

    @Override
    public List<BenchRecord> run(Context ctx, int ignored) throws Exception {
        String sys = "starling";
        int n = N;
        List<BenchRecord> out = new ArrayList<>();
        Path dir = ctx.newDir("s7");
        StarlingConfig.Builder ca = StarlingConfig.builder()
                .databaseDirectory(dir.resolve("a"))
                .appId("bench")
                .identity(Identity.playground())
                .listen("127.0.0.1:0");
        StarlingConfig.Builder cb = StarlingConfig.builder()
                .databaseDirectory(dir.resolve("b"))
                .appId("bench")
                .identity(Identity.playground());
        try (Starling a = Starling.open(ca.build());
                Starling b = Starling.open(cb.build());
                LoopbackProxy proxy = new LoopbackProxy(
                        new InetSocketAddress(
                                "127.0.0.1", a.sync().listening().get(0).port()),
                        RATE)) {
            Bench.load(a, ctx.docs(n));
            b.sync().registerSubscription("SELECT * FROM docs", Map.of());
            long peerB = Bench.siteId(b);
            long seq = ((DefaultStarling) a).defaultStore().lastSequence();
            long start = System.nanoTime();
            b.sync().connect(Endpoint.tcp("127.0.0.1", proxy.port()));
            Bench.await("S7 sync", () -> a.sync().hasReached(peerB, seq));
            out.add(BenchRecord.of(id(), sys, n, "sync_seconds_20kbps", (System.nanoTime() - start) / 1e9, "s"));
            Bench.awaitQuiet(proxy::bytes, 300);
            out.add(BenchRecord.of(id(), sys, n, "sync_wire_bytes_a_to_b_20kbps", proxy.bytesFromTarget(), "B"));
            out.add(BenchRecord.of(id(), sys, n, "sync_wire_bytes_b_to_a_20kbps", proxy.bytesToTarget(), "B"));

            // a 1 KB change reaches the neighbour
            String blob = "x".repeat(1024);
            List<Double> lat = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                String id = DocumentGenerator.id(i * 97);
                String value = i + blob.substring(String.valueOf(i).length());
                long t = System.nanoTime();
                a.store().execute("UPDATE docs SET blob = :v WHERE _id = :id", Map.of("v", value, "id", id));
                Bench.await(
                        "S7 1 KB change",
                        () -> value.equals(b.store()
                                .execute("SELECT blob FROM docs WHERE _id = :id", Map.of("id", id))
                                .items()
                                .get(0)
                                .value()
                                .get("blob")),
                        60);
                lat.add((System.nanoTime() - t) / 1e6);
            }
            lat.sort(null);
            out.add(BenchRecord.of(id(), sys, n, "change_1kb_latency_ms", lat.get(lat.size() / 2), "ms"));

            // reconnect after 10 changes made while the link was down
            Bench.awaitQuiet(proxy::bytes, 300);
            proxy.cut();
            Bench.await("S7 cut", () -> a.sync().peers().isEmpty(), 60);
            for (int i = 0; i < 10; i++) {
                a.store()
                        .execute(
                                "UPDATE docs SET score = :s WHERE _id = :id",
                                Map.of("s", -1L - i, "id", DocumentGenerator.id(i * 50)));
            }
            long seq2 = ((DefaultStarling) a).defaultStore().lastSequence();
            long before = proxy.bytes();
            long cutAt = proxy.acceptedAt();
            proxy.release();
            Bench.await(
                    "S7 reconnect",
                    () -> proxy.acceptedAt() != cutAt && a.sync().hasReached(peerB, seq2),
                    120);
            double seconds = (System.nanoTime() - proxy.acceptedAt()) / 1e9;
            Bench.awaitQuiet(proxy::bytes, 300);
            out.add(BenchRecord.of(id(), sys, n, "reconnect_seconds_k10_20kbps", seconds, "s"));
            out.add(BenchRecord.of(id(), sys, n, "reconnect_bytes_k10_20kbps", proxy.bytes() - before, "B"));
        } finally {
            Bench.delete(dir);
        }
        return out;
    }
}
