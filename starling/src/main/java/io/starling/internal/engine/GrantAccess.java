package io.starling.internal.engine;

import io.starling.internal.core.CodecException;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.query.Permissions;
import io.starling.internal.sync.RemoteAccess;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A remote's permission set, bound to its identity, as the sync session asks about it: each document decoded and
 * its conditions evaluated by the query layer (the same evaluation as a {@code WHERE}, docs/PERMISSIONS.md). Fails
 * closed: a document that does not decode, or a condition that throws or runs past {@link
 * EngineSyncStore#MATCH_LIMIT} on it, is not allowed. Thread-safe.
 */
final class GrantAccess implements RemoteAccess {
    private static final Logger log = LoggerFactory.getLogger(GrantAccess.class);

    private final Permissions.Grant grant;
    private final RunningStatements running;
    private final LongSupplier clock;

    GrantAccess(Permissions.Grant grant, RunningStatements running, LongSupplier clock) {
        this.grant = grant;
        this.running = running;
        this.clock = clock;
    }

    @Override
    public boolean mayReadCollection(String collection) {
        return grant.permissions().read().coversCollection(collection);
    }

    @Override
    public boolean mayWriteCollection(String collection) {
        return grant.permissions().write().coversCollection(collection);
    }

    @Override
    public boolean mayRead(String collection, byte[] id, byte[] state) {
        if (grant.permissions().read().everything()) return true; // no need to decode anything
        try {
            return judge(collection, id, DocumentState.decode(state), true);
        } catch (CodecException e) {
            return false;
        }
    }

    @Override
    public boolean mayWrite(String collection, byte[] id, DocumentState state) {
        if (grant.permissions().write().everything()) return true;
        return judge(collection, id, state, false);
    }

    private boolean judge(String collection, byte[] id, DocumentState state, boolean read) {
        RunningStatements.Deadline deadline = running.start(EngineSyncStore.MATCH_LIMIT);
        try {
            Value.Obj doc = state.document(DocumentIds.decode(id));
            if (doc == null) return false;
            return read
                    ? grant.mayRead(collection, doc, clock.getAsLong(), deadline)
                    : grant.mayWrite(collection, doc, clock.getAsLong(), deadline);
        } catch (RuntimeException e) { // a timeout, an id that does not decode: not allowed
            log.debug(
                    "a permission of user '{}' could not be judged on a document of {}", grant.userId(), collection, e);
            return false;
        } finally {
            running.finish(deadline);
        }
    }
}
