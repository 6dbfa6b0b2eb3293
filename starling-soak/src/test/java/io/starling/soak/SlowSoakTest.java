package io.starling.soak;

import io.starling.testsupport.Seed;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The long soak ({@code mvn -Pslow test}): the long profile — 4 to 6 peers, 3 to 6 SIGKILLs, 45 s of chaos each —
 * over seeds 1 to {@code starling.soak.slowSeeds} (default {@value #SEEDS}), then one fresh seed ({@code
 * -Dstarling.seed=S} replays S); and the short profile's fixed seed, the baseline next to the default build's fresh
 * short seed ({@link SoakTest}).
 */
@Tag("slow")
class SlowSoakTest {
    static final int SEEDS = 6;
    static final long FIXED_SHORT_SEED = 1;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void theFixedShortSeedConvergesAndLosesNoAcknowledgedWrite() throws Exception {
        SoakRuns.runAndCheck(SoakOptions.of(SoakOptions.Profile.SHORT, FIXED_SHORT_SEED), dir);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void fixedLongRunsConvergeAndLoseNoAcknowledgedWrite() throws Exception {
        int seeds = Integer.getInteger("starling.soak.slowSeeds", SEEDS);
        for (long seed = 1; seed <= seeds; seed++) {
            SoakRuns.runAndCheck(SoakOptions.of(SoakOptions.Profile.LONG, seed), dir);
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void aFreshLongRunConvergesAndLosesNoAcknowledgedWrite(@Seed long seed) throws Exception {
        SoakRuns.runAndCheck(SoakOptions.of(SoakOptions.Profile.LONG, seed), dir);
    }
}
