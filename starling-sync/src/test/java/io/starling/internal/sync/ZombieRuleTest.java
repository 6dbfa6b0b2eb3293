package io.starling.internal.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.core.Path;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.crdt.FieldOp;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The tombstone horizon's rule at its edges; the engine and {@link FakeStore} both apply exactly this. */
class ZombieRuleTest {
    private static final long HORIZON = 1000;

    private static DocumentState live(long hlc) {
        return DocumentState.empty().insert(SyncSessionTest.obj("k", 1), new Stamp(hlc, 7));
    }

    @Test
    void aStateEntirelyOlderThanTheHorizonOfADocumentNotHeldIsRefused() {
        assertThat(ZombieRule.refuses(null, live(HORIZON - 1), HORIZON)).isTrue();
        assertThat(ZombieRule.refuses(null, live(1), HORIZON)).isTrue();
    }

    /**
     * Regression (simulator seed 5000009245, line of 4): a tombstone refused as a zombie made its holder drop it; the
     * holder then took an older live copy from its other neighbour and kept it, while that neighbour held the
     * tombstone the holder had sent — a divergence. A tombstone brings nothing back: it is never refused.
     */
    @Test
    void aTombstoneIsNeverAZombie() {
        assertThat(ZombieRule.refuses(null, live(1).delete(new Stamp(2, 7)), HORIZON))
                .isFalse();
        assertThat(ZombieRule.refuses(null, live(1).delete(new Stamp(HORIZON - 1, 7)), HORIZON))
                .isFalse();
    }

    @Test
    void anyWriteAtOrAboveTheHorizonMakesTheStateAcceptable() {
        assertThat(ZombieRule.refuses(null, live(HORIZON), HORIZON)).isFalse();
        assertThat(ZombieRule.refuses(null, live(HORIZON + 1), HORIZON)).isFalse();
        DocumentState oldInsertNewUpdate =
                live(5).update(List.of(new FieldOp.Set(Path.of("k"), Value.of(2))), new Stamp(HORIZON + 50, 9));
        assertThat(ZombieRule.refuses(null, oldInsertNewUpdate, HORIZON))
                .as("the greatest stamp decides")
                .isFalse();
    }

    @Test
    void aDocumentTheStoreHoldsARowForIsNeverAZombie() {
        assertThat(ZombieRule.refuses(live(2), live(1), HORIZON)).isFalse();
        assertThat(ZombieRule.refuses(live(1).delete(new Stamp(HORIZON, 7)), live(1), HORIZON))
                .as("a tombstone the purge keeps")
                .isFalse();
    }

    /**
     * Regression (simulator seed 29000004833, mesh of 5, with a sender that hints more): a peer that purged its delete
     * of a document took another peer's older tombstone of it (a tombstone is never refused), then that peer's live
     * state — older than the purged delete — merged onto it, and the deleted document came back. A stored tombstone
     * entirely older than the horizon stands for nothing the purge removed: it counts as no row.
     */
    @Test
    void aStoredTombstoneOlderThanTheHorizonCountsAsNoRow() {
        DocumentState oldTombstone = live(1).delete(new Stamp(2, 7));
        DocumentState olderThanThePurgedDelete =
                live(1).update(List.of(new FieldOp.Set(Path.of("k"), Value.of(2))), new Stamp(HORIZON - 10, 9));
        assertThat(ZombieRule.refuses(oldTombstone, olderThanThePurgedDelete, HORIZON))
                .isTrue();
        assertThat(ZombieRule.refuses(oldTombstone, live(HORIZON), HORIZON))
                .as("a write at or above the horizon is newer than every purged delete")
                .isFalse();
        assertThat(ZombieRule.refuses(oldTombstone, live(1).delete(new Stamp(3, 7)), HORIZON))
                .as("a tombstone is still never a zombie")
                .isFalse();
    }

    @Test
    void withoutAHorizonNothingIsRefused() {
        assertThat(ZombieRule.refuses(null, live(0), 0)).isFalse();
        assertThat(ZombieRule.refuses(null, DocumentState.empty(), 0)).isFalse();
    }

    @Test
    void thePurgeRemovesExactlyTheTombstonesTheRuleStandsInFor() {
        DocumentState oldTombstone = live(1).delete(new Stamp(HORIZON - 1, 7));
        DocumentState recentTombstone = live(1).delete(new Stamp(HORIZON, 7));
        assertThat(ZombieRule.purges(oldTombstone, HORIZON)).isTrue();
        assertThat(ZombieRule.purges(recentTombstone, HORIZON)).isFalse();
        assertThat(ZombieRule.purges(live(1), HORIZON))
                .as("live documents are never purged")
                .isFalse();
        // what was purged is refused when an older copy comes back
        assertThat(ZombieRule.refuses(null, live(1), HORIZON)).isTrue();
    }
}
