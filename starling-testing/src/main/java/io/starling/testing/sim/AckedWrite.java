package io.starling.testing.sim;

import io.starling.internal.core.Stamp;
import io.starling.internal.crdt.DocumentState;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * One acknowledged write: a statement that returned normally and changed a document. {@code before} and
 * {@code after} are the writer's stored state of the document right before and after it; {@code stamp} is the
 * write's stamp (the newest in {@code after}, newer than everything in {@code before}). The {@code after} state
 * is what every replica that received the write must include (in the join order of document states).
 */
final class AckedWrite {
    final int index;
    final int peer;
    final long site;
    final DocKey doc;
    final DocOp op;
    final Stamp stamp;
    final DocumentState before;
    final DocumentState after;
    final long time;
    /** Set when the writer evicted the document after this write: where the write had got to by then. */
    @Nullable
    Set<Integer> heldAtEviction;

    AckedWrite(
            int index,
            int peer,
            long site,
            DocKey doc,
            DocOp op,
            Stamp stamp,
            DocumentState before,
            DocumentState after,
            long time) {
        this.index = index;
        this.peer = peer;
        this.site = site;
        this.doc = doc;
        this.op = op;
        this.stamp = stamp;
        this.before = before;
        this.after = after;
        this.time = time;
    }

    /** A copy (the checker's tests plant failures in copies). */
    AckedWrite copy() {
        AckedWrite w = new AckedWrite(index, peer, site, doc, op, stamp, before, after, time);
        w.heldAtEviction = heldAtEviction == null ? null : new TreeSet<>(heldAtEviction);
        return w;
    }

    public int index() {
        return index;
    }

    public DocKey doc() {
        return doc;
    }

    @Override
    public String toString() {
        return "write #" + index + " by peer " + peer + " at " + stamp + " to " + doc + ": " + op;
    }
}
