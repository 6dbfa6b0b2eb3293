package io.starling.internal.auth;

import io.starling.internal.core.Value;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/*
 * Design note — one file, two writers.
 *
 * The authority peer writes the file when a login binds a peer id; `starling authority release` (another process)
 * writes it when an admin releases one. Each change is a read-modify-write of the whole file, so both take an exclusive
 * lock on a sibling lock file (FileChannel.lock, between processes) and a monitor per path (FileLock is per JVM, and a
 * second lock of the same file in one JVM throws), re-read the file if it changed since this instance last saw it
 * (size, modification time and file key: the rename gives every version a new key), change it, and write it whole:
 * beside it, forced to disk, renamed over it, and the directory forced, so a crash leaves one version or the other.
 * A read (a renewal finding its own binding) takes the same lock: logins are rare and a renewal writes nothing.
 */

/**
 * {@link PeerBindings} in a JSON file, {@code authority-peers.json} in the authority node's database directory (its
 * other state lives there too): {@code {"v": 1, "bindings": [{"peer", "user", "device", "since"}, …]}}, in peer id
 * order. At most {@link #MAX_BINDINGS} bindings (about 40 MiB at the longest user ids): past it a new peer id is
 * refused ({@code FULL}) until an admin releases some, or the authority moves to PostgreSQL. A file that cannot be
 * read is refused whole ({@code CONFIG_INVALID}, naming the file): every login fails until it is fixed.
 */
public final class FilePeerBindings implements PeerBindings {
    public static final String FILE_NAME = "authority-peers.json";
    /** The most bindings the file holds. */
    public static final int MAX_BINDINGS = 100_000;

    private static final int VERSION = 1;
    /** Larger than {@link #MAX_BINDINGS} bindings at the longest user ids can be. */
    private static final long MAX_FILE_BYTES = 64L << 20;

    private static final Pattern DEVICE_KEY = Pattern.compile("[0-9a-f]{64}");
    private static final Set<String> MEMBERS = Set.of("peer", "user", "device", "since");
    private static final ConcurrentHashMap<Path, Object> MONITORS = new ConcurrentHashMap<>();

    private final Path file;
    private final Path lockFile;
    private final Object monitor;
    private final int maxBindings;
    private final int maxPerUser;
    /** The bindings as last read or written, and the file's signature then (guarded by monitor). */
    private Map<Long, Binding> byPeer = new HashMap<>();

    private Map<String, Integer> perUser = new HashMap<>();
    private String seen = "";

    private FilePeerBindings(Path file, int maxBindings, int maxPerUser) {
        this.file = file.toAbsolutePath().normalize();
        this.lockFile = this.file.resolveSibling(this.file.getFileName() + ".lock");
        this.monitor = MONITORS.computeIfAbsent(this.file, p -> new Object());
        this.maxBindings = maxBindings;
        this.maxPerUser = maxPerUser;
    }

    /**
     * The bindings of the file {@link #FILE_NAME} in {@code directory}, read now (an absent file holds none).
     *
     * @throws AuthException {@code CONFIG_INVALID} when the file cannot be read or is malformed
     */
    public static FilePeerBindings inDirectory(Path directory) {
        return open(directory.resolve(FILE_NAME), MAX_BINDINGS, MAX_PER_USER);
    }

    /** The bindings of {@code file}, with other limits than the defaults (tests). */
    public static FilePeerBindings open(Path file, int maxBindings, int maxPerUser) {
        FilePeerBindings b = new FilePeerBindings(file, maxBindings, maxPerUser);
        b.locked(() -> Boolean.TRUE);
        return b;
    }

    public Path file() {
        return file;
    }

    @Override
    public int maxPerUser() {
        return maxPerUser;
    }

    @Override
    public String where() {
        return file.toString();
    }

    @Override
    public Claim claim(long peerId, String userId, String deviceKey, Instant now) {
        // what could not be read back is never written (it would fail every later login)
        if (!DEVICE_KEY.matcher(deviceKey).matches()) {
            throw new IllegalArgumentException("a device key fingerprint is 64 lowercase hex digits");
        }
        String problem = Claims.userIdProblem(userId);
        if (problem != null) throw new IllegalArgumentException("the user id " + problem);
        if (peerId == 0) throw new IllegalArgumentException("peer id 0 is not a peer's id");
        return locked(() -> {
            Binding found = byPeer.get(peerId);
            if (found == null) {
                if (perUser.getOrDefault(userId, 0) >= maxPerUser) return new Claim(Outcome.USER_LIMIT, null);
                if (byPeer.size() >= maxBindings) return new Claim(Outcome.FULL, null);
                Map<Long, Binding> next = new HashMap<>(byPeer);
                next.put(peerId, new Binding(peerId, userId, deviceKey, now));
                save(next);
                return new Claim(Outcome.BOUND, null);
            }
            if (!found.userId().equals(userId)) return new Claim(Outcome.OTHER_USER, found);
            if (found.deviceKey().equals(deviceKey)) return new Claim(Outcome.SAME, found);
            Map<Long, Binding> next = new HashMap<>(byPeer);
            next.put(peerId, new Binding(peerId, userId, deviceKey, found.since()));
            save(next);
            return new Claim(Outcome.NEW_DEVICE_KEY, found);
        });
    }

    @Override
    public @Nullable Binding get(long peerId) {
        return locked(() -> Optional.ofNullable(byPeer.get(peerId))).orElse(null);
    }

    @Override
    public List<Binding> list() {
        return locked(() -> List.copyOf(new TreeMap<>(byPeer).values()));
    }

    @Override
    public boolean release(long peerId) {
        return locked(() -> {
            if (!byPeer.containsKey(peerId)) return false;
            Map<Long, Binding> next = new HashMap<>(byPeer);
            next.remove(peerId);
            save(next);
            return true;
        });
    }

