package io.starling.bench.suite;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The benchmark suite against Starling's peers (docs/BENCHMARKS.md), JVM side; {@code bench/run} drives it.
 *
 * <pre>
 * SuiteMain --write-data DIR --n 1000,10000        writes DIR/docs-N.jsonl for the Node side, then exits
 * SuiteMain [--quick] [--n LIST] [--runs R] [--scenarios S0,S1,…] [--merge FILE]… [--out FILE]
 * SuiteMain --table FILE                           prints the tables of a result file
 * </pre>
 */
public final class SuiteMain {
    static final List<Scenario> ALL = List.of(
            new S0StorageBound(),
            new S1Local(),
            new S2InitialSync(),
            new S3Reconnect(),
            new S4Concurrent(),
            new S5Mesh(),
            new S6Tombstones(),
            new S7SlowLink());

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        List<Integer> ns = null;
        int runs = -1;
        Set<String> only = null;
        List<Path> merge = new ArrayList<>();
        Path out = null, writeData = null, table = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--n" ->
                    ns = Arrays.stream(args[++i].split(","))
                            .map(String::trim)
                            .map(SuiteMain::parseN)
                            .toList();
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--scenarios" ->
                    only = Arrays.stream(args[++i].split(",")).map(String::trim).collect(Collectors.toSet());
                case "--merge" -> merge.add(Path.of(args[++i]));
                case "--out" -> out = Path.of(args[++i]);
                case "--write-data" -> writeData = Path.of(args[++i]);
                case "--table" -> table = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Map<String, String> titles = new LinkedHashMap<>();
        for (Scenario s : ALL) titles.put(s.id(), s.title());
        if (table != null) {
            Table.print(Results.read(table), titles, System.out);
            return;
        }
        if (ns == null) ns = quick ? List.of(1000) : List.of(1000, 10_000, 100_000);
        if (runs < 0) runs = quick ? 1 : 5;
        Path tmp = Files.createTempDirectory("starling-suite");
        Context ctx = new Context(quick, tmp);
        ctx.sizes = ns.stream().sorted().toList();
        try {
            if (writeData != null) {
                for (int n : ns) ctx.writeJsonl(writeData, n);
                return;
            }
            System.err.printf(
                    "machine: %d cores, java %s, max heap %d MB; N=%s, %d run(s)%s%n",
                    Runtime.getRuntime().availableProcessors(),
                    System.getProperty("java.version"),
                    Runtime.getRuntime().maxMemory() >> 20,
                    ns,
                    runs,
                    quick ? ", quick" : "");
            List<BenchRecord> records = new ArrayList<>();
            for (Scenario s : ALL) {
                if (only != null && !only.contains(s.id())) continue;
                boolean warmedUp = false;
                for (int n : ns) {
                    if (!s.appliesTo(n, ctx)) continue;
                    int r = s.runs(runs);
                    List<List<BenchRecord>> results = new ArrayList<>();
                    long start = System.nanoTime();
                    try {
                        if (!warmedUp && r > 1) {
                            s.run(ctx, n); // JIT warm-up, not counted
                            warmedUp = true;
                        }
                        for (int i = 0; i < r; i++) results.add(s.run(ctx, n));
                    } catch (Exception | Error e) {
                        e.printStackTrace();
                        results.add(List.of(BenchRecord.error(s.id(), "starling", n, e.toString())));
                    }
                    List<BenchRecord> agg = Results.aggregate(results);
                    records.addAll(agg);
                    System.err.printf(
                            "%s N=%d: %d run(s) in %.1f s%n", s.id(), n, r, (System.nanoTime() - start) / 1e9);
                    for (BenchRecord e : agg)
                        if (e.unit().equals("error")) System.err.println("  error: " + e.system() + ": " + e.value());
                }
            }
            for (Path m : merge) {
                try {
                    records.addAll(Results.read(m));
                } catch (Exception e) {
                    System.err.println("could not merge " + m + ": " + e);
                }
            }
            if (out != null) {
                Results.write(out, records);
                System.err.println("wrote " + records.size() + " records to " + out);
            }
            Table.print(records, titles, System.out);
        } finally {
            Bench.delete(tmp);
        }
        System.exit(0); // peers' non-daemon threads
    }

    private static int parseN(String s) {
        s = s.toLowerCase(Locale.ROOT);
        if (s.endsWith("k")) return Integer.parseInt(s.substring(0, s.length() - 1)) * 1000;
        return Integer.parseInt(s);
    }
}
