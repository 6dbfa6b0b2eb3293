package io.starling.internal.engine;

import org.jspecify.annotations.Nullable;

/**
 * Decides whether this peer may give a blob to another peer (docs/ATTACHMENTS.md, "Access"). The rule: a peer gets a
 * blob only if it may read a document that references it. With shared keys every peer of the app may read every
 * document, so {@link #anyPeerOfTheApp()} allows all; a permission-aware implementation answers from the peer's read
 * permissions and the documents that hold the token. Called on the attachment thread; must be quick and must not
 * call back into the store's write path.
 */
@FunctionalInterface
interface AttachmentAccess {

    /** Why {@code peer} may not have blob {@code id} (64 hex digits), or null when it may. */
    @Nullable
    String refusal(long peer, String id);

    /** Shared-key apps: every peer that got past the handshake is a peer of the app and may have every blob. */
    static AttachmentAccess anyPeerOfTheApp() {
        return (peer, id) -> null;
    }
}