    @Override
    public int releaseUser(String userId) {
        return locked(() -> {
            Map<Long, Binding> next = new HashMap<>(byPeer);
            next.values().removeIf(b -> b.userId().equals(userId));
            int released = byPeer.size() - next.size();
            if (released > 0) save(next);
            return released;
        });
    }

    private interface Action<T> {
        T run();
    }

    /** Runs {@code action} holding the file's lock, on the bindings as the file holds them now. */
    private <T> T locked(Action<T> action) {
        synchronized (monitor) {
            try (FileChannel lock = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock held = lock.lock()) {
                refresh();
                return action.run();
            } catch (IOException e) {
                throw new AuthException(
                        AuthException.Code.CONFIG_INVALID, "cannot lock " + lockFile + ": " + e.getMessage(), e);
            }
        }
    }

    private String signature() throws IOException {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return a.size() + "@" + a.lastModifiedTime().toMillis() + "#" + a.fileKey();
        } catch (NoSuchFileException e) {
            return "none";
        }
    }

    /** Reads the file again if another writer changed it since this instance last did. */
    private void refresh() throws IOException {
        String now = signature();
        if (now.equals(seen)) return;
        Map<Long, Binding> read = now.equals("none") ? new HashMap<>() : read();
        install(read);
        seen = now;
    }

    private void install(Map<Long, Binding> bindings) {
        Map<String, Integer> counts = new HashMap<>();
        for (Binding b : bindings.values()) counts.merge(b.userId(), 1, Integer::sum);
        byPeer = bindings;
        perUser = counts;
    }

    private Map<Long, Binding> read() throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) throw malformed("it is " + size + " bytes; the limit is " + MAX_FILE_BYTES);
        Value v;
        try {
            v = AuthJson.parse(Files.readAllBytes(file));
        } catch (IllegalArgumentException e) {
            throw malformed("it " + e.getMessage());
        }
        if (!(v instanceof Value.Obj o)
                || !(o.get("v") instanceof Value.Int version)
                || !(o.get("bindings") instanceof Value.Arr list)
                || o.fields().size() != 2) {
            throw malformed("it must be an object {\"v\": " + VERSION + ", \"bindings\": [...]}");
        }
        if (version.value() != VERSION) {
            throw malformed("it has version " + version.value() + "; this Starling reads version " + VERSION);
        }
        if (list.size() > maxBindings)
            throw malformed("it holds " + list.size() + " bindings; the limit is " + maxBindings);
        Map<Long, Binding> out = new HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            Binding b = binding(list.get(i), i);
            if (out.put(b.peerId(), b) != null) {
                throw malformed("bindings[" + i + "] binds peer " + DeviceCertificates.peerIdText(b.peerId())
                        + " a second time");
            }
        }
        return out;
    }

    private Binding binding(Value v, int i) {
        String at = "bindings[" + i + "]";
        if (!(v instanceof Value.Obj o)
                || !MEMBERS.containsAll(o.fields().keySet())
                || !(o.get("peer") instanceof Value.Str peer)
                || !(o.get("user") instanceof Value.Str user)
                || !(o.get("device") instanceof Value.Str device)
                || !(o.get("since") instanceof Value.Str since)) {
            throw malformed(at + " must be an object of the strings peer, user, device and since");
        }
        long peerId;
        try {
            peerId = DeviceCertificates.parsePeerId(peer.value());
        } catch (IllegalArgumentException e) {
            throw malformed(at + ".peer: " + e.getMessage());
        }
        String problem = Claims.userIdProblem(user.value());
        if (problem != null) throw malformed(at + ".user " + problem);
        if (!DEVICE_KEY.matcher(device.value()).matches()) {
            throw malformed(at + ".device must be 64 lowercase hex digits (a device key's SHA-256 fingerprint)");
        }
        try {
            return new Binding(peerId, user.value(), device.value(), Instant.parse(since.value()));
        } catch (DateTimeParseException e) {
            throw malformed(at + ".since is not an ISO-8601 instant");
        }
    }

    private void save(Map<Long, Binding> bindings) {
        ArrayList<Value> list = new ArrayList<>(bindings.size());
        for (Binding b : new TreeMap<>(bindings).values()) {
            LinkedHashMap<String, Value> o = new LinkedHashMap<>();
            o.put("peer", Value.of(DeviceCertificates.peerIdText(b.peerId())));
            o.put("user", Value.of(b.userId()));
            o.put("device", Value.of(b.deviceKey()));
            o.put("since", Value.of(b.since().toString()));
            list.add(Value.Obj.ofOwned(o));
        }
        LinkedHashMap<String, Value> root = new LinkedHashMap<>();
        root.put("v", Value.of(VERSION));
        root.put("bindings", Value.Arr.ofOwned(list));
        byte[] bytes = AuthJson.write(Value.Obj.ofOwned(root)).getBytes(StandardCharsets.UTF_8);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(
                    tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) ch.write(buf);
                ch.force(true); // on disk before it replaces the old file
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            forceDirectory();
            install(bindings);
            seen = signature();
        } catch (IOException e) {
            throw new AuthException(
                    AuthException.Code.CONFIG_INVALID, "cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The rename on disk too (a crash after it must not bring the old file back); not every platform can. */
    private void forceDirectory() {
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Windows cannot open a directory; its rename is durable once it returns
        }
    }

    private AuthException malformed(String why) {
        return new AuthException(
                AuthException.Code.CONFIG_INVALID,
                "the authority's peer id bindings " + file + " cannot be used, so no login is accepted until it is"
                        + " fixed: " + why);
    }

    @Override
    public String toString() {
        return "FilePeerBindings[" + file + "]";
    }
}
