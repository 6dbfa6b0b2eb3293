package io.starling.soak;

import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short soak of the default build: three real peers on SQLite in child JVMs, over TCP+TLS and WebSocket through
 * fault-injecting relays, one SIGKILL and restart, then healed and checked (docs/SIMULATOR.md, "Real stack under
 * faults"). A fixed seed, then a fresh seed different in every build, printed with the command that replays it;
 * {@code -Dstarling.soak.seed=S} runs seed S instead of a fresh one.
 */
class SoakTest {
    static final long FIXED_SEED = 1;

    @TempDir
    Path dir;

    @Test
    void aFixedSeedConvergesAndLosesNoAcknowledgedWrite() throws Exception {
        SoakRuns.runAndCheck(SoakOptions.of(SoakOptions.Profile.SHORT, FIXED_SEED), dir);
    }

    @Test
    void aFreshSeedConvergesAndLosesNoAcknowledgedWrite() throws Exception {
        String fixed = System.getProperty("starling.soak.seed");
        long seed = fixed != null && !fixed.isBlank()
                ? Long.parseLong(fixed.trim())
                : ThreadLocalRandom.current().nextLong(1_000_000L, 1L << 40);
        SoakRuns.runAndCheck(SoakOptions.of(SoakOptions.Profile.SHORT, seed), dir);
    }
}
