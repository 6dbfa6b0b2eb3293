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
                        + " \"north\"}}}}}}");
        AuthConfig config = AuthConfig.load(dir.resolve("auth.json"), CLOCK);
        service = new LoginService(Authority.load(config.authorityDirectory()), config, "app", CLOCK);
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

    void expect(String body, AuthException.Code code, String message) {
        assertThatThrownBy(() -> service.login(body.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(AuthException.class)
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(((AuthException) e).code()).isEqualTo(code))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("tok-b"));
    }
}
