package io.starling.internal.query;

import io.starling.internal.core.Value;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The mutable frame of one evaluation: the current row, the statement's arguments, the time, the slots of
 * {@code ANY/EVERY/ARRAY … FOR} variables and, after grouping, the current group's aggregate results.
 *
 * <p>One Env per execution, confined to the calling thread; the executor moves {@link #row} from document to
 * document, so evaluating a WHERE over a scan allocates nothing per row for the frame itself.
 */
final class Env {
    final Map<String, Value> arguments;
    final long nowMillis;
    /** Polled at the evaluator's loop points (see {@link Cancellation}). */
    final Cancellation cancellation;
    /** The document (or projected row) paths are resolved against. */
    Value row = Value.Obj.EMPTY;

    final Value[] vars;
    /** The current group's aggregate values, indexed by {@code Node.Aggregate#slot}; null outside grouping. */
    Value @Nullable [] aggregates;

    Env(EvalContext ctx, int frameSize) {
        this.arguments = ctx.arguments();
        this.nowMillis = ctx.nowMillis();
        this.cancellation = ctx.cancellation();
        this.vars = new Value[frameSize];
    }

    Value argument(String name) {
        Value v = arguments.get(name);
        return v == null ? Value.MISSING : v;
    }
}
