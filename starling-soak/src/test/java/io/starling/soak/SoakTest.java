package io.starling.soak;

import io.starling.testsupport.Seed;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short soak of the default build: three real peers on SQLite in child JVMs, over TCP+TLS and WebSocket through
 * fault-injecting relays, one SIGKILL and restart, then healed and checked (docs/SIMULATOR.md, "Real stack under
 * faults"). One fresh seed, different in every build ({@code -Dstarling.seed=S} replays S), printed with both commands
 * that replay it: this test, and {@code bin/soak}. The fixed short seed runs with the long ones in {@link
 * SlowSoakTest}: a run costs about 20 s of the default build, mostly starting JVMs, and a fresh seed explores where a
 * fixed one only repeats.
 */
class SoakTest {
    @TempDir
    Path dir;

    @Test
    void aFreshSeedConvergesAndLosesNoAcknowledgedWrite(@Seed long seed) throws Exception {
        SoakRuns.runAndCheck(SoakOptions.of(SoakOptions.Profile.SHORT, seed), dir);
    }
}
