package io.starling.bench.suite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Aggregates runs (median, plus {@code <metric>_min}: the best run) and reads/writes the JSON result file. */
final class Results {
    private Results() {}

    /**
     * Per (scenario, system, n, metric): the median over runs as {@code metric}, and the best run as
     * {@code metric_min} (largest for a rate, smallest otherwise). Text, bool and error records keep the last run.
     */
    static List<BenchRecord> aggregate(List<List<BenchRecord>> runs) {
        Map<String, List<BenchRecord>> byKey = new LinkedHashMap<>();
        for (List<BenchRecord> run : runs) {
            for (BenchRecord r : run) {
                byKey.computeIfAbsent(
                                r.scenario() + '\0' + r.system() + '\0' + r.n() + '\0' + r.metric(),
                                k -> new ArrayList<>())
                        .add(r);
            }
        }
        List<BenchRecord> out = new ArrayList<>();
        for (List<BenchRecord> rs : byKey.values()) {
            BenchRecord first = rs.get(0);
            Boolean higher = BenchRecord.higherIsBetter(first.unit());
            if (!rs.stream().allMatch(BenchRecord::numeric) || higher == null) {
                out.add(rs.get(rs.size() - 1));
                continue;
            }
            double[] v = rs.stream().mapToDouble(BenchRecord::number).sorted().toArray();
            double median = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
            double best = higher ? v[v.length - 1] : v[0];
            out.add(new BenchRecord(
                    first.scenario(), first.system(), first.n(), first.metric(), round(median), first.unit()));
            out.add(new BenchRecord(
                    first.scenario(), first.system(), first.n(), first.metric() + "_min", round(best), first.unit()));
        }
        return out;
    }

    private static Object round(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return (long) v;
        double scale = Math.abs(v) >= 100 ? 10 : Math.abs(v) >= 1 ? 1000 : 1e6;
        return Math.round(v * scale) / scale;
    }

    static void write(Path file, List<BenchRecord> records) throws IOException {
        ArrayNode arr = Bench.JSON.createArrayNode();
        for (BenchRecord r : records) {
            ObjectNode o = arr.addObject();
            o.put("scenario", r.scenario());
            o.put("system", r.system());
            o.put("n", r.n());
            o.put("metric", r.metric());
            if (r.value() instanceof Long l) o.put("value", l);
            else if (r.value() instanceof Integer i) o.put("value", i);
            else if (r.value() instanceof Number x) o.put("value", x.doubleValue());
            else o.put("value", String.valueOf(r.value()));
            o.put("unit", r.unit());
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Bench.JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), arr);
    }

    /** Reads a JSON array of records (a result file, or the Node runner's output). */
    static List<BenchRecord> read(Path file) throws IOException {
        JsonNode root = Bench.JSON.readTree(file.toFile());
        if (root == null || !root.isArray()) throw new IOException(file + " does not hold a JSON array");
        List<BenchRecord> out = new ArrayList<>();
        for (JsonNode o : root) {
            JsonNode v = o.path("value");
            Object value = v.isNumber()
                    ? (v.isIntegralNumber() ? (Object) v.asLong() : (Object) v.asDouble())
                    : v.isBoolean() ? (Object) (v.asBoolean() ? 1L : 0L) : v.asText();
            out.add(new BenchRecord(
                    o.path("scenario").asText(),
                    o.path("system").asText(),
                    o.path("n").asInt(),
                    o.path("metric").asText(),
                    value,
                    o.path("unit").asText("")));
        }
        return out;
    }

    static double[] values(List<BenchRecord> rs) {
        return rs.stream().mapToDouble(BenchRecord::number).toArray();
    }

    static String describe(double[] v) {
        return Arrays.toString(v);
    }
}
