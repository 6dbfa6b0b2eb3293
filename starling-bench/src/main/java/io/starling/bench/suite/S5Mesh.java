package io.starling.bench.suite;

import io.starling.internal.engine.DefaultStarling;
import io.starling.internal.engine.InMemoryTransport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * S5, a mesh of 3 and 6 Starling peers over the in-memory transport as a line (0-1-…-k), a ring (the line plus
 * k-0) and a star (hub 1, the other peers its leaves; the data starts at leaf 0, so it is relayed by the hub).
 * Peer 0 holds N documents; every peer subscribes to {@code SELECT * FROM docs}; all links come up at once.
 * Converged = every peer but 0 has received at least N document states, then every peer's
 * {@code COUNT(*)} is N (polled). Bytes: all links, both ways, until quiet for 100 ms; ideal =
 * (peers − 1) × payload (encoded ids and states). Run for N ≤ 10k (6 × 100k in one JVM does not fit the time).
 */
final class S5Mesh implements Scenario {
    @Override
    public String id() {
        return "S5";
    }

    @Override
    public String title() {
        return "mesh of 3 and 6 Starling peers: line, ring, star (in-memory transport)";
    }

    @Override
    public boolean appliesTo(int n, Context ctx) {
        return n <= 10_000 || ctx.quick;
    }

    @Override
    public List<BenchRecord> run(Context ctx, int n) throws Exception {
        List<BenchRecord> out = new ArrayList<>();
        for (int peers : new int[] {3, 6}) {
            for (String topology : List.of("line", "ring", "star")) {
                try {
                    out.addAll(mesh(ctx, n, peers, topology));
                } catch (Exception | Error e) {
                    out.add(BenchRecord.error(id(), "starling", n, topology + peers + ": " + e));
                }
            }
        }
        return out;
    }

    static List<int[]> links(String topology, int peers) {
        List<int[]> links = new ArrayList<>();
        switch (topology) {
            case "line" -> {
                for (int i = 0; i + 1 < peers; i++) links.add(new int[] {i, i + 1});
            }
            case "ring" -> {
                for (int i = 0; i + 1 < peers; i++) links.add(new int[] {i, i + 1});
                links.add(new int[] {peers - 1, 0});
            }
            default -> {
                for (int i = 0; i < peers; i++) if (i != 1) links.add(new int[] {1, i});
            }
        }
        return links;
    }

    List<BenchRecord> mesh(Context ctx, int n, int count, String topology) throws Exception {
        String sys = "starling", tag = topology + count;
        List<BenchRecord> out = new ArrayList<>();
        Path dir = ctx.newDir("s5");
        List<DefaultStarling> peers = new ArrayList<>();
        List<InMemoryTransport.Link> links = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                DefaultStarling p = Bench.open(dir.resolve("p" + i));
                peers.add(p);
                p.sync().registerSubscription("SELECT * FROM docs", Map.of());
            }
            Bench.load(peers.get(0), ctx.docs(n));
            long payload = Bench.payload(peers.get(0));
            List<int[]> pairs = links(topology, count);
            long start = System.nanoTime();
            for (int[] l : pairs) links.add(InMemoryTransport.connect(peers.get(l[0]), peers.get(l[1])));
            Bench.await(
                    "S5 " + tag,
                    () -> peers.stream()
                            .skip(1)
                            .allMatch(p -> p.sync().metrics().documentsReceived() >= n),
                    300);
            Bench.await("S5 " + tag, () -> peers.stream().allMatch(p -> count(p) == n), 300);
            double seconds = (System.nanoTime() - start) / 1e9;
            Bench.awaitQuiet(
                    () -> links.stream()
                            .mapToLong(l -> l.bytesAToB() + l.bytesBToA())
                            .sum(),
                    100);
            long bytes =
                    links.stream().mapToLong(l -> l.bytesAToB() + l.bytesBToA()).sum();
            out.add(BenchRecord.of(id(), sys, n, "converge_seconds_" + tag, seconds, "s"));
            out.add(BenchRecord.of(id(), sys, n, "total_bytes_" + tag, bytes, "B"));
            out.add(BenchRecord.of(id(), sys, n, "ideal_bytes_" + tag, (double) (count - 1) * payload, "B"));
        } finally {
            for (InMemoryTransport.Link l : links) l.close();
            for (DefaultStarling p : peers) p.close();
            Bench.delete(dir);
        }
        return out;
    }

    private static int count(DefaultStarling p) {
        return ((Number) Objects.requireNonNull(p.store()
                        .execute("SELECT COUNT(*) AS c FROM docs")
                        .items()
                        .get(0)
                        .value()
                        .get("c")))
                .intValue();
    }
}
