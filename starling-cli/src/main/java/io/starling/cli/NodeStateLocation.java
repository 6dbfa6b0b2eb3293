package io.starling.cli;

import io.starling.internal.storage.StorageException;
import io.starling.internal.storage.postgres.PostgresClusterState;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * Where an offline command ({@code starling apikey}, {@code starling authority peers|release}) finds the state a
 * running peer keeps beside its documents: a file of the database directory ({@code --db}, else {@code
 * $STARLING_DB_PATH}, else {@code ./starling-data}), or the PostgreSQL database that server nodes share ({@code
 * --postgres}). The two options are each command's own (their help names what is kept); the rules are here.
 */
final class NodeStateLocation {
    private NodeStateLocation() {}

    /**
     * The shared state of the server nodes at {@code url}, opened.
     *
     * @param database {@code --db}, which must not be given too
     * @param what what the command manages, for the message of a usage mistake ("key stores")
     * @param ioCode the error code for a database that cannot be reached
     * @throws CliUsageException for both options, a URL that is not PostgreSQL's, or a database that cannot be opened
     */
    static PostgresClusterState openShared(String url, @Nullable Path database, String what, String ioCode) {
        if (database != null) {
            throw new CliUsageException("--db and --postgres name two " + what + ": the file of a peer's database"
                    + " directory, or the database of server nodes on PostgreSQL");
        }
        if (!url.startsWith("jdbc:postgresql:")) {
            throw new CliUsageException("--postgres takes a JDBC URL starting with jdbc:postgresql:, got '"
                    + SyncOptions.withoutParameters(url) + "'");
        }
        try {
            return PostgresClusterState.open(url);
        } catch (StorageException e) {
            throw new CliUsageException(ioCode, String.valueOf(e.getMessage()));
        }
    }

    /** The database directory: {@code database}, else {@code $STARLING_DB_PATH}, else {@code ./starling-data}. */
    static Path directory(@Nullable Path database, CliEnvironment environment) {
        if (database != null) return database;
        String env = environment.env().get("STARLING_DB_PATH");
        return Path.of(env == null || env.isBlank() ? "starling-data" : env);
    }
}
