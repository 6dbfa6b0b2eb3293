package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.starling.ErrorCode;
import io.starling.Identity;
import io.starling.StarlingException;
import io.starling.Sync;
import io.starling.internal.auth.AuthConfig;
import io.starling.internal.auth.AuthException;
import io.starling.internal.auth.Authority;
import io.starling.internal.auth.DeviceCertificates;
import io.starling.internal.auth.DeviceCredentials;
import io.starling.internal.auth.FilePeerBindings;
import io.starling.internal.auth.LoginService;
import io.starling.internal.core.Value;
import io.starling.internal.query.Permissions;
import io.starling.testsupport.Await;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device's side of the online mode on a fake clock, against an authority on 127.0.0.1 (a small HTTP server in
 * front of {@link LoginService}, as the CLI's endpoint is): the first login and its files, a restart that needs no
 * network, renewal at two thirds of the validity with a token from the expiration handler, failures with their codes,
 * and expiry stopping sync.
 */
class DeviceLoginTest {
    static final Instant START = Instant.parse("2026-12-05T10:00:00Z");
    static final Duration CHECK = Duration.ofMillis(10);

    @TempDir
    Path tmp;

    final FakeClock clock = new FakeClock(START);
    final AtomicInteger logins = new AtomicInteger();
    final AtomicInteger expired = new AtomicInteger();
    final List<DeviceLogin> started = new CopyOnWriteArrayList<>();
    HttpServer server;
    URI url;
    Path dir;
    Path anchor;
    Authority authority;
    /** The peer id of the device's store. */
    long peer = 0x2f1c9a0d54e1b6a7L;

    @BeforeEach
    void startAuthority() throws IOException {
        authority = Authority.init(tmp.resolve("authority"), START);
        anchor = tmp.resolve("authority").resolve(Authority.ANCHOR_FILE);
        Files.writeString(
                tmp.resolve("auth.json"),
                "{\"authority\": \"authority\", \"providers\": {\"dev\": {\"type\": \"static\", \"tokens\": {"
                        + "\"tok-a\": {\"userId\": \"alice\", \"expirationSeconds\": 3600, \"permissions\": {}},"
                        + "\"tok-b\": {\"userId\": \"alice\", \"expirationSeconds\": 7200, \"permissions\": {}}}}}}");
        LoginService service = new LoginService(
                authority,
                AuthConfig.load(tmp.resolve("auth.json"), clock),
                "app",
                clock,
                FilePeerBindings.inDirectory(tmp),
                0);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/api/v1/auth/login", ex -> handle(service, ex));
        server.start();
        url = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        dir = tmp.resolve("db");
        Files.createDirectories(dir);
    }

    @AfterEach
    void stop() {
        started.forEach(DeviceLogin::close);
        server.stop(0);
    }

