package io.starling.soak;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.core.Stamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Check (c)'s plumbing, with stand-in models (the real one plugs in through {@link ReferenceModelAdapter}): the
 * model is asked about every replica with the writes that replica holds, a disagreement is reported with them, and
 * documents the check cannot judge are counted instead of compared.
 */
class ModelCheckTest {
    final SoakChecksTest fixture = new SoakChecksTest();

    /** A stand-in that knows this fixture: the insert gives x = 1, the update x = 2 (the later stamp wins). */
    final MergeModel lastWriterWins = (doc, held) -> {
        if (held.isEmpty()) return Optional.empty();
        MergeModel.Write last = held.get(0);
        for (MergeModel.Write w : held) if (w.stamp().after(last.stamp())) last = w;
        return Optional.of(Map.of("grp", 1L, "x", last.index() == 0 ? 1L : 2L));
    };

    @Test
    void theModelIsAskedAboutEveryReplicaWithTheWritesItHolds() {
        List<List<Integer>> asked = new ArrayList<>();
        MergeModel recording = (doc, held) -> {
            asked.add(held.stream().map(MergeModel.Write::index).toList());
            return lastWriterWins.visible(doc, held);
        };
        FinalState s = fixture.converged(fixture.updated, List.of());
        s.plant(0, SoakChecksTest.DOC, fixture.inserted.encode());
        ModelCheck.Result r = ModelCheck.run(s, recording);
        assertThat(r.passed()).as(r.problems().toString()).isTrue();
        assertThat(r.comparisons()).isEqualTo(3);
        assertThat(asked).containsExactly(List.of(0), List.of(0, 1), List.of(0, 1));
    }

    @Test
    void theWriterKnewWhatItsStateBeforeTheWriteHeld() {
        List<MergeModel.Write> seen = new ArrayList<>();
        ModelCheck.run(fixture.converged(fixture.updated, List.of()), (doc, held) -> {
            seen.addAll(held);
            return lastWriterWins.visible(doc, held);
        });
        MergeModel.Write update =
                seen.stream().filter(w -> w.index() == 1).findFirst().orElseThrow();
        assertThat(update.knownBefore()).containsExactly(0);
        assertThat(update.stamp()).isEqualTo(new Stamp(200, SoakChecksTest.SITES[2]));
        assertThat(update.op()).isEqualTo(SoakChecksTest.UPDATE.op());
    }

    @Test
    void aDisagreementIsReported() {
        MergeModel wrong = (doc, held) -> Optional.of(Map.of("grp", 1L, "x", 3L));
        ModelCheck.Result r = ModelCheck.run(fixture.converged(fixture.updated, List.of()), wrong);
        assertThat(r.problems()).hasSize(3);
        assertThat(r.problems().get(0)).contains("a/1 at peer 0 shows").contains("the model of the 2 writes");
        MergeModel gone = (doc, held) -> Optional.empty();
        assertThat(ModelCheck.run(fixture.converged(fixture.updated, List.of()), gone)
                        .problems())
                .first()
                .asString()
                .contains("gives no document");
    }

    @Test
    void aWriteTheModelSaysWritesNothingIsReportedOncePerDocument() {
        MergeModel refusing = (doc, held) -> {
            throw new MergeModel.Disagreement(doc + ": write #1 writes nothing by the model's rules");
        };
        ModelCheck.Result r = ModelCheck.run(fixture.converged(fixture.updated, List.of()), refusing);
        assertThat(r.problems()).containsExactly("a/1: write #1 writes nothing by the model's rules");
        assertThat(r.passed()).isFalse();
        assertThat(r.comparisons()).isZero();
    }

    @Test
    void aDocumentNobodyWroteIsReported() {
        FinalState s = fixture.converged(fixture.updated, List.of());
        FinalState none = new FinalState(s.peers(), s.edges(), List.of(), List.of(), List.of());
        assertThat(ModelCheck.run(none, lastWriterWins).problems())
                .hasSize(3)
                .allMatch(p -> p.contains("no write to it was acknowledged"));
    }

    @Test
    void documentsTheCheckCannotJudgeAreCountedNotCompared() {
        FinalState s = fixture.converged(fixture.updated, List.of());
        FinalState uncertain = new FinalState(
                s.peers(),
                s.edges(),
                s.writes(),
                List.of(),
                List.of(new FinalState.Indeterminate(1, SoakChecksTest.DOC, SoakChecksTest.UPDATE)));
        ModelCheck.Result r = ModelCheck.run(uncertain, (doc, held) -> Optional.empty());
        assertThat(r.passed()).isTrue();
        assertThat(r.comparisons()).isZero();
        assertThat(r.documentsSkipped()).isEqualTo(1);

        SoakWrite inexact = new SoakWrite(
                1,
                2,
                SoakChecksTest.SITES[2],
                SoakChecksTest.DOC,
                SoakChecksTest.UPDATE,
                fixture.inserted,
                fixture.updated,
                false,
                20);
        FinalState noStamp =
                new FinalState(s.peers(), s.edges(), List.of(fixture.insert, inexact), List.of(), List.of());
        assertThat(ModelCheck.run(noStamp, (doc, held) -> Optional.empty()).documentsSkipped())
                .isEqualTo(1);
    }
}
