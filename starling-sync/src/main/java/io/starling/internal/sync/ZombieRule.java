package io.starling.internal.sync;

import io.starling.internal.crdt.DocumentState;

/**
 * The tombstone horizon's rule (docs/SYNC-PROTOCOL.md, "Tombstone horizon"), in one place: the engine's store and
 * the tests' fake store both call it, so that the session tests exercise the rule the engine applies.
 *
 * <p>A store that purged the tombstones older than its horizon can no longer tell "deleted and purged" from "never
 * seen" below that horizon. So a received state of a document the store holds no row for, entirely older than the
 * horizon (its greatest stamp is below it), may be the live copy of a document deleted and purged here: merging it
 * would resurrect a <em>zombie</em>, and it is refused. A state with any write at or above the horizon is accepted
 * (that write is newer than every purged delete), and so is any state of a document the store still holds a row for
 * (a tombstone still there wins the merge by itself). A tombstone is never refused: it cannot bring anything back,
 * and refusing it would tell its holder to drop it — the holder would then take an older live copy from another
 * peer and keep it, while the tombstone it sent lives on elsewhere. The purge removes exactly the tombstones this
 * rule then stands in for: those entirely older than the horizon. Pure and stateless.
 */
public final class ZombieRule {
    private ZombieRule() {}

    /**
     * Whether a store refuses {@code incoming} as a zombie.
     *
     * @param held whether the store holds a row (live or tombstone) for the document
     * @param horizon the store's tombstone horizon, an HLC value (0 when no tombstone was ever purged: nothing is
     *     refused, since HLC values are never negative)
     */
    public static boolean refuses(boolean held, DocumentState incoming, long horizon) {
        return !held && !incoming.isTombstone() && incoming.maxStamp().hlc() < horizon;
    }

    /**
     * Whether a purge at {@code horizon} may remove a stored state: a tombstone entirely older than the horizon, whose
     * older copies elsewhere {@link #refuses} refuses from then on.
     */
    public static boolean purges(DocumentState stored, long horizon) {
        return stored.isTombstone() && stored.maxStamp().hlc() < horizon;
    }
}
