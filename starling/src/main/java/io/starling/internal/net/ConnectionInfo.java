package io.starling.internal.net;

/**
 * Facts about a connection known before its first message.
 *
 * @param transport {@code tcp}, {@code websocket} or {@code memory}
 * @param remoteAddress the remote socket address, for logs and presence
 * @param outgoing true when this peer dialed
 * @param authenticatedPeerId the peer id bound to the remote's verified certificate, or 0 when not
 *     authenticated (playground)
 */
public record ConnectionInfo(String transport, String remoteAddress, boolean outgoing, long authenticatedPeerId) {
    public static ConnectionInfo memory(boolean outgoing) {
        return new ConnectionInfo("memory", "in-memory", outgoing, 0);
    }
}
