package io.starling.bench.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.testsupport.ChildJvm;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The load harness in its smallest form, so that it cannot rot: real {@code starling server} processes (from the
 * test class path), a handful of devices on TCP and WebSocket, every phase. It checks what the harness reports —
 * every device connected, every write delivered to every subscriber, figures present — never how fast.
 */
class ServerLoadBenchmarkTest {
    @TempDir
    Path results;

    @Test
    @Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
    @SuppressWarnings("unchecked")
    void everyPhaseConnectsEveryDeviceAndDeliversEveryWrite() throws Exception {
        ServerLoadBenchmark.Options o = ServerLoadBenchmark.Options.parse(new String[] {
            "--devices", "6",
            "--two-node-devices", "4",
            "--steady", "1",
            "--warmup", "0.5",
            "--two-node", "1",
            "--rate", "4",
            "--seed", "7",
            "--server-classpath", ChildJvm.testClassPath(),
            "--results", results.toString()
        });
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        Map<String, Object> r = ServerLoadBenchmark.run(o, new PrintStream(printed, true, StandardCharsets.UTF_8));
        String out = printed.toString(StandardCharsets.UTF_8);

        Map<String, Object> one = (Map<String, Object>) r.get("oneNode");
        Map<String, Object> storm = (Map<String, Object>) one.get("connectStorm");
        assertThat(storm).as(out).containsEntry("allConnected", true).containsEntry("devicesConnected", 6);
        assertThat(storm.get("initialDocumentsUploaded")).as(out).isEqualTo(true);
        assertThat((Long) storm.get("serverHeapUsedAfterGcConnectedBytes")).isPositive();
        Map<String, Object> steady = (Map<String, Object>) one.get("steady");
        for (String kind : new String[] {"device", "http", "personal"}) {
            Map<String, Object> k = (Map<String, Object>) steady.get(kind);
            assertThat((Integer) k.get("writes")).as(kind + "\n" + out).isPositive();
            assertThat(k).as(kind + "\n" + out).containsEntry("incompleteWrites", 0L);
        }
        assertThat(steady).containsEntry("httpErrors", 0);

        Map<String, Object> two = (Map<String, Object>) r.get("twoNodes");
        assertThat(two).as(out).containsEntry("allConnected", true).containsEntry("missingDeliveries", 0L);
        assertThat((Integer) two.get("writesOnNode1")).as(out).isPositive();
        assertThat(out)
                .contains("| one node: shared write → all 5 subscribers, p50 / p99 |")
                .contains("| two nodes: write on node 1 → a peer on node 2, p50 / p99 |");
    }
}
