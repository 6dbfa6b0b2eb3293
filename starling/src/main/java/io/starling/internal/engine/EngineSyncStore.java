package io.starling.internal.engine;

import io.starling.ErrorCode;
import io.starling.StarlingException;
import io.starling.internal.core.BinaryReader;
import io.starling.internal.core.BinaryWriter;
import io.starling.internal.core.CodecException;
import io.starling.internal.core.Limits;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.query.EvalContext;
import io.starling.internal.query.Permissions;
import io.starling.internal.query.QueryExecutor;
import io.starling.internal.query.SelectStatement;
import io.starling.internal.storage.DocumentStorage;
import io.starling.internal.sync.Principal;
import io.starling.internal.sync.RemoteIdentity;
import io.starling.internal.sync.ResumeMemory;
import io.starling.internal.sync.Subscription;
import io.starling.internal.sync.SubscriptionKey;
import io.starling.internal.sync.SyncStoreView;
import io.starling.internal.sync.SyncStoreView.Refusal;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The store as the sync protocol sees it: change feed, backfill scans, subscription matching and the
 * atomic "merge a batch and store the checkpoint" step, over the engine's one write path. Thread-safe (every
 * call runs its own storage transaction).
 */
public final class EngineSyncStore implements SyncStoreView {
    static final String META_INCARNATION = "incarnation";
    static final String META_HORIZON = "sync.horizon";
    static final String META_CHECKPOINT_PREFIX = "sync.checkpoint.";
    /** Bumped to forget every checkpoint at once ({@link #forgetCheckpoints}); absent: 0. */
    static final String META_CHECKPOINT_EPOCH = "sync.checkpoint-epoch";

    /** The checkpoint epoch, read once (-1: not yet); only {@link #forgetCheckpoints} changes it. */
    private volatile long checkpointEpoch = -1;

    private final DefaultStore store;
    private final long peerId;
    private final long incarnation;
    private final String appId;
    private final java.util.function.LongSupplier clock;
    private final Map<String, SelectStatement> parsed = new ConcurrentHashMap<>();
    private final SharedLogReads logReads = new SharedLogReads();
    private final ResumeMemory resumeMemory = new ResumeMemory();

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(EngineSyncStore.class);

    /**
     * The longest a remote subscription's WHERE may take on one document (or the statement time limit, if shorter).
     * Matching runs on the sync thread that serves every peer, and a per-document test normally takes microseconds:
     * a subscription that needs longer (a backtracking regular expression, say) would stall all of sync.
     */
    static final java.time.Duration MATCH_LIMIT = java.time.Duration.ofMillis(250);

    /** Subscriptions that ran past {@link #MATCH_LIMIT}: they match nothing from then on (logged once). */
    private final Set<String> tooSlow = ConcurrentHashMap.newKeySet();

    /** The subscriptions stopped for running past {@link #MATCH_LIMIT} (tests). */
    Set<String> tooSlow() {
        return Set.copyOf(tooSlow);
    }

    EngineSyncStore(
            DefaultStore store, long peerId, long incarnation, String appId, java.util.function.LongSupplier clock) {
        this.store = store;
        this.peerId = peerId;
        this.incarnation = incarnation;
        this.appId = appId;
        this.clock = clock;
    }

    @Override
    public long peerId() {
        return peerId;
    }

    @Override
    public long incarnation() {
        return incarnation;
    }

    @Override
    public String appId() {
        return appId;
    }

    @Override
    public long lastSequence() {
        return store.read(DocumentStorage.ReadTx::lastSequence);
    }

    /**
     * The rows above {@code after}: one read shared by every session that asks for the same cursor until the next
     * commit ({@link SharedLogReads}).
     */
    @Override
    public List<Row> changesSince(long after, int maxRows) {
        return logReads.changesSince(after, maxRows, this::readChangesSince);
    }

    /** The log changed: shared change-log answers read before now are not handed out again. */
    void logChanged() {
        logReads.invalidate();
    }

    /** The change-log reads shared between sessions (tests). */
    SharedLogReads logReads() {
        return logReads;
    }

    private List<Row> readChangesSince(long after, int maxRows) {
        return store.read(tx -> {
            List<Row> rows = new ArrayList<>();
            tx.changesSince(
                    after,
                    maxRows,
                    r -> rows.add(new Row(r.sequence(), r.group(), r.collection(), r.id(), r.live(), r.state())));
            return rows;
        });
    }

