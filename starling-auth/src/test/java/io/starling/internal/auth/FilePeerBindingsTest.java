package io.starling.internal.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.auth.PeerBindings.Binding;
import io.starling.internal.auth.PeerBindings.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilePeerBindingsTest {
    static final Instant T = Instant.parse("2026-12-06T01:00:00Z");
    static final String KEY_A = "a".repeat(64);
    static final String KEY_B = "b".repeat(64);
    static final long PEER = 0x2f1c9a0d54e1b6a7L;

    @TempDir
    Path dir;

    @Test
    void theFirstUserKeepsThePeerIdAcrossARestartAndItsOwnUserMayChangeTheKey() throws Exception {
        FilePeerBindings b = FilePeerBindings.inDirectory(dir);
        assertThat(Files.exists(dir.resolve(FilePeerBindings.FILE_NAME))).isFalse();
        assertThat(b.claim(PEER, "alice", KEY_A, T)).isEqualTo(new PeerBindings.Claim(Outcome.BOUND, null));
        Binding alice = new Binding(PEER, "alice", KEY_A, T);
        assertThat(b.claim(PEER, "alice", KEY_A, T.plusSeconds(9)))
                .isEqualTo(new PeerBindings.Claim(Outcome.SAME, alice));
        assertThat(b.claim(PEER, "mallory", KEY_B, T)).isEqualTo(new PeerBindings.Claim(Outcome.OTHER_USER, alice));
        assertThat(b.claim(PEER, "mallory", KEY_A, T).outcome()).isEqualTo(Outcome.OTHER_USER);

        FilePeerBindings restarted = FilePeerBindings.inDirectory(dir);
        assertThat(restarted.get(PEER)).isEqualTo(alice);
        assertThat(restarted.claim(PEER, "mallory", KEY_B, T).outcome()).isEqualTo(Outcome.OTHER_USER);
        assertThat(restarted.claim(PEER, "alice", KEY_B, T.plusSeconds(60)))
                .isEqualTo(new PeerBindings.Claim(Outcome.NEW_DEVICE_KEY, alice));
        assertThat(FilePeerBindings.inDirectory(dir).get(PEER))
                .as("the new key is kept, with the time of the first binding")
                .isEqualTo(new Binding(PEER, "alice", KEY_B, T));
        assertThat(Files.readString(dir.resolve(FilePeerBindings.FILE_NAME)))
                .isEqualTo("{\"v\":1,\"bindings\":[{\"peer\":\"2f1c9a0d54e1b6a7\",\"user\":\"alice\",\"device\":\""
                        + KEY_B + "\",\"since\":\"2026-12-06T01:00:00Z\"}]}");
    }

    @Test
    void releasedByPeerIdOrByUser() {
        FilePeerBindings b = FilePeerBindings.inDirectory(dir);
        b.claim(3, "alice", KEY_A, T);
        b.claim(1, "alice", KEY_A, T);
        b.claim(2, "bob", KEY_B, T);
        assertThat(b.list()).extracting(Binding::peerId).containsExactly(1L, 2L, 3L);
        assertThat(b.release(2)).isTrue();
        assertThat(b.release(2)).isFalse();
        assertThat(b.releaseUser("alice")).isEqualTo(2);
        assertThat(b.releaseUser("alice")).isZero();
        assertThat(FilePeerBindings.inDirectory(dir).list()).isEmpty();
        assertThat(b.claim(1, "mallory", KEY_B, T).outcome()).isEqualTo(Outcome.BOUND);
    }

    @Test
    void whatCouldNotBeReadBackIsNeverWritten() {
        FilePeerBindings b = FilePeerBindings.inDirectory(dir);
        assertThatThrownBy(() -> b.claim(PEER, "alice", "p".repeat(64), T))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("64 lowercase hex digits");
        assertThatThrownBy(() -> b.claim(PEER, "", KEY_A, T)).hasMessageContaining("the user id");
        assertThat(Files.exists(dir.resolve(FilePeerBindings.FILE_NAME))).isFalse();
    }

    /** The authority peer and {@code starling authority release} are two processes writing one file. */
    @Test
    void twoInstancesOnOneFileSeeEachOthersChanges() {
        FilePeerBindings peer = FilePeerBindings.inDirectory(dir);
        FilePeerBindings admin = FilePeerBindings.inDirectory(dir);
        peer.claim(PEER, "alice", KEY_A, T);
        assertThat(admin.get(PEER)).isNotNull();
        assertThat(admin.release(PEER)).isTrue();
        assertThat(peer.claim(PEER, "bob", KEY_B, T).outcome())
                .as("the peer reads the released file before it decides")
                .isEqualTo(Outcome.BOUND);
        assertThat(admin.claim(PEER, "alice", KEY_A, T).outcome()).isEqualTo(Outcome.OTHER_USER);
    }

    @Test
    void aUserMayBindSoManyAndTheFileSoMany() {
        FilePeerBindings b = FilePeerBindings.open(dir.resolve("p.json"), 3, 2);
        assertThat(b.maxPerUser()).isEqualTo(2);
        assertThat(b.claim(1, "alice", KEY_A, T).outcome()).isEqualTo(Outcome.BOUND);
        assertThat(b.claim(2, "alice", KEY_A, T).outcome()).isEqualTo(Outcome.BOUND);
        assertThat(b.claim(3, "alice", KEY_A, T).outcome()).isEqualTo(Outcome.USER_LIMIT);
        assertThat(b.claim(2, "alice", KEY_B, T).outcome())
                .as("a bound id is not a new one")
                .isEqualTo(Outcome.NEW_DEVICE_KEY);
        assertThat(b.claim(3, "bob", KEY_B, T).outcome()).isEqualTo(Outcome.BOUND);
        assertThat(b.claim(4, "carol", KEY_B, T).outcome()).isEqualTo(Outcome.FULL);
        assertThat(b.get(3)).isNotNull();
        assertThat(b.get(4)).isNull();
        assertThatThrownBy(() -> FilePeerBindings.open(dir.resolve("p.json"), 2, 2))
                .hasMessageContaining("it holds 3 bindings; the limit is 2");
    }

    @Test
    void aDamagedFileIsRefusedWholeNamingItAndWhatIsWrong() throws Exception {
        Path file = dir.resolve(FilePeerBindings.FILE_NAME);
        String good = "{\"peer\":\"2f1c9a0d54e1b6a7\",\"user\":\"alice\",\"device\":\"" + KEY_A
                + "\",\"since\":\"2026-12-06T01:00:00Z\"}";
        String[][] cases = {
            {"{", "is not valid JSON"},
            {"[]", "must be an object {\"v\": 1"},
            {"{\"v\":2,\"bindings\":[]}", "has version 2; this Starling reads version 1"},
            {"{\"v\":1,\"bindings\":[],\"x\":1}", "must be an object {\"v\": 1"},
            {"{\"v\":1,\"bindings\":[" + good + "," + good + "]}", "bindings[1] binds peer 2f1c9a0d54e1b6a7 a second"},
            {"{\"v\":1,\"bindings\":[" + good.replace("2f1c", "2F1C") + "]}", "bindings[0].peer: a peer id is"},
            {"{\"v\":1,\"bindings\":[" + good.replace("alice", "") + "]}", "bindings[0].user"},
            {"{\"v\":1,\"bindings\":[" + good.replace(KEY_A, "aa") + "]}", "bindings[0].device must be 64"},
            {"{\"v\":1,\"bindings\":[" + good.replace("2026-12-06T01", "yesterday") + "]}", "bindings[0].since"},
            {"{\"v\":1,\"bindings\":[" + good.replace("}", ",\"x\":1}") + "]}", "bindings[0] must be an object"},
        };
        for (String[] c : cases) {
            Files.writeString(file, c[0]);
            assertThatThrownBy(() -> FilePeerBindings.inDirectory(dir))
                    .as(c[0])
                    .isInstanceOfSatisfying(
                            AuthException.class, e -> assertThat(e.code()).isEqualTo(AuthException.Code.CONFIG_INVALID))
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining(c[1]);
        }
        // a running authority that finds its file damaged refuses every claim until it is fixed
        Files.writeString(file, "{\"v\":1,\"bindings\":[" + good + "]}");
        FilePeerBindings b = FilePeerBindings.inDirectory(dir);
        Files.writeString(file, "{\"v\":1,\"bindings\":[" + good.replace(KEY_A, "aa") + "]}");
        assertThatThrownBy(() -> b.claim(PEER, "mallory", KEY_B, T)).hasMessageContaining("no login is accepted");
        Files.writeString(file, "{\"v\":1,\"bindings\":[" + good + "]}");
        assertThat(b.claim(PEER, "mallory", KEY_B, T).outcome()).isEqualTo(Outcome.OTHER_USER);
    }

    /** Threads of two instances claiming the same new ids for two users: each id ends up with exactly one user. */
    @Test
    void concurrentClaimsOfOneIdBindItOnce() throws Exception {
        FilePeerBindings one = FilePeerBindings.inDirectory(dir);
        FilePeerBindings two = FilePeerBindings.inDirectory(dir);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (long peer = 1; peer <= 40; peer++) {
                long p = peer;
                CyclicBarrier together = new CyclicBarrier(2);
                List<Future<Outcome>> outcomes = new ArrayList<>();
                outcomes.add(pool.submit(() -> {
                    together.await(10, TimeUnit.SECONDS);
                    return one.claim(p, "alice", KEY_A, T).outcome();
                }));
                outcomes.add(pool.submit(() -> {
                    together.await(10, TimeUnit.SECONDS);
                    return two.claim(p, "mallory", KEY_B, T).outcome();
                }));
                List<Outcome> got = new ArrayList<>();
                for (Future<Outcome> f : outcomes) got.add(f.get(30, TimeUnit.SECONDS));
                assertThat(got).as("peer %d", p).containsExactlyInAnyOrder(Outcome.BOUND, Outcome.OTHER_USER);
            }
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(FilePeerBindings.inDirectory(dir).list()).hasSize(40);
    }
}
