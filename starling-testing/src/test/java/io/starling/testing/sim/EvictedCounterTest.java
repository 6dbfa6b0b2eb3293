package io.starling.testing.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.StarlingConfig;
import io.starling.internal.core.Value;
import io.starling.internal.engine.DefaultStarling;
import io.starling.internal.index.IndexKeyCodec;
import io.starling.internal.storage.InMemoryStorage;
import io.starling.internal.sync.SyncStoreView;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Regressions for the bugs the simulator found (docs/SIMULATOR.md, "Bugs found"): after EVICT, a site's next
 * counter increment (1) loses its earlier, already replicated increments on every replica, and (2) when the site
 * no longer knows the counter's latest restart, makes merge forget them too — merge stops being a join, and
 * replicas stay apart.
 *
 * <p>Both come from one assumption in the document CRDT: each site has one counter contribution per path, a
 * running sum that only grows, and the contribution with the later stamp replaces the earlier one. The site
 * continues its running sum from the contribution in its local state; EVICT removes that state, so when the
 * document comes back from a replica that lacks the site's latest contribution (or the restart it was counted
 * against), the site's next increment starts a new sum — with an older basis, or from zero — and, being later,
 * replaces the site's earlier contribution wherever it arrives.
 *
 * <p>Expected to pass once contributions are kept per running sum rather than per site (for example keyed by
 * site and the stamp that started the sum), or EVICT keeps the site's own contributions.
 */
class EvictedCounterTest {
    private final List<DefaultStarling> open = new ArrayList<>();

    @AfterEach
    void close() {
        open.forEach(DefaultStarling::close);
    }

    private DefaultStarling peer(long site) {
        Clock clock = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(site), ZoneOffset.UTC);
        DefaultStarling db = DefaultStarling.open(
                StarlingConfig.builder().appId("evict").siteId(site).build(),
                Path.of("memory-" + site),
                new InMemoryStorage(),
                clock,
                new Random(site));
        open.add(db);
        return db;
    }

    /** Hands {@code from}'s state of c/1 to {@code to}, as a sync session would. */
    private static void send(DefaultStarling from, DefaultStarling to) {
        byte[] id = IndexKeyCodec.encodeId(Value.of(1));
        byte[] state = from.defaultStore().documentState("c", Value.of(1)).encode();
        to.syncStore().apply(from.syncStore().peerId(), List.of(new SyncStoreView.Doc("c", id, state)), null);
    }

    private static Object n(DefaultStarling db) {
        return db.store()
                .execute("SELECT n FROM c WHERE _id = 1")
                .items()
                .get(0)
                .value()
                .get("n");
    }

    @Test
    void incrementsMadeBeforeAnEvictionSurviveIncrementsMadeAfterIt() {
        DefaultStarling a = peer(1), x = peer(2), z = peer(3);
        a.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1})");
        send(a, x);
        send(a, z);

        a.store().execute("UPDATE c APPLY n INCREMENT BY 1 WHERE _id = 1"); // acknowledged
        send(a, x); // and replicated: x counts 1
        assertThat(n(x)).isEqualTo(1L);

        a.store().execute("EVICT FROM c WHERE _id = :id", Map.of("id", 1));
        z.store().execute("UPDATE c SET x = 1 WHERE _id = 1");
        send(z, a); // a gets the document back from z, which never saw a's increment
        a.store().execute("UPDATE c APPLY n INCREMENT BY 2 WHERE _id = 1"); // acknowledged
        send(a, x);

        // both increments were acknowledged and the first had reached x: x must count 3
        assertThat(n(x)).as("the counter at x after both of a's increments").isEqualTo(3L);
    }

    @Test
    void aStaleCopyOfASeriesReceivedBackAfterAnEvictionIsNeverContinued() {
        DefaultStarling a = peer(1), x = peer(2), z = peer(3);
        a.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1})");
        a.store().execute("UPDATE c APPLY n INCREMENT BY 1 WHERE _id = 1"); // a's series: 1
        send(a, z); // z holds the series at 1
        a.store().execute("UPDATE c APPLY n INCREMENT BY 2 WHERE _id = 1"); // a's series: 3
        send(a, x); // x holds it at 3
        assertThat(n(x)).isEqualTo(3L);

        a.store().execute("EVICT FROM c WHERE _id = :id", Map.of("id", 1));
        send(z, a); // a gets its own series back, stale: 1
        a.store().execute("UPDATE c APPLY n INCREMENT BY 4 WHERE _id = 1"); // acknowledged
        send(a, x);

        // continuing the stale copy would make the series 5, newer than x's 3, and replace it: the 2 would be lost
        assertThat(n(x)).as("the counter at x after a's three increments").isEqualTo(7L);
    }

    @Test
    void mergingAStateOfASiteThatForgotARestartKeepsWhatTheReplicaHad() {
        DefaultStarling a = peer(1), x = peer(2);
        a.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1})");
        a.store().execute("UPDATE c APPLY n RESTART WITH 4 WHERE _id = 1");
        a.store().execute("UPDATE c APPLY n INCREMENT BY 5 WHERE _id = 1"); // counted against the restart
        send(a, x);
        assertThat(n(x)).isEqualTo(9L);
        io.starling.internal.crdt.DocumentState before = x.defaultStore().documentState("c", Value.of(1));

        a.store().execute("EVICT FROM c WHERE _id = :id", Map.of("id", 1));
        a.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1})"); // a no longer knows the restart
        a.store().execute("UPDATE c APPLY n INCREMENT BY 1 WHERE _id = 1"); // did not see the restart: not counted
        send(a, x);

        // merge is a join: x's state after merging includes x's state before
        io.starling.internal.crdt.DocumentState after = x.defaultStore().documentState("c", Value.of(1));
        assertThat(after.merge(before))
                .as("merging x's earlier state into its current one")
                .isEqualTo(after);
        assertThat(n(x))
                .as("the counter at x: the restart's 4 plus a's increment of 5 that saw it")
                .isEqualTo(9L);
    }
}
