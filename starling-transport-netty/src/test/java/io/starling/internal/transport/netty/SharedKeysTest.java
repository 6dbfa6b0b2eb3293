package io.starling.internal.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.ErrorCode;
import io.starling.StarlingException;
import io.starling.transport.SharedKeys;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Key files: generation, fingerprints, and clear errors for every way a file can be unusable. */
class SharedKeysTest {
    @TempDir
    Path dir;

    static void assertConfigInvalid(Runnable r, String... fragments) {
        assertThatThrownBy(r::run)
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.CONFIG_INVALID))
                .hasMessageContainingAll(fragments);
    }

    @Test
    void generateWritesAPrivatePemFileThatDescribeFingerprints() throws Exception {
        Path file = dir.resolve("app.key");
        String fingerprint = SharedKeys.generate(file);
        assertThat(fingerprint).matches("[0-9a-f]{16}");
        assertThat(SharedKeys.describe(file)).isEqualTo(fingerprint);
        String pem = Files.readString(file);
        assertThat(pem).contains("-----BEGIN PRIVATE KEY-----", "-----BEGIN CERTIFICATE-----");
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                    .isEqualTo("rw-------");
        }
        assertThat(SharedKeys.generate(dir.resolve("other.key"))).isNotEqualTo(fingerprint);
    }

    @Test
    void generateRefusesToOverwriteOrToWriteWhereItCannot() throws Exception {
        Path file = dir.resolve("app.key");
        SharedKeys.generate(file);
        String before = Files.readString(file);
        assertConfigInvalid(() -> SharedKeys.generate(file), file.toString(), "already exists");
        assertThat(Files.readString(file)).isEqualTo(before);
        Path nowhere = dir.resolve("missing-dir").resolve("app.key");
        assertConfigInvalid(() -> SharedKeys.generate(nowhere), nowhere.toString(), "cannot write");
    }

    @Test
    void unusableFilesAreNamedWithTheReason() throws Exception {
        Path missing = dir.resolve("missing.key");
        assertConfigInvalid(() -> SharedKeys.describe(missing), missing.toString(), "does not exist");
        Path text = Files.writeString(dir.resolve("text.key"), "hello");
        assertConfigInvalid(() -> SharedKeys.describe(text), text.toString(), "no PRIVATE KEY");
        Path corrupt = Files.writeString(
                dir.resolve("corrupt.key"), "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
        assertConfigInvalid(() -> SharedKeys.describe(corrupt), corrupt.toString());
        Path binary = Files.write(dir.resolve("binary.key"), new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1});
        assertConfigInvalid(() -> SharedKeys.describe(binary), binary.toString());

        // a key from one file with the certificate of another
        Path a = dir.resolve("a.key"), b = dir.resolve("b.key");
        SharedKeys.generate(a);
        SharedKeys.generate(b);
        String keyOfA = Files.readString(a).replaceAll("(?s)-----BEGIN CERTIFICATE-----.*", "");
        String certOfB = Files.readString(b).replaceAll("(?s).*(-----BEGIN CERTIFICATE-----)", "$1");
        Path mixed = Files.writeString(dir.resolve("mixed.key"), keyOfA + certOfB);
        assertConfigInvalid(() -> SharedKeys.describe(mixed), mixed.toString(), "does not match");
    }

    @Test
    void leafCertificatesNameThePeerAndChainToTheSharedKey() throws Exception {
        Path file = dir.resolve("app.key");
        SharedKeys.generate(file);
        KeyFile key = KeyFile.load(file);
        KeyPair pair = KeyFile.ecKeyPair();
        long peer = 0x00ab_cdef_0123_4567L;
        Instant now = Instant.now();
        X509Certificate leaf = TlsIdentity.leafCertificate(key, pair, peer, now);
        assertThat(leaf.getSubjectX500Principal().getName()).isEqualTo("CN=00abcdef01234567");
        assertThat(TlsIdentity.peerIdFromSubject(leaf)).isEqualTo(peer);
        leaf.verify(key.caCertificate().getPublicKey());
        assertThat(leaf.getNotBefore().toInstant()).isBefore(now.minusSeconds(3599));
        assertThat(leaf.getNotAfter().toInstant()).isAfter(now.plusSeconds(29L * 24 * 3600));
        assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
        assertThat(leaf.getExtendedKeyUsage()).containsAll(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"));
        assertThat(TlsIdentity.peerIdFromSubject(TlsIdentity.leafCertificate(key, pair, -1L, now)))
                .isEqualTo(-1L);
    }
}
