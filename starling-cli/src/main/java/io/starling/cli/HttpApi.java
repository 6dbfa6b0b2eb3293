package io.starling.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starling.ErrorCode;
import io.starling.QueryException;
import io.starling.QueryResult;
import io.starling.QueryResultChange;
import io.starling.QueryResultItem;
import io.starling.Starling;
import io.starling.StarlingException;
import io.starling.Store;
import io.starling.internal.auth.LoginService;
import io.starling.internal.engine.DefaultStarling;
import io.starling.internal.engine.DefaultStore;
import io.starling.internal.net.RefusalLog;
import io.starling.internal.query.Permissions;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API of a peer, without the HTTP server: routes a {@link Request} to the instance and says what to answer.
 * {@link HttpApiServer} carries it over Netty; docs/HTTP-API.md is the reference.
 *
 * <pre>
 * POST /api/v1/execute    {"statement": "...", "args": {...}}  → {"items": [...], "mutatedDocumentIds": [...]}
 * GET  /api/v1/presence   the presence graph
 * GET  /api/v1/presence/observe   the presence graph as Server-Sent Events: now, then at each change
 * GET  /api/v1/observe    ?statement=SELECT…&amp;args={…}: Server-Sent Events, one per live-query delivery
 * GET  /api/v1/changes    ?since=CURSOR&amp;collections=a,b: Server-Sent Events, one per change, then live
 * GET  /api/v1/sync       per remote peer: connected, acknowledged, transport; the subscriptions (StatusEndpoints)
 * GET  /api/v1/metrics    the counters of /metrics as JSON (StatusEndpoints)
 * GET  /                  the web dashboard, and its files under /dashboard/ (DashboardAssets; no token)
 * GET  /metrics           Prometheus text
 * GET  /healthz           ok, or 503 with the store's problem (a full disk)
 * GET  /readyz            ready, or 503 while starting or draining
 * </pre>
 *
 * <p>Errors are {@code {"error": {"code": "...", "message": "..."}}} with the library's {@link ErrorCode#code()}, or
 * an {@code http/…} code for a request the API cannot take. Status: 400 for a user error (a bad statement, argument
 * or document, a malformed request), 401 without the right bearer token, 404, 405, 409 for an id conflict, 413
 * for a body over the limit, 503 once the instance is closing, 507 when the disk is full, 500 for anything else.
 *
 * <p>Thread-safe: holds nothing but the instance, the token and the threads that read change streams (stopped by
 * {@link #close()}). {@link #handle} may block on the store, so the server calls it off its I/O threads.
 */
final class HttpApi implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);

    static final String EXECUTE = "/api/v1/execute";
    static final String PRESENCE = "/api/v1/presence";
    static final String PRESENCE_OBSERVE = "/api/v1/presence/observe";
    static final String OBSERVE = "/api/v1/observe";
    static final String CHANGES = "/api/v1/changes";
    static final String METRICS = "/metrics";
    static final String HEALTH = "/healthz";
    static final String READY = "/readyz";
    /** The code of a 503 from {@code /readyz}. */
    static final String NOT_READY = "http/not-ready";

    static final String JSON = "application/json; charset=utf-8";
    static final String TEXT = "text/plain; charset=utf-8";

    /** Codes of errors the HTTP layer finds itself; the library's {@link ErrorCode}s cover the rest. */
    static final String BAD_REQUEST = "http/bad-request";

    static final String UNAUTHORIZED = "http/unauthorized";
    static final String FORBIDDEN_HOST = "http/forbidden-host";
    static final String FORBIDDEN_ORIGIN = "http/forbidden-origin";
    static final String NOT_FOUND = "http/not-found";
    static final String METHOD_NOT_ALLOWED = "http/method-not-allowed";
    static final String REQUEST_TIMEOUT = "http/request-timeout";
    static final String TOO_LARGE = "http/payload-too-large";
    static final String URI_TOO_LONG = "http/uri-too-long";
    static final String UNSUPPORTED_MEDIA_TYPE = "http/unsupported-media-type";
    static final String EXPECTATION_FAILED = "http/expectation-failed";
    static final String HEADERS_TOO_LARGE = "http/headers-too-large";
    static final String OVERLOADED = "http/overloaded";
    static final String COMMIT_NOT_REACHED = "http/commit-not-reached";
    static final String API_KEYS_UNREADABLE = "http/api-keys-unreadable";

    /** The response header of a write's commit token, and the request header of a read that waits for it. */
    static final String COMMIT_TOKEN_HEADER = "Starling-Commit-Token";
    /** The query parameter of {@code /observe} and {@code /changes} that carries a commit token. */
    static final String COMMIT_TOKEN_PARAMETER = "commitToken";

    /** The request headers the API reads (the server hands over these, by lower-case name). */
    static final List<String> HEADERS = List.of(
            "authorization",
            "host",
            "origin",
            "sec-fetch-site",
            "content-type",
            "last-event-id",
            "starling-commit-token",
            "range");

    /** The most collections one change stream may name. */
    static final int MAX_FEED_COLLECTIONS = 100;

    private final Starling db;
    private final byte @Nullable [] token;
    private final BrowserGuard guard;
    private final RefusalLog refusals;
    private final @Nullable LoginEndpoint login;
    private final DashboardAssets assets = new DashboardAssets();
    private final Readiness readiness;
    /** More samples for {@code /metrics} (the Kafka sink's), in the exposition format; empty by default. */
    private volatile java.util.function.Supplier<String> moreMetrics = () -> "";

    private final @Nullable ApiKeys keys;
    private final CommitWait commitWait;
    private final int maxBody;
    private final AttachmentEndpoints attachments;
    /** Runs the store reads of change streams: each has at most one task queued or running. */
    private final java.util.concurrent.ThreadPoolExecutor feeds;

    /**
     * @param settings the token every request but {@code /healthz} must carry (or null), the API key file (or
     *     null), the body limit and the commit-token wait
     * @param guard the rules for {@code Host} and {@code Origin}
     * @param refusals where refusals worth an operator's attention are logged (401, 403)
     * @param login the login endpoint of a peer that is an authority, or null
     * @param readiness what {@code /readyz} answers
     * @param waitingReads how many reads may wait for a commit token at once
     */
    HttpApi(
            Starling db,
            HttpApiServer.Settings settings,
            BrowserGuard guard,
            RefusalLog refusals,
            @Nullable LoginEndpoint login,
            Readiness readiness,
            int waitingReads) {
        this.readiness = readiness;
        this.db = db;
        String token = settings.token();
        this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
        this.guard = guard;
        this.refusals = refusals;
        this.login = login;
        this.keys = settings.apiKeys();
        this.commitWait = new CommitWait(db.store(), settings.commitWait(), waitingReads);
        this.maxBody = settings.maxBody();
        this.attachments = new AttachmentEndpoints(db);
        this.feeds = new java.util.concurrent.ThreadPoolExecutor(
                FEED_THREADS,
                FEED_THREADS,
                30,
                java.util.concurrent.TimeUnit.SECONDS,
                new java.util.concurrent.LinkedBlockingQueue<>(),
                new io.netty.util.concurrent.DefaultThreadFactory("starling-http-changes", true));
        feeds.allowCoreThreadTimeOut(true);
    }

    private static final int FEED_THREADS = 2;

    /** Adds {@code samples} (Prometheus text, each with its HELP and TYPE lines) to every {@code /metrics} answer. */
    void addMetrics(java.util.function.Supplier<String> samples) {
        java.util.function.Supplier<String> before = moreMetrics;
        moreMetrics = () -> before.get() + samples.get();
    }

    /** Stops the threads of change streams (the server closes their connections). */
    @Override
    public void close() {
        feeds.shutdownNow();
    }

    /**
     * One request, as the server hands it over.
     *
     * @param method upper case, such as {@code GET}
     * @param path the decoded path, without the query string
     * @param query the decoded query parameters
     * @param headers the headers of {@link #HEADERS} that the request has, by lower-case name (the first value)
     * @param body the request body (empty for none)
     * @param remote the client's address, for logs
     */
    record Request(
            String method,
            String path,
            Map<String, List<String>> query,
            Map<String, String> headers,
            byte[] body,
            String remote) {
        @Nullable
        String parameter(String name) {
            List<String> values = query.get(name);
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        /** A header of {@link #HEADERS}, or null. */
        @Nullable
        String header(String lowerCaseName) {
            return headers.get(lowerCaseName);
        }
    }

    /** What to answer: a {@link Response}, or an {@link EventStream} to keep open. */
    sealed interface Reply permits Response, EventStream {}

    /**
     * A complete response.
     *
     * @param headers extra headers ({@code Allow}, {@code WWW-Authenticate})
     */
    record Response(int status, String contentType, byte[] body, Map<String, String> headers) implements Reply {
        static Response of(int status, String contentType, String body) {
            return new Response(status, contentType, body.getBytes(StandardCharsets.UTF_8), Map.of());
        }

        Response withHeader(String name, String value) {
            Map<String, String> h = new LinkedHashMap<>(headers);
            h.put(name, value);
            return new Response(status, contentType, body, Map.copyOf(h));
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /**
     * A stream of Server-Sent Events. The server calls {@link #start} with a sink for the connection; it returns
     * the handle to close when the client goes away, or throws a {@link StarlingException} (answered with
     * {@link #error}) if the stream cannot start — then no event has been sent.
     */
    @FunctionalInterface
    non-sealed interface EventStream extends Reply {
        AutoCloseable start(EventSink sink);
    }

    /** Where an event stream writes. Thread-safe. */
    interface EventSink {
        /**
         * Sends one event whose data is {@code data} (one line); runs {@code sent} once it is written, so that the
         * source can send the next one (it is never run if the connection closes first).
         */
        void send(String data, Runnable sent);

        /**
         * Sends {@code events}, one or more complete events in the Server-Sent Events format (each ends with a
         * blank line), in one write; runs {@code sent} once they are written, as {@link #send} does.
         */
        void sendEvents(String events, Runnable sent);
    }

    /** Who sent a request: the admin (the token, or anyone when the API needs no credentials), or a key holder. */
    sealed interface Caller permits Admin, KeyHolder {}

    /** Full rights: the {@code --http-token}, or any request when the API needs no credentials. */
    record Admin() implements Caller {}

    /** A request with an API key: it runs with the key's permissions. */
    record KeyHolder(ApiKeys.Key key, Permissions.Grant grant) implements Caller {}

    /** What the checks on a request's head decided: a refusal to answer, or who the caller is. */
    record Admission(@Nullable Response refusal, @Nullable Caller caller) {
        static Admission refused(Response r) {
            return new Admission(r, null);
        }
    }

    /**
     * The checks that need only the request head, in this order, for every path: {@code Host} and {@code Origin}
     * (400, 403: nothing of the request is looked at for a web page of another origin), the credentials (401; not
     * for {@code /healthz} and the login), the path (404), the method (405), what a key may reach (403), the content
     * type of a body (415). The server runs them before it reads a body, and {@link #handle} again.
     *
     * @param header the request's headers of {@link #HEADERS}, by lower-case name
     */
    Admission admit(
            String method, String path, java.util.function.Function<String, @Nullable String> header, String remote) {
        BrowserGuard.Verdict verdict =
                guard.check(header.apply("host"), header.apply("origin"), header.apply("sec-fetch-site"));
        if (verdict != null) {
            if (verdict.refusal() == BrowserGuard.Refusal.MISSING_HOST) {
                return Admission.refused(badRequest(verdict.message()));
            }
            boolean host = verdict.refusal() == BrowserGuard.Refusal.FOREIGN_HOST;
            refusals.refused(
                    host ? "foreign Host" : "foreign Origin",
                    method + " " + path + " from " + remote + ": " + verdict.message());
            return Admission.refused(error(403, host ? FORBIDDEN_HOST : FORBIDDEN_ORIGIN, verdict.message()));
        }
        String authorization = header.apply("authorization");
        if (path.equals(HEALTH)) {
            if (!method.equals("GET")) return Admission.refused(notAllowed("GET"));
            Caller caller;
            try {
                caller = authenticate(authorization);
            } catch (ApiKeys.ApiKeyFileException e) {
                caller = null;
            }
            return new Admission(null, caller);
        }
        // the dashboard's page and files hold no data: a browser opening the page cannot send the token yet
        if (DashboardAssets.serves(path)) {
            return method.equals("GET") ? new Admission(null, null) : Admission.refused(notAllowed("GET"));
        }
        if (path.equals(READY)) {
            return method.equals("GET") ? new Admission(null, null) : Admission.refused(notAllowed("GET"));
        }
        // devices log in without the admin token (they have none); the endpoint bounds itself
        if (login != null && path.equals(LoginEndpoint.PATH)) return new Admission(null, null);
        Caller caller;
        try {
            caller = authenticate(authorization);
        } catch (ApiKeys.ApiKeyFileException e) {
            refusals.refused("API key file unreadable", String.valueOf(e.getMessage()));
            return Admission.refused(error(
                    500,
                    API_KEYS_UNREADABLE,
                    "the peer cannot read its API keys (their file, or the shared database), so no key is accepted; the operator"
                            + " must fix it"));
        }
        if (caller == null) {
            String presented = authorization == null ? null : bearer(authorization);
            boolean key = presented != null && ApiKeys.looksLikeKey(presented);
            refusals.refused(
                    key ? "unknown or revoked API key" : "missing or wrong token",
                    method + " " + path + " from " + remote
                            + (authorization == null
                                    ? " without a token"
                                    : key ? " with an unknown or revoked API key" : " with a wrong token"));
            return Admission.refused(error(
                            401,
                            UNAUTHORIZED,
                            key
                                    ? "this API key is not valid here (unknown, revoked, or of another database)"
                                    : "this API needs 'Authorization: Bearer <token>' with the peer's token or an API"
                                            + " key")
                    .withHeader("WWW-Authenticate", "Bearer realm=\"starling\""));
        }
        String allowed = switch (path) {
            case EXECUTE -> "POST";
            case PRESENCE, PRESENCE_OBSERVE, OBSERVE, CHANGES, METRICS -> "GET";
            default ->
                StatusEndpoints.serves(path)
                        ? "GET"
                        : AttachmentEndpoints.owns(path)
                                ? (path.equals(AttachmentEndpoints.PATH) ? "POST" : "GET")
                                : null;
        };
        if (allowed == null) return Admission.refused(error(404, NOT_FOUND, "no such resource: " + path));
        if (!method.equals(allowed)) return Admission.refused(notAllowed(allowed));
        if (caller instanceof KeyHolder k
                && (path.equals(PRESENCE)
                        || path.equals(PRESENCE_OBSERVE)
                        || path.equals(METRICS)
                        || StatusEndpoints.serves(path))
                && !k.grant().permissions().read().everything()) {
            return Admission.refused(error(
                    403,
                    ErrorCode.PERMISSION_DENIED.code(),
                    "this API key may not read " + path + ": that needs a key that may read everything"));
        }
        // a download is judged by the attachment (AttachmentEndpoints): a key gets it if it may read a document here
        // that references it
        if (caller instanceof KeyHolder k
                && path.equals(AttachmentEndpoints.PATH)
                && !k.grant().permissions().write().everything()) {
            return Admission.refused(error(
                    403,
                    ErrorCode.PERMISSION_DENIED.code(),
                    "this API key may not upload attachments: that needs a key that may write everything"));
        }
        if (path.equals(EXECUTE)) {
            Response unsupported = jsonBodyRequired(header.apply("content-type"));
            if (unsupported != null) return Admission.refused(unsupported);
        }
        return new Admission(null, caller);
    }

    /**
     * The largest body {@code path} takes: the execute body limit, the largest attachment for an upload (the store's
     * own limit, so that one value holds at every entry point), the login's, none for the others.
     */
    long bodyLimit(String path) {
        if (path.equals(EXECUTE)) return maxBody;
        if (path.equals(AttachmentEndpoints.PATH))
            return db.config().attachments().maxBytes();
        if (login != null && path.equals(LoginEndpoint.PATH)) return LoginService.MAX_REQUEST_BYTES;
        return 0;
    }

    /**
     * Answers {@code request}. Never throws: a failure becomes an error response. The checks of {@link #admit} come
     * first.
     */
    Reply handle(Request request) {
        try {
            Admission admission = admit(request.method(), request.path(), request::header, request.remote());
            if (admission.refusal() != null) return admission.refusal();
            Caller caller = admission.caller();
            if (request.path().equals(HEALTH)) return health(caller instanceof Admin);
            // the dashboard's page and files hold no data: a browser opening the page cannot send the token yet
            if (DashboardAssets.serves(request.path())) return assets.handle(request);
            if (request.path().equals(READY)) {
                String problem = readiness.problem();
                return problem == null ? Response.of(200, TEXT, "ready") : error(503, NOT_READY, problem);
            }
            if (caller == null) return java.util.Objects.requireNonNull(login).handle(request);
            Long commitToken = null;
            String tokenText = request.header("starling-commit-token");
            String tokenName = "the header '" + COMMIT_TOKEN_HEADER + "'";
            if (tokenText == null && !request.method().equals("POST")) {
                tokenText = request.parameter(COMMIT_TOKEN_PARAMETER);
                tokenName = "the query parameter '" + COMMIT_TOKEN_PARAMETER + "'";
            }
            if (tokenText != null) {
                commitToken = CommitWait.parse(tokenText);
                if (commitToken == null) {
                    return badRequest(tokenName + " must be a commit token a write answered (decimal digits), not '"
                            + abbreviate(tokenText) + "'");
                }
                Response waited = awaitCommit(commitToken);
                if (waited != null) return waited;
            }
            switch (request.path()) {
                case EXECUTE:
                    return execute(request.body(), caller);
                case PRESENCE:
                    return Response.of(
                            200, JSON, PresenceRenderer.json(db.presence().graph()));
                case PRESENCE_OBSERVE:
                    return new PresenceStream(db.presence());
                case OBSERVE:
                    return observe(request, caller);
                case CHANGES:
                    return changes(request, caller);
                case METRICS:
                    return Response.of(
                            200,
                            PrometheusMetrics.CONTENT_TYPE,
                            PrometheusMetrics.render(
                                            db.sync().metrics(),
                                            db.presence().graph().remotePeers().size(),
                                            db.store().health())
                                    + (db instanceof DefaultStarling d
                                            ? PrometheusMetrics.render(d.attachmentCounters())
                                            : "")
                                    + moreMetrics.get());
                default:
                    if (StatusEndpoints.serves(request.path())) return StatusEndpoints.handle(request, db);
                    if (AttachmentEndpoints.owns(request.path()))
                        return attachments.handle(request, caller instanceof KeyHolder k ? k.grant() : null);
                    return error(404, NOT_FOUND, "no such resource: " + request.path());
            }
        } catch (RuntimeException e) {
            return error(e);
        }
    }

    /**
     * Stores an upload streamed from the connection ({@code POST /api/v1/attachments}, admitted by {@link #admit}
     * before its body was read). Blocks while the body arrives; never throws.
     */
    Response upload(Map<String, List<String>> query, UploadBody body) {
        try {
            return attachments.upload(query, body);
        } catch (RuntimeException e) {
            // a body that did not arrive whole was answered by the connection (or it closed): no error to log
            if (body.failed()) return error(400, BAD_REQUEST, "the upload did not arrive whole");
            return error(e);
        }
    }

    /** Null once this node holds the write of {@code commitToken}; else the 503 to answer. */
    private @Nullable Response awaitCommit(long commitToken) {
        CommitWait.Outcome outcome;
        try {
            outcome = commitWait.await(commitToken);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return error(503, ErrorCode.CLOSED.code(), "the peer is shutting down");
        }
        if (outcome instanceof CommitWait.TimedOut t) {
            return error(
                            503,
                            COMMIT_NOT_REACHED,
                            "this node does not hold the write of commit token " + t.token() + " after waiting "
                                    + HttpApiServer.seconds(t.limit()) + " (--http-commit-wait): it has not"
                                    + " arrived yet, or the token is of another database; retry, or read from the"
                                    + " node that took the write")
                    .withHeader("Retry-After", "1");
        }
        if (outcome instanceof CommitWait.Busy b) {
            return error(
                            503,
                            OVERLOADED,
                            "too many reads wait for a commit token at once (the limit is " + b.maxWaiting()
                                    + "); retry later")
                    .withHeader("Retry-After", "1");
        }
        return null;
    }

    /** Reads waiting for a commit token now (tests). */
    int waitingForCommits() {
        return commitWait.waiting();
    }

    /**
     * Who presents {@code authorization}: the admin (the token; or anyone, when the API needs no credentials and
     * the request names no API key), a key holder, or null (refused).
     */
    private @Nullable Caller authenticate(@Nullable String authorization) {
        String presented = authorization == null ? null : bearer(authorization);
        if (presented != null && keys != null && ApiKeys.looksLikeKey(presented)) {
            ApiKeys.Key key = keys.verify(presented);
            return key == null ? null : new KeyHolder(key, key.grant());
        }
        if (token == null) {
            // an open API stays open, but once keys exist a caller without credentials is not the admin
            return keys != null && keys.any() ? null : new Admin();
        }
        if (presented == null) return null;
        byte[] given = presented.getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, token) ? new Admin() : null; // constant time: no timing oracle
    }

    /** The credential of {@code Authorization: Bearer X}, or null for another scheme. */
    private static @Nullable String bearer(String authorization) {
        if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) return null;
        return authorization.substring(7).strip();
    }

    /**
     * 200 {@code ok} while writes succeed; 503 with the store's problem while they fail (a full disk). The details
     * (they name the database file) only for a client that could read them anyway: no token, or the right one.
     */
    private Response health(boolean authorized) {
        Store.Health health = db.store().health();
        ErrorCode problem = health.problem();
        if (problem == null) return Response.of(200, TEXT, "ok"); // healthy
        String message = authorized
                ? health.message()
                : problem == ErrorCode.STORE_FULL
                        ? "writes are failing: no space left on the disk of the database"
                        : "writes are failing: " + problem.code();
        return error(503, problem.code(), message);
    }

    private Reply execute(byte[] body, Caller caller) {
        JsonNode json;
        try {
            json = JsonArgs.readTree(body);
        } catch (JsonProcessingException e) {
            return badRequest("the body is not valid JSON: " + JsonArgs.describe(e));
        }
        if (!json.isObject()) {
            return badRequest("the body must be a JSON object {\"statement\": \"...\", \"args\": {...}}");
        }
        if (!json.path("statement").isTextual()) {
            return badRequest("the body must have \"statement\", a string");
        }
        Map<String, Object> args = Map.of();
        if (json.has("args") && !json.get("args").isNull()) {
            if (!json.get("args").isObject()) return badRequest("\"args\" must be a JSON object");
            args = JsonArgs.values(json.get("args"));
        }
        String statement = json.get("statement").textValue();
        QueryResult result = caller instanceof KeyHolder k
                ? restricted().execute(statement, args, k.grant())
                : db.store().execute(statement, args);
        Response response = Response.of(200, JSON, result.toJson());
        // the write's position in the change feed: a read carrying it waits until its node holds the write
        return result.commitSequence() > 0
                ? response.withHeader(COMMIT_TOKEN_HEADER, Long.toString(result.commitSequence()))
                : response;
    }

    /** The store as the engine's own, which can run a statement with a key's permissions. */
    private DefaultStore restricted() {
        if (db.store() instanceof DefaultStore store) return store;
        throw new IllegalStateException("API keys need the engine's own store, not "
                + db.store().getClass().getName());
    }

    private Reply observe(Request request, Caller caller) {
        String statement = request.parameter("statement");
        if (statement == null || statement.isBlank()) {
            return badRequest("the query parameter 'statement' (a SELECT, URL-encoded) is missing");
        }
        Map<String, Object> args = Map.of();
        String argsText = request.parameter("args");
        if (argsText != null && !argsText.isBlank()) {
            try {
                args = JsonArgs.parse(argsText);
            } catch (IllegalArgumentException e) {
                return badRequest("the query parameter 'args': " + e.getMessage());
            }
        }
        Map<String, Object> arguments = args;
        if (caller instanceof KeyHolder k) {
            DefaultStore store = restricted();
            return (EventStream) sink -> store.registerObserverWithSignalNext(
                    statement, arguments, k.grant(), (change, signalNext) -> sink.send(itemsJson(change), signalNext));
        }
        return (EventStream) sink -> db.store()
                .registerObserverWithSignalNext(
                        statement, arguments, (change, signalNext) -> sink.send(itemsJson(change), signalNext));
    }

    /**
     * The change feed from {@code since} (or {@code Last-Event-ID}, which an {@code EventSource} sends when it
     * reconnects, and which wins), of every collection or of those listed in {@code collections}.
     */
    private Reply changes(Request request, Caller caller) {
        String lastEventId = request.header("last-event-id");
        String since = lastEventId != null && !lastEventId.isBlank() ? lastEventId : request.parameter("since");
        String sinceName = lastEventId != null && !lastEventId.isBlank()
                ? "the header 'Last-Event-ID'"
                : "the query parameter 'since'";
        long cursor = 0;
        if (since != null) {
            String s = since.strip();
            if (s.isEmpty() || s.length() > 19 || !s.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
                return badRequest(sinceName + " must be a cursor the change feed gave (decimal digits), not '"
                        + abbreviate(since) + "'");
            }
            try {
                cursor = Long.parseLong(s);
            } catch (NumberFormatException e) {
                return badRequest(sinceName + " is out of range: '" + s + "'");
            }
        }
        java.util.Set<String> only = new java.util.LinkedHashSet<>();
        String list = request.parameter("collections");
        if (list != null) {
            for (String name : list.split(",", -1)) {
                String n = name.strip();
                if (n.isEmpty()) {
                    return badRequest(
                            "the query parameter 'collections' must be a comma-separated list of collection names, without"
                                    + " empty names: '" + abbreviate(list) + "'");
                }
                only.add(n);
            }
            if (only.size() > MAX_FEED_COLLECTIONS) {
                return badRequest("the query parameter 'collections' names " + only.size() + " collections; at most "
                        + MAX_FEED_COLLECTIONS + " (leave it out for every collection)");
            }
        }
        ChangeFeedStream.Feed feed;
        if (caller instanceof KeyHolder k) {
            DefaultStore store = restricted();
            feed = (after, max, collections) -> store.changes(after, max, collections, k.grant());
        } else {
            Store store = db.store();
            feed = store::changes;
        }
        return new ChangeFeedStream(db.store(), feed, cursor, only, feeds);
    }

    private static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "…";
    }

    /** One delivery as the event data: {@code {"items":[...]}}, on one line. */
    static String itemsJson(QueryResultChange change) {
        StringBuilder sb = new StringBuilder("{\"items\":[");
        List<QueryResultItem> items = change.items();
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) sb.append(',');
            sb.append(items.get(i).json());
        }
        return sb.append("]}").toString();
    }

    /**
     * Null when {@code contentType} is {@code application/json} (any parameters; a charset must be UTF-8), else the
     * 415 to answer: a web page of another origin can send a body of any other type without the browser asking.
     */
    static @Nullable Response jsonBodyRequired(@Nullable String contentType) {
        String why = null;
        if (contentType == null || contentType.isBlank()) {
            why = "the request has no Content-Type";
        } else {
            String[] parts = contentType.split(";", -1);
            if (!parts[0].strip().equalsIgnoreCase("application/json")) {
                why = "the Content-Type is '" + contentType.strip() + "'";
            } else {
                for (int i = 1; i < parts.length; i++) {
                    String p = parts[i].strip();
                    int eq = p.indexOf('=');
                    if (eq > 0 && p.substring(0, eq).strip().equalsIgnoreCase("charset")) {
                        String charset = p.substring(eq + 1).strip().replace("\"", "");
                        if (!charset.equalsIgnoreCase("utf-8")) why = "the body must be UTF-8, not " + charset;
                    }
                }
            }
        }
        if (why == null) return null;
        return error(
                415,
                UNSUPPORTED_MEDIA_TYPE,
                why
                        + ": send the body as 'Content-Type: application/json' (curl: -H 'Content-Type: application/json')");
    }

    private static Response notAllowed(String allowed) {
        return error(405, METHOD_NOT_ALLOWED, "use " + allowed).withHeader("Allow", allowed);
    }

    private static Response badRequest(String message) {
        return error(400, BAD_REQUEST, message);
    }

    /** The error response for a failure of the instance (or a bug). */
    static Response error(RuntimeException e) {
        if (e instanceof StarlingException s) {
            ErrorCode code = s.errorCode();
            int status;
            if (code == ErrorCode.CHANGES_CURSOR_EXPIRED) status = 410;
            else if (code == ErrorCode.ATTACHMENT_TOO_LARGE) status = 413;
            else if (code == ErrorCode.PERMISSION_DENIED) status = 403;
            else if (s instanceof QueryException || s.isUserError()) status = 400;
            else if (code == ErrorCode.DOCUMENT_ID_CONFLICT) status = 409;
            else if (code == ErrorCode.STORE_FULL) status = 507;
            else if (code == ErrorCode.CLOSED) status = 503;
            else status = 500;
            // a full disk (507) is logged by the storage when it starts and ends, not at every refused write
            if (status == 500) log.error("request failed: {}", code.code(), e);
            return error(status, code.code(), String.valueOf(s.getMessage()));
        }
        log.error("request failed with a bug", e);
        return error(500, ErrorCode.INTERNAL.code(), String.valueOf(e));
    }

    /** {@code {"error": {"code": code, "message": message}}} with {@code status}. */
    static Response error(int status, String code, String message) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.putObject("error").put("code", code).put("message", message == null ? "" : message);
        return Response.of(status, JSON, root.toString());
    }
}
