package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.core.Value;
import io.starling.internal.query.Permissions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API key file: keys verify, are kept only as salted hashes, revoke, and a damaged file is named. */
class ApiKeysTest {
    @TempDir
    Path dir;

    private static final Permissions TASKS = Permissions.parse(Value.fromJava(Map.of(
            "read",
            Map.of(
                    "everything",
                    false,
                    "queriesByCollection",
                    Map.of("tasks", java.util.List.of("owner = :userId"))))));

    @Test
    void aCreatedKeyVerifiesAndTheFileHoldsOnlyASaltedHash() throws Exception {
        ApiKeys keys = ApiKeys.inDatabase(dir);
        ApiKeys.Created a = keys.create("dashboard", "alice", TASKS);
        ApiKeys.Created b = keys.create(null, null, Permissions.everything());
        assertThat(a.secretKey()).matches("stk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}");

        ApiKeys.Key verified = keys.verify(a.secretKey());
        assertThat(verified).isNotNull();
        assertThat(verified.name()).isEqualTo("dashboard");
        assertThat(verified.userId()).isEqualTo("alice");
        assertThat(verified.permissions()).isEqualTo(TASKS);
        assertThat(keys.verify(b.secretKey()).userId())
                .isEqualTo("apikey:" + b.key().id());

        String file = Files.readString(dir.resolve(ApiKeys.FILE_NAME), StandardCharsets.UTF_8);
        String secretA = a.secretKey().substring(21);
        assertThat(file).doesNotContain(secretA).contains(a.key().id()).contains("owner = :userId");
        assertThat(Files.getPosixFilePermissions(dir.resolve(ApiKeys.FILE_NAME)))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(a.key().salt()).isNotEqualTo(b.key().salt());
        assertThat(a.key().hash()).isEqualTo(ApiKeys.hmac(a.key().salt(), secretA.getBytes(StandardCharsets.US_ASCII)));

        // a fresh reader of the same file agrees
        assertThat(ApiKeys.inDatabase(dir).verify(a.secretKey())).isNotNull();
        assertThat(ApiKeys.inDatabase(dir).list())
                .extracting(ApiKeys.Key::id)
                .containsExactly(a.key().id(), b.key().id());
    }

    @Test
    void wrongSecretsMalformedKeysAndRevokedKeysDoNotVerify() {
        ApiKeys keys = ApiKeys.inDatabase(dir);
        ApiKeys.Created a = keys.create(null, null, TASKS);
        String key = a.secretKey();
        char last = key.charAt(key.length() - 1);
        assertThat(keys.verify(key.substring(0, key.length() - 1) + (last == 'A' ? 'B' : 'A')))
                .isNull();
        assertThat(keys.verify("stk_0000000000000000_" + key.substring(21))).isNull();
        assertThat(keys.verify("stk_")).isNull();
        assertThat(keys.verify(key + "x")).isNull();

        assertThat(keys.revoke(a.key().id())).isNotNull();
        assertThat(keys.verify(key)).isNull();
        assertThat(keys.revoke(a.key().id())).isNull();
        assertThat(keys.revoke("not an id")).isNull();
        assertThat(keys.any()).isFalse();
    }

    @Test
    void revokingByTheWholeKeyWorksToo() {
        ApiKeys keys = ApiKeys.inDatabase(dir);
        ApiKeys.Created a = keys.create(null, null, TASKS);
        assertThat(keys.revoke(a.secretKey())).isNotNull();
        assertThat(keys.verify(a.secretKey())).isNull();
    }

    @Test
    void aDamagedFileIsNamedAndNothingVerifies() throws Exception {
        ApiKeys keys = ApiKeys.inDatabase(dir);
        ApiKeys.Created a = keys.create(null, null, TASKS);
        Files.writeString(dir.resolve(ApiKeys.FILE_NAME), "{\"format\": 1, \"keys\": [{\"id\": \"xyz\"}]}");
        assertThatThrownBy(() -> keys.verify(a.secretKey()))
                .isInstanceOf(ApiKeys.ApiKeyFileException.class)
                .hasMessageContaining(ApiKeys.FILE_NAME)
                .hasMessageContaining("keys[0]");
        Files.writeString(dir.resolve(ApiKeys.FILE_NAME), "{\"format\": 1, \"keys\": [");
        assertThatThrownBy(keys::list).hasMessageContaining("is not valid JSON");
    }

    @Test
    void noFileMeansNoKeys() {
        ApiKeys keys = ApiKeys.inDatabase(dir.resolve("nothing-here"));
        assertThat(keys.any()).isFalse();
        assertThat(keys.verify("stk_0123456789abcdef_" + "A".repeat(43))).isNull();
    }
}
