package io.starling.internal.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.Endpoint;
import io.starling.Identity;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.testsupport.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real Starling instances over the real network stack, on 127.0.0.1 only, with every timeout shortened (the
 * {@code starling.net.*} system properties) so that the suite stays fast. Closes every instance after each test and
 * checks that no network thread is left behind.
 */
abstract class NetworkTestBase {
    static final String APP = "nettest";

    static {
        // shortened timeouts, read by each network when it starts (see NetSettings)
        System.setProperty("starling.net.tickMillis", "50");
        System.setProperty("starling.net.keepAliveMillis", "300");
        System.setProperty("starling.net.readTimeoutMillis", "2000");
        System.setProperty("starling.net.partialFrameTimeoutMillis", "1000");
        // generous enough for a loaded machine (a 1 s upgrade limit failed a build); no test waits for these to pass
        System.setProperty("starling.net.upgradeTimeoutMillis", "4000");
        System.setProperty("starling.net.handshakeTimeoutMillis", "4000");
        System.setProperty("starling.net.backoffMinMillis", "50");
        System.setProperty("starling.net.backoffMaxMillis", "400");
        System.setProperty("starling.net.closeGraceMillis", "1000");
    }

    @TempDir
    Path tmp;

    private final List<Starling> open = Collections.synchronizedList(new ArrayList<>());
    private int dirs;

    /** A new peer in its own directory, configured by {@code config} (app id {@value #APP} unless changed). */
    Starling peer(UnaryOperator<StarlingConfig.Builder> config) {
        return open(config.apply(StarlingConfig.builder().appId(APP).databaseDirectory(tmp.resolve("peer" + dirs++))));
    }

    /** Opens a configuration (for reopening a directory). */
    Starling open(StarlingConfig.Builder config) {
        Starling s = Starling.open(config.build());
        open.add(s);
        return s;
    }

    /** A listening peer on 127.0.0.1 with a free port of the given scheme. */
    Starling listener(Identity identity, String scheme) {
        return peer(b -> b.identity(identity).listen(scheme + "://127.0.0.1:0"));
    }

    /** Closes one peer early (it is not closed again). */
    void close(Starling s) {
        open.remove(s);
        s.close();
    }

    @AfterEach
    void closeAll() {
        List<Starling> all;
        synchronized (open) {
            all = new ArrayList<>(open);
            open.clear();
        }
        Collections.reverse(all);
        all.forEach(Starling::close);
        await(
                "no network threads left",
                () -> Thread.getAllStackTraces().keySet().stream()
                        .noneMatch(t -> t.isAlive() && t.getName().startsWith("starling-net")));
    }

    static Endpoint endpoint(Starling s) {
        return s.sync().listening().get(0);
    }

    /** Waits for {@code condition} with this suite's deadline (20 s). */
    static void await(String what, BooleanSupplier condition) {
        await(what, 20, condition);
    }

    static void await(String what, int seconds, BooleanSupplier condition) {
        Await.until(what, Duration.ofSeconds(seconds), condition);
    }

    /** Asserts that {@code condition} keeps holding for {@code millis} (checked continuously, not slept over). */
    static void holds(String what, long millis, BooleanSupplier condition) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() < end) {
            assertThat(condition.getAsBoolean()).as(what).isTrue();
            LockSupport.parkNanos(5_000_000);
        }
    }

    static long count(Starling p, String collection) {
        return (Long) p.store()
                .execute("SELECT COUNT(*) AS n FROM " + collection)
                .items()
                .get(0)
                .value()
                .get("n");
    }

    static void insert(Starling p, String collection, int from, int n) {
        StringBuilder sql = new StringBuilder("INSERT INTO " + collection + " DOCUMENTS ");
        Map<String, Object> args = new HashMap<>();
        for (int i = 0; i < n; i++) {
            sql.append(i == 0 ? "" : ", ").append("(:d").append(i).append(')');
            args.put("d" + i, Map.of("_id", from + i, "payload", "x".repeat(100)));
        }
        p.store().execute(sql.toString(), args);
    }

    static void subscribe(Starling p, String collection) {
        p.sync().registerSubscription("SELECT * FROM " + collection, Map.of());
    }

    static int peers(Starling p) {
        return p.sync().peers().size();
    }
}
