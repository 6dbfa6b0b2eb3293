package io.starling.bench.suite;

import org.jspecify.annotations.Nullable;

/**
 * One measured figure: {@code {"scenario", "system", "n", "metric", "value", "unit"}}. {@code value} is a
 * {@link Number} or, for the units {@code text} and {@code error}, a {@link String}.
 */
record BenchRecord(String scenario, String system, int n, String metric, Object value, String unit) {
    public static BenchRecord of(String scenario, String system, int n, String metric, double value, String unit) {
        return new BenchRecord(scenario, system, n, metric, value, unit);
    }

    /** A count of bytes or documents: recorded as a double, like every other figure (exact below 2^53). */
    public static BenchRecord of(String scenario, String system, int n, String metric, long value, String unit) {
        return of(scenario, system, n, metric, (double) value, unit);
    }

    public static BenchRecord text(String scenario, String system, int n, String metric, String value) {
        return new BenchRecord(scenario, system, n, metric, value, "text");
    }

    public static BenchRecord error(String scenario, String system, int n, String message) {
        return new BenchRecord(scenario, system, n, "error", message, "error");
    }

    public boolean numeric() {
        return value instanceof Number;
    }

    public double number() {
        return ((Number) value).doubleValue();
    }

    /** Whether a larger value is better for this unit (throughput), false for times, bytes and memory. */
    public static @Nullable Boolean higherIsBetter(@Nullable String unit) {
        if (unit == null) return null;
        if (unit.endsWith("/s")) return true;
        if (unit.equals("bool") || unit.equals("text") || unit.equals("error") || unit.equals("count")) return null;
        return false;
    }
}
