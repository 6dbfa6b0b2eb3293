package io.starling.testing.model;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One effect of a write on one path (docs/DATA-MODEL.md, "The merge rules"): make it an {@link Kind#OBJECT}; assign
 * it a {@link Kind#VALUE} (a scalar or array), {@link Kind#REMOVE} it (UNSET; DELETE at the root) or
 * {@link Kind#RESTART} its counter; or {@link Kind#INCREMENT} it. An increment carries the clear its writer saw
 * ({@code basis}: the latest assignment of the path or an ancestor in the writer's view): it counts only while that
 * is still the path's clear.
 */
public record Effect(
        List<String> path,
        Kind kind,
        @Nullable Object value,
        @Nullable ModelStamp basis) {
    public enum Kind {
        OBJECT,
        VALUE,
        REMOVE,
        RESTART,
        INCREMENT
    }

    public Effect {
        path = List.copyOf(path);
    }

    boolean isAssignment() {
        return kind == Kind.VALUE || kind == Kind.REMOVE || kind == Kind.RESTART;
    }

    Effect stamped(ModelStamp stamp) {
        return basis != null && basis.equals(ModelStamp.PENDING) ? new Effect(path, kind, value, stamp) : this;
    }

    @Override
    public String toString() {
        String p = path.isEmpty() ? "<root>" : String.join(".", path);
        return p + " " + kind + (value == null && kind != Kind.VALUE ? "" : " " + ModelValues.text(value))
                + (basis == null ? "" : " (basis " + basis + ")");
    }
}
