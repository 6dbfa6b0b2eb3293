package io.starling.internal.auth;

import io.starling.internal.core.Value;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * An auth-config file (docs/AUTH.md): where the authority's directory is and which login providers it offers.
 *
 * <pre>{@code
 * {"authority": "DIR made by authority init",
 *  "providers": {
 *    "dev":  {"type": "static", "tokens": {"tok-a": {"userId": "alice", "expirationSeconds": 3600,
 *             "permissions": {...}, "metadata": {"team": "north"}}}},
 *    "corp": {"type": "webhook", "url": "https://…", "secretFile": "webhook.secret"},
 *    "sso":  {"type": "jwt", "jwks": "jwks.json or https://…", "userIdClaim": "sub", "permissionsClaim": "starling"}}}
 * }</pre>
 *
 * Relative paths ({@code authority}, {@code secretFile}, a {@code jwks} file) are relative to the config file's directory. The whole file
 * is checked when it is loaded, and refused with a message naming the file and the member that is wrong; nothing
 * in a message quotes a token or a secret. Immutable.
 */
public final class AuthConfig {
    /** An auth-config file is at most this long. */
    static final int MAX_FILE_BYTES = 4 * 1024 * 1024;
    /** A provider name: what a login request names. */
    static final Pattern PROVIDER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    static final int MAX_PROVIDERS = 64;
    static final int MAX_STATIC_TOKENS = 10_000;
    /** A webhook secret: at least 16 bytes (128 bits), at most 4 KiB. */
    static final int MIN_SECRET_BYTES = 16;

    static final int MAX_SECRET_BYTES = 4096;
    static final Duration DEFAULT_WEBHOOK_TIMEOUT = Duration.ofSeconds(10);
    static final int MAX_TOKEN_CHARS = 8192;

    private static final Set<String> GRANT_MEMBERS = Set.of("userId", "expirationSeconds", "permissions", "metadata");

    private final Path file;
    private final Path authorityDirectory;
    private final Map<String, LoginProvider> providers;

    private AuthConfig(Path file, Path authorityDirectory, Map<String, LoginProvider> providers) {
        this.file = file;
        this.authorityDirectory = authorityDirectory;
        this.providers = providers;
    }

    /** The file it was read from. */
    public Path file() {
        return file;
    }

    /** The authority's directory ({@code authority.key}, {@code authority.pem}). */
    public Path authorityDirectory() {
        return authorityDirectory;
    }

    /** The providers' names, in the file's order. */
    public List<String> providerNames() {
        return List.copyOf(providers.keySet());
    }

    /** The type of provider {@code name}: {@code static} or {@code webhook}. */
    public String providerType(String name) {
        LoginProvider p = providers.get(name);
        if (p == null) throw new IllegalArgumentException("no provider " + name);
        return p.type();
    }

    LoginProvider provider(String name) {
        LoginProvider p = providers.get(name);
        if (p == null) {
            throw new AuthException(
                    AuthException.Code.BAD_REQUEST,
                    "provider \"" + printable(name) + "\" is not configured here (providers: "
                            + String.join(", ", providers.keySet()) + ")");
        }
        return p;
    }

    /**
     * Reads an auth-config file; {@code clock} signs webhook requests.
     *
     * @throws AuthException {@code CONFIG_INVALID} naming the file and what is wrong in it
     */
    public static AuthConfig load(Path file, Clock clock) {
        byte[] bytes = read(file, MAX_FILE_BYTES, "auth-config file");
        Path base = file.toAbsolutePath().getParent();
        Value v;
        try {
            v = AuthJson.parse(bytes);
        } catch (IllegalArgumentException e) {
            throw config(file, String.valueOf(e.getMessage()));
        }
        try {
            return parse(file, base == null ? Path.of(".") : base, v, clock);
        } catch (IllegalArgumentException e) {
            throw config(file, String.valueOf(e.getMessage()));
        }
    }

    private static AuthConfig parse(Path file, Path base, Value v, Clock clock) {
        if (!(v instanceof Value.Obj top)) throw new IllegalArgumentException("must be a JSON object");
        for (String k : top.fields().keySet()) {
            if (!k.equals("authority") && !k.equals("providers")) {
                throw new IllegalArgumentException(
                        "has an unknown member \"" + printable(k) + "\" (expected \"authority\" and \"providers\")");
            }
        }
        if (!(top.get("authority") instanceof Value.Str authority)
                || authority.value().isBlank()) {
            throw new IllegalArgumentException(
                    "\"authority\" must name the directory made by 'starling authority init DIR'");
        }
        if (!(top.get("providers") instanceof Value.Obj ps) || ps.size() == 0) {
            throw new IllegalArgumentException("\"providers\" must be an object of at least one provider");
        }
        if (ps.size() > MAX_PROVIDERS) {
            throw new IllegalArgumentException(
                    "\"providers\" lists " + ps.size() + " providers; the limit is " + MAX_PROVIDERS);
        }
        Map<String, LoginProvider> providers = new LinkedHashMap<>();
        for (Map.Entry<String, Value> e : ps.fields().entrySet()) {
            String name = e.getKey();
            String where = "providers." + printable(name);
            if (!PROVIDER_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException(where + ": a provider name is 1 to 64 letters, digits, '_', '.'"
                        + " or '-', starting with a letter or digit");
            }
            providers.put(name, provider(where, name, e.getValue(), base, clock));
        }
        return new AuthConfig(
                file, base.resolve(authority.value()).normalize(), Collections.unmodifiableMap(providers));
    }

