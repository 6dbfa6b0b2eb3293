package io.starling.cli;

import io.starling.StarlingConfig;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** The options that say which database to open, shared by {@code exec}, {@code shell}, {@code peer} and {@code watch}. */
final class StoreOptions {
    @Option(
            names = "--db",
            paramLabel = "DIR",
            description = "Database directory, created if absent (default: $STARLING_DB_PATH, else ./starling-data).")
    @Nullable
    Path database;

    @Option(
            names = "--app",
            paramLabel = "ID",
            description = "App id (default: $STARLING_APP_ID, else the one stored in the database; 'default' for a"
                    + " new one). A database refuses to open under another app's id.")
    @Nullable
    String appId;

    /**
     * The configuration to open: {@code source} (the environment, in production) overridden by the options.
     *
     * @throws io.starling.StarlingException with {@code config/invalid} (a user error) for a malformed value
     */
    StarlingConfig config(Supplier<StarlingConfig.Builder> source) {
        return builder(source).build();
    }

    /** As {@link #config}, still open for more settings (the sync options). */
    StarlingConfig.Builder builder(Supplier<StarlingConfig.Builder> source) {
        StarlingConfig.Builder builder = source.get();
        if (database != null) builder.databaseDirectory(database);
        if (appId != null) builder.appId(appId);
        return builder;
    }

    /** True when {@code --db} or {@code --app} was given: they make no sense with {@code --url}. */
    boolean given() {
        return database != null || appId != null;
    }
}
