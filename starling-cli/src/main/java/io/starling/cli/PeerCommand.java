package io.starling.cli;

import io.starling.ErrorCode;
import io.starling.Identity;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.internal.auth.AuthConfig;
import io.starling.internal.auth.AuthException;
import io.starling.internal.auth.Authority;
import io.starling.internal.auth.FilePeerBindings;
import io.starling.internal.auth.LoginService;
import io.starling.internal.auth.PeerBindings;
import io.starling.internal.cdc.kafka.KafkaChangeSink;
import io.starling.internal.storage.postgres.PostgresClusterState;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code starling peer}: opens the database as a peer (listening, connecting, discovering, subscribing as told),
 * optionally serves the HTTP API, and runs until SIGINT or SIGTERM. Then it closes the instance (running statements
 * are stopped and answered {@code 503 store/closed}; each sync session says goodbye and flushes), then the HTTP
 * server, and only then lets the JVM exit. A write is durable when it is acknowledged, so stopping never loses one.
 *
 * <p>What it prints on stderr, one fact a line, for people and for scripts:
 *
 * <pre>
 * peer 3f2a9c0d11e4b7a2 (app tasks, database /home/ann/tasks)
 * sync listening on tcp://127.0.0.1:40123
 * identity: shared key app.key
 * subscribed to SELECT * FROM tasks
 * kafka sink: changes to topic:tasks at 127.0.0.1:9092, from cursor 0 (kept in /home/ann/tasks/kafka-sink.cursor)
 * http listening on http://127.0.0.1:8080
 * ready; stop with Ctrl-C or SIGTERM
 * ...
 * stopping
 * stopped
 * </pre>
 */
@Command(
        name = "peer",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = {
            "Runs a peer: syncs the database with other peers and serves the HTTP API, until SIGINT or SIGTERM.",
            "Prints the peer id, 'sync listening on ENDPOINT' and 'http listening on URL' (with the real ports) on"
                    + " stderr."
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:stopped cleanly (130 or 143 when stopped by SIGINT or SIGTERM, as the JVM reports signals)",
            "1:could not start: database locked, address in use, no network provider, I/O error",
            "2:bad usage: malformed option, bad --subscribe query, missing key file, public --http without a token,"
                    + " bad --auth-config file or authority, bad --kafka options or cursor file"
        })
class PeerCommand implements Callable<Integer> {
    final CliEnvironment environment;

    /** What {@code /readyz} answers: ready once everything listens, not ready once stopping. */
    final Readiness readiness = Readiness.starting();

    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store = new StoreOptions();

    @Mixin
    SyncOptions sync = new SyncOptions();

    @Mixin
    LoginOptions login = new LoginOptions();

    @Mixin
    HttpOptions http = new HttpOptions();

    @Mixin
    KafkaOptions kafka = new KafkaOptions();

    @Mixin
    AttachmentOptions attachments = new AttachmentOptions();

    /** Shorter than the library's default: HTTP clients wait on the answer, and each request holds a worker. */
    static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(10);

    @Option(
            names = "--statement-timeout",
            paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "Stop any statement that runs longer, e.g. 500ms, 30s, 5m (default: 10s): statements of"
                    + " the HTTP API, live queries and subscriptions alike. A stopped statement fails with"
                    + " query/timeout and changes nothing.")
    Duration statementTimeout = DEFAULT_STATEMENT_TIMEOUT;

    @Option(
            names = "--auth-config",
            paramLabel = "FILE",
            description = "Make this peer the app's authority: its HTTP API (--http) serves POST /api/v1/auth/login,"
                    + " which checks a device's token with a provider of FILE and issues it a certificate"
                    + " (docs/AUTH.md).")
    @Nullable
    Path authConfig;

