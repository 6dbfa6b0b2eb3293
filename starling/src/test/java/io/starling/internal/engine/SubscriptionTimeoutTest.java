package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.StarlingConfig;
import io.starling.internal.storage.InMemoryStorage;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A peer's subscription is tested against documents on the sync thread that serves every peer: one whose WHERE runs
 * away (a backtracking regular expression) is stopped and then matches nothing, and sync of everything else goes on.
 */
class SubscriptionTimeoutTest {
    private final List<DefaultStarling> peers = new ArrayList<>();
    private final List<InMemoryTransport.Link> links = new ArrayList<>();

    private DefaultStarling peer() {
        DefaultStarling p = DefaultStarling.open(
                StarlingConfig.builder().appId("subtimeout").build(),
                Path.of("memory"),
                new InMemoryStorage(),
                Clock.systemUTC());
        peers.add(p);
        return p;
    }

    @AfterEach
    void closeAll() {
        links.forEach(InMemoryTransport.Link::close);
        peers.forEach(DefaultStarling::close);
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for: " + what).isLessThan(deadline);
            LockSupport.parkNanos(1_000_000);
        }
    }

    private static long count(DefaultStarling p, String from) {
        return (Long) p.store()
                .execute("SELECT COUNT(*) AS n FROM " + from)
                .items()
                .get(0)
                .value()
                .get("n");
    }

    @Test
    void aRunawaySubscriptionIsStoppedAndSyncGoesOn() {
        DefaultStarling a = peer(), b = peer();
        a.store()
                .execute(
                        "INSERT INTO bad DOCUMENTS ({'_id': 1, 's': :s}), ({'_id': 2, 's': 'b'})",
                        Map.of("s", "a".repeat(40)));
        a.store().execute("INSERT INTO good DOCUMENTS ({'_id': 1}), ({'_id': 2})");
        b.sync().registerSubscription("SELECT * FROM bad WHERE regexp_like(s, '^(.*a){20}b')", Map.of());
        b.sync().registerSubscription("SELECT * FROM good", Map.of());
        links.add(InMemoryTransport.connect(a, b));
        await("the good subscription's documents at b", () -> count(b, "good") == 2);
        a.store().execute("INSERT INTO good DOCUMENTS ({'_id': 3})");
        a.store().execute("INSERT INTO bad DOCUMENTS ({'_id': 3, 's': 'aab'})");
        await("later changes at b", () -> count(b, "good") == 3);
        assertThat(count(b, "bad"))
                .as("the runaway subscription matches nothing any more")
                .isZero();
        assertThat(a.syncStore().tooSlow()).containsExactly("SELECT * FROM bad WHERE regexp_like(s, '^(.*a){20}b')");
        assertThat(a.defaultStore().running().size()).isZero();
    }
}
