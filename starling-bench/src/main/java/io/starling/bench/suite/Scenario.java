package io.starling.bench.suite;

import java.util.List;

/** One scenario of the suite: measures every system it covers, once per call. */
interface Scenario {
    /** "S0" … "S7". */
    String id();

    /** What the scenario measures, printed above its table. */
    String title();

    /** Whether to run at {@code n} (some scenarios only make sense, or only fit the time, at some sizes). */
    default boolean appliesTo(int n, Context ctx) {
        return true;
    }

    /** How many measured runs to make of the requested number (deterministic scenarios run once). */
    default int runs(int requested) {
        return requested;
    }

    /** One run at size {@code n}; records of every system. A system that fails gives an error record. */
    List<BenchRecord> run(Context ctx, int n) throws Exception;

    /** One system's measurement. */
    @FunctionalInterface
    interface Measure {
        List<BenchRecord> run() throws Exception;
    }

    /** Adds {@code measure}'s records to {@code out}, or an error record for {@code system} if it fails. */
    default void measure(List<BenchRecord> out, String system, int n, Measure measure) {
        try {
            out.addAll(measure.run());
        } catch (Exception | Error e) {
            out.add(BenchRecord.error(id(), system, n, e.toString()));
        }
    }
}
