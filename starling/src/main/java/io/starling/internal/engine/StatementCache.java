package io.starling.internal.engine;

import io.starling.internal.query.Statement;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Parsed statements by their text, least recently used evicted first. Bounded both in entries and in the total
 * length of the cached texts (a parsed statement's size follows its text's), so that whatever clients send, the cache
 * stays small; a text longer than {@link #maxTextLength} is never cached. Long statements matter: a batch insert of
 * 1,000 documents ({@code INSERT INTO c DOCUMENTS (:d0), …, (:d999)}) is about 9,000 characters, and parsing it
 * again for every batch is a cost per document.
 *
 * <p>Thread-safe (every method synchronizes on the cache).
 */
final class StatementCache {
    private final int maxEntries;
    private final int maxTextLength;
    private final long maxTotalChars;
    private final LinkedHashMap<String, Statement> entries = new LinkedHashMap<>(64, 0.75f, true);
    private long totalChars;

    StatementCache(int maxEntries, int maxTextLength, long maxTotalChars) {
        if (maxEntries < 1 || maxTextLength < 1 || maxTotalChars < maxTextLength) {
            throw new IllegalArgumentException(
                    "bad statement cache bounds: " + maxEntries + ", " + maxTextLength + ", " + maxTotalChars);
        }
        this.maxEntries = maxEntries;
        this.maxTextLength = maxTextLength;
        this.maxTotalChars = maxTotalChars;
    }

    synchronized @Nullable Statement get(String text) {
        return entries.get(text);
    }

    /** Caches {@code parsed} under {@code text} unless the text is too long; evicts the eldest entries to fit. */
    synchronized void put(String text, Statement parsed) {
        if (text.length() > maxTextLength) return;
        Statement previous = entries.put(text, parsed);
        if (previous == null) totalChars += text.length();
        Iterator<Map.Entry<String, Statement>> eldest = entries.entrySet().iterator();
        while ((entries.size() > maxEntries || totalChars > maxTotalChars) && eldest.hasNext()) {
            Map.Entry<String, Statement> e = eldest.next();
            if (e.getKey().equals(text)) continue; // the entry just put stays
            totalChars -= e.getKey().length();
            eldest.remove();
        }
    }

    synchronized int size() {
        return entries.size();
    }

    synchronized long totalChars() {
        return totalChars;
    }
}
