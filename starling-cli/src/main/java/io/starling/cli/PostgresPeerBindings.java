package io.starling.cli;

import io.starling.internal.auth.AuthException;
import io.starling.internal.auth.DeviceCertificates;
import io.starling.internal.auth.PeerBindings;
import io.starling.internal.storage.StorageException;
import io.starling.internal.storage.postgres.PostgresClusterState;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * {@link PeerBindings} in the PostgreSQL database that server nodes share (table {@code starling_peer_bindings},
 * docs/STORAGE.md), so that every node running the authority refuses a peer id that any of them bound to another user.
 * The binding itself is one insert on the table's primary key ({@link PostgresClusterState#bindPeer}): two nodes
 * binding one id for two users at once bind it once, and the other finds it bound. A user's count is checked in the same
 * statement; two concurrent logins of one user may pass {@link #MAX_PER_USER} by their own rows. Thread-safe.
 */
final class PostgresPeerBindings implements PeerBindings {
    /** A row released between the insert that found it and the read: try the insert again (a few times at most). */
    private static final int ATTEMPTS = 3;

    private final PostgresClusterState state;
    private final int maxPerUser;

    PostgresPeerBindings(PostgresClusterState state) {
        this(state, MAX_PER_USER);
    }

    /** With another limit per user (tests). */
    PostgresPeerBindings(PostgresClusterState state, int maxPerUser) {
        this.state = state;
        this.maxPerUser = maxPerUser;
    }

    @Override
    public int maxPerUser() {
        return maxPerUser;
    }

    @Override
    public Claim claim(long peerId, String userId, String deviceKey, Instant now) {
        String peer = DeviceCertificates.peerIdText(peerId);
        return sql(() -> {
            for (int attempt = 1; ; attempt++) {
                if (state.bindPeer(peer, userId, deviceKey, now, maxPerUser)) return new Claim(Outcome.BOUND, null);
                Binding found = bindingOrNull(state.peerBinding(peer));
                if (found == null) {
                    // not bound, and not inserted: the user is at the limit (or it was released meanwhile)
                    if (attempt >= ATTEMPTS) return new Claim(Outcome.USER_LIMIT, null);
                    continue;
                }
                if (!found.userId().equals(userId)) return new Claim(Outcome.OTHER_USER, found);
                if (found.deviceKey().equals(deviceKey)) return new Claim(Outcome.SAME, found);
                if (state.rekeyPeer(peer, userId, deviceKey)) return new Claim(Outcome.NEW_DEVICE_KEY, found);
                // released (and perhaps bound again) between the read and the update: decide again
                if (attempt >= ATTEMPTS) return new Claim(Outcome.OTHER_USER, found);
            }
        });
    }

    @Override
    public @Nullable Binding get(long peerId) {
        return sql(() -> Optional.ofNullable(bindingOrNull(state.peerBinding(DeviceCertificates.peerIdText(peerId)))))
                .orElse(null);
    }

    @Override
    public List<Binding> list() {
        return sql(() ->
                state.peerBindings().stream().map(PostgresPeerBindings::binding).toList());
    }

    @Override
    public boolean release(long peerId) {
        return sql(() -> state.releasePeer(DeviceCertificates.peerIdText(peerId)));
    }

    @Override
    public int releaseUser(String userId) {
        return sql(() -> state.releasePeersOf(userId));
    }

    @Override
    public String where() {
        return "PostgreSQL " + state.where();
    }

    private static @Nullable Binding bindingOrNull(PostgresClusterState.@Nullable PeerBinding row) {
        return row == null ? null : binding(row);
    }

    private static Binding binding(PostgresClusterState.PeerBinding row) {
        return new Binding(DeviceCertificates.parsePeerId(row.peerId()), row.userId(), row.deviceKey(), row.boundAt());
    }

    private interface Work<T> {
        T run();
    }

    /**
     * A database that fails refuses the login ({@code AUTHORITY_UNAVAILABLE}, 502: the device retries), as a damaged
     * file does: the authority never issues a certificate it could not check.
     */
    private <T> T sql(Work<T> work) {
        try {
            return work.run();
        } catch (StorageException e) {
            throw new AuthException(
                    AuthException.Code.AUTHORITY_UNAVAILABLE,
                    "the authority's peer id bindings in " + where() + " cannot be used, so no login is accepted"
                            + " until it answers: " + e.getMessage(),
                    e);
        }
    }
}