    @Override
    public List<Row> scanMatching(Subscription subscription, byte @Nullable [] afterId, int maxRows) {
        SelectStatement select = statement(subscription);
        if (select == null) return List.of();
        return store.read(tx -> {
            List<Row> rows = new ArrayList<>();
            boolean everything = select.where() == null;
            tx.scanAfter(subscription.collection(), afterId, true, r -> {
                if (everything || matchesDocument(subscription, select, r.id(), r.state())) {
                    rows.add(new Row(r.sequence(), r.group(), r.collection(), r.id(), true, r.state()));
                }
                return rows.size() < maxRows;
            });
            return rows;
        });
    }

    @Override
    public List<Row> scanCollection(String collection, byte @Nullable [] afterId, int maxRows) {
        return store.read(tx -> {
            List<Row> rows = new ArrayList<>();
            tx.scanAfter(collection, afterId, false, r -> {
                rows.add(new Row(r.sequence(), r.group(), r.collection(), r.id(), r.live(), r.state()));
                return rows.size() < maxRows;
            });
            return rows;
        });
    }

    /**
     * A remote peer's subscription that does not parse or evaluate here matches nothing (it never throws: {@link
     * #statement} and {@link #matchesDocument} catch every failure).
     */
    @Override
    public boolean matches(Subscription subscription, Row row) {
        if (!row.live() || !row.collection().equals(subscription.collection())) return false;
        SelectStatement select = statement(subscription);
        if (select == null) return false;
        if (select.where() == null) return true; // the whole collection: no need to decode the document
        return matchesDocument(subscription, select, row.id(), row.state());
    }

    /** The digest of a hint, computed once for every session that sends a hint of the same row. */
    @Override
    public long digestOf(Row row) {
        Long digest = logReads.memo(row.state(), () -> SyncStoreView.super.digestOf(row), Long.class);
        return java.util.Objects.requireNonNull(digest, "a digest");
    }

    /**
     * The field delta of a changed document, computed once for every resumed session that sends the same row (it
     * depends on the row's state alone): decoding the state, picking its newest writes and encoding them is the cost a
     * server with many resumed devices would otherwise pay once per device.
     */
    @Override
    public byte @Nullable [] deltaOf(Row row) {
        return logReads.memo(row.state(), () -> SyncStoreView.super.deltaOf(row), byte[].class);
    }

    /** What this instance remembers of the peers it met, for resumed sessions: in memory, for the instance's life. */
    @Override
    public ResumeMemory resumeMemory() {
        return resumeMemory;
    }

    @Override
    public @Nullable Row rowOf(String collection, byte[] id) {
        return store.read(tx -> Optional.ofNullable(tx.get(collection, id))
                        .map(r -> new Row(r.sequence(), r.group(), r.collection(), r.id(), r.live(), r.state())))
                .orElse(null);
    }

    @Override
    public List<String> collections() {
        return store.read(tx -> List.copyOf(tx.collections()));
    }

    @Override
    public boolean holdsAny(String collection) {
        return logReads.holdsAny(collection, () -> store.read(DocumentStorage.ReadTx::collections));
    }

    /**
     * The remote principal of a peer whose certificate carries an online identity: its user id, metadata and
     * permission set, evaluated by this store (docs/PERMISSIONS.md, "Enforcement in sync").
     */
    public Principal principal(String userId, Value.Obj metadata, Permissions permissions) {
        if (permissions.read().everything() && permissions.write().everything()) return Principal.UNRESTRICTED;
        return Principal.of(userId, metadata, new GrantAccess(permissions.grant(userId, metadata), clock));
    }

    /**
     * Who the remote of a connection is, for its session: the one place where what the transport verified becomes
     * the session's input. A shared-key (or playground) connection proves a peer id, or nothing, and may read and
     * write everything; an online connection proves a user, whose certificate's permissions the session enforces.
     */
    public RemoteIdentity identityOf(io.starling.internal.net.ConnectionInfo info) {
        io.starling.internal.net.RemoteIdentity certified = info.remoteIdentity();
        if (certified == null) return new RemoteIdentity(info.authenticatedPeerId(), Principal.UNRESTRICTED);
        Principal principal = principal(certified.userId(), certified.metadata(), certified.permissions());
        // user and device key: what a revocation list matches, whatever the permissions
        return new RemoteIdentity(
                info.authenticatedPeerId(), principal, certified.userId(), certified.deviceKeyFingerprint());
    }

