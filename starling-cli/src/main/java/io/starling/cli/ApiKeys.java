package io.starling.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starling.internal.core.Value;
import io.starling.internal.query.InvalidPermissionsException;
import io.starling.internal.query.Permissions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/*
 * Design note — how keys are kept.
 *
 * A key is "stk_<id>_<secret>": id is 16 hex digits (8 random bytes), the name under which the key is filed and
 * listed; secret is 32 random bytes (256 bits) in base64url. The file keeps, per key, a random 16-byte salt and
 * HMAC-SHA256(salt, secret); never the secret. Checking a request looks the id up and compares the HMAC in constant
 * time: about a microsecond, so the check can run on every request (and twice: on the request head and again with
 * the body).
 *
 * Why not a slow hash (bcrypt, scrypt, PBKDF2): those make guessing a *low-entropy* secret (a password) from a
 * stolen hash expensive. A 256-bit random secret cannot be guessed however fast the hash is (2^256 candidates), so
 * stretching would add a delay to every request and no safety. The salt keeps equal secrets from having equal
 * hashes and any precomputation from applying across files.
 */

/**
 * The HTTP API keys of a database: a JSON file ({@code api-keys.json} in the database directory), read and written by
 * {@code starling apikey}, read by the HTTP API on every request that carries a key (re-read whenever the file
 * changes, so a key created or revoked takes effect on a running peer at its next request). Thread-safe.
 */
final class ApiKeys {
    static final String FILE_NAME = "api-keys.json";
    static final String PREFIX = "stk_";
    static final int MAX_KEYS = 10_000;
    static final int MAX_NAME = 128;
    private static final Pattern KEY = Pattern.compile("stk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})");
    private static final Pattern ID = Pattern.compile("[0-9a-f]{16}");
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * One key as filed: everything but the secret.
     *
     * @param userId what the permission conditions see as {@code :userId}
     */
    record Key(
            String id,
            String name,
            String userId,
            Instant createdAt,
            byte[] salt,
            byte[] hash,
            Permissions permissions) {
        Permissions.Grant grant() {
            return permissions.grant(userId, Value.Obj.EMPTY);
        }
    }

    /** A new key: what is filed, and the whole key, to be shown once. */
    record Created(Key key, String secretKey) {}

    private final Path file;
    private @Nullable Snapshot snapshot; // guarded by this

    private record Snapshot(FileTime modified, long size, Map<String, Key> byId) {}

    ApiKeys(Path file) {
        this.file = file;
    }

    static ApiKeys inDatabase(Path dbDir) {
        return new ApiKeys(dbDir.resolve(FILE_NAME));
    }

    Path file() {
        return file;
    }

    /** Whether the text has the shape of a key (it may still be unknown or revoked). */
    static boolean looksLikeKey(String text) {
        return text.startsWith(PREFIX);
    }

    /**
     * The key {@code presented} is, or null when it is malformed, unknown or revoked.
     *
     * @throws ApiKeyFileException when the file cannot be read
     */
    @Nullable
    Key verify(String presented) {
        var m = KEY.matcher(presented);
        if (!m.matches()) return null;
        Key key = current().get(m.group(1));
        if (key == null) return null;
        byte[] secret = m.group(2).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(hmac(key.salt(), secret), key.hash()) ? key : null;
    }

    /** Whether the file holds at least one key. */
    boolean any() {
        return !current().isEmpty();
    }

    /** The keys, in the order they were created. */
    List<Key> list() {
        return List.copyOf(current().values());
    }

    /** Makes a key, files it and returns it with its secret (the only time the secret exists outside the caller). */
    synchronized Created create(@Nullable String name, @Nullable String userId, Permissions permissions) {
        Map<String, Key> keys = new LinkedHashMap<>(read());
        if (keys.size() >= MAX_KEYS) {
            throw new ApiKeyFileException(file + " holds " + keys.size() + " keys; the limit is " + MAX_KEYS
                    + " (revoke unused ones with 'starling apikey revoke')");
        }
        byte[] idBytes = new byte[8];
        String id;
        do {
            RANDOM.nextBytes(idBytes);
            id = HexFormat.of().formatHex(idBytes);
        } while (keys.containsKey(id));
        byte[] secretBytes = new byte[32];
        RANDOM.nextBytes(secretBytes);
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        Key key = new Key(
                id,
                name == null ? "" : name,
                userId == null ? "apikey:" + id : userId,
                Instant.now().with(java.time.temporal.ChronoField.NANO_OF_SECOND, 0),
                salt,
                hmac(salt, secret.getBytes(StandardCharsets.US_ASCII)),
                permissions);
        keys.put(id, key);
        write(keys);
        return new Created(key, PREFIX + id + "_" + secret);
    }