    private static LoginProvider provider(String where, String name, Value v, Path base, Clock clock) {
        if (!(v instanceof Value.Obj o)) throw new IllegalArgumentException(where + " must be an object");
        if (!(o.get("type") instanceof Value.Str type)) {
            throw new IllegalArgumentException(where + ".type must be \"static\", \"webhook\" or \"jwt\"");
        }
        switch (type.value()) {
            case "static":
                return staticProvider(where, name, o);
            case "webhook":
                return webhookProvider(where, name, o, base, clock);
            case "jwt":
                return jwtProvider(where, name, o, base, clock);
            default:
                throw new IllegalArgumentException(where + ".type \"" + printable(type.value())
                        + "\" is not a provider type; expected \"static\", \"webhook\" or \"jwt\"");
        }
    }

    private static StaticProvider staticProvider(String where, String name, Value.Obj o) {
        onlyMembers(where, o, Set.of("type", "tokens"));
        if (!(o.get("tokens") instanceof Value.Obj tokens) || tokens.size() == 0) {
            throw new IllegalArgumentException(where + ".tokens must be an object of at least one token");
        }
        if (tokens.size() > MAX_STATIC_TOKENS) {
            throw new IllegalArgumentException(
                    where + ".tokens lists " + tokens.size() + " tokens; the limit is " + MAX_STATIC_TOKENS);
        }
        Map<String, ProviderGrant> grants = new LinkedHashMap<>();
        int i = 0;
        for (Map.Entry<String, Value> e : tokens.fields().entrySet()) {
            // a token is a secret: name it by its position, never by itself
            String tw = where + ".tokens[" + i++ + "]";
            if (e.getKey().isEmpty() || e.getKey().length() > MAX_TOKEN_CHARS) {
                throw new IllegalArgumentException(tw + ": a token is 1 to " + MAX_TOKEN_CHARS + " characters");
            }
            if (!(e.getValue() instanceof Value.Obj grant)) {
                throw new IllegalArgumentException(
                        tw + " must be an object {userId, permissions, expirationSeconds," + " metadata}");
            }
            grants.put(StaticProvider.hash(e.getKey()), ProviderGrant.parse(tw, grant, "userId", GRANT_MEMBERS));
        }
        return new StaticProvider(name, grants);
    }

    private static WebhookProvider webhookProvider(String where, String name, Value.Obj o, Path base, Clock clock) {
        onlyMembers(where, o, Set.of("type", "url", "secretFile", "timeoutSeconds"));
        if (!(o.get("url") instanceof Value.Str url)) throw new IllegalArgumentException(where + ".url is missing");
        URI uri;
        try {
            uri = new URI(url.value());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(where + ".url is not a URL (" + e.getReason() + ")", e);
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw new IllegalArgumentException(where + ".url must be an absolute http:// or https:// URL");
        }
        if (uri.getUserInfo() != null) {
            throw new IllegalArgumentException(where + ".url must not carry a user name or password");
        }
        if (!(o.get("secretFile") instanceof Value.Str secretFile)
                || secretFile.value().isBlank()) {
            throw new IllegalArgumentException(where + ".secretFile must name the file that holds the shared secret");
        }
        Path secretPath = base.resolve(secretFile.value()).normalize();
        byte[] raw = read(secretPath, MAX_SECRET_BYTES + 2, where + ".secretFile");
        String secret = new String(raw, StandardCharsets.UTF_8).strip();
        int secretBytes = secret.getBytes(StandardCharsets.UTF_8).length;
        if (secretBytes < MIN_SECRET_BYTES || secretBytes > MAX_SECRET_BYTES) {
            throw new IllegalArgumentException(where + ".secretFile " + secretPath + " holds " + secretBytes
                    + " bytes; a webhook secret is " + MIN_SECRET_BYTES + " to " + MAX_SECRET_BYTES + " bytes"
                    + " (make one with: openssl rand -hex 32)");
        }
        Duration timeout = DEFAULT_WEBHOOK_TIMEOUT;
        Value t = o.get("timeoutSeconds");
        if (!t.isAbsent()) {
            if (!(t instanceof Value.Int ti) || ti.value() < 1 || ti.value() > 60) {
                throw new IllegalArgumentException(where + ".timeoutSeconds must be a whole number from 1 to 60");
            }
            timeout = Duration.ofSeconds(ti.value());
        }
        return new WebhookProvider(name, uri, secret.getBytes(StandardCharsets.UTF_8), timeout, clock);
    }

