package io.starling.testing.model;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a statement does to one document, given what its writer knew ({@link DocumentModel#plan}): it writes (and
 * then {@link #effects} are its effects, to be {@link #bind bound} to the stamp the engine gave it), changes nothing
 * although it matched, does not match (the document does not exist for an UPDATE or DELETE), or is refused — an id
 * conflict, or an invalid write (an INCREMENT of a non-number or beyond the float range); a refused statement
 * writes nothing at all, in any document.
 */
public record Plan(
        Outcome outcome, List<Effect> effects, @Nullable String reason) {
    public enum Outcome {
        WRITE,
        NO_CHANGE,
        NOT_MATCHED,
        REFUSED_CONFLICT,
        REFUSED_INVALID
    }

    public Plan {
        effects = List.copyOf(effects);
        if ((outcome == Outcome.WRITE) == effects.isEmpty())
            throw new IllegalArgumentException(outcome + " with " + effects.size() + " effects");
    }

    static Plan of(Outcome outcome, String reason) {
        return new Plan(outcome, List.of(), reason);
    }

    public boolean writes() {
        return outcome == Outcome.WRITE;
    }

    public boolean refused() {
        return outcome == Outcome.REFUSED_CONFLICT || outcome == Outcome.REFUSED_INVALID;
    }

    /** The write, once the engine stamped it (the stamp must be above everything the writer knew). */
    public ModelWrite bind(int id, ModelStamp stamp, String label) {
        if (!writes()) throw new IllegalStateException("a " + outcome + " plan writes nothing");
        List<Effect> out = new ArrayList<>(effects.size());
        for (Effect e : effects) out.add(e.stamped(stamp));
        return new ModelWrite(id, stamp, out, label);
    }

    @Override
    public String toString() {
        return outcome + (effects.isEmpty() ? "" : " " + effects) + (reason == null ? "" : " (" + reason + ")");
    }
}
