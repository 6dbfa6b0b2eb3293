package io.starling.cli;

import static io.starling.cli.CliRunner.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.cli.CliRunner.Result;
import io.starling.testsupport.Await;
import io.starling.transport.SharedKeys;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code starling peer} as separate processes syncing over loopback: TCP with TLS and a shared key, a wrong key,
 * WebSocket, a live query on one peer seeing a write on another, and a clean stop on SIGTERM. The longer scenarios
 * (relay over three peers, SIGKILL, offline edits) are in {@link PeerScenariosTest}.
 */
class PeerProcessTest {
    static final Duration SYNC = Duration.ofSeconds(30);
    static final String TASKS = "SELECT * FROM tasks";

    @TempDir
    Path dir;

    private final List<AutoCloseable> running = new ArrayList<>();

    @AfterEach
    void killAll() throws Exception {
        for (AutoCloseable c : running) c.close();
    }

    private PeerProcess peer(String name, String... args) throws Exception {
        PeerProcess p = PeerProcess.start(dir, name, args);
        running.add(p);
        return p;
    }

    private Path key(String name) {
        Path file = dir.resolve(name);
        SharedKeys.generate(file);
        return file;
    }

    @Test
    void twoPeersWithASharedKeySyncBothWaysAndStopCleanly() throws Exception {
        String key = key("app.key").toString();
        PeerProcess a = peer("a", "--listen", "127.0.0.1:0", "--shared-key", key, "--subscribe", TASKS);
        assertThat(a.syncEndpoint()).matches("tcp://127\\.0\\.0\\.1:\\d+");
        PeerProcess b = peer("b", "--connect", a.syncEndpoint(), "--shared-key", key, "--subscribe", TASKS);

        a.execute("INSERT INTO tasks DOCUMENTS ({'_id': 'from-a', 'title': 'milk'})");
        b.execute("INSERT INTO tasks DOCUMENTS ({'_id': 'from-b', 'title': 'eggs'})");
        String both = "[{\"_id\":\"from-a\",\"title\":\"milk\"},{\"_id\":\"from-b\",\"title\":\"eggs\"}]";
        b.awaitItems(TASKS + " ORDER BY _id", both, SYNC);
        a.awaitItems(TASKS + " ORDER BY _id", both, SYNC);
        assertThat(b.metric("starling_sync_documents_received_total")).isGreaterThanOrEqualTo(1);
        assertThat(b.metric("starling_connections")).isEqualTo(1);
        assertThat(a.stderr()).contains("identity: shared key").doesNotContain("PLAYGROUND");

        // SIGTERM: the peer closes the HTTP server, then the database, then exits
        b.execute("UPDATE tasks SET title = 'oat milk' WHERE _id = 'from-a'");
        assertThat(b.stop()).isEqualTo(143);
        assertThat(b.stderr()).contains("\nstopping\n").endsWith("\nstopped\n").doesNotContain("Exception");
        // the acknowledged write survived, and the database is free for the next process
        Result read =
                cli().run("exec", "--db", dir.resolve("b").toString(), "SELECT title FROM tasks WHERE _id = 'from-a'");
        assertThat(read.err()).isEmpty();
        assertThat(read.out()).isEqualTo("{\"items\":[{\"title\":\"oat milk\"}],\"mutatedDocumentIds\":[]}\n");
    }

    @Test
    void aPeerWithAnotherKeyGetsNoDocument() throws Exception {
        PeerProcess a = peer(
                "a", "--listen", "127.0.0.1:0", "--shared-key", key("a.key").toString(), "--subscribe", TASKS);
        a.execute("INSERT INTO tasks DOCUMENTS ({'_id': 'secret', 'title': 'x'})");
        PeerProcess b = peer(
                "b", "--connect", a.syncEndpoint(), "--shared-key", key("b.key").toString(), "--subscribe", TASKS);
        // wait for the proof that b tried and was turned away, then check that nothing came through
        Await.until("a refused connection", SYNC, () -> {
            try {
                return a.metric("starling_connections_refused_total") + b.metric("starling_connections_refused_total")
                        > 0;
            } catch (Exception e) {
                return false;
            }
        });
        assertThat(b.query(TASKS)).isEmpty();
        assertThat(b.metric("starling_sync_documents_received_total")).isZero();
        assertThat(b.metric("starling_connections")).isZero();
        assertThat(a.metric("starling_sync_documents_sent_total")).isZero();
    }

    @Test
    void webSocketPeersSync() throws Exception {
        String key = key("app.key").toString();
        PeerProcess server =
                peer("server", "--listen", "ws://127.0.0.1:0/sync", "--shared-key", key, "--subscribe", TASKS);
        assertThat(server.syncEndpoint()).matches("ws://127\\.0\\.0\\.1:\\d+/sync");
        PeerProcess client =
                peer("client", "--connect", server.syncEndpoint(), "--shared-key", key, "--subscribe", TASKS);
        client.execute("INSERT INTO tasks DOCUMENTS ({'_id': 'ws', 'n': 1})");
        server.awaitItems(TASKS, "[{\"_id\":\"ws\",\"n\":1}]", SYNC);
        server.execute("UPDATE tasks SET n = 2 WHERE _id = 'ws'");
        client.awaitItems(TASKS, "[{\"_id\":\"ws\",\"n\":2}]", SYNC);
        assertThat(server.query("SELECT * FROM tasks").size()).isEqualTo(1);
    }

    @Test
    void aLiveQueryOnOnePeerSeesAWriteOnAnother() throws Exception {
        String key = key("app.key").toString();
        PeerProcess a = peer("a", "--listen", "127.0.0.1:0", "--shared-key", key, "--subscribe", TASKS);
        PeerProcess b = peer("b", "--connect", a.syncEndpoint(), "--shared-key", key, "--subscribe", TASKS);
        try (CliRunner.Background watch = cli().start("watch", "--url", b.url(), TASKS + " WHERE done = false")) {
            running.add(watch);
            watch.await("the initial delivery", () -> watch.out().equals("{\"items\":[]}\n"));
            a.execute("INSERT INTO tasks DOCUMENTS ({'_id': 't1', 'done': false})");
            watch.await(
                    "the write on a", () -> watch.out().contains("{\"items\":[{\"_id\":\"t1\",\"done\":false}]}\n"));
            Result stopped = watch.stop();
            assertThat(stopped.exitCode()).isZero();
            assertThat(stopped.err()).isEmpty();
        }
    }
}
