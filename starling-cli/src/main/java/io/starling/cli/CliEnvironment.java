package io.starling.cli;

import io.starling.StarlingConfig;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Everything the CLI takes from its process, gathered so that tests can run it in-process with their own streams,
 * variables, terminal and home directory.
 *
 * @param in standard input (the shell reads it when there is no console)
 * @param out standard output; the CLI writes UTF-8
 * @param err standard error; the CLI writes UTF-8
 * @param env the environment variables ({@code STARLING_LOG_LEVEL}, {@code STARLING_HISTORY_FILE})
 * @param configSource where the database settings start from; {@link StarlingConfig#fromEnvironment()} in
 *     production, so that {@code STARLING_DB_PATH}, {@code STARLING_APP_ID} and {@code STARLING_SITE_ID} apply
 * @param terminals opens the shell's terminal
 * @param home the user's home directory, where the shell keeps {@code .starling/history}
 * @param stopSignals gives a long-running command ({@code peer}, {@code watch}) its {@link StopSignal}; in
 *     production one that fires on SIGINT and SIGTERM. Called at most once per command, when it starts
 */
record CliEnvironment(
        InputStream in,
        OutputStream out,
        OutputStream err,
        Map<String, String> env,
        Supplier<StarlingConfig.Builder> configSource,
        TerminalFactory terminals,
        Path home,
        Supplier<StopSignal> stopSignals) {

    /**
     * The real process: its streams, {@link System#getenv()}, its console, {@code user.home}, and stop signals
     * from SIGINT and SIGTERM.
     */
    static CliEnvironment system() {
        return new CliEnvironment(
                System.in,
                System.out,
                System.err,
                System.getenv(),
                StarlingConfig::fromEnvironment,
                TerminalFactory.system(),
                Path.of(System.getProperty("user.home")),
                StopSignal::onJvmShutdown);
    }
}
