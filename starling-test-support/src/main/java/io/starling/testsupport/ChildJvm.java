package io.starling.testsupport;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * A {@code main} class of the test class path in a JVM of its own: for what one JVM cannot show (a SIGKILL in the
 * middle of a write, a second process holding a lock, a real {@code starling peer}, multicast between processes).
 *
 * <pre>{@code
 * try (ChildJvm child = ChildJvm.builder(LockHolder.class).args(dir.toString()).temporaryFiles(dir).start()) {
 *     assertThat(child.nextLine(Duration.ofSeconds(30))).isEqualTo("locked");
 *     child.kill();
 * }
 * }</pre>
 *
 * <p>The child runs the same {@code java} with the class path of the running tests ({@link #testClassPath()}). Its
 * stdout and stderr are read as they come, line by line, by two daemon threads, so the child never blocks on a full
 * pipe and a test can wait for a line with a deadline ({@link #nextLine}, {@link #awaitLine}); every failure message
 * quotes what the child printed. {@link #close()} kills what is still running (the child and its descendants), and a
 * shutdown hook kills any child a test forgot, so that no JVM outlives the test run.
 *
 * <p>Thread-safe.
 */
public final class ChildJvm implements AutoCloseable {
    /** One of the child's two output streams. */
    public enum Output {
        STDOUT,
        STDERR
    }

    private static final Duration PUMP_JOIN = Duration.ofSeconds(30);
    private static final Set<ChildJvm> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime()
                .addShutdownHook(new Thread(() -> RUNNING.forEach(ChildJvm::destroyAll), "child-jvm-reaper"));
    }

    private final String name;
    private final Process process;
    private final Captured stdout = new Captured();
    private final Captured stderr = new Captured();
    private final List<Thread> pumps = new ArrayList<>();
    private int nextStdout; // the cursor of nextLine

    private ChildJvm(String name, Process process) {
        this.name = name;
        this.process = process;
        pump(Output.STDOUT, process.getInputStream());
        pump(Output.STDERR, process.getErrorStream());
        RUNNING.add(this);
    }

    /** A child running {@code main}. */
    public static Builder builder(Class<?> main) {
        return new Builder(main.getName(), main.getSimpleName());
    }

    /**
     * The class path of the running tests: surefire's test class path when it set one (its own
     * {@code java.class.path} may be a manifest-only jar), else {@code java.class.path}.
     */
    public static String testClassPath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }

    /** The {@code java} launcher of the running JVM. */
    public static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    // ---- output

    /** One output stream as read so far; guarded by the ChildJvm's monitor. */
    private static final class Captured {
        final List<String> lines = new ArrayList<>();
        boolean ended;
    }

    private Captured captured(Output output) {
        return output == Output.STDOUT ? stdout : stderr;
    }

    private void pump(Output output, InputStream in) {
        Thread t = new Thread(
                () -> {
                    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                        for (String line; (line = r.readLine()) != null; ) {
                            synchronized (this) {
                                captured(output).lines.add(line);
                                notifyAll();
                            }
                        }
                    } catch (IOException e) {
                        // the stream breaks when the child is killed: that is the end of its output
                    } finally {
                        synchronized (this) {
                            captured(output).ended = true;
                            notifyAll();
                        }
                    }
                },
                "child-" + output.name().toLowerCase(java.util.Locale.ROOT) + "-" + process.pid());
        t.setDaemon(true);
        t.start();
        pumps.add(t);
    }

    /**
     * The next line of stdout, in order (each line once), or null when stdout has ended (the child exited or was
     * killed) and every line was taken.
     *
     * @throws AssertionError if no line comes within {@code timeout}
     */
    public synchronized @Nullable String nextLine(Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        List<String> out = stdout.lines;
        while (nextStdout >= out.size()) {
            if (stdout.ended) return null;
            waitUntil(end, () -> "no line on stdout of " + name + " within " + Await.format(timeout));
        }
        return out.get(nextStdout++);
    }

    /**
     * The first line of {@code output} (from the start of the child's life) that {@code matches} accepts, waiting for
     * it. Fails early, quoting the output, when the stream ends without one.
     *
     * @param what what the line means, for the failure message ("the ready line")
     */
    public synchronized String awaitLine(Output output, String what, Duration timeout, Predicate<String> matches) {
        long end = System.nanoTime() + timeout.toNanos();
        int seen = 0;
        List<String> all = captured(output).lines;
        while (true) {
            for (; seen < all.size(); seen++) {
                if (matches.test(all.get(seen))) return all.get(seen);
            }
            if (captured(output).ended) {
                throw new AssertionError(name + ": " + what + " never came on " + output + ", the stream ended"
                        + exitNote() + "\n" + describeOutput());
            }
            waitUntil(end, () -> name + ": " + what + " not on " + output + " within " + Await.format(timeout));
        }
    }

    /** Waits (on this object's monitor) until notified or {@code end}; fails with {@code message} after it. */
    private void waitUntil(long end, java.util.function.Supplier<String> message) {
        long left = end - System.nanoTime();
        if (left <= 0) throw new AssertionError(message.get() + exitNote() + "\n" + describeOutput());
        try {
            TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + name, e);
        }
    }

    /** The lines of {@code output} so far. */
    public synchronized List<String> lines(Output output) {
        return List.copyOf(captured(output).lines);
    }

    /** The text of {@code output} so far, each line ended by a newline. */
    public synchronized String text(Output output) {
        StringBuilder sb = new StringBuilder();
        for (String l : captured(output).lines) sb.append(l).append('\n');
        return sb.toString();
    }

    /** Both streams, labelled, for failure messages. */
    public synchronized String describeOutput() {
        return "--- stdout of " + name + " ---\n" + text(Output.STDOUT) + "--- stderr of " + name + " ---\n"
                + text(Output.STDERR) + "---";
    }

    private String exitNote() {
        return process.isAlive() ? "" : " (it exited with " + process.exitValue() + ")";
    }

    // ---- input

    /** Writes one line to the child's stdin (which must be a pipe, the default). */
    public void writeLine(String line) {
        try {
            OutputStream in = process.getOutputStream();
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to " + name + " (alive: " + process.isAlive() + ")", e);
        }
    }

    /** Closes the child's stdin: a child that reads it sees end of file. */
    public void closeStdin() {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            throw new UncheckedIOException("closing the stdin of " + name, e);
        }
    }

    // ---- life

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Waits until the child exits and all its output is read; returns its exit status.
     *
     * @throws AssertionError if it is still running after {@code timeout} (it keeps running: {@link #close} ends it)
     */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new AssertionError(
                        name + " did not exit within " + Await.format(timeout) + "\n" + describeOutput());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + name + " to exit", e);
        }
        joinPumps();
        RUNNING.remove(this);
        return process.exitValue();
    }

    /**
     * Asks the child to stop (SIGTERM: shutdown hooks run) and waits for its exit status (143 after a clean stop of
     * a JVM that was sent SIGTERM). If it is still running after {@code timeout}, it is killed and the test fails.
     */
    public int stop(Duration timeout) {
        // through the handle: Process.destroy() would also close our ends of its output, losing what it prints
        // while it stops
        process.toHandle().destroy();
        try {
            return awaitExit(timeout);
        } catch (AssertionError e) {
            destroyAll();
            throw new AssertionError(name + " did not stop within " + Await.format(timeout) + " of SIGTERM", e);
        }
    }

    /** SIGKILL (nothing runs in the child: no shutdown hook, no finally), then waits until it is gone. */
    public void kill() {
        destroyAll();
        awaitExit(PUMP_JOIN);
    }

    /** SIGKILL to the child and to every process it started. */
    private void destroyAll() {
        List<ProcessHandle> all = new ArrayList<>();
        all.add(process.toHandle());
        process.toHandle().descendants().forEach(all::add);
        for (ProcessHandle h : all) h.destroyForcibly();
    }

    private void joinPumps() {
        long end = System.nanoTime() + PUMP_JOIN.toNanos();
        for (Thread t : pumps) {
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Kills the child if it still runs (with its descendants) and waits until its output is read. */
    @Override
    public void close() {
        if (process.isAlive() || process.toHandle().descendants().findAny().isPresent()) {
            destroyAll();
        }
        try {
            process.waitFor(PUMP_JOIN.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        joinPumps();
        RUNNING.remove(this);
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + (process.isAlive() ? ", running)" : ", exited)");
    }

    /** What to start. Not thread-safe. */
    public static final class Builder {
        private final String mainClass;
        private String name;
        private final List<String> prefix = new ArrayList<>();
        private final List<String> jvmOptions = new ArrayList<>();
        private final List<String> args = new ArrayList<>();
        private String classPath = testClassPath();
        private @Nullable Path directory;
        private final Map<String, String> environment = new LinkedHashMap<>();
        private Predicate<String> removeFromEnvironment = n -> false;
        private boolean stdinFromNull;

        private Builder(String mainClass, String simpleName) {
            this.mainClass = mainClass;
            this.name = simpleName;
        }

        /** How failure messages and thread names call the child (default: the main class's simple name). */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Arguments of {@code main}, appended. */
        public Builder args(String... args) {
            this.args.addAll(List.of(args));
            return this;
        }

        /** JVM options, appended ({@code -Xmx256m}, {@code -Dkey=value}). */
        public Builder jvmOptions(String... options) {
            jvmOptions.addAll(List.of(options));
            return this;
        }

        /** Options that make a short-lived child start fast: C1 only and the serial collector. */
        public Builder fastStart() {
            return jvmOptions("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
        }

        /**
         * Keeps the child's temporary files in {@code dir} ({@code java.io.tmpdir}, and sqlite-jdbc's native library
         * through {@code org.sqlite.tmpdir}), so that even a SIGKILLed child leaves nothing behind in /tmp.
         */
        public Builder temporaryFiles(Path dir) {
            try {
                java.nio.file.Files.createDirectories(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return jvmOptions("-Djava.io.tmpdir=" + dir, "-Dorg.sqlite.tmpdir=" + dir);
        }

        /** A command the JVM runs under, such as {@code ip netns exec NS}. */
        public Builder prefix(List<String> command) {
            prefix.addAll(command);
            return this;
        }

        /** Another class path than the running tests'. */
        public Builder classPath(String classPath) {
            this.classPath = Objects.requireNonNull(classPath, "classPath");
            return this;
        }

        /** The child's working directory (default: this process's). */
        public Builder directory(Path dir) {
            this.directory = dir;
            return this;
        }

        /** Sets an environment variable of the child. */
        public Builder environment(String name, String value) {
            environment.put(name, value);
            return this;
        }

        /** Leaves out the inherited environment variables whose names {@code names} accepts. */
        public Builder removeEnvironment(Predicate<String> names) {
            removeFromEnvironment = removeFromEnvironment.or(names);
            return this;
        }

        /** Stdin reads end of file at once, instead of a pipe the test writes to. */
        public Builder stdinFromNull() {
            stdinFromNull = true;
            return this;
        }

        /** Starts the child. Does not wait for anything: wait for a line it prints when it is ready. */
        public ChildJvm start() throws IOException {
            List<String> command = new ArrayList<>(prefix);
            command.add(javaBinary());
            command.addAll(jvmOptions);
            command.add("-cp");
            command.add(classPath);
            command.add(mainClass);
            command.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(command);
            if (directory != null) pb.directory(directory.toFile());
            pb.environment().keySet().removeIf(removeFromEnvironment);
            pb.environment().putAll(environment);
            if (stdinFromNull) {
                boolean windows = System.getProperty("os.name", "").startsWith("Windows");
                pb.redirectInput(ProcessBuilder.Redirect.from(new File(windows ? "NUL" : "/dev/null")));
            }
            return new ChildJvm(name, pb.start());
        }
    }
}
