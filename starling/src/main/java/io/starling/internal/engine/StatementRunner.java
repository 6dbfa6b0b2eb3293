package io.starling.internal.engine;

import io.starling.ErrorCode;
import io.starling.StarlingException;
import io.starling.internal.core.CodecException;
import io.starling.internal.core.Limits;
import io.starling.internal.core.Path;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentException;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.crdt.FieldOp;
import io.starling.internal.crdt.NewDocument;
import io.starling.internal.index.IndexDefinition;
import io.starling.internal.index.IndexKeyCodec;
import io.starling.internal.index.IndexRange;
import io.starling.internal.net.RefusalLog;
import io.starling.internal.query.Arguments;
import io.starling.internal.query.Cancellation;
import io.starling.internal.query.CreateIndexStatement;
import io.starling.internal.query.DeleteStatement;
import io.starling.internal.query.DocumentSource;
import io.starling.internal.query.DqlException;
import io.starling.internal.query.DropIndexStatement;
import io.starling.internal.query.EvalContext;
import io.starling.internal.query.EvictStatement;
import io.starling.internal.query.ExplainStatement;
import io.starling.internal.query.InsertStatement;
import io.starling.internal.query.Permissions;
import io.starling.internal.query.QueryExecutor;
import io.starling.internal.query.SelectStatement;
import io.starling.internal.query.Statement;
import io.starling.internal.query.UpdateStatement;
import io.starling.internal.storage.DocumentStorage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;

/**
 * Runs one parsed statement inside a storage transaction: reads through a {@link DocumentSource} over the
 * transaction, and turns INSERT / UPDATE / DELETE / EVICT into document states written through the
 * {@link DocumentWriter}. The statement's atomicity comes from the enclosing transaction: any exception
 * here rolls back everything the statement wrote. Every method takes the statement's {@link Cancellation}: the query
 * layer polls it while it reads, and this class between the documents it writes.
 */
final class StatementRunner {
    /**
     * The most bytes of a held string a scan searches states for: the string's last ones, whole strings up to this
     * long. The stores' byte search (SQLite's instr, PostgreSQL's position) is naive, up to state length times run
     * length per state, and one row's search cannot be interrupted: with a run of a megabyte against states of
     * megabytes that is minutes for one row. A state holding the string holds any part of its bytes, so the hint stays
     * sound; the last bytes rather than the first, since keys and paths tend to share their beginnings.
     */
    static final int MAX_HELD_RUN = 64;

