package io.starling.soak;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.core.Path;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.crdt.FieldOp;
import io.starling.internal.sync.Subscription;
import io.starling.testing.model.ModelOp;
import io.starling.testing.model.ModelStatement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Each check can fail: failures planted in a converged final state (three peers in a line, all subscribing to the
 * collection) — a replica left behind, a write missing everywhere, a write that stored nothing — are each reported
 * by the check whose job it is, and an eviction excuses what it should and nothing more.
 */
class SoakChecksTest {
    static final long[] SITES = {0x11L, 0x8000_0000_0000_0011L, 0x33L};
    static final DocRef DOC = DocRef.of("a", 1L);
    static final SoakPlan.Stmt INSERT = stmt(new ModelOp.Insert(Map.of("grp", 1L, "x", 1L), ModelOp.Conflict.FAIL));
    static final SoakPlan.Stmt UPDATE = stmt(new ModelOp.Update(List.of(new ModelOp.Set(List.of("x"), 2L))));

    static SoakPlan.Stmt stmt(ModelOp op) {
        return new SoakPlan.Stmt("a", 1L, ModelStatement.of("a", 1L, op), op);
    }

    final DocumentState inserted = DocumentState.empty().insert(obj("grp", 1L, "x", 1L), new Stamp(100, SITES[0]));
    final DocumentState updated =
            inserted.update(List.of(new FieldOp.Set(Path.of("x"), Value.of(2))), new Stamp(200, SITES[2]));
    final SoakWrite insert = new SoakWrite(0, 0, SITES[0], DOC, INSERT, DocumentState.empty(), inserted, true, 10);
    final SoakWrite update = new SoakWrite(1, 2, SITES[2], DOC, UPDATE, inserted, updated, true, 20);

    static Value.Obj obj(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return (Value.Obj) Value.fromJava(m);
    }

