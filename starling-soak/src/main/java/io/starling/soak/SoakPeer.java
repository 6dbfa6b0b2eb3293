package io.starling.soak;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starling.StarlingConfig;
import io.starling.testsupport.ChildJvm;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The soak's side of one peer: its database directory (kept across restarts), the child JVM running
 * {@link SoakPeerMain} while the peer is up, and the request/reply exchange with it. Not thread-safe: the soak drives
 * each peer from one thread at a time.
 */
final class SoakPeer implements AutoCloseable {
    static final Duration START = Duration.ofSeconds(90);
    static final Duration REPLY = Duration.ofSeconds(60);

    /**
     * Timeouts of the network stack, shortened (docs/NETWORKING.md "Limits and timeouts") so that a stalled or
     * corrupted connection is given up in seconds and a cut one is dialled again at once.
     */
    static final List<String> NET_OPTIONS = List.of(
            "-Dstarling.net.backoffMinMillis=50",
            "-Dstarling.net.backoffMaxMillis=1000",
            "-Dstarling.net.readTimeoutMillis=4000",
            "-Dstarling.net.keepAliveMillis=1000",
            "-Dstarling.net.handshakeTimeoutMillis=4000",
            "-Dstarling.net.upgradeTimeoutMillis=4000",
            "-Dstarling.net.partialFrameTimeoutMillis=4000",
            "-Dstarling.net.closeGraceMillis=500",
            "-Dstarling.net.tickMillis=250");

    private static final ObjectMapper JSON = new ObjectMapper();

    final int index;
    final long site;
    final Path directory;
    private final Path keyFile;
    private final StarlingConfig.Durability durability;
    private final List<String> connect;
    /** The running child JVM; null while the peer is down (before its first start, after a kill or a stop). */
    private @Nullable ChildJvm child;
    /** Every child this peer ran, the dead ones too: their output is quoted when a run fails. */
    private final List<ChildJvm> lives = new ArrayList<>();

    private long nextRequest = 1;
    private int tcpPort;
    private int wsPort;
    int starts;

    SoakPeer(
            int index,
            long site,
            Path directory,
            Path keyFile,
            StarlingConfig.Durability durability,
            List<String> connect) {
        this.index = index;
        this.site = site;
        this.directory = directory;
        this.keyFile = keyFile;
        this.durability = durability;
        this.connect = List.copyOf(connect);
    }

    /** Starts the child JVM; {@link #awaitOffline} waits for it. */
    void start() throws IOException {
        if (child != null) throw new IllegalStateException("peer " + index + " is running");
        List<String> args = new ArrayList<>(List.of(
                "--db",
                directory.resolve("db").toString(),
                "--site",
                Long.toUnsignedString(site, 16),
                "--key",
                keyFile.toString(),
                "--durability",
                durability.name()));
        for (String c : connect) {
            args.add("--connect");
            args.add(c);
        }
        starts++;
        child = ChildJvm.builder(SoakPeerMain.class)
                .name("peer " + index + " (life " + starts + ")")
                .fastStart()
                .jvmOptions("-Xmx192m")
                .jvmOptions(NET_OPTIONS.toArray(String[]::new))
                .jvmOptions(
                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                        "-Dorg.slf4j.simpleLogger.showDateTime=true",
                        "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS")
                .temporaryFiles(directory.resolve("tmp"))
                .args(args.toArray(String[]::new))
                .start();
        lives.add(child);
        nextRequest = 1;
    }

    /** The running child; the soak never talks to a peer it knows to be down. */
    private ChildJvm running() {
        ChildJvm c = child;
        if (c == null) throw new IllegalStateException("peer " + index + " is down");
        return c;
    }

    /** Waits for the child's first line: its store is open, without networking. */
    void awaitOffline() {
        ChildJvm c = running();
        String line = c.nextLine(START);
        if (line == null || !line.startsWith(SoakPeerMain.OFFLINE)) {
            throw new AssertionError(
                    "peer " + index + " did not start: its first line was " + line + "\n" + c.describeOutput());
        }
    }

    /** Opens the store again with networking, waits for the ready line and reads the listening ports from it. */
    void goOnline() {
        JsonNode r = call(request("online"));
        if (!r.path("ok").asBoolean()) throw new AssertionError("peer " + index + " could not go online: " + r);
        ChildJvm c = running();
        String line = c.nextLine(START);
        if (line == null || !line.startsWith(SoakPeerMain.READY)) {
            throw new AssertionError("peer " + index + " did not open with networking: its line was " + line + "\n"
                    + c.describeOutput());
        }
        JsonNode ready = parse(line.substring(SoakPeerMain.READY.length()));
        tcpPort = ready.path("tcp").asInt();
        wsPort = ready.path("ws").asInt();
        if (tcpPort <= 0 || wsPort <= 0) throw new AssertionError("peer " + index + " reported " + line);
    }

