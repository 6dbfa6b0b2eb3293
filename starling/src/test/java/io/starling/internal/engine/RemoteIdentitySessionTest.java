package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.Presence;
import io.starling.StarlingConfig;
import io.starling.internal.core.Value;
import io.starling.internal.net.ConnectionInfo;
import io.starling.internal.net.RemoteIdentity;
import io.starling.internal.query.Permissions;
import io.starling.testsupport.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the engine does with the verified identity a transport hands it ({@link ConnectionInfo#remoteIdentity()}):
 * presence and the connection-request hook show it, and a session ends when the remote's certificate expires (beyond
 * the clock-skew tolerance), on the engine's clock.
 */
class RemoteIdentitySessionTest {
    static final Instant START = Instant.parse("2026-12-05T10:00:00Z");

    @TempDir
    Path tmp;

    final DeviceLoginTest.FakeClock clock = new DeviceLoginTest.FakeClock(START);
    DefaultStarling a;
    DefaultStarling b;

    @AfterEach
    void close() {
        if (a != null) a.close();
        if (b != null) b.close();
    }

    static RemoteIdentity identity(String userId, Instant expiresAt) {
        return new RemoteIdentity(
                userId,
                Permissions.everything(),
                (Value.Obj) Value.fromJava(Map.of("team", "north")),
                START.minus(Duration.ofMinutes(1)),
                expiresAt,
                "1f",
                "CN=Starling authority test,O=Starling",
                "ab".repeat(32),
                0);
    }

    DefaultStarling open(String name) {
        return DefaultStarling.open(
                StarlingConfig.builder()
                        .appId("t")
                        .databaseDirectory(tmp.resolve(name))
                        .build(),
                clock);
    }

    @Test
    void presenceAndTheHookShowTheVerifiedUserAndTheSessionEndsWhenItsCertificateExpires() {
        a = open("a");
        b = open("b");
        List<Presence.ConnectionRequest> asked = new CopyOnWriteArrayList<>();
        b.presence()
                .setConnectionRequestHandler(
                        r -> {
                            asked.add(r);
                            return CompletableFuture.completedFuture(true);
                        },
                        Duration.ofSeconds(5));
        Instant bobExpires = START.plus(Duration.ofHours(1));
        InMemoryTransport.Link link = InMemoryTransport.connect(
                a,
                b,
                new ConnectionInfo("memory", "in-memory", true, 0, identity("bob", bobExpires)),
                new ConnectionInfo("memory", "in-memory", false, 0, identity("alice", START.plus(Duration.ofDays(1)))));
        Await.until(
                "connected",
                Duration.ofSeconds(10),
                () -> a.sync().peers().size() == 1 && b.sync().peers().size() == 1);
        Await.until(
                "a sees bob",
                Duration.ofSeconds(10),
                () -> a.presence().graph().remotePeers().stream()
                        .anyMatch(p -> p.certificate() != null
                                && p.certificate().userId().equals("bob")));
        Presence.PeerCertificate bob = a.presence().graph().remotePeers().get(0).certificate();
        assertThat(bob.metadata()).isEqualTo(Map.of("team", "north"));
        assertThat(bob.expiresAt()).isEqualTo(bobExpires);
        assertThat(bob.deviceKeyFingerprint()).isEqualTo("ab".repeat(32));
        assertThat(asked).hasSize(1);
        assertThat(asked.get(0).certificate().userId()).isEqualTo("alice");

        clock.advance(Duration.ofHours(1).plusMinutes(4)); // within the 5 minutes of skew: still fine
        DeviceLoginTest.holdsFor(Duration.ofMillis(300), () -> a.sync().peers().size() == 1);
        clock.advance(Duration.ofMinutes(2));
        Await.until(
                "the session with bob ended",
                Duration.ofSeconds(10),
                () -> a.sync().peers().isEmpty());
        assertThat(link.endReasons()).anyMatch(r -> r.contains("unauthenticated"));
    }
}
