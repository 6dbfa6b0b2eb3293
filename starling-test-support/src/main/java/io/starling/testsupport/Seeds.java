package io.starling.testsupport;

import java.nio.file.Path;
import java.security.SecureRandom;
import org.jspecify.annotations.Nullable;

/**
 * Seeds of randomized tests: the system property that replays one, and the command that does.
 *
 * <p>One property for every kind of randomized test: {@code -Dstarling.seed=N} is the seed of a {@link Seed}
 * parameter, and the jqwik seed of a property ({@link JqwikSeedHook}). Run one test with it, never a whole build:
 * every randomized test run would take that seed.
 */
public final class Seeds {
    /** The system property naming the seed to replay. */
    public static final String PROPERTY = "starling.seed";

    private static final SecureRandom FRESH = new SecureRandom();

    private Seeds() {}

    /** The seed {@code -Dstarling.seed} names, or null when it is not set. */
    public static @Nullable String requested() {
        String s = System.getProperty(PROPERTY);
        if (s == null || s.isBlank()) return null;
        return s.trim();
    }

    /**
     * The seed of a hand-rolled randomized test: the one {@code -Dstarling.seed} names, else a fresh one.
     *
     * @throws IllegalArgumentException when {@code -Dstarling.seed} is not a 64-bit integer
     */
    public static long draw() {
        String s = requested();
        if (s == null) return FRESH.nextLong();
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "-D" + PROPERTY + "=" + s
                            + " is not a seed: a seed is a 64-bit integer, as a failing test prints it",
                    e);
        }
    }

    /**
     * The command that runs one test method again with {@code seed}, from the repository's root: {@code mvn -B -pl
     * <module> -am test -Dtest='Class#method' -Dsurefire.failIfNoSpecifiedTests=false -Dstarling.seed=<seed>}.
     */
    public static String replayCommand(Class<?> testClass, String method, String seed) {
        return "mvn -B -pl " + module() + " -am test -Dtest='" + testClass.getSimpleName() + "#" + method
                + "' -Dsurefire.failIfNoSpecifiedTests=false -D" + PROPERTY + "=" + seed;
    }

    /** The module whose tests run: surefire runs them in the module's directory, named after the module. */
    static String module() {
        String dir = System.getProperty("basedir", System.getProperty("user.dir", "."));
        Path name = Path.of(dir).toAbsolutePath().normalize().getFileName();
        return name == null ? "<module>" : name.toString();
    }
}
