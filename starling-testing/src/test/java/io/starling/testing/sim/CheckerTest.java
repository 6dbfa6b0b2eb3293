package io.starling.testing.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.core.Path;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.crdt.FieldOp;
import io.starling.testing.model.DocumentModel;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The checks can fail: failures planted in a copy of a converged run's final state are reported, each by the check
 * whose job it is. (Bugs planted in the engine itself, found while the run goes on: {@link PlantedBugsTest}.)
 */
class CheckerTest {

    /** A passing run with its final state; mesh, so every pair of peers is a connection. */
    static FinalState converged(long seed) {
        SimulationResult r = new Simulation(SimulationOptions.seed(seed).withTopology(Topology.MESH)).run();
        assertThat(r.passed()).as(r::describe).isTrue();
        assertThat(r.report().coverage().identicalPairs()).isPositive();
        return r.finalState();
    }

    @Test
    void theUntouchedStatePasses() {
        FinalState s = converged(3);
        CheckReport report = Checker.check(s.copy());
        assertThat(report.divergences()).isEmpty();
        assertThat(report.lostWriteCount()).isZero();
        assertThat(report.coverage().documents()).isPositive();
        assertThat(report.coverage().deliveries()).isPositive();
        assertThat(report.coverage().modelComparisons()).isPositive();
    }

    @Test
    void aReplicaLeftBehindIsALostWriteThereAndADivergence() {
        FinalState s = converged(3);
        AckedWrite last = lastWriteHeldByTwo(s);
        int victim = otherHolder(s, last);
        FinalState planted = s.copy();
        planted.plant(victim, last.doc, last.before); // an older state, though the peer received the write

        CheckReport report = Checker.check(planted);
        assertThat(report.lostWrites()).contains(last.index);
        assertThat(report.lostWriteDetails()).anyMatch(m -> m.contains("missing at peer " + victim));
        assertThat(report.divergences()).anyMatch(m -> m.startsWith(last.doc + ": peers"));
    }

    @Test
    void aWriteMissingEverywhereIsALostWrite() {
        FinalState s = converged(3);
        AckedWrite last = lastWriteHeldByTwo(s);
        FinalState planted = s.copy();
        for (FinalState.PeerState p : planted.peers()) {
            if (Arrays.equals(p.rows().get(last.doc), last.after)) planted.plant(p.index(), last.doc, last.before);
        }

        CheckReport report = Checker.check(planted);
        assertThat(report.divergences()).isEmpty(); // every replica agrees, on the wrong state
        assertThat(report.lostWrites()).contains(last.index); // (with any other write one could blame alike)
        assertThat(report.lostWriteDetails()).isNotEmpty().allMatch(m -> m.contains(last.toString()));
    }

    @Test
    void aValueNoWriteGaveIsAModelProblem() {
        // every replica agrees, but shows a field no acknowledged write set: a state the rules do not give
        FinalState s = converged(3);
        AckedWrite last = lastWriteHeldByTwo(s);
        DocumentState st = DocumentState.decode(s.peers().get(last.peer).rows().get(last.doc));
        byte[] stray = st.exists()
                ? st.update(
                                List.of(new FieldOp.Set(Path.of("stray"), Value.of("planted"))),
                                new Stamp(st.maxStamp().hlc() + 1, last.site))
                        .encode()
                : st.insert(Value.Obj.EMPTY, new Stamp(st.maxStamp().hlc() + 1, last.site))
                        .encode();
        FinalState planted = s.copy();
        for (FinalState.PeerState p : planted.peers()) {
            if (Arrays.equals(
                    p.rows().get(last.doc), s.peers().get(last.peer).rows().get(last.doc)))
                planted.plant(p.index(), last.doc, stray);
        }

        CheckReport report = Checker.check(planted);
        assertThat(report.divergences()).isEmpty();
        assertThat(report.lostWrites()).isEmpty();
        assertThat(report.modelProblems()).isNotEmpty().allMatch(m -> m.startsWith(last.doc + " at peer "));
    }

    @Test
    void aRowNoWriteExplainsIsAModelProblem() {
        FinalState s = converged(3);
        AckedWrite last = lastWriteHeldByTwo(s);
        FinalState planted = s.copy();
        DocKey nobody = new DocKey(last.doc.collection(), "planted");
        planted.plant(0, nobody, last.after);

        CheckReport report = Checker.check(planted);
        assertThat(report.modelProblems()).anyMatch(m -> m.contains("has received no write of it"));
    }

