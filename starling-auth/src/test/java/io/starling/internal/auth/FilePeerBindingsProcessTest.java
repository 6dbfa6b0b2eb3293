package io.starling.internal.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.auth.PeerBindings.Outcome;
import io.starling.testsupport.ChildJvm;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two processes on one bindings file, as the authority peer and {@code starling authority release} are: the lock file
 * keeps their read-modify-write cycles apart, so of two claims of one id for two users in two JVMs exactly one binds
 * it, and no binding written by one is lost by the other's rewrite.
 */
class FilePeerBindingsProcessTest {
    static final Instant T = Instant.parse("2026-12-06T01:00:00Z");
    static final int IDS = 150;

    @TempDir
    Path dir;

    /** Claims peer ids 1..IDS for user "child", printing "ready" first and then "id outcome" per id. */
    public static final class Claimer {
        public static void main(String[] args) {
            FilePeerBindings b = FilePeerBindings.inDirectory(Path.of(args[0]));
            System.out.println("ready");
            System.out.flush();
            for (long id = 1; id <= IDS; id++) {
                System.out.println(
                        id + " " + b.claim(id, "child", "c".repeat(64), T).outcome());
            }
            System.out.println("done");
            System.out.flush();
        }
    }

    @Test
    void claimsFromTwoProcessesBindEachIdOnceAndLoseNothing() throws Exception {
        Map<Long, Outcome> mine = new HashMap<>();
        try (ChildJvm child =
                ChildJvm.builder(Claimer.class).args(dir.toString()).start()) {
            assertThat(child.nextLine(Duration.ofSeconds(60))).isEqualTo("ready");
            FilePeerBindings b = FilePeerBindings.inDirectory(dir);
            for (long id = IDS; id >= 1; id--)
                mine.put(id, b.claim(id, "parent", "d".repeat(64), T).outcome());
            child.awaitLine(
                    ChildJvm.Output.STDOUT, "the child's last claim", Duration.ofSeconds(120), l -> l.equals("done"));
            assertThat(child.awaitExit(Duration.ofSeconds(30))).isZero();
            List<String> lines = child.lines(ChildJvm.Output.STDOUT);
            Map<Long, Outcome> theirs = new HashMap<>();
            for (String l : lines) {
                String[] parts = l.split(" ");
                if (parts.length == 2) theirs.put(Long.parseLong(parts[0]), Outcome.valueOf(parts[1]));
            }
            assertThat(theirs).hasSize(IDS);
            for (long id = 1; id <= IDS; id++) {
                Outcome a = mine.get(id);
                Outcome c = theirs.get(id);
                assertThat(Set.of(a, c))
                        .as("peer %d: parent %s, child %s", id, a, c)
                        .containsExactlyInAnyOrder(Outcome.BOUND, Outcome.OTHER_USER);
                String expected = a == Outcome.BOUND ? "parent" : "child";
                assertThat(FilePeerBindings.inDirectory(dir).get(id).userId()).isEqualTo(expected);
            }
        }
        assertThat(FilePeerBindings.inDirectory(dir).list()).hasSize(IDS);
    }
}
