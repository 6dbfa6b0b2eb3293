package io.starling.cli;

import io.starling.internal.auth.AuthException;
import io.starling.internal.auth.Authority;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
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
        subcommands = {AuthorityCommand.Init.class})
final class AuthorityCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

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
}
