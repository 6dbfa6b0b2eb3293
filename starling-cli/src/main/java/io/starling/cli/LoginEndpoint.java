package io.starling.cli;

import io.starling.internal.auth.AuthException;
import io.starling.internal.auth.LoginService;
import io.starling.internal.net.RefusalLog;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * {@code POST /api/v1/auth/login} of a peer that is an authority (docs/AUTH.md): devices have no admin token, so it
 * is the one endpoint besides {@code /healthz} that needs none. What bounds it: the body (at most {@link
 * LoginService#MAX_REQUEST_BYTES}, 413 beyond), the webhook's own timeouts, the server's worker pool, and a rate per
 * client address ({@link #BURST} logins at once, then one per {@link #REFILL_NANOS} ns; 429 beyond). Thread-safe.
 */
final class LoginEndpoint {
    static final String PATH = "/api/v1/auth/login";
    static final String RATE_LIMITED = "auth/rate-limited";

    /** Logins a client address may make at once. */
    static final int BURST = 10;
    /** One more login per second after the burst. */
    static final long REFILL_NANOS = 1_000_000_000L;
    /** Client addresses remembered; past this the oldest are forgotten (each then starts with a full burst). */
    static final int MAX_CLIENTS = 4096;

    private final LoginService service;
    private final RefusalLog refusals;
    private final LongSupplier nanoTime;
    private final Map<String, long[]> buckets = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, long[]> eldest) {
            return size() > MAX_CLIENTS;
        }
    };

    LoginEndpoint(LoginService service, RefusalLog refusals, LongSupplier nanoTime) {
        this.service = service;
        this.refusals = refusals;
        this.nanoTime = nanoTime;
    }

    HttpApi.Response handle(HttpApi.Request request) {
        if (!request.method().equals("POST")) {
            return HttpApi.error(405, HttpApi.METHOD_NOT_ALLOWED, "use POST").withHeader("Allow", "POST");
        }
        String client = host(request.remote());
        if (!take(client)) {
            refusals.refused("too many logins", "from " + client);
            return HttpApi.error(
                            429,
                            RATE_LIMITED,
                            "too many logins from this address (" + BURST + " at once, then one a second); retry"
                                    + " later")
                    .withHeader("Retry-After", "1");
        }
        HttpApi.Response unsupported = HttpApi.jsonBodyRequired(request.header("content-type"));
        if (unsupported != null) return unsupported;
        if (request.body().length > LoginService.MAX_REQUEST_BYTES) {
            return HttpApi.error(
                    413, HttpApi.TOO_LARGE, "a login request is at most " + LoginService.MAX_REQUEST_BYTES + " bytes");
        }
        try {
            return HttpApi.Response.of(
                    200, HttpApi.JSON, service.login(request.body()).toJson());
        } catch (AuthException e) {
            return HttpApi.error(e.code().httpStatus(), e.code().id(), String.valueOf(e.getMessage()));
        }
    }

    /** Takes one login from {@code client}'s bucket, if it has one. */
    private synchronized boolean take(String client) {
        long now = nanoTime.getAsLong();
        long[] b = buckets.computeIfAbsent(client, c -> new long[] {BURST, now}); // {tokens, last refill}
        long refilled = (now - b[1]) / REFILL_NANOS;
        if (refilled > 0) {
            b[0] = Math.min(BURST, b[0] + refilled);
            b[1] += refilled * REFILL_NANOS;
        }
        if (b[0] == 0) return false;
        b[0]--;
        return true;
    }

    /** {@code 127.0.0.1:5555} → {@code 127.0.0.1}; {@code [::1]:5555} → {@code [::1]}. */
    static String host(String remote) {
        int colon = remote.lastIndexOf(':');
        return colon > 0 && remote.indexOf(']') < colon ? remote.substring(0, colon) : remote;
    }
}
