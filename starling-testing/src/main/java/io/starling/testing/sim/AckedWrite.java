package io.starling.testing.sim;

import io.starling.testing.model.ModelOp;
import io.starling.testing.model.ModelWrite;
import org.jspecify.annotations.Nullable;

/**
 * One acknowledged write: a statement that returned normally and, by the model, wrote a document. {@code write} is
 * the model's write (its stamp, read from the writer's state right after it, and its effects, derived from the
 * statement and from the model of what the writer knew); {@code op} is what the statement asked; {@code before} and
 * {@code after} are the writer's stored states around it (diagnosis, and planted failures in tests).
 */
final class AckedWrite {
    final int index;
    final int peer;
    final long site;
    final DocKey doc;
    final ModelOp op;
    final ModelWrite write;
    final byte @Nullable [] before; // null: the writer held no row
    final byte[] after;
    final long time;

    AckedWrite(
            int index,
            int peer,
            long site,
            DocKey doc,
            ModelOp op,
            ModelWrite write,
            byte @Nullable [] before,
            byte[] after,
            long time) {
        this.index = index;
        this.peer = peer;
        this.site = site;
        this.doc = doc;
        this.op = op;
        this.write = write;
        this.before = before;
        this.after = after;
        this.time = time;
    }

    public int index() {
        return index;
    }

    public DocKey doc() {
        return doc;
    }

    @Override
    public String toString() {
        return "write #" + index + " by peer " + peer + " at " + write.stamp() + " to " + doc + ": " + write.label();
    }
}
