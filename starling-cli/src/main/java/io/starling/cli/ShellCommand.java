package io.starling.cli;

import io.starling.Starling;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.jline.terminal.Terminal;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code starling shell}: opens the database — as a peer when sync options are given — and runs an interactive
 * {@link Shell} session on it.
 */
@Command(
        name = "shell",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = {
            "Runs DQL statements interactively, with line editing and a persistent history. Statements end with ';'"
                    + " and may span lines; .help lists the dot-commands.",
            "With input piped in, runs the statements it reads and exits at its end.",
            "The sync options make the session a peer: it syncs while you type; .peers shows who is around and"
                    + " .watch a live query."
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:the session ended (failing statements do not change this)",
            "1:the shell could not start: database locked by another process, I/O error",
            "2:bad usage"
        })
final class ShellCommand implements Callable<Integer> {
    static final String HISTORY_VARIABLE = "STARLING_HISTORY_FILE";

    private final CliEnvironment environment;
    private final ErrorReporter errors;

    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store = new StoreOptions();

    @Mixin
    SyncOptions sync = new SyncOptions();

    @Option(
            names = "--format",
            paramLabel = "FORMAT",
            converter = OutputFormat.Converter.class,
            defaultValue = "table",
            description = "table (default), json or jsonl; .format changes it.")
    @SuppressWarnings("NullAway.Init") // has a default value: picocli sets it before call()
    OutputFormat format;

    @Option(
            names = "--history",
            paramLabel = "FILE",
            description = "History file (default: $" + HISTORY_VARIABLE + ", else ~/.starling/history).")
    @Nullable
    Path history;

    @Option(names = "--no-history", description = "Keep no history.")
    boolean noHistory;

    ShellCommand(CliEnvironment environment, ErrorReporter errors) {
        this.environment = environment;
        this.errors = errors;
    }

    @Override
    public Integer call() throws IOException {
        Path historyFile = historyFile();
        try (Starling db = Starling.open(
                sync.apply(store.builder(environment.configSource())).build())) {
            sync.subscribe(db);
            TerminalFactory.ShellTerminal shellTerminal =
                    environment.terminals().open(environment.in(), environment.out());
            try (Terminal terminal = shellTerminal.terminal()) {
                StringWriter banner = new StringWriter();
                banner.append("starling ")
                        .append(VersionProvider.version())
                        .append(", database ")
                        .append(db.config().databaseDirectory().toAbsolutePath().toString())
                        .append(" (app ")
                        .append(db.config().appId())
                        .append("). End statements with ';'; .help for help.\n");
                if (db.config().networked() || !db.sync().subscriptions().isEmpty()) {
                    // on a console, part of the banner; with piped input, on stderr (stdout is for results only)
                    PrintWriter status = shellTerminal.interactive()
                            ? new PrintWriter(banner)
                            : spec.commandLine().getErr();
                    SyncOptions.printStatus(db, status);
                    status.flush();
                }
                new Shell(db, terminal, shellTerminal.interactive(), historyFile, format, errors)
                        .run(banner.toString().stripTrailing());
            }
        }
        return CommandLine.ExitCode.OK;
    }

    /** The history file, its directory created; null if there is to be none. */
    private @Nullable Path historyFile() {
        if (noHistory) return null;
        Path file = history;
        if (file == null) {
            String fromEnv = environment.env().get(HISTORY_VARIABLE);
            file = fromEnv != null && !fromEnv.isBlank()
                    ? Path.of(fromEnv)
                    : environment.home().resolve(".starling").resolve("history");
        }
        Path dir = file.toAbsolutePath().getParent();
        try {
            if (dir != null) Files.createDirectories(dir);
        } catch (IOException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("warning: no history: cannot create " + dir + ": " + e);
            err.flush();
            return null;
        }
        return file;
    }
}
