package io.starling.cli;

import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code starling} command: {@code exec}, {@code shell}, {@code peer}, {@code server}, {@code watch}, {@code keygen},
 * {@code --version}.
 *
 * <p>Exit status (docs/CLI.md): 0 on success; 2 for a bad statement or bad usage — picocli's usage errors,
 * malformed {@code --args}, any {@link io.starling.StarlingException} that {@linkplain
 * io.starling.StarlingException#isUserError() is a user error}; 1 for everything else. Errors are one line on
 * stderr, {@code error: <code>: <message>}, with a stack trace only when {@code STARLING_LOG_LEVEL} is debug or
 * trace. Output is UTF-8.
 */
@Command(
        name = "starling",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Starling, the peer-to-peer document database: run DQL statements, run a peer, watch live"
                + " queries.",
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:success", "1:failure", "2:bad statement or bad usage"},
        footerHeading = "%nEnvironment:%n",
        footer = {
            "  STARLING_DB_PATH       database directory when --db is not given",
            "  STARLING_APP_ID        app id when --app is not given",
            "  STARLING_SITE_ID       fixed site id (normally generated once and stored)",
            "  STARLING_SHARED_KEY    shared key file when --shared-key is not given",
            "  STARLING_LISTEN        sync endpoints to listen on (comma-separated)",
            "  STARLING_CONNECT       sync endpoints to connect to (comma-separated)",
            "  STARLING_LAN           true: LAN discovery",
            "  STARLING_HTTP_TOKEN    bearer token of the HTTP API (peer --http, --url)",
            "  STARLING_LOG_LEVEL     error|warn|info|debug|trace (default warn), to stderr",
            "  STARLING_HISTORY_FILE  the shell's history file (default: one per database in ~/.starling/shell-history)",
            "  STARLING_JAVA_OPTS     JVM options for bin/starling"
        })
public final class StarlingCli implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    private StarlingCli() {}

    public static void main(String[] args) {
        NativeLibraryCache.useFromSystemProperty(); // bin/starling's cache: no extraction per run
        System.exit(run(args, CliEnvironment.system()));
    }

    /** Runs the command line in {@code environment} and returns the exit status. */
    static int run(String[] args, CliEnvironment environment) {
        PrintWriter out = utf8(environment.out());
        PrintWriter err = utf8(environment.err());
        try {
            String level;
            try {
                level = Logging.level(environment.env());
            } catch (CliUsageException e) {
                return new ErrorReporter(err, false).report(e);
            }
            Logging.configure(level);
            ErrorReporter errors = new ErrorReporter(err, Logging.verbose(level));

            CommandLine commandLine = new RequestedSubcommandLine(new StarlingCli(), args)
                    .addSubcommand("exec", new ExecCommand(environment))
                    .addSubcommand("shell", new ShellCommand(environment, errors))
                    .addSubcommand("peer", new PeerCommand(environment))
                    .addSubcommand("server", new ServerCommand(environment))
                    .addSubcommand("watch", new WatchCommand(environment))
                    .addSubcommand("keygen", new KeygenCommand())
                    .addSubcommand("authority", new AuthorityCommand(environment))
                    .addSubcommand("apikey", new ApiKeyCommand(environment))
                    .addSubcommand("help", new CommandLine.HelpCommand());
            try {
                return commandLine
                        .setOut(out)
                        .setErr(err)
                        .setExecutionExceptionHandler((e, cl, parsed) -> errors.report(e))
                        .execute(args);
            } catch (Error e) {
                // picocli hands only Exceptions to the handler; a broken class path deserves one line too
                return errors.report(e);
            }
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** {@code starling} alone: the usage, on stderr since nothing was done. */
    @Override
    public Integer call() {
        CommandLine commandLine = spec.commandLine();
        commandLine.usage(commandLine.getErr());
        return CommandLine.ExitCode.USAGE;
    }

    private static PrintWriter utf8(OutputStream stream) {
        return new PrintWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), false);
    }
}
