package io.starling.internal.auth;

import io.starling.internal.core.Value;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The device's side of a login: sends the device's public key and the user's token to the authority's {@code POST
 * /api/v1/auth/login}, and checks what comes back before keeping it — the certificate must chain to the trust anchor
 * the device was given, be valid now, be for the device's own key and name the device's peer id. An authority from
 * before certificates named peer ids refuses the request's {@code peerId} as an unknown member; then the login is sent
 * again without it, and the certificate it answers names no peer id (peers accept such a certificate until it
 * expires, docs/AUTH.md). A refusal by the authority keeps its code ({@code auth/bad-token} → {@link
 * AuthException.Code#BAD_TOKEN}, …) and message; an authority that cannot be reached or answers something else is
 * {@link AuthException.Code#AUTHORITY_UNAVAILABLE}. Renewal is another login with the
 * same key pair. Uses {@link HttpURLConnection} (Android has it); follows no redirect. Stateless.
 */
public final class LoginClient {
    private static final Logger LOG = LoggerFactory.getLogger(LoginClient.class);

    /** The most of an answer that is read: a certificate with the largest claims fits. */
    static final int MAX_ANSWER_BYTES = 256 * 1024;

    private LoginClient() {}

    /**
     * Logs in.
     *
     * @param authority the authority's HTTP base, {@code http://127.0.0.1:8080}
     * @param peerId the peer id of the device's store, which the certificate is to name (not 0)
     * @param keyPair the device's key pair (a new one from {@link DeviceCredentials#newKeyPair()}, or the one it holds)
     * @throws AuthException the authority's refusal with its code, {@code AUTHORITY_UNAVAILABLE}, or a {@code
     *     CERTIFICATE_…} code when the certificate it returned is not acceptable
     */
    public static DeviceCredentials login(
            URI authority,
            String provider,
            String token,
            long peerId,
            KeyPair keyPair,
            X509Certificate trustAnchor,
            Instant now,
            Duration timeout) {
        DeviceCertificates.peerIdText(peerId); // refuses 0
        try {
            return attempt(authority, provider, token, peerId, keyPair, trustAnchor, now, timeout);
        } catch (AuthException e) {
            if (e.code() != AuthException.Code.BAD_REQUEST
                    || !String.valueOf(e.getMessage()).contains("unknown member \"peerId\"")) {
                throw e;
            }
            LOG.warn(
                    "the authority at {} predates certificates that name peer ids; logging in without one (peers accept"
                            + " the certificate, with a warning, until it expires; update the authority)",
                    authority);
            return attempt(authority, provider, token, 0, keyPair, trustAnchor, now, timeout);
        }
    }

    private static DeviceCredentials attempt(
            URI authority,
            String provider,
            String token,
            long peerId,
            KeyPair keyPair,
            X509Certificate trustAnchor,
            Instant now,
            Duration timeout) {
        String base = authority.toString();
        URI url = URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/api/v1/auth/login");
        String where = "the authority at " + authority.getScheme() + "://" + authority.getHost()
                + (authority.getPort() < 0 ? "" : ":" + authority.getPort());
        byte[] body = LoginService.request(provider, token, keyPair.getPublic(), peerId);
        int status;
        byte[] answer;
        HttpURLConnection c = null;
        try {
            c = (HttpURLConnection) url.toURL().openConnection();
            c.setInstanceFollowRedirects(false);
            c.setUseCaches(false);
            c.setConnectTimeout(Math.toIntExact(timeout.toMillis()));
            c.setReadTimeout(Math.toIntExact(timeout.toMillis()));
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            // not in streaming mode: there, the JDK hides the body of a 401 answer (it could not resend the request)
            c.setRequestProperty("Content-Type", "application/json");
            try (OutputStream out = c.getOutputStream()) {
                out.write(body);
            }
            status = c.getResponseCode();
            try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
                answer = in == null ? new byte[0] : in.readNBytes(MAX_ANSWER_BYTES + 1);
            }
        } catch (SocketTimeoutException e) {
            throw unavailable(where + " did not answer within " + timeout.toMillis() + " ms");
        } catch (IOException | IllegalArgumentException e) {
            throw unavailable(where + " is unreachable (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        } finally {
            if (c != null) c.disconnect();
        }
        if (answer.length > MAX_ANSWER_BYTES)
            throw unavailable(where + " answered more than " + MAX_ANSWER_BYTES + " bytes");
        Value v;
        try {
            v = AuthJson.parse(answer);
        } catch (IllegalArgumentException e) {
            throw unavailable(where + " answered HTTP " + status + " with a body that " + e.getMessage());
        }
        if (status != 200) throw refusal(where, status, v);
        if (!(v instanceof Value.Obj o) || !(o.get("certificate") instanceof Value.Str pem)) {
            throw unavailable(where + " answered without a certificate");
        }
        X509Certificate certificate;
        try {
            certificate = Pem.certificates(pem.value()).get(0);
        } catch (IllegalArgumentException e) {
            throw unavailable(where + " answered a certificate that " + e.getMessage());
        }
        VerifiedIdentity issued = DeviceCertificates.verify(List.of(certificate), trustAnchor, now);
        if (!certificate.getPublicKey().equals(keyPair.getPublic())) {
            throw new AuthException(
                    AuthException.Code.CERTIFICATE_MALFORMED,
                    where + " issued a certificate for another key than this device's");
        }
        if (peerId != 0 && issued.peerId() != peerId) {
            throw new AuthException(
                    AuthException.Code.CERTIFICATE_MALFORMED,
                    where + " issued a certificate for "
                            + (issued.peerId() == 0
                                    ? "no peer id"
                                    : "peer " + DeviceCertificates.peerIdText(issued.peerId()))
                            + " instead of this device's peer " + DeviceCertificates.peerIdText(peerId));
        }
        return new DeviceCredentials(keyPair, certificate);
    }

    /** The authority's error answer, with its code kept. */
    private static AuthException refusal(String where, int status, Value answer) {
        if (answer instanceof Value.Obj o
                && o.get("error") instanceof Value.Obj error
                && error.get("code") instanceof Value.Str code
                && error.get("message") instanceof Value.Str message) {
            AuthException.Code known = codeOf(code.value());
            String text = where + " refused the login (" + code.value() + "): " + message.value();
            return known != null ? new AuthException(known, text) : unavailable(text + " (HTTP " + status + ")");
        }
        return unavailable(where + " answered HTTP " + status + " without the API's error shape");
    }

    private static AuthException.@org.jspecify.annotations.Nullable Code codeOf(String id) {
        for (AuthException.Code c : AuthException.Code.values()) {
            if (c.id().equals(id.toLowerCase(Locale.ROOT))) return c;
        }
        return null;
    }

    private static AuthException unavailable(String message) {
        return new AuthException(AuthException.Code.AUTHORITY_UNAVAILABLE, message);
    }
}
