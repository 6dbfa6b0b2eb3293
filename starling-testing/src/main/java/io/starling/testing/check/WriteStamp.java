package io.starling.testing.check;

import io.starling.testing.model.EncodedState;
import io.starling.testing.model.ModelStamp;
import org.jspecify.annotations.Nullable;

/**
 * What an acknowledged write left in its writer's state, read with the model's own codec reader ({@link
 * EncodedState}): the newest stamp before it and after it. A write that says it changed a document must have stored
 * something new of its own — a newest stamp above everything before it, of the writer's site — or it stored nothing:
 * the check both the simulator and the soak make of every acknowledged write.
 *
 * @param previous the newest stamp in the state before the write ({@link ModelStamp#ZERO}: no row)
 * @param newest the newest stamp in the state after it ({@link ModelStamp#ZERO}: no row)
 */
public record WriteStamp(ModelStamp previous, ModelStamp newest) {

    /** Reads the writer's encoded states right before and right after the write (null: no row). */
    public static WriteStamp read(byte @Nullable [] before, byte @Nullable [] after) {
        return new WriteStamp(
                before == null ? ModelStamp.ZERO : EncodedState.newest(before),
                after == null ? ModelStamp.ZERO : EncodedState.newest(after));
    }

    /** The write stored a new stamp: the newest after it is above everything before it. */
    public boolean storedNew() {
        return newest.after(previous);
    }

    /** Null when the write stored a new stamp of {@code site}; else what is wrong, for a report. */
    public @Nullable String problem(long site) {
        if (!storedNew())
            return "stored nothing new (the newest stamp after it is " + newest + ", before it " + previous + ")";
        if (newest.site() != site)
            return "the new stamp " + newest + " is not of the writer's site " + Long.toUnsignedString(site, 16);
        return null;
    }
}
