package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.QueryResultItem;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.testsupport.ChildJvm;
import io.starling.testsupport.Seed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A child JVM writes through the public API in a loop and is killed with SIGKILL at a random moment
 * (after a random number of acknowledged writes); after each kill the store must open and hold every
 * acknowledged write. The seed is printed and named in a failure, with the command that replays it
 * ({@code -Dstarling.seed}, docs/TESTING.md); the slow variant kills 200 times.
 */
class KillDurabilityTest {
    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedWriteSurvivesSigkill(@Seed long seed) throws Exception {
        run(20, seed);
    }

    @Test
    @Tag("slow")
    void everyAcknowledgedWriteSurvivesManySigkills(@Seed long seed) throws Exception {
        run(200, seed);
    }

    private void run(int kills, long seed) throws Exception {
        System.out.println("KillDurabilityTest: seed " + seed + ", " + kills + " kills");
        Random random = new Random(seed);
        Path ackFile = dir.resolve("acks.txt");
        long next = 1;
        for (int kill = 0; kill < kills; kill++) {
            int writesBeforeKill = 1 + random.nextInt(60);
            try (ChildJvm child = ChildJvm.builder(DurabilityChild.class)
                    .temporaryFiles(dir.resolve("child-tmp"))
                    .args(dir.resolve("db").toString(), Long.toString(next), ackFile.toString())
                    .start()) {
                assertThat(child.nextLine(START))
                        .as("child start (seed %s, kill %s)%n%s", seed, kill, child.describeOutput())
                        .isEqualTo("ready");
                for (int acks = 0; acks < writesBeforeKill; acks++) {
                    assertThat(child.nextLine(START))
                            .as("child died early (seed %s)%n%s", seed, child.describeOutput())
                            .isNotNull();
                }
                child.kill(); // SIGKILL: no shutdown hooks, no close()
            }
            // every write the child acknowledged, up to the moment it died, is in the acknowledgement file
            Set<Long> docs = new HashSet<>();
            long increments = 0;
            for (String line : Files.readAllLines(ackFile)) {
                long n = Long.parseLong(line.substring(4));
                if (line.startsWith("doc ")) docs.add(n);
                else increments++;
                next = Math.max(next, n + 2); // +2: a write may have committed without its acknowledgement
            }
            verify(docs, increments, seed, kill);
        }
    }

    private void verify(Set<Long> docs, long increments, long seed, int kill) {
        try (Starling db = Starling.open(
                StarlingConfig.builder().databaseDirectory(dir.resolve("db")).build())) {
            Set<Long> present = new HashSet<>();
            for (QueryResultItem item :
                    db.store().execute("SELECT _id, payload, n FROM docs").items()) {
                Map<String, Object> v = item.value();
                long id = (Long) v.get("_id");
                assertThat(v.get("n")).as("intact document %s", id).isEqualTo(id);
                assertThat(((String) v.get("payload")).length()).isEqualTo((int) (id % 200));
                present.add(id);
            }
            assertThat(present).as("seed %s, after kill %s", seed, kill).containsAll(docs);
            long n = (Long) db.store()
                    .execute("SELECT n FROM counters")
                    .items()
                    .get(0)
                    .value()
                    .getOrDefault("n", 0L);
            // an increment may have committed just before the kill without being acknowledged
            assertThat(n).as("counter (seed %s)", seed).isBetween(increments, increments + kill + 1);
        }
    }
}
