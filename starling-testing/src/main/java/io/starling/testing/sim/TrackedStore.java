package io.starling.testing.sim;

import io.starling.internal.crdt.DocumentState;
import io.starling.internal.sync.Principal;
import io.starling.internal.sync.ResumeMemory;
import io.starling.internal.sync.Subscription;
import io.starling.internal.sync.SyncStoreView;
import io.starling.internal.sync.ZombieRule;
import io.starling.testing.model.DocumentModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The store a simulated peer's sessions use: the engine's own {@link SyncStoreView}, watched. Every state a session
 * applies moves the sender's knowledge of it to the receiver ({@link Knowledge}); ZOMBIES evictions empty it. It
 * also checks that the engine refuses as zombies exactly the states {@link ZombieRule#refuses} refuses (the rule's
 * one implementation, docs/SYNC-PROTOCOL.md "Tombstone horizon") — against the horizon the simulator expects from
 * the purges it made, not the one the engine reports.
 */
final class TrackedStore implements SyncStoreView {
    private final SyncStoreView engine;
    private final SimPeer peer;
    private final Simulation sim;

    TrackedStore(SyncStoreView engine, SimPeer peer, Simulation sim) {
        this.engine = engine;
        this.peer = peer;
        this.sim = sim;
    }

    @Override
    public ApplyResult apply(long fromPeer, List<Doc> docs, @Nullable Checkpoint checkpoint) {
        return apply(fromPeer, docs, checkpoint, Principal.UNRESTRICTED);
    }

    /**
     * In runs with identities, also checks what permissions promise, by the roles' own rules ({@link Role}): every
     * state received is one this peer's user may read (the sender filtered it), and the engine denies exactly the
     * changes the sender's role may not make, judged before and after the merge.
     */
    @Override
    public ApplyResult apply(long fromPeer, List<Doc> docs, @Nullable Checkpoint checkpoint, Principal principal) {
        SimPeer from = sim.peerBySite(fromPeer);
        Link via = sim.delivering();
        if (via != null && !sim.admitted(via) && !docs.isEmpty()) {
            sim.problem(peer + " applied " + docs.size() + " document(s) from " + from + " over a connection that "
                    + via.b + " accepted and its connection-request hook refuses");
        }
        Role mine = sim.role(peer.index), theirs = sim.role(from.index);
        Set<DocRef> expectDenied = new HashSet<>();
        if (mine != null && theirs != null) {
            Map<DocRef, DocumentState> current = new HashMap<>();
            for (Doc d : docs) {
                DocumentState incoming = decode(d.state());
                if (!mine.mayRead(d.collection(), incoming)) {
                    sim.problem(peer + " (" + mine + ") received a state of " + DocKey.decode(d.collection(), d.id())
                            + " from " + from + " that its user may not read");
                    if (sim.options().engineFault() == EngineFault.SEND_UNREADABLE) sim.stats.plantedFaults++;
                }
                sim.stats.permittedStatesReceived++;
                byte[] stored = engine.stateOf(d.collection(), d.id());
                DocumentState before =
                        current.containsKey(d.ref()) ? current.get(d.ref()) : stored == null ? null : decode(stored);
                DocumentState base = before == null ? DocumentState.empty() : before;
                DocumentState after = base.merge(incoming);
                if (after.equals(base)) continue;
                if (theirs.mayApply(d.collection(), before, after)) current.put(d.ref(), after);
                else expectDenied.add(d.ref());
            }
        }
        ApplyResult result = applyWatched(from, docs, checkpoint, principal);
        if (mine != null && theirs != null) {
            Set<DocRef> denied = new HashSet<>(result.denied());
            Set<DocRef> expected = new HashSet<>(expectDenied);
            expected.removeAll(result.zombies());
            for (Refusal r : result.refused()) expected.remove(r.doc());
            if (!denied.equals(expected)) {
                sim.problem(peer + " (" + mine + ") denied " + denied + " of the changes from " + from + " (" + theirs
                        + "), but the role's rule denies " + expected);
                if (sim.options().engineFault() == EngineFault.APPLY_FORBIDDEN) sim.stats.plantedFaults++;
            }
            sim.stats.writesDenied += denied.size();
        }
        return result;
    }

