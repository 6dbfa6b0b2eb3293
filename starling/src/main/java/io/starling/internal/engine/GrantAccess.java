package io.starling.internal.engine;

import io.starling.internal.core.CodecException;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.query.Cancellation;
import io.starling.internal.query.DqlException;
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
    private final LongSupplier clock;

    GrantAccess(Permissions.Grant grant, LongSupplier clock) {
        this.grant = grant;
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
        // a deadline of its own, not registered with the running statements: a judgment is one document, bounded by
        // MATCH_LIMIT, and the registration would cost more than the judgment itself
        Cancellation deadline = new Deadline(System.nanoTime() + LIMIT_NANOS);
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
        }
    }

    private static final long LIMIT_NANOS = EngineSyncStore.MATCH_LIMIT.toNanos();

    /** Passed once {@code deadlineNanos} (read every {@link RunningStatements#CLOCK_EVERY}th poll): TIMEOUT. */
    private static final class Deadline implements Cancellation {
        private final long deadlineNanos;
        private int polls;

        Deadline(long deadlineNanos) {
            this.deadlineNanos = deadlineNanos;
        }

        @Override
        public void check() {
            if ((polls++ & (RunningStatements.CLOCK_EVERY - 1)) != 0) return;
            if (System.nanoTime() - deadlineNanos > 0)
                throw new DqlException(DqlException.Kind.TIMEOUT, "a permission condition ran past its time limit");
        }
    }
}
