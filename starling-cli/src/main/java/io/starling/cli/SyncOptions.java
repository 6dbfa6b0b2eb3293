package io.starling.cli;

import io.starling.Endpoint;
import io.starling.Identity;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.Sync;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The options that make an opened database a peer, shared by {@code peer}, {@code shell} and {@code watch --db}:
 * where to listen and connect, LAN discovery, the shared key, and what to subscribe to. Endpoints are checked by
 * picocli (a malformed one is a usage error); the key file is checked by {@link #apply} before anything opens.
 */
final class SyncOptions {
    @Option(
            names = "--listen",
            paramLabel = "ENDPOINT",
            converter = EndpointConverter.class,
            description = "Accept sync connections on HOST:PORT (TCP), tcp://HOST:PORT or ws://HOST:PORT[/sync]"
                    + " (WebSocket); port 0 picks a free one. Repeatable. Default: $STARLING_LISTEN.")
    List<Endpoint> listen = new ArrayList<>();

    @Option(
            names = "--connect",
            paramLabel = "ENDPOINT[,ENDPOINT…]",
            converter = AddressesConverter.class,
            description = "Keep connected to a peer at HOST:PORT, tcp://HOST:PORT or ws://HOST:PORT[/sync],"
                    + " reconnecting with backoff. Several addresses separated by commas are one peer, such as the"
                    + " nodes of one server: one connection at a time, and when it fails or ends the next attempt"
                    + " goes to the next address (no load balancer needed). Repeatable (one peer each). Default:"
                    + " $STARLING_CONNECT (commas there separate peers).")
    List<Addresses> connect = new ArrayList<>();

    @Option(names = "--lan", description = "Find and sync with peers of the same app on the local network (mDNS).")
    boolean lan;

    @Option(
            names = "--shared-key",
            paramLabel = "FILE",
            description = "The app's shared key (made by 'starling keygen'): mutual TLS, only peers holding the same"
                    + " key can connect. Default: $STARLING_SHARED_KEY; without one, playground mode (no"
                    + " authentication, no encryption: development only).")
    @Nullable
    Path sharedKey;

    @Option(
            names = "--subscribe",
            paramLabel = "QUERY",
            description = "Ask peers for the documents matching \"SELECT * FROM c [WHERE ...]\". Repeatable.")
    List<String> subscriptions = new ArrayList<>();

    @Option(
            names = "--presence-metadata",
            paramLabel = "JSON",
            description = "What this peer tells the others about itself in presence: a JSON object of at most 4 KiB,"
                    + " such as '{\"name\": \"kitchen\"}'. Self-declared (no peer can verify it); other peers see it"
                    + " in '.peers', GET /presence and the dashboard.")
    @Nullable
    String presenceMetadata;

    private @Nullable Map<String, Object> parsedPresenceMetadata;

    /**
     * Adds these options to {@code builder} (over what the environment set).
     *
     * @throws CliUsageException if the shared key file does not exist or cannot be read, or the presence metadata is
     *     not one JSON object
     */
    StarlingConfig.Builder apply(StarlingConfig.Builder builder) {
        if (presenceMetadata != null) {
            try {
                parsedPresenceMetadata = JsonArgs.parse(presenceMetadata);
            } catch (IllegalArgumentException e) {
                throw new CliUsageException("config/invalid", "--presence-metadata: " + e.getMessage());
            }
        }
        if (!listen.isEmpty()) builder.listen(listen);
        if (!connect.isEmpty()) {
            builder.connect(connect.stream()
                    .filter(a -> a.endpoints().size() == 1)
                    .map(a -> a.endpoints().get(0))
                    .toList());
            for (Addresses a : connect) {
                if (a.endpoints().size() > 1) builder.connectToAnyOf(a.endpoints());
            }
        }
        if (lan) builder.lan(true);
        if (sharedKey != null) {
            if (!Files.isRegularFile(sharedKey)) {
                throw new CliUsageException(
                        "config/invalid",
                        "no shared key file at " + sharedKey + " (make one with 'starling keygen " + sharedKey
                                + "' and copy it to every peer of the app)");
            }
            if (!Files.isReadable(sharedKey)) {
                throw new CliUsageException("config/invalid", "cannot read the shared key file " + sharedKey);
            }
            builder.identity(Identity.sharedKey(sharedKey));
        }
        return builder;
    }

    /**
     * After the instance opened in the online mode: prints the device's status, and stops with a usage error when the
     * authority refused the login (a wrong token or provider will not get better by retrying). An unreachable
     * authority is not fatal: the instance retries, and syncs once it has a certificate.
     */
    static void checkLogin(Starling db, PrintWriter err) {
        Sync.DeviceStatus status = db.sync().deviceStatus();
        if (status == null) return;
        if (status.state() == Sync.DeviceState.VALID) return;
        String code = status.problemCode();
        String problem = status.problem() == null ? "no certificate" : status.problem();
        if (status.state() == Sync.DeviceState.REVOKED) {
            err.println("identity: online, NOT SYNCING: revoked: " + problem
                    + " (ask the app's administrator; a new login does not help)");
            err.flush();
            return;
        }
        if (code != null
                && (code.equals("auth/bad-token")
                        || code.equals("auth/denied")
                        || code.equals("auth/bad-request")
                        || code.equals("auth/revoked")
                        || code.equals("auth/peer-id-taken")
                        || code.equals("auth/peer-id-limit"))) {
            throw new CliUsageException(code, "cannot log in: " + problem);
        }
        err.println("identity: online, NOT SYNCING: "
                + (status.state() == Sync.DeviceState.EXPIRED
                        ? "the certificate expired at " + status.expiresAt() + "; "
                        : "")
                + "cannot log in: " + problem + " (retrying; this peer syncs as soon as a login succeeds)");
        err.flush();
    }

    /** True when any of these options was given: such options make no sense with {@code --url}. */
    boolean given() {
        return !listen.isEmpty()
                || !connect.isEmpty()
                || lan
                || sharedKey != null
                || !subscriptions.isEmpty()
                || presenceMetadata != null;
    }

    /**
     * After {@code db} opened: sets the {@code --presence-metadata} and registers the {@code --subscribe} queries.
     *
     * @throws CliUsageException if the presence metadata is over the limit
     * @throws io.starling.QueryException for a query that is not of the form {@code SELECT * FROM c [WHERE ...]}
     */
    void start(Starling db) {
        if (parsedPresenceMetadata != null) {
            try {
                db.presence().setMetadata(parsedPresenceMetadata);
            } catch (StarlingException e) {
                throw new CliUsageException("config/invalid", "--presence-metadata: " + e.getMessage());
            }
        }
        for (String query : subscriptions) db.sync().registerSubscription(query, Map.of());
    }

    /**
     * Prints what a peer tells the world when it starts, one fact a line, in a form that scripts and tests parse:
     * {@code peer <16 hex digits>}, one {@code sync listening on <endpoint>} per listener (with the real port),
     * {@code subscribed to <query>} per subscription, and the identity mode.
     */
    static void printStatus(Starling db, PrintWriter err) {
        StarlingConfig config = db.config();
        String url = config.storageUrl();
        err.println("peer " + PresenceRenderer.hex(db.presence().graph().local().peerId()) + " (app " + config.appId()
                + (url == null
                        ? ", database " + config.databaseDirectory().toAbsolutePath()
                        : ", shared storage " + withoutParameters(url))
                + ")");
        for (Endpoint endpoint : db.sync().listening()) err.println("sync listening on " + endpoint);
        for (Endpoint endpoint : config.connect()) err.println("sync connecting to " + endpoint);
        for (List<Endpoint> addresses : config.connectToAnyOf()) {
            err.println("sync connecting to one of "
                    + String.join(
                            ", ", addresses.stream().map(Endpoint::toString).toList()));
        }
        if (config.lan()) err.println("sync discovering peers of app " + config.appId() + " on the local network");
        Sync.DeviceStatus device = db.sync().deviceStatus();
        if (device != null && device.state() == Sync.DeviceState.VALID) {
            err.println("identity: online, user " + device.userId() + ", certificate of authority "
                    + config.identity().trustAnchor() + " valid until " + device.expiresAt() + " (kept in "
                    + config.databaseDirectory().toAbsolutePath() + ")");
        } else if (config.networked() && !config.identity().isOnline()) {
            err.println(
                    config.identity().isPlayground()
                            ? "identity: playground (no authentication, no encryption; use --shared-key outside development)"
                            : "identity: shared key " + config.identity().keyFile());
        }
        db.sync().subscriptions().forEach(s -> err.println("subscribed to " + s.query()));
        err.flush();
    }

    /** A storage URL as it is printed: without its parameters, which may hold a password. */
    static String withoutParameters(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q);
    }

    /** The addresses of one peer given to {@code --connect}: one, or several (the nodes of one server). */
    record Addresses(List<Endpoint> endpoints) {}

    /** {@code ENDPOINT[,ENDPOINT…]}, each parsed like {@link EndpointConverter}; a malformed one is a usage error. */
    static final class AddressesConverter implements CommandLine.ITypeConverter<Addresses> {
        @Override
        public Addresses convert(String value) {
            List<Endpoint> endpoints = new ArrayList<>();
            for (String part : value.split(",", -1)) {
                if (part.isBlank()) {
                    throw new CommandLine.TypeConversionException(
                            "an empty address in '" + value + "' (separate the addresses of one peer with commas)");
                }
                Endpoint e;
                try {
                    e = Endpoint.parse(part);
                } catch (StarlingException ex) {
                    throw new CommandLine.TypeConversionException(ex.getMessage());
                }
                if (e.port() == 0) throw new CommandLine.TypeConversionException("cannot connect to port 0: " + e);
                if (endpoints.contains(e)) {
                    throw new CommandLine.TypeConversionException(e + " appears twice in '" + value + "'");
                }
                endpoints.add(e);
            }
            return new Addresses(List.copyOf(endpoints));
        }
    }

    /** Lets picocli parse endpoints and report a malformed one as a usage error. */
    static final class EndpointConverter implements CommandLine.ITypeConverter<Endpoint> {
        @Override
        public Endpoint convert(String value) {
            try {
                return Endpoint.parse(value);
            } catch (StarlingException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
