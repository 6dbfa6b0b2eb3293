package io.starling.cli;

import io.starling.Identity;
import io.starling.StarlingConfig;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * The online identity options of {@code peer} and {@code shell}: {@code --login URL --provider NAME --token TOKEN
 * --trust FILE} (docs/AUTH.md, "The device's side"). Checked by {@link #apply} before anything opens.
 */
final class LoginOptions {
    @Option(
            names = "--login",
            paramLabel = "URL",
            description = "Online identity: log in to the app's authority at URL (its HTTP base, e.g."
                    + " http://127.0.0.1:8080) with --provider and --token, and sync with mutual TLS using the"
                    + " certificate it issues, trusting only --trust. The device key and certificate are kept in the"
                    + " database directory (device.key, device.pem); a valid stored certificate needs no network.")
    @Nullable
    String login;

    @Option(
            names = "--provider",
            paramLabel = "NAME",
            description = "With --login: the login provider's name in the authority's auth-config file.")
    @Nullable
    String provider;

    @Option(
            names = "--token",
            paramLabel = "TOKEN",
            description = "With --login: the token the provider checks. Other local users may see a command line;"
                    + " prefer $STARLING_LOGIN_TOKEN on shared machines.")
    @Nullable
    String token;

    @Option(
            names = "--trust",
            paramLabel = "FILE",
            description = "With --login: the authority's certificate (authority.pem, made by 'starling authority"
                    + " init'), the only one this peer trusts.")
    @Nullable
    Path trust;

    /** True when any of the online login options was given. */
    boolean loginGiven() {
        return login != null || provider != null || token != null || trust != null;
    }

    /**
     * Sets the online identity on {@code builder} when any of these options was given.
     *
     * @throws CliUsageException for a missing option, a missing trust file, a malformed URL, or {@code --shared-key}
     *     given too
     */
    StarlingConfig.Builder apply(StarlingConfig.Builder builder, boolean sharedKeyToo) {
        if (loginGiven()) builder.identity(online(sharedKeyToo));
        return builder;
    }

    /** The online identity of --login, --provider, --token (or $STARLING_LOGIN_TOKEN) and --trust, all checked. */
    private Identity online(boolean sharedKeyToo) {
        if (sharedKeyToo) {
            throw new CliUsageException(
                    "--shared-key and --login are two identity modes: give one (docs/AUTH.md, docs/NETWORKING.md)");
        }
        String t = token != null ? token : System.getenv("STARLING_LOGIN_TOKEN");
        List<String> missing = new ArrayList<>();
        if (login == null) missing.add("--login URL");
        if (provider == null) missing.add("--provider NAME");
        if (t == null) missing.add("--token TOKEN (or $STARLING_LOGIN_TOKEN)");
        if (trust == null) missing.add("--trust FILE");
        if (login == null || provider == null || t == null || trust == null) {
            throw new CliUsageException("logging in to an authority needs " + String.join(", ", missing)
                    + " too (docs/AUTH.md, \"The device's side\")");
        }
        if (!Files.isRegularFile(trust)) {
            throw new CliUsageException(
                    "config/invalid",
                    "no trust anchor at " + trust + " (--trust is the authority.pem that 'starling authority init'"
                            + " made; copy it from the authority)");
        }
        if (!login.contains("://")) {
            throw new CliUsageException("--login must be the authority's HTTP base URL, such as http://127.0.0.1:8080,"
                    + " not '" + login + "'");
        }
        URI url;
        try {
            url = new URI(login);
        } catch (URISyntaxException e) {
            throw new CliUsageException("--login " + login + " is not a URL: " + e.getMessage());
        }
        try {
            return Identity.online(url, provider, t, trust);
        } catch (IllegalArgumentException e) {
            throw new CliUsageException("--login/--provider/--token: " + e.getMessage());
        }
    }
}
