package io.starling.cli;

import static io.starling.cli.CliRunner.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.cli.CliRunner.Background;
import io.starling.cli.CliRunner.Result;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code starling watch}, in-process: against a peer's HTTP API and on a local database. */
class WatchCommandTest {
    @TempDir
    Path dir;

    private Background peer() {
        Background peer = cli().start("peer", "--db", dir.resolve("peer").toString(), "--http", "127.0.0.1:0");
        peer.await("ready", () -> peer.err().contains("\nready;"));
        return peer;
    }

    @Test
    void printsOneLinePerDeliveryUntilStopped() throws Exception {
        try (Background peer = peer()) {
            String url = peer.awaitErrLine("http listening on ");
            assertThat(cli().run("exec", "--url", url, "INSERT INTO tasks DOCUMENTS ({'_id': 'a', 'done': false})")
                            .exitCode())
                    .isZero();
            try (Background watch = cli().start(
                            "watch",
                            "--url",
                            url,
                            "--args",
                            "{\"done\": false}",
                            "SELECT * FROM tasks WHERE done = :done ORDER BY _id")) {
                watch.await(
                        "the initial delivery",
                        () -> watch.out().equals("{\"items\":[{\"_id\":\"a\",\"done\":false}]}\n"));
                cli().run("exec", "--url", url, "INSERT INTO tasks DOCUMENTS ({'_id': 'b', 'done': false})");
                watch.await("the insert", () -> watch.out().lines().count() == 2);
                cli().run("exec", "--url", url, "UPDATE tasks SET done = true WHERE _id = 'a'");
                watch.await("the update", () -> watch.out().lines().count() == 3);
                Result r = watch.stop();
                assertThat(r.exitCode()).isZero();
                assertThat(r.err()).isEmpty();
                assertThat(r.out()).isEqualTo("""
                        {"items":[{"_id":"a","done":false}]}
                        {"items":[{"_id":"a","done":false},{"_id":"b","done":false}]}
                        {"items":[{"_id":"b","done":false}]}
                        """);
            }
        }
    }

    @Test
    void aBadQueryIsAUsageErrorWithItsPosition() throws Exception {
        try (Background peer = peer()) {
            String url = peer.awaitErrLine("http listening on ");
            Result r = cli().start("watch", "--url", url, "SELECT * FORM tasks").join();
            assertThat(r.exitCode()).isEqualTo(2);
            assertThat(r.out()).isEmpty();
            assertThat(r.err())
                    .isEqualTo("error: query/syntax-error: line 1, column 10: expected FROM but found 'FORM'\n");
        }
    }

    @Test
    void thePeerGoingAwayEndsTheWatchWithAnError() throws Exception {
        Background peer = peer();
        String url = peer.awaitErrLine("http listening on ");
        try (Background watch = cli().start("watch", "--url", url, "SELECT * FROM tasks")) {
            watch.await("the initial delivery", () -> watch.out().equals("{\"items\":[]}\n"));
            peer.stop();
            Result r = watch.join();
            assertThat(r.exitCode()).isEqualTo(1);
            assertThat(r.err()).startsWith("error: io: the peer at " + url + " ended the stream");
        }
    }

    @Test
    void anUnreachablePeerIsAnIoError() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Result r = cli().start("watch", "--url", "http://127.0.0.1:" + port, "SELECT * FROM tasks")
                .join();
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: io: cannot reach the peer at http://127.0.0.1:" + port);
    }

    @Test
    void watchesALocalDatabase() throws Exception {
        Path db = dir.resolve("local");
        assertThat(cli().run("exec", "--db", db.toString(), "INSERT INTO tasks DOCUMENTS ({'_id': 'a'})")
                        .exitCode())
                .isZero();
        try (Background watch = cli().start("watch", "--db", db.toString(), "SELECT * FROM tasks")) {
            watch.await("the initial delivery", () -> watch.out().equals("{\"items\":[{\"_id\":\"a\"}]}\n"));
            Result r = watch.stop();
            assertThat(r.exitCode()).isZero();
            assertThat(r.err()).isEmpty();
        }
        // closed on the way out
        assertThat(cli().run("exec", "--db", db.toString(), "SELECT * FROM tasks")
                        .exitCode())
                .isZero();
    }

    @Test
    void urlAndLocalOptionsDoNotMix() {
        Result r = cli().run("watch", "--url", "http://127.0.0.1:1", "--listen", "127.0.0.1:0", "SELECT * FROM c");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err())
                .isEqualTo("error: cli/usage: --url watches a running peer: it cannot go with --db, --app"
                        + " or sync options\n");
        assertThat(cli().run("watch", "--db", dir.toString(), "--token", "t", "SELECT * FROM c")
                        .exitCode())
                .isEqualTo(2);
        assertThat(cli().run("watch", "--db", dir.resolve("x").toString(), "UPDATE c SET a = 1")
                        .err())
                .startsWith("error: query/");
    }
}