    private ApplyResult applyWatched(
            SimPeer from, List<Doc> docs, @Nullable Checkpoint checkpoint, Principal principal) {
        long fromPeer = from.site;
        Knowledge k = sim.knowledge;
        long horizon = k.horizon(peer.index);
        // for the zombie rule, which only applies below a horizon: the state held of each document (no entry: no row)
        Map<DocRef, DocumentState> held = new HashMap<>();
        if (horizon > 0)
            for (Doc d : docs) {
                Row row = engine.rowOf(d.collection(), d.id());
                if (row != null) held.put(d.ref(), decode(row.state()));
            }
        List<Doc> passed = docs;
        if (sim.options().engineFault() == EngineFault.LOSE_MERGED_DOC && docs.size() >= 2) {
            passed = docs.subList(0, docs.size() - 1); // planted: the store skips a document and says nothing
            Doc skipped = docs.get(docs.size() - 1);
            DocKey key = DocKey.decode(skipped.collection(), skipped.id());
            DocumentModel sent = k.heldAs(from.index, key, skipped.state());
            boolean elsewhere = false;
            for (Doc d : passed) elsewhere |= d.ref().equals(skipped.ref());
            if (sent != null && !elsewhere && !k.of(peer.index, key).includes(sent)) sim.stats.plantedFaults++;
        }
        // throws: nothing was applied
        ApplyResult result = engine.apply(fromPeer, passed, checkpoint, principal);
        Set<DocRef> zombies = new HashSet<>(result.zombies());
        Set<DocRef> denied = new HashSet<>(result.denied());
        Set<DocRef> refused = new HashSet<>();
        for (Refusal r : result.refused()) refused.add(r.doc());
        Set<DocKey> changed = new LinkedHashSet<>();
        Set<DocRef> counted = new HashSet<>();
        for (Doc d : docs) {
            DocRef ref = d.ref();
            DocKey key = DocKey.decode(d.collection(), d.id());
            boolean zombieByRule = horizon > 0 && ZombieRule.refuses(held.get(ref), decode(d.state()), horizon);
            DocumentModel sent = k.heldAs(from.index, key, d.state());
            if (zombies.contains(ref)) {
                boolean first = counted.add(ref);
                if (!zombieByRule && first) {
                    sim.problem(peer + " refused a state of " + key + " from " + from + " as a zombie, but it "
                            + (held.containsKey(ref) ? "holds a row of it" : "is not older than the horizon"));
                }
                if (first) {
                    sim.stats.zombiesRefused++;
                    // a true zombie is hidden by some acknowledged delete; anything else is live data the rule refused
                    if (sent != null && !sim.hiddenByADelete(key, sent)) sim.stats.liveDataRefused++;
                }
                continue;
            }
            if (denied.contains(ref)) continue; // not merged: the receiver holds none of it (checked in apply)
            if (refused.contains(ref)) {
                sim.problem(peer + " refused a valid state of " + key + " from " + from + ": " + result.refused());
                continue;
            }
            if (zombieByRule) {
                sim.problem(peer + " accepted a zombie: a state of " + key + " from " + from
                        + " that is older than its horizon, for a document it held no row of");
            }
            if (sent == null) {
                sim.problem(peer + " applied a state of " + key + " that its sender " + from + " never held");
                continue;
            }
            if (horizon > 0) held.merge(ref, decode(d.state()), DocumentState::merge);
            k.set(peer.index, key, k.of(peer.index, key).union(sent), null);
            changed.add(key);
        }
        for (DocKey key : changed) {
            byte[] state = stateOf(key);
            DocumentModel known = k.of(peer.index, key);
            k.set(peer.index, key, known, state);
            sim.compareWithModel(peer, key, known, state, () -> "after a batch from " + from);
        }
        return result;
    }

    /** The state as the engine reads it (only for the zombie rule's question: is every stamp below the horizon). */
    private static DocumentState decode(byte[] state) {
        return DocumentState.decode(state);
    }

    private byte @Nullable [] stateOf(DocKey key) {
        return engine.stateOf(key.collection(), key.encodedId());
    }

    @Override
    public void evict(List<DocRef> docs) {
        List<DocKey> had = new ArrayList<>();
        for (DocRef d : docs) {
            if (engine.rowOf(d.collection(), d.id()) != null) had.add(DocKey.decode(d.collection(), d.id()));
        }
        if (sim.options().engineFault() == EngineFault.IGNORE_ZOMBIES && !had.isEmpty()) {
            sim.stats.plantedFaults++; // planted: the holder keeps what it was told is a zombie
        } else {
            engine.evict(docs);
        }
        for (DocKey key : had) {
            if (stateOf(key) != null) {
                sim.problem(peer + " was told " + key + " is a zombie and still holds it");
                continue;
            }
            sim.knowledge.remove(peer.index, key, Knowledge.RemovalKind.ZOMBIE, sim.workload.writes.size(), sim.now);
            sim.stats.zombiesEvicted++;
        }
    }

    // ---- plain delegation ----------------------------------------------------------------------------------

    @Override
    public long peerId() {
        return engine.peerId();
    }

    @Override
    public long incarnation() {
        return engine.incarnation();
    }

    @Override
    public String appId() {
        return engine.appId();
    }

    @Override
    public long lastSequence() {
        return engine.lastSequence();
    }

    @Override
    public List<Row> changesSince(long after, int maxRows) {
        return engine.changesSince(after, maxRows);
    }

    @Override
    public List<Row> scanMatching(Subscription subscription, byte @Nullable [] afterId, int maxRows) {
        return engine.scanMatching(subscription, afterId, maxRows);
    }

    @Override
    public List<Row> scanCollection(String collection, byte @Nullable [] afterId, int maxRows) {
        return engine.scanCollection(collection, afterId, maxRows);
    }

    @Override
    public boolean matches(Subscription subscription, Row row) {
        return engine.matches(subscription, row);
    }

    @Override
    public @Nullable Row rowOf(String collection, byte[] id) {
        return engine.rowOf(collection, id);
    }

    @Override
    public byte @Nullable [] stateOf(String collection, byte[] id) {
        return engine.stateOf(collection, id);
    }

    @Override
    public boolean holdsAny(String collection) {
        return engine.holdsAny(collection);
    }

    @Override
    public byte @Nullable [] deltaOf(Row row) {
        return engine.deltaOf(row);
    }

    @Override
    public @Nullable ResumeMemory resumeMemory() {
        return engine.resumeMemory();
    }

    @Override
    public List<String> collections() {
        return engine.collections();
    }

    @Override
    public @Nullable Checkpoint checkpoint(long senderPeerId) {
        return engine.checkpoint(senderPeerId);
    }

    @Override
    public long tombstoneHorizon() {
        return engine.tombstoneHorizon();
    }
}
