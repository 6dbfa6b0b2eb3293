package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.storage.postgres.TestPostgres;
import io.starling.testsupport.Await;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A device given the addresses of every node of a server ({@code --connect NODE1,NODE2}) carries on through the
 * next address when the node it is connected to dies: two {@code starling server} processes on one embedded
 * PostgreSQL, a {@code starling peer} process as the device, no load balancer, node 1 killed with SIGKILL.
 */
class ServerAddressesTest {
    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static final String TASKS = "SELECT _id, who FROM tasks ORDER BY _id";

    @TempDir
    Path dir;

    @Test
    void aDeviceGivenTheAddressesOfBothNodesCarriesOnThroughTheOtherWhenItsNodeIsKilled() throws Exception {
        String url = TestPostgres.newSchemaUrl();
        try (PeerProcess one = PeerProcess.startServer(
                        dir, "node1", "--postgres", url, "--listen", "tcp://127.0.0.1:0", "--collection", "tasks");
                PeerProcess two = PeerProcess.startServer(
                        dir, "node2", "--postgres", url, "--listen", "tcp://127.0.0.1:0", "--collection", "tasks");
                PeerProcess device = PeerProcess.start(
                        dir,
                        "device",
                        "--connect",
                        one.syncEndpoint() + "," + two.syncEndpoint(),
                        "--subscribe",
                        "SELECT * FROM tasks")) {
            assertThat(device.stderr())
                    .contains("sync connecting to one of " + one.syncEndpoint() + ", " + two.syncEndpoint());
            Await.until(
                    "the device connects to node 1, the first address, and to it only",
                    DEADLINE,
                    () -> connections(one) == 1 && connections(two) == 0);

            device.execute("INSERT INTO tasks DOCUMENTS ({'_id': 'a', 'who': 'device'})");
            two.awaitItems(TASKS, "[{\"_id\":\"a\",\"who\":\"device\"}]", DEADLINE);

            one.kill();
            two.execute("INSERT INTO tasks DOCUMENTS ({'_id': 'b', 'who': 'node 2'})");
            device.awaitItems(
                    TASKS, "[{\"_id\":\"a\",\"who\":\"device\"},{\"_id\":\"b\",\"who\":\"node 2\"}]", DEADLINE);
            assertThat(two.metric("starling_connections"))
                    .as("the device reached node 2 at its second address")
                    .isEqualTo(1);
            device.execute("INSERT INTO tasks DOCUMENTS ({'_id': 'c', 'who': 'device after the kill'})");
            two.awaitItems(
                    TASKS,
                    "[{\"_id\":\"a\",\"who\":\"device\"},{\"_id\":\"b\",\"who\":\"node 2\"},"
                            + "{\"_id\":\"c\",\"who\":\"device after the kill\"}]",
                    DEADLINE);
        }
    }

    private static long connections(PeerProcess node) {
        try {
            return node.metric("starling_connections");
        } catch (Exception e) {
            return -1;
        }
    }

    @Test
    void aMalformedAddressInTheListIsAUsageErrorNamingIt() {
        CliRunner.Result r = CliRunner.cli()
                .run("peer", "--db", dir.resolve("db").toString(), "--connect", "127.0.0.1:7400,,127.0.0.1:7401");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("an empty address in '127.0.0.1:7400,,127.0.0.1:7401'");
        CliRunner.Result twice = CliRunner.cli()
                .run("peer", "--db", dir.resolve("db").toString(), "--connect", "127.0.0.1:7400,tcp://127.0.0.1:7400");
        assertThat(twice.exitCode()).isEqualTo(2);
        assertThat(twice.err()).contains("tcp://127.0.0.1:7400 appears twice");
        CliRunner.Result bad =
                CliRunner.cli().run("peer", "--db", dir.resolve("db").toString(), "--connect", "127.0.0.1:7400,nohost");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("expected host:port, got 'nohost'");
    }
}
