package io.starling.internal.engine;

import io.starling.ErrorCode;
import io.starling.StarlingException;
import io.starling.internal.core.Limits;
import io.starling.internal.core.Value;
import io.starling.internal.core.ValueCodec;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.index.IndexDefinition;
import io.starling.internal.index.IndexKeyCodec;
import io.starling.internal.storage.DocumentStorage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
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

    static final int WARN_BYTES = Limits.WARN_DOCUMENT_BYTES;
    static final int MAX_LOCAL_BYTES = Limits.MAX_DOCUMENT_BYTES;

    /**
     * One committed document change. {@code before} is {@link DocumentState#empty()} for a new row and
     * {@code after} is empty for an eviction; {@code sequence} is -1 for an eviction.
     */
    static final class Change {
        final String collection;
        final Value id;
        final DocumentState before;
        final long sequence;
        private @Nullable DocumentState after;
        private final byte @Nullable [] afterBytes;

        Change(
                String collection,
                Value id,
                DocumentState before,
                @Nullable DocumentState after,
                byte @Nullable [] afterBytes,
                long sequence) {
            this.collection = collection;
            this.id = id;
            this.before = before;
            this.after = after;
            this.afterBytes = afterBytes;
            this.sequence = sequence;
        }

        /** The new state (decoded on first use for batch-inserted documents). */
        synchronized DocumentState after() {
            if (after == null) after = DocumentState.decode(Objects.requireNonNull(afterBytes));
            return after;
        }
    }

    private final DocumentStorage.WriteTx tx;
    private final List<Change> changes = new ArrayList<>();
    private final EngineMetrics metrics;
    private boolean wroteStamp;
    /** The index definitions as this transaction sees them (it may create or drop some). */
    private IndexCatalog.Version indexes;

    private boolean indexesChanged;
    /** CREATE and DROP INDEX operations, counted with the changes in {@link #mutations()}. */
    private int indexOperations;

    DocumentWriter(DocumentStorage.WriteTx tx, EngineMetrics metrics, IndexCatalog.Version indexes) {
        this.tx = tx;
        this.metrics = metrics;
        this.indexes = indexes;
    }

    IndexCatalog.Version indexes() {
        return indexes;
    }

    /** True when this transaction created or dropped an index: publish {@link #indexes()} after commit. */
    boolean indexesChanged() {
        return indexesChanged;
    }

    /**
     * CREATE INDEX: stores the definition and indexes every live document of the collection, polling
     * {@code cancellation} for each.
     */
    void createIndex(IndexDefinition index, io.starling.internal.query.Cancellation cancellation) {
        indexes = indexes.with(index);
        indexesChanged = true;
        indexOperations++;
        IndexCatalog.store(tx, indexes);
        List<byte[][]> entries = new ArrayList<>();
        tx.scan(index.collection(), true, row -> {
            cancellation.check();
            Value.Obj doc = DocumentState.decode(row.state()).document(DocumentIds.decode(row.id()));
            if (doc != null) entries.add(new byte[][] {IndexKeyCodec.keyOf(index, doc), row.id()});
            return true;
        });
        String name = IndexCatalog.storageName(index);
        for (byte[][] e : entries) tx.putIndexEntry(name, e[0], e[1]);
    }

    /** DROP INDEX: removes the definition and every entry. */
    void dropIndex(IndexDefinition index) {
        indexes = indexes.without(index);
        indexesChanged = true;
        indexOperations++;
        IndexCatalog.store(tx, indexes);
        tx.dropIndex(IndexCatalog.storageName(index));
    }

    /** Moves a document's index entries from its old to its new visible state (either may be null). */
    private void maintainIndexes(
            String collection, byte[] idBytes, Value.@Nullable Obj before, Value.@Nullable Obj after) {
        for (IndexDefinition index : indexes.of(collection)) {
            byte[] oldKey = before == null ? null : IndexKeyCodec.keyOf(index, before);
            byte[] newKey = after == null ? null : IndexKeyCodec.keyOf(index, after);
            if (oldKey != null && newKey != null && java.util.Arrays.equals(oldKey, newKey)) continue;
            String name = IndexCatalog.storageName(index);
            if (oldKey != null) tx.removeIndexEntry(name, oldKey, idBytes);
            if (newKey != null) tx.putIndexEntry(name, newKey, idBytes);
        }
    }

    DocumentStorage.WriteTx tx() {
        return tx;
    }

    /**
     * Writes a document's new state (replacing any row).
     *
     * @param local true for a local write (the 5 MiB limit applies), false for a merge (never refused)
     */
    void commit(String collection, Value id, byte[] idBytes, DocumentState before, DocumentState after, boolean local) {
        checkSize(collection, id, after, local);
        long seq = tx.put(collection, idBytes, after.exists(), after.encode());
        if (!indexes.of(collection).isEmpty())
            maintainIndexes(collection, idBytes, before.document(id), after.document(id));
        wroteStamp |= local;
        changes.add(new Change(collection, id, before, after, null, seq));
    }

    /**
     * Writes new documents (states of a fresh local insert) as one batch where their ids are absent.
     *
     * @return per document its sequence number, or -1 where the id was taken (nothing written for it)
     */
    long[] insertNew(String collection, Value[] ids, List<byte[]> idBytes, List<byte[]> states) {
        for (int i = 0; i < ids.length; i++) {
            if (states.get(i).length > WARN_BYTES)
                checkSize(collection, ids[i], DocumentState.decode(states.get(i)), true);
        }
        long[] seqs = ids.length == 1 // a one-row batch costs more than a plain insert
                ? new long[] {tx.insertIfAbsent(collection, idBytes.get(0), true, states.get(0))}
                : tx.insertAllIfAbsent(collection, idBytes, true, states);
        wroteStamp = true;
        List<IndexDefinition> collectionIndexes = indexes.of(collection);
        List<List<byte[]>> keys = new ArrayList<>(), keyIds = new ArrayList<>();
        for (int k = 0; k < collectionIndexes.size(); k++) {
            keys.add(new ArrayList<>());
            keyIds.add(new ArrayList<>());
        }
        for (int i = 0; i < ids.length; i++) {
            if (seqs[i] < 0) continue;
            Change change = new Change(collection, ids[i], DocumentState.empty(), null, states.get(i), seqs[i]);
            changes.add(change);
            if (collectionIndexes.isEmpty()) continue;
            Value.Obj doc = change.after().document(ids[i]);
            for (int k = 0; k < collectionIndexes.size(); k++) {
                keys.get(k).add(IndexKeyCodec.keyOf(collectionIndexes.get(k), Objects.requireNonNull(doc)));
                keyIds.get(k).add(idBytes.get(i));
            }
        }
        for (int k = 0; k < collectionIndexes.size(); k++) {
            tx.putIndexEntries(IndexCatalog.storageName(collectionIndexes.get(k)), keys.get(k), keyIds.get(k));
        }
        return seqs;
    }

    /** EVICT: the row goes, with no tombstone. */
    boolean evict(String collection, Value id, byte[] idBytes, DocumentState before) {
        if (!tx.remove(collection, idBytes)) return false;
        if (!indexes.of(collection).isEmpty()) maintainIndexes(collection, idBytes, before.document(id), null);
        changes.add(new Change(collection, id, before, DocumentState.empty(), null, -1));
        return true;
    }

    /**
     * EVICT of a row whose state does not decode: the row goes, and so do its index entries, found by scanning each
     * index of the collection for the id (the keys they were made from cannot be computed any more).
     */
    boolean evictDamaged(String collection, Value id, byte[] idBytes) {
        if (!tx.remove(collection, idBytes)) return false;
        for (IndexDefinition index : indexes.of(collection)) {
            String name = IndexCatalog.storageName(index);
            List<byte[]> keys = new ArrayList<>();
            tx.scanIndex(name, null, null, false, (key, entryId) -> {
                if (java.util.Arrays.equals(entryId, idBytes)) keys.add(key);
                return true;
            });
            for (byte[] key : keys) tx.removeIndexEntry(name, key, idBytes);
        }
        changes.add(new Change(collection, id, DocumentState.empty(), DocumentState.empty(), null, -1));
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

    /**
     * How many writes this transaction made so far (document changes and index operations): a statement that fails
     * after this number grew has written part of its work.
     */
    int mutations() {
        return changes.size() + indexOperations;
    }

    /** The highest sequence number written among changes from index {@code from} on, or 0. */
    long highestSequenceSince(int from) {
        long max = 0;
        for (int i = from; i < changes.size(); i++) max = Math.max(max, changes.get(i).sequence);
        return max;
    }

    private void checkSize(String collection, Value id, DocumentState after, boolean local) {
        // the state's encoding holds every visible value plus stamps, so it bounds the document's size
        if (after.encodedSize() <= WARN_BYTES) return;
        Value.Obj fields = after.fields();
        if (fields == null) return;
        int size = ValueCodec.encode(fields).length;
        if (size <= WARN_BYTES) return;
        if (local && size > MAX_LOCAL_BYTES) {
            throw new StarlingException(
                    ErrorCode.DOCUMENT_TOO_LARGE,
                    "document " + id + " in " + collection + " would be " + size
                            + " bytes; the limit for a local write is " + MAX_LOCAL_BYTES + " bytes (5 MiB)");
        }
        if (!local && size > MAX_LOCAL_BYTES) {
            metrics.oversizeMerges.increment();
            log.warn(
                    "merged document {} in {} is {} bytes, above the 5 MiB limit for local writes; kept to stay convergent",
                    id,
                    collection,
                    size);
        } else {
            log.warn("document {} in {} is {} bytes, above the recommended 256 KiB", id, collection, size);
        }
    }
}