    @Test
    void aReplicaWithoutTheRowANeighbourSendsItIsADivergenceAndALoss() {
        FinalState s = converged(3);
        AckedWrite last = lastWriteHeldByTwo(s);
        int victim = otherHolder(s, last);
        FinalState planted = s.copy();
        planted.plant(victim, last.doc, null);
        planted.plantKnowledge(victim, last.doc, DocumentModel.empty()); // as if it had never received it

        CheckReport report = Checker.check(planted);
        assertThat(report.divergences()).anyMatch(m -> m.contains("has not received"));
    }

    @Test
    void aPeerThatEvictedAndHoldsARowAgainMustAgreeAgain() {
        // before, a peer that ever evicted a document was never compared on it; now only while it holds no row
        for (long seed = 1; seed < 80; seed++) {
            FinalState s = converged(seed);
            for (Knowledge.Removal r : s.removals) {
                if (r.kind() != Knowledge.RemovalKind.EVICT) continue;
                FinalState.PeerState p = s.peers().get(r.peer());
                byte[] now = p.rows().get(r.doc());
                AckedWrite w = lastWrite(s, r.doc());
                if (now == null || w == null || w.before == null || Arrays.equals(now, w.before)) continue;
                if (!Arrays.equals(now, w.after) || !hasAgreeingNeighbour(s, r.peer(), r.doc())) continue;
                FinalState planted = s.copy();
                planted.plant(r.peer(), r.doc(), w.before);
                CheckReport report = Checker.check(planted);
                assertThat(report.divergences()).anyMatch(m -> m.startsWith(r.doc() + ": peers"));
                return;
            }
        }
        throw new AssertionError("no seed below 80 has a peer that evicted a document and holds it again");
    }

    @Test
    void aZombieEntirelyOlderThanThePurgingPeersHorizonIsAResurrection() {
        // a peer purged a tombstone; plant there a live copy made only of writes from before the delete
        for (long seed = 1; seed < 200; seed++) {
            SimulationResult r = new Simulation(SimulationOptions.seed(seed).withTopology(Topology.MESH)).run();
            if (!r.passed()) continue;
            FinalState s = r.finalState();
            for (Knowledge.Removal purge : s.removals) {
                if (purge.kind() != Knowledge.RemovalKind.PURGE) continue;
                AckedWrite created = firstInsert(s, purge.doc());
                if (created == null || !purge.held().contains(created.write)) continue;
                FinalState planted = s.copy();
                planted.plant(purge.peer(), purge.doc(), created.after);
                planted.plantKnowledge(
                        purge.peer(), purge.doc(), DocumentModel.empty().with(created.write));
                CheckReport report = Checker.check(planted);
                assertThat(report.modelProblems())
                        .anyMatch(m -> m.startsWith(purge.doc() + " came back at peer " + purge.peer()));
                return;
            }
        }
        throw new AssertionError("no seed below 200 purged the tombstone of a document it had seen inserted");
    }

    private static AckedWrite firstInsert(FinalState s, DocKey d) {
        for (AckedWrite w : s.writes()) {
            if (w.doc.equals(d) && w.write.effects().get(0).path().isEmpty() && !w.write.isDelete()) return w;
        }
        return null;
    }

    private static boolean hasAgreeingNeighbour(FinalState s, int peer, DocKey d) {
        byte[] mine = s.peers().get(peer).rows().get(d);
        for (int[] e : s.edges) {
            int other = e[0] == peer ? e[1] : e[1] == peer ? e[0] : -1;
            if (other >= 0 && Arrays.equals(s.peers().get(other).rows().get(d), mine)) return true;
        }
        return false;
    }

    private static AckedWrite lastWrite(FinalState s, DocKey d) {
        AckedWrite last = null;
        for (AckedWrite w : s.writes()) if (w.doc.equals(d)) last = w;
        return last;
    }

    /**
     * The last write to a document that its writer and another peer subscribing to the collection both hold in
     * the state right after it.
     */
    private static AckedWrite lastWriteHeldByTwo(FinalState s) {
        for (int i = s.writes().size() - 1; i >= 0; i--) {
            AckedWrite w = s.writes().get(i);
            if (w == lastWrite(s, w.doc) && w.before != null && otherHolderOrNegative(s, w) >= 0) return w;
        }
        throw new AssertionError("no write held by two peers");
    }

    private static int otherHolderOrNegative(FinalState s, AckedWrite w) {
        byte[] mine = s.peers().get(w.peer).rows().get(w.doc);
        if (!Arrays.equals(mine, w.after)) return -1;
        for (FinalState.PeerState p : s.peers()) {
            if (p.index() == w.peer || !Arrays.equals(p.rows().get(w.doc), mine)) continue;
            if (p.subscriptions().stream().anyMatch(sub -> sub.collection().equals(w.doc.collection())))
                return p.index();
        }
        return -1;
    }

    private static int otherHolder(FinalState s, AckedWrite w) {
        return otherHolderOrNegative(s, w);
    }
}
