package io.starling.internal.sync;

import io.starling.internal.crdt.DocumentState;

/**
 * What a remote's permissions allow, document by document: the predicates {@link Principal} builds the sync rules
 * on (docs/PERMISSIONS.md, "Enforcement in sync"). The engine implements them over its permission sets; tests over
 * anything simple. Implementations must be pure, thread-safe and must not throw: a document they cannot judge is not
 * allowed (permissions fail closed).
 */
public interface RemoteAccess {

    /** Whether the remote may read some document of this collection (its read permission lists it, or everything). */
    boolean mayReadCollection(String collection);

    /** Whether the remote may write some document of this collection. */
    boolean mayWriteCollection(String collection);

    /**
     * Whether the remote may read this live document.
     *
     * @param id the store's encoded id
     * @param state the document's encoded state, live ({@link DocumentState#exists()})
     */
    boolean mayRead(String collection, byte[] id, byte[] state);

    /** Whether the remote may write this document as {@code state} shows it (live). */
    boolean mayWrite(String collection, byte[] id, DocumentState state);
}
