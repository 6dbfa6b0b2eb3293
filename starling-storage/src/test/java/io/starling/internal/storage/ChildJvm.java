package io.starling.internal.storage;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM running a {@code main} of the test classpath. Its stdout is pumped into a queue so that the test can
 * wait for each line with a deadline; its stderr goes to a file quoted in failure messages. Temporary files of the
 * child (sqlite-jdbc extracts its native library there) stay inside the test's directory, so even a SIGKILLed
 * child leaves nothing behind in /tmp.
 */
final class ChildJvm implements AutoCloseable {
    private static final Optional<String> EOF = Optional.empty();

    private final Process process;
    private final Path stderr;
    private final BlockingQueue<Optional<String>> lines = new LinkedBlockingQueue<>();
    private final Thread pump;
    private boolean eof;

    private ChildJvm(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        this.pump = new Thread(this::pumpStdout, "child-stdout-" + process.pid());
        pump.setDaemon(true);
        pump.start();
    }

    /** Starts {@code main} with {@code args}; {@code workDir} receives the child's temp files and stderr. */
    static ChildJvm start(Path workDir, Class<?> main, String... args) throws IOException {
        Path tmp = Files.createDirectories(workDir.resolve("child-tmp"));
        Path stderr = Files.createTempFile(workDir, "child-stderr-", ".txt");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                // a short-lived child: start fast
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Xmx128m",
                "-Djava.io.tmpdir=" + tmp,
                "-Dorg.sqlite.tmpdir=" + tmp,
                main.getName()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command)
                .redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.PIPE)
                .start();
        return new ChildJvm(process, stderr);
    }

    private void pumpStdout() {
        try (BufferedReader in =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                lines.add(Optional.of(line));
            }
        } catch (IOException e) {
            // the stream breaks when the child is killed: that is the end of its output
        } finally {
            lines.add(EOF);
        }
    }

    /**
     * The next stdout line, or null once the child's stdout is closed (it exited or was killed).
     *
     * @throws AssertionError if no line comes before the deadline
     */
    String awaitLine(Duration timeout) {
        if (eof) {
            return null;
        }
        Optional<String> line;
        try {
            line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        if (line == null) {
            throw new AssertionError("no output from the child within " + timeout + "; stderr:\n" + stderr());
        }
        if (line.isEmpty()) {
            eof = true;
            return null;
        }
        return line.get();
    }

    /** Closes the child's stdin (the lock holder exits on it). */
    void closeStdin() throws IOException {
        OutputStream in = process.getOutputStream();
        in.close();
    }

    /** Waits for the child to exit and returns its exit code. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("child did not exit within " + timeout + "; stderr:\n" + stderr());
        }
        return process.exitValue();
    }

    /** SIGKILL (destroyForcibly on Linux), then waits until the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    String stderr() {
        try {
            return Files.readString(stderr);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
        pump.join(TimeUnit.SECONDS.toMillis(30));
    }
}
