package io.starling.cli;

import static io.starling.cli.CliRunner.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.cli.CliRunner.Result;
import io.starling.transport.SharedKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code starling keygen}: a new key, never an overwritten one, and its fingerprint. */
class KeygenCommandTest {
    @TempDir
    Path dir;

    @Test
    void writesAKeyAndPrintsItsFingerprintAndWhatToDoWithIt() throws Exception {
        Path key = dir.resolve("app.key");
        Result r = cli().run("keygen", key.toString());
        assertThat(r.err()).isEmpty();
        assertThat(r.exitCode()).isZero();
        String fingerprint = SharedKeys.describe(key);
        assertThat(r.out())
                .startsWith("wrote a new shared key to " + key + "\nfingerprint " + fingerprint + "\n")
                .contains("to every peer of the app")
                .contains("--shared-key " + key);
        assertThat(fingerprint).matches("[0-9a-f]{16}");
        if (Files.getFileStore(key).supportsFileAttributeView("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
                    .isEqualTo("rw-------");
        }

        Result print = cli().run("keygen", "--fingerprint", key.toString());
        assertThat(print.exitCode()).isZero();
        assertThat(print.out()).isEqualTo(fingerprint + "\n");
    }

    @Test
    void twoKeysDiffer() {
        cli().run("keygen", dir.resolve("a.key").toString());
        cli().run("keygen", dir.resolve("b.key").toString());
        assertThat(SharedKeys.describe(dir.resolve("a.key"))).isNotEqualTo(SharedKeys.describe(dir.resolve("b.key")));
    }

    @Test
    void neverOverwrites() throws Exception {
        Path key = dir.resolve("app.key");
        Files.writeString(key, "precious");
        Result r = cli().run("keygen", key.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("error: config/invalid: " + key + " exists; keygen never overwrites a key");
        assertThat(Files.readString(key)).isEqualTo("precious");
    }

    @Test
    void aMissingDirectoryOrANonKeyIsAUsageError() throws Exception {
        assertThat(cli().run("keygen", dir.resolve("no/such/dir/app.key").toString())
                        .err())
                .startsWith("error: config/invalid: no directory ");
        Path notAKey = Files.writeString(dir.resolve("notes.txt"), "hello");
        Result r = cli().run("keygen", "--fingerprint", notAKey.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: config/invalid: ").doesNotContain("\tat ");
        assertThat(cli().run("keygen").exitCode()).isEqualTo(2);
    }
}
