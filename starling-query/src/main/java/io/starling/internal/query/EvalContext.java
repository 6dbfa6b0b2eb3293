package io.starling.internal.query;

import io.starling.internal.core.Value;
import java.util.Map;
import java.util.Objects;

/**
 * What an execution needs from outside the statement: the named arguments ({@code :name} → value), the current time
 * in epoch milliseconds (what {@code clock()} returns; the query layer never reads a clock) and the
 * {@link Cancellation} the evaluator polls to learn that it must stop. Immutable; the map is copied (not when it
 * is an {@link Arguments} already).
 */
public record EvalContext(Map<String, Value> arguments, long nowMillis, Cancellation cancellation) {
    public EvalContext {
        Objects.requireNonNull(arguments, "arguments");
        Objects.requireNonNull(cancellation, "cancellation");
        arguments = Arguments.copyOf(arguments);
    }

    /** An execution that nothing stops ({@link Cancellation#NONE}). */
    public EvalContext(Map<String, Value> arguments, long nowMillis) {
        this(arguments, nowMillis, Cancellation.NONE);
    }

    /** No arguments, at the given time. */
    public static EvalContext at(long nowMillis) {
        return new EvalContext(Map.of(), nowMillis);
    }
}
