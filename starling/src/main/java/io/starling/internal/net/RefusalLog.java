package io.starling.internal.net;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * Logs refusals at a rate, not one line each: a flood of refused connections or requests (a script gone wrong, a
 * scan, an attack) must not turn into a flood of log lines. The servers of a peer — the sync listeners and the CLI's
 * HTTP API — log every refusal worth an operator's attention here, under a <em>kind</em> (a short stable phrase such
 * as {@code "too many connections"}), each server through its own instance.
 *
 * <p>Per kind: the first refusal after a quiet period is logged at once, with its detail. Further ones within the
 * window (10 s) are only counted; when the window ends, one line says how many:
 *
 * <pre>
 * refused (too many connections): a connection from 127.0.0.1:51234; the limit is 128
 * refused (too many connections): … and 5,214 more like it in the last 10 s
 * </pre>
 *
 * <p>A window that counted refusals starts the next one, so a steady flood gives one line per kind per window; a
 * window without any ends the episode, and the next refusal is logged in full again. The count of a window is
 * written by {@link #flush()} (the server calls it every window) or by the next refusal after the window ended.
 *
 * <p>Thread-safe. The clock is injected, so that tests need no waiting.
 */
public final class RefusalLog {
    public static final Duration WINDOW = Duration.ofSeconds(10);
    public static final int MAX_DETAIL = 500;
    /**
     * Kinds counted at once; a refusal of a new kind beyond them is counted under {@value #OTHER}, so that kinds made
     * from what clients send cannot grow the log's memory.
     */
    public static final int MAX_KINDS = 64;

    static final String OTHER = "other reasons";

    private final Consumer<String> sink;
    private final LongSupplier nanoTime;
    private final long windowNanos;
    private final Map<String, Episode> episodes = new LinkedHashMap<>();

    /** An episode of one kind: the window that is counting, and how many it counted. */
    private static final class Episode {
        long windowStart;
        long suppressed;

        Episode(long windowStart) {
            this.windowStart = windowStart;
        }
    }

    /**
     * @param sink where lines go (the server's logger at WARN)
     * @param window how long refusals of a kind are counted before their number is logged
     * @param nanoTime a monotonic clock, {@link System#nanoTime()} outside tests
     */
    public RefusalLog(Consumer<String> sink, LongSupplier nanoTime, Duration window) {
        this.sink = Objects.requireNonNull(sink, "sink");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.windowNanos = window.toNanos();
        if (windowNanos <= 0) throw new IllegalArgumentException("window must be positive, got " + window);
    }

    /** One refusal of {@code kind}; {@code detail} (who, why) is logged only if this one is logged in full. */
    public void refused(String kind, String detail) {
        record(kind, k -> "refused (" + k + "): " + printable(detail));
    }

    /**
     * One refusal of {@code kind} whose full line the caller words itself (the sync listeners keep their {@code
     * refused a connection from ADDRESS: WHY}); the counts of a window read as for {@link #refused(String, String)}.
     */
    public void refusedWithLine(String kind, String line) {
        record(kind, k -> printable(line));
    }

    /**
     * A kind made from a reason in words: its first clause (up to a parenthesis or a semicolon, where reasons put
     * their advice and fingerprints), so that a count reads {@code refused (it holds a different shared key): … and
     * 12 more like it}.
     */
    public static String kindOf(String reason) {
        int cut = reason.length();
        for (String stop : new String[] {" (", "; ", ": "}) {
            int i = reason.indexOf(stop);
            if (i > 0 && i < cut) cut = i;
        }
        return reason.substring(0, Math.min(cut, 120));
    }

    private void record(String kind, UnaryOperator<String> fullLine) {
        @Nullable String line = null;
        @Nullable String summary;
        synchronized (this) {
            long now = nanoTime.getAsLong();
            String k = printable(kind.length() > 160 ? kind.substring(0, 160) : kind);
            if (!episodes.containsKey(k) && episodes.size() >= MAX_KINDS) k = OTHER;
            summary = endWindow(k, now);
            Episode episode = episodes.get(k);
            if (episode == null) {
                episodes.put(k, new Episode(now));
                line = fullLine.apply(k);
            } else {
                episode.suppressed++;
            }
        }
        if (summary != null) sink.accept(summary);
        if (line != null) sink.accept(line);
    }

    /** Writes the count of every window that has ended. */
    public void flush() {
        flush(false);
    }

    /** Writes the count of every window, ended or not: the server is closing, and nothing counted goes unsaid. */
    public void close() {
        flush(true);
    }

    private void flush(boolean all) {
        StringBuilder lines = new StringBuilder();
        synchronized (this) {
            long now = nanoTime.getAsLong();
            for (String kind : episodes.keySet().toArray(new String[0])) {
                String summary = endWindow(kind, now, all);
                if (summary != null) lines.append(summary).append('\n');
            }
        }
        if (lines.length() > 0) lines.toString().lines().forEach(sink);
    }

    private @Nullable String endWindow(String kind, long now) {
        return endWindow(kind, now, false);
    }

    /**
     * If {@code kind}'s window ended (or {@code force}): the line with its count (or null), and the next window or
     * none.
     */
    private @Nullable String endWindow(String kind, long now, boolean force) {
        Episode episode = episodes.get(kind);
        if (episode == null || (!force && now - episode.windowStart < windowNanos)) return null;
        if (episode.suppressed == 0) {
            episodes.remove(kind); // a quiet window: the next refusal is logged in full
            return null;
        }
        String summary = String.format(
                Locale.ROOT,
                "refused (%s): … and %,d more like it in the last %s",
                kind,
                episode.suppressed,
                seconds(now - episode.windowStart));
        episode.windowStart = now;
        episode.suppressed = 0;
        return summary;
    }

    /**
     * The detail as one line of at most {@value #MAX_DETAIL} characters: it carries what clients sent (a path, a
     * header), which must not forge log lines or flood the log.
     */
    public static String printable(String detail) {
        String d = detail.length() > MAX_DETAIL ? detail.substring(0, MAX_DETAIL) + "…" : detail;
        StringBuilder sb = new StringBuilder(d.length());
        for (int i = 0; i < d.length(); i++) {
            char c = d.charAt(i);
            sb.append(Character.isISOControl(c) ? '?' : c);
        }
        return sb.toString();
    }

    private static String seconds(long nanos) {
        long s = Math.round(nanos / 1e9);
        return s < 1 ? "second" : s + " s";
    }
}
