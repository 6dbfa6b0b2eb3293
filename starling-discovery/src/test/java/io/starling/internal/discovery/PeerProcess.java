package io.starling.internal.discovery;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A {@link DiscoveryPeerMain} (or another main class) in a child JVM (optionally prefixed, e.g. by {@code ip netns exec <ns>}), with its
 * output lines collected for waiting on. {@link #close} ends it: stdin closed, then killed if it lingers.
 */
final class PeerProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final List<String> lines = new ArrayList<>();
    private boolean ended; // its output is closed: no more lines

    private PeerProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        Thread reader = new Thread(this::readOutput, "peer-output-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /** A {@link DiscoveryPeerMain}: app id, peer id, advertised port, bind address or {@code "null"}. */
    static PeerProcess start(List<String> prefix, String appId, long peerId, int port, String bind) throws IOException {
        return start(
                prefix, DiscoveryPeerMain.class, appId, Advertisement.peerHex(peerId), Integer.toString(port), bind);
    }

    /** Any main class of the test class path, with {@code args}. */
    static PeerProcess start(List<String> prefix, Class<?> main, String... args) throws IOException {
        List<String> command = new ArrayList<>(prefix);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        command.add(main.getName());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        return new PeerProcess(main.getSimpleName() + " " + String.join(" ", args), p);
    }

    private void readOutput() {
        try (BufferedReader r =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                synchronized (this) {
                    lines.add(line);
                    notifyAll();
                }
            }
        } catch (IOException e) {
            // the process ended
        }
        synchronized (this) {
            ended = true;
            notifyAll();
        }
    }

    /** Waits for an output line matching {@code p}; fails with the whole output after {@code timeout}. */
    synchronized String await(String what, Duration timeout, Predicate<String> p) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (String line : lines) if (p.test(line)) return line;
            long left = deadline - System.nanoTime();
            if (left <= 0 || ended) {
                throw new AssertionError(name + ": " + what
                        + (ended ? " never came, it ended" : " not within " + timeout) + "; output " + lines);
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    /** Closes its stdin (it withdraws its service and exits) and waits for the exit code. */
    int stop(Duration timeout) throws IOException, InterruptedException {
        process.getOutputStream().close();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(name + " did not exit within " + timeout + "; output " + lines());
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) process.destroyForcibly();
    }
}
