package io.starling.soak;

import io.starling.internal.core.Stamp;
import io.starling.internal.crdt.DocumentState;
import io.starling.testing.check.ModelComparison;
import io.starling.testing.check.Observed;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Check (c): at every replica, the visible document equals what the reference model computes from the acknowledged
 * writes that replica holds (a write is held where its resulting state is included in the replica's state).
 *
 * <p>Documents the check cannot judge are counted, not compared: one touched by a statement that a SIGKILL left
 * without an answer (it may or may not have committed, and the model would have to guess), one with a write whose
 * stamp is unknown (a merge landed between the statement and the read of its result), and replicas that evicted the
 * document (an eviction may discard writes that never left).
 */
final class ModelCheck {
    /** What check (c) found, and how much it compared. */
    record Result(List<String> problems, int comparisons, int documentsSkipped) {
        boolean passed() {
            return problems.isEmpty();
        }
    }

    private ModelCheck() {}

    static Result run(FinalState s, MergeModel model) {
        List<String> problems = new ArrayList<>();
        int comparisons = 0, skipped = 0;
        Map<DocRef, List<SoakWrite>> byDoc = new TreeMap<>();
        for (SoakWrite w : s.writes())
            byDoc.computeIfAbsent(w.doc(), k -> new ArrayList<>()).add(w);
        Set<DocRef> uncertain = new TreeSet<>();
        for (FinalState.Indeterminate i : s.indeterminate()) uncertain.add(i.doc());
        TreeSet<DocRef> docs = new TreeSet<>(byDoc.keySet());
        for (FinalState.PeerState p : s.peers()) docs.addAll(p.rows().keySet());
        for (DocRef d : docs) {
            List<SoakWrite> ws = byDoc.getOrDefault(d, List.of());
            if (uncertain.contains(d) || ws.stream().anyMatch(w -> !w.exact())) {
                skipped++;
                continue;
            }
            if (ws.isEmpty()) {
                for (FinalState.PeerState p : s.peers()) {
                    if (p.rows().containsKey(d))
                        problems.add(d + ": peer " + p.index() + " holds " + SoakChecks.describe(p.state(d))
                                + " but no write to it was acknowledged");
                }
                continue;
            }
            List<MergeModel.Write> modelled = new ArrayList<>();
            for (SoakWrite w : ws) {
                Set<Integer> known = new TreeSet<>();
                for (SoakWrite v : ws) {
                    if (v.index() < w.index() && includes(w.before(), v.after())) known.add(v.index());
                }
                Stamp stamp = Objects.requireNonNull(w.stamp(), "documents with a write of unknown stamp are skipped");
                modelled.add(new MergeModel.Write(
                        w.index(), w.site(), stamp, w.stmt().op(), known));
            }
            for (FinalState.PeerState p : s.peers()) {
                DocumentState state = p.state(d);
                if (state.isEmpty() || evicted(s, p.index(), d)) continue;
                List<MergeModel.Write> held = new ArrayList<>();
                for (int i = 0; i < ws.size(); i++) {
                    if (includes(state, ws.get(i).after())) held.add(modelled.get(i));
                }
                Optional<Map<String, Object>> expected;
                try {
                    expected = model.visible(d, held);
                } catch (MergeModel.Disagreement e) {
                    if (!problems.contains(e.getMessage())) problems.add(e.getMessage());
                    continue;
                }
                Observed shown = Observed.of(p.rows().get(d));
                comparisons++;
                if (!ModelComparison.shows(expected.orElse(null), shown)) {
                    StringBuilder sb = new StringBuilder(d + " at peer " + p.index() + " "
                            + SoakChecks.shorten(ModelComparison.mismatch(expected.orElse(null), held.size(), shown)));
                    for (MergeModel.Write h : held) sb.append("\n    ").append(h);
                    problems.add(sb.toString());
                }
            }
        }
        return new Result(problems, comparisons, skipped);
    }

    private static boolean includes(DocumentState state, DocumentState part) {
        return state.merge(part).equals(state);
    }

    private static boolean evicted(FinalState s, int peer, DocRef d) {
        for (FinalState.Eviction e : s.evictions())
            if (e.peer() == peer && e.doc().equals(d)) return true;
        return false;
    }
}
