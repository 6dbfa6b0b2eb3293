package io.starling.internal.auth;

import io.starling.internal.core.Value;
import io.starling.internal.query.Permissions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The authority's login: a request {@code {"provider", "token", "publicKey", "peerId"}} in, a device certificate out
 * (docs/AUTH.md). The provider named by the request checks the token; the authority signs a certificate binding the
 * device's public key (PEM, or base64 of its DER SubjectPublicKeyInfo; EC P-256) and the peer id of its store (16
 * lowercase hex digits) to what the provider granted. A request without a peer id (a device of a Starling from before
 * certificates named peer ids) is refused: a certificate without one would let its holder claim any peer id. Each
 * login and each refusal is logged at INFO with the provider, the user or the reason, the device key's fingerprint
 * and the peer id, never the token. A user or device key that the authority's revocation list ({@code revocations.bin} in the authority
 * directory, as {@code starling authority revoke} writes it) names gets no certificate: revoking is meant to cut a
 * device off, and a certificate issued after it would only be refused by the peers that hold the list. The list is read
 * again whenever its file changes; a list that does not verify refuses every login until it is fixed (failing closed).
 * Thread-safe.
 */
public final class LoginService {
    private static final Logger LOG = LoggerFactory.getLogger(LoginService.class);

    /** The largest login request read: a token, a provider name and a P-256 public key fit many times over. */
    public static final int MAX_REQUEST_BYTES = 16 * 1024;

    private final Authority authority;
    private final AuthConfig config;
    private final String appId;
    private final Clock clock;
    private final Path revocationFile;
    /** The revocation list last read, and the file's size and modification time then. */
    private @Nullable RevocationList revocations;

    private @Nullable String revocationsSeen;

    public LoginService(Authority authority, AuthConfig config, String appId, Clock clock) {
        this.authority = authority;
        this.config = config;
        this.appId = appId;
        this.clock = clock;
        this.revocationFile = config.authorityDirectory().resolve(RevocationList.FILE);
    }

    public Authority authority() {
        return authority;
    }

    /** A certificate issued, with what it says. */
    public record Issued(
            X509Certificate certificate,
            long peerId,
            String userId,
            Instant expiresAt,
            Permissions permissions,
            Value.Obj metadata) {
        /**
         * The login answer: {@code {"certificate": PEM, "peerId", "userId", "expiresAt": ISO-8601 UTC, "permissions",
         * "metadata"}}.
         */
        public String toJson() {
            LinkedHashMap<String, Value> o = new LinkedHashMap<>();
            o.put("certificate", Value.of(Pem.certificate(certificate)));
            o.put("peerId", Value.of(DeviceCertificates.peerIdText(peerId)));
            o.put("userId", Value.of(userId));
            o.put("expiresAt", Value.of(expiresAt.toString()));
            o.put("permissions", permissions.toValue());
            o.put("metadata", metadata);
            return AuthJson.write(Value.Obj.ofOwned(o));
        }
    }

