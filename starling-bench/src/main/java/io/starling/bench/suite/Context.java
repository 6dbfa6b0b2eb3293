package io.starling.bench.suite;

import io.starling.bench.DocumentGenerator;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The run's options and shared data: one seeded generator, the same documents for every system. */
final class Context {
    static final long SEED = 42;

    final boolean quick;
    final Path tmp;
    /** The sizes of this run, smallest first (scenarios that do not depend on N run at the first). */
    List<Integer> sizes = List.of();

    private final Map<Integer, List<Map<String, Object>>> data = new HashMap<>();

    Context(boolean quick, Path tmp) {
        this.quick = quick;
        this.tmp = tmp;
    }

    /** The first {@code n} documents of the seeded generator (cached). */
    synchronized List<Map<String, Object>> docs(int n) {
        return data.computeIfAbsent(n, k -> {
            DocumentGenerator gen = new DocumentGenerator(SEED);
            List<Map<String, Object>> docs = new ArrayList<>(k);
            for (int i = 0; i < k; i++) docs.add(gen.document(i));
            return List.copyOf(docs);
        });
    }

    /** Writes {@code docs-<n>.jsonl}: one JSON document per line, exactly what is inserted into Starling. */
    void writeJsonl(Path dir, int n) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("docs-" + n + ".jsonl");
        Path part = dir.resolve("docs-" + n + ".jsonl.part");
        try (BufferedWriter w = Files.newBufferedWriter(part, StandardCharsets.UTF_8)) {
            for (Map<String, Object> d : docs(n)) {
                w.write(Bench.JSON.writeValueAsString(d));
                w.write('\n');
            }
        }
        Files.move(part, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    Path newDir(String prefix) throws IOException {
        return Files.createTempDirectory(tmp, prefix);
    }
}
