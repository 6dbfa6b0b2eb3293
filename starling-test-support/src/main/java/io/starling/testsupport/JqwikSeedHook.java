package io.starling.testsupport;

import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * For every jqwik property of a module that has this module on its test class path (registered through
 * {@code META-INF/services}): {@code -Dstarling.seed=N} runs the property with jqwik seed N (ignoring the failure
 * jqwik remembers in {@code .jqwik-database}, so the run is exactly the one N names), and a failure names the seed
 * and the command that replays it in its message — in Maven's summary of failed tests, where CI shows it, and not
 * only in jqwik's report above it.
 */
public final class JqwikSeedHook implements AroundPropertyHook {
    @Override
    public PropagationMode propagateTo() {
        return PropagationMode.ALL_DESCENDANTS;
    }

    @Override
    public int aroundPropertyProximity() {
        return -100; // outermost: sees the result as jqwik reports it
    }

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        String requested = Seeds.requested();
        if (requested != null) {
            context.attributes().setSeed(Long.toString(Seeds.draw())); // checked: a 64-bit integer
            context.attributes().setAfterFailure(AfterFailureMode.RANDOM_SEED);
        }
        PropertyExecutionResult result = property.execute();
        if (result.status() != PropertyExecutionResult.Status.FAILED) return result;
        String seed = result.seed().orElse(null);
        if (seed == null) return result;
        Throwable failure = result.throwable().orElse(null);
        String message = "jqwik seed " + seed + " (replay: "
                + Seeds.replayCommand(
                        context.containerClass(), context.targetMethod().getName(), seed) + ")"
                + (failure == null ? "" : ": " + failure);
        AssertionError named = new AssertionError(message, failure);
        named.setStackTrace(new StackTraceElement[0]);
        return result.mapToFailed(named);
    }
}
