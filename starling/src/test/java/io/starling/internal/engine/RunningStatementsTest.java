package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.ErrorCode;
import io.starling.StarlingException;
import io.starling.internal.query.DqlException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Deadlines over a hand-driven clock: when they fire, what they throw, and cancellation on close. */
class RunningStatementsTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final RunningStatements running = new RunningStatements(Duration.ofSeconds(10), now::get);

    private static void pollUntilItThrows(RunningStatements.Deadline d, int atMost) {
        for (int i = 0; i < atMost; i++) d.check();
    }

    @Test
    void aDeadlineFiresOnceItsTimeHasPassed() {
        RunningStatements.Deadline d = running.start();
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        pollUntilItThrows(d, 100); // exactly at the limit: still allowed
        now.incrementAndGet();
        assertThatThrownBy(() -> pollUntilItThrows(d, RunningStatements.CLOCK_EVERY))
                .isInstanceOfSatisfying(
                        DqlException.class, e -> assertThat(e.kind()).isEqualTo(DqlException.Kind.TIMEOUT))
                .hasMessageStartingWith("the statement ran longer than its time limit of 10 s");
        running.finish(d);
        assertThat(running.size()).isZero();
    }

    @Test
    void aShorterOwnLimitIsNamedInTheMessage() {
        RunningStatements.Deadline d = running.start(Duration.ofMillis(250));
        now.addAndGet(Duration.ofMillis(251).toNanos());
        assertThatThrownBy(() -> pollUntilItThrows(d, RunningStatements.CLOCK_EVERY))
                .hasMessageStartingWith("the statement ran longer than its time limit of 250 ms");
        RunningStatements.Deadline capped = running.start(Duration.ofHours(1));
        now.addAndGet(Duration.ofSeconds(11).toNanos());
        assertThatThrownBy(() -> pollUntilItThrows(capped, RunningStatements.CLOCK_EVERY))
                .as("never longer than the configured limit")
                .hasMessageStartingWith("the statement ran longer than its time limit of 10 s");
    }

    @Test
    void cancellingStopsRunningAndLaterStatementsAtTheirNextPoll() {
        RunningStatements.Deadline before = running.start();
        before.check();
        running.cancelAll();
        RunningStatements.Deadline after = running.start();
        for (RunningStatements.Deadline d : new RunningStatements.Deadline[] {before, after}) {
            assertThatThrownBy(d::check)
                    .isInstanceOfSatisfying(
                            StarlingException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.CLOSED))
                    .hasMessage("the statement was stopped: this Starling instance is closing");
            running.finish(d);
        }
        assertThat(running.size()).isZero();
    }
}