    /**
     * Handles one login request body.
     *
     * @throws AuthException {@code BAD_REQUEST} (malformed request, unknown provider, bad public key), {@code
     *     BAD_TOKEN}, {@code DENIED}, {@code PROVIDER_UNAVAILABLE} or {@code PROVIDER_BAD_ANSWER}
     */
    public Issued login(byte[] requestBody) {
        if (requestBody.length > MAX_REQUEST_BYTES) {
            throw badRequest(
                    "the login request is " + requestBody.length + " bytes; the limit is " + MAX_REQUEST_BYTES);
        }
        Value v;
        try {
            v = AuthJson.parse(requestBody);
        } catch (IllegalArgumentException e) {
            throw badRequest("the login request " + e.getMessage());
        }
        if (!(v instanceof Value.Obj o)) throw badRequest("the login request must be a JSON object");
        for (String k : o.fields().keySet()) {
            if (!k.equals("provider") && !k.equals("token") && !k.equals("publicKey") && !k.equals("peerId")) {
                throw badRequest("the login request has an unknown member \"" + AuthConfig.printable(k)
                        + "\" (expected provider, token, publicKey, peerId)");
            }
        }
        if (!(o.get("provider") instanceof Value.Str provider)) throw badRequest("\"provider\" must be a string");
        if (!(o.get("token") instanceof Value.Str token)) throw badRequest("\"token\" must be a string");
        if (!(o.get("publicKey") instanceof Value.Str publicKey)) {
            throw badRequest("\"publicKey\" must be a string: the device's public key, PEM or base64 of its DER"
                    + " SubjectPublicKeyInfo");
        }
        LoginProvider p = config.provider(provider.value());
        PublicKey deviceKey;
        try {
            deviceKey = Pem.devicePublicKey(publicKey.value());
        } catch (IllegalArgumentException e) {
            throw badRequest("\"publicKey\" " + e.getMessage());
        }
        Value peerIdValue = o.get("peerId");
        if (!o.fields().containsKey("peerId")) {
            throw badRequest("the login request lacks \"peerId\", the peer id of the device's store (16 lowercase hex"
                    + " digits), which its certificate must name: the device runs a Starling from before certificates"
                    + " named peer ids; update it");
        }
        if (!(peerIdValue instanceof Value.Str peerIdText)) throw badRequest("\"peerId\" must be a string");
        long peerId;
        try {
            peerId = DeviceCertificates.parsePeerId(peerIdText.value());
        } catch (IllegalArgumentException e) {
            throw badRequest("\"peerId\": " + e.getMessage());
        }
        String deviceFingerprint = Pem.fingerprint(deviceKey);
        String device = deviceFingerprint.substring(0, 16);
        String t = token.value();
        try {
            RevocationList revoked = revocations();
            if (revoked.devices().contains(deviceFingerprint)) {
                throw new AuthException(
                        AuthException.Code.REVOKED,
                        "the authority revoked this device key; it issues it no certificate");
            }
            if (t.isEmpty() || t.length() > AuthConfig.MAX_TOKEN_CHARS) {
                throw new AuthException(
                        AuthException.Code.BAD_TOKEN, "a token is 1 to " + AuthConfig.MAX_TOKEN_CHARS + " characters");
            }
            ProviderGrant grant = p.authenticate(appId, t);
            if (revoked.users().contains(grant.userId())) {
                throw new AuthException(
                        AuthException.Code.REVOKED,
                        "the authority revoked user \"" + AuthConfig.printable(grant.userId())
                                + "\"; it issues no certificate to them");
            }
            Instant now = clock.instant();
            X509Certificate cert;
            try {
                cert = authority.issue(
                        deviceKey,
                        peerId,
                        grant.userId(),
                        grant.permissions(),
                        grant.metadata(),
                        grant.validity(),
                        now);
            } catch (IllegalArgumentException e) {
                throw new AuthException(
                        AuthException.Code.PROVIDER_BAD_ANSWER,
                        "provider \"" + p.name() + "\" granted what a certificate cannot carry: " + e.getMessage());
            }
            Instant expiresAt = cert.getNotAfter().toInstant();
            LOG.info(
                    "login: provider {} issued user {} a certificate for device {}, peer {}, until {}",
                    p.name(),
                    AuthConfig.printable(grant.userId()),
                    device,
                    DeviceCertificates.peerIdText(peerId),
                    expiresAt);
            return new Issued(cert, peerId, grant.userId(), expiresAt, grant.permissions(), grant.metadata());
        } catch (AuthException e) {
            LOG.info(
                    "login refused: provider {}, device {}, peer {}: {} ({})",
                    p.name(),
                    device,
                    DeviceCertificates.peerIdText(peerId),
                    e.getMessage(),
                    e.code().id());
            throw e;
        }
    }

    /** The authority's revocation list as its file says now (read again only when the file changed). */
    private synchronized RevocationList revocations() {
        String seen;
        try {
            BasicFileAttributes a = Files.readAttributes(revocationFile, BasicFileAttributes.class);
            seen = a.size() + "@" + a.lastModifiedTime().toMillis() + "#" + a.fileKey();
        } catch (NoSuchFileException e) {
            seen = "none";
        } catch (IOException e) {
            throw new AuthException(
                    AuthException.Code.CONFIG_INVALID, "cannot read " + revocationFile + ": " + e.getMessage(), e);
        }
        RevocationList list = revocations;
        if (list == null || !seen.equals(revocationsSeen)) {
            try {
                list = RevocationList.load(revocationFile, authority.anchor());
            } catch (AuthException e) {
                throw new AuthException(
                        AuthException.Code.CONFIG_INVALID,
                        "the authority's revocation list cannot be used, so no login is accepted until it is fixed: "
                                + e.getMessage(),
                        e);
            }
            revocations = list;
            revocationsSeen = seen;
        }
        return list;
    }

    private static AuthException badRequest(String message) {
        return new AuthException(AuthException.Code.BAD_REQUEST, message);
    }

    /**
     * The body of a login request, as a device sends it; {@code peerId} 0 leaves the peer id out, as devices did before
     * certificates named peer ids (this authority refuses such a request; an authority of that time accepts only it).
     */
    public static byte[] request(String provider, String token, PublicKey publicKey, long peerId) {
        LinkedHashMap<String, Value> o = new LinkedHashMap<>();
        o.put("provider", Value.of(provider));
        o.put("token", Value.of(token));
        o.put("publicKey", Value.of(Pem.publicKey(publicKey)));
        if (peerId != 0) o.put("peerId", Value.of(DeviceCertificates.peerIdText(peerId)));
        return AuthJson.write(Value.Obj.ofOwned(o)).getBytes(StandardCharsets.UTF_8);
    }
}
