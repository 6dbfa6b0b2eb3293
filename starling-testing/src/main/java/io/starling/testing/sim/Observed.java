package io.starling.testing.sim;

import io.starling.internal.crdt.DocumentState;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What a replica shows of one stored row, as the engine reads it: whether the row is live and its visible document
 * (plain Java values, as queries return them). This is the one place the simulator decodes the engine's document
 * states — to observe them, never to compute what they should be (that is the model's job, in
 * {@code io.starling.testing.model}, which does not use the engine).
 */
record Observed(
        boolean live,
        @Nullable Map<String, Object> document,
        @Nullable DocumentState state) {
    static final Observed NONE = new Observed(false, null, null);

    @SuppressWarnings("unchecked")
    static Observed of(byte @Nullable [] state) {
        if (state == null) return NONE;
        DocumentState st = DocumentState.decode(state);
        Map<String, Object> doc = st.exists()
                ? (Map<String, Object>) java.util.Objects.requireNonNull(
                        java.util.Objects.requireNonNull(st.fields()).toJava())
                : null;
        return new Observed(st.exists(), doc, st);
    }

    /** The engine's own account of the state (its tree, with stamps), for reports. */
    String internals() {
        return state == null ? "no row" : state.toString().replace("\n", " ").trim();
    }

    boolean held() {
        return state != null;
    }

    @Override
    public String toString() {
        if (!held()) return "no row";
        return (live ? "live " + io.starling.testing.model.ModelValues.text(document) : "tombstone") + " | "
                + internals();
    }
}
