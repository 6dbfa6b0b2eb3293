package io.starling.internal.sync;

import java.util.Objects;

/**
 * What the transport established about a session's remote before its first message: the peer id bound to the
 * certificate it proved (0 when none was verified), its {@link Principal}, and the user and device key its certificate
 * names (what a revocation list matches). The session closes with {@link SyncSession#UNAUTHENTICATED} when the remote's
 * HELLO names another peer id, holds the remote to the principal's permissions in both directions, and closes with
 * {@link SyncSession#REVOKED} when the peer's revocation list revokes the user or the device.
 *
 * @param certifiedPeerId the peer id the remote's certificate is bound to, or 0 (playground: nothing verified)
 * @param principal what the remote may read and write here
 * @param userId the user the remote's certificate names, or empty (no certificate of the online mode)
 * @param deviceKey the fingerprint of the remote's device key (64 lowercase hex digits), or empty
 */
public record RemoteIdentity(long certifiedPeerId, Principal principal, String userId, String deviceKey) {
    /** Nothing verified, nothing restricted: a session as it was before identities. */
    public static final RemoteIdentity NONE = new RemoteIdentity(0, Principal.UNRESTRICTED);

    public RemoteIdentity {
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(deviceKey, "deviceKey");
    }

    /** A remote known by its principal alone (its user id is the principal's; no device key). */
    public RemoteIdentity(long certifiedPeerId, Principal principal) {
        this(certifiedPeerId, principal, principal.userId(), "");
    }
}
