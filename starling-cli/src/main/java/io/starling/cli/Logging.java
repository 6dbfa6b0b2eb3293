package io.starling.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.event.Level;

/**
 * Where the CLI's log lines go (its SLF4J backend is {@link CliLogProvider}). The level comes from
 * {@code STARLING_LOG_LEVEL} and may change between runs of the CLI in one process (the tests do that). A line reads
 * {@code [WARN] message}; at debug and trace the logger's short name comes first ({@code [DEBUG] SyncService:
 * message}). Repeats of a line within a minute are folded ({@link RepeatFilter}).
 *
 * <p>Lines go to stderr, unless a {@linkplain #printTo printer} is installed: the interactive shell installs JLine's
 * {@code printAbove} while it runs, so that a line arriving while the user types appears above the prompt and the
 * input line is redrawn under it. Thread-safe: any thread may log.
 */
final class Logging {
    static final String LEVEL_VARIABLE = "STARLING_LOG_LEVEL";
    static final String DEFAULT_LEVEL = "warn";
    private static final List<String> LEVELS = List.of("error", "warn", "info", "debug", "trace");
    /** Repeats of a line within this window are folded into one summary line. */
    static final long REPEAT_WINDOW_SECONDS = 60;

    private static volatile Level threshold = Level.WARN;
    private static volatile Consumer<String> printer = Logging::printToStderr;
    private static final RepeatFilter repeats =
            new RepeatFilter(TimeUnit.SECONDS.toNanos(REPEAT_WINDOW_SECONDS), System::nanoTime);
    private static @Nullable ScheduledExecutorService flusher; // guarded by Logging.class

    private Logging() {}

    /**
     * The level named by {@code STARLING_LOG_LEVEL} (any case), or {@value #DEFAULT_LEVEL} when it is unset or blank.
     *
     * @throws CliUsageException with code {@code config/invalid} for any other value
     */
    static String level(Map<String, String> env) {
        String value = env.get(LEVEL_VARIABLE);
        if (value == null || value.isBlank()) return DEFAULT_LEVEL;
        String level = value.strip().toLowerCase(Locale.ROOT);
        if (!LEVELS.contains(level)) {
            throw new CliUsageException(
                    "config/invalid",
                    LEVEL_VARIABLE + " must be one of " + String.join(", ", LEVELS) + ", got '" + value + "'");
        }
        return level;
    }

    /** True for the levels at which the CLI prints stack traces with its error messages. */
    static boolean verbose(String level) {
        return level.equals("debug") || level.equals("trace");
    }

    /** Sets the level: one of {@code error|warn|info|debug|trace}. */
    static void configure(String level) {
        threshold = Level.valueOf(level.toUpperCase(Locale.ROOT));
    }

    static boolean enabled(Level level) {
        return level.toInt() >= threshold.toInt();
    }

    /**
     * Sends log lines to {@code target} instead of stderr until the returned handle is closed (which restores the
     * previous target). {@code target} is called from any thread and must be thread-safe.
     */
    static Redirect printTo(Consumer<String> target) {
        Consumer<String> previous = printer;
        printer = target;
        return () -> printer = previous;
    }

    /** Undoes a {@link #printTo}. */
    interface Redirect extends AutoCloseable {
        @Override
        void close();
    }

    /** Formats and prints one log line (unless it repeats a recent one). */
    static void log(Level level, String logger, String message, Throwable throwable) {
        StringBuilder line = new StringBuilder(message.length() + 32)
                .append('[')
                .append(level)
                .append("] ");
        if (verbose(threshold.name().toLowerCase(Locale.ROOT)))
            line.append(logger).append(": ");
        line.append(message);
        if (throwable != null) {
            StringWriter trace = new StringWriter();
            throwable.printStackTrace(new PrintWriter(trace));
            line.append('\n').append(trace.toString().stripTrailing());
        }
        emit(repeats.offer(line.toString()));
        if (repeats.pending()) startFlusher();
    }

    private static void emit(List<String> lines) {
        Consumer<String> target = printer;
        for (String l : lines) {
            try {
                target.accept(l);
            } catch (RuntimeException e) {
                printToStderr(l); // a closed terminal must not lose the line, nor fail the caller
            }
        }
    }

    private static void printToStderr(String line) {
        synchronized (System.err) {
            System.err.println(line);
            System.err.flush();
        }
    }

    /** Prints the summaries of repeats once their window ends, even if the line never comes again. */
    private static synchronized void startFlusher() {
        if (flusher != null) return;
        ScheduledExecutorService started = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "starling-log");
            t.setDaemon(true);
            return t;
        });
        flusher = started;
        started.scheduleWithFixedDelay(() -> emit(repeats.flush()), 1, 1, TimeUnit.SECONDS);
    }
}
