package io.starling.internal.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import io.starling.internal.core.Value;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jwt provider: RS256 and ES256 tokens against a JWKS file or URL (a server on 127.0.0.1), and each refusal. */
class JwtProviderTest {
    static final Instant NOW = Instant.parse("2026-12-05T10:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final Map<String, Object> OWN_TASKS =
            Map.of("read", Map.of("queriesByCollection", Map.of("tasks", List.of("owner = :userId"))));

    @TempDir
    Path dir;

    RSAKey rsa;
    ECKey ec;

    @BeforeEach
    void keys() throws Exception {
        rsa = new RSAKeyGenerator(2048).keyID("r1").generate();
        ec = new ECKeyGenerator(Curve.P_256).keyID("e1").generate();
        Files.writeString(
                dir.resolve("jwks.json"), new JWKSet(List.of(rsa.toPublicJWK(), ec.toPublicJWK())).toString());
    }

    AuthConfig config(String extra) throws Exception {
        Files.writeString(
                dir.resolve("auth.json"),
                "{\"authority\": \"a\", \"providers\": {\"sso\": {\"type\": \"jwt\", \"jwks\": \"jwks.json\","
                        + " \"permissionsClaim\": \"starling\", \"metadataClaim\": \"meta\"" + extra + "}}}");
        return AuthConfig.load(dir.resolve("auth.json"), CLOCK);
    }

    static String token(JWSSigner signer, JWSAlgorithm alg, String kid, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid).build(), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    static JWTClaimsSet.Builder claims() {
        return new JWTClaimsSet.Builder()
                .subject("alice")
                .issuer("https://id.example.com")
                .audience("my-app")
                .expirationTime(Date.from(NOW.plusSeconds(900)))
                .claim("starling", OWN_TASKS)
                .claim("meta", Map.of("team", "north"));
    }

    @Test
    void rs256AndEs256TokensSignedByAKeyOfTheSetAreAccepted() throws Exception {
        AuthConfig c = config(", \"issuer\": \"https://id.example.com\", \"audience\": \"my-app\"");
        ProviderGrant g = c.provider("sso")
                .authenticate("app", token(new RSASSASigner(rsa), JWSAlgorithm.RS256, "r1", claims().build()));
        assertThat(g.userId()).isEqualTo("alice");
        assertThat(g.permissions().read().conditions("tasks")).containsExactly("owner = :userId");
        assertThat(g.metadata().get("team")).isEqualTo(Value.of("north"));
        assertThat(g.validity()).as("until the token's exp").isEqualTo(Duration.ofSeconds(900));
        ProviderGrant e = c.provider("sso")
                .authenticate("app", token(new ECDSASigner(ec), JWSAlgorithm.ES256, "e1", claims().build()));
        assertThat(e.userId()).isEqualTo("alice");

        AuthConfig fixed = config(", \"expirationSeconds\": 86400");
        assertThat(fixed.provider("sso")
                        .authenticate("app", token(new ECDSASigner(ec), JWSAlgorithm.ES256, "e1", claims().build()))
                        .validity())
                .isEqualTo(Duration.ofDays(1));
    }

    @Test
    void badTokensAreRefusedWithTheirReason() throws Exception {
        AuthConfig c = config(", \"issuer\": \"https://id.example.com\"");
        RSAKey other = new RSAKeyGenerator(2048).keyID("r1").generate();
        expect(c, "not a jwt", AuthException.Code.BAD_TOKEN, "is not a signed JWT");
        expect(
                c,
                token(new RSASSASigner(other), JWSAlgorithm.RS256, "r1", claims().build()),
                AuthException.Code.BAD_TOKEN,
                "Invalid signature");
        expect(
                c,
                token(new MACSigner(new byte[32]), JWSAlgorithm.HS256, "r1", claims().build()),
                AuthException.Code.BAD_TOKEN,
                "RS256 or ES256");
        expect(
                c,
                token(
                        new RSASSASigner(rsa),
                        JWSAlgorithm.RS256,
                        "r1",
                        claims().expirationTime(Date.from(NOW.minusSeconds(61))).build()),
                AuthException.Code.BAD_TOKEN,
                "Expired JWT");
        expect(
                c,
                token(
                        new RSASSASigner(rsa),
                        JWSAlgorithm.RS256,
                        "r1",
                        claims().issuer("https://evil.example.com").build()),
                AuthException.Code.BAD_TOKEN,
                "iss");
        expect(
                c,
                token(
                        new RSASSASigner(rsa),
                        JWSAlgorithm.RS256,
                        "r1",
                        claims().claim("starling", null).build()),
                AuthException.Code.BAD_TOKEN,
                "missing required claims: [starling]");
        expect(
                c,
                token(
                        new RSASSASigner(rsa),
                        JWSAlgorithm.RS256,
                        "r1",
                        claims().claim("starling", Map.of("read", Map.of("everything", "yes")))
                                .build()),
                AuthException.Code.DENIED,
                "claim \"starling\" is not a permission set: read.everything: must be true or false");
        expect(
                c,
                token(
                        new RSASSASigner(rsa),
                        JWSAlgorithm.RS256,
                        "r1",
                        claims().subject("").build()),
                AuthException.Code.DENIED,
                "claim \"sub\" is empty");
    }

    @Test
    void aJwksUrlIsFetchedAndAnUnreachableOneIsAProviderFailure() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        byte[] jwks = new JWKSet(List.of(ec.toPublicJWK())).toString().getBytes(StandardCharsets.UTF_8);
        server.createContext("/jwks", ex -> {
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, jwks.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(jwks);
            }
        });
        server.start();
        try {
            AuthConfig c = AuthConfig.load(
                    write("{\"authority\": \"a\", \"providers\": {\"sso\": {\"type\": \"jwt\", \"jwks\":"
                            + " \"http://127.0.0.1:" + server.getAddress().getPort() + "/jwks\", \"permissionsClaim\":"
                            + " \"starling\"}}}"),
                    CLOCK);
            assertThat(c.provider("sso")
                            .authenticate("app", token(new ECDSASigner(ec), JWSAlgorithm.ES256, "e1", claims().build()))
                            .userId())
                    .isEqualTo("alice");
        } finally {
            server.stop(0);
        }
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        AuthConfig gone = AuthConfig.load(
                write("{\"authority\": \"a\", \"providers\": {\"sso\": {\"type\": \"jwt\", \"jwks\":"
                        + " \"http://127.0.0.1:" + closed + "/jwks\", \"permissionsClaim\": \"starling\"}}}"),
                CLOCK);
        expect(
                gone,
                token(new ECDSASigner(ec), JWSAlgorithm.ES256, "e1", claims().build()),
                AuthException.Code.PROVIDER_UNAVAILABLE,
                "provider \"sso\" cannot check tokens");
    }

    @Test
    void aJwksThatCannotCheckTokensIsRefusedAtLoad() throws Exception {
        Files.writeString(dir.resolve("jwks.json"), new JWKSet(List.of(rsa)).toString(false));
        assertThatThrownBy(() -> config(""))
                .hasMessageContaining("providers.sso.jwks " + dir.resolve("jwks.json") + " holds a private key");
        Files.writeString(dir.resolve("jwks.json"), "{\"keys\": []}");
        assertThatThrownBy(() -> config("")).hasMessageContaining("holds no RSA or EC P-256 key");
        Files.writeString(dir.resolve("jwks.json"), "[1]");
        assertThatThrownBy(() -> config("")).hasMessageContaining("is not a JWK set");
        assertThatThrownBy(() -> AuthConfig.load(
                        write("{\"authority\": \"a\", \"providers\": {\"sso\": {\"type\": \"jwt\"}}}"), CLOCK))
                .hasMessageContaining("providers.sso.jwks must name a JWK set");
        assertThatThrownBy(() -> AuthConfig.load(
                        write("{\"authority\": \"a\", \"providers\": {\"sso\": {\"type\": \"jwt\", \"jwks\": \"j\","
                                + " \"claims\": 1}}}"),
                        CLOCK))
                .hasMessageContaining("providers.sso has an unknown member \"claims\"");
    }

    Path write(String json) throws Exception {
        Path f = dir.resolve("auth-" + System.nanoTime() + ".json");
        Files.writeString(f, json);
        return f;
    }

    static void expect(AuthConfig c, String token, AuthException.Code code, String message) {
        assertThatThrownBy(() -> c.provider("sso").authenticate("app", token))
                .isInstanceOf(AuthException.class)
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(((AuthException) e).code()).isEqualTo(code))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(token));
    }
}
