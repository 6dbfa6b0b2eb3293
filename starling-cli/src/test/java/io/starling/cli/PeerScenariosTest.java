package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.testsupport.Await;
import io.starling.testsupport.ChildJvm;
import io.starling.transport.SharedKeys;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The longer multi-process scenarios (about 30 s, in the default run because they are what networking must show
 * working end to end): a write relayed over a line of three peers, a peer killed with SIGKILL that catches up when
 * restarted, edits made offline on two peers that merge to one state on both, and the README's two shells
 * syncing.
 */
class PeerScenariosTest {
    private static final String TASKS = PeerProcessTest.TASKS;

    @TempDir
    Path dir;

    private String key;
    private final List<PeerProcess> running = new ArrayList<>();

    @AfterEach
    void killAll() throws Exception {
        for (PeerProcess p : running) p.close();
    }

    /** The app's shared key, made on first use. */
    private String key() {
        if (key == null) {
            key = dir.resolve("app.key").toString();
            SharedKeys.generate(Path.of(key));
        }
        return key;
    }

    private PeerProcess peer(String name, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--shared-key", key(), "--subscribe", TASKS));
        PeerProcess p = PeerProcess.start(dir, name, all.toArray(String[]::new));
        running.add(p);
        return p;
    }

    @Test
    void aLineOfThreePeersRelaysTheEndsWrites() throws Exception {
        PeerProcess a = peer("a", "--listen", "127.0.0.1:0", "--presence-metadata", "{\"name\": \"kitchen\"}");
        PeerProcess b = peer("b", "--listen", "127.0.0.1:0", "--connect", a.syncEndpoint());
        PeerProcess c = peer("c", "--connect", b.syncEndpoint());
        a.execute("INSERT INTO tasks DOCUMENTS ({'_id': 'a1', 'origin': 'a'})");
        c.awaitItems(TASKS, "[{\"_id\":\"a1\",\"origin\":\"a\"}]", PeerProcessTest.SYNC);
        c.execute("UPDATE tasks SET origin = 'c' WHERE _id = 'a1'");
        a.awaitItems(TASKS, "[{\"_id\":\"a1\",\"origin\":\"c\"}]", PeerProcessTest.SYNC);
        // c sees a two hops away, through b, with the metadata a was started with
        Await.until("a two hops from c in c's presence graph, named kitchen", PeerProcessTest.SYNC, () -> {
            try {
                for (var peer : c.presence().get("remotePeers")) {
                    if (peer.get("hops").asInt() == 2
                            && "kitchen"
                                    .equals(peer.path("metadata").path("name").asText())) return true;
                }
                return false;
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    void aPeerKilledWithSigkillCatchesUpWhenRestarted() throws Exception {
        PeerProcess a = peer("a", "--listen", "127.0.0.1:0");
        PeerProcess b = peer("b", "--connect", a.syncEndpoint());
        b.execute("INSERT INTO tasks DOCUMENTS ({'_id': 'before', 'author': 'b'})");
        a.awaitItems(TASKS + " ORDER BY _id", "[{\"_id\":\"before\",\"author\":\"b\"}]", PeerProcessTest.SYNC);

        b.kill();
        for (int i = 0; i < 20; i++)
            a.execute("INSERT INTO tasks DOCUMENTS ({'_id': 'while-" + (100 + i) + "', 'author': 'a'})");
        a.execute("UPDATE tasks SET author = 'a too' WHERE _id = 'before'");

        PeerProcess b2 = peer("b", "--connect", a.syncEndpoint());
        Await.until("b to catch up", PeerProcessTest.SYNC, () -> {
            try {
                return b2.query(TASKS).size() == 21
                        && b2.query("SELECT author FROM tasks WHERE _id = 'before'")
                                .toString()
                                .equals("[{\"author\":\"a too\"}]");
            } catch (Exception e) {
                return false;
            }
        });
        assertThat(b2.query(TASKS + " ORDER BY _id")).isEqualTo(a.query(TASKS + " ORDER BY _id"));
    }

    @Test
    void offlineEditsOnBothSidesMergeToOneState() throws Exception {
        PeerProcess a = peer("a", "--listen", "127.0.0.1:0");
        PeerProcess b = peer("b", "--connect", a.syncEndpoint());
        a.execute("INSERT INTO tasks DOCUMENTS ({'_id': 'x', 'title': 'start', 'note': 'start', 'owner': 'nobody'})");
        a.execute("UPDATE tasks APPLY count RESTART WITH 10 WHERE _id = 'x'");
        String start = "[{\"_id\":\"x\",\"count\":10,\"note\":\"start\",\"owner\":\"nobody\",\"title\":\"start\"}]";
        String select = "SELECT _id, count, note, owner, title FROM tasks";
        b.awaitItems(select, start, PeerProcessTest.SYNC);
        assertThat(a.stop()).isEqualTo(143);
        assertThat(b.stop()).isEqualTo(143);

        // each alone (nothing to connect to): same field, different fields, the counter
        PeerProcess aAlone = peer("a");
        aAlone.execute("UPDATE tasks SET title = 'from a', note = 'a' APPLY count INCREMENT BY 1 WHERE _id = 'x'");
        assertThat(aAlone.stop()).isEqualTo(143);
        PeerProcess bAlone = peer("b");
        bAlone.execute("UPDATE tasks SET title = 'from b', owner = 'b' APPLY count INCREMENT BY 5 WHERE _id = 'x'");
        assertThat(bAlone.stop()).isEqualTo(143);

        PeerProcess a2 = peer("a", "--listen", "127.0.0.1:0");
        PeerProcess b2 = peer("b", "--connect", a2.syncEndpoint());
        // increments add up; different fields both survive; the same field goes to the later write (b's)
        String merged = "[{\"_id\":\"x\",\"count\":16,\"note\":\"a\",\"owner\":\"b\",\"title\":\"from b\"}]";
        a2.awaitItems(select, merged, PeerProcessTest.SYNC);
        b2.awaitItems(select, merged, PeerProcessTest.SYNC);
        assertThat(a2.query("SELECT * FROM tasks")).isEqualTo(b2.query("SELECT * FROM tasks"));
    }

    @Test
    void twoShellsSyncAsTheQuickStartShows() throws Exception {
        try (ShellProcess a = ShellProcess.start(
                        dir, "shell-a", "--listen", "127.0.0.1:0", "--shared-key", key(), "--subscribe", TASKS);
                ShellProcess b = ShellProcess.start(
                        dir, "shell-b", "--connect", a.syncEndpoint(), "--shared-key", key(), "--subscribe", TASKS)) {
            a.type("INSERT INTO tasks DOCUMENTS ({'_id': 't1', 'title': 'buy milk'});");
            Await.until("the task in shell b", PeerProcessTest.SYNC, () -> {
                b.type("SELECT title FROM tasks;");
                return b.out().contains("{\"title\":\"buy milk\"}");
            });
            b.type(".peers");
            Await.until(".peers in shell b", PeerProcessTest.SYNC, () -> b.out().contains("1 remote peer:"));
            assertThat(b.out()).contains("  tcp\n");
        }
    }

    /** {@code starling shell} in its own process, typed at through a pipe, output in JSON lines. */
    private static final class ShellProcess implements AutoCloseable {
        private final ChildJvm process;

        private ShellProcess(ChildJvm process) {
            this.process = process;
        }

        static ShellProcess start(Path dir, String name, String... args) throws Exception {
            List<String> command = new ArrayList<>(List.of(
                    "shell",
                    "--no-history",
                    "--format",
                    "jsonl",
                    "--db",
                    dir.resolve(name).toString()));
            command.addAll(List.of(args));
            ShellProcess shell = new ShellProcess(ChildJvm.builder(StarlingCli.class)
                    .name(name)
                    .jvmOptions("-Xmx256m")
                    .temporaryFiles(dir.resolve(name + "-tmp"))
                    .args(command.toArray(String[]::new))
                    .removeEnvironment(k -> k.startsWith("STARLING_"))
                    .start());
            // with piped input the shell reports its status on stderr
            shell.process.awaitLine(
                    ChildJvm.Output.STDERR, name + " to start", PeerProcessTest.SYNC, l -> l.contains("subscribed to"));
            return shell;
        }

        String syncEndpoint() {
            return after("sync listening on ");
        }

        private String after(String prefix) {
            return process.lines(ChildJvm.Output.STDERR).stream()
                    .filter(l -> l.startsWith(prefix))
                    .map(l -> l.substring(prefix.length()))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no line '" + prefix + "…'\n" + process.describeOutput()));
        }

        void type(String line) {
            process.writeLine(line);
        }

        String out() {
            return process.text(ChildJvm.Output.STDOUT);
        }

        @Override
        public void close() {
            try {
                type(".quit");
                assertThat(process.awaitExit(Duration.ofSeconds(30)))
                        .as(process.describeOutput())
                        .isZero();
            } finally {
                process.close();
            }
        }
    }
}
