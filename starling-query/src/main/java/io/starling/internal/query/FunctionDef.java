package io.starling.internal.query;

import io.starling.internal.core.Value;
import java.util.List;

/**
 * A built-in scalar function: its canonical name, arity and implementation. Resolved once, at parse time.
 *
 * <p>When {@link #absentPropagates} is true (most functions), a MISSING argument makes the result MISSING and
 * otherwise a NULL argument makes it NULL, before the implementation runs; the implementation then sees present
 * values only and returns NULL for arguments of the wrong type (the N1QL convention).
 */
final class FunctionDef {

    /** Evaluates the function on already-evaluated arguments. Must be pure and thread-safe. */
    interface Impl {
        Value apply(Env env, Value[] args);
    }

    /**
     * Specialises an implementation for one call site at parse time (for example to compile a constant regular
     * expression once). May throw {@link IllegalArgumentException} with a message for an invalid constant
     * argument; the parser reports it as INVALID at the call.
     */
    interface Binder {
        Impl bind(List<Node> args);
    }

    final String name;
    final int minArgs;
    /** -1 for no upper bound. */
    final int maxArgs;

    final boolean absentPropagates;
    final Binder binder;

    FunctionDef(String name, int minArgs, int maxArgs, boolean absentPropagates, Binder binder) {
        this.name = name;
        this.minArgs = minArgs;
        this.maxArgs = maxArgs;
        this.absentPropagates = absentPropagates;
        this.binder = binder;
    }

    boolean accepts(int n) {
        return n >= minArgs && (maxArgs < 0 || n <= maxArgs);
    }

    String arity() {
        if (minArgs == maxArgs) return minArgs + (minArgs == 1 ? " argument" : " arguments");
        if (maxArgs < 0) return "at least " + minArgs + (minArgs == 1 ? " argument" : " arguments");
        return minArgs + " to " + maxArgs + " arguments";
    }

    @Override
    public String toString() {
        return name;
    }
}
