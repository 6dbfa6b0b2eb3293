package io.starling.cli;

import io.starling.internal.auth.AuthException;
import io.starling.internal.auth.Authority;
import io.starling.internal.auth.DeviceCertificates;
import io.starling.internal.auth.FilePeerBindings;
import io.starling.internal.auth.PeerBindings;
import io.starling.internal.auth.RevocationList;
import io.starling.internal.storage.postgres.PostgresClusterState;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code starling authority init DIR}: makes an app's authority (docs/AUTH.md) — {@code DIR/authority.key}, the
 * private key that signs device certificates (mode 600), and {@code DIR/authority.pem}, the trust anchor every peer
 * is given — and says which file goes where. It never overwrites an authority: every device certificate of the old
 * one would stop being trusted.
 */
@Command(
        name = "authority",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Manages the app's authority, which issues device certificates to online peers.",
        subcommands = {
            AuthorityCommand.Init.class,
            AuthorityCommand.Revoke.class,
            AuthorityCommand.Revocations.class,
            AuthorityCommand.Peers.class,
            AuthorityCommand.Release.class
        })
final class AuthorityCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    private final CliEnvironment environment;

    AuthorityCommand(CliEnvironment environment) {
        this.environment = environment;
    }

    /** {@code starling authority} alone: the usage, on stderr. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return CommandLine.ExitCode.USAGE;
    }

    @Command(
            name = "init",
            mixinStandardHelpOptions = true,
            versionProvider = VersionProvider.class,
            description = {
                "Makes a new authority in DIR (created if missing): DIR/authority.key, the private key (readable by"
                        + " its owner only; keep it on the authority), and DIR/authority.pem, the trust anchor (give"
                        + " it to every peer of the app). Never overwrites an existing authority."
            },
            exitCodeListHeading = "%nExit status:%n",
            exitCodeList = {"0:success", "1:the files cannot be written", "2:DIR holds an authority already"})
    static final class Init implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "The authority's directory, e.g. authority.")
        @SuppressWarnings("NullAway.Init") // a required parameter: picocli sets it before call()
        Path dir;

        @Override
        public Integer call() {
            Authority authority;
            try {
                authority = Authority.init(dir, Instant.now());
            } catch (AuthException e) {
                throw new CliUsageException(e.code().id(), String.valueOf(e.getMessage()));
            }
            PrintWriter out = spec.commandLine().getOut();
            Path key = dir.resolve(Authority.KEY_FILE);
            Path anchor = dir.resolve(Authority.ANCHOR_FILE);
            out.println("made a new authority in " + dir);
            out.println("  " + key + "  the private key (mode 600): keep it on the authority only; whoever holds it"
                    + " can issue certificates");
            out.println("  " + anchor + "  the trust anchor: give it to every peer of the app (it is public)");
            out.println("fingerprint " + authority.fingerprint());
            out.println("Next: write an auth-config file whose \"authority\" is " + dir + " and start the authority"
                    + " with 'starling peer --auth-config FILE --http ADDRESS' (docs/AUTH.md).");
            out.flush();
            return CommandLine.ExitCode.OK;
        }
    }

    @Command(
            name = "revoke",
            mixinStandardHelpOptions = true,
            versionProvider = VersionProvider.class,
            description = {
                "Revokes a user (every device of theirs) or one device key: signs the next revocation list into"
                        + " DIR/" + RevocationList.FILE + " (docs/AUTH.md, \"Revocation\", says how it reaches the"
                        + " peers of the app)."
            },
            exitCodeListHeading = "%nExit status:%n",
            exitCodeList = {"0:success", "2:bad usage, or the authority or its list cannot be read or written"})
    static final class Revoke implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "The authority's directory.")
        @SuppressWarnings("NullAway.Init") // a required parameter: picocli sets it before call()
        Path dir;

        @ArgGroup(exclusive = true, multiplicity = "1")
        @SuppressWarnings("NullAway.Init") // multiplicity 1: picocli sets it before call()
        Target target;

        static final class Target {
            @Option(names = "--user", paramLabel = "USER_ID", description = "Revoke every device of this user.")
            @Nullable
            String user;

            @Option(
                    names = "--device",
                    paramLabel = "FINGERPRINT",
                    description = "Revoke one device key: its SHA-256 fingerprint, 64 hex digits (as peers log it).")
            @Nullable
            String device;
        }

        @Override
        public Integer call() {
            Authority authority = load(dir);
            Path file = dir.resolve(RevocationList.FILE);
            RevocationList list = read(file, authority);
            RevocationList next;
            String what;
            try {
                if (target.user != null) {
                    if (list.users().contains(target.user)) return already(list, "user " + target.user);
                    next = list.revokeUser(target.user, authority, Instant.now());
                    what = "user " + target.user;
                } else {
                    String fp = RevocationList.deviceFingerprint(String.valueOf(target.device));
                    if (list.devices().contains(fp)) return already(list, "device " + fp);
                    next = list.revokeDevice(fp, authority, Instant.now());
                    what = "device " + fp;
                }
            } catch (IllegalArgumentException e) {
                throw new CliUsageException(CliUsageException.USAGE, String.valueOf(e.getMessage()));
            }
            try {
                next.save(file);
            } catch (AuthException e) {
                throw new CliUsageException(e.code().id(), String.valueOf(e.getMessage()));
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println("revoked " + what + ": " + file + " is now list " + next.serial() + " ("
                    + next.users().size() + " users, " + next.devices().size() + " devices)");
            out.flush();
            return CommandLine.ExitCode.OK;
        }

        private Integer already(RevocationList list, String what) {
            PrintWriter out = spec.commandLine().getOut();
            out.println(what + " is revoked already (list " + list.serial() + "); nothing changed");
            out.flush();
            return CommandLine.ExitCode.OK;
        }
    }

    @Command(
            name = "revocations",
            mixinStandardHelpOptions = true,
            versionProvider = VersionProvider.class,
            description = "Prints the authority's revocation list: its number, when it was signed, every revoked user"
                    + " and device.",
            exitCodeListHeading = "%nExit status:%n",
            exitCodeList = {"0:success", "2:the authority or its list cannot be read"})
    static final class Revocations implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "The authority's directory.")
        @SuppressWarnings("NullAway.Init") // a required parameter: picocli sets it before call()
        Path dir;

        @Override
        public Integer call() {
            Authority authority = load(dir);
            RevocationList list = read(dir.resolve(RevocationList.FILE), authority);
            PrintWriter out = spec.commandLine().getOut();
            if (list.serial() == 0) {
                out.println("nothing is revoked (no " + RevocationList.FILE + " in " + dir + ")");
            } else {
                out.println("revocation list " + list.serial() + ", signed " + list.issuedAt());
                for (String u : list.users()) out.println("  user    " + u);
                for (String d : list.devices()) out.println("  device  " + d);
            }
            out.flush();
            return CommandLine.ExitCode.OK;
        }
    }

    /**
     * Where the authority peer keeps its peer id bindings: the file of its database directory ({@code --db}, else
     * {@code $STARLING_DB_PATH}, else {@code ./starling-data}), or the PostgreSQL database of server nodes.
     */
    static final class BindingStore {
        @Option(
                names = "--db",
                paramLabel = "DIR",
                description = "Database directory of the authority peer (default: $STARLING_DB_PATH, else"
                        + " ./starling-data). The bindings are in DIR/" + FilePeerBindings.FILE_NAME + ".")
        @Nullable
        Path database;

        @Option(
                names = "--postgres",
                paramLabel = "JDBC_URL",
                description = "The PostgreSQL database of the server nodes that run the authority (the URL given to"
                        + " 'starling server --postgres'). Not with --db.")
        @Nullable
        String postgres;

        /** Runs {@code work} on the bindings, holding the database connection (if any) only meanwhile. */
        <T> T with(CliEnvironment environment, java.util.function.Function<PeerBindings, T> work) {
            String url = postgres;
            try {
                if (url != null) {
                    try (PostgresClusterState state =
                            NodeStateLocation.openShared(url, database, "stores", "store/io")) {
                        return work.apply(new PostgresPeerBindings(state));
                    }
                }
                Path dir = NodeStateLocation.directory(database, environment);
                if (!Files.isDirectory(dir)) {
                    throw new CliUsageException("config/invalid", "no database directory " + dir);
                }
                return work.apply(FilePeerBindings.inDirectory(dir));
            } catch (AuthException e) {
                throw new CliUsageException(e.code().id(), String.valueOf(e.getMessage()));
            }
        }
    }

    @Command(
            name = "peers",
            mixinStandardHelpOptions = true,
            versionProvider = VersionProvider.class,
            description = "Lists the peer ids the authority certified and the user each is bound to: a login naming"
                    + " one for another user is refused (auth/peer-id-taken).",
            exitCodeListHeading = "%nExit status:%n",
            exitCodeList = {"0:success", "2:bad usage, or the bindings cannot be read"})
    static final class Peers implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @CommandLine.ParentCommand
        @SuppressWarnings("NullAway.Init") // picocli sets it before call()
        AuthorityCommand parent;

        @Mixin
        BindingStore store = new BindingStore();

        @Option(names = "--user", paramLabel = "USER_ID", description = "Only the peer ids of this user.")
        @Nullable
        String user;

        @Override
        public Integer call() {
            return store.with(parent.environment, bindings -> {
                PrintWriter out = spec.commandLine().getOut();
                int n = 0;
                for (PeerBindings.Binding b : bindings.list()) {
                    if (user != null && !b.userId().equals(user)) continue;
                    out.println(DeviceCertificates.peerIdText(b.peerId()) + "  user " + b.userId() + "  device "
                            + b.deviceKey() + "  since " + b.since());
                    n++;
                }
                out.flush();
                if (n == 0) {
                    spec.commandLine()
                            .getErr()
                            .println("no peer ids bound" + (user == null ? "" : " to user " + user) + " in "
                                    + bindings.where());
                    spec.commandLine().getErr().flush();
                }
                return CommandLine.ExitCode.OK;
            });
        }
    }

    @Command(
            name = "release",
            mixinStandardHelpOptions = true,
            versionProvider = VersionProvider.class,
            description = {
                "Releases a peer id, or every peer id of a user, from the user the authority bound it to: the next"
                        + " login naming it binds it to its user. For a store handed to another user, or a user"
                        + " removed. A running authority sees it at its next login. It revokes nothing: certificates"
                        + " issued stay valid until they expire ('authority revoke' ends them)."
            },
            exitCodeListHeading = "%nExit status:%n",
            exitCodeList = {"0:released", "2:not bound, bad usage, or the bindings cannot be read or written"})
    static final class Release implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @CommandLine.ParentCommand
        @SuppressWarnings("NullAway.Init") // picocli sets it before call()
        AuthorityCommand parent;

        @Mixin
        BindingStore store = new BindingStore();

        @ArgGroup(exclusive = true, multiplicity = "1")
        @SuppressWarnings("NullAway.Init") // multiplicity 1: picocli sets it before call()
        Released target;

        static final class Released {
            @Option(names = "--peer", paramLabel = "PEER_ID", description = "The peer id, 16 hex digits.")
            @Nullable
            String peer;

            @Option(names = "--user", paramLabel = "USER_ID", description = "Every peer id bound to this user.")
            @Nullable
            String user;
        }

        @Override
        public Integer call() {
            long peerId = 0;
            String peer = target.peer;
            if (peer != null) {
                try {
                    peerId = DeviceCertificates.parsePeerId(peer);
                } catch (IllegalArgumentException e) {
                    throw new CliUsageException("--peer: " + e.getMessage());
                }
            }
            long id = peerId;
            return store.with(parent.environment, bindings -> {
                PrintWriter out = spec.commandLine().getOut();
                if (target.user != null) {
                    int n = bindings.releaseUser(target.user);
                    if (n == 0) {
                        throw new CliUsageException(
                                "auth/not-bound",
                                "no peer id is bound to user " + target.user + " in " + bindings.where());
                    }
                    out.println("released " + n + (n == 1 ? " peer id" : " peer ids") + " of user " + target.user);
                } else {
                    PeerBindings.Binding b = bindings.get(id);
                    if (b == null || !bindings.release(id)) {
                        throw new CliUsageException(
                                "auth/not-bound",
                                "peer " + DeviceCertificates.peerIdText(id) + " is not bound in " + bindings.where());
                    }
                    out.println("released peer " + DeviceCertificates.peerIdText(id) + " (was user " + b.userId()
                            + ", device " + b.deviceKey().substring(0, 16) + ")");
                }
                out.flush();
                return CommandLine.ExitCode.OK;
            });
        }
    }

    private static Authority load(Path dir) {
        try {
            return Authority.load(dir);
        } catch (AuthException e) {
            throw new CliUsageException(e.code().id(), String.valueOf(e.getMessage()));
        }
    }

    private static RevocationList read(Path file, Authority authority) {
        try {
            return RevocationList.load(file, authority.anchor());
        } catch (AuthException e) {
            throw new CliUsageException(e.code().id(), String.valueOf(e.getMessage()));
        }
    }
}
