package io.starling.internal.net;

import org.jspecify.annotations.Nullable;

/**
 * Facts about a connection known before its first message.
 *
 * @param transport {@code tcp}, {@code websocket} or {@code memory}
 * @param remoteAddress the remote socket address, for logs and presence
 * @param outgoing true when this peer dialed
 * @param authenticatedPeerId the peer id bound to the remote's verified certificate, or 0 when not
 *     authenticated by peer id (playground; an online certificate issued before certificates named peer ids)
 * @param remoteIdentity in the online identity mode, who the remote's verified device certificate names; null in the
 *     other modes
 */
public record ConnectionInfo(
        String transport,
        String remoteAddress,
        boolean outgoing,
        long authenticatedPeerId,
        @Nullable RemoteIdentity remoteIdentity) {
    public ConnectionInfo(String transport, String remoteAddress, boolean outgoing, long authenticatedPeerId) {
        this(transport, remoteAddress, outgoing, authenticatedPeerId, null);
    }

    public static ConnectionInfo memory(boolean outgoing) {
        return new ConnectionInfo("memory", "in-memory", outgoing, 0, null);
    }
}
