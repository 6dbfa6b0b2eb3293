package io.starling.testing.model;

import java.util.List;

/**
 * One acknowledged write to one document: an identity ({@code id}, unique within a run), its stamp, and its
 * effects (which the model derived from the statement and what the writer knew). {@code label} says what it was,
 * for reports. Writes are equal when their ids are.
 */
public record ModelWrite(int id, ModelStamp stamp, List<Effect> effects, String label) {
    public ModelWrite {
        effects = List.copyOf(effects);
        if (effects.isEmpty()) throw new IllegalArgumentException("a write has at least one effect");
    }

    /** A DELETE (its only effect removes the root). */
    public boolean isDelete() {
        return effects.size() == 1
                && effects.get(0).path().isEmpty()
                && effects.get(0).kind() == Effect.Kind.REMOVE;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelWrite w && w.id == id;
    }

    @Override
    public int hashCode() {
        return id;
    }

    @Override
    public String toString() {
        return "write #" + id + " at " + stamp + " (" + label + ")";
    }
}
