package io.starling.internal.discovery;

import io.starling.testsupport.ChildJvm;
import io.starling.testsupport.ChildJvm.Output;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/**
 * A {@link DiscoveryPeerMain} (or another main class) in a child JVM, optionally run under a prefix such as {@code ip
 * netns exec <ns>}, whose stdout lines are waited on. {@link #close} ends it: stdin closed, then killed if it lingers.
 */
final class DiscoveryProcess implements AutoCloseable {
    private final ChildJvm process;

    private DiscoveryProcess(ChildJvm process) {
        this.process = process;
    }

    /** A {@link DiscoveryPeerMain}: app id, peer id, advertised port, bind address or {@code "null"}. */
    static DiscoveryProcess start(List<String> prefix, String appId, long peerId, int port, String bind)
            throws IOException {
        return start(
                prefix, DiscoveryPeerMain.class, appId, Advertisement.peerHex(peerId), Integer.toString(port), bind);
    }

    /** Any main class of the test class path, with {@code args}. */
    static DiscoveryProcess start(List<String> prefix, Class<?> main, String... args) throws IOException {
        return new DiscoveryProcess(ChildJvm.builder(main)
                .name(main.getSimpleName() + " " + String.join(" ", args))
                .prefix(prefix)
                .jvmOptions("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
                .args(args)
                .start());
    }

    /** Waits for a stdout line matching {@code p}; fails with the whole output after {@code timeout}. */
    String await(String what, Duration timeout, Predicate<String> p) {
        return process.awaitLine(Output.STDOUT, what, timeout, p);
    }

    List<String> lines() {
        return process.lines(Output.STDOUT);
    }

    /** Closes its stdin (it withdraws its service and exits) and waits for the exit code. */
    int stop(Duration timeout) {
        process.closeStdin();
        return process.awaitExit(timeout);
    }

    @Override
    public void close() {
        process.close();
    }
}
