package io.starling.soak;

import io.starling.internal.core.Stamp;
import io.starling.testing.model.ModelOp;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The soak's view of the reference model of the merge contract (docs/DATA-MODEL.md): a narrow interface, so that the
 * independent model of {@code starling-testing} plugs in behind it ({@link ReferenceModelAdapter}) and the soak does
 * not care how it is built.
 *
 * <p>The question is always the same: a replica holds these acknowledged writes to one document — what must it
 * show? The soak answers "which writes does a replica hold" from the states (a write is held where its resulting
 * state is included), and compares the model's answer with the replica's visible document ({@link ModelCheck}).
 */
interface MergeModel {

    /**
     * One acknowledged write, as issued: the writer, the write's stamp, the statement in its own terms, and what the
     * writer held of the document when it wrote (the model needs it where the effect depends on the writer's view:
     * INCREMENT of a plain number, UNSET under a non-object, DO UPDATE_LOCAL_DIFF).
     *
     * @param index the write's number in acknowledgement order (the soak's {@link SoakWrite#index()})
     * @param site the writer's site id
     * @param stamp the write's stamp (clock value and site): the total order of writes
     * @param op what the statement asked for (the op the statement was rendered from)
     * @param knownBefore the indexes of the earlier writes to this document that the writer's state held before it
     */
    record Write(int index, long site, Stamp stamp, ModelOp op, Set<Integer> knownBefore) {
        @Override
        public String toString() {
            return "write #" + index + " by site " + Long.toUnsignedString(site, 16) + " at " + stamp + ": "
                    + SoakPlan.summary(op) + ", its writer holding " + knownBefore;
        }
    }

    /**
     * The document a replica shows when it holds exactly {@code held} of the acknowledged writes to {@code doc} (in
     * acknowledgement order), without {@code _id}; empty when the document does not exist there (never inserted, or
     * deleted and not inserted again). Values are plain Java values (null, Boolean, Long, Double, String, List, Map).
     *
     * @throws Disagreement when the model says one of the held writes writes nothing
     */
    Optional<Map<String, Object>> visible(DocRef doc, List<Write> held);

    /**
     * The model disagrees with an acknowledged write itself: by its rules the statement, given what its writer held,
     * does not write the document (it changes nothing, does not match or is refused), while the engine answered that
     * it changed it. {@link ModelCheck} reports it as a problem of check (c).
     */
    final class Disagreement extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Disagreement(String message) {
            super(message);
        }
    }
}