    /** Three peers in a line, all subscribing to {@code a}, all holding {@code state} of the document. */
    FinalState converged(DocumentState state, List<FinalState.Eviction> evictions) {
        List<FinalState.PeerState> peers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            TreeMap<DocRef, byte[]> rows = new TreeMap<>();
            rows.put(DOC, state.encode());
            peers.add(new FinalState.PeerState(
                    i, SITES[i], List.of(Subscription.of("a", "SELECT * FROM a", Value.Obj.EMPTY)), rows));
        }
        return new FinalState(
                peers, List.of(new int[] {0, 1}, new int[] {1, 2}), List.of(insert, update), evictions, List.of());
    }

    @Test
    void aConvergedStateHoldingEveryWritePasses() {
        SoakChecks.Findings f = SoakChecks.check(converged(updated, List.of()));
        assertThat(f.passed()).as(f.toString()).isTrue();
        assertThat(f.coverage().identicalPairs()).isEqualTo(2);
        assertThat(f.coverage().deliveries()).isEqualTo(4);
        assertThat(f.coverage().inclusions()).isEqualTo(6);
    }

    @Test
    void aReplicaLeftBehindIsADivergence() {
        FinalState s = converged(updated, List.of());
        s.plant(0, DOC, inserted.encode());
        SoakChecks.Findings f = SoakChecks.check(s);
        assertThat(f.divergences()).isNotEmpty();
        assertThat(String.join("\n", f.divergences())).contains("a/1: peers 0 and 1");
        assertThat(f.lostWrites())
                .singleElement()
                .asString()
                .contains("write #1")
                .contains("missing at peer 0");
    }

    @Test
    void aReplicaWithoutTheDocumentIsADivergenceToo() {
        FinalState s = converged(updated, List.of());
        s.plant(2, DOC, null);
        assertThat(SoakChecks.check(s).divergences()).isNotEmpty();
    }

    @Test
    void aWriteMissingEverywhereIsLostThoughThePeersAgree() {
        SoakChecks.Findings f = SoakChecks.check(converged(inserted, List.of()));
        assertThat(f.divergences()).isEmpty();
        assertThat(f.lostWrites())
                .singleElement()
                .asString()
                .contains("write #1 by peer 2")
                .contains("missing at peer 2");
    }

    @Test
    void aWriteIsBlamedOnlyWhereWhatItStartedFromIsThere() {
        // the insert is missing too: the insert is the one reported
        SoakChecks.Findings f = SoakChecks.check(converged(DocumentState.empty(), List.of()));
        assertThat(f.lostWrites()).singleElement().asString().contains("write #0");
    }

    @Test
    void anAcknowledgedWriteThatStoredNothingIsReported() {
        SoakWrite empty = new SoakWrite(2, 1, SITES[1], DOC, UPDATE, updated, updated, false, 30);
        assertThat(SoakChecks.writeProblem(empty)).contains("did not change");
        // exact, but the newest stamp is another site's: the write stored nothing of its own
        SoakWrite foreign = new SoakWrite(2, 1, SITES[1], DOC, UPDATE, inserted, updated, true, 30);
        assertThat(SoakChecks.writeProblem(foreign)).contains("is not of the writer's site");
        // exact, and the newest stamp after it is older than the one before: it stored nothing new
        SoakWrite older = new SoakWrite(2, 0, SITES[0], DOC, UPDATE, updated, inserted, true, 30);
        assertThat(SoakChecks.writeProblem(older)).contains("stored nothing new");
        assertThat(SoakChecks.writeProblem(update)).isNull();
        FinalState s = converged(updated, List.of());
        List<SoakWrite> ws = new ArrayList<>(s.writes());
        ws.add(empty);
        SoakChecks.Findings f =
                SoakChecks.check(new FinalState(s.peers(), s.edges(), ws, s.evictions(), s.indeterminate()));
        assertThat(f.writeProblems()).singleElement().asString().contains("write #2");
        assertThat(f.passed()).isFalse();
    }

    @Test
    void aRestartedPeerMustHaveKeptItsAcknowledgedWrites() {
        FinalState s = converged(updated, List.of());
        FinalState.PeerState peer2 = s.peers().get(2);
        assertThat(SoakChecks.keptAfterRestart(peer2, s.writes(), List.of())).isEmpty();
        s.plant(2, DOC, inserted.encode()); // the update, acknowledged by peer 2, did not survive
        assertThat(SoakChecks.keptAfterRestart(peer2, s.writes(), List.of()))
                .singleElement()
                .asString()
                .contains("write #1 by peer 2")
                .contains("after a SIGKILL and restart");
        // peer 0's writes are not peer 2's business; an eviction after the write excuses it
        assertThat(SoakChecks.keptAfterRestart(s.peers().get(0), s.writes(), List.of()))
                .isEmpty();
        FinalState.Eviction evicted = new FinalState.Eviction(2, DOC, 2, Map.of());
        assertThat(SoakChecks.keptAfterRestart(peer2, s.writes(), List.of(evicted)))
                .isEmpty();
    }

    @Test
    void reportsShortenTheBlobs() {
        DocumentState blob = DocumentState.empty().insert(obj("blob", "b" + "-".repeat(50_000)), new Stamp(1, 1));
        assertThat(SoakChecks.describe(blob)).contains("b-…×").hasSizeLessThan(500);
    }

    @Test
    void anEvictionAfterAWriteExcusesTheEvictingPeerOnly() {
        FinalState.Eviction byPeer2 = new FinalState.Eviction(2, DOC, 2, Map.of(1, Set.of(1)));
        FinalState s = converged(updated, List.of(byPeer2));
        s.plant(2, DOC, null);
        assertThat(SoakChecks.check(s).passed()).isTrue();
        // peer 1 held the evicted write when peer 2 evicted it: it must still hold it
        s.plant(1, DOC, inserted.encode());
        s.plant(0, DOC, inserted.encode());
        assertThat(SoakChecks.check(s).lostWrites())
                .singleElement()
                .asString()
                .contains("write #1")
                .contains("missing at peer 1");
    }

    @Test
    void aWriteItsWriterEvictedBeforeItReachedAnyoneIsNotExpected() {
        FinalState.Eviction byPeer2 = new FinalState.Eviction(2, DOC, 2, Map.of(1, Set.of()));
        FinalState s = converged(inserted, List.of(byPeer2));
        s.plant(2, DOC, null);
        assertThat(SoakChecks.check(s).passed()).isTrue();
    }
}
