package io.starling.internal.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.starling.internal.core.Value;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
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
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A device logging in to an authority over HTTP on 127.0.0.1 (a small server in front of {@link LoginService}, as the
 * CLI's endpoint is), checking what it gets, keeping it on disk and renewing it.
 */
class LoginClientTest {
    static final Instant NOW = Instant.parse("2026-12-05T10:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    static final long PEER = 0x2f1c9a0d54e1b6a7L;

    @TempDir
    Path dir;

    Authority authority;
    LoginService service;
    HttpServer server;
    URI url;
    volatile boolean evil;
    /** Answers as an authority from before certificates named peer ids. */
    volatile boolean old;
    /** Issues the certificate for another peer id than the one asked for. */
    volatile boolean otherPeer;

    final List<String> bodies = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        authority = Authority.init(dir.resolve("authority"), NOW);
        Files.writeString(
                dir.resolve("auth.json"),
                "{\"authority\": \"authority\", \"providers\": {\"dev\": {\"type\": \"static\", \"tokens\": {"
                        + "\"tok-a\": {\"userId\": \"alice\", \"expirationSeconds\": 3600, \"permissions\": {}},"
                        + "\"tok-m\": {\"userId\": \"mallory\", \"expirationSeconds\": 3600, \"permissions\": {}}}}}}");
        service = new LoginService(
                authority,
                AuthConfig.load(dir.resolve("auth.json"), CLOCK),
                "app",
                CLOCK,
                FilePeerBindings.inDirectory(dir),
                0);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/api/v1/auth/login", this::handle);
        server.start();
        url = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    void handle(HttpExchange ex) throws IOException {
        byte[] body = ex.getRequestBody().readAllBytes();
        bodies.add(new String(body, StandardCharsets.UTF_8));
        int status;
        String answer;
        if (old) { // what such an authority answered: a request with a peer id is refused, one without gets none
            if (new String(body, StandardCharsets.UTF_8).contains("\"peerId\"")) {
                status = 400;
                answer = "{\"error\": {\"code\": \"auth/bad-request\", \"message\": \"the login request has an unknown"
                        + " member \\\"peerId\\\" (expected provider, token, publicKey)\"}}";
            } else {
                String key = ((Value.Str) ((Value.Obj) AuthJson.parse(body)).get("publicKey")).value();
                X509Certificate cert = authority.issueWithoutPeerId(
                        Pem.devicePublicKey(key),
                        "alice",
                        io.starling.internal.query.Permissions.everything(),
                        Value.Obj.EMPTY,
                        Duration.ofHours(1),
                        NOW);
                status = 200;
                answer = "{\"certificate\": " + AuthJson.write(Value.of(Pem.certificate(cert))) + "}";
            }
            reply(ex, status, answer);
            return;
        }
        if (otherPeer) {
            body = new String(body, StandardCharsets.UTF_8)
                    .replace("2f1c9a0d54e1b6a7", "00000000000000aa")
                    .getBytes(StandardCharsets.UTF_8);
        }
        try {
            if (evil) { // a certificate, but for a key the device does not hold
                body = LoginService.request(
                        "dev", "tok-a", DeviceCredentials.newKeyPair().getPublic(), PEER);
            }
            answer = service.login(body).toJson();
            status = 200;
        } catch (AuthException e) {
            status = e.code().httpStatus();
            answer = "{\"error\": {\"code\": \"" + e.code().id() + "\", \"message\": \""
                    + e.getMessage().replace("\"", "'") + "\"}}";
        }
        reply(ex, status, answer);
    }

    static void reply(HttpExchange ex, int status, String answer) throws IOException {
        byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Test
    void aDeviceLogsInKeepsItsCredentialsAndRenewsWithTheSameKey() throws Exception {
        KeyPair keys = DeviceCredentials.newKeyPair();
        DeviceCredentials creds = LoginClient.login(url, "dev", "tok-a", PEER, keys, authority.anchor(), NOW, TIMEOUT);
        assertThat(creds.identity(authority.anchor(), NOW).userId()).isEqualTo("alice");
        assertThat(creds.expiresAt()).isEqualTo(NOW.plusSeconds(3600));
        assertThat(creds.renewAt()).isEqualTo(NOW.plusSeconds(2400));

        Path db = Files.createDirectories(dir.resolve("db"));
        assertThat(DeviceCredentials.load(db)).isNull();
        creds.save(db);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(db.resolve("device.key"))))
                .isEqualTo("rw-------");
        DeviceCredentials loaded = DeviceCredentials.load(db);
        assertThat(loaded).isNotNull();
        assertThat(loaded.certificate()).isEqualTo(creds.certificate());
        assertThat(loaded.keyPair().getPublic()).isEqualTo(keys.getPublic());
        assertThat(loaded.keyPair().getPrivate().getEncoded())
                .isEqualTo(keys.getPrivate().getEncoded());

        DeviceCredentials renewed =
                LoginClient.login(url, "dev", "tok-a", PEER, loaded.keyPair(), authority.anchor(), NOW, TIMEOUT);
        assertThat(renewed.certificate()).isNotEqualTo(creds.certificate());
        assertThat(renewed.identity(authority.anchor(), NOW).deviceKeyFingerprint())
                .isEqualTo(creds.identity(authority.anchor(), NOW).deviceKeyFingerprint());
        renewed.save(db);
        assertThat(DeviceCredentials.load(db).certificate()).isEqualTo(renewed.certificate());
        try (var files = Files.list(db)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("device.key", "device.pem");
        }
    }

    @Test
    void theCertificateNamesTheDevicesPeerIdAndOneForAnotherIsNotKept() throws Exception {
        KeyPair keys = DeviceCredentials.newKeyPair();
        DeviceCredentials creds = LoginClient.login(url, "dev", "tok-a", PEER, keys, authority.anchor(), NOW, TIMEOUT);
        assertThat(creds.identity(authority.anchor(), NOW).peerId()).isEqualTo(PEER);
        assertThat(bodies.get(0)).contains("\"peerId\":\"2f1c9a0d54e1b6a7\"");
        otherPeer = true;
        expect(
                () -> LoginClient.login(url, "dev", "tok-a", PEER, keys, authority.anchor(), NOW, TIMEOUT),
                AuthException.Code.CERTIFICATE_MALFORMED,
                "issued a certificate for peer 00000000000000aa instead of this device's peer 2f1c9a0d54e1b6a7");
        assertThatThrownBy(() -> LoginClient.login(url, "dev", "tok-a", 0, keys, authority.anchor(), NOW, TIMEOUT))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("peer id 0 is not a peer's id");
    }

    @Test
    void anAuthorityFromBeforePeerIdsIsAskedAgainWithoutOne() throws Exception {
        old = true;
        KeyPair keys = DeviceCredentials.newKeyPair();
        DeviceCredentials creds = LoginClient.login(url, "dev", "tok-a", PEER, keys, authority.anchor(), NOW, TIMEOUT);
        assertThat(creds.identity(authority.anchor(), NOW).peerId()).isZero();
        assertThat(bodies).hasSize(2);
        assertThat(bodies.get(0)).contains("\"peerId\"");
        assertThat(bodies.get(1)).doesNotContain("\"peerId\"");
        // any other bad request is not retried
        bodies.clear();
        old = false;
        expect(
                () -> LoginClient.login(url, "nope", "tok-a", PEER, keys, authority.anchor(), NOW, TIMEOUT),
                AuthException.Code.BAD_REQUEST,
                "provider 'nope' is not configured here");
        assertThat(bodies).hasSize(1);
    }

    @Test
    void refusalsKeepTheAuthoritysCodeAndBadCertificatesAreNotKept() throws Exception {
        KeyPair keys = DeviceCredentials.newKeyPair();
        expect(
                () -> LoginClient.login(url, "dev", "tok-x", PEER, keys, authority.anchor(), NOW, TIMEOUT),
                AuthException.Code.BAD_TOKEN,
                "refused the login (auth/bad-token): provider 'dev' does not know this token");
        expect(
                () -> LoginClient.login(url, "nope", "tok-a", PEER, keys, authority.anchor(), NOW, TIMEOUT),
                AuthException.Code.BAD_REQUEST,
                "provider 'nope' is not configured here");
        Authority other = Authority.init(dir.resolve("other"), NOW);
        expect(
                () -> LoginClient.login(url, "dev", "tok-a", PEER, keys, other.anchor(), NOW, TIMEOUT),
                AuthException.Code.CERTIFICATE_OTHER_AUTHORITY,
                "issued by another authority");
        evil = true;
        expect(
                () -> LoginClient.login(url, "dev", "tok-a", PEER, keys, authority.anchor(), NOW, TIMEOUT),
                AuthException.Code.CERTIFICATE_MALFORMED,
                "issued a certificate for another key than this device's");
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        expect(
                () -> LoginClient.login(
                        URI.create("http://127.0.0.1:" + closed),
                        "dev",
                        "tok-a",
                        PEER,
                        keys,
                        authority.anchor(),
                        NOW,
                        TIMEOUT),
                AuthException.Code.AUTHORITY_UNAVAILABLE,
                "the authority at http://127.0.0.1:" + closed + " is unreachable");
    }

    /** Peer ids are public (presence shows them): mallory asking for alice's gets a refusal, with its code. */
    @Test
    void aLoginForAnotherUsersPeerIdIsRefusedWithItsCodeAndTheOwnerRenews() throws Exception {
        KeyPair alice = DeviceCredentials.newKeyPair();
        LoginClient.login(url, "dev", "tok-a", PEER, alice, authority.anchor(), NOW, TIMEOUT);
        KeyPair mallory = DeviceCredentials.newKeyPair();
        expect(
                () -> LoginClient.login(url, "dev", "tok-m", PEER, mallory, authority.anchor(), NOW, TIMEOUT),
                AuthException.Code.PEER_ID_TAKEN,
                "refused the login (auth/peer-id-taken): peer 2f1c9a0d54e1b6a7 is bound to another user");
        DeviceCredentials renewed =
                LoginClient.login(url, "dev", "tok-a", PEER, alice, authority.anchor(), NOW, TIMEOUT);
        assertThat(DeviceCertificates.verify(renewed.certificate(), authority.anchor(), NOW)
                        .userId())
                .isEqualTo("alice");
        assertThat(service.counts().refused(AuthException.Code.PEER_ID_TAKEN)).isEqualTo(1);
    }

    @Test
    void brokenCredentialFilesAreReported() throws Exception {
        Path db = Files.createDirectories(dir.resolve("db"));
        Files.writeString(db.resolve("device.key"), "x");
        assertThatThrownBy(() -> DeviceCredentials.load(db))
                .hasMessageContaining("without " + db.resolve("device.pem"));
        LoginClient.login(url, "dev", "tok-a", PEER, DeviceCredentials.newKeyPair(), authority.anchor(), NOW, TIMEOUT)
                .save(db);
        Files.writeString(
                db.resolve("device.key"),
                Pem.write(
                        "PRIVATE KEY",
                        DeviceCredentials.newKeyPair().getPrivate().getEncoded()));
        assertThatThrownBy(() -> DeviceCredentials.load(db)).hasMessageContaining("does not match");
        Files.writeString(db.resolve("device.key"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assertThatThrownBy(() -> DeviceCredentials.load(db)).hasMessageContaining("device.key is corrupt");
    }

    static void expect(
            org.assertj.core.api.ThrowableAssert.ThrowingCallable call, AuthException.Code code, String message) {
        assertThatThrownBy(call)
                .isInstanceOf(AuthException.class)
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(((AuthException) e).code()).isEqualTo(code))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("tok-"));
    }
}
