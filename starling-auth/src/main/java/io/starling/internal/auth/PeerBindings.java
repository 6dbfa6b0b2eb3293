package io.starling.internal.auth;

import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the authority remembers of the peer ids it certified: which user (and which device key) each peer id was first
 * issued to (docs/AUTH.md, "Peer ids are bound to their first user"). A login naming a peer id bound to another user is
 * refused, so that a user cannot get a certificate for another user's store. Kept durably: in a file of the node's
 * database directory ({@link FilePeerBindings}), or in PostgreSQL for server nodes that share one database, where the
 * table's primary key decides between two nodes binding one id at once. Implementations are thread-safe.
 */
public interface PeerBindings {
    /** The most peer ids one user may have bound: past it, a login for a new peer id is refused. */
    int MAX_PER_USER = 1_000;

    /**
     * One bound peer id.
     *
     * @param deviceKey the SHA-256 fingerprint of the device key last certified for it, 64 lowercase hex digits
     * @param since when the peer id was first bound to the user
     */
    record Binding(long peerId, String userId, String deviceKey, Instant since) {}

    /** What a claim found. */
    enum Outcome {
        /** The peer id was not bound; it is bound to the user now. */
        BOUND,
        /** Bound to the user with this device key already: a renewal, or a login again from the same store. */
        SAME,
        /** Bound to the user with another device key, now replaced by this one (an app reinstalled with its store). */
        NEW_DEVICE_KEY,
        /** Bound to another user: nothing was changed. */
        OTHER_USER,
        /** Not bound, and the user has {@link #MAX_PER_USER} peer ids already: nothing was changed. */
        USER_LIMIT,
        /** Not bound, and the store holds as many bindings as it can: nothing was changed. */
        FULL
    }

    /**
     * A claim's outcome.
     *
     * @param previous the binding found ({@code SAME}, {@code NEW_DEVICE_KEY}, {@code OTHER_USER}), else null
     */
    record Claim(Outcome outcome, @Nullable Binding previous) {}

    /**
     * Binds {@code peerId} to {@code userId} and {@code deviceKey} unless it is bound to another user, atomically: of two
     * claims of one unbound id for two users, on any nodes of the store, exactly one is {@code BOUND}.
     *
     * @throws AuthException {@code CONFIG_INVALID} when the store cannot be read or written (every login then fails)
     */
    Claim claim(long peerId, String userId, String deviceKey, Instant now);

    /** The binding of {@code peerId}, or null. */
    @Nullable
    Binding get(long peerId);

    /** Every binding, by peer id. */
    List<Binding> list();

    /** Forgets the binding of {@code peerId}; the next login naming it binds it anew. @return whether there was one */
    boolean release(long peerId);

    /** Forgets every binding of {@code userId}. @return how many there were */
    int releaseUser(String userId);

    /** The most peer ids one user may have bound here. */
    default int maxPerUser() {
        return MAX_PER_USER;
    }

    /** Where the bindings are kept, for messages: a file, or a database without its URL's parameters. */
    String where();
}
