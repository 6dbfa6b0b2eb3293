package io.starling.internal.engine;

import io.starling.internal.storage.DocumentStorage;
import io.starling.internal.sync.Principal;
import io.starling.internal.sync.SyncStoreView;
import org.jspecify.annotations.Nullable;

/**
 * Decides whether this peer may give a blob to another peer, or to an API key (docs/ATTACHMENTS.md, "Access"). The
 * rule: a blob goes only to one that may read a document here that references it. An unrestricted remote (a
 * shared-key or playground peer, an authority, a holder of read-everything permissions) may read every document, so
 * it may have every blob, held or not. Called on the attachment thread for every {@code WANT}, and on HTTP threads;
 * must not call back into the store's write path.
 */
@FunctionalInterface
interface AttachmentAccess {

    /** Why {@code remote} may not have blob {@code id} (64 hex digits), or null when it may. */
    @Nullable
    String refusal(Principal remote, String id);

    /**
     * The rule over the documents of this store: a restricted remote may have a blob when its read permission allows
     * at least one live document that references it ({@link AttachmentReferences}).
     */
    static AttachmentAccess byReadPermission(AttachmentReferences references) {
        return (remote, id) -> {
            if (remote.unrestricted()) return null;
            for (DocumentStorage.Row r : references.referencing(id)) {
                if (remote.mayRead(
                        new SyncStoreView.Row(r.sequence(), r.group(), r.collection(), r.id(), true, r.state())))
                    return null;
            }
            return "permission denied: user '" + remote.userId() + "' may read no document here that references"
                    + " attachment " + id;
        };
    }
}
