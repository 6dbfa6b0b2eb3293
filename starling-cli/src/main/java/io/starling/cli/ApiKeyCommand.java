package io.starling.cli;

import io.starling.internal.query.Permissions;
import io.starling.internal.storage.postgres.PostgresClusterState;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code starling apikey create|list|revoke}: the HTTP API keys of a database (docs/HTTP-API.md, "API keys"). They
 * live in {@code DIR/api-keys.json}, beside the database and outside it, so that they can be managed while a peer
 * runs on the database (a running peer sees the change at its next request) and never sync. With {@code --postgres}
 * they are rows of the PostgreSQL database that server nodes share, so every node of the server honours them.
 */
@Command(
        name = "apikey",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Manages the HTTP API keys of a database: each key carries a permission set.",
        subcommands = {ApiKeyCommand.Create.class, ApiKeyCommand.ListKeys.class, ApiKeyCommand.Revoke.class})
final class ApiKeyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    private final CliEnvironment environment;

    ApiKeyCommand(CliEnvironment environment) {
        this.environment = environment;
    }

    /** {@code starling apikey} alone: the usage, on stderr. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return CommandLine.ExitCode.USAGE;
    }

    /** The database directory: {@code --db}, else {@code $STARLING_DB_PATH}, else {@code ./starling-data}. */
    static final class Database {
        @Option(
                names = "--db",
                paramLabel = "DIR",
                description = "Database directory whose keys to manage (default: $STARLING_DB_PATH, else"
                        + " ./starling-data). The keys are in DIR/" + ApiKeys.FILE_NAME + ".")
        @Nullable
        Path database;

        @Option(
                names = "--postgres",
                paramLabel = "JDBC_URL",
                description = "Manage the keys of the server nodes that share this PostgreSQL database (the URL"
                        + " given to 'starling server --postgres'); every node honours them. Not with --db.")
        @Nullable
        String postgres;

        /** Runs {@code work} on the keys, holding the database connection (if any) only meanwhile. */
        <T> T withKeys(CliEnvironment environment, java.util.function.Function<ApiKeys, T> work) {
            String url = postgres;
            if (url != null) {
                try (PostgresClusterState state =
                        NodeStateLocation.openShared(url, database, "key stores", "apikey/file")) {
                    return work.apply(ApiKeys.inPostgres(state));
                }
            }
            return work.apply(ApiKeys.inDatabase(NodeStateLocation.directory(database, environment)));
        }
    }

    private static CliUsageException fileProblem(ApiKeys.ApiKeyFileException e) {
        return new CliUsageException("apikey/file", String.valueOf(e.getMessage()));
    }

    @Command(
            name = "create",
            mixinStandardHelpOptions = true,
            versionProvider = VersionProvider.class,
            description = {
                "Makes a new API key with the permission set in FILE (docs/PERMISSIONS.md) and prints it on stdout,"
                        + " once: the database keeps only a salted hash of it."
            },
            exitCodeListHeading = "%nExit status:%n",
            exitCodeList = {"0:success", "2:bad usage, a bad permission file, an unreadable key file"})
    static final class Create implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @CommandLine.ParentCommand
        @SuppressWarnings("NullAway.Init") // picocli sets it before call()
        ApiKeyCommand parent;

        @Mixin
        Database database = new Database();

        @Option(
                names = "--permissions",
                required = true,
                paramLabel = "FILE",
                description = "JSON permission set: {\"read\": {...}, \"write\": {...}} (docs/PERMISSIONS.md).")
        @SuppressWarnings("NullAway.Init") // required: picocli sets it before call()
        Path permissions;

        @Option(
                names = "--name",
                paramLabel = "NAME",
                description = "A label for people (what the key is for), shown by 'apikey list'.")
        @Nullable
        String name;

        @Option(
                names = "--user",
                paramLabel = "ID",
                description = "The user id the permission conditions see as :userId (default: apikey:<key id>).")
        @Nullable
        String user;

        @Override
        public Integer call() {
            if (name != null
                    && (name.length() > ApiKeys.MAX_NAME || name.chars().anyMatch(Character::isISOControl))) {
                throw new CliUsageException(
                        "--name must be at most " + ApiKeys.MAX_NAME + " characters without control characters");
            }
            if (user != null
                    && (user.isBlank()
                            || user.length() > ApiKeys.MAX_NAME
                            || user.chars().anyMatch(Character::isISOControl))) {
                throw new CliUsageException(
                        "--user must be 1 to " + ApiKeys.MAX_NAME + " characters without control characters");
            }
            Permissions set = ApiKeys.readPermissions(permissions);
            return database.withKeys(parent.environment, keys -> create(keys, set));
        }

        private Integer create(ApiKeys keys, Permissions set) {
            ApiKeys.Created created;
            try {
                created = keys.create(name, user, set);
            } catch (ApiKeys.ApiKeyFileException e) {
                throw fileProblem(e);
            }
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            out.println(created.secretKey());
            out.flush();
            ApiKeys.Key k = created.key();
            err.println("created API key " + k.id() + (k.name().isEmpty() ? "" : " (" + k.name() + ")") + " for user "
                    + k.userId() + " in " + keys.where());
            err.println("  read:  " + summary(k.permissions().read()));
            err.println("  write: " + summary(k.permissions().write()));
            err.println("This is the only time the key is shown (only a salted hash of it is kept). Send it as"
                    + " 'Authorization: Bearer <key>'; revoke it with 'starling apikey revoke " + keys.option() + " "
                    + k.id() + "'.");
            err.flush();
            return CommandLine.ExitCode.OK;
        }
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            versionProvider = VersionProvider.class,
            description = "Lists the API keys of a database (never the keys themselves: they are not kept).")
    static final class ListKeys implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @CommandLine.ParentCommand
        @SuppressWarnings("NullAway.Init") // picocli sets it before call()
        ApiKeyCommand parent;

        @Mixin
        Database database = new Database();

        @Override
        public Integer call() {
            return database.withKeys(parent.environment, this::list);
        }

        private Integer list(ApiKeys keys) {
            List<ApiKeys.Key> list;
            try {
                list = keys.list();
            } catch (ApiKeys.ApiKeyFileException e) {
                throw fileProblem(e);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (list.isEmpty()) {
                spec.commandLine().getErr().println("no API keys in " + keys.where());
                spec.commandLine().getErr().flush();
                return CommandLine.ExitCode.OK;
            }
            for (ApiKeys.Key k : list) {
                out.println(k.id() + "  " + (k.name().isEmpty() ? "-" : k.name()) + "  user " + k.userId()
                        + "  created " + k.createdAt() + "  read: "
                        + summary(k.permissions().read()) + "  write: "
                        + summary(k.permissions().write()));
            }
            out.flush();
            return CommandLine.ExitCode.OK;
        }
    }

    @Command(
            name = "revoke",
            mixinStandardHelpOptions = true,
            versionProvider = VersionProvider.class,
            description = "Revokes an API key: a running peer refuses it from its next request on.",
            exitCodeListHeading = "%nExit status:%n",
            exitCodeList = {"0:revoked", "2:no such key, bad usage"})
    static final class Revoke implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @CommandLine.ParentCommand
        @SuppressWarnings("NullAway.Init") // picocli sets it before call()
        ApiKeyCommand parent;

        @Mixin
        Database database = new Database();

        @Parameters(
                index = "0",
                paramLabel = "ID",
                description = "The key's id (as 'apikey list' shows it) or the key.")
        @SuppressWarnings("NullAway.Init") // a required parameter: picocli sets it before call()
        String id;

        @Override
        public Integer call() {
            return database.withKeys(parent.environment, this::revoke);
        }

        private Integer revoke(ApiKeys keys) {
            ApiKeys.Key removed;
            try {
                removed = keys.revoke(id);
            } catch (ApiKeys.ApiKeyFileException e) {
                throw fileProblem(e);
            }
            if (removed == null) {
                throw new CliUsageException(
                        "apikey/unknown", "no API key " + id + " in " + keys.where() + " ('starling apikey list')");
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println(
                    "revoked API key " + removed.id() + (removed.name().isEmpty() ? "" : " (" + removed.name() + ")"));
            out.flush();
            return CommandLine.ExitCode.OK;
        }
    }

    /** {@code everything}, {@code nothing}, or the collections with conditions: {@code tasks (1 condition)}. */
    static String summary(Permissions.Access access) {
        if (access.everything()) return "everything";
        List<String> collections = access.collections();
        if (collections.isEmpty()) return "nothing";
        StringBuilder sb = new StringBuilder();
        for (String c : collections) {
            if (sb.length() > 0) sb.append(", ");
            int n = access.conditions(c).size();
            sb.append(c).append(" (").append(n).append(n == 1 ? " condition)" : " conditions)");
        }
        return sb.toString();
    }
}
