package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.auth.FilePeerBindings;
import io.starling.internal.auth.PeerBindings;
import io.starling.internal.auth.PeerBindings.Binding;
import io.starling.internal.auth.PeerBindings.Claim;
import io.starling.internal.auth.PeerBindings.Outcome;
import io.starling.internal.storage.postgres.PostgresClusterState;
import io.starling.internal.storage.postgres.TestPostgres;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same claims on both stores of the authority's peer id bindings — the file of a single authority peer and the
 * PostgreSQL table of server nodes — with the same outcomes, and a second instance (a restart, another node, or
 * {@code starling authority release}) seeing what the first one wrote.
 */
class PeerBindingsContractTest {
    static final Instant T = Instant.parse("2026-12-06T01:00:00Z");
    static final String KEY_A = "a".repeat(64);
    static final String KEY_B = "b".repeat(64);
    static final long PEER = 0x2f1c9a0d54e1b6a7L;

    @TempDir
    static Path dir;

    static final List<AutoCloseable> OPEN = new ArrayList<>();

    /** Each backend as a factory of instances on one store (per test), with a limit of 2 peer ids per user. */
    static Stream<Arguments> stores() {
        return Stream.of(
                Arguments.of("file", (Supplier<Supplier<PeerBindings>>) () -> {
                    Path file = dir.resolve("b" + System.nanoTime() + ".json");
                    return () -> FilePeerBindings.open(file, 100, 2);
                }),
                Arguments.of("postgres", (Supplier<Supplier<PeerBindings>>) () -> {
                    String url = TestPostgres.newSchemaUrl();
                    return () -> {
                        PostgresClusterState state = PostgresClusterState.open(url);
                        OPEN.add(state);
                        return new PostgresPeerBindings(state, 2);
                    };
                }));
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : OPEN) c.close();
        OPEN.clear();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void theSameClaimsHaveTheSameOutcomesOnEitherStore(String name, Supplier<Supplier<PeerBindings>> store) {
        Supplier<PeerBindings> instances = store.get();
        PeerBindings one = instances.get();
        PeerBindings two = instances.get();
        Binding alice = new Binding(PEER, "alice", KEY_A, T);

        assertThat(one.claim(PEER, "alice", KEY_A, T)).isEqualTo(new Claim(Outcome.BOUND, null));
        assertThat(two.claim(PEER, "alice", KEY_A, T.plusSeconds(5))).isEqualTo(new Claim(Outcome.SAME, alice));
        assertThat(two.claim(PEER, "mallory", KEY_B, T)).isEqualTo(new Claim(Outcome.OTHER_USER, alice));
        assertThat(two.claim(PEER, "mallory", KEY_A, T).outcome()).isEqualTo(Outcome.OTHER_USER);
        assertThat(one.get(PEER)).isEqualTo(alice);
        assertThat(two.claim(PEER, "alice", KEY_B, T.plusSeconds(9)))
                .isEqualTo(new Claim(Outcome.NEW_DEVICE_KEY, alice));
        assertThat(one.get(PEER)).isEqualTo(new Binding(PEER, "alice", KEY_B, T));

        assertThat(one.maxPerUser()).isEqualTo(2);
        assertThat(one.claim(1, "alice", KEY_A, T).outcome()).isEqualTo(Outcome.BOUND);
        assertThat(two.claim(2, "alice", KEY_A, T).outcome()).isEqualTo(Outcome.USER_LIMIT);
        assertThat(one.get(2)).isNull();
        assertThat(one.claim(2, "bob", KEY_A, T).outcome()).isEqualTo(Outcome.BOUND);
        assertThat(two.list()).extracting(Binding::peerId).containsExactly(1L, 2L, PEER);

        assertThat(two.release(2)).isTrue();
        assertThat(one.release(2)).isFalse();
        assertThat(one.releaseUser("alice")).isEqualTo(2);
        assertThat(two.list()).isEmpty();
        assertThat(two.claim(PEER, "mallory", KEY_B, T).outcome())
                .as("released: bound anew")
                .isEqualTo(Outcome.BOUND);
        assertThat(one.where()).contains(name.equals("file") ? ".json" : "PostgreSQL jdbc:postgresql:");
    }
}
