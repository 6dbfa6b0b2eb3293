package io.starling.internal.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthConfigTest {
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-05T10:00:00Z"), ZoneOffset.UTC);
    static final String PERMS = "{\"read\": {\"everything\": false, \"queriesByCollection\": {\"tasks\": [\"owner ="
            + " :userId\"]}}, \"write\": {\"everything\": false, \"queriesByCollection\": {\"tasks\": [\"owner ="
            + " :userId\"]}}}";

    @TempDir
    Path dir;

    Path write(String json) throws Exception {
        Path f = dir.resolve("auth.json");
        Files.writeString(f, json);
        return f;
    }

    @Test
    void readsTheDocumentedShapeWithPathsRelativeToTheFile() throws Exception {
        Files.writeString(dir.resolve("webhook.secret"), "0123456789abcdef0123456789abcdef\n");
        AuthConfig c = AuthConfig.load(
                write("{\"authority\": \"authority\", \"providers\": {"
                        + "\"dev\": {\"type\": \"static\", \"tokens\": {\"tok-a\": {\"userId\": \"alice\","
                        + " \"expirationSeconds\": 3600, \"permissions\": " + PERMS
                        + ", \"metadata\": {\"team\": \"north\"}}}},"
                        + "\"corp\": {\"type\": \"webhook\", \"url\": \"https://auth.example.com/starling\","
                        + " \"secretFile\": \"webhook.secret\"}}}"),
                CLOCK);
        assertThat(c.authorityDirectory()).isEqualTo(dir.resolve("authority"));
        assertThat(c.providerNames()).containsExactly("dev", "corp");
        assertThat(c.providerType("dev")).isEqualTo("static");
        assertThat(c.providerType("corp")).isEqualTo("webhook");
        ProviderGrant g = c.provider("dev").authenticate("app", "tok-a");
        assertThat(g.userId()).isEqualTo("alice");
        assertThat(g.validity()).isEqualTo(Duration.ofHours(1));
        assertThat(g.metadata().get("team").toJava()).isEqualTo("north");
        assertThat(g.permissions().read().conditions("tasks")).containsExactly("owner = :userId");
        assertThatThrownBy(() -> c.provider("dev").authenticate("app", "tok-b"))
                .isInstanceOf(AuthException.class)
                .hasMessage("provider \"dev\" does not know this token")
                .satisfies(e -> assertThat(((AuthException) e).code()).isEqualTo(AuthException.Code.BAD_TOKEN));
        assertThatThrownBy(() -> c.provider("sso"))
                .hasMessageContaining("provider \"sso\" is not configured here (providers: dev, corp)");
        assertThat(c.toString()).doesNotContain("tok-a").doesNotContain("0123456789abcdef");
    }

    @Test
    void refusesWhatIsWrongNamingTheMemberButNeverTheToken() throws Exception {
        expect("[]", "must be a JSON object");
        expect("{\"authority\": \"a\", \"providers\": {}, \"x\": 1}", "has an unknown member \"x\"");
        expect("{\"providers\": {}}", "\"authority\" must name the directory");
        expect("{\"authority\": \"a\", \"providers\": {}}", "\"providers\" must be an object of at least one");
        expect(
                "{\"authority\": \"a\", \"providers\": {\"a b\": {\"type\": \"static\"}}}",
                "providers.a b: a provider name is 1 to 64 letters");
        expect(
                "{\"authority\": \"a\", \"providers\": {\"p\": {\"type\": \"ldap\"}}}",
                "providers.p.type \"ldap\" is not a provider type");
        expect(
                "{\"authority\": \"a\", \"providers\": {\"p\": {\"type\": \"jwt\", \"jwks\": \"x\"}}}",
                "providers.p.jwks " + dir.resolve("x") + " does not exist");
        expect(
                "{\"authority\": \"a\", \"providers\": {\"p\": {\"type\": \"static\", \"tokens\": {\"secret-tok\":"
                        + " {\"userId\": \"alice\", \"permissions\": {}}}}}}",
                "providers.p.tokens[0].expirationSeconds must be a whole number of seconds from 1 to 31622400");
        expect(
                "{\"authority\": \"a\", \"providers\": {\"p\": {\"type\": \"static\", \"tokens\": {\"secret-tok\":"
                        + " {\"userId\": \"alice\", \"expirationSeconds\": 60, \"permissions\": {\"raed\": {}}}}}}}",
                "providers.p.tokens[0].permissions.raed: is not a permission");
        expect(
                "{\"authority\": \"a\", \"providers\": {\"p\": {\"type\": \"static\", \"tokens\": {\"secret-tok\":"
                        + " {\"userId\": \"alice\", \"expirationSeconds\": 60, \"permissions\": {\"read\": {"
                        + "\"queriesByCollection\": {\"t\": [\"owner = :user\"]}}}}}}}}",
                "providers.p.tokens[0].permissions.read.queriesByCollection.t[0]");
        expect(
                "{\"authority\": \"a\", \"providers\": {\"p\": {\"type\": \"static\", \"tokens\": {\"secret-tok\": "
                        + grant(", \"metadata\": [1]") + "}}}}",
                "providers.p.tokens[0].metadata must be an object");
        expect(
                "{\"authority\": \"a\", \"providers\": {\"p\": {\"type\": \"static\", \"tokens\": {\"secret-tok\": "
                        + grant(", \"role\": 1") + "}}}}",
                "providers.p.tokens[0] has an unknown member \"role\"");
        expect(
                "{\"authority\": \"a\", \"providers\": {\"w\": {\"type\": \"webhook\", \"url\": \"ftp://x\","
                        + " \"secretFile\": \"s\"}}}",
                "providers.w.url must be an absolute http:// or https:// URL");
        expect(
                "{\"authority\": \"a\", \"providers\": {\"w\": {\"type\": \"webhook\", \"url\": \"http://127.0.0.1/\","
                        + " \"secretFile\": \"missing.secret\"}}}",
                "providers.w.secretFile " + dir.resolve("missing.secret") + " does not exist");
        Files.writeString(dir.resolve("short.secret"), "short-secret-xy\n");
        expect(
                "{\"authority\": \"a\", \"providers\": {\"w\": {\"type\": \"webhook\", \"url\": \"http://127.0.0.1/\","
                        + " \"secretFile\": \"short.secret\"}}}",
                "holds 15 bytes; a webhook secret is 16 to 4096 bytes");
        expect(
                "{\"authority\": \"a\", \"providers\": {\"p\": {\"type\": \"static\", \"tokens\": {\"secret-tok\": 1,"
                        + " \"secret-tok\": 2}}}}",
                "is not valid JSON (line 1, column");
        expect(
                "{\"authority\": \"a\", \"providers\": {\"p\": {\"type\": \"static\", \"tokens\": {\"secret-tok\": 1}}}}",
                "providers.p.tokens[0] must be an object");
        assertThatThrownBy(() -> AuthConfig.load(dir.resolve("none.json"), CLOCK))
                .hasMessageContaining("auth-config file " + dir.resolve("none.json") + " does not exist");
    }

    static String grant(String extra) {
        return "{\"userId\": \"alice\", \"expirationSeconds\": 3600, \"permissions\": " + PERMS + extra + "}";
    }

    void expect(String json, String message) throws Exception {
        Path f = write(json);
        assertThatThrownBy(() -> AuthConfig.load(f, CLOCK))
                .as(json)
                .isInstanceOf(AuthException.class)
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret-tok"))
                .satisfies(e -> assertThat(((AuthException) e).code()).isEqualTo(AuthException.Code.CONFIG_INVALID));
    }
}
