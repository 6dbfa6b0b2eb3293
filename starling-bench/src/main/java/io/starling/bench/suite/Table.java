package io.starling.bench.suite;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Prints one Markdown table per scenario: a row per (N, metric), a column per system with its value and its
 * ratio to Starling's (value / Starling value). The {@code _min} records stay in the JSON only.
 */
final class Table {
    private Table() {}

    static void print(List<BenchRecord> records, Map<String, String> titles, PrintStream out) {
        Map<String, List<BenchRecord>> byScenario = new LinkedHashMap<>();
        for (BenchRecord r : records)
            byScenario.computeIfAbsent(r.scenario(), k -> new ArrayList<>()).add(r);
        for (String scenario : new TreeSet<>(byScenario.keySet())) {
            List<BenchRecord> rs = Objects.requireNonNull(byScenario.get(scenario));
            Set<String> systems = new LinkedHashSet<>();
            rs.stream()
                    .map(BenchRecord::system)
                    .filter(s -> s.equals("starling"))
                    .forEach(systems::add);
            rs.stream()
                    .map(BenchRecord::system)
                    .sorted((a, b) -> rank(a) - rank(b))
                    .forEach(systems::add);
            boolean hasStarling = systems.contains("starling");
            out.println();
            out.println("### " + scenario + (titles.containsKey(scenario) ? " — " + titles.get(scenario) : ""));
            out.println();
            StringBuilder head = new StringBuilder("| N | metric | unit (better) |");
            StringBuilder rule = new StringBuilder("|---:|---|---|");
            for (String s : systems) {
                head.append(' ').append(s).append(" |");
                rule.append("---:|");
            }
            out.println(head);
            out.println(rule);
            // rows: (n, metric) in first-seen order, by n
            Map<String, Map<String, BenchRecord>> rows = new LinkedHashMap<>();
            rs.stream()
                    .filter(r -> !r.metric().endsWith("_min"))
                    .sorted((a, b) -> Integer.compare(a.n(), b.n()))
                    .forEach(r -> rows.computeIfAbsent(r.n() + "\0" + r.metric(), k -> new LinkedHashMap<>())
                            .put(r.system(), r));
            for (Map.Entry<String, Map<String, BenchRecord>> row : rows.entrySet()) {
                BenchRecord any = row.getValue().values().iterator().next();
                Boolean higher = BenchRecord.higherIsBetter(any.unit());
                String dir = higher == null ? "" : higher ? " (↑)" : " (↓)";
                StringBuilder line =
                        new StringBuilder("| " + any.n() + " | " + any.metric() + " | " + any.unit() + dir + " |");
                BenchRecord base = hasStarling ? row.getValue().get("starling") : null;
                for (String s : systems) {
                    BenchRecord r = row.getValue().get(s);
                    line.append(' ');
                    if (r == null) line.append('–');
                    else {
                        line.append(format(r));
                        if (!s.equals("starling")
                                && base != null
                                && r.numeric()
                                && base.numeric()
                                && base.number() != 0
                                && higher != null) {
                            line.append(String.format(Locale.ROOT, " (%s×)", ratio(r.number() / base.number())));
                        }
                    }
                    line.append(" |");
                }
                out.println(line);
            }
        }
        out.println();
        out.println(
                "Ratios are value / Starling's value for the same N and metric; (↑) higher is better, (↓) lower is better.");
    }

    private static int rank(String system) {
        return switch (system) {
            case "starling" -> 0;
            case "starling-tcp-tls" -> 1;
            case "sqlite-jdbc" -> 2;
            case "automerge-jni" -> 3;
            case "automerge-js" -> 4;
            case "yjs" -> 5;
            case "pouchdb" -> 6;
            default -> 7;
        };
    }

    static String format(BenchRecord r) {
        if (!r.numeric()) return String.valueOf(r.value()).replace("|", "/");
        double v = r.number();
        if (v == Math.rint(v) && Math.abs(v) >= 1000) return String.format(Locale.ROOT, "%,d", (long) v);
        if (Math.abs(v) >= 1000) return String.format(Locale.ROOT, "%,.0f", v);
        if (Math.abs(v) >= 100) return String.format(Locale.ROOT, "%.0f", v);
        if (Math.abs(v) >= 10) return String.format(Locale.ROOT, "%.1f", v);
        if (v == Math.rint(v)) return String.format(Locale.ROOT, "%d", (long) v);
        return String.format(Locale.ROOT, "%.3g", v);
    }

    private static String ratio(double r) {
        if (r >= 100) return String.format(Locale.ROOT, "%.0f", r);
        if (r >= 10) return String.format(Locale.ROOT, "%.1f", r);
        return String.format(Locale.ROOT, "%.2f", r);
    }
}
