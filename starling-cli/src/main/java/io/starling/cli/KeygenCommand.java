package io.starling.cli;

import io.starling.transport.SharedKeys;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code starling keygen FILE}: writes a new shared key for an app (readable by its owner only) and prints its
 * fingerprint, with a hint to copy it to every peer. It never overwrites a file: replacing the key of a running app
 * would lock every peer that holds the old one out. {@code --fingerprint} prints the fingerprint of an existing key,
 * so that two machines can check they hold the same one.
 */
@Command(
        name = "keygen",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = {
            "Writes a new shared key to FILE (never overwriting one) and prints its fingerprint. Copy the file to"
                    + " every peer of the app and start them with --shared-key FILE: peers without it are refused.",
            "With --fingerprint, prints the fingerprint of the key in FILE instead."
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:success",
            "1:the file cannot be written (I/O error)",
            "2:FILE exists, or (with --fingerprint) is not a shared key; bad usage"
        })
final class KeygenCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--fingerprint", description = "Print the fingerprint of the existing key in FILE.")
    boolean fingerprint;

    @Parameters(index = "0", paramLabel = "FILE", description = "The key file, e.g. app.key.")
    @SuppressWarnings("NullAway.Init") // a required parameter: picocli sets it before call()
    Path file;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (fingerprint) {
            out.println(SharedKeys.describe(file));
            out.flush();
            return CommandLine.ExitCode.OK;
        }
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new CliUsageException(
                    "config/invalid",
                    file + " exists; keygen never overwrites a key (peers"
                            + " holding it would be locked out). Choose another file name, or delete it first");
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new CliUsageException("config/invalid", "no directory " + parent + " for " + file);
        }
        String print = SharedKeys.generate(file);
        out.println("wrote a new shared key to " + file);
        out.println("fingerprint " + print);
        out.println("Copy " + file + " to every peer of the app (over a channel you trust: whoever holds it can"
                + " join) and start each with --shared-key " + file + ". Peers with another key are refused.");
        out.flush();
        return CommandLine.ExitCode.OK;
    }
}
