package io.starling.internal.storage.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PostgresClusterStateTest {

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
