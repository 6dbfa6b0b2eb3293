package io.starling.internal.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthorityTest {
    static final Instant NOW = Instant.parse("2026-12-05T10:00:00Z");

    @TempDir
    Path dir;

    @Test
    void initMakesAPrivateKeyAndATrustAnchorThatLoadReadsBack() throws Exception {
        Authority made = Authority.init(dir.resolve("auth"), NOW);
        Path key = dir.resolve("auth/authority.key");
        Path pem = dir.resolve("auth/authority.pem");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
                .isEqualTo("rw-------");
        assertThat(Files.readString(key)).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(Files.readString(pem))
                .startsWith("-----BEGIN CERTIFICATE-----")
                .doesNotContain("PRIVATE");

        Authority loaded = Authority.load(dir.resolve("auth"));
        assertThat(loaded.fingerprint()).isEqualTo(made.fingerprint()).hasSize(64);
        assertThat(loaded.anchor()).isEqualTo(made.anchor());
        assertThat(loaded.anchor().getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(Authority.readAnchor(pem)).isEqualTo(made.anchor());
        assertThat(made.anchor().getNotAfter().toInstant()).isAfter(NOW.plusSeconds(365L * 24 * 3600 * 50));
    }

    @Test
    void initRefusesToOverwriteAnAuthorityAndLeavesItIntact() throws Exception {
        Authority first = Authority.init(dir, NOW);
        byte[] key = Files.readAllBytes(dir.resolve(Authority.KEY_FILE));
        assertThatThrownBy(() -> Authority.init(dir, NOW))
                .isInstanceOf(AuthException.class)
                .hasMessageContaining("authority.key already exists; refusing to overwrite");
        assertThat(Files.readAllBytes(dir.resolve(Authority.KEY_FILE))).isEqualTo(key);
        Files.delete(dir.resolve(Authority.KEY_FILE));
        assertThatThrownBy(() -> Authority.init(dir, NOW)).hasMessageContaining("authority.pem already exists");
        assertThat(first.fingerprint()).hasSize(64);
    }

    @Test
    void loadSaysWhatIsWrong() throws Exception {
        assertThatThrownBy(() -> Authority.load(dir.resolve("none")))
                .hasMessageContaining("authority directory " + dir.resolve("none") + " does not exist")
                .hasMessageContaining("starling authority init");
        Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> Authority.load(dir.resolve("empty")))
                .hasMessageContaining("authority.key does not exist");

        Authority.init(dir.resolve("a"), NOW);
        Files.setPosixFilePermissions(dir.resolve("a/authority.key"), PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> Authority.load(dir.resolve("a")))
                .isInstanceOf(AuthException.class)
                .satisfies(e -> assertThat(((AuthException) e).code()).isEqualTo(AuthException.Code.CONFIG_INVALID))
                .hasMessageContaining("is open to others (mode rw-r--r--)")
                .hasMessageContaining("chmod 600");
        Files.setPosixFilePermissions(dir.resolve("a/authority.key"), PosixFilePermissions.fromString("rw-------"));

        Authority.init(dir.resolve("b"), NOW);
        Files.copy(
                dir.resolve("b/authority.pem"),
                dir.resolve("a/authority.pem"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> Authority.load(dir.resolve("a")))
                .hasMessageContaining("does not match")
                .hasMessageContaining("different authorities");

        Files.writeString(
                dir.resolve("b/authority.key"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assertThatThrownBy(() -> Authority.load(dir.resolve("b"))).hasMessageContaining("authority.key is corrupt");
        Files.writeString(dir.resolve("b/authority.key"), "hello");
        assertThatThrownBy(() -> Authority.load(dir.resolve("b")))
                .hasMessageContaining("holds no PKCS#8 PRIVATE KEY block");

        Files.writeString(dir.resolve("anchor.pem"), "not a certificate", StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> Authority.readAnchor(dir.resolve("anchor.pem")))
                .hasMessageContaining("anchor.pem holds no PEM CERTIFICATE block");
        assertThatThrownBy(() -> Authority.readAnchor(dir.resolve("missing.pem")))
                .hasMessageContaining("missing.pem does not exist");
    }
}
