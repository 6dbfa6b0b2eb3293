package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Repeats of a log line within a window are folded into one summary line; the clock is driven by the test. */
class RepeatFilterTest {
    final AtomicLong now = new AtomicLong(1_000);
    final RepeatFilter filter = new RepeatFilter(TimeUnit.SECONDS.toNanos(60), now::get);

    void advanceSeconds(long s) {
        now.addAndGet(TimeUnit.SECONDS.toNanos(s));
    }

    static final String REFUSED = "[WARN] refused a connection from 127.0.0.1:44846: it holds a different shared key";

    @Test
    void theFirstLinePrintsAndRepeatsAreCountedThenSummarised() {
        assertThat(filter.offer(REFUSED)).containsExactly(REFUSED);
        for (int i = 0; i < 12; i++) {
            advanceSeconds(3);
            // every attempt comes from a new ephemeral port: still the same line
            assertThat(filter.offer(REFUSED.replace("44846", String.valueOf(50000 + i))))
                    .isEmpty();
        }
        assertThat(filter.flush()).isEmpty(); // 36 s: the window is still open
        advanceSeconds(24);
        assertThat(filter.flush()).containsExactly(REFUSED + " (repeated 12 more times in the last 60 s)");
        assertThat(filter.flush()).isEmpty();
    }

    @Test
    void aLineThatKeepsComingPrintsOncePerWindow() {
        List<String> printed = new ArrayList<>(filter.offer(REFUSED));
        for (int i = 1; i <= 60; i++) { // every 3 s for three minutes
            advanceSeconds(3);
            printed.addAll(filter.offer(REFUSED));
        }
        advanceSeconds(60);
        printed.addAll(filter.flush());
        assertThat(printed)
                .containsExactly(
                        REFUSED,
                        REFUSED + " (repeated 19 more times in the last 60 s)", // at 60 s: those of 3 s .. 57 s
                        REFUSED + " (repeated 20 more times in the last 60 s)", // at 120 s: 60 s .. 117 s
                        REFUSED + " (repeated 20 more times in the last 60 s)", // at 180 s: 120 s .. 177 s
                        REFUSED + " (repeated once more in the last 60 s)"); // the one at 180 s
    }

    @Test
    void summariesComeOutWhenTheNextLineArrivesToo() {
        filter.offer(REFUSED);
        filter.offer(REFUSED);
        advanceSeconds(61);
        assertThat(filter.offer("[WARN] something else"))
                .containsExactly(REFUSED + " (repeated once more in the last 60 s)", "[WARN] something else");
    }

    @Test
    void aLineNotSeenForAWholeWindowPrintsInFullAgain() {
        filter.offer(REFUSED);
        advanceSeconds(61);
        assertThat(filter.flush()).isEmpty();
        assertThat(filter.pending()).isFalse();
        assertThat(filter.offer(REFUSED)).containsExactly(REFUSED);
    }

    @Test
    void differentLinesAreNotFolded() {
        assertThat(filter.offer("[WARN] a")).containsExactly("[WARN] a");
        assertThat(filter.offer("[WARN] b")).containsExactly("[WARN] b");
        assertThat(filter.offer("[INFO] a")).containsExactly("[INFO] a");
        assertThat(filter.offer("[WARN] refused a connection from 10.0.0.1:5: x"))
                .hasSize(1);
        assertThat(filter.offer("[WARN] refused a connection from 10.0.0.2:5: x"))
                .hasSize(1); // another host is another line; only ports are ignored
    }

    @Test
    void aStackTraceIsSummarisedByItsFirstLine() {
        String withTrace = "[ERROR] sync task failed\njava.lang.IllegalStateException: x\n\tat a.b(C.java:1)";
        filter.offer(withTrace);
        filter.offer(withTrace);
        advanceSeconds(60);
        assertThat(filter.flush()).containsExactly("[ERROR] sync task failed (repeated once more in the last 60 s)");
    }

    @Test
    void portsAreLeftOutOfTheKey() {
        assertThat(RepeatFilter.key("from 127.0.0.1:44846 and tcp://[::1]:7400/sync, 12:30"))
                .isEqualTo("from 127.0.0.1:# and tcp://[::1]:#/sync, 12:#");
        assertThatThrownBy(() -> new RepeatFilter(0, now::get)).isInstanceOf(IllegalArgumentException.class);
    }
}
