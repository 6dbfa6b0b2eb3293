package io.starling.testing.sim;

/** The faults the simulator can inject; each one is enabled or not by {@link SimulationOptions#faults()}. */
enum Fault {
    /** Long delivery delays (hundreds of milliseconds to seconds) on top of the normal 1–30 ms. */
    DELAY,
    /** A message's delivery time is drawn on its own, so it may overtake earlier ones on its connection. */
    REORDER,
    /** A message is delivered twice. */
    DUPLICATE,
    /** A message is never delivered; the sessions notice (gap, timeout) and close. */
    DROP,
    /** A live connection is cut, both sessions and everything in flight are lost; it reconnects later. */
    DISCONNECT,
    /** The peers split in two groups that cannot reach each other, until the partition heals. */
    PARTITION,
    /** Messages from one group of peers to the other are lost, not the other way, until it heals. */
    ONE_WAY_PARTITION,
    /** A peer crashes (sessions and in-flight messages lost, durable store kept) and restarts later. */
    CRASH,
    /** Peers' clocks disagree (up to ±1 h, one peer possibly hours ahead): writes too far ahead are refused. */
    CLOCK_SKEW;

    /** The option spelling: {@code one-way-partition}. */
    public String optionName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    public static Fault fromOptionName(String s) {
        for (Fault f : values()) {
            if (f.optionName().equals(s)) return f;
        }
        throw new IllegalArgumentException("unknown fault '" + s + "'; known: "
                + java.util.Arrays.stream(values())
                        .map(Fault::optionName)
                        .reduce((a, b) -> a + ", " + b)
                        .orElse(""));
    }
}
