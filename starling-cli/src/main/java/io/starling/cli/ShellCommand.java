package io.starling.cli;

import io.starling.Starling;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
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

    @Mixin
    LoginOptions login = new LoginOptions();

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
            description = "History file (default: $" + HISTORY_VARIABLE + ", else one per database under"
                    + " ~/.starling/shell-history/, readable by you only).")
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
        try (Starling db =
                Starling.open(login.apply(sync.apply(store.builder(environment.configSource())), sync.sharedKey != null)
                        .build())) {
            sync.start(db);
            SyncOptions.checkLogin(db, spec.commandLine().getErr());
            Path historyFile = historyFile(db.config().databaseDirectory());
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
                if (db.config().networked()
                        || !db.sync().subscriptions().isEmpty()
                        || db.sync().deviceStatus() != null) {
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

    /**
     * The history file, created if absent (readable and writable by its owner only), or null if there is to be
     * none. By default each database has its own, {@code ~/.starling/shell-history/<name>-<hash>}: statements hold
     * data, so one database's history is not shown in another's session, and nobody else can read it.
     */
    private @Nullable Path historyFile(Path database) {
        if (noHistory) return null;
        Path chosen = history != null ? history : fromEnvironment();
        Path file = chosen != null ? chosen : defaultHistoryFile(environment.home(), database);
        try {
            if (chosen != null) {
                Path dir = file.toAbsolutePath().getParent();
                if (dir != null) Files.createDirectories(dir);
            } else {
                ownerOnlyDirectory(environment.home().resolve(".starling"));
                ownerOnlyDirectory(
                        Objects.requireNonNull(file.getParent(), "the default history file has a directory"));
            }
            ownerOnlyFile(file);
        } catch (IOException | UncheckedIOException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("warning: no history: cannot create " + file + ": " + e);
            err.flush();
            return null;
        }
        return file;
    }

    /** {@code $STARLING_HISTORY_FILE}, or null when it is unset or blank. */
    private @Nullable Path fromEnvironment() {
        String fromEnv = environment.env().get(HISTORY_VARIABLE);
        return fromEnv != null && !fromEnv.isBlank() ? Path.of(fromEnv) : null;
    }

    /**
     * {@code home/.starling/shell-history/<name>-<hash>}: the database directory's name (letters, digits, {@code .},
     * {@code _} and {@code -} kept) and the first 12 hex digits of the SHA-256 of its absolute path.
     */
    static Path defaultHistoryFile(Path home, Path database) {
        Path absolute = database.toAbsolutePath().normalize();
        Path last = absolute.getFileName();
        String name = last == null ? "root" : last.toString().replaceAll("[^A-Za-z0-9._-]", "_");
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(absolute.toString().getBytes(StandardCharsets.UTF_8));
            String hash = HexFormat.of().formatHex(digest, 0, 6);
            return home.resolve(".starling").resolve("shell-history").resolve(name + "-" + hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** Creates {@code dir} (and its parents) if absent; a directory this CLI owns is made {@code 700}. */
    private static void ownerOnlyDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
        }
        setPermissions(dir, "rwx------");
    }

    /** Creates {@code file} if absent, readable and writable by its owner only ({@code 600}). */
    private static void ownerOnlyFile(Path file) throws IOException {
        if (Files.exists(file)) {
            return;
        }
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(file);
        }
    }

    private static void setPermissions(Path path, String permissions) throws IOException {
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
        } catch (UnsupportedOperationException notPosix) {
            // Windows: the user's profile directory is private already
        }
    }
}
