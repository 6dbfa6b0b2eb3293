package io.starling.internal.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.Identity;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.Sync;
import io.starling.internal.auth.Authority;
import io.starling.internal.auth.DeviceCredentials;
import io.starling.internal.auth.RevocationList;
import io.starling.internal.core.Value;
import io.starling.internal.query.Permissions;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Revocation over real sockets with mutual TLS and device certificates of one authority, in the line A – H – X – B: A
 * is the authority's own peer, H a hub that subscribes to nothing the others write, X and B sync {@code tasks}. The
 * authority revokes bob (as {@code starling authority revoke} does: a new list in the authority's directory); the
 * running authority peer picks it up, the list travels A → H → X although nobody subscribes to it, X closes B's
 * session ({@code revoked}, logged on both sides) and refuses bob's devices in the TLS handshake from then on, B's
 * status says REVOKED and B gets nothing new. Every peer keeps the list in its database directory and reads it back at
 * start.
 */
class OnlineRevocationTest extends NetworkTestBase {
    private static final URI NO_AUTHORITY = URI.create("http://127.0.0.1:1");

    private Authority authority;

    private Path authDir() {
        return tmp.resolve("auth");
    }

    /** A device directory with a key and a certificate for {@code userId} that may read and write everything. */
    private Path device(String name, String userId) throws IOException {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        KeyPair pair = DeviceCredentials.newKeyPair();
        X509Certificate cert = authority.issue(
                pair.getPublic(),
                OnlineIdentityTest.peerIdOf(dir),
                userId,
                Permissions.everything(),
                Value.Obj.EMPTY,
                Duration.ofHours(1),
                Instant.now());
        OnlineIdentityTest.writeCredentials(dir, pair.getPrivate(), cert);
        return dir;
    }

    private StarlingConfig.Builder online(Path dir, Starling connectTo) {
        StarlingConfig.Builder b = StarlingConfig.builder()
                .appId(APP)
                .databaseDirectory(dir)
                .siteId(OnlineIdentityTest.peerIdOf(dir))
                .identity(Identity.online(
                        NO_AUTHORITY, "dev", "unused-token", authDir().resolve(Authority.ANCHOR_FILE)));
        if (connectTo != null) b.connect(endpoint(connectTo).toString());
        return b;
    }

    private static long serialIn(Path dbDir, Authority authority) {
        return RevocationList.load(dbDir.resolve(RevocationList.FILE), authority.anchor())
                .serial();
    }

    @Test
    void aRevocationIssuedAtTheAuthorityReachesXThroughHAndCutsBOff() throws IOException {
        authority = Authority.init(authDir(), Instant.now());
        // the list before bob's revocation: carol was revoked long ago (every peer starts without it)
        RevocationList.empty()
                .revokeUser("carol", authority, Instant.now())
                .save(authDir().resolve(RevocationList.FILE));

        Starling a = open(StarlingConfig.builder()
                .appId(APP)
                .databaseDirectory(tmp.resolve("a"))
                .identity(Identity.authority(authDir()))
                .listen("tcp://127.0.0.1:0"));
        subscribe(a, "other");
        Starling h = open(online(device("h", "hub"), a).listen("tcp://127.0.0.1:0"));
        subscribe(h, "nothing_in_common");
        Starling x = open(online(device("x", "xavier"), h).listen("tcp://127.0.0.1:0"));
        subscribe(x, "tasks");
        Path bDir = device("b", "bob");
        Starling b = open(online(bDir, x));
        subscribe(b, "tasks");
        await("the line is connected", () -> peers(a) == 1 && peers(h) == 2 && peers(x) == 2 && peers(b) == 1);
        await(
                "list 1 reaches every peer",
                () -> serialIn(tmp.resolve("h"), authority) == 1
                        && serialIn(tmp.resolve("x"), authority) == 1
                        && serialIn(bDir, authority) == 1);
        insert(x, "tasks", 0, 5);
        await("b syncs with x", () -> count(b, "tasks") == 5);
        assertThat(b.sync().deviceStatus().state()).isEqualTo(Sync.DeviceState.VALID);

        try (LogCapture logs = new LogCapture()) {
            // `starling authority revoke DIR --user bob`: the next list, written whole into the authority's directory
            Path file = authDir().resolve(RevocationList.FILE);
            RevocationList.load(file, authority.anchor())
                    .revokeUser("bob", authority, Instant.now())
                    .save(file);

            logs.await("revocations: issued revocation list 2 adopted");
            await("x drops b", () -> peers(x) == 1);
            String xSays = logs.await("closed here (revoked)", "user 'bob' is revoked by revocation list 2");
            String bSays = logs.await("closed by the peer (revoked)", "user 'bob' is revoked by revocation list 2");
            assertThat(xSays).contains("WARN");
            assertThat(bSays).contains("WARN");
            await("b learns that it is revoked", () -> b.sync().deviceStatus().state() == Sync.DeviceState.REVOKED);
            Sync.DeviceStatus status = b.sync().deviceStatus();
            assertThat(status.problemCode()).isEqualTo("auth/certificate-revoked");
            assertThat(status.problem()).contains("user 'bob' is revoked by revocation list 2");
            for (String peer : new String[] {"h", "x"}) {
                assertThat(serialIn(tmp.resolve(peer), authority))
                        .as(peer + " stored list 2")
                        .isEqualTo(2);
            }
            assertThat(x.sync().peers()).hasSize(1);
            assertThat(peers(h)).as("the others sync on").isEqualTo(2);

            // b gets nothing new, and does not dial again
            insert(x, "tasks", 100, 5);
            holds("nothing new reaches b", 500, () -> count(b, "tasks") == 5 && peers(b) == 0);

            // another device of bob, which never heard of the list, is refused in the handshake by x
            Starling b2 = open(online(device("b2", "bob"), x));
            subscribe(b2, "tasks");
            logs.await("refused a connection from", "auth/certificate-revoked", "user 'bob' is revoked");
            logs.await("cannot sync with", "refused this peer's");
            holds("b2 gets nothing", 300, () -> count(b2, "tasks") == 0 && peers(b2) == 0);
            assertThat(x.sync().metrics().connectionsRefused()).isPositive();
        }

        // b restarts: it reads its stored list and knows at once that it is revoked
        close(b);
        Starling b3 = open(online(bDir, x));
        assertThat(b3.sync().deviceStatus().state()).isEqualTo(Sync.DeviceState.REVOKED);
        assertThat(peers(b3)).isZero();
        assertThat(x.sync().metrics().revocationListsRefused()).isZero();
        assertThat(Map.of("h", peers(h), "x", peers(x))).isEqualTo(Map.of("h", 2, "x", 1));
    }
}
