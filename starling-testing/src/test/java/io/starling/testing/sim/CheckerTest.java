package io.starling.testing.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The checks can fail: failures planted in a copy of a converged run's final state are reported. */
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
        assertThat(report.coverage().inclusions()).isPositive();
        assertThat(report.coverage().modelComparisons()).isPositive();
    }

    @Test
    void aReplicaLeftBehindIsADivergence() {
        FinalState s = converged(3);
        // a document two peers hold, and an older state of it (before its last write)
        AckedWrite last = lastWriteHeldByTwo(s);
        FinalState planted = s.copy();
        int victim = otherHolder(s, last);
        planted.plant(victim, last.doc, last.before.isEmpty() ? null : last.before.encode());

        CheckReport report = Checker.check(planted);
        assertThat(report.divergences()).isNotEmpty();
        assertThat(report.divergences().get(0)).contains(last.doc.toString());
        assertThat(report.lostWrites()).contains(last.index);
    }

    @Test
    void aWriteMissingEverywhereIsALostWrite() {
        FinalState s = converged(3);
        AckedWrite last = lastWriteHeldByTwo(s);
        FinalState planted = s.copy();
        for (FinalState.PeerState p : planted.peers()) {
            if (p.rows().containsKey(last.doc))
                planted.plant(p.index(), last.doc, last.before.isEmpty() ? null : last.before.encode());
        }

        CheckReport report = Checker.check(planted);
        assertThat(report.lostWrites()).contains(last.index);
        assertThat(report.lostWriteDetails()).isNotEmpty().allMatch(m -> m.contains("to " + last.doc + ":"));
    }

    @Test
    void aStateThatBreaksTheMergeRulesIsCaughtByTheModel() {
        // every replica agrees, and every write is included, but the visible value is not what the rules give:
        // the record of the last write says it set x to something else than the replicas show
        for (long seed = 1; seed < 40; seed++) {
            FinalState s = converged(seed);
            for (int i = s.writes().size() - 1; i >= 0; i--) {
                AckedWrite w = s.writes().get(i);
                if (!(w.op instanceof DocOp.Update u)
                        || u.changes().size() != 1
                        || !(u.changes().get(0) instanceof DocOp.Set set)
                        || !set.path().equals(List.of("x"))) {
                    continue;
                }
                if (!isLastWrite(s, w)
                        || w.after.fields() == null
                        || !w.after.fields().get("x").equals(set.value())) continue;
                FinalState planted = s.copy();
                Value other = Value.of("not " + set.value());
                planted.writes()
                        .set(
                                i,
                                new AckedWrite(
                                        w.index,
                                        w.peer,
                                        w.site,
                                        w.doc,
                                        new DocOp.Update(List.of(new DocOp.Set(List.of("x"), other))),
                                        w.stamp,
                                        w.before,
                                        w.after,
                                        w.time));

                CheckReport report = Checker.check(planted);
                assertThat(report.divergences()).isEmpty();
                assertThat(report.lostWrites()).isEmpty();
                assertThat(report.modelProblems()).isNotEmpty();
                assertThat(report.modelProblems().get(0))
                        .contains(w.doc.toString())
                        .contains(other.toString());
                return;
            }
        }
        throw new AssertionError("no seed below 40 has a final UPDATE … SET x to plant a model violation in");
    }

    @Test
    void aRestartedRunningSumIsALostIncrement() {
        // a site's second increment whose running sum does not build on its first: the first is lost
        for (long seed = 1; seed < 60; seed++) {
            FinalState s = converged(seed);
            for (AckedWrite second : s.writes()) {
                if (!isIncrement(second)) continue;
                AckedWrite first = previousIncrementBySameSite(s, second);
                if (first == null) continue;
                FinalState planted = s.copy();
                // pretend the second increment was made from a state that had lost the first: its running sum
                // restarts, as it does when EVICT dropped the site's own contribution
                DocOp.Increment inc =
                        (DocOp.Increment) ((DocOp.Update) second.op).changes().get(0);
                AckedWrite fake = new AckedWrite(
                        second.index,
                        second.peer,
                        second.site,
                        second.doc,
                        new DocOp.Update(List.of(new DocOp.Increment(inc.path(), Value.of(1_000_000)))),
                        second.stamp,
                        second.before,
                        second.after,
                        second.time);
                planted.writes().set(second.index, fake);

                // reported where a replica still counts the sum (else the rules superseded it, and nothing is lost)
                if (Checker.check(planted).lostWriteCount() > 0) return;
            }
        }
        throw new AssertionError("no planted restart of a running sum below seed 60 was reported");
    }

    private static boolean isIncrement(AckedWrite w) {
        return w.op instanceof DocOp.Update u
                && u.changes().size() == 1
                && u.changes().get(0) instanceof DocOp.Increment
                && w.after.fields() != null;
    }

    private static AckedWrite previousIncrementBySameSite(FinalState s, AckedWrite w) {
        List<String> path = ((DocOp.Update) w.op).changes().get(0).path();
        for (int i = w.index - 1; i >= 0; i--) {
            AckedWrite x = s.writes().get(i);
            if (x.doc.equals(w.doc)
                    && x.site == w.site
                    && isIncrement(x)
                    && ((DocOp.Update) x.op).changes().get(0).path().equals(path)) {
                return x;
            }
            if (x.doc.equals(w.doc)) return null; // keep it simple: the two increments are consecutive writes
        }
        return null;
    }

    private static boolean isLastWrite(FinalState s, AckedWrite w) {
        for (AckedWrite x : s.writes()) if (x.doc.equals(w.doc) && x.index > w.index) return false;
        return true;
    }

    /**
     * The last write to a document that its writer and another peer subscribing to the collection both hold in
     * the same state.
     */
    private static AckedWrite lastWriteHeldByTwo(FinalState s) {
        for (int i = s.writes().size() - 1; i >= 0; i--) {
            AckedWrite w = s.writes().get(i);
            if (isLastWrite(s, w)
                    && !w.before.equals(w.after)
                    && !evicted(s, w.doc)
                    && otherHolderOrNegative(s, w) >= 0) return w;
        }
        throw new AssertionError("no write held by two peers");
    }

    private static boolean evicted(FinalState s, DocKey d) {
        return s.evictions.stream().anyMatch(e -> e.doc().equals(d));
    }

    private static int otherHolderOrNegative(FinalState s, AckedWrite w) {
        byte[] mine = s.peers().get(w.peer).rows().get(w.doc);
        if (mine == null || !DocumentState.decode(mine).merge(w.after).equals(DocumentState.decode(mine))) return -1;
        for (FinalState.PeerState p : s.peers()) {
            if (p.index() == w.peer || !java.util.Arrays.equals(p.rows().get(w.doc), mine)) continue;
            if (p.subscriptions().stream().anyMatch(sub -> sub.collection().equals(w.doc.collection())))
                return p.index();
        }
        return -1;
    }

    private static int otherHolder(FinalState s, AckedWrite w) {
        return otherHolderOrNegative(s, w);
    }
}
