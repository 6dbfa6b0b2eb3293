package io.starling.cli;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * Folds repeats of a log line. A peer that refuses us is dialled again every few seconds, each attempt logging the
 * same warning; printed every time, such lines bury everything else. The first occurrence of a line is printed at
 * once and opens a window; further occurrences of the same line within the window are only counted; when the window
 * ends, one line says how often it came again ({@code … (repeated 12 more times in the last 60 s)}) and, if it did,
 * a new window starts, so a line that keeps coming prints once per window. A line that has not come again for a
 * whole window is forgotten, and prints in full next time.
 *
 * <p>"The same line" ignores port numbers of addresses ({@code 127.0.0.1:44846}): every attempt of a dialler comes
 * from a new ephemeral port. Thread-safe; the clock is injected so that tests drive it.
 */
final class RepeatFilter {
    private static final Pattern PORT = Pattern.compile("(?<=[0-9a-zA-Z\\]]):[0-9]{1,5}\\b");

    private final long windowNanos;
    private final LongSupplier nanoClock;
    private final Map<String, Window> windows = new LinkedHashMap<>();

    private static final class Window {
        final String line;
        long start;
        int repeats;

        Window(String line, long start) {
            this.line = line;
            this.start = start;
        }
    }

    /**
     * @param windowNanos how long repeats of a line are counted before a summary line
     * @param nanoClock a monotonic clock in nanoseconds ({@code System::nanoTime} in production)
     */
    RepeatFilter(long windowNanos, LongSupplier nanoClock) {
        if (windowNanos <= 0) throw new IllegalArgumentException("window must be positive, got " + windowNanos);
        this.windowNanos = windowNanos;
        this.nanoClock = nanoClock;
    }

    /**
     * A new line: returns what to print now, in order — summaries of windows that have ended, then {@code line}
     * itself unless it repeats a line of an open window.
     */
    synchronized List<String> offer(String line) {
        List<String> out = expired();
        String key = key(line);
        Window w = windows.get(key);
        if (w != null) {
            w.repeats++;
        } else {
            windows.put(key, new Window(line, nanoClock.getAsLong()));
            out.add(line);
        }
        return out;
    }

    /** The summaries of windows that have ended (to be called now and then, so that they are not held back). */
    synchronized List<String> flush() {
        return expired();
    }

    /** True while some window is open (a caller need not poll {@link #flush} otherwise). */
    synchronized boolean pending() {
        return !windows.isEmpty();
    }

    private List<String> expired() {
        List<String> out = new ArrayList<>();
        long now = nanoClock.getAsLong();
        for (Iterator<Window> it = windows.values().iterator(); it.hasNext(); ) {
            Window w = it.next();
            if (now - w.start < windowNanos) continue;
            if (w.repeats == 0) {
                it.remove();
            } else {
                out.add(summary(w.line, w.repeats));
                w.repeats = 0;
                w.start = now;
            }
        }
        return out;
    }

    private String summary(String line, int repeats) {
        long seconds = Math.max(1, windowNanos / 1_000_000_000L);
        String times = repeats == 1 ? "once more" : repeats + " more times";
        // a multi-line entry (a stack trace) is summarised by its first line
        int eol = line.indexOf('\n');
        String first = eol < 0 ? line : line.substring(0, eol);
        return first + " (repeated " + times + " in the last " + seconds + " s)";
    }

    /** What makes two lines "the same": the text with the port numbers of addresses left out. */
    static String key(String line) {
        return PORT.matcher(line).replaceAll(":#");
    }
}
