package io.starling.internal.sync;

import io.starling.internal.crdt.DocumentState;
import org.jspecify.annotations.Nullable;

/**
 * The tombstone horizon's rule (docs/SYNC-PROTOCOL.md, "Tombstone horizon"), in one place: the engine's store and
 * the tests' fake store both call it, so that the session tests exercise the rule the engine applies.
 *
 * <p>A store that purged the tombstones older than its horizon can no longer tell "deleted and purged" from "never
 * seen" below that horizon. So a received state of a document the store holds no row for, entirely older than the
 * horizon (its greatest stamp is below it), may be the live copy of a document deleted and purged here: merging it
 * would resurrect a <em>zombie</em>, and it is refused. A state with any write at or above the horizon is accepted
 * (that write is newer than every purged delete), and so is any state of a document the store still holds a row for
 * (a tombstone still there wins the merge by itself) — unless that row is itself a tombstone entirely older than the
 * horizon, which stands for nothing the purge removed and counts as no row. A tombstone is never refused: it cannot
 * bring anything back, and refusing it would tell its holder to drop it — the holder would then take an older live
 * copy from another peer and keep it, while the tombstone it sent lives on elsewhere. The purge removes exactly the tombstones this
 * rule then stands in for: those entirely older than the horizon. Pure and stateless.
 */
public final class ZombieRule {
    private ZombieRule() {}

    /**
     * Whether a store refuses {@code incoming} as a zombie.
     *
     * <p>A stored tombstone that the purge would remove ({@link #purges}: entirely older than the horizon) counts as no
     * row. Such a tombstone reached the store after its purge (a tombstone is never refused), and it proves nothing
     * about the deletes purged here: a later delete of the same document may have been purged, and merging an older
     * live copy into the old tombstone would bring the document back (simulator seed 29000004833: a peer took a
     * peer's tombstone older than its horizon, then that peer's live state, older than the purged delete, onto it).
     *
     * @param stored the state the store holds for the document (live or tombstone), or null when it holds no row
     * @param horizon the store's tombstone horizon, an HLC value (0 when no tombstone was ever purged: nothing is
     *     refused, since HLC values are never negative)
     */
    public static boolean refuses(@Nullable DocumentState stored, DocumentState incoming, long horizon) {
        if (incoming.isTombstone() || incoming.maxStamp().hlc() >= horizon) return false;
        return stored == null || purges(stored, horizon);
    }

    /**
     * Whether a purge at {@code horizon} may remove a stored state: a tombstone entirely older than the horizon, whose
     * older copies elsewhere {@link #refuses} refuses from then on.
     */
    public static boolean purges(DocumentState stored, long horizon) {
        return stored.isTombstone() && stored.maxStamp().hlc() < horizon;
    }
}
