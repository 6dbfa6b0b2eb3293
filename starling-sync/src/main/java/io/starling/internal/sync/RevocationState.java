package io.starling.internal.sync;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * The newest verified revocation list a peer holds, shared by all its sessions and by whatever else adopts lists (the
 * engine at start, the authority when it issues one): docs/SYNC-PROTOCOL.md, "Revocations". A list replaces the one
 * held only when its number is higher, so lists may arrive in any order, through any relay, any number of times.
 *
 * <p>Thread-safe (the one shared object of the sync layer: sessions of one peer run on one thread, but the engine also
 * adopts lists from its own threads). The owner's hook runs under this object's lock, so adoptions reach it one at a
 * time and in increasing order; it must be quick and must not call a session.
 */
public final class RevocationState {
    private final RevocationVerifier verifier;
    private final Consumer<VerifiedRevocations> onAdopted;
    private VerifiedRevocations current = VerifiedRevocations.NONE;

    /**
     * @param verifier judges the lists remotes send
     * @param onAdopted told of every list adopted, in order (the engine stores it and tells its other sessions)
     */
    public RevocationState(RevocationVerifier verifier, Consumer<VerifiedRevocations> onAdopted) {
        this.verifier = Objects.requireNonNull(verifier, "verifier");
        this.onAdopted = Objects.requireNonNull(onAdopted, "onAdopted");
    }

    /** A state whose adoptions nobody needs to hear of (tests, the simulator). */
    public RevocationState(RevocationVerifier verifier) {
        this(verifier, list -> {});
    }

    /** The list held now ({@link VerifiedRevocations#NONE} before any). */
    public synchronized VerifiedRevocations current() {
        return current;
    }

    public RevocationVerifier verifier() {
        return verifier;
    }

    /**
     * Keeps {@code list} if it is newer than the one held, and tells the owner.
     *
     * @return whether it was adopted (false for a list as old as the one held, or older)
     */
    public synchronized boolean adopt(VerifiedRevocations list) {
        Objects.requireNonNull(list, "list");
        if (list.serial() <= current.serial()) return false;
        current = list;
        onAdopted.accept(list);
        return true;
    }
}
