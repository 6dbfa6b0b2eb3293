package io.starling.cli;

import static io.starling.cli.CliRunner.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.cli.CliRunner.Background;
import io.starling.cli.CliRunner.Result;
import io.starling.internal.auth.DeviceCertificates;
import io.starling.internal.auth.Pem;
import io.starling.testsupport.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A device logging in with {@code --login} to an authority peer ({@code --auth-config}) over 127.0.0.1, as a user
 * runs it: what the CLI says for a refused token and a missing option, the files a login leaves, the device syncing
 * with the authority over mutual TLS, and the authority's presence naming the device's user.
 */
class OnlineLoginCliTest {
    @TempDir
    Path dir;

    @Test
    void aDeviceLogsInKeepsItsCertificateAndSyncsWithTheAuthority() throws Exception {
        Path auth = dir.resolve("auth");
        assertThat(cli().run("authority", "init", auth.toString()).exitCode()).isZero();
        Path anchor = auth.resolve("authority.pem");
        Path config = dir.resolve("auth.json");
        Files.writeString(
                config,
                "{\"authority\": \"auth\", \"providers\": {\"dev\": {\"type\": \"static\", \"tokens\": {"
                        + "\"tok-a\": {\"userId\": \"alice\", \"expirationSeconds\": 3600, \"permissions\":"
                        + " {\"read\": {\"everything\": true}, \"write\": {\"everything\": true}},"
                        + " \"metadata\": {\"team\": \"north\"}},"
                        + "\"tok-m\": {\"userId\": \"mallory\", \"expirationSeconds\": 3600, \"permissions\": {}}}}}}");
        try (Background authority = cli().start(
                        "peer",
                        "--db",
                        dir.resolve("authority-db").toString(),
                        "--listen",
                        "127.0.0.1:0",
                        "--http",
                        "127.0.0.1:0",
                        "--subscribe",
                        "SELECT * FROM tasks",
                        "--auth-config",
                        config.toString())) {
            String sync = authority.awaitErrLine("sync listening on ");
            String http = authority.awaitErrLine("http listening on ");
            authority.await("ready", () -> authority.err().contains("\nready; stop with Ctrl-C or SIGTERM\n"));
            assertThat(authority.err()).contains("identity: online, user authority, certificate of authority ");
            // the authority's own certificate names its peer id, as every device's does
            assertThat(peerIdInCertificate(dir.resolve("authority-db"))).isEqualTo(peerIdPrinted(authority));
            Path device = dir.resolve("device-db");

            Result refused = cli().run(
                            "peer",
                            "--db",
                            device.toString(),
                            "--connect",
                            sync,
                            "--login",
                            http,
                            "--provider",
                            "dev",
                            "--token",
                            "not-a-known-token",
                            "--trust",
                            anchor.toString());
            assertThat(refused.exitCode()).isEqualTo(2);
            assertThat(refused.err())
                    .contains("error: auth/bad-token: cannot log in: the authority at " + http
                            + " refused the login (auth/bad-token): provider \"dev\" does not know this token\n")
                    .doesNotContain("not-a-known-token");
            assertThat(device.resolve("device.key")).doesNotExist();

            Result noToken = cli().run(
                            "peer",
                            "--db",
                            device.toString(),
                            "--login",
                            http,
                            "--provider",
                            "dev",
                            "--trust",
                            anchor.toString());
            assertThat(noToken.exitCode()).isEqualTo(2);
            assertThat(noToken.err())
                    .contains("logging in to an authority needs --token TOKEN (or $STARLING_LOGIN_TOKEN) too");

            Result badUrl = cli().run(
                            "peer",
                            "--db",
                            device.toString(),
                            "--login",
                            "127.0.0.1:8080",
                            "--provider",
                            "dev",
                            "--token",
                            "tok-a",
                            "--trust",
                            anchor.toString());
            assertThat(badUrl.exitCode()).isEqualTo(2);
            assertThat(badUrl.err()).contains("--login must be the authority's HTTP base URL, such as");

            try (Background peer = cli().start(
                            "peer",
                            "--db",
                            device.toString(),
                            "--connect",
                            sync,
                            "--http",
                            "127.0.0.1:0",
                            "--subscribe",
                            "SELECT * FROM tasks",
                            "--login",
                            http,
                            "--provider",
                            "dev",
                            "--token",
                            "tok-a",
                            "--trust",
                            anchor.toString())) {
                String deviceHttp = peer.awaitErrLine("http listening on ");
                assertThat(peer.awaitErrLine("identity: online, user ")).startsWith("alice, certificate of authority ");
                assertThat(Files.getPosixFilePermissions(device.resolve("device.key")))
                        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
                assertThat(device.resolve("device.pem")).exists();
                assertThat(peerIdInCertificate(device)).isEqualTo(peerIdPrinted(peer));

                Result insert = cli().run(
                                "exec",
                                "--url",
                                deviceHttp,
                                "INSERT INTO tasks DOCUMENTS ({'_id': 't1', 'owner': 'alice'})");
                assertThat(insert.exitCode()).as(insert.err()).isZero();
                Await.until(
                        "the authority has the device's task",
                        Duration.ofSeconds(30),
                        () -> cli().run("exec", "--url", http, "SELECT * FROM tasks")
                                .out()
                                .contains("\"t1\""));
                Await.until(
                        "the authority's presence names alice",
                        Duration.ofSeconds(30),
                        () -> PresenceJson.fetch(http).contains("\"userId\":\"alice\""));
                assertThat(PresenceJson.fetch(http)).contains("\"metadata\":{\"team\":\"north\"}");
            }

            // mallory's device with a copy of alice's store (not her key or certificate) names alice's peer id
            Path copy = dir.resolve("mallory-db");
            Files.createDirectories(copy);
            try (var files = Files.list(device)) {
                for (Path f : files.toList()) {
                    String name = f.getFileName().toString();
                    if (Files.isRegularFile(f) && !name.startsWith("device.")) Files.copy(f, copy.resolve(name));
                }
            }
            Result taken = cli().run(
                            "peer",
                            "--db",
                            copy.toString(),
                            "--login",
                            http,
                            "--provider",
                            "dev",
                            "--token",
                            "tok-m",
                            "--trust",
                            anchor.toString());
            assertThat(taken.exitCode()).as(taken.err()).isEqualTo(2);
            assertThat(taken.err())
                    .contains("error: auth/peer-id-taken: cannot log in: the authority at " + http
                            + " refused the login (auth/peer-id-taken): peer " + peerIdInCertificate(device)
                            + " is bound to another user")
                    .doesNotContain("alice");
            assertThat(copy.resolve("device.pem")).doesNotExist();
        }
    }

    /** The peer id a peer printed on its first line, {@code peer 2f1c9a0d54e1b6a7 (app …)}. */
    static String peerIdPrinted(Background peer) {
        return peer.awaitErrLine("peer ").substring(0, 16);
    }

    /** The peer id the certificate kept in a database directory names, as 16 hex digits. */
    static String peerIdInCertificate(Path db) throws Exception {
        X509Certificate cert =
                Pem.certificates(Files.readString(db.resolve("device.pem"))).get(0);
        return DeviceCertificates.peerIdText(DeviceCertificates.peerIdOf(cert));
    }

    /** {@code GET /api/v1/presence} of a peer. */
    static final class PresenceJson {
        static String fetch(String base) {
            try {
                java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient()
                        .send(
                                java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/api/v1/presence"))
                                        .build(),
                                java.net.http.HttpResponse.BodyHandlers.ofString());
                return r.body();
            } catch (java.io.IOException e) {
                return "";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "";
            }
        }
    }
}
