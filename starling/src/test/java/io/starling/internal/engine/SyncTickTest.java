package io.starling.internal.engine;

import static io.starling.internal.engine.SyncTest.await;

import io.starling.StarlingConfig;
import io.starling.internal.net.ConnectionInfo;
import io.starling.internal.storage.InMemoryStorage;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The sync thread's periodic tick (keep-alives, timeouts) survives a tick that throws. */
class SyncTickTest {

    /** Counts the reads of the periodic tick; when armed, the next one throws. */
    static final class TickClock extends Clock {
        final AtomicLong tickReads = new AtomicLong();
        final AtomicBoolean failNext = new AtomicBoolean();

        @Override
        public long millis() {
            if (inTick()) {
                tickReads.incrementAndGet();
                if (failNext.compareAndSet(true, false)) throw new IllegalStateException("a tick that fails");
            }
            return System.currentTimeMillis();
        }

        private static boolean inTick() {
            return StackWalker.getInstance()
                    .walk(frames -> frames.anyMatch(f -> f.getClassName().equals(SyncService.class.getName())
                            && f.getMethodName().equals("tick")));
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }

    static DefaultStarling peer(Clock clock) {
        return DefaultStarling.open(
                StarlingConfig.builder().appId("tick").build(), Path.of("memory"), new InMemoryStorage(), clock);
    }

    @Test
    void ticksGoOnAfterOneThrows() {
        TickClock clock = new TickClock();
        try (DefaultStarling a = peer(clock);
                DefaultStarling b = peer(Clock.systemUTC())) {
            InMemoryTransport.Link link =
                    InMemoryTransport.connect(a, b, ConnectionInfo.memory(true), ConnectionInfo.memory(false));
            try {
                await("a first tick", () -> clock.tickReads.get() > 0);
                clock.failNext.set(true);
                await("the failing tick", () -> !clock.failNext.get());
                long failedAt = clock.tickReads.get();
                await("two more ticks after the failing one", () -> clock.tickReads.get() >= failedAt + 2);
            } finally {
                link.close();
            }
        }
    }
}
