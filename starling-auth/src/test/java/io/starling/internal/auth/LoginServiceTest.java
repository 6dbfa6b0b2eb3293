package io.starling.internal.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoginServiceTest {
    static final long PEER = 0x2f1c9a0d54e1b6a7L;
    static final Instant NOW = Instant.parse("2026-12-05T10:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @TempDir
    Path dir;

    LoginService service;
    Authority authority;
    KeyPair device;

    @BeforeEach
    void setUp() throws Exception {
        authority = Authority.init(dir.resolve("authority"), NOW);
        Files.writeString(
                dir.resolve("auth.json"),
                "{\"authority\": \"authority\", \"providers\": {\"dev\": {\"type\": \"static\", \"tokens\": {"
                        + "\"tok-a\": {\"userId\": \"alice\", \"expirationSeconds\": 3600, \"permissions\": {\"read\":"
                        + " {\"queriesByCollection\": {\"tasks\": [\"owner = :userId\"]}}}, \"metadata\": {\"team\":"
                        + " \"north\"}},"
                        + "\"tok-m\": {\"userId\": \"mallory\", \"expirationSeconds\": 3600, \"permissions\": {}}}}}}");
        AuthConfig config = AuthConfig.load(dir.resolve("auth.json"), CLOCK);
        service = new LoginService(
                Authority.load(config.authorityDirectory()),
                config,
                "app",
                CLOCK,
                FilePeerBindings.inDirectory(dir),
                0);
        device = DeviceCertificatesTest.p256();
    }

    @Test
    void aGoodTokenGetsACertificateForTheDevicesOwnKey() {
        LoginService.Issued issued = service.login(LoginService.request("dev", "tok-a", device.getPublic(), PEER));
        assertThat(issued.userId()).isEqualTo("alice");
        assertThat(issued.expiresAt()).isEqualTo(NOW.plus(Duration.ofHours(1)));
        assertThat(issued.certificate().getPublicKey()).isEqualTo(device.getPublic());
        VerifiedIdentity id = DeviceCertificates.verify(issued.certificate(), authority.anchor(), NOW);
        assertThat(id.userId()).isEqualTo("alice");
        assertThat(id.peerId()).isEqualTo(PEER);
        assertThat(id.permissions()).isEqualTo(issued.permissions());
        assertThat(issued.toJson())
                .startsWith("{\"certificate\":\"-----BEGIN CERTIFICATE-----")
                .contains(
                        "\"peerId\":\"2f1c9a0d54e1b6a7\",\"userId\":\"alice\",\"expiresAt\":\"2026-12-05T11:00:00Z\",\"permissions\":{\"read\":"
                                + "{\"everything\":false,\"queriesByCollection\":{\"tasks\":[\"owner = :userId\"]}},"
                                + "\"write\":{\"everything\":false,\"queriesByCollection\":{}}},\"metadata\":{\"team\":\"north\"}}");
        // base64 of the DER key works too
        String b64 = "{\"provider\":\"dev\",\"token\":\"tok-a\",\"peerId\":\"2f1c9a0d54e1b6a7\",\"publicKey\":\""
                + Base64.getEncoder().encodeToString(device.getPublic().getEncoded()) + "\"}";
        assertThat(service.login(b64.getBytes(StandardCharsets.UTF_8)).userId()).isEqualTo("alice");
    }

    @Test
    void refusalsSayWhyWithTheirCode() {
        String key = Base64.getEncoder().encodeToString(device.getPublic().getEncoded());
        String peer = ",\"peerId\":\"2f1c9a0d54e1b6a7\"";
        expect(
                "{\"provider\":\"dev\",\"token\":\"tok-b\",\"publicKey\":\"" + key + "\"" + peer + "}",
                AuthException.Code.BAD_TOKEN,
                "provider \"dev\" does not know this token");
        expect(
                "{\"provider\":\"dev\",\"token\":\"\",\"publicKey\":\"" + key + "\"" + peer + "}",
                AuthException.Code.BAD_TOKEN,
                "a token is 1 to 8192 characters");
        expect(
                "{\"provider\":\"sso\",\"token\":\"tok-b\",\"publicKey\":\"" + key + "\"}",
                AuthException.Code.BAD_REQUEST,
                "provider \"sso\" is not configured here (providers: dev)");
        expect(
                "{\"provider\":\"dev\",\"token\":\"tok-b\"}",
                AuthException.Code.BAD_REQUEST,
                "\"publicKey\" must be a string");
        expect(
                "{\"provider\":\"dev\",\"token\":\"tok-b\",\"publicKey\":\"AAAA\"}",
                AuthException.Code.BAD_REQUEST,
                "\"publicKey\" is not a DER SubjectPublicKeyInfo");
        expect(
                "{\"provider\":\"dev\",\"token\":\"tok-b\",\"publicKey\":\"" + key + "\",\"csr\":1}",
                AuthException.Code.BAD_REQUEST,
                "unknown member \"csr\"");
        expect(
                "{\"provider\":\"dev\",\"token\":tok-b}",
                AuthException.Code.BAD_REQUEST,
                "the login request is not valid JSON (line 1, column");
        expect("[]", AuthException.Code.BAD_REQUEST, "must be a JSON object");
        // the peer id the certificate is to name: required, 16 lowercase hex digits, not 0
        expect(
                "{\"provider\":\"dev\",\"token\":\"tok-b\",\"publicKey\":\"" + key + "\"}",
                AuthException.Code.BAD_REQUEST,
                "the login request lacks \"peerId\"");
        String prefix = "{\"provider\":\"dev\",\"token\":\"tok-b\",\"publicKey\":\"" + key + "\",\"peerId\":";
        expect(prefix + "12}", AuthException.Code.BAD_REQUEST, "\"peerId\" must be a string");
        expect(
                prefix + "\"2F1C9A0D54E1B6A7\"}",
                AuthException.Code.BAD_REQUEST,
                "\"peerId\": a peer id is 16 lowercase hex digits; \"2F1C9A0D54E1B6A7\" has another character at"
                        + " position 2");
        expect(prefix + "\"2f1c\"}", AuthException.Code.BAD_REQUEST, "\"2f1c\" has 4 characters");
        expect(
                prefix + "\"0000000000000000\"}",
                AuthException.Code.BAD_REQUEST,
                "peer id 0000000000000000 is not a peer's id");
        expect(
                "{\"provider\":\"dev\",\"token\":\"" + "x".repeat(20_000) + "\"}",
                AuthException.Code.BAD_REQUEST,
                "the limit is 16384");
    }

    @Test
    void aRevokedUserOrDeviceKeyGetsNoCertificateAndTheListIsReadAgainWhenItChanges() throws Exception {
        Path file = dir.resolve("authority").resolve(RevocationList.FILE);
        byte[] alice = LoginService.request("dev", "tok-a", device.getPublic(), PEER);
        assertThat(service.login(alice).userId()).isEqualTo("alice");

        RevocationList list = RevocationList.empty().revokeUser("alice", authority, NOW);
        list.save(file);
        expect(new String(alice, StandardCharsets.UTF_8), AuthException.Code.REVOKED, "revoked user \"alice\"");

        // another key: the user is still revoked; a revoked device key is refused before its token is checked
        KeyPair other = DeviceCertificatesTest.p256();
        expect(
                new String(LoginService.request("dev", "tok-a", other.getPublic(), PEER), StandardCharsets.UTF_8),
                AuthException.Code.REVOKED,
                "revoked user");
        list.revokeDevice(Pem.fingerprint(other.getPublic()), authority, NOW).save(file);
        expect(
                new String(LoginService.request("dev", "tok-b", other.getPublic(), PEER), StandardCharsets.UTF_8),
                AuthException.Code.REVOKED,
                "revoked this device key");

        // a damaged list fails closed
        Files.write(file, new byte[] {1, 2, 3});
        expect(new String(alice, StandardCharsets.UTF_8), AuthException.Code.CONFIG_INVALID, "no login is accepted");
    }

    /** The gap of docs/SECURITY.md: mallory logging in for alice's peer id (peer ids are public). */
    @Test
    void aPeerIdBoundToAnotherUserIsRefusedWhileItsOwnUserRenewsAndMayChangeItsDeviceKey() throws Exception {
        byte[] alice = LoginService.request("dev", "tok-a", device.getPublic(), PEER);
        assertThat(service.login(alice).peerId()).isEqualTo(PEER);
        assertThat(service.bindings().get(PEER))
                .isEqualTo(new PeerBindings.Binding(PEER, "alice", Pem.fingerprint(device.getPublic()), NOW));

        KeyPair mallorys = DeviceCertificatesTest.p256();
        String taken = "peer 2f1c9a0d54e1b6a7 is bound to another user";
        expect(request("tok-m", mallorys, PEER), AuthException.Code.PEER_ID_TAKEN, taken);
        // alice's public key is public too: still not hers
        expect(request("tok-m", device, PEER), AuthException.Code.PEER_ID_TAKEN, taken);
        assertThatThrownBy(() -> service.login(LoginService.request("dev", "tok-m", mallorys.getPublic(), PEER)))
                .hasMessageNotContaining("alice")
                .isInstanceOfSatisfying(
                        AuthException.class,
                        e -> assertThat(e.code().httpStatus()).isEqualTo(409));
        assertThat(service.counts().refused(AuthException.Code.PEER_ID_TAKEN)).isEqualTo(3);

        // alice renews, and logs in again with a new key (the app reinstalled, its store kept)
        assertThat(service.login(alice).userId()).isEqualTo("alice");
        KeyPair reinstalled = DeviceCertificatesTest.p256();
        LoginService.Issued again = service.login(LoginService.request("dev", "tok-a", reinstalled.getPublic(), PEER));
        assertThat(again.certificate().getPublicKey()).isEqualTo(reinstalled.getPublic());
        assertThat(service.bindings().get(PEER))
                .isEqualTo(new PeerBindings.Binding(PEER, "alice", Pem.fingerprint(reinstalled.getPublic()), NOW));
        assertThat(service.counts().newDeviceKeys()).isEqualTo(1);
        assertThat(service.counts().issued()).isEqualTo(3);
        expect(request("tok-m", mallorys, PEER), AuthException.Code.PEER_ID_TAKEN, taken);

        // mallory's own store is hers
        assertThat(service.login(LoginService.request("dev", "tok-m", mallorys.getPublic(), PEER + 1))
                        .userId())
                .isEqualTo("mallory");
        // released by an admin, alice's old id goes to whoever logs in for it next
        assertThat(service.bindings().release(PEER)).isTrue();
        assertThat(service.login(LoginService.request("dev", "tok-m", mallorys.getPublic(), PEER))
                        .userId())
                .isEqualTo("mallory");
        expect(new String(alice, StandardCharsets.UTF_8), AuthException.Code.PEER_ID_TAKEN, taken);
    }

    @Test
    void theBindingSurvivesARestartOfTheAuthority() throws Exception {
        service.login(LoginService.request("dev", "tok-a", device.getPublic(), PEER));
        AuthConfig config = AuthConfig.load(dir.resolve("auth.json"), CLOCK);
        service = new LoginService(
                Authority.load(config.authorityDirectory()),
                config,
                "app",
                CLOCK,
                FilePeerBindings.inDirectory(dir),
                0);
        expect(
                request("tok-m", DeviceCertificatesTest.p256(), PEER),
                AuthException.Code.PEER_ID_TAKEN,
                "is bound to another user");
        assertThat(service.login(LoginService.request("dev", "tok-a", device.getPublic(), PEER))
                        .userId())
                .isEqualTo("alice");
    }

    @Test
    void theAuthoritysOwnPeerIdLimitsAndADamagedBindingsFileRefuseLogins() throws Exception {
        AuthConfig config = AuthConfig.load(dir.resolve("auth.json"), CLOCK);
        long own = 0x54ff0a023f1787c9L;
        service = new LoginService(
                authority, config, "app", CLOCK, FilePeerBindings.open(dir.resolve("b.json"), 3, 2), own);
        expect(request("tok-a", device, own), AuthException.Code.PEER_ID_TAKEN, "is the authority's own peer id");
        assertThat(service.bindings().get(own)).isNull();

        service.login(LoginService.request("dev", "tok-a", device.getPublic(), 1));
        service.login(LoginService.request("dev", "tok-a", device.getPublic(), 2));
        expect(
                request("tok-a", device, 3),
                AuthException.Code.PEER_ID_LIMIT,
                "user \"alice\" has 2 peer ids bound already");
        service.login(LoginService.request("dev", "tok-a", device.getPublic(), 2)); // a renewal binds nothing new
        service.login(LoginService.request("dev", "tok-m", device.getPublic(), 3));
        expect(
                request("tok-m", device, 4),
                AuthException.Code.PEER_ID_LIMIT,
                "the authority's peer id bindings are full");
        assertThat(service.counts().refused(AuthException.Code.PEER_ID_LIMIT)).isEqualTo(2);

        Files.writeString(dir.resolve("b.json"), "{\"v\": 1, \"bindings\": [{\"peer\": \"1\"}]}");
        expect(
                request("tok-a", device, 1),
                AuthException.Code.CONFIG_INVALID,
                "no login is accepted until it is fixed");
    }

    static String request(String token, KeyPair key, long peerId) {
        return new String(LoginService.request("dev", token, key.getPublic(), peerId), StandardCharsets.UTF_8);
    }

    void expect(String body, AuthException.Code code, String message) {
        assertThatThrownBy(() -> service.login(body.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(AuthException.class)
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(((AuthException) e).code()).isEqualTo(code))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("tok-b"));
    }
}