    boolean up() {
        return child != null;
    }

    int port(SoakPlan.Transport t) {
        return t == SoakPlan.Transport.TCP ? tcpPort : wsPort;
    }

    /** A new request object with its number. */
    ObjectNode request(String cmd) {
        ObjectNode n = JSON.createObjectNode();
        n.put("n", nextRequest++);
        n.put("cmd", cmd);
        return n;
    }

    /** Sends a request and waits for its reply. */
    JsonNode call(ObjectNode request) {
        send(request);
        return reply(request);
    }

    void send(ObjectNode request) {
        ChildJvm c = running();
        try {
            c.writeLine(JSON.writeValueAsString(request));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    JsonNode reply(ObjectNode request) {
        ChildJvm c = running();
        String line = c.nextLine(REPLY);
        if (line == null) {
            throw new AssertionError(
                    "peer " + index + " ended without answering " + request + "\n" + c.describeOutput());
        }
        JsonNode reply = parse(line);
        if (reply.path("n").asLong() != request.path("n").asLong()) {
            throw new AssertionError("peer " + index + " answered " + line + " to " + request);
        }
        if (!reply.path("ok").asBoolean() && "driver".equals(reply.path("code").asText())) {
            throw new AssertionError("the driver of peer " + index + " failed on " + request + ":\n"
                    + reply.path("message").asText());
        }
        return reply;
    }

    /**
     * SIGKILL, then the reply to {@code inFlight} if the child printed it before it died (null otherwise: the
     * statement may or may not have committed).
     */
    @Nullable
    JsonNode kill(@Nullable ObjectNode inFlight) {
        ChildJvm c = running();
        child = null;
        c.kill();
        if (inFlight == null) return null;
        for (String line : c.lines(ChildJvm.Output.STDOUT)) {
            if (!line.startsWith("{")) continue;
            JsonNode r;
            try {
                r = JSON.readTree(line);
            } catch (JsonProcessingException torn) {
                // the kill came while the answer was being printed: it never reached the application
                continue;
            }
            if (r.path("n").asLong() == inFlight.path("n").asLong()) return r;
        }
        return null;
    }

    /** Asks the child to close its engine and exit; kills it if it does not within the deadline. */
    void stop() {
        if (child == null) return;
        ChildJvm c = child;
        try {
            call(request("exit"));
            int status = c.awaitExit(Duration.ofSeconds(30));
            if (status != 0) throw new AssertionError("peer " + index + " exited with " + status);
        } finally {
            child = null;
            c.close();
        }
    }

    /** The last lines of the peer's stderr over all its lives, for a failure report. */
    String logTail(int lines) {
        StringBuilder sb = new StringBuilder();
        for (ChildJvm c : lives) {
            List<String> err = c.lines(ChildJvm.Output.STDERR);
            sb.append("--- ")
                    .append(c.name())
                    .append(", last ")
                    .append(Math.min(lines, err.size()))
                    .append(" of ")
                    .append(err.size())
                    .append(" lines of stderr ---\n");
            for (String l : err.subList(Math.max(0, err.size() - lines), err.size()))
                sb.append(l).append('\n');
        }
        return sb.toString();
    }

    /** Writes what every life of the peer printed on stderr to {@code peer-N/stderr.log}, for a kept directory. */
    void saveLogs() {
        StringBuilder sb = new StringBuilder();
        for (ChildJvm c : lives) {
            sb.append("--- ").append(c.name()).append(" ---\n").append(c.text(ChildJvm.Output.STDERR));
        }
        try {
            Files.createDirectories(directory);
            Files.writeString(directory.resolve("stderr.log"), sb.toString());
        } catch (IOException e) {
            // the log is a convenience: a run does not fail for it
        }
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (JsonProcessingException e) {
            String head = line.length() > 300 ? line.substring(0, 300) + "…(" + line.length() + " chars)" : line;
            throw new AssertionError("not JSON: " + head, e);
        }
    }

    /** Kills the child if it still runs. */
    @Override
    public void close() {
        ChildJvm c = child;
        child = null;
        if (c != null) c.close();
        for (ChildJvm l : lives) l.close();
    }

    @Override
    public String toString() {
        return "peer " + index + " (site " + Long.toUnsignedString(site, 16) + ")";
    }
}