    /** The byte runs a scan asks the store to search states for, given the strings a matching document holds. */
    static List<byte[]> heldRuns(List<String> strings) {
        List<byte[]> runs = new ArrayList<>();
        for (String s : strings) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            byte[] run = utf8.length <= MAX_HELD_RUN
                    ? utf8
                    : Arrays.copyOfRange(utf8, utf8.length - MAX_HELD_RUN, utf8.length);
            // a single byte is in most states (field names, stamps): searching for it would cost and leave nothing
            // out; the same run twice (a = 'x' AND b = 'x') is searched once
            if (run.length >= 2 && runs.stream().noneMatch(r -> Arrays.equals(r, run))) runs.add(run);
        }
        return runs;
    }

    private final Timestamps timestamps;
    private final EngineMetrics metrics;
    private final DocumentCache cache;
    private final IndexCatalog catalog;
    private final SeriesLedger series = new SeriesLedger();
    /** A damaged row met by every scan is reported once a minute per collection, not once a scan. */
    private final RefusalLog damaged = new RefusalLog(
            LoggerFactory.getLogger(StatementRunner.class)::warn, System::nanoTime, java.time.Duration.ofMinutes(1));

    private final SystemCollections.Info info;

    StatementRunner(
            Timestamps timestamps,
            EngineMetrics metrics,
            DocumentCache cache,
            IndexCatalog catalog,
            SystemCollections.Info info) {
        this.timestamps = timestamps;
        this.metrics = metrics;
        this.cache = cache;
        this.catalog = catalog;
        this.info = info;
    }

    /** Runs a read-only statement (SELECT, EXPLAIN) in a read transaction (a committed snapshot). */
    DefaultQueryResult read(
            DocumentStorage.ReadTx tx, Statement statement, Map<String, Value> args, Cancellation cancellation) {
        return read(tx, statement, args, cancellation, null);
    }

    /**
     * As above, seeing only what {@code grant} may read (null: everything). System collections need a grant that
     * reads everything.
     */
    DefaultQueryResult read(
            DocumentStorage.ReadTx tx,
            Statement statement,
            Map<String, Value> args,
            Cancellation cancellation,
            Permissions.@Nullable Grant grant) {
        if (SystemCollections.isSystem(statement.collection())) {
            if (grant != null && !grant.permissions().read().everything()) throw denied(statement, "read");
            return query(statement, new SystemCollections(tx, IndexCatalog.load(tx), info), args, cancellation);
        }
        return query(statement, permitted(source(tx), grant, cancellation), args, cancellation);
    }

    /** {@code source} as {@code grant} sees it. */
    DocumentSource permitted(DocumentSource source, Permissions.@Nullable Grant grant, Cancellation cancellation) {
        return grant == null || grant.permissions().read().everything()
                ? source
                : new PermittedSource(source, grant, timestamps.nowMillis(), cancellation);
    }

    private static StarlingException denied(Statement statement, String what) {
        return new StarlingException(
                ErrorCode.PERMISSION_DENIED,
                "this identity may not " + what + " " + statement.collection()
                        + (what.equals("read") ? " (a system collection needs permission to read everything)" : ""));
    }

    /** Throws PERMISSION_DENIED unless {@code grant} may write {@code doc} (the state before or after a write). */
    private void checkWrite(
            Permissions.@Nullable Grant grant,
            String collection,
            Value id,
            Value.@Nullable Obj doc,
            String which,
            EvalContext ctx) {
        if (grant == null || grant.permissions().write().everything() || doc == null) return;
        if (!grant.mayWrite(collection, doc, ctx.nowMillis(), ctx.cancellation())) {
            throw new StarlingException(
                    ErrorCode.PERMISSION_DENIED,
                    "this identity may not write document " + id + " of " + collection + " (its " + which
                            + " fails every write condition for " + collection
                            + "); nothing of the statement was written");
        }
    }

    /** The source a live query evaluates over, in a read transaction. */
    Source source(DocumentStorage.ReadTx tx) {
        return new Source(this, tx, cache, collection -> catalog.forSnapshot(tx, collection), false);
    }

    private DefaultQueryResult query(
            Statement statement, DocumentSource source, Map<String, Value> args, Cancellation cancellation) {
        EvalContext ctx = new EvalContext(args, timestamps.nowMillis(), cancellation);
        if (statement instanceof ExplainStatement explain) {
            return new DefaultQueryResult(List.of(QueryExecutor.explain(explain, source, ctx)), List.of());
        }
        if (!(statement instanceof SelectStatement select)) {
            throw new IllegalStateException(
                    "not a query: " + statement.getClass().getSimpleName());
        }
        return new DefaultQueryResult(QueryExecutor.select(select, source, ctx), List.of());
    }

    /** The source statements in a write transaction read: its own writes, its own index definitions, no cache. */
    private Source source(DocumentWriter writer) {
        return new Source(
                this, writer.tx(), null, collection -> writer.indexes().of(collection), false);
    }

    /** Runs any statement in a write transaction. */
    DefaultQueryResult write(
            DocumentWriter writer, Statement statement, Map<String, Value> args, Cancellation cancellation) {
        return write(writer, statement, args, cancellation, null);
    }

    /**
     * As above, as an identity holding {@code grant} (null: everything): it sees only what it may read, and every
     * document it writes must allow it to write, as it is before the write (an existing one) and after; else the
     * statement fails whole with PERMISSION_DENIED. Creating or dropping an index needs permission to write
     * everything.
     */
    DefaultQueryResult write(
            DocumentWriter writer,
            Statement statement,
            Map<String, Value> args,
            Cancellation cancellation,
            Permissions.@Nullable Grant grant) {
        boolean system = SystemCollections.isSystem(statement.collection());
        if (system && grant != null && !grant.permissions().read().everything()) throw denied(statement, "read");
        if (!statement.isMutation()) {
            return query(
                    statement,
                    system
                            ? new SystemCollections(writer.tx(), writer.indexes(), info)
                            : permitted(source(writer), grant, cancellation),
                    args,
                    cancellation);
        }
        if (grant != null
                && !grant.permissions().write().everything()
                && (statement instanceof CreateIndexStatement || statement instanceof DropIndexStatement)) {
            throw new StarlingException(
                    ErrorCode.PERMISSION_DENIED,
                    "this identity may not create or drop indexes (that needs permission to write everything)");
        }
        if (system) {
            int[] at = position(statement);
            throw new DqlException(
                    DqlException.Kind.INVALID,
                    at[0],
                    at[1],
                    statement.collection() + " is a read-only system collection");
        }
        if (statement instanceof CreateIndexStatement create) return createIndex(writer, create, cancellation);
        if (statement instanceof DropIndexStatement drop) return dropIndex(writer, drop);
        EvalContext ctx = new EvalContext(args, timestamps.nowMillis(), cancellation);
        int changesBefore = writer.changes().size();
        List<Value> mutated;
        try {
            if (statement instanceof InsertStatement insert) mutated = insert(writer, insert, ctx, grant);
            else if (statement instanceof UpdateStatement update) mutated = update(writer, update, ctx, grant);
            else if (statement instanceof DeleteStatement delete) mutated = delete(writer, delete, ctx, grant);
            else if (statement instanceof EvictStatement evict) mutated = evict(writer, evict, ctx, grant);
            else
                throw new IllegalStateException(
                        "unexpected statement " + statement.getClass().getSimpleName());
        } catch (DocumentException e) {
            throw new StarlingException(ErrorCode.DOCUMENT_INVALID, String.valueOf(e.getMessage()), e);
        }
        metrics.documentsWritten.add(mutated.size());
        return new DefaultQueryResult(List.of(), mutated, writer.highestSequenceSince(changesBefore));
    }

    /** Where a statement starts, for errors about the whole statement. */
    private static int[] position(Statement s) {
        if (s instanceof CreateIndexStatement c) return new int[] {c.line(), c.column()};
        if (s instanceof DropIndexStatement d) return new int[] {d.line(), d.column()};
        return new int[] {1, 1};
    }

    /** CREATE INDEX: IF NOT EXISTS leaves an index of that name as it is, whatever its fields (as Ditto does). */
    private static DefaultQueryResult createIndex(
            DocumentWriter writer, CreateIndexStatement create, Cancellation cancellation) {
        if (writer.indexes().find(create.collection(), create.name()) != null) {
            if (create.ifNotExists()) return new DefaultQueryResult(List.of(), List.of());
            throw new DqlException(
                    DqlException.Kind.INVALID,
                    create.line(),
                    create.column(),
                    "index " + create.name() + " already exists on " + create.collection()
                            + " (use CREATE INDEX IF NOT EXISTS)");
        }
        writer.createIndex(create.index(), cancellation);
        return new DefaultQueryResult(List.of(), List.of());
    }

    private static DefaultQueryResult dropIndex(DocumentWriter writer, DropIndexStatement drop) {
        IndexDefinition existing = writer.indexes().find(drop.collection(), drop.name());
        if (existing == null) {
            if (drop.ifExists()) return new DefaultQueryResult(List.of(), List.of());
            throw new DqlException(
                    DqlException.Kind.INVALID,
                    drop.line(),
                    drop.column(),
                    "there is no index " + drop.name() + " on " + drop.collection() + " (use DROP INDEX IF EXISTS)");
        }
        writer.dropIndex(existing);
        return new DefaultQueryResult(List.of(), List.of());
    }

    /*
     * INSERT runs in two passes: new documents go to storage as one batch (the common case, and a cheap
     * one), then the ids that were taken are resolved one by one, in statement order, by the ON ID CONFLICT
     * rule. A conflict that fails the statement rolls back the batch with it: the statement is atomic.
     */
    // insertChangedFields returns the very same state when no field changes: == is the "nothing changed" test
    @SuppressWarnings("ReferenceEquality")
    private List<Value> insert(
            DocumentWriter writer, InsertStatement insert, EvalContext ctx, Permissions.@Nullable Grant grant) {
        String collection = insert.collection();
        NewDocument[] encoded = grant == null ? encodedDocuments(insert, ctx) : null;
        List<Value> docs = encoded != null ? List.of() : QueryExecutor.insertDocuments(insert, ctx);
        int n = encoded != null ? encoded.length : docs.size();
        Value[] ids = new Value[n];
        @Nullable Value.Obj[] objs = new Value.Obj[n];
        Stamp[] stamps = new Stamp[n];
        List<byte[]> idBytes = new ArrayList<>(n);
        List<byte[]> states = new ArrayList<>(n);
        for (int i = 0; encoded != null && i < n; i++) {
            // the loop below for a document encoded when its argument was bound: the same checks in the same order
            // (the walk checked what checkStorable checks), no value tree for its fields
            ctx.cancellation().check();
            Value id = encoded[i].id();
            if (id.isMissing()) id = Value.of(UUID.randomUUID().toString());
            byte[] key = DocumentIds.encodeValid(id);
            ids[i] = DocumentIds.canonical(id, key);
            stamps[i] = insert.initial() ? new Stamp(0, timestamps.site()) : timestamps.next();
            idBytes.add(key);
            states.add(encoded[i].encode(stamps[i]));
        }
        for (int i = 0; encoded == null && i < n; i++) {
            ctx.cancellation().check();
            if (!(docs.get(i) instanceof Value.Obj obj)) {
                throw new StarlingException(
                        ErrorCode.DOCUMENT_INVALID,
                        "INSERT needs objects, got " + docs.get(i).typeName());
            }
            Value id = obj.get("_id");
            if (id.isMissing()) id = Value.of(UUID.randomUUID().toString());
            byte[] key = DocumentIds.encodeValid(id);
            checkStorable(obj, null);
            ids[i] = DocumentIds.canonical(id, key);
            objs[i] = obj; // DocumentState ignores _id: the id is the row's key
            if (grant != null) checkWrite(grant, collection, ids[i], withId(obj, ids[i]), "new value", ctx);
            stamps[i] = insert.initial() ? new Stamp(0, timestamps.site()) : timestamps.next();
            idBytes.add(key);
            states.add(DocumentState.encodeInserted(obj, stamps[i]));
        }
        long[] seqs = writer.insertNew(collection, ids, idBytes, states);
        boolean allNew = true;
        for (long seq : seqs) allNew &= seq >= 0;
        // every row new: the ids are distinct (the second of two equal ids would have found the first)
        if (allNew) {
            ctx.cancellation().check(); // the poll the loop below would have made: a stop after the batch is seen
            return List.of(ids);
        }
        // an id given twice (ON ID CONFLICT DO UPDATE) is one mutated document
        java.util.LinkedHashSet<Value> mutated = new java.util.LinkedHashSet<>(n * 2);
        for (int i = 0; i < n; i++) {
            ctx.cancellation().check();
            if (seqs[i] >= 0) {
                mutated.add(ids[i]);
                continue;
            }
            if (insert.initial()) continue; // INITIAL DOCUMENTS never touch an id present locally
            DocumentState before = load(writer.tx(), collection, idBytes.get(i));
            checkWrite(grant, collection, ids[i], before.document(ids[i]), "stored value", ctx);
            Value.Obj obj = objs[i];
            if (obj == null) objs[i] = obj = Objects.requireNonNull(encoded)[i].value();
            DocumentState after;
            if (!before.exists()) {
                after = before.insert(obj, stamps[i]);
            } else {
                switch (insert.onIdConflict()) {
                    case FAIL:
                        throw new StarlingException(
                                ErrorCode.DOCUMENT_ID_CONFLICT,
                                "a document with _id " + ids[i] + " already exists in " + collection
                                        + " (use ON ID CONFLICT DO UPDATE or DO NOTHING)");
                    case DO_NOTHING:
                        continue;
                    case DO_UPDATE:
                        after = before.insert(obj, stamps[i]);
                        break;
                    case DO_UPDATE_LOCAL_DIFF:
                        after = before.insertChangedFields(obj, stamps[i]);
                        if (after == before) continue;
                        break;
                    default:
                        throw new IllegalStateException(insert.onIdConflict().toString());
                }
            }
            checkWrite(grant, collection, ids[i], after.document(ids[i]), "new value", ctx);
            writer.commit(collection, ids[i], idBytes.get(i), before, after, true);
            mutated.add(ids[i]);
        }
        return new ArrayList<>(mutated);
    }

    /**
     * The documents of an INSERT whose every document is a bare argument bound as an encoded {@link NewDocument}
     * (see {@code DefaultStore.bind}), in order; null when any is not, and the statement evaluates its documents.
     */
    private static NewDocument @Nullable [] encodedDocuments(InsertStatement insert, EvalContext ctx) {
        List<String> names = insert.documentArguments();
        if (names == null || !(ctx.arguments() instanceof Arguments args)) return null;
        QueryExecutor.checkArguments(insert, args); // as insertDocuments does first
        NewDocument[] out = new NewDocument[names.size()];
        for (int i = 0; i < out.length; i++) {
            NewDocument d = args.document(names.get(i));
            if (d == null) return null;
            out[i] = d;
        }
        return out;
    }

    private List<Value> update(
            DocumentWriter writer, UpdateStatement update, EvalContext ctx, Permissions.@Nullable Grant grant) {
        return forEachMatch(writer, update, ctx, grant, (doc, id, idBytes, before) -> {
            checkWrite(grant, update.collection(), id, before.document(id), "stored value", ctx);
            List<FieldOp> ops = QueryExecutor.updateOps(update, doc, ctx);
            for (FieldOp op : ops) {
                if (op instanceof FieldOp.Set set) checkStorable(set.value(), op.path());
                else checkPath(op.path());
            }
            Stamp stamp = timestamps.next();
            DocumentState after = before.update(ops, stamp, series.policy(update.collection(), idBytes));
            checkWrite(grant, update.collection(), id, after.document(id), "new value", ctx);
            writer.commit(update.collection(), id, idBytes, before, after, true);
            series.wrote(update.collection(), idBytes, after, stamp);
            return true;
        });
    }

    private List<Value> delete(
            DocumentWriter writer, DeleteStatement delete, EvalContext ctx, Permissions.@Nullable Grant grant) {
        return forEachMatch(writer, delete, ctx, grant, (doc, id, idBytes, before) -> {
            checkWrite(grant, delete.collection(), id, before.document(id), "stored value", ctx);
            writer.commit(delete.collection(), id, idBytes, before, before.delete(timestamps.next()), true);
            return true;
        });
    }

    /** EVICT also finds damaged rows (as {@code {_id}} alone): it is how a user gets rid of one. */
    private List<Value> evict(
            DocumentWriter writer, EvictStatement evict, EvalContext ctx, Permissions.@Nullable Grant grant) {
        String collection = evict.collection();
        DocumentSource source = permitted(
                new Source(this, writer.tx(), null, c -> writer.indexes().of(c), true), grant, ctx.cancellation());
        List<Value> evicted = new ArrayList<>();
        for (Value.Obj doc : QueryExecutor.matching(evict, source, ctx)) {
            ctx.cancellation().check();
            Value id = doc.get("_id");
            checkWrite(grant, collection, id, doc, "stored value", ctx);
            byte[] idBytes = DocumentIds.encode(id);
            DocumentStorage.Row row = writer.tx().get(collection, idBytes);
            if (row == null) continue;
            DocumentState before = decodeOrReport(row);
            boolean removed = before != null
                    ? writer.evict(collection, id, idBytes, before)
                    : writer.evictDamaged(collection, id, idBytes);
            if (removed) evicted.add(id);
        }
        return evicted;
    }

    /** What UPDATE, DELETE and EVICT do to each matching document; returns whether it was mutated. */
    @FunctionalInterface
    private interface MatchAction {
        boolean apply(Value.Obj doc, Value id, byte[] idBytes, DocumentState before);
    }

    /** Finds the documents the WHERE matches (all of them first: no writing while scanning), then acts on each. */
    private List<Value> forEachMatch(
            DocumentWriter writer,
            Statement statement,
            EvalContext ctx,
            Permissions.@Nullable Grant grant,
            MatchAction action) {
        List<Value> mutated = new ArrayList<>();
        for (Value.Obj doc :
                QueryExecutor.matching(statement, permitted(source(writer), grant, ctx.cancellation()), ctx)) {
            ctx.cancellation().check();
            Value id = doc.get("_id");
            byte[] idBytes = DocumentIds.encode(id);
            DocumentState before = load(writer.tx(), statement.collection(), idBytes);
            if (action.apply(doc, id, idBytes, before)) mutated.add(id);
        }
        return mutated;
    }

    /** {@code obj} with {@code _id} set to {@code id}, as a stored document reads (conditions may use {@code _id}). */
    private static Value.Obj withId(Value.Obj obj, Value id) {
        java.util.LinkedHashMap<String, Value> doc = new java.util.LinkedHashMap<>(obj.size() * 2 + 2);
        doc.put("_id", id);
        for (Map.Entry<String, Value> e : obj.fields().entrySet()) {
            if (!e.getKey().equals("_id")) doc.put(e.getKey(), e.getValue());
        }
        return Value.Obj.ofOwned(doc);
    }

    static DocumentState load(DocumentStorage.ReadTx tx, String collection, byte[] idBytes) {
        DocumentStorage.Row row = tx.get(collection, idBytes);
        return row == null ? DocumentState.empty() : decode(row);
    }

    /**
     * The row's state, or null when it does not decode: the row is damaged (or was written by a version that did not
     * enforce today's limits). Counted and logged, a minute apart at most; readers skip such rows, so that one
     * damaged document cannot make its whole collection unreadable.
     */
    @Nullable
    DocumentState decodeOrReport(DocumentStorage.Row row) {
        try {
            return DocumentState.decode(row.state());
        } catch (CodecException e) {
            metrics.damagedDocuments.increment();
            damaged.refused(
                    "damaged documents in " + row.collection(),
                    "document " + safeId(row.id()) + " does not decode and is skipped: " + e.getMessage()
                            + " (EVICT FROM " + row.collection()
                            + " WHERE _id = … removes it; sync then brings a peer's copy)");
            return null;
        }
    }

    /** How many damaged rows readers have met (and skipped) since the store opened. */
    long damagedCount() {
        return metrics.damagedDocuments.sum();
    }

    static DocumentState decode(DocumentStorage.Row row) {
        try {
            return DocumentState.decode(row.state());
        } catch (CodecException e) {
            throw new StarlingException(
                    ErrorCode.STORE_CORRUPT,
                    "document " + safeId(row.id()) + " in " + row.collection() + " is damaged: " + e.getMessage(),
                    e);
        }
    }

    private static String safeId(byte[] idBytes) {
        try {
            return DocumentIds.decode(idBytes).toString();
        } catch (CodecException e) {
            return "<undecodable id>";
        }
    }

    /**
     * What cannot be stored is refused at the door, with the field it is in (docs/DATA-MODEL.md, "Limits"): a
     * value nested deeper than a document may be, counting the levels of the path it is written at; NaN and
     * infinities (no JSON form, no place in the order); strings or field names that are not valid Unicode (a lone
     * surrogate has no UTF-8 form) or too long. The codec refuses the same on encoding, so nothing that slips
     * past is ever written either.
     */
    private static void checkStorable(Value v, @Nullable Path path) {
        int levels = path == null ? 0 : path.length(); // a document at the root; a SET value inside its path
        if (path != null) checkPath(path);
        String problem = Limits.valueProblem(v, Limits.MAX_DEPTH - levels);
        if (problem != null) {
            throw new StarlingException(
                    ErrorCode.DOCUMENT_INVALID, (path == null ? "the document " : "field " + path + " ") + problem);
        }
    }

    /** A path written to: no longer than a document is deep, each name a valid field name. */
    private static void checkPath(Path path) {
        if (path.length() > Limits.MAX_PATH_SEGMENTS) {
            throw new StarlingException(
                    ErrorCode.DOCUMENT_INVALID,
                    "a path has " + path.length() + " segments; documents nest at most " + Limits.MAX_DEPTH
                            + " levels deep");
        }
        for (Path.Segment segment : path.segments()) {
            if (segment instanceof Path.Key key) {
                String problem = Limits.fieldNameProblem(key.name());
                if (problem != null) throw new StarlingException(ErrorCode.DOCUMENT_INVALID, problem);
            }
        }
    }

    /** Live documents of a transaction, and its indexes, as the query executor reads them. */
    static final class Source implements DocumentSource {
        private final StatementRunner runner;
        private final DocumentStorage.ReadTx tx;
        /** Null inside write transactions (see DocumentCache). */
        private final @Nullable DocumentCache cache;

        private final Function<String, List<IndexDefinition>> indexes;
        /** Show a damaged row as its {@code _id} alone (for EVICT), rather than skipping it. */
        private final boolean damagedAsIds;

        Source(
                StatementRunner runner,
                DocumentStorage.ReadTx tx,
                @Nullable DocumentCache cache,
                Function<String, List<IndexDefinition>> indexes,
                boolean damagedAsIds) {
            this.runner = runner;
            this.tx = tx;
            this.cache = cache;
            this.indexes = indexes;
            this.damagedAsIds = damagedAsIds;
        }

        @Override
        public void scan(String collection, Predicate<Value.Obj> visitor) {
            tx.scan(collection, true, row -> {
                Value.Obj doc = document(row);
                return doc == null || visitor.test(doc);
            });
        }

        /**
         * Reads only the fields the statement needs, straight from the state bytes (no CRDT tree). The cache is
         * neither asked (a lookup costs about as much as this read) nor filled: the documents are partial.
         */
        @Override
        public void scan(String collection, @Nullable Set<String> fields, Predicate<Value.Obj> visitor) {
            if (fields == null) {
                scan(collection, visitor);
                return;
            }
            DocumentState.FieldSet prepared = DocumentState.FieldSet.of(fields);
            tx.scan(collection, true, row -> {
                Value.Obj doc = partial(row, prepared);
                return doc == null || visitor.test(doc);
            });
        }

        /**
         * Tests the filter on the fields it reads, straight from the state bytes, and reads the rest of the row and
         * the whole document (through the cache) only for the rows that pass. Each state's filter fields go into an
         * array ({@link DocumentState#readFields}), and the filter sees them as a small object over that array, with
         * {@code _id} (last) only when it reads the id: for a row that fails, the store reads the state column alone and
         * nothing is decoded beyond those fields. EVICT's source, which shows a damaged row as its {@code _id} alone,
         * tests whole documents: a damaged row may still yield the filter's fields, and the filter must see what the
         * statement sees.
         */
        @Override
        public void scanFiltered(
                String collection,
                Set<String> filterFields,
                Predicate<Value.Obj> filter,
                Predicate<Value.Obj> visitor) {
            scanFiltered(collection, filterFields, filter, null, visitor);
        }

        /**
         * As {@link #scanFiltered(String, Set, Predicate, Predicate)}; the matches are read with only the fields
         * wanted, straight from the state bytes as {@link #scan(String, Set, Predicate)} does, when those are given.
         */
        @Override
        public void scanFiltered(
                String collection,
                Set<String> filterFields,
                Predicate<Value.Obj> filter,
                @Nullable Set<String> fields,
                Predicate<Value.Obj> visitor) {
            scanFiltered(collection, filterFields, DocumentSource.HeldStrings.NONE, filter, fields, visitor);
        }

        /**
         * As {@link #scanFiltered(String, Set, Predicate, Set, Predicate)}; the store hands over only the states that
         * contain the UTF-8 bytes of each of {@code heldStrings} (of two bytes or more; a store may test only some). A
         * state stores each string value as its UTF-8 bytes, whole (the reader accepts only well-formed UTF-8, which has
         * one spelling per string), so a state whose document holds that string contains them. A damaged state left out is not reported, as an index scan does
         * not report the rows it does not reach. The store calls the strings' poll while it reads rows it leaves out.
         */
        @Override
        public void scanFiltered(
                String collection,
                Set<String> filterFields,
                DocumentSource.HeldStrings heldStrings,
                Predicate<Value.Obj> filter,
                @Nullable Set<String> fields,
                Predicate<Value.Obj> visitor) {
            if (damagedAsIds) {
                DocumentSource.super.scanFiltered(collection, filterFields, filter, visitor);
                return;
            }
            List<byte[]> contained = heldRuns(heldStrings.strings());
            DocumentState.FieldSet wanted = fields == null ? null : DocumentState.FieldSet.of(fields);
            DocumentState.FieldSet prepared = DocumentState.FieldSet.of(filterFields);
            boolean readsId = filterFields.contains("_id");
            int n = prepared.size();
            String[] names = new String[readsId ? n + 1 : n]; // shared by every row's object: _id last
            for (int i = 0; i < n; i++) names[i] = prepared.name(i);
            if (readsId) names[n] = "_id";
            tx.scanStates(collection, contained, heldStrings.poll(), (state, current) -> {
                Value.Obj part;
                try {
                    Value[] values = new Value[names.length]; // handed to the row's object
                    if (!DocumentState.readFields(state, prepared, values)) return true;
                    if (readsId) values[n] = DocumentIds.decode(current.row().id());
                    part = Value.Obj.ofFields(names, values, names.length);
                } catch (CodecException e) {
                    part = document(current.row()); // reports the damaged row as every read does
                    if (part == null) return true;
                }
                if (!filter.test(part)) return true;
                DocumentStorage.Row row = current.row();
                Value.Obj doc = wanted == null ? document(row) : partial(row, wanted);
                return doc == null || visitor.test(doc);
            });
        }

        /** A range of the primary key: ids are stored by {@link DocumentIds#encode}, whose byte order is ValueOrder. */
        @Override
        public void scanIds(
                String collection,
                IndexRange.@Nullable Bound lower,
                IndexRange.@Nullable Bound upper,
                boolean reverse,
                @Nullable Set<String> fields,
                Predicate<Value.Obj> visitor) {
            byte[][] bounds = IndexKeyCodec.idRange(lower, upper);
            DocumentState.FieldSet prepared = fields == null ? null : DocumentState.FieldSet.of(fields);
            tx.scanRange(collection, bounds[0], bounds[1], reverse, true, row -> {
                Value.Obj doc = prepared == null ? document(row) : partial(row, prepared);
                return doc == null || visitor.test(doc);
            });
        }

        private Value.@Nullable Obj partial(DocumentStorage.Row row, DocumentState.FieldSet fields) {
            try {
                return DocumentState.readDocument(row.state(), DocumentIds.decode(row.id()), fields);
            } catch (CodecException e) {
                return document(row); // reports the damaged row as every read does
            }
        }

        @Override
        public Value.@Nullable Obj get(String collection, Value id) {
            if (!DocumentIds.isValid(id)) return null;
            DocumentStorage.Row row = tx.get(collection, DocumentIds.encode(id));
            return row == null || !row.live() ? null : document(row);
        }

        @Override
        public List<IndexDefinition> indexes(String collection) {
            return indexes.apply(collection);
        }

        /** Entries lead to rows one by one, so a LIMIT that stops the visitor stops the scan. */
        @Override
        public void scanIndex(IndexDefinition index, IndexRange range, boolean reverse, Predicate<Value.Obj> visitor) {
            byte[][] bounds = IndexKeyCodec.range(index, range);
            tx.scanIndex(IndexCatalog.storageName(index), bounds[0], bounds[1], reverse, (key, id) -> {
                DocumentStorage.Row row = tx.get(index.collection(), id);
                if (row == null || !row.live()) return true; // entries follow rows in the same transaction
                Value.Obj doc = document(row);
                return doc == null || visitor.test(doc);
            });
        }

        @Override
        public long count(String collection) {
            return tx.countLive(collection);
        }

        private Value.@Nullable Obj document(DocumentStorage.Row row) {
            if (cache != null) {
                Value.Obj cached = cache.get(row.collection(), row.id(), row.sequence());
                if (cached != null) return cached;
            }
            DocumentState state = runner.decodeOrReport(row);
            if (state == null) {
                if (!damagedAsIds) return null;
                try {
                    return new Value.Obj(Map.of("_id", DocumentIds.decode(row.id())));
                } catch (CodecException idToo) {
                    return null; // no statement can name it
                }
            }
            Value.Obj doc = state.document(DocumentIds.decode(row.id()));
            if (cache != null && doc != null) cache.put(row.collection(), row.id(), row.sequence(), doc);
            return doc;
        }
    }
}
