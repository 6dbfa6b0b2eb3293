package io.starling.cli;

import static io.starling.cli.CliRunner.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.starling.cli.CliRunner.Background;
import io.starling.cli.CliRunner.Result;
import io.starling.internal.auth.Authority;
import io.starling.internal.auth.DeviceCertificates;
import io.starling.internal.auth.Pem;
import io.starling.internal.auth.RevocationList;
import io.starling.internal.auth.VerifiedIdentity;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code starling authority init}, and a peer started with {@code --auth-config} logging devices in over its HTTP API
 * on 127.0.0.1: certificates for good tokens, each kind of refusal with its code, the admin token still required
 * everywhere else.
 */
class AuthorityCliTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void initMakesTheFilesSaysWhereEachGoesAndNeverOverwrites() throws Exception {
        Path auth = dir.resolve("auth");
        Result made = cli().run("authority", "init", auth.toString());
        assertThat(made.err()).isEmpty();
        assertThat(made.exitCode()).isZero();
        String fingerprint = Authority.load(auth).fingerprint();
        assertThat(made.out())
                .isEqualTo("made a new authority in " + auth + "\n"
                        + "  " + auth + "/authority.key  the private key (mode 600): keep it on the authority only;"
                        + " whoever holds it can issue certificates\n"
                        + "  " + auth + "/authority.pem  the trust anchor: give it to every peer of the app (it is"
                        + " public)\n"
                        + "fingerprint " + fingerprint + "\n"
                        + "Next: write an auth-config file whose \"authority\" is " + auth + " and start the"
                        + " authority with 'starling peer --auth-config FILE --http ADDRESS' (docs/AUTH.md).\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(auth.resolve("authority.key"))))
                .isEqualTo("rw-------");
        byte[] key = Files.readAllBytes(auth.resolve("authority.key"));

        Result again = cli().run("authority", "init", auth.toString());
        assertThat(again.exitCode()).isEqualTo(2);
        assertThat(again.out()).isEmpty();
        assertThat(again.err())
                .startsWith("error: auth/config-invalid: " + auth + "/authority.key already exists; refusing to"
                        + " overwrite an authority")
                .doesNotContain("\tat ");
        assertThat(Files.readAllBytes(auth.resolve("authority.key"))).isEqualTo(key);
    }

