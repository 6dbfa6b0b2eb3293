package io.starling.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AwaitTest {
    private static final Duration LONG = Duration.ofSeconds(30);

    @Test
    void returnsOnceTheConditionHolds() {
        AtomicInteger polls = new AtomicInteger();
        Await.until("the third poll", LONG, () -> polls.incrementAndGet() >= 3);
        assertThat(polls).hasValue(3);
    }

    @Test
    void returnsAtOnceWhenTheConditionAlreadyHolds() {
        AtomicInteger polls = new AtomicInteger();
        Await.until("anything", Duration.ZERO, () -> polls.incrementAndGet() > 0);
        assertThat(polls).hasValue(1);
    }

    @Test
    void failsAfterTheDeadlineSayingWhatItWaitedForAndWhatItSaw() {
        assertThatThrownBy(() -> Await.until("the moon", Duration.ofMillis(30), () -> false, () -> "only stars"))
                .isInstanceOf(AssertionError.class)
                .hasMessage("timed out after 30 ms waiting for the moon; last state: only stars");
    }

    @Test
    void valueReturnsWhatWasAcceptedAndShowsTheLastValueOnFailure() {
        AtomicInteger n = new AtomicInteger();
        assertThat(Await.value("five", LONG, n::incrementAndGet, v -> v == 5)).isEqualTo(5);
        assertThatThrownBy(() -> Await.value("a negative number", Duration.ofMillis(20), () -> 7, v -> v < 0))
                .hasMessage("timed out after 20 ms waiting for a negative number; last value: 7");
    }

    @Test
    void aConditionThatThrowsFailsTheWaitAtOnce() {
        assertThatThrownBy(() -> Await.until("x", LONG, () -> {
                    throw new IllegalStateException("broken");
                }))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("broken");
    }

    @Test
    void latchAndParked() throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            try {
                go.await();
                done.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        Await.parked("the thread waits for go", LONG, t);
        assertThatThrownBy(() -> Await.latch("done", Duration.ofMillis(10), done))
                .hasMessage("timed out after 10 ms waiting for done; the latch still counts 1");
        go.countDown();
        Await.latch("done", LONG, done);
        t.join();
    }

    @Test
    void anInterruptEndsTheWaitAndKeepsTheInterruptStatus() {
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> Await.until("never", LONG, () -> false))
                    .hasMessage("interrupted while waiting for never");
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void durationsReadAsWritten() {
        assertThat(Await.format(Duration.ofSeconds(20))).isEqualTo("20 s");
        assertThat(Await.format(Duration.ofMillis(1500))).isEqualTo("1.5 s");
        assertThat(Await.format(Duration.ofMillis(250))).isEqualTo("250 ms");
    }
}
