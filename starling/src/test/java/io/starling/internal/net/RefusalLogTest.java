package io.starling.internal.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** One line for the first refusal of a kind, then one count per window, on a fake clock. */
class RefusalLogTest {
    private final List<String> lines = new ArrayList<>();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final RefusalLog log = new RefusalLog(lines::add, now::get, Duration.ofSeconds(10));

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @Test
    void aFloodIsOneLineThenACountPerWindow() {
        for (int i = 0; i < 5_215; i++) {
            log.refused("too many connections", "a connection from 127.0.0.1:" + (40000 + i) + "; the limit is 128");
            advance(Duration.ofMillis(1)); // 5.2 s in all
        }
        assertThat(lines)
                .containsExactly("refused (too many connections): a connection from 127.0.0.1:40000; the limit is 128");
        log.flush();
        assertThat(lines).hasSize(1); // the window has not ended
        advance(Duration.ofSeconds(5));
        log.flush();
        assertThat(lines)
                .containsExactly(
                        "refused (too many connections): a connection from 127.0.0.1:40000; the limit is 128",
                        "refused (too many connections): … and 5,214 more like it in the last 10 s");
    }

    @Test
    void aSteadyFloodStaysAtOneLinePerWindowAndAQuietWindowEndsTheEpisode() {
        for (int second = 0; second < 60; second++) {
            for (int i = 0; i < 100; i++) log.refused("k", "detail " + second);
            advance(Duration.ofSeconds(1));
            log.flush();
        }
        // the first in full, then a count every 10 s
        assertThat(lines).hasSize(1 + 6);
        assertThat(lines.get(0)).isEqualTo("refused (k): detail 0");
        assertThat(lines.get(1)).isEqualTo("refused (k): … and 999 more like it in the last 10 s");
        assertThat(lines.subList(2, 7))
                .allMatch(l -> l.equals("refused (k): … and 1,000 more like it in the last 10 s"));

        advance(Duration.ofSeconds(10));
        log.flush(); // a quiet window: nothing to say, and the episode ends
        advance(Duration.ofSeconds(10));
        log.flush();
        assertThat(lines).hasSize(7);
        log.refused("k", "again");
        assertThat(lines.get(7)).isEqualTo("refused (k): again");
    }

    @Test
    void whatClientsSentCannotForgeOrFloodTheLog() {
        log.refused("k", "GET /x\n[WARN] forged line\r from 127.0.0.1:1");
        log.refused("l", "y".repeat(10_000));
        assertThat(lines.get(0)).isEqualTo("refused (k): GET /x?[WARN] forged line? from 127.0.0.1:1");
        assertThat(lines.get(1)).hasSize("refused (l): ".length() + RefusalLog.MAX_DETAIL + 1);
    }

    @Test
    void kindsAreCountedApartAndALateRefusalWritesThePendingCount() {
        log.refused("a", "first a");
        log.refused("b", "first b");
        log.refused("a", "second a");
        assertThat(lines).containsExactly("refused (a): first a", "refused (b): first b");
        advance(Duration.ofSeconds(15)); // no flush ran: the next refusal of a says what the window counted
        log.refused("a", "third a");
        assertThat(lines)
                .containsExactly(
                        "refused (a): first a",
                        "refused (b): first b",
                        "refused (a): … and 1 more like it in the last 15 s");
        advance(Duration.ofSeconds(10));
        log.flush();
        assertThat(lines).endsWith("refused (a): … and 1 more like it in the last 10 s");
    }

    @Test
    void aCallerWordedLineIsLoggedInFullOnceThenCounted() {
        for (int i = 0; i < 3; i++) {
            log.refusedWithLine(
                    "it holds a different shared key",
                    "refused a connection from 127.0.0.1:" + (5000 + i) + ": it holds a different shared key");
        }
        advance(Duration.ofSeconds(11));
        log.flush();
        assertThat(lines)
                .containsExactly(
                        "refused a connection from 127.0.0.1:5000: it holds a different shared key",
                        "refused (it holds a different shared key): … and 2 more like it in the last 11 s");
    }

    @Test
    void kindsMadeFromWhatClientsSendAreBoundedAndTheRestCountedTogether() {
        for (int i = 0; i < RefusalLog.MAX_KINDS + 100; i++) {
            log.refused("no endpoint /path" + i, "a connection from 127.0.0.1:1");
        }
        // every kind up to the bound logged once; the rest share one kind: one line, then a count
        assertThat(lines).hasSize(RefusalLog.MAX_KINDS + 1);
        assertThat(lines.get(RefusalLog.MAX_KINDS)).isEqualTo("refused (other reasons): a connection from 127.0.0.1:1");
        advance(Duration.ofSeconds(10));
        log.flush();
        assertThat(lines).last().isEqualTo("refused (other reasons): … and 99 more like it in the last 10 s");
    }

    @Test
    void aKindCannotForgeALine() {
        log.refusedWithLine("x\nFAKE", "refused a connection from 1.2.3.4:5: bad\n[INFO] all is well");
        assertThat(lines).containsExactly("refused a connection from 1.2.3.4:5: bad?[INFO] all is well");
    }

    @Test
    void closingSaysWhatTheOpenWindowCounted() {
        log.refused("too many connections", "a connection from 127.0.0.1:1");
        log.refused("too many connections", "a connection from 127.0.0.1:2");
        advance(Duration.ofSeconds(3));
        log.flush();
        assertThat(lines).hasSize(1);
        log.close();
        assertThat(lines).last().isEqualTo("refused (too many connections): … and 1 more like it in the last 3 s");
    }

    @Test
    void aKindIsTheFirstClauseOfAReason() {
        assertThat(RefusalLog.kindOf(
                        "it holds a different shared key (check --shared-key on both sides: fingerprint 1)"))
                .isEqualTo("it holds a different shared key");
        assertThat(RefusalLog.kindOf("it is a peer of app 'x' and this peer is of app 'y'; peers sync only within"))
                .isEqualTo("it is a peer of app 'x' and this peer is of app 'y'");
        assertThat(RefusalLog.kindOf("TLS: bad_record_mac")).isEqualTo("TLS");
        assertThat(RefusalLog.kindOf("x".repeat(500))).hasSize(120);
    }
}
