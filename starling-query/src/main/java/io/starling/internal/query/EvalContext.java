package io.starling.internal.query;

import io.starling.internal.core.Value;
import java.util.Map;
import java.util.Objects;

/**
 * What an execution needs from outside the statement: the named arguments ({@code :name} → value) and the
 * current time in epoch milliseconds (what {@code clock()} returns; the query layer never reads a clock).
 * Immutable; the map is copied.
 */
public record EvalContext(Map<String, Value> arguments, long nowMillis) {
    public EvalContext {
        Objects.requireNonNull(arguments, "arguments");
        arguments = Map.copyOf(arguments);
    }

    /** No arguments, at the given time. */
    public static EvalContext at(long nowMillis) {
        return new EvalContext(Map.of(), nowMillis);
    }
}