    void handle(LoginService service, HttpExchange ex) throws IOException {
        logins.incrementAndGet();
        byte[] body = ex.getRequestBody().readAllBytes();
        int status;
        String answer;
        try {
            answer = service.login(body).toJson();
            status = 200;
        } catch (AuthException e) {
            status = e.code().httpStatus();
            answer = "{\"error\": {\"code\": \"" + e.code().id() + "\", \"message\": \""
                    + String.valueOf(e.getMessage()).replace("\"", "'") + "\"}}";
        }
        byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    DeviceLogin start(String token) {
        DeviceLogin login = DeviceLogin.start(
                dir, peer, Identity.online(url, "dev", token, anchor), clock, expired::incrementAndGet, CHECK);
        started.add(login);
        return login;
    }

    @Test
    void theFirstStartLogsInKeepsTheFilesAndARestartNeedsNoNetwork() throws IOException {
        DeviceLogin login = start("tok-a");
        Sync.DeviceStatus status = login.status();
        assertThat(status.state()).isEqualTo(Sync.DeviceState.VALID);
        assertThat(status.userId()).isEqualTo("alice");
        assertThat(status.expiresAt()).isEqualTo(START.plusSeconds(3600));
        assertThat(login.deviceTls()).isNotNull();
        assertThat(Files.getPosixFilePermissions(dir.resolve(DeviceCredentials.KEY_FILE)))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(dir.resolve(DeviceCredentials.CERTIFICATE_FILE)).exists();
        assertThat(logins).hasValue(1);
        login.close();

        server.stop(0); // the authority is gone: the stored certificate must do
        clock.advance(Duration.ofMinutes(30));
        DeviceLogin again = start("tok-a");
        assertThat(again.status().state()).isEqualTo(Sync.DeviceState.VALID);
        assertThat(again.deviceTls().certificate()).isEqualTo(login.deviceTls().certificate());
        assertThat(logins).hasValue(1);
    }

    @Test
    void renewsAtTwoThirdsWithTheExpirationHandlersTokenKeepingTheDeviceKey() {
        DeviceLogin login = start("tok-a");
        String key = login.deviceTls().certificate().getPublicKey().toString();
        List<Sync.DeviceStatus> asked = new CopyOnWriteArrayList<>();
        login.setExpirationHandler(s -> {
            asked.add(s);
            return "tok-b";
        });
        clock.advance(Duration.ofMinutes(39)); // renewal is due at 40 minutes of 60
        holdsFor(Duration.ofMillis(100), () -> logins.get() == 1);
        clock.advance(Duration.ofMinutes(1));
        Await.until(
                "renewed with tok-b (two hours)",
                Duration.ofSeconds(10),
                () -> START.plus(Duration.ofMinutes(40))
                        .plusSeconds(7200)
                        .equals(login.status().expiresAt()));
        assertThat(asked).hasSize(1);
        assertThat(asked.get(0).expiresAt()).isEqualTo(START.plusSeconds(3600));
        assertThat(login.deviceTls().certificate().getPublicKey().toString()).isEqualTo(key);
        assertThat(expired).hasValue(0);
    }

    @Test
    void aCertificateThatExpiresWithoutRenewalStopsSync() {
        DeviceLogin login = start("tok-a");
        server.stop(0); // renewals fail from now on
        clock.advance(Duration.ofMinutes(45));
        Await.until(
                "a failed renewal reported",
                Duration.ofSeconds(10),
                () -> "auth/authority-unavailable".equals(login.status().problemCode()));
        assertThat(login.status().state()).isEqualTo(Sync.DeviceState.VALID); // still valid: still syncing
        assertThat(login.deviceTls()).isNotNull();
        clock.advance(Duration.ofMinutes(16));
        Await.until("expired", Duration.ofSeconds(10), () -> expired.get() == 1);
        assertThat(login.status().state()).isEqualTo(Sync.DeviceState.EXPIRED);
        assertThat(login.deviceTls()).isNull();
    }

    @Test
    void everyCertificateNamesTheStoresPeerIdAndOneForAnotherPeerIsNotUsed() {
        DeviceLogin login = start("tok-a");
        assertThat(DeviceCertificates.peerIdOf(login.deviceTls().certificate())).isEqualTo(peer);
        X509Certificate first = login.deviceTls().certificate();
        login.close();
        // the same directory under another peer id (a configured site id changed): the stored certificate is not
        // this peer's, so the device logs in again, keeping its key
        peer = 0x00000000000000aaL;
        DeviceLogin other = start("tok-a");
        assertThat(logins).hasValue(2);
        assertThat(DeviceCertificates.peerIdOf(other.deviceTls().certificate())).isEqualTo(peer);
        assertThat(other.deviceTls().certificate().getPublicKey()).isEqualTo(first.getPublicKey());
        assertThat(other.status().state()).isEqualTo(Sync.DeviceState.VALID);
    }

    @Test
    void aStoredCertificateWithoutAPeerIdIsUsedUntilItsRenewalWhichNamesOne() throws IOException {
        // what an authority issued before certificates named peer ids, kept by the device
        KeyPair pair = DeviceCredentials.newKeyPair();
        new DeviceCredentials(
                        pair,
                        authority.issueWithoutPeerId(
                                pair.getPublic(),
                                "alice",
                                Permissions.everything(),
                                Value.Obj.EMPTY,
                                Duration.ofHours(1),
                                START))
                .save(dir);
        DeviceLogin login = start("tok-a");
        assertThat(login.status().state()).isEqualTo(Sync.DeviceState.VALID);
        assertThat(logins).hasValue(0); // used as it is: no network
        assertThat(DeviceCertificates.peerIdOf(login.deviceTls().certificate())).isZero();
        clock.advance(Duration.ofMinutes(40)); // the usual renewal, at two thirds
        Await.until(
                "renewed with a certificate that names the peer id",
                Duration.ofSeconds(10),
                () -> DeviceCertificates.peerIdOf(login.deviceTls().certificate()) == peer);
        assertThat(login.deviceTls().certificate().getPublicKey()).isEqualTo(pair.getPublic());
        assertThat(logins).hasValue(1);
    }

    @Test
    void theAuthorityIssuesItselfACertificateForItsOwnPeerId() {
        DeviceLogin self = DeviceLogin.start(
                dir, peer, Identity.authority(tmp.resolve("authority")), clock, expired::incrementAndGet, CHECK);
        started.add(self);
        assertThat(self.status().state()).isEqualTo(Sync.DeviceState.VALID);
        assertThat(DeviceCertificates.peerIdOf(self.deviceTls().certificate())).isEqualTo(peer);
        assertThat(logins).hasValue(0);
    }

    @Test
    void aRefusedLoginLeavesTheDeviceNotLoggedInWithTheAuthoritysCode() {
        DeviceLogin login = start("wrong-token");
        Sync.DeviceStatus status = login.status();
        assertThat(status.state()).isEqualTo(Sync.DeviceState.NOT_LOGGED_IN);
        assertThat(status.problemCode()).isEqualTo("auth/bad-token");
        assertThat(status.problem())
                .contains("refused the login (auth/bad-token)")
                .doesNotContain("wrong-token");
        assertThat(login.deviceTls()).isNull();
    }

    @Test
    void anUnreadableTrustAnchorFailsTheStart() throws IOException {
        Files.writeString(anchor, "not a certificate");
        assertThatThrownBy(() -> start("tok-a"))
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.CONFIG_INVALID))
                .hasMessageContaining(anchor.toString());
    }

    @Test
    void retriesBackOffFromTwoSecondsToFiveMinutes() {
        assertThat(DeviceLogin.retryAfter(1)).isEqualTo(Duration.ofSeconds(2));
        assertThat(DeviceLogin.retryAfter(2)).isEqualTo(Duration.ofSeconds(4));
        assertThat(DeviceLogin.retryAfter(8)).isEqualTo(Duration.ofSeconds(256));
        assertThat(DeviceLogin.retryAfter(9)).isEqualTo(Duration.ofMinutes(5));
        assertThat(DeviceLogin.retryAfter(1000)).isEqualTo(Duration.ofMinutes(5));
    }

    /** Asserts that {@code condition} keeps holding for {@code time} (checked continuously). */
    static void holdsFor(Duration time, java.util.function.BooleanSupplier condition) {
        long end = System.nanoTime() + time.toNanos();
        while (System.nanoTime() < end) {
            assertThat(condition.getAsBoolean()).isTrue();
            Thread.onSpinWait();
        }
    }

    /** A clock the test moves. */
    static final class FakeClock extends Clock { // shared with RemoteIdentitySessionTest
        private volatile Instant now;

        FakeClock(Instant now) {
            this.now = now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