    @Override
    public ApplyResult apply(long fromPeer, List<Doc> docs, @Nullable Checkpoint checkpoint) {
        return apply(fromPeer, docs, checkpoint, Principal.UNRESTRICTED);
    }

    @Override
    public ApplyResult apply(long fromPeer, List<Doc> docs, @Nullable Checkpoint checkpoint, Principal remote) {
        // Each document is checked alone: one that can never be accepted here is refused and reported, the rest
        // of the batch is applied and the checkpoint moves past it (refusing it again later would change nothing).
        List<DefaultStore.RemoteDocument> incoming = new ArrayList<>(docs.size());
        List<Refusal> refused = new ArrayList<>();
        for (Doc d : docs) {
            String problem = Limits.nameProblem("collection name", d.collection());
            DefaultStore.RemoteDocument doc = null;
            if (problem == null) {
                try {
                    Value id = DocumentIds.decode(d.id());
                    problem = DocumentIds.problem(id);
                    if (problem == null) {
                        doc = new DefaultStore.RemoteDocument(d.collection(), id, DocumentState.decode(d.state()));
                    }
                } catch (CodecException e) {
                    problem = "it does not decode: " + e.getMessage();
                }
            }
            if (doc != null) incoming.add(doc);
            else refused.add(new Refusal(d.ref(), java.util.Objects.requireNonNull(problem, "why it is refused")));
        }
        long horizon = tombstoneHorizon();
        try {
            DefaultStore.RemoteOutcome outcome = store.applyRemote(incoming, horizon, remote, (writer, found) -> {
                // not past a document we hold newer (the session owes it back first), nor past a zombie (the
                // holder may never hear of the refusal; a later session must refuse it again): SyncStoreView.apply
                if (checkpoint != null
                        && found.behind().isEmpty()
                        && found.zombies().isEmpty()) writer.tx().putMeta(checkpointKey(fromPeer), encode(checkpoint));
            });
            outcome.damaged()
                    .forEach((doc, why) ->
                            refused.add(new Refusal(new DocRef(doc.collection(), DocumentIds.encode(doc.id())), why)));
            return new ApplyResult(refs(outcome.zombies()), refs(outcome.behind()), refused, refs(outcome.denied()));
        } catch (StarlingException e) {
            if (e.errorCode() == ErrorCode.CLOCK_DRIFT)
                throw new RemoteRejectedException("clock-drift", String.valueOf(e.getMessage()));
            if (e.errorCode() == ErrorCode.STORE_FULL) throw new StoreFullException(String.valueOf(e.getMessage()));
            throw e;
        }
    }

    private static List<DocRef> refs(List<DefaultStore.RemoteDocument> docs) {
        List<DocRef> refs = new ArrayList<>(docs.size());
        for (DefaultStore.RemoteDocument d : docs) refs.add(new DocRef(d.collection(), DocumentIds.encode(d.id())));
        return refs;
    }

    @Override
    public @Nullable Checkpoint checkpoint(long senderPeerId) {
        byte[] bytes = meta(checkpointKey(senderPeerId));
        return bytes == null ? null : decode(bytes);
    }

    /**
     * Forgets every checkpoint this store holds, so that every sender examines all its rows for us again in the next
     * session. Called when this peer's own user id, metadata or permission set changed (a renewed certificate): rows a
     * sender withheld under the old permissions are below the checkpoints, and a widened permission would never see
     * them otherwise (docs/PERMISSIONS.md, "When a permission changes"). Summaries keep what we already hold cheap.
     * Sessions running now keep their own state; the next ones start afresh.
     */
    public void forgetCheckpoints() {
        long next = epoch() + 1;
        // the sync write path with no document: a transaction that only writes meta, like a checkpoint alone
        store.applyRemote(
                List.of(),
                0,
                (writer, found) -> writer.tx()
                        .putMeta(
                                META_CHECKPOINT_EPOCH,
                                ByteBuffer.allocate(8).putLong(next).array()));
        checkpointEpoch = next;
    }

    private long epoch() {
        long e = checkpointEpoch;
        if (e < 0) {
            byte[] b = meta(META_CHECKPOINT_EPOCH);
            e = b == null ? 0 : ByteBuffer.wrap(b).getLong();
            checkpointEpoch = e;
        }
        return e;
    }

