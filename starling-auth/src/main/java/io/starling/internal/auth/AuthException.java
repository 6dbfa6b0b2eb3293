package io.starling.internal.auth;

import java.util.Locale;

/**
 * Every failure of the auth module, with a stable {@link Code}. The message says what is wrong and where, and never
 * contains a token, a secret or a private key.
 */
public final class AuthException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong; {@link #id()} is the stable code the HTTP API answers with. */
    public enum Code {
        /** The login request is malformed: not JSON, a member missing or of the wrong type, an unknown provider. */
        BAD_REQUEST(400),
        /** The provider does not know the token (static), or the token is not one it can check. */
        BAD_TOKEN(401),
        /** The provider checked the token and said no (the webhook answered {@code "authenticated": false}). */
        DENIED(403),
        /** The provider could not be asked: the webhook is unreachable, timed out or answered an HTTP error. */
        PROVIDER_UNAVAILABLE(502),
        /** The provider answered, but not in the documented shape (or with claims past the limits). */
        PROVIDER_BAD_ANSWER(502),
        /** A device cannot reach the authority's login endpoint, or it answers something other than the API's. */
        AUTHORITY_UNAVAILABLE(502),
        /** An authority directory or auth-config file is missing, unreadable, corrupt or unsafe. */
        CONFIG_INVALID(500),
        /** A device certificate is refused: it does not chain to this peer's trust anchor. */
        CERTIFICATE_OTHER_AUTHORITY(403),
        /** A device certificate is refused: it expired (more than the skew tolerance ago). */
        CERTIFICATE_EXPIRED(403),
        /** A device certificate is refused: it is not valid yet (by more than the skew tolerance). */
        CERTIFICATE_NOT_YET_VALID(403),
        /** A device certificate is refused: it is not a device certificate, or its claims are malformed. */
        CERTIFICATE_MALFORMED(403),
        /**
         * A revocation list that cannot be trusted: not a list, another authority's, a bad signature, not canonical,
         * past a limit.
         */
        REVOCATION_LIST_INVALID(400),
        /** The certificate is valid but the authority revoked its user or its device key. */
        CERTIFICATE_REVOKED(403),
        /** A login refused because the authority's revocation list names the user or the device key. */
        REVOKED(403),
        /**
         * A login refused because the peer id it names is bound to another user (it was first certified for them), or
         * is the authority's own.
         */
        PEER_ID_TAKEN(409),
        /**
         * A login refused because it names a peer id never bound, and the user already has as many as the authority
         * binds to one user, or the authority's store of bindings is full.
         */
        PEER_ID_LIMIT(409),
        /** Something that cannot go wrong did (a JCA algorithm the platform must have is missing). */
        INTERNAL(500);

        private final int httpStatus;

        Code(int httpStatus) {
            this.httpStatus = httpStatus;
        }

        /** The stable code: {@code auth/bad-token}. */
        public String id() {
            return "auth/" + name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** The HTTP status a login failure of this kind answers with. */
        public int httpStatus() {
            return httpStatus;
        }
    }

    private final Code code;

    public AuthException(Code code, String message) {
        super(message);
        this.code = code;
    }

    public AuthException(Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public Code code() {
        return code;
    }
}