    private static JwtProvider jwtProvider(String where, String name, Value.Obj o, Path base, Clock clock) {
        onlyMembers(
                where,
                o,
                Set.of(
                        "type",
                        "jwks",
                        "userIdClaim",
                        "permissionsClaim",
                        "metadataClaim",
                        "issuer",
                        "audience",
                        "expirationSeconds"));
        if (!(o.get("jwks") instanceof Value.Str jwks) || jwks.value().isBlank()) {
            throw new IllegalArgumentException(
                    where + ".jwks must name a JWK set: a file, or an http:// or https:// URL");
        }
        var keys = jwks.value().startsWith("https://") || jwks.value().startsWith("http://")
                ? JwtProvider.keysAt(where + ".jwks", uri(where + ".jwks", jwks.value()))
                : JwtProvider.keysOf(
                        where + ".jwks " + base.resolve(jwks.value()).normalize(),
                        new String(
                                read(
                                        base.resolve(jwks.value()).normalize(),
                                        JwtProvider.MAX_JWKS_BYTES,
                                        where + ".jwks"),
                                StandardCharsets.UTF_8));
        Duration validity = null;
        Value seconds = o.get("expirationSeconds");
        if (!seconds.isAbsent()) {
            long max = Authority.MAX_VALIDITY.toSeconds();
            if (!(seconds instanceof Value.Int s) || s.value() < 1 || s.value() > max) {
                throw new IllegalArgumentException(
                        where + ".expirationSeconds must be a whole number of seconds from 1 to " + max);
            }
            validity = Duration.ofSeconds(s.value());
        }
        return new JwtProvider(
                name,
                keys,
                stringOr(where, o, "userIdClaim", "sub"),
                stringOr(where, o, "permissionsClaim", "permissions"),
                optionalString(where, o, "metadataClaim"),
                optionalString(where, o, "issuer"),
                optionalString(where, o, "audience"),
                validity,
                clock);
    }

    private static String stringOr(String where, Value.Obj o, String member, String fallback) {
        String s = optionalString(where, o, member);
        return s == null ? fallback : s;
    }

    private static @Nullable String optionalString(String where, Value.Obj o, String member) {
        Value v = o.get(member);
        if (v.isAbsent()) return null;
        if (!(v instanceof Value.Str s) || s.value().isEmpty()) {
            throw new IllegalArgumentException(where + "." + member + " must be a non-empty string");
        }
        return s.value();
    }

    private static URI uri(String where, String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(where + " is not a URL (" + e.getReason() + ")", e);
        }
        if (uri.getHost() == null || uri.getUserInfo() != null) {
            throw new IllegalArgumentException(
                    where + " must be an absolute http:// or https:// URL without a user name or password");
        }
        return uri;
    }

    private static void onlyMembers(String where, Value.Obj o, Set<String> allowed) {
        for (String k : o.fields().keySet()) {
            if (!allowed.contains(k)) {
                throw new IllegalArgumentException(where + " has an unknown member \"" + printable(k) + "\" (expected "
                        + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }
    }

    private static byte[] read(Path file, int maxBytes, String what) {
        try {
            if (Files.size(file) > maxBytes) {
                throw new AuthException(
                        AuthException.Code.CONFIG_INVALID,
                        what + " " + file + " is larger than " + maxBytes + " bytes");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new AuthException(AuthException.Code.CONFIG_INVALID, what + " " + file + " does not exist", e);
        } catch (IOException e) {
            throw new AuthException(
                    AuthException.Code.CONFIG_INVALID, "cannot read " + what + " " + file + ": " + e.getMessage(), e);
        }
    }

    /** A name from the input, shortened and with control characters shown as '?', for messages. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && i < 64; i++) {
            char c = s.charAt(i);
            b.append(Character.isISOControl(c) ? '?' : c);
        }
        if (s.length() > 64) b.append('…');
        return b.toString();
    }

    private static AuthException config(Path file, String problem) {
        return new AuthException(AuthException.Code.CONFIG_INVALID, "auth-config file " + file + ": " + problem);
    }

    @Override
    public String toString() {
        return "AuthConfig[" + file + ", providers " + providers.keySet() + "]";
    }
}
