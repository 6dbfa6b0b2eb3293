package io.starling.internal.storage.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PostgresClusterStateTest {
    static final Instant T = Instant.parse("2026-12-06T01:00:00Z");
    static final String KEY_A = "a".repeat(64);
    static final String KEY_B = "b".repeat(64);

    @Test
    void aPeerIdIsBoundOnceSharedByEveryConnectionAndReleasedByIdOrUser() {
        String url = TestPostgres.newSchemaUrl();
        try (PostgresClusterState a = PostgresClusterState.open(url);
                PostgresClusterState b = PostgresClusterState.open(url)) {
            assertThat(a.peerBinding("2f1c9a0d54e1b6a7")).isNull();
            assertThat(a.bindPeer("2f1c9a0d54e1b6a7", "alice", KEY_A, T, 10)).isTrue();
            assertThat(b.bindPeer("2f1c9a0d54e1b6a7", "mallory", KEY_B, T, 10))
                    .as("bound already")
                    .isFalse();
            assertThat(b.peerBinding("2f1c9a0d54e1b6a7"))
                    .isEqualTo(new PostgresClusterState.PeerBinding("2f1c9a0d54e1b6a7", "alice", KEY_A, T));
            assertThat(b.rekeyPeer("2f1c9a0d54e1b6a7", "mallory", KEY_B))
                    .as("only the bound user's key is replaced")
                    .isFalse();
            assertThat(b.rekeyPeer("2f1c9a0d54e1b6a7", "alice", KEY_B)).isTrue();
            assertThat(a.peerBinding("2f1c9a0d54e1b6a7").deviceKey()).isEqualTo(KEY_B);
            assertThat(a.bindPeer("0000000000000001", "alice", KEY_A, T, 2)).isTrue();
            assertThat(a.bindPeer("0000000000000002", "alice", KEY_A, T, 2))
                    .as("alice has 2 bound, the limit")
                    .isFalse();
            assertThat(a.peerBinding("0000000000000002")).isNull();
            assertThat(a.bindPeer("0000000000000002", "bob", KEY_A, T, 2)).isTrue();
            assertThat(b.peerBindings())
                    .extracting(PostgresClusterState.PeerBinding::peerId)
                    .containsExactly("0000000000000001", "0000000000000002", "2f1c9a0d54e1b6a7");
            assertThat(b.releasePeersOf("alice")).isEqualTo(2);
            assertThat(b.releasePeer("0000000000000002")).isTrue();
            assertThat(b.releasePeer("0000000000000002")).isFalse();
            assertThat(a.peerBindings()).isEmpty();
            assertThat(a.bindPeer("2f1c9a0d54e1b6a7", "mallory", KEY_B, T, 10))
                    .as("released: the next login binds it anew")
                    .isTrue();
        }
    }

    /** Two nodes binding the same new peer ids for two users at once: each id ends up with exactly one user. */
    @Test
    void twoNodesBindingOneIdAtOnceBindItOnce() throws Exception {
        String url = TestPostgres.newSchemaUrl();
        try (PostgresClusterState a = PostgresClusterState.open(url);
                PostgresClusterState b = PostgresClusterState.open(url)) {
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                for (int i = 1; i <= 50; i++) {
                    String peer = String.format("%016x", i);
                    CyclicBarrier together = new CyclicBarrier(2);
                    Future<Boolean> alice = pool.submit(() -> {
                        together.await(10, TimeUnit.SECONDS);
                        return a.bindPeer(peer, "alice", KEY_A, T, 1000);
                    });
                    Future<Boolean> mallory = pool.submit(() -> {
                        together.await(10, TimeUnit.SECONDS);
                        return b.bindPeer(peer, "mallory", KEY_B, T, 1000);
                    });
                    boolean aliceWon = alice.get(30, TimeUnit.SECONDS);
                    boolean malloryWon = mallory.get(30, TimeUnit.SECONDS);
                    assertThat(aliceWon ^ malloryWon)
                            .as("peer %s: exactly one bound it", peer)
                            .isTrue();
                    assertThat(a.peerBinding(peer).userId()).isEqualTo(aliceWon ? "alice" : "mallory");
                }
            } finally {
                pool.shutdownNow();
                assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(a.peerBindings()).hasSize(50);
        }
    }

    @Test
    void apiKeysAreSharedByEveryConnectionToTheDatabaseAndListedInTheOrderMade() {
        String url = TestPostgres.newSchemaUrl();
        try (PostgresClusterState a = PostgresClusterState.open(url);
                PostgresClusterState b = PostgresClusterState.open(url)) {
            assertThat(a.apiKeys()).isEmpty();
            assertThat(a.addApiKey("00000000000000ff", "{\"n\":1}", 10)).isTrue();
            assertThat(b.addApiKey("0000000000000001", "{\"n\":2}", 10)).isTrue();
            assertThat(b.addApiKey("0000000000000001", "{\"n\":3}", 10))
                    .as("the id is taken")
                    .isFalse();
            assertThat(b.apiKeys()).containsExactly("{\"n\":1}", "{\"n\":2}");
            assertThat(b.addApiKey("0000000000000002", "{\"n\":4}", 2))
                    .as("the limit")
                    .isFalse();
            assertThat(b.removeApiKey("00000000000000ff")).isEqualTo("{\"n\":1}");
            assertThat(a.removeApiKey("00000000000000ff")).isNull();
            assertThat(a.apiKeys()).containsExactly("{\"n\":2}");
        }
    }

    @Test
    void oneHolderAtATimeAndOnlyTheHolderStoresThePosition() {
        String url = TestPostgres.newSchemaUrl();
        Duration ttl = Duration.ofMinutes(5);
        try (PostgresClusterState state = PostgresClusterState.open(url)) {
            assertThat(state.acquire("sink", "node-1", ttl)).isEqualTo(new PostgresClusterState.Lease(null));
            assertThat(state.acquire("sink", "node-2", ttl))
                    .as("held by node-1")
                    .isNull();
            assertThat(state.store("sink", "node-1", "42", ttl)).isTrue();
            assertThat(state.store("sink", "node-2", "7", ttl))
                    .as("not the holder")
                    .isFalse();
            assertThat(state.acquire("sink", "node-1", ttl))
                    .as("renewed")
                    .isEqualTo(new PostgresClusterState.Lease("42"));
            assertThat(state.holder("sink")).isEqualTo("node-1");

            state.release("sink", "node-1");
            assertThat(state.holder("sink")).isNull();
            assertThat(state.acquire("sink", "node-2", ttl)).isEqualTo(new PostgresClusterState.Lease("42"));
            assertThat(state.store("sink", "node-1", "43", ttl))
                    .as("node-1 lost it")
                    .isFalse();
            assertThat(state.acquire("other", "node-1", ttl))
                    .as("leases are per name")
                    .isNotNull();
        }
    }

    @Test
    void aLeaseWhoseHolderStoppedRenewingIsTakenOverOnceItExpires() {
        String url = TestPostgres.newSchemaUrl();
        try (PostgresClusterState state = PostgresClusterState.open(url)) {
            assertThat(state.acquire("sink", "node-1", Duration.ofMillis(1))).isNotNull();
            assertThat(state.store("sink", "node-1", "5", Duration.ofMillis(1))).isTrue();
            // expiry is judged by the database's clock: wait until it says the lease ran out
            TestPostgres.execute(url, "SELECT pg_sleep(0.01)");
            assertThat(state.acquire("sink", "node-2", Duration.ofMinutes(1)))
                    .isEqualTo(new PostgresClusterState.Lease("5"));
            assertThat(state.acquire("sink", "node-1", Duration.ofMinutes(1))).isNull();
        }
    }

    @Test
    void aUrlThatIsNotPostgresIsRefused() {
        assertThatThrownBy(() -> PostgresClusterState.open("jdbc:sqlite:x.db"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("jdbc:postgresql:");
    }
}
