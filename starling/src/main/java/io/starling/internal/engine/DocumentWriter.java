package io.starling.internal.engine;

import io.starling.ErrorCode;
import io.starling.StarlingException;
import io.starling.internal.core.Value;
import io.starling.internal.core.ValueCodec;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.storage.DocumentStorage;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one write path of the store. Local statements and merges of remote state both end in
 * {@link #commit}: it checks sizes, writes the row (which takes the next change sequence number) and
 * records the change for whoever listens after the transaction commits (observers, sync).
 *
 * <p>One instance per write transaction; not thread-safe.
 */
final class DocumentWriter {
    private static final Logger log = LoggerFactory.getLogger(DocumentWriter.class);

    static final int WARN_BYTES = 256 * 1024;
    static final int MAX_LOCAL_BYTES = 5 * 1024 * 1024;

    /** One committed document change. {@code before} is {@link DocumentState#empty()} for a new row. */
    record Change(String collection, Value id, DocumentState before, DocumentState after, long sequence) {}

    private final DocumentStorage.WriteTx tx;
    private final List<Change> changes = new ArrayList<>();
    private final EngineMetrics metrics;
    private boolean wroteStamp;

    DocumentWriter(DocumentStorage.WriteTx tx, EngineMetrics metrics) {
        this.tx = tx;
        this.metrics = metrics;
    }

    DocumentStorage.WriteTx tx() {
        return tx;
    }

    /**
     * Writes a document's new state.
     *
     * @param local true for a local write (the 5 MiB limit applies), false for a merge (never refused)
     * @param knownAbsent true when the caller knows there is no row yet (saves a lookup)
     * @return false when {@code knownAbsent} was wrong (a row exists; nothing was written)
     */
    boolean commit(String collection, Value id, byte[] idBytes, DocumentState before, DocumentState after,
            boolean local, boolean knownAbsent) {
        checkSize(collection, id, after, local);
        byte[] state = after.encode();
        long seq;
        if (knownAbsent) {
            seq = tx.insertIfAbsent(collection, idBytes, after.exists(), state);
            if (seq < 0) return false;
        } else {
            seq = tx.put(collection, idBytes, after.exists(), state);
        }
        wroteStamp |= local;
        changes.add(new Change(collection, id, before, after, seq));
        return true;
    }

    /** EVICT: the row goes, with no tombstone. */
    boolean evict(String collection, Value id, byte[] idBytes, DocumentState before) {
        if (!tx.remove(collection, idBytes)) return false;
        changes.add(new Change(collection, id, before, DocumentState.empty(), -1));
        return true;
    }

    /** Notes that the clock moved (a remote stamp was observed), so it is persisted with this transaction. */
    void clockAdvanced() {
        wroteStamp = true;
    }

    /** True when a local write used a stamp, so the clock must be persisted with this transaction. */
    boolean usedStamps() {
        return wroteStamp;
    }

    List<Change> changes() {
        return changes;
    }

    private void checkSize(String collection, Value id, DocumentState after, boolean local) {
        Value.Obj fields = after.fields();
        if (fields == null) return;
        int size = ValueCodec.encode(fields).length;
        if (size <= WARN_BYTES) return;
        if (local && size > MAX_LOCAL_BYTES) {
            throw new StarlingException(ErrorCode.DOCUMENT_TOO_LARGE, "document " + id + " in " + collection
                    + " would be " + size + " bytes; the limit for a local write is " + MAX_LOCAL_BYTES + " bytes (5 MiB)");
        }
        if (!local && size > MAX_LOCAL_BYTES) {
            metrics.oversizeMerges.increment();
            log.warn("merged document {} in {} is {} bytes, above the 5 MiB limit for local writes; kept to stay convergent",
                    id, collection, size);
        } else {
            log.warn("document {} in {} is {} bytes, above the recommended 256 KiB", id, collection, size);
        }
    }
}
