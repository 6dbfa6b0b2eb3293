package io.starling.cli;

import io.starling.ErrorCode;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.SyncSubscription;
import io.starling.internal.storage.StorageException;
import io.starling.internal.storage.postgres.PostgresClusterState;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling server}: a peer that is always there and holds all of an app's data (docs/SERVER.md). Everything
 * {@code peer} does — sync listeners, the HTTP API with {@code /metrics}, {@code /healthz} and {@code /readyz}, the
 * authority — plus: SQLite ({@code --db}) for one node or a shared PostgreSQL ({@code --postgres}) for several nodes
 * that are one logical server; a subscription to every collection ({@code SELECT * FROM *}); room for many peers; a
 * configuration file for every option; and a graceful drain on SIGTERM: not ready at once, sync sessions closed
 * with {@code going-away} so devices reconnect elsewhere, HTTP requests in flight answered, the store closed, exit 0.
 *
 * <p>Change data capture sinks (a Kafka sink, say) belong here, started after the store opens and stopped after
 * the HTTP server in {@link #stop}: they read {@code Store.changes} from their stored cursor and are woken by
 * {@code Store.observeCommits}, which fires for the commits of every node.
 */
@Command(
        name = "server",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = {
            "Runs a server: a peer that holds all of the app's data, for many peers, on SQLite (--db) or on a shared"
                    + " PostgreSQL (--postgres: several nodes, one logical server). Drains on SIGTERM and exits 0.",
            "Options may also come from a JSON file (--config FILE), keys being the long option names without dashes."
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:stopped cleanly, by SIGTERM or SIGINT too (after draining)",
            "1:could not start: database locked or unreachable, address in use, I/O error",
            "2:bad usage: malformed option or config file, --db with --postgres, bad --subscribe query, missing key"
                    + " file, public --http without a token"
        })
final class ServerCommand extends PeerCommand {

    /** The default for {@code --max-peers}: a server is where many devices meet. */
    static final int DEFAULT_MAX_PEERS = 10_000;

    private final boolean fromConfig;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "Read options from FILE, a JSON object: {\"postgres\": \"jdbc:...\", \"listen\":"
                    + " [\"tcp://0.0.0.0:7400\"], \"lan\": false}. Options on the command line come after it (a"
                    + " repeatable option adds to the file's values, another replaces it).")
    @Nullable
    Path config;

    @Option(
            names = "--postgres",
            paramLabel = "JDBC_URL",
            description = "Keep the data in PostgreSQL (jdbc:postgresql://HOST:PORT/DB?user=...&currentSchema=...)"
                    + " instead of SQLite: several servers given the same URL are one logical server. Not with"
                    + " --db.")
    @Nullable
    String postgres;

    @Option(
            names = "--collection",
            paramLabel = "NAME",
            description = "Subscribe to every document of collection NAME. The server subscribes to every collection"
                    + " anyway (SELECT * FROM *); naming one matters only with peers too old to read that, which are"
                    + " asked for the collections the server holds, and NAME even before it holds any. Repeatable.")
    List<String> collections = new ArrayList<>();

    @Option(
            names = "--max-peers",
            paramLabel = "N",
            description = "Hold at most N sync connections at once (default: 10000); more are refused.")
    int maxPeers = DEFAULT_MAX_PEERS;

    private @Nullable PostgresClusterState sharedState;

    /** The subscription to every collection, which every server registers. */
    static final String EVERY_COLLECTION = "SELECT * FROM *";

    ServerCommand(CliEnvironment environment) {
        this(environment, false);
    }

    private ServerCommand(CliEnvironment environment, boolean fromConfig) {
        super(environment);
        this.fromConfig = fromConfig;
    }

    @Override
    public Integer call() throws InterruptedException {
        Path file = config;
        if (file != null && !fromConfig) return withConfigFile(file);
        if (postgres != null && store.database != null) {
            throw new CliUsageException(
                    "--db and --postgres name two storages: a server keeps its data in one (SQLite in --db for one"
                            + " node, PostgreSQL for several)");
        }
        if (postgres != null && !postgres.startsWith("jdbc:postgresql:")) {
            throw new CliUsageException(
                    "config/invalid",
                    "--postgres takes a JDBC URL starting with jdbc:postgresql:, got '"
                            + SyncOptions.withoutParameters(postgres) + "'");
        }
        if (maxPeers < 1 || maxPeers > 10_000) {
            throw new CliUsageException("config/invalid", "--max-peers must be 1 to 10000, got " + maxPeers);
        }
        for (String c : collections) collectionQuery(c); // a malformed name before anything opens
        return super.call();
    }

    /** Parses the file's options followed by the command line's into a new command, and runs that. */
    private int withConfigFile(Path file) throws InterruptedException {
        List<String> args = new ArrayList<>(ServerConfigFile.arguments(file, spec));
        args.addAll(commandLineArguments());
        ServerCommand merged = new ServerCommand(environment, true);
        CommandLine line = new CommandLine(merged)
                .setOverwrittenOptionsAllowed(true)
                .setOut(spec.commandLine().getOut())
                .setErr(spec.commandLine().getErr());
        try {
            line.parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new CliUsageException(
                    "config/invalid", "config file " + file + " or the command line: " + e.getMessage());
        }
        return merged.call();
    }

    /** The arguments given after {@code server} on the command line. */
    private List<String> commandLineArguments() {
        List<String> original = spec.commandLine().getParseResult().originalArgs();
        int at = original.indexOf("server");
        return original.subList(at + 1, original.size());
    }

    @Override
    StopSignal stopSignal() {
        StopSignal signal = super.stopSignal();
        signal.exitZeroOnSignal();
        return signal;
    }

    @Override
    StarlingConfig.Builder configure(StarlingConfig.Builder builder) {
        return builder.storageUrl(postgres).maxConnections(maxPeers);
    }

    /** With --postgres: the API keys and the Kafka sink's lease are the shared database's, like the documents. */
    @Override
    @Nullable
    PostgresClusterState sharedState() {
        String url = postgres;
        if (url == null) return null;
        PostgresClusterState state = sharedState;
        if (state == null) {
            try {
                state = PostgresClusterState.open(url);
            } catch (StorageException e) {
                throw new StarlingException(ErrorCode.STORE_IO, String.valueOf(e.getMessage()), e);
            }
            sharedState = state;
        }
        return state;
    }

    /**
     * Subscribes to every collection — peers send every collection they hold, including ones created later; a peer too
     * old to read that is asked by the session for each collection the server holds — and to the collections named.
     */
    @Override
    void started(Starling db, PrintWriter err) {
        Set<String> subscribed = new HashSet<>();
        for (SyncSubscription s : db.sync().subscriptions()) subscribed.add(s.query());
        if (!subscribed.contains(EVERY_COLLECTION)) db.sync().registerSubscription(EVERY_COLLECTION, Map.of());
        for (String c : collections) {
            String query = collectionQuery(c);
            if (subscribed.add(query)) db.sync().registerSubscription(query, Map.of());
        }
    }

    /**
     * {@code SELECT * FROM `collection`}: always quoted, so that a reserved word such as {@code order} names a
     * collection too, and so that the text is the one a session writes for a collection when it answers a peer without
     * the subscription to every collection (one subscription, not two, for the same collection).
     */
    static String collectionQuery(String collection) {
        if (collection.isEmpty()
                || collection.indexOf('`') >= 0
                || collection.chars().anyMatch(Character::isISOControl)) {
            throw new CliUsageException("config/invalid", "not a collection name: '" + collection + "'");
        }
        return "SELECT * FROM `" + collection + "`";
    }

    /**
     * The drain: {@code /readyz} already answers 503; sync sessions close with {@code going-away} (a batch being
     * applied is stored and acknowledged first) and nothing new is accepted; the HTTP server stops accepting and
     * answers the requests it has taken (writes in flight commit); then the instance closes.
     */
    @Override
    void stop(Starling db, @Nullable HttpApiServer server, PrintWriter err) {
        err.println("draining: /readyz answers 503, sync peers are told to go elsewhere (going-away)");
        err.flush();
        db.sync().drain();
        if (server != null) server.close();
        db.close();
        PostgresClusterState state = sharedState;
        if (state != null) state.close();
    }
}
