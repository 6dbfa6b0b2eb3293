package io.starling.internal.storage;

import static io.starling.internal.storage.CrashWriterMain.COUNTER;
import static io.starling.internal.storage.CrashWriterMain.DOCS;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.storage.DocumentStorage.Row;
import io.starling.internal.storage.SqliteStorage.Durability;
import io.starling.testsupport.ChildJvm;
import io.starling.testsupport.Seed;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acknowledged writes survive SIGKILL. A child JVM ({@link CrashWriterMain}) commits small transactions in a loop and
 * acknowledges each on stdout once {@code write()} returned; after a random number of acknowledgements (seeded) the
 * test kills it with {@link Process#destroyForcibly()} (SIGKILL on Linux), reopens the directory and checks that
 * every acknowledged transaction is there, intact, that transactions are atomic (no gap, the counter row matches the
 * last document), and that sequence numbers continue above the last acknowledged one. Both durability modes are
 * exercised: each survives a process crash (NORMAL only gives up on power loss).
 *
 * <p>The seed is printed, and named in a failure with the command that replays it ({@code -Dstarling.seed=…},
 * docs/TESTING.md).
 */
final class CrashDurabilityTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    @Test
    @Timeout(180)
    void acknowledgedWritesSurviveSigkill(@Seed long seed) throws Exception {
        killCycles(seed, 20, 120);
    }

    @Test
    @Tag("slow")
    @Timeout(3600)
    void acknowledgedWritesSurviveManySigkills(@Seed long seed) throws Exception {
        killCycles(seed, 300, 2000);
    }

    private void killCycles(long seed, int cycles, int maxAcksBeforeKill) throws Exception {
        System.out.println("CrashDurabilityTest: " + cycles + " kill cycles, seed=" + seed);
        Random random = new Random(seed);
        Path dir = tmp.resolve("db");
        long next = 1; // the first document number of the next child
        long lastAckedCounter = 0;
        long lastAckedSequence = 0;
        for (int cycle = 0; cycle < cycles; cycle++) {
            Durability durability = random.nextBoolean() ? Durability.FULL : Durability.NORMAL;
            // now and then kill before the first acknowledgement: during start-up, open or WAL recovery
            int acksBeforeKill = random.nextInt(8) == 0 ? 0 : 1 + random.nextInt(maxAcksBeforeKill);
            String context = "seed=" + seed + " cycle=" + cycle + " durability=" + durability + " kill after "
                    + acksBeforeKill + " acks";
            try (ChildJvm child = ChildJvm.builder(CrashWriterMain.class)
                    .fastStart()
                    .jvmOptions("-Xmx128m")
                    .temporaryFiles(tmp.resolve("child-tmp"))
                    .args(dir.toString(), durability.name(), Long.toString(next))
                    .start()) {
                List<long[]> acks = new ArrayList<>();
                while (acks.size() < acksBeforeKill) {
                    String line = child.nextLine(DEADLINE);
                    assertThat(line)
                            .as("child output (%s)%n%s", context, child.describeOutput())
                            .isNotNull();
                    acks.add(parseAck(line, context));
                }
                child.kill();
                // lines written before the kill were acknowledged too; a torn last line was not
                for (String line = child.nextLine(DEADLINE); line != null; line = child.nextLine(DEADLINE)) {
                    if (line.endsWith(" END")) {
                        acks.add(parseAck(line, context));
                    }
                }
                for (long[] ack : acks) {
                    assertThat(ack[0]).as(context).isGreaterThan(lastAckedCounter);
                    assertThat(ack[1]).as(context).isGreaterThan(lastAckedSequence);
                    lastAckedCounter = ack[0];
                    lastAckedSequence = ack[1];
                }
            }
            long[] after = verifyAndWrite(dir, cycle, lastAckedCounter, lastAckedSequence, context);
            next = after[0] + 1;
            lastAckedSequence = after[1];
        }
        System.out.println("CrashDurabilityTest: " + (next - 1) + " documents committed, last acknowledged "
                + lastAckedCounter + ", seed=" + seed);
    }

    private static long[] parseAck(String line, String context) {
        String[] parts = line.split(" ");
        assertThat(parts).as("ack line '%s' (%s)", line, context).hasSize(4);
        assertThat(parts[0]).isEqualTo("ACK");
        assertThat(parts[3]).isEqualTo("END");
        return new long[] {Long.parseLong(parts[1]), Long.parseLong(parts[2])};
    }

    /**
     * Reopens the store, checks it, then writes once more: the new row must get a sequence number above every
     * acknowledged one. Returns the number of the last committed document and that new sequence number.
     */
    private static long[] verifyAndWrite(
            Path dir, int cycle, long lastAckedCounter, long lastAckedSequence, String context) {
        try (SqliteStorage storage = SqliteStorage.open(dir, SqliteStorage.Options.defaults())) {
            long committed = storage.read(tx -> {
                Row counter = tx.get(COUNTER, CrashWriterMain.id(0));
                long last =
                        counter == null ? 0 : ByteBuffer.wrap(counter.state()).getLong();
                assertThat(last)
                        .as("last committed transaction (%s)", context)
                        .isGreaterThanOrEqualTo(lastAckedCounter);
                List<Long> numbers = new ArrayList<>();
                tx.scan(DOCS, false, row -> {
                    long n = Long.parseLong(new String(row.id(), StandardCharsets.US_ASCII));
                    assertThat(row.state())
                            .as("document %d intact (%s)", n, context)
                            .isEqualTo(CrashWriterMain.state(n));
                    assertThat(row.live()).isTrue();
                    numbers.add(n);
                    return true;
                });
                numbers.sort(null); // ids are decimal strings: byte order is not numeric order
                for (int i = 0; i < numbers.size(); i++) {
                    assertThat(numbers.get(i))
                            .as("documents 1..%d without a gap (%s)", last, context)
                            .isEqualTo(i + 1L);
                }
                assertThat((long) numbers.size())
                        .as("documents present (%s)", context)
                        .isEqualTo(last);
                assertThat(tx.countLive(DOCS)).isEqualTo(last);
                assertThat(tx.lastSequence()).as(context).isGreaterThanOrEqualTo(lastAckedSequence);
                return last;
            });
            long seq = storage.write(tx -> tx.put("parent", CrashWriterMain.id(cycle), true, new byte[] {1}));
            assertThat(seq).as(context).isGreaterThan(lastAckedSequence);
            return new long[] {committed, seq};
        }
    }
}
