package io.starling.internal.auth;

import io.starling.internal.core.Value;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Set;

/**
 * Asks the app's own service whether a token is good: POSTs {@code {"appId", "provider", "token"}} to its URL, signed
 * ({@link WebhookSignature}), and reads {@code {"authenticated", "userID", "expirationSeconds", "permissions",
 * "metadata"}} back. Each failure has its own code: the webhook cannot be reached or answers an HTTP error ({@code
 * PROVIDER_UNAVAILABLE}), it refuses the token ({@code DENIED}: {@code "authenticated": false}, or HTTP 401/403), or
 * its answer is not the documented shape ({@code PROVIDER_BAD_ANSWER}). Messages name the webhook by scheme, host and
 * port only (a path or query may carry a key) and never quote the token or the secret.
 *
 * <p>Uses {@link HttpURLConnection} (which Android has too), follows no redirect, and bounds the connect time, each
 * read and the answer's size. Thread-safe: each call opens its own connection.
 */
final class WebhookProvider implements LoginProvider {
    /** The most of an answer that is read; a longer one is a bad answer. */
    static final int MAX_ANSWER_BYTES = 64 * 1024;

    private static final Set<String> ANSWER_MEMBERS =
            Set.of("authenticated", "userID", "expirationSeconds", "permissions", "metadata");

    private final String name;
    private final URI url;
    private final byte[] secret;
    private final Duration timeout;
    private final Clock clock;

    WebhookProvider(String name, URI url, byte[] secret, Duration timeout, Clock clock) {
        this.name = name;
        this.url = url;
        this.secret = secret.clone();
        this.timeout = timeout;
        this.clock = clock;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String type() {
        return "webhook";
    }

    /** The webhook as messages name it: scheme, host and port. */
    String where() {
        return "the webhook of provider \"" + name + "\" (" + url.getScheme() + "://" + url.getHost()
                + (url.getPort() < 0 ? "" : ":" + url.getPort()) + ")";
    }

    @Override
    public ProviderGrant authenticate(String appId, String token) {
        LinkedHashMap<String, Value> request = new LinkedHashMap<>();
        request.put("appId", Value.of(appId));
        request.put("provider", Value.of(name));
        request.put("token", Value.of(token));
        byte[] body = AuthJson.write(Value.Obj.ofOwned(request)).getBytes(StandardCharsets.UTF_8);
        String signature = WebhookSignature.header(secret, clock.instant().getEpochSecond(), body);
        byte[] answer = post(body, signature);
        return read(answer);
    }

    private byte[] post(byte[] body, String signature) {
        HttpURLConnection c = null;
        try {
            c = (HttpURLConnection) url.toURL().openConnection();
            c.setInstanceFollowRedirects(false);
            c.setUseCaches(false);
            c.setConnectTimeout(Math.toIntExact(timeout.toMillis()));
            c.setReadTimeout(Math.toIntExact(timeout.toMillis()));
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setFixedLengthStreamingMode(body.length);
            c.setRequestProperty("Content-Type", "application/json");
            c.setRequestProperty("Accept", "application/json");
            c.setRequestProperty(WebhookSignature.HEADER, signature);
            try (OutputStream out = c.getOutputStream()) {
                out.write(body);
            }
            int status = c.getResponseCode();
            if (status == 401 || status == 403) {
                throw new AuthException(
                        AuthException.Code.DENIED, where() + " refused the token (HTTP " + status + ")");
            }
            if (status != 200) {
                throw new AuthException(
                        AuthException.Code.PROVIDER_UNAVAILABLE, where() + " answered HTTP " + status + ", not 200");
            }
            try (InputStream in = c.getInputStream()) {
                byte[] bytes = in.readNBytes(MAX_ANSWER_BYTES + 1);
                if (bytes.length > MAX_ANSWER_BYTES) {
                    throw new AuthException(
                            AuthException.Code.PROVIDER_BAD_ANSWER,
                            where() + " answered more than " + MAX_ANSWER_BYTES + " bytes");
                }
                return bytes;
            }
        } catch (SocketTimeoutException e) {
            throw unavailable("did not answer within " + timeout.toMillis() + " ms");
        } catch (ConnectException e) {
            throw unavailable("is unreachable (" + e.getMessage() + ")");
        } catch (UnknownHostException e) {
            throw unavailable("is unreachable (unknown host)");
        } catch (IOException | RuntimeException e) {
            if (e instanceof AuthException a) throw a;
            throw unavailable("could not be asked (" + e.getClass().getSimpleName() + ")");
        } finally {
            if (c != null) c.disconnect();
        }
    }

    private AuthException unavailable(String why) {
        return new AuthException(AuthException.Code.PROVIDER_UNAVAILABLE, where() + " " + why);
    }

    private ProviderGrant read(byte[] answer) {
        String what = where() + " answered";
        Value v;
        try {
            v = AuthJson.parse(answer);
        } catch (IllegalArgumentException e) {
            throw new AuthException(AuthException.Code.PROVIDER_BAD_ANSWER, what + " a body that " + e.getMessage());
        }
        if (!(v instanceof Value.Obj o)) {
            throw new AuthException(
                    AuthException.Code.PROVIDER_BAD_ANSWER, what + " " + AuthJson.kind(v) + ", not a JSON object");
        }
        if (!(o.get("authenticated") instanceof Value.Bool authenticated)) {
            throw new AuthException(
                    AuthException.Code.PROVIDER_BAD_ANSWER, what + " without \"authenticated\": true or false");
        }
        if (!authenticated.value()) {
            throw new AuthException(AuthException.Code.DENIED, where() + " did not authenticate the token");
        }
        try {
            return ProviderGrant.parse("answer", o, "userID", ANSWER_MEMBERS);
        } catch (IllegalArgumentException e) {
            throw new AuthException(AuthException.Code.PROVIDER_BAD_ANSWER, what + " badly: " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "WebhookProvider[" + name + ", " + url.getHost() + "]";
    }
}
