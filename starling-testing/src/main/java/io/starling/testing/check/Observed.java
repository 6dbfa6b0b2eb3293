package io.starling.testing.check;

import io.starling.internal.crdt.DocumentState;
import io.starling.testing.model.ModelValues;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a replica shows of one stored row, as the engine reads it: whether it holds a row, whether the row is live
 * and its visible document (plain Java values without {@code _id}, as queries return them). This is where the
 * checkers decode the engine's document states — to observe them, never to compute what they should be (that is the
 * model's job, in {@code io.starling.testing.model}, which does not use the engine). Immutable.
 */
public record Observed(
        boolean live,
        @Nullable Map<String, Object> document,
        @Nullable DocumentState state) {
    /** No row. */
    public static final Observed NONE = new Observed(false, null, null);

    /** What an encoded state shows; null: no row. */
    @SuppressWarnings("unchecked")
    public static Observed of(byte @Nullable [] state) {
        if (state == null) return NONE;
        DocumentState st = DocumentState.decode(state);
        Map<String, Object> doc = st.exists()
                ? (Map<String, Object>) Objects.requireNonNull(
                        Objects.requireNonNull(st.fields()).toJava())
                : null;
        return new Observed(st.exists(), doc, st);
    }

    /** The engine's own account of the state (its tree, with stamps), for reports. */
    public String internals() {
        return state == null ? "no row" : state.toString().replace("\n", " ").trim();
    }

    /** The replica holds a row (live or a tombstone). */
    public boolean held() {
        return state != null;
    }

    @Override
    public String toString() {
        if (!held()) return "no row";
        return (live ? "live " + ModelValues.text(document) : "tombstone") + " | " + internals();
    }
}