    PeerCommand(CliEnvironment environment) {
        this.environment = environment;
    }

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        HttpOptions.Binding binding = http.binding(environment.env()); // usage errors before anything opens
        kafka.check();
        AuthConfig auth = authConfig == null ? null : loadAuthConfig(authConfig, binding);
        Authority authority = auth == null ? null : loadAuthority(auth);
        StopSignal stop = stopSignal();
        try {
            StarlingConfig.Builder config = attachments
                    .apply(login.apply(sync.apply(store.builder(environment.configSource())), sync.sharedKey != null))
                    .statementTimeout(statementTimeout);
            if (auth != null) {
                if (login.loginGiven()) {
                    throw new CliUsageException("--auth-config makes this peer the authority, which issues its own"
                            + " certificate: drop --login, --provider, --token and --trust");
                }
                // the authority syncs in the online mode with a certificate it issues itself (every permission), unless
                // the peers of the app still use a shared key
                if (sync.sharedKey == null) config.identity(Identity.authority(auth.authorityDirectory()));
            }
            try (Starling db = Starling.open(configure(config).build())) {
                sync.start(db);
                SyncOptions.checkLogin(db, err);
                started(db, err);
                SyncOptions.printStatus(db, err);
                PostgresClusterState shared = sharedState();
                LoginService login = null;
                if (auth != null && authority != null) {
                    PeerBindings bindings = peerBindings(db, shared);
                    login = new LoginService(
                            authority,
                            auth,
                            appId(db),
                            Clock.systemUTC(),
                            bindings,
                            db.presence().graph().local().peerId());
                    err.println("authority " + authority.fingerprint().substring(0, 16) + " (" + auth.file() + "):"
                            + " devices log in with POST " + LoginEndpoint.PATH + ", providers "
                            + String.join(
                                    ", ",
                                    auth.providerNames().stream()
                                            .map(n -> n + " (" + auth.providerType(n) + ")")
                                            .toList()));
                    err.println("authority: each peer id certified is bound to its first user, kept in "
                            + bindings.where() + " (starling authority peers)");
                }
                ApiKeys keys = shared == null
                        ? ApiKeys.inDatabase(db.config().databaseDirectory())
                        : ApiKeys.inPostgres(shared);
                int keyCount = binding == null ? 0 : countKeys(keys);
                try (KafkaChangeSink sink = kafka.start(db, err, shared);
                        HttpApiServer server =
                                binding == null ? null : startHttp(db, binding.withApiKeys(keys), login, readiness)) {
                    if (server != null && binding != null) {
                        if (sink != null) server.addMetrics(() -> PrometheusMetrics.render(sink.status()));
                        LoginService logins = login;
                        if (logins != null) server.addMetrics(() -> PrometheusMetrics.render(logins.counts()));
                        err.println("http listening on " + server.url());
                        if (binding.token() != null) {
                            err.println("http requires 'Authorization: Bearer <token>' on every request but /healthz");
                        }
                        if (keyCount > 0) {
                            err.println("http accepts " + keyCount + (keyCount == 1 ? " API key" : " API keys")
                                    + " from " + keys.where() + " (starling apikey list)"
                                    + (binding.token() == null
                                            ? "; requests without a key are refused (no --http-token)"
                                            : ""));
                        }
                        if (!binding.loopback()) {
                            err.println("http is reachable from other machines (bound to "
                                    + binding.address().getAddress().getHostAddress() + "): the token is all that"
                                    + " protects it, and it travels in clear text; put TLS in front of it");
                        }
                    }
                    readiness.markReady();
                    err.println("ready; stop with Ctrl-C or SIGTERM");
                    err.flush();
                    stop.awaitStop();
                    readiness.markDraining();
                    err.println("stopping");
                    err.flush();
                    // the sink before the instance: the page in flight gets its moment to be acknowledged
                    if (sink != null) sink.close();
                    stop(db, server, err);
                }
            }
            err.println("stopped");
            err.flush();
            return CommandLine.ExitCode.OK;
        } finally {
            stop.finished();
        }
    }

    /** The signal that stops this command. */
    StopSignal stopSignal() {
        return environment.stopSignals().get();
    }

    /** Adds what this command configures beyond the shared options (the server: its storage, its limits). */
    StarlingConfig.Builder configure(StarlingConfig.Builder builder) {
        return builder;
    }

    /**
     * The state that server nodes on one PostgreSQL share besides the documents (API keys, the Kafka sink's lease
     * and cursor), or null to keep it in files of the database directory. Called once the instance is open; the
     * command closes what it returns in {@link #stop}.
     */
    @Nullable
    PostgresClusterState sharedState() {
        return null;
    }

    /** Called once the instance is open and subscribed, before the status lines are printed. */
    void started(Starling db, PrintWriter err) {}

    /**
     * Stops, once asked to. A peer closes the instance first: running statements stop at once (their requests are
     * answered 503), so a runaway statement cannot hold up the HTTP server's drain; the server (closed by the
     * caller) then ends its event streams.
     */
    void stop(Starling db, @Nullable HttpApiServer server, PrintWriter err) {
        db.close();
    }

    /** The keys in the file, checked before the API opens: a damaged file is a usage error, not a silent lock-out. */
    private static int countKeys(ApiKeys keys) {
        try {
            return keys.list().size();
        } catch (ApiKeys.ApiKeyFileException e) {
            throw new CliUsageException("apikey/file", String.valueOf(e.getMessage()));
        }
    }

    private static AuthConfig loadAuthConfig(Path file, HttpOptions.@Nullable Binding binding) {
        if (binding == null) {
            throw new CliUsageException("--auth-config needs --http: devices log in over the HTTP API");
        }
        try {
            return AuthConfig.load(file, Clock.systemUTC());
        } catch (AuthException e) {
            throw new CliUsageException(e.code().id(), String.valueOf(e.getMessage()));
        }
    }

    /**
     * Where the authority keeps which user each peer id it certified belongs to: the shared PostgreSQL database of
     * server nodes, else a file of the database directory (docs/AUTH.md).
     */
    private static PeerBindings peerBindings(Starling db, @Nullable PostgresClusterState shared) {
        if (shared != null) return new PostgresPeerBindings(shared);
        try {
            return FilePeerBindings.inDirectory(db.config().databaseDirectory());
        } catch (AuthException e) {
            throw new CliUsageException(e.code().id(), String.valueOf(e.getMessage()));
        }
    }

    private static Authority loadAuthority(AuthConfig config) {
        try {
            return Authority.load(config.authorityDirectory());
        } catch (AuthException e) {
            throw new CliUsageException(e.code().id(), "the authority of " + config.file() + ": " + e.getMessage());
        }
    }

    /** The app id the webhook is told: the one the database holds (the instance has resolved it by now). */
    private static String appId(Starling db) {
        String app = db.config().appId();
        return app == null ? "" : app;
    }

    private static HttpApiServer startHttp(
            Starling db, HttpOptions.Binding binding, @Nullable LoginService login, Readiness readiness)
            throws InterruptedException {
        try {
            return HttpApiServer.start(db, binding.address(), binding.settings(), login, readiness);
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) { // Netty rethrows the BindException undeclared
            throw new StarlingException(
                    ErrorCode.NETWORK_IO,
                    "cannot serve the HTTP API on "
                            + binding.address().getAddress().getHostAddress() + ":"
                            + binding.address().getPort() + ": "
                            + e.getMessage(),
                    e);
        }
    }
}