    /** Where the checkpoint for a sender is stored, in the current epoch (epoch 0 keeps the original key). */
    private String checkpointKey(long senderPeerId) {
        long e = epoch();
        return META_CHECKPOINT_PREFIX + hex(senderPeerId) + (e == 0 ? "" : "@" + e);
    }

    @Override
    public void evict(List<DocRef> docs) {
        List<DefaultStore.RemoteDocument> ids = new ArrayList<>(docs.size());
        for (DocRef d : docs) {
            try {
                ids.add(new DefaultStore.RemoteDocument(
                        d.collection(), DocumentIds.decode(d.id()), DocumentState.empty()));
            } catch (CodecException e) {
                // an id that does not decode names nothing we hold
            }
        }
        try {
            store.evictLocal(ids);
        } catch (RuntimeException e) {
            if (Errors.translate(e) instanceof StarlingException s && s.errorCode() == ErrorCode.STORE_FULL) {
                throw new StoreFullException(String.valueOf(s.getMessage()));
            }
            throw e;
        }
    }

    @Override
    public long tombstoneHorizon() {
        byte[] b = meta(META_HORIZON);
        return b == null ? 0 : ByteBuffer.wrap(b).getLong();
    }

    private byte @Nullable [] meta(String key) {
        return store.read(tx -> Optional.ofNullable(tx.meta(key))).orElse(null);
    }

    /** The subscription's parsed query; null when it is not a plain filter on its collection. */
    private SelectStatement statement(Subscription s) {
        return parsed.computeIfAbsent(s.query(), q -> {
            try {
                io.starling.internal.query.Statement st = store.parseStatement(q);
                return st instanceof SelectStatement sel
                                && sel.isPlainFilter()
                                && sel.collection().equals(s.collection())
                        ? sel
                        : null;
            } catch (RuntimeException e) {
                return null;
            }
        });
    }

    /**
     * Whether a stored document matches a remote subscription, never throwing: a document the WHERE cannot be
     * evaluated on matches nothing, and a subscription whose test runs past {@link #MATCH_LIMIT} matches nothing from
     * then on.
     */
    private boolean matchesDocument(Subscription s, SelectStatement select, byte[] id, byte[] state) {
        if (tooSlow.contains(s.query())) return false;
        RunningStatements.Deadline deadline = store.running().start(MATCH_LIMIT);
        try {
            Value.Obj doc = logReads.memo(state, () -> document(id, state), Value.Obj.class);
            return doc != null
                    && QueryExecutor.matches(
                            select, doc, new EvalContext(s.args().fields(), clock.getAsLong(), deadline));
        } catch (io.starling.internal.query.DqlException e) {
            if (e.kind() == io.starling.internal.query.DqlException.Kind.TIMEOUT && tooSlow.add(s.query())) {
                log.warn(
                        "a peer's subscription '{}' took longer than {} to test one document; it matches nothing"
                                + " here from now on",
                        s.query(),
                        RunningStatements.text(MATCH_LIMIT));
            }
            return false;
        } catch (RuntimeException unusable) {
            return false;
        } finally {
            store.running().finish(deadline);
        }
    }

    private static Value.@Nullable Obj document(byte[] id, byte[] state) {
        try {
            return DocumentState.decode(state).document(DocumentIds.decode(id));
        } catch (CodecException e) {
            return null;
        }
    }

    static String hex(long peer) {
        // not String.format: this runs for every session's checkpoint, and a format string is parsed on each call
        String digits = Long.toHexString(peer);
        return "0".repeat(16 - digits.length()) + digits;
    }

    static byte[] encode(Checkpoint c) {
        BinaryWriter w = new BinaryWriter(32 + c.covered().size() * 17);
        w.writeFixedLong(c.incarnation())
                .writeVarLong(c.sequence())
                .writeVarInt(c.covered().size());
        for (SubscriptionKey k : c.covered()) w.writeBytes(k.bytes());
        return w.toByteArray();
    }

    static Checkpoint decode(byte[] bytes) {
        BinaryReader r = new BinaryReader(bytes);
        long inc = r.readFixedLong();
        long seq = r.readVarLong();
        int n = r.readLength(r.remaining() / 17);
        Set<SubscriptionKey> keys = new HashSet<>();
        for (int i = 0; i < n; i++) keys.add(SubscriptionKey.fromBytes(r.readBytes()));
        return new Checkpoint(inc, seq, keys);
    }
}
