package io.starling.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The benchmark data set: documents of about 200 bytes of JSON, the same for a given seed and index.
 * Shared by every benchmark so that Starling and its baselines store the same bytes.
 */
public final class DocumentGenerator {
    private static final String[] WORDS = {
        "alpha",
        "bravo",
        "charlie",
        "delta",
        "echo",
        "foxtrot",
        "golf",
        "hotel",
        "india",
        "juliet",
        "kilo",
        "lima",
        "mike",
        "november",
        "oscar",
        "papa",
        "quebec",
        "romeo"
    };

    private final long seed;

    public DocumentGenerator(long seed) {
        this.seed = seed;
    }

    public static String id(int i) {
        return String.format("doc-%07d", i);
    }

    /** Document number {@code i}: {@code _id}, name, category (10 values), score, active, tags, note. */
    public Map<String, Object> document(int i) {
        SplittableRandom r = new SplittableRandom(seed * 31 + i);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("_id", id(i));
        d.put("name", WORDS[r.nextInt(WORDS.length)] + " " + WORDS[r.nextInt(WORDS.length)]);
        d.put("category", "c" + (i % 10));
        d.put("score", (long) r.nextInt(100_000));
        d.put("active", r.nextBoolean());
        d.put("tags", List.of(WORDS[r.nextInt(WORDS.length)], WORDS[r.nextInt(WORDS.length)]));
        StringBuilder note = new StringBuilder();
        while (note.length() < 70) note.append(WORDS[r.nextInt(WORDS.length)]).append(' ');
        d.put("note", note.toString().trim());
        return d;
    }
}
