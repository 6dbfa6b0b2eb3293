package io.starling.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starling.internal.core.Value;
import io.starling.internal.query.InvalidPermissionsException;
import io.starling.internal.query.Permissions;
import io.starling.internal.storage.StorageException;
import io.starling.internal.storage.postgres.PostgresClusterState;
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
 *
 * Several server nodes on one PostgreSQL are one server, so their keys are one set: the same records (one JSON
 * object per key, as in the file) are rows of the shared database instead (PostgresClusterState). A node re-reads
 * them when its copy is older than SHARED_STALENESS, so a key made or revoked through any node is honoured or
 * refused by every node within that time, at the cost of one small query per node and second at most (only while
 * requests with keys arrive).
 */

/**
 * The HTTP API keys of a database: a JSON file ({@code api-keys.json} in the database directory), read and written by
 * {@code starling apikey}, read by the HTTP API on every request that carries a key (re-read whenever the file
 * changes, so a key created or revoked takes effect on a running peer at its next request). For server nodes on one
 * PostgreSQL ({@link #inPostgres}) the keys are rows of that database, shared by every node, and a node sees a change
 * within {@link #SHARED_STALENESS}. Thread-safe.
 */
final class ApiKeys {
    static final String FILE_NAME = "api-keys.json";
    static final String PREFIX = "stk_";
    static final int MAX_KEYS = 10_000;
    static final int MAX_NAME = 128;
    private static final Pattern KEY = Pattern.compile("stk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})");
    private static final Pattern ID = Pattern.compile("[0-9a-f]{16}");
    private static final SecureRandom RANDOM = new SecureRandom();
    /** How long a node may answer from its copy of keys kept in PostgreSQL before it reads them again. */
    static final java.time.Duration SHARED_STALENESS = java.time.Duration.ofSeconds(1);

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

    private final Path file; // the key file, or where the keys of a shared database would be (never written)
    private final @Nullable PostgresClusterState shared;
    private @Nullable Snapshot snapshot; // guarded by this

    private record Snapshot(FileTime modified, long size, long readAtNanos, Map<String, Key> byId) {}

    ApiKeys(Path file) {
        this.file = file;
        this.shared = null;
    }

    private ApiKeys(PostgresClusterState shared) {
        this.file = Path.of(FILE_NAME);
        this.shared = shared;
    }

    static ApiKeys inDatabase(Path dbDir) {
        return new ApiKeys(dbDir.resolve(FILE_NAME));
    }

    /** The keys kept in the PostgreSQL database of {@code state}, shared by every node on it. */
    static ApiKeys inPostgres(PostgresClusterState state) {
        return new ApiKeys(state);
    }

    Path file() {
        return file;
    }

    /** Where the keys are kept, for messages: the file, or the database (without its URL's parameters). */
    String where() {
        PostgresClusterState s = shared;
        return s == null ? file.toString() : "PostgreSQL " + s.where();
    }

    /** The option that names this key store to {@code starling apikey}. */
    String option() {
        PostgresClusterState s = shared;
        return s == null
                ? "--db " + file.toAbsolutePath().getParent()
                : "--postgres '" + s.where().replace("?…", "?…your parameters…") + "'";
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
            throw new ApiKeyFileException(where() + " holds " + keys.size() + " keys; the limit is " + MAX_KEYS
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
        PostgresClusterState s = shared;
        if (s != null) {
            boolean added;
            try {
                added = s.addApiKey(id, toJson(key).toString(), MAX_KEYS);
            } catch (StorageException e) {
                throw new ApiKeyFileException("cannot store the key in " + where() + ": " + e.getMessage(), e);
            }
            if (!added) { // another node made keys meanwhile: the limit, or (2^-64) the same id
                throw new ApiKeyFileException(where() + " holds " + MAX_KEYS + " keys or the new key's id was taken"
                        + " at the same moment; the limit is " + MAX_KEYS + " (try again, or revoke unused ones)");
            }
            snapshot = null;
        } else {
            keys.put(id, key);
            write(keys);
        }
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
        PostgresClusterState s = shared;
        if (s != null) {
            String record;
            try {
                record = s.removeApiKey(id);
            } catch (StorageException e) {
                throw new ApiKeyFileException("cannot revoke the key in " + where() + ": " + e.getMessage(), e);
            }
            snapshot = null;
            return record == null ? null : fromJson(parse(record.getBytes(StandardCharsets.UTF_8)), where());
        }
        Map<String, Key> keys = new LinkedHashMap<>(read());
        Key removed = keys.remove(id);
        if (removed != null) write(keys);
        return removed;
    }

    /** The keys as the file holds them now, re-read when its time or size changed. */
    private synchronized Map<String, Key> current() {
        if (shared != null) {
            Snapshot s = snapshot;
            long now = System.nanoTime();
            if (s != null && now - s.readAtNanos() < SHARED_STALENESS.toNanos()) return s.byId();
            Map<String, Key> keys = read();
            snapshot = new Snapshot(FileTime.fromMillis(0), 0, now, keys);
            return keys;
        }
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
        snapshot = new Snapshot(modified, size, 0, keys);
        return keys;
    }

    private Map<String, Key> read() {
        PostgresClusterState shared = this.shared;
        if (shared != null) {
            List<String> records;
            try {
                records = shared.apiKeys();
            } catch (StorageException e) {
                throw new ApiKeyFileException("cannot read the keys in " + where() + ": " + e.getMessage(), e);
            }
            Map<String, Key> keys = new LinkedHashMap<>();
            for (int i = 0; i < records.size(); i++) {
                Key k = fromJson(parse(records.get(i).getBytes(StandardCharsets.UTF_8)), where() + ": key " + i);
                keys.put(k.id(), k);
            }
            return keys;
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Map.of();
        } catch (IOException e) {
            throw new ApiKeyFileException("cannot read " + file + ": " + e, e);
        }
        JsonNode root = parse(bytes);
        JsonNode list = root.path("keys");
        if (!root.isObject() || root.path("format").asInt() != 1 || !list.isArray()) {
            throw new ApiKeyFileException(file + " is not an API key file ({\"format\": 1, \"keys\": [...]})", null);
        }
        Map<String, Key> keys = new LinkedHashMap<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode k = list.get(i);
            Key key = fromJson(k, file + ": keys[" + i + "]");
            keys.put(key.id(), key);
        }
        return keys;
    }

    private JsonNode parse(byte[] bytes) {
        try {
            return JsonArgs.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new ApiKeyFileException(where() + " is not valid JSON: " + JsonArgs.describe(e), null);
        }
    }

    /** One key as filed (a member of the file's "keys", or a row of a shared database). */
    private static Key fromJson(JsonNode k, String where) {
        try {
            String id = k.path("id").asText("");
            if (!ID.matcher(id).matches()) throw new IllegalArgumentException("id is not 16 hex digits");
            Permissions permissions = Permissions.parse(Value.fromJava(JsonArgs.value(k.path("permissions"))));
            return new Key(
                    id,
                    k.path("name").asText(""),
                    text(k, "userId"),
                    Instant.parse(text(k, "createdAt")),
                    Base64.getDecoder().decode(text(k, "salt")),
                    Base64.getDecoder().decode(text(k, "hash")),
                    permissions);
        } catch (RuntimeException e) {
            throw new ApiKeyFileException(where + ": " + e.getMessage(), null);
        }
    }

    private static ObjectNode toJson(Key k) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
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
        return o;
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
        for (Key k : keys.values()) list.add(toJson(k));
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
