package io.starling.internal.sync;

import java.util.Objects;

/**
 * What the transport established about a session's remote before its first message: the peer id bound to the
 * certificate it proved (0 when none was verified) and its {@link Principal}. The session closes with {@link
 * SyncSession#UNAUTHENTICATED} when the remote's HELLO names another peer id, and holds the remote to the
 * principal's permissions in both directions.
 *
 * @param certifiedPeerId the peer id the remote's certificate is bound to, or 0 (playground: nothing verified)
 * @param principal what the remote may read and write here
 */
public record RemoteIdentity(long certifiedPeerId, Principal principal) {
    /** Nothing verified, nothing restricted: a session as it was before identities. */
    public static final RemoteIdentity NONE = new RemoteIdentity(0, Principal.UNRESTRICTED);

    public RemoteIdentity {
        Objects.requireNonNull(principal, "principal");
    }
}
