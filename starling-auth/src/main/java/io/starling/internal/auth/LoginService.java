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
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
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
 *
 * <p>A peer id is bound to the first user certified for it ({@link PeerBindings}, kept durably): a login naming a peer
 * id bound to another user, or the authority's own, is refused with {@code PEER_ID_TAKEN} (409), logged at WARN and
 * counted, so that a user cannot get a certificate for another user's store. The same user logging in again for it
 * (a renewal) is issued one; with another device key too (an app reinstalled with its store kept: the new key replaces
 * the old in the binding, logged at WARN). A user may bind at most {@link PeerBindings#MAX_PER_USER} peer ids ({@code
 * PEER_ID_LIMIT}). Thread-safe.
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

    private final PeerBindings bindings;
    private final long ownPeerId;
    private final AtomicLong issued = new AtomicLong();
    private final AtomicLong newDeviceKeys = new AtomicLong();
    private final EnumMap<AuthException.Code, AtomicLong> refused = new EnumMap<>(AuthException.Code.class);

    /**
     * @param bindings the peer ids certified so far and their users, kept by the caller's node
     * @param ownPeerId the peer id of the authority's own store, which no device is certified for (0: none)
     */
    public LoginService(
            Authority authority, AuthConfig config, String appId, Clock clock, PeerBindings bindings, long ownPeerId) {
        this.authority = authority;
        this.config = config;
        this.appId = appId;
        this.clock = clock;
        this.revocationFile = config.authorityDirectory().resolve(RevocationList.FILE);
        this.bindings = bindings;
        this.ownPeerId = ownPeerId;
        for (AuthException.Code c : AuthException.Code.values()) refused.put(c, new AtomicLong());
    }

    public PeerBindings bindings() {
        return bindings;
    }

    /**
     * What the logins came to since start: certificates issued, logins refused by code, and logins that replaced the
     * device key of a bound peer id.
     */
    public record Counts(long issued, Map<AuthException.Code, Long> refused, long newDeviceKeys) {
        public long refused(AuthException.Code code) {
            return refused.getOrDefault(code, 0L);
        }
    }

    public Counts counts() {
        EnumMap<AuthException.Code, Long> r = new EnumMap<>(AuthException.Code.class);
        refused.forEach((c, n) -> r.put(c, n.get()));
        return new Counts(issued.get(), Collections.unmodifiableMap(r), newDeviceKeys.get());
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
     *     BAD_TOKEN}, {@code DENIED}, {@code REVOKED}, {@code PEER_ID_TAKEN}, {@code PEER_ID_LIMIT}, {@code
     *     PROVIDER_UNAVAILABLE}, {@code PROVIDER_BAD_ANSWER}, {@code CONFIG_INVALID} (the revocation list or the peer
     *     bindings cannot be used) or {@code AUTHORITY_UNAVAILABLE} (the bindings' database does not answer)
     */
    public Issued login(byte[] requestBody) {
        try {
            Issued i = doLogin(requestBody);
            issued.incrementAndGet();
            return i;
        } catch (AuthException e) {
            AtomicLong n = refused.get(e.code());
            if (n != null) n.incrementAndGet();
            throw e;
        }
    }

    private Issued doLogin(byte[] requestBody) {
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
            bind(p.name(), peerId, grant.userId(), deviceFingerprint, now);
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
            // a peer id taken was logged at WARN already, with whose it is
            if (e.code() != AuthException.Code.PEER_ID_TAKEN) {
                LOG.info(
                        "login refused: provider {}, device {}, peer {}: {} ({})",
                        p.name(),
                        device,
                        DeviceCertificates.peerIdText(peerId),
                        e.getMessage(),
                        e.code().id());
            }
            throw e;
        }
    }

    /** Binds the peer id to the user unless another user has it (or it is the authority's own). */
    private void bind(String provider, long peerId, String userId, String deviceKey, Instant now) {
        String peer = DeviceCertificates.peerIdText(peerId);
        if (peerId == ownPeerId) {
            throw taken(
                    provider,
                    userId,
                    deviceKey,
                    peer,
                    "peer " + peer + " is the authority's own peer id; a device is certified only for the peer id of"
                            + " its own store",
                    "the authority's own");
        }
        PeerBindings.Claim claim = bindings.claim(peerId, userId, deviceKey, now);
        PeerBindings.Binding found = claim.previous();
        switch (claim.outcome()) {
            case BOUND, SAME -> {}
            case NEW_DEVICE_KEY -> {
                newDeviceKeys.incrementAndGet();
                LOG.warn(
                        "login: peer {} of user {} is now certified for device key {} instead of {}: the app was"
                                + " reinstalled with its store kept, or the store was copied to another device of the"
                                + " user",
                        peer,
                        AuthConfig.printable(userId),
                        deviceKey.substring(0, 16),
                        found == null ? "?" : found.deviceKey().substring(0, 16));
            }
            case OTHER_USER ->
                throw taken(
                        provider,
                        userId,
                        deviceKey,
                        peer,
                        "peer " + peer + " is bound to another user: the authority certified it for them first, and"
                                + " issues a certificate for it to them only (an admin releases a peer id with 'starling"
                                + " authority release')",
                        found == null
                                ? "another user's"
                                : "bound to user " + AuthConfig.printable(found.userId()) + " (device key "
                                        + found.deviceKey().substring(0, 16) + ", since " + found.since() + ")");
            case USER_LIMIT ->
                throw new AuthException(
                        AuthException.Code.PEER_ID_LIMIT,
                        "user \"" + AuthConfig.printable(userId) + "\" has " + bindings.maxPerUser()
                                + " peer ids bound already, the most the authority binds to one user; an admin releases"
                                + " those of stores no longer used with 'starling authority release'");
            case FULL ->
                throw new AuthException(
                        AuthException.Code.PEER_ID_LIMIT,
                        "the authority's peer id bindings are full; an admin releases those of stores no longer"
                                + " used with 'starling authority release'");
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

    /** Logs a refused claim of a peer id at WARN, with whose it is (the device is not told), and makes the refusal. */
    private static AuthException taken(
            String provider, String userId, String deviceKey, String peer, String message, String whose) {
        LOG.warn(
                "login refused: provider {} authenticated user {}, device {}, for peer {}, which is {} ({})",
                provider,
                AuthConfig.printable(userId),
                deviceKey.substring(0, 16),
                peer,
                whose,
                AuthException.Code.PEER_ID_TAKEN.id());
        return new AuthException(AuthException.Code.PEER_ID_TAKEN, message);
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
