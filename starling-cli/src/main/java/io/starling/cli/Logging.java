package io.starling.cli;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Configures slf4j-simple, the backend the CLI binds, from {@code STARLING_LOG_LEVEL}. slf4j-simple reads its
 * system properties once, when the first logger is created, so {@link #configure} must run before anything touches
 * a logger (that is, before any Starling class is loaded). A {@code -Dorg.slf4j.simpleLogger.*} given by the user
 * (through {@code STARLING_JAVA_OPTS}) wins over everything but the level.
 */
final class Logging {
    static final String LEVEL_VARIABLE = "STARLING_LOG_LEVEL";
    static final String DEFAULT_LEVEL = "warn";
    private static final List<String> LEVELS = List.of("error", "warn", "info", "debug", "trace");
    private static final String PREFIX = "org.slf4j.simpleLogger.";

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

    static void configure(String level) {
        System.setProperty(PREFIX + "defaultLogLevel", level);
        System.getProperties().putIfAbsent(PREFIX + "logFile", "System.err");
        System.getProperties().putIfAbsent(PREFIX + "showThreadName", "false");
        System.getProperties().putIfAbsent(PREFIX + "showShortLogName", "true");
        System.getProperties().putIfAbsent(PREFIX + "levelInBrackets", "true");
    }
}
