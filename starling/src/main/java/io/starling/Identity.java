package io.starling;

import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How peers of an app recognise each other. Immutable.
 *
 * <ul>
 *   <li>{@link #playground()}: no authentication and no encryption — for development only; the instance logs a
 *       loud warning when it starts networking.
 *   <li>{@link #sharedKey(Path)}: every peer of the app holds the same key file (made by {@code starling keygen});
 *       connections use mutual TLS 1.3 with certificates signed by that key, each peer's id bound to its
 *       certificate. A peer without the key is refused before any document byte flows.
 *   <li>{@link #online(URI, String, String, Path)}: the device logs in to the app's authority, which issues it a
 *       certificate carrying its user id, permissions and metadata; peers use mutual TLS 1.3 with these certificates
 *       and trust only the authority's ({@code authority.pem}). docs/AUTH.md, "The device's side".
 * </ul>
 */
public final class Identity {
    private final @Nullable Path keyFile;
    private final @Nullable Online online;
    private final @Nullable Path authorityDirectory;

    /** The login of the online mode. The token is never printed. */
    private record Online(URI authority, String provider, String token, Path trustAnchor) {
        @Override
        public String toString() {
            return "Online[" + authority + ", " + provider + ", " + trustAnchor + "]";
        }
    }

    private Identity(@Nullable Path keyFile, @Nullable Online online, @Nullable Path authorityDirectory) {
        this.keyFile = keyFile;
        this.online = online;
        this.authorityDirectory = authorityDirectory;
    }

    public static Identity playground() {
        return new Identity(null, null, null);
    }

    public static Identity sharedKey(Path keyFile) {
        return new Identity(Objects.requireNonNull(keyFile, "keyFile"), null, null);
    }

    /**
     * The online mode for the app's authority itself (the directory made by {@code starling authority init}): instead
     * of logging in, the instance issues its own device certificate — user {@value #AUTHORITY_USER_ID}, every
     * permission — with the authority key, keeps it like a device does, and reissues it before it expires. Its peers
     * are held to the same rules as any online peer.
     */
    public static Identity authority(Path authorityDirectory) {
        return new Identity(null, null, Objects.requireNonNull(authorityDirectory, "authorityDirectory"));
    }

    /** The user id of the certificate an authority issues itself. */
    public static final String AUTHORITY_USER_ID = "authority";

    /**
     * The online mode. When the instance opens it uses the device key and certificate kept in its database directory
     * ({@code device.key}, {@code device.pem}) if the certificate is still valid — no network needed — and otherwise
     * logs in to {@code authority} with {@code provider} and {@code token}. It renews the certificate before it
     * expires (see {@link Sync#setExpirationHandler}), syncs offline while the certificate is valid and stops syncing
     * when it is not ({@link Sync#deviceStatus()}).
     *
     * @param authority the authority's HTTP base, {@code http://127.0.0.1:8080} ({@code http} or {@code https})
     * @param provider the login provider's name in the authority's auth-config file
     * @param token what the provider checks (a static token, a JWT, what the webhook understands); never logged
     * @param trustAnchor the authority's certificate, {@code authority.pem}: the only certificate peers are trusted
     *     by
     * @throws IllegalArgumentException naming the argument that is empty or not an absolute http(s) URL
     */
    public static Identity online(URI authority, String provider, String token, Path trustAnchor) {
        Objects.requireNonNull(authority, "authority");
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(trustAnchor, "trustAnchor");
        String scheme =
                authority.getScheme() == null ? "" : authority.getScheme().toLowerCase(Locale.ROOT);
        if (!authority.isAbsolute()
                || !(scheme.equals("http") || scheme.equals("https"))
                || authority.getHost() == null) {
            throw new IllegalArgumentException(
                    "the authority must be an absolute http:// or https:// URL such as http://127.0.0.1:8080, not '"
                            + authority + "'");
        }
        if (authority.getUserInfo() != null) {
            throw new IllegalArgumentException("the authority URL must not carry a user name or password");
        }
        if (provider.isBlank()) throw new IllegalArgumentException("the login provider is empty");
        if (token.isEmpty()) throw new IllegalArgumentException("the login token is empty");
        return new Identity(null, new Online(authority, provider, token, trustAnchor), null);
    }

    public boolean isPlayground() {
        return keyFile == null && online == null && authorityDirectory == null;
    }

    /** True in the online mode, for a device that logs in or for the authority itself. */
    public boolean isOnline() {
        return online != null || authorityDirectory != null;
    }

    /** The authority's directory when this instance is the authority ({@link #authority(Path)}), or null. */
    public @Nullable Path authorityDirectory() {
        return authorityDirectory;
    }

    /** The shared key file, or null in the other modes. */
    public @Nullable Path keyFile() {
        return keyFile;
    }

    /** The authority's HTTP base in the online mode, or null. */
    public @Nullable URI authority() {
        return online == null ? null : online.authority();
    }

    /** The login provider in the online mode, or null. */
    public @Nullable String provider() {
        return online == null ? null : online.provider();
    }

    /** The login token in the online mode, or null. A secret: do not log it. */
    public @Nullable String token() {
        return online == null ? null : online.token();
    }

    /** The authority's certificate ({@code authority.pem}) in the online mode, or null. */
    public @Nullable Path trustAnchor() {
        if (authorityDirectory != null) return authorityDirectory.resolve("authority.pem");
        return online == null ? null : online.trustAnchor();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Identity i
                && Objects.equals(keyFile, i.keyFile)
                && Objects.equals(online, i.online)
                && Objects.equals(authorityDirectory, i.authorityDirectory);
    }

    @Override
    public int hashCode() {
        return Objects.hash(keyFile, online, authorityDirectory);
    }

    @Override
    public String toString() {
        if (authorityDirectory != null) return "online authority " + authorityDirectory;
        if (online != null) {
            return "online " + online.authority() + " provider " + online.provider() + " trust " + online.trustAnchor();
        }
        return keyFile == null ? "playground" : "shared-key " + keyFile;
    }
}
