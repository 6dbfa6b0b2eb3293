package io.starling.soak;

import io.starling.internal.core.Stamp;
import io.starling.internal.crdt.DocumentState;
import org.jspecify.annotations.Nullable;

/**
 * One acknowledged write: a statement whose reply came back saying it changed its document. {@code before} and
 * {@code after} are the writer's stored states of the document read right before and right after the statement.
 *
 * <p>{@code exact} says that {@code after} is exactly the state the write left: the row still carried the
 * statement's own sequence number when it was read, so nothing merged into it in between. Otherwise a merge from a
 * peer landed between the statement and the read, and {@code after} includes that too (it is then a state the writer
 * held after the write: still what every replica that must agree with the writer has to include). {@code before}
 * may likewise miss a merge that landed between the read and the statement; it only says what the writer knew at
 * least.
 *
 * @param index the write's place in acknowledgement order (over all peers; the soak acknowledges one at a time)
 * @param atMillis when it was acknowledged, from the start of the chaos phase
 */
record SoakWrite(
        int index,
        int peer,
        long site,
        DocRef doc,
        SoakPlan.Stmt stmt,
        DocumentState before,
        DocumentState after,
        boolean exact,
        long atMillis) {

    /** The write's stamp (its clock value and site) when {@code after} is exact: the newest stamp in it; else null. */
    @Nullable
    Stamp stamp() {
        return exact ? after.maxStamp() : null;
    }

    @Override
    public String toString() {
        return "write #" + index + " by peer " + peer + " at +" + atMillis + " ms to " + doc + ": " + stmt
                + (exact ? " (stamp " + stamp() + ")" : " (state read after a merge)");
    }
}
