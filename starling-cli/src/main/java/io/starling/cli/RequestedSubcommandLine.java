package io.starling.cli;

import java.util.Set;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;

/**
 * The top-level {@link CommandLine}, which registers only the subcommand the arguments ask for when that is one of
 * {@link #STANDALONE}: picocli reads every registered command's annotations and options by reflection, which is about
 * a tenth of the start-up of {@code starling exec} when all of them are registered, and a command that is not run does
 * not need it.
 *
 * <p>Only for subcommands that never look at their siblings; {@code help} (which shows another command's usage) and
 * anything else — an option, a typo, which picocli answers with "did you mean" over all names — get every subcommand.
 * Whatever is registered is registered before the caller configures the command line, so every setting reaches it.
 */
final class RequestedSubcommandLine extends CommandLine {
    /** Subcommands that run alone: registering only the one asked for changes nothing they print or do. */
    static final Set<String> STANDALONE =
            Set.of("exec", "shell", "peer", "server", "watch", "keygen", "authority", "apikey");

    private final @Nullable String requested;

    RequestedSubcommandLine(Object command, String[] args) {
        super(command);
        this.requested = args.length > 0 && STANDALONE.contains(args[0]) ? args[0] : null;
    }

    @Override
    public CommandLine addSubcommand(String name, Object command, String... aliases) {
        if (requested != null && !requested.equals(name)) return this; // not asked for: never read
        return super.addSubcommand(name, command, aliases);
    }
}
