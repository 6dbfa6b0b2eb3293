package io.starling.testsupport;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.opentest4j.TestAbortedException;

/**
 * Resolves {@link Seed} parameters: draws the seed ({@link Seeds#draw}), prints it with the command that replays it,
 * and names both in the failure of the test, so that they appear in Maven's summary of failed tests, not only in
 * the test's output. Registered by {@link Seed} itself.
 */
public final class SeedExtension implements ParameterResolver, TestExecutionExceptionHandler {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SeedExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.isAnnotated(Seed.class)
                && (parameter.getParameter().getType() == long.class
                        || parameter.getParameter().getType() == Long.class);
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        long seed = Seeds.draw();
        String replay = replay(context, seed);
        context.getStore(NAMESPACE).put("replay", "seed " + seed + " (replay: " + replay + ")");
        System.out.println(context.getRequiredTestClass().getSimpleName() + "."
                + context.getRequiredTestMethod().getName()
                + ": seed " + seed + (Seeds.requested() != null ? " (from -D" + Seeds.PROPERTY + ")" : "")
                + "; replay: " + replay);
        return seed;
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        String replay = context.getStore(NAMESPACE).get("replay", String.class);
        if (replay == null || failure instanceof TestAbortedException) throw failure;
        AssertionError named = new AssertionError(replay + ": " + failure, failure);
        named.setStackTrace(new StackTraceElement[0]); // the cause's trace is the one that matters
        throw named;
    }

    private static String replay(ExtensionContext context, long seed) {
        return Seeds.replayCommand(
                context.getRequiredTestClass(), context.getRequiredTestMethod().getName(), Long.toString(seed));
    }
}
