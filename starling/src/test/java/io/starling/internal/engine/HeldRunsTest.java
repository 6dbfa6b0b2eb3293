package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The byte runs a filtered scan hands the store to search states for. */
class HeldRunsTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aShortStringIsSearchedWholeAndOnce() {
        assertThat(StatementRunner.heldRuns(List.of("alice", "alice", "bob")))
                .containsExactly(utf8("alice"), utf8("bob"));
    }

    @Test
    void aSingleByteIsNotSearchedButASingleMultiByteCharacterIs() {
        assertThat(StatementRunner.heldRuns(List.of("x", "", "é"))).containsExactly(utf8("é"));
    }

    @Test
    void aLongStringIsSearchedByItsLastBytesOnly() {
        // a near miss: the search of the whole run cost run length times state length per state, uninterruptible
        String nearMiss = "a".repeat(8_000) + "b";
        List<byte[]> runs = StatementRunner.heldRuns(List.of(nearMiss));
        assertThat(runs).hasSize(1);
        assertThat(runs.get(0)).hasSize(StatementRunner.MAX_HELD_RUN);
        assertThat(runs.get(0)).isEqualTo(utf8("a".repeat(StatementRunner.MAX_HELD_RUN - 1) + "b"));
    }

    @Test
    void twoLongStringsWithTheSameEndingAreSearchedOnce() {
        String ending = "/items/" + "9".repeat(StatementRunner.MAX_HELD_RUN);
        assertThat(StatementRunner.heldRuns(List.of("https://a.example" + ending, "https://b.example" + ending)))
                .hasSize(1);
    }

    @Test
    void aCutMayFallInsideACharacterAndStaysSound() {
        // 3-byte characters: 64 is not a multiple of 3, so the run starts inside one; a state holding the string
        // still holds these bytes
        String s = "日本語".repeat(30);
        byte[] whole = utf8(s);
        byte[] run = StatementRunner.heldRuns(List.of(s)).get(0);
        assertThat(run).hasSize(StatementRunner.MAX_HELD_RUN);
        assertThat(java.util.Arrays.copyOfRange(whole, whole.length - run.length, whole.length))
                .isEqualTo(run);
    }
}