    /**
     * Removes the key with this id (or whole key) from the file.
     *
     * @return the removed key, or null when there is none
     */
    synchronized @Nullable Key revoke(String idOrKey) {
        String id = idOrKey.strip();
        var m = KEY.matcher(id);
        if (m.matches()) id = m.group(1);
        if (id.startsWith(PREFIX)) id = id.substring(PREFIX.length());
        if (!ID.matcher(id).matches()) return null;
        Map<String, Key> keys = new LinkedHashMap<>(read());
        Key removed = keys.remove(id);
        if (removed != null) write(keys);
        return removed;
    }

    /** The keys as the file holds them now, re-read when its time or size changed. */
    private synchronized Map<String, Key> current() {
        FileTime modified;
        long size;
        try {
            modified = Files.getLastModifiedTime(file);
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            snapshot = null;
            return Map.of();
        } catch (IOException e) {
            throw new ApiKeyFileException("cannot read " + file + ": " + e, e);
        }
        Snapshot s = snapshot;
        if (s != null && s.modified().equals(modified) && s.size() == size) return s.byId();
        Map<String, Key> keys = read();
        snapshot = new Snapshot(modified, size, keys);
        return keys;
    }

    private Map<String, Key> read() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Map.of();
        } catch (IOException e) {
            throw new ApiKeyFileException("cannot read " + file + ": " + e, e);
        }
        JsonNode root;
        try {
            root = JsonArgs.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new ApiKeyFileException(file + " is not valid JSON: " + JsonArgs.describe(e), null);
        }
        JsonNode list = root.path("keys");
        if (!root.isObject() || root.path("format").asInt() != 1 || !list.isArray()) {
            throw new ApiKeyFileException(file + " is not an API key file ({\"format\": 1, \"keys\": [...]})", null);
        }
        Map<String, Key> keys = new LinkedHashMap<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode k = list.get(i);
            String where = file + ": keys[" + i + "]";
            try {
                String id = k.path("id").asText("");
                if (!ID.matcher(id).matches()) throw new IllegalArgumentException("id is not 16 hex digits");
                Permissions permissions = Permissions.parse(Value.fromJava(JsonArgs.value(k.path("permissions"))));
                keys.put(
                        id,
                        new Key(
                                id,
                                k.path("name").asText(""),
                                text(k, "userId"),
                                Instant.parse(text(k, "createdAt")),
                                Base64.getDecoder().decode(text(k, "salt")),
                                Base64.getDecoder().decode(text(k, "hash")),
                                permissions));
            } catch (RuntimeException e) {
                throw new ApiKeyFileException(where + ": " + e.getMessage(), null);
            }
        }
        return keys;
    }

    private static String text(JsonNode k, String member) {
        JsonNode v = k.path(member);
        if (!v.isTextual()) throw new IllegalArgumentException(member + " must be a string");
        return v.textValue();
    }

    /** Writes the file whole to a temporary file (owner-only) and moves it into place. */
    private void write(Map<String, Key> keys) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("format", 1);
        ArrayNode list = root.putArray("keys");
        for (Key k : keys.values()) {
            ObjectNode o = list.addObject();
            o.put("id", k.id());
            o.put("name", k.name());
            o.put("userId", k.userId());
            o.put("createdAt", k.createdAt().toString());
            o.put("salt", Base64.getEncoder().encodeToString(k.salt()));
            o.put("hash", Base64.getEncoder().encodeToString(k.hash()));
            o.set(
                    "permissions",
                    JsonArgs.tree(java.util.Objects.requireNonNull(
                            k.permissions().toValue().toJava())));
        }
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, FILE_NAME, ".tmp");
            try {
                try {
                    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException notPosix) {
                    // Windows: the directory's ACL applies
                }
                Files.write(tmp, (root.toPrettyString() + "\n").getBytes(StandardCharsets.UTF_8));
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new ApiKeyFileException("cannot write " + file + ": " + e, e);
        }
        snapshot = null;
    }

    static byte[] hmac(byte[] salt, byte[] secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(salt, "HmacSHA256"));
            return mac.doFinal(secret);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /**
     * Reads a permission set from a file (docs/PERMISSIONS.md).
     *
     * @throws CliUsageException naming the file and where in it the set is wrong
     */
    static Permissions readPermissions(Path path) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new CliUsageException("--permissions: there is no file " + path);
        } catch (IOException e) {
            throw new CliUsageException("--permissions: cannot read " + path + ": " + e);
        }
        try {
            return Permissions.parse(Value.fromJava(JsonArgs.value(JsonArgs.readTree(bytes))));
        } catch (JsonProcessingException e) {
            throw new CliUsageException("--permissions: " + path + " is not valid JSON: " + JsonArgs.describe(e));
        } catch (InvalidPermissionsException e) {
            throw new CliUsageException("--permissions: " + path + ": " + e.getMessage());
        }
    }

    /** The key file cannot be read or written, or is not in its format. */
    static final class ApiKeyFileException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ApiKeyFileException(String message, @Nullable Throwable cause) {
            super(message, cause);
        }

        ApiKeyFileException(String message) {
            super(message);
        }
    }
}
