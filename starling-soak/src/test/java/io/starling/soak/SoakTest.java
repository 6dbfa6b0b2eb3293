package io.starling.soak;

import io.starling.testsupport.Seed;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short soak of the default build: three real peers on SQLite in child JVMs, over TCP+TLS and WebSocket through
 * fault-injecting relays, one SIGKILL and restart, then healed and checked (docs/SIMULATOR.md, "Real stack under
 * faults"). A fixed seed, then a fresh seed different in every build ({@code -Dstarling.seed=S} replays S), printed
 * with both commands that replay it: this test, and {@code bin/soak}.
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
    void aFreshSeedConvergesAndLosesNoAcknowledgedWrite(@Seed long seed) throws Exception {
        SoakRuns.runAndCheck(SoakOptions.of(SoakOptions.Profile.SHORT, seed), dir);
    }
}