    @Test
    void revokeSignsTheNextListAndRevocationsPrintsIt() throws Exception {
        Path auth = dir.resolve("auth");
        assertThat(cli().run("authority", "init", auth.toString()).exitCode()).isZero();
        assertThat(cli().run("authority", "revocations", auth.toString()).out())
                .isEqualTo("nothing is revoked (no revocations.bin in " + auth + ")\n");

        Result bob = cli().run("authority", "revoke", auth.toString(), "--user", "bob");
        assertThat(bob.exitCode()).isZero();
        assertThat(bob.out())
                .isEqualTo("revoked user bob: " + auth + "/revocations.bin is now list 1 (1 users, 0 devices)\n");
        assertThat(cli().run("authority", "revoke", auth.toString(), "--user", "bob")
                        .out())
                .isEqualTo("user bob is revoked already (list 1); nothing changed\n");
        String device = "AB:".repeat(31) + "AB";
        assertThat(cli().run("authority", "revoke", auth.toString(), "--device", device)
                        .exitCode())
                .isZero();

        RevocationList list = RevocationList.load(
                auth.resolve(RevocationList.FILE), Authority.load(auth).anchor());
        assertThat(list.serial()).isEqualTo(2);
        assertThat(list.users()).containsExactly("bob");
        assertThat(list.devices()).containsExactly("ab".repeat(32));
        assertThat(cli().run("authority", "revocations", auth.toString()).out())
                .startsWith("revocation list 2, signed ")
                .endsWith("\n  user    bob\n  device  " + "ab".repeat(32) + "\n");

        Result bad = cli().run("authority", "revoke", auth.toString(), "--device", "abc");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err())
                .isEqualTo("error: cli/usage: a device fingerprint is 64 hex digits (SHA-256 of the device's public"
                        + " key, as the peer logs it); got \"abc\"\n");
        Result neither = cli().run("authority", "revoke", auth.toString());
        assertThat(neither.exitCode()).isEqualTo(2);
        assertThat(neither.err()).contains("Missing required argument (specify one of these)");
        Files.write(auth.resolve(RevocationList.FILE), new byte[] {1});
        assertThat(cli().run("authority", "revocations", auth.toString()).err())
                .isEqualTo("error: auth/revocation-list-invalid: " + auth
                        + "/revocations.bin: the revocation list is not a Starling revocation list\n");
    }

    @Test
    void aPeerWithAnAuthConfigLogsDevicesInWithoutTheAdminToken() throws Exception {
        Path auth = dir.resolve("auth");
        assertThat(cli().run("authority", "init", auth.toString()).exitCode()).isZero();
        HttpServer webhook = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        webhook.createContext("/no", ex -> {
            ex.getRequestBody().readAllBytes();
            byte[] no = "{\"authenticated\": false}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, no.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(no);
            }
        });
        webhook.start();
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Files.writeString(dir.resolve("webhook.secret"), "0123456789abcdef0123456789abcdef\n");
        Path config = dir.resolve("auth.json");
        Files.writeString(
                config,
                "{\"authority\": \"auth\", \"providers\": {"
                        + "\"dev\": {\"type\": \"static\", \"tokens\": {\"tok-a\": {\"userId\": \"alice\","
                        + " \"expirationSeconds\": 3600, \"permissions\": {\"read\": {\"queriesByCollection\":"
                        + " {\"tasks\": [\"owner = :userId\"]}}}, \"metadata\": {\"team\": \"north\"}}}},"
                        + "\"corp\": {\"type\": \"webhook\", \"url\": \"http://127.0.0.1:"
                        + webhook.getAddress().getPort() + "/no\", \"secretFile\": \"webhook.secret\"},"
                        + "\"down\": {\"type\": \"webhook\", \"url\": \"http://127.0.0.1:" + closed + "/\","
                        + " \"secretFile\": \"webhook.secret\", \"timeoutSeconds\": 5}}}");
        try (Background peer = cli().start(
                        "peer",
                        "--db",
                        dir.resolve("db").toString(),
                        "--http",
                        "127.0.0.1:0",
                        "--http-token",
                        "admin-secret",
                        "--auth-config",
                        config.toString())) {
            peer.await("ready", () -> peer.err().contains("\nready; stop with Ctrl-C or SIGTERM\n"));
            String url = peer.awaitErrLine("http listening on ");
            assertThat(peer.err())
                    .contains("authority " + Authority.load(auth).fingerprint().substring(0, 16) + " (" + config
                            + "): devices log in with POST /api/v1/auth/login, providers dev (static), corp"
                            + " (webhook), down (webhook)\n");

            KeyPair device = p256();
            String key = Pem.publicKey(device.getPublic());
            HttpResponse<String> ok = login(url, "dev", "tok-a", key);
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
            JsonNode answer = JSON.readTree(ok.body());
            assertThat(answer.get("userId").asText()).isEqualTo("alice");
            assertThat(answer.get("peerId").asText()).isEqualTo("2f1c9a0d54e1b6a7");
            assertThat(answer.get("permissions").toString())
                    .isEqualTo("{\"read\":{\"everything\":false,\"queriesByCollection\":{\"tasks\":[\"owner ="
                            + " :userId\"]}},\"write\":{\"everything\":false,\"queriesByCollection\":{}}}");
            X509Certificate cert =
                    Pem.certificates(answer.get("certificate").asText()).get(0);
            VerifiedIdentity id =
                    DeviceCertificates.verify(cert, Authority.readAnchor(auth.resolve("authority.pem")), Instant.now());
            assertThat(id.userId()).isEqualTo("alice");
            assertThat(id.peerId()).isEqualTo(0x2f1c9a0d54e1b6a7L);
            assertThat(id.expiresAt())
                    .isEqualTo(Instant.parse(answer.get("expiresAt").asText()));
            assertThat(cert.getPublicKey()).isEqualTo(device.getPublic());

            // base64 of the DER key works as well as PEM
            String b64 = Base64.getEncoder().encodeToString(device.getPublic().getEncoded());
            assertThat(login(url, "dev", "tok-a", b64).statusCode()).isEqualTo(200);

            expectError(login(url, "dev", "tok-wrong", key), 401, "auth/bad-token", "does not know this token");
            expectError(login(url, "corp", "tok-a", key), 403, "auth/denied", "did not authenticate the token");
            expectError(login(url, "down", "tok-a", key), 502, "auth/provider-unavailable", "is unreachable");
            expectError(
                    login(url, "sso", "tok-a", key),
                    400,
                    "auth/bad-request",
                    "provider \"sso\" is not configured here (providers: dev, corp, down)");
            expectError(login(url, "dev", "tok-a", "AAAA"), 400, "auth/bad-request", "\"publicKey\"");
            // a device from before certificates named peer ids: no certificate that would let it claim any peer id
            expectError(
                    post(
                            url + "/api/v1/auth/login",
                            JSON.writeValueAsString(
                                    java.util.Map.of("provider", "dev", "token", "tok-a", "publicKey", key))),
                    400,
                    "auth/bad-request",
                    "the login request lacks \"peerId\"");
            expectError(
                    post(
                            url + "/api/v1/auth/login",
                            JSON.writeValueAsString(java.util.Map.of(
                                    "provider", "dev", "token", "tok-a", "publicKey", key, "peerId", "0"))),
                    400,
                    "auth/bad-request",
                    "\"peerId\": a peer id is 16 lowercase hex digits; \"0\" has 1 character");
            expectError(post(url + "/api/v1/auth/login", "x".repeat(20_000)), 413, "http/payload-too-large", "16384");

            // everything else still needs the admin token
            expectError(
                    post(url + "/api/v1/execute", "{\"statement\": \"SELECT * FROM tasks\"}"),
                    401,
                    "http/unauthorized",
                    "Bearer");
            assertThat(peer.err()).doesNotContain("tok-a").doesNotContain("tok-wrong");
        } finally {
            webhook.stop(0);
        }
    }

    /**
     * The gap of docs/SECURITY.md: peer ids are public, so mallory could log in naming alice's. The authority binds each
     * id to its first user, keeps it across a restart, counts refusals, and an admin lists and releases bindings.
     */
    @Test
    void aPeerIdIsBoundToItsFirstUserUntilAnAdminReleasesIt() throws Exception {
        Path auth = dir.resolve("auth");
        assertThat(cli().run("authority", "init", auth.toString()).exitCode()).isZero();
        Path config = dir.resolve("auth.json");
        Files.writeString(
                config,
                "{\"authority\": \"auth\", \"providers\": {\"dev\": {\"type\": \"static\", \"tokens\": {"
                        + "\"tok-a\": {\"userId\": \"alice\", \"expirationSeconds\": 3600, \"permissions\": {}},"
                        + "\"tok-m\": {\"userId\": \"mallory\", \"expirationSeconds\": 3600, \"permissions\": {}}}}}}");
        Path db = dir.resolve("db");
        String[] args = {
            "peer",
            "--db",
            db.toString(),
            "--http",
            "127.0.0.1:0",
            "--http-token",
            "admin-secret",
            "--auth-config",
            config.toString()
        };
        String alice = Pem.publicKey(p256().getPublic());
        String mallory = Pem.publicKey(p256().getPublic());
        String aliceKey = Pem.fingerprint(Pem.devicePublicKey(alice));
        try (Background peer = cli().start(args)) {
            peer.await("ready", () -> peer.err().contains("\nready; stop with Ctrl-C or SIGTERM\n"));
            String url = peer.awaitErrLine("http listening on ");
            String own = peer.awaitErrLine("peer ").substring(0, 16);
            assertThat(peer.err())
                    .contains("authority: each peer id certified is bound to its first user, kept in "
                            + db.toAbsolutePath().resolve("authority-peers.json") + " (starling authority peers)\n");

            assertThat(loginAs(url, "tok-a", alice, "2f1c9a0d54e1b6a7").statusCode())
                    .isEqualTo(200);
            expectError(
                    loginAs(url, "tok-m", mallory, "2f1c9a0d54e1b6a7"),
                    409,
                    "auth/peer-id-taken",
                    "peer 2f1c9a0d54e1b6a7 is bound to another user");
            expectError(loginAs(url, "tok-a", alice, own), 409, "auth/peer-id-taken", "the authority's own peer id");
            assertThat(loginAs(url, "tok-a", alice, "2f1c9a0d54e1b6a7").statusCode())
                    .as("alice renews")
                    .isEqualTo(200);
            HttpResponse<String> metrics = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(url + "/metrics"))
                                    .header("Authorization", "Bearer admin-secret")
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.body())
                    .contains("\nstarling_auth_logins_total 2\n")
                    .contains("\nstarling_auth_logins_refused_total{code=\"auth/peer-id-taken\"} 2\n");
            assertThat(peer.stop().exitCode()).isZero();
        }

        // restarted, the authority still knows whose the id is
        try (Background peer = cli().start(args)) {
            peer.await("ready", () -> peer.err().contains("\nready; stop with Ctrl-C or SIGTERM\n"));
            String url = peer.awaitErrLine("http listening on ");
            expectError(loginAs(url, "tok-m", mallory, "2f1c9a0d54e1b6a7"), 409, "auth/peer-id-taken", "another user");

            // the admin lists and releases (a separate process from the running peer, on the same file)
            Result peers = cli().run("authority", "peers", "--db", db.toString());
            assertThat(peers.exitCode()).as(peers.err()).isZero();
            assertThat(peers.out()).matches("2f1c9a0d54e1b6a7  user alice  device " + aliceKey + "  since \\S+Z\n");
            Result released = cli().run("authority", "release", "--db", db.toString(), "--peer", "2f1c9a0d54e1b6a7");
            assertThat(released.exitCode()).as(released.err()).isZero();
            assertThat(released.out())
                    .isEqualTo("released peer 2f1c9a0d54e1b6a7 (was user alice, device " + aliceKey.substring(0, 16)
                            + ")\n");
            assertThat(loginAs(url, "tok-m", mallory, "2f1c9a0d54e1b6a7").statusCode())
                    .as("released: mallory's store may have it now")
                    .isEqualTo(200);
            expectError(loginAs(url, "tok-a", alice, "2f1c9a0d54e1b6a7"), 409, "auth/peer-id-taken", "another user");

            Result again = cli().run("authority", "release", "--db", db.toString(), "--user", "alice");
            assertThat(again.exitCode()).isEqualTo(2);
            assertThat(again.err()).contains("auth/not-bound: no peer id is bound to user alice in ");
            Result byUser = cli().run("authority", "release", "--db", db.toString(), "--user", "mallory");
            assertThat(byUser.out()).isEqualTo("released 1 peer id of user mallory\n");
            Result none = cli().run("authority", "peers", "--db", db.toString());
            assertThat(none.out()).isEmpty();
            assertThat(none.err()).startsWith("no peer ids bound in ");
            Result badPeer = cli().run("authority", "release", "--db", db.toString(), "--peer", "2F1C");
            assertThat(badPeer.exitCode()).isEqualTo(2);
            assertThat(badPeer.err()).contains("--peer: a peer id is 16 lowercase hex digits");
            assertThat(peer.stop().exitCode()).isZero();
        }
    }

    static HttpResponse<String> loginAs(String url, String token, String publicKey, String peerId) throws Exception {
        return post(
                url + "/api/v1/auth/login",
                JSON.writeValueAsString(
                        java.util.Map.of("provider", "dev", "token", token, "publicKey", publicKey, "peerId", peerId)));
    }

    @Test
    void aBadAuthConfigIsAUsageError() throws Exception {
        Result noHttp = cli().run("peer", "--db", dir.resolve("db").toString(), "--auth-config", "x.json");
        assertThat(noHttp.exitCode()).isEqualTo(2);
        assertThat(noHttp.err())
                .isEqualTo("error: cli/usage: --auth-config needs --http: devices log in over the" + " HTTP API\n");

        Path config = dir.resolve("auth.json");
        Files.writeString(config, "{\"authority\": \"nowhere\", \"providers\": {\"dev\": {\"type\": \"ldap\"}}}");
        Result bad = cli().run(
                        "peer",
                        "--db",
                        dir.resolve("db").toString(),
                        "--http",
                        "127.0.0.1:0",
                        "--auth-config",
                        config.toString());
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err())
                .isEqualTo("error: auth/config-invalid: auth-config file " + config + ": providers.dev.type \"ldap\" is"
                        + " not a provider type; expected \"static\", \"webhook\" or \"jwt\"\n");

        Files.writeString(
                config,
                "{\"authority\": \"nowhere\", \"providers\": {\"dev\": {\"type\": \"static\", \"tokens\": {\"t\":"
                        + " {\"userId\": \"a\", \"expirationSeconds\": 60, \"permissions\": {}}}}}}");
        Result noAuthority = cli().run(
                        "peer",
                        "--db",
                        dir.resolve("db").toString(),
                        "--http",
                        "127.0.0.1:0",
                        "--auth-config",
                        config.toString());
        assertThat(noAuthority.exitCode()).isEqualTo(2);
        assertThat(noAuthority.err())
                .isEqualTo("error: auth/config-invalid: the authority of " + config + ": authority directory "
                        + dir.resolve("nowhere") + " does not exist (create one with 'starling authority init "
                        + dir.resolve("nowhere") + "')\n");
    }

    static KeyPair p256() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    static HttpResponse<String> login(String url, String provider, String token, String publicKey) throws Exception {
        String body = JSON.writeValueAsString(java.util.Map.of(
                "provider", provider, "token", token, "publicKey", publicKey, "peerId", "2f1c9a0d54e1b6a7"));
        return post(url + "/api/v1/auth/login", body);
    }

    static HttpResponse<String> post(String url, String body) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        return client.send(
                HttpRequest.newBuilder(URI.create(url))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static void expectError(HttpResponse<String> res, int status, String code, String message) throws Exception {
        assertThat(res.statusCode()).as(res.body()).isEqualTo(status);
        JsonNode error = JSON.readTree(res.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo(code);
        assertThat(error.get("message").asText()).contains(message).doesNotContain("tok-");
    }
}
