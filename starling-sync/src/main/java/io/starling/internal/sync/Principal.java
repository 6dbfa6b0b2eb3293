package io.starling.internal.sync;

import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Who the remote of a session is, as far as permissions go: its user id, its metadata, and what it may read and
 * write here. {@link #UNRESTRICTED} (a shared-key or playground peer, an authority) may do everything, and a session
 * with it behaves exactly as one without permissions. Immutable and thread-safe.
 *
 * <p>The rules, in one place (docs/PERMISSIONS.md, "Enforcement in sync"), so that the session, the engine's store
 * and the test store all apply the same ones:
 *
 * <ul>
 *   <li><b>Read</b> ({@link #mayRead}): a live document is sent (as a document or a hint) only if the remote may
 *       read it as it is now; a tombstone only if the remote may read some document of its collection (a tombstone
 *       carries no fields: it shows the id and the time of the delete).
 *   <li><b>Write</b> ({@link #mayApply}): a merge that changes what we hold is the remote's write, judged on the
 *       document before and after it: the remote must be allowed to write the document as we held it (if we held
 *       it live) and as it is after the merge (if it is still live). A delete is judged on the document it removes;
 *       a tombstone of a document we do not hold live needs only write access to some document of its collection.
 *       A merge that changes nothing is not a write and needs no permission.
 * </ul>
 */
public final class Principal {
    /** May read and write everything: today's behaviour, no check at all. */
    public static final Principal UNRESTRICTED = new Principal("", Value.Obj.EMPTY, null);

    private final String userId;
    private final Value.Obj metadata;
    private final @Nullable RemoteAccess access;

    private Principal(String userId, Value.Obj metadata, @Nullable RemoteAccess access) {
        this.userId = userId;
        this.metadata = metadata;
        this.access = access;
    }

    /** A remote held to {@code access}: an online identity's user, metadata and permissions. */
    public static Principal of(String userId, Value.Obj metadata, RemoteAccess access) {
        return new Principal(
                Objects.requireNonNull(userId, "userId"),
                Objects.requireNonNull(metadata, "metadata"),
                Objects.requireNonNull(access, "access"));
    }

    /** The remote's user id; empty for {@link #UNRESTRICTED}. */
    public String userId() {
        return userId;
    }

    /** The remote's metadata (an empty object when it has none). */
    public Value.Obj metadata() {
        return metadata;
    }

    /** True when nothing is checked (everything is allowed both ways). */
    public boolean unrestricted() {
        return access == null;
    }

    /** Whether a row of ours (live or tombstone) may be sent to the remote, as a document or a hint. */
    public boolean mayRead(SyncStoreView.Row row) {
        RemoteAccess a = access;
        if (a == null) return true;
        if (!a.mayReadCollection(row.collection())) return false;
        return !row.live() || a.mayRead(row.collection(), row.id(), row.state());
    }

    /**
     * Whether the remote may change our {@code before} into {@code after} (the merge of its state into ours).
     * Callers ask only when the merge changes something.
     *
     * @param before what we held, or null when we held no row
     */
    public boolean mayApply(String collection, byte[] id, @Nullable DocumentState before, DocumentState after) {
        RemoteAccess a = access;
        if (a == null) return true;
        if (!a.mayWriteCollection(collection)) return false;
        if (before != null && before.exists() && !a.mayWrite(collection, id, before)) return false;
        return !after.exists() || a.mayWrite(collection, id, after);
    }

    @Override
    public String toString() {
        return access == null ? "Principal[unrestricted]" : "Principal[" + userId + "]";
    }
}
