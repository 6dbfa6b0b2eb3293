package io.starling.internal.transport.netty;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Captures what the tests' logging backend (slf4j-simple, which writes to the current {@link System#err}) prints
 * while it is open, and still passes it on to the real stderr. Lines of every instance in the JVM land here: tests
 * tell the two sides of a connection apart by what the lines say.
 */
final class LogCapture implements AutoCloseable {
    private final PrintStream original = System.err;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    LogCapture() {
        OutputStream tee = new OutputStream() {
            @Override
            public void write(int b) {
                synchronized (captured) {
                    captured.write(b);
                }
                original.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                synchronized (captured) {
                    captured.write(b, off, len);
                }
                original.write(b, off, len);
            }
        };
        System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
    }

    List<String> lines() {
        synchronized (captured) {
            return captured.toString(StandardCharsets.UTF_8).lines().toList();
        }
    }

    /** Waits (up to 20 s) for a line that contains every one of {@code parts}, and returns it. */
    String await(String... parts) {
        return io.starling.testsupport.Await.value(
                "a log line with " + List.of(parts),
                java.time.Duration.ofSeconds(20),
                () -> {
                    for (String line : lines()) {
                        boolean all = true;
                        for (String p : parts) all &= line.contains(p);
                        if (all) return line;
                    }
                    return null;
                },
                java.util.Objects::nonNull);
    }

    @Override
    public void close() {
        System.setErr(original);
    }
}
