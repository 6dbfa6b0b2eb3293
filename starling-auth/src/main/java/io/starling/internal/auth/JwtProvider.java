package io.starling.internal.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.starling.internal.core.Value;
import io.starling.internal.query.InvalidPermissionsException;
import io.starling.internal.query.Permissions;
import java.net.MalformedURLException;
import java.net.URI;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Checks a JSON Web Token signed with RS256 or ES256 against the keys of a JWKS (a file, or a URL fetched and
 * cached), then maps its claims: {@code userIdClaim} (default {@code sub}) to the user id, {@code permissionsClaim}
 * (default {@code permissions}) to the permission set, {@code metadataClaim} (optional) to the metadata. The token
 * must carry {@code exp}; {@code iss} and {@code aud} are checked when the config names them; 60 seconds of clock
 * skew are allowed. The certificate lives until the token's {@code exp}, or {@code expirationSeconds} when the
 * config gives it. Uses Nimbus JOSE+JWT. Thread-safe.
 */
final class JwtProvider implements LoginProvider {
    /** A JWKS fetched from a URL: connect and read timeouts, and the most of it read. */
    static final int JWKS_TIMEOUT_MILLIS = 5_000;

    static final int MAX_JWKS_BYTES = 1024 * 1024;
    static final int MAX_SKEW_SECONDS = 60;
    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);

    private final String name;
    private final DefaultJWTProcessor<SecurityContext> processor;
    private final String userIdClaim;
    private final String permissionsClaim;
    private final @Nullable String metadataClaim;
    private final @Nullable Duration validity;
    private final Clock clock;

    JwtProvider(
            String name,
            JWKSource<SecurityContext> keys,
            String userIdClaim,
            String permissionsClaim,
            @Nullable String metadataClaim,
            @Nullable String issuer,
            @Nullable String audience,
            @Nullable Duration validity,
            Clock clock) {
        this.name = name;
        this.userIdClaim = userIdClaim;
        this.permissionsClaim = permissionsClaim;
        this.metadataClaim = metadataClaim;
        this.validity = validity;
        this.clock = clock;
        this.processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, keys));
        JWTClaimsSet.Builder exact = new JWTClaimsSet.Builder();
        if (issuer != null) exact.issuer(issuer);
        Set<String> required = new HashSet<>(List.of("exp", userIdClaim, permissionsClaim));
        DefaultJWTClaimsVerifier<SecurityContext> verifier =
                new DefaultJWTClaimsVerifier<>(audience, exact.build(), required) {
                    @Override
                    protected Date currentTime() {
                        return Date.from(clock.instant());
                    }
                };
        verifier.setMaxClockSkew(MAX_SKEW_SECONDS);
        processor.setJWTClaimsSetVerifier(verifier);
    }

    /** The keys of a JWKS file's text: refused when it holds no RSA or EC P-256 public key. */
    static JWKSource<SecurityContext> keysOf(String where, String jwksJson) {
        JWKSet set;
        try {
            set = JWKSet.parse(jwksJson);
        } catch (ParseException e) {
            throw new IllegalArgumentException(where + " is not a JWK set (" + e.getMessage() + ")", e);
        }
        boolean usable = false;
        for (JWK k : set.getKeys()) {
            if (k.isPrivate()) {
                throw new IllegalArgumentException(where + " holds a private key (kid " + k.getKeyID()
                        + "); a JWKS for checking tokens holds public keys only");
            }
            usable |= k instanceof RSAKey
                    || (k instanceof ECKey ec && ec.getCurve().getStdName().equals("secp256r1"));
        }
        if (!usable) throw new IllegalArgumentException(where + " holds no RSA or EC P-256 key");
        return new ImmutableJWKSet<>(set);
    }

    /** The keys at a URL, fetched when first needed and cached (refetched when a token names an unknown key). */
    static JWKSource<SecurityContext> keysAt(String where, URI url) {
        try {
            return JWKSourceBuilder.create(
                            url.toURL(),
                            new DefaultResourceRetriever(JWKS_TIMEOUT_MILLIS, JWKS_TIMEOUT_MILLIS, MAX_JWKS_BYTES))
                    .retrying(false)
                    .build();
        } catch (MalformedURLException | IllegalArgumentException e) {
            throw new IllegalArgumentException(where + " is not a URL (" + e.getMessage() + ")", e);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String type() {
        return "jwt";
    }

    @Override
    public ProviderGrant authenticate(String appId, String token) {
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (ParseException e) {
            throw bad("is not a signed JWT");
        } catch (BadJWTException e) {
            // the claims: expired, not yet valid, another issuer or audience, a required claim missing
            throw bad("was refused: " + e.getMessage());
        } catch (BadJOSEException e) {
            throw bad("was refused: " + e.getMessage() + " (tokens must be RS256 or ES256, signed by a key of the"
                    + " JWKS)");
        } catch (JOSEException e) {
            // the JWKS could not be fetched, or a key could not be used
            throw new AuthException(
                    AuthException.Code.PROVIDER_UNAVAILABLE,
                    "provider \"" + name + "\" cannot check tokens: " + e.getMessage());
        }
        if (!(claims.getClaim(userIdClaim) instanceof String userId)) {
            throw denied("claim \"" + userIdClaim + "\" is not a string");
        }
        String problem = Claims.userIdProblem(userId);
        if (problem != null) throw denied("claim \"" + userIdClaim + "\" " + problem);
        Permissions permissions;
        try {
            permissions = Permissions.parse(Value.fromJava(claims.getClaim(permissionsClaim)));
        } catch (InvalidPermissionsException e) {
            throw denied("claim \"" + permissionsClaim + "\" is not a permission set: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw denied("claim \"" + permissionsClaim + "\" is not JSON data: " + e.getMessage());
        }
        Value.Obj metadata = Value.Obj.EMPTY;
        if (metadataClaim != null && claims.getClaim(metadataClaim) != null) {
            try {
                metadata = Claims.checkMetadata(
                        "claim \"" + metadataClaim + "\"", Value.fromJava(claims.getClaim(metadataClaim)));
            } catch (IllegalArgumentException e) {
                throw denied(String.valueOf(e.getMessage()));
            }
        }
        Duration life = validity;
        if (life == null) {
            Date exp = claims.getExpirationTime();
            Instant now = clock.instant();
            life = exp == null ? Duration.ZERO : Duration.between(now, exp.toInstant());
            if (life.compareTo(Duration.ofSeconds(1)) < 0) life = Duration.ofSeconds(1);
            if (life.compareTo(Authority.MAX_VALIDITY) > 0) life = Authority.MAX_VALIDITY;
        }
        return new ProviderGrant(userId, permissions, metadata, life);
    }

    private AuthException bad(String why) {
        return new AuthException(AuthException.Code.BAD_TOKEN, "the token of provider \"" + name + "\" " + why);
    }

    private AuthException denied(String why) {
        return new AuthException(
                AuthException.Code.DENIED, "provider \"" + name + "\" accepted the token, but its " + why);
    }
}
