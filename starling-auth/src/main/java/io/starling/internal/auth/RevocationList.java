package io.starling.internal.auth;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Locale;
import java.util.SortedSet;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The authority's signed list of revoked users and devices (docs/AUTH.md, "Revocation"). A peer refuses a remote whose
 * certificate names a revoked user, or whose device key is revoked, as soon as it holds a list that says so.
 *
 * <p>Lists are numbered: every change the authority makes gives a new list with the next {@linkplain #serial serial},
 * the whole list signed with the authority key. A peer keeps the list with the highest serial it has verified, so
 * lists can travel peer to peer, in any order and through any relay, without trusting the relay: a list that does not
 * verify against the peer's trust anchor is refused whole. Nothing is ever removed from a list except by a newer list.
 *
 * <p>Binary form (all integers big-endian), canonical — two lists with the same content have the same bytes:
 *
 * <pre>
 *   "SRL1"                       4 bytes
 *   authority fingerprint        32 bytes, SHA-256 of the anchor's DER
 *   serial                       8 bytes, at least 1
 *   issued at                    8 bytes, Unix milliseconds
 *   user count                   4 bytes, then per user: 2-byte length + UTF-8, in increasing String order
 *   device count                 4 bytes, then per device: 32 bytes (key fingerprint), in increasing order
 *   signature length             2 bytes, then the ECDSA (SHA-256, P-256) signature in DER over every byte before it
 * </pre>
 *
 * At most {@link #MAX_ENTRIES} users and devices together and {@link #MAX_ENCODED_BYTES} bytes: an authority refuses
 * a revocation that would pass either, so every list it makes can be read back. Immutable and thread-safe.
 */
public final class RevocationList {
    /** The list's file name, in the authority's directory and in a peer's database directory. */
    public static final String FILE = "revocations.bin";
    /** The most users and devices a list holds, together. */
    public static final int MAX_ENTRIES = 10_000;
    /** The largest encoded list. */
    public static final int MAX_ENCODED_BYTES = 512 * 1024;

    private static final byte[] MAGIC = {'S', 'R', 'L', '1'};
    private static final int FINGERPRINT_BYTES = 32;
    /** The longest DER encoding of an ECDSA P-256 signature. */
    private static final int MAX_SIGNATURE_BYTES = 72;

    private static final HexFormat HEX = HexFormat.of();
    private static final RevocationList EMPTY =
            new RevocationList(0, Instant.EPOCH, Collections.emptySortedSet(), Collections.emptySortedSet(), null);

    private final long serial;
    private final Instant issuedAt;
    private final SortedSet<String> users;
    private final SortedSet<String> devices;
    /** The encoded, signed list; null only for {@link #empty()}. */
    private final byte @Nullable [] encoded;

    private RevocationList(
            long serial,
            Instant issuedAt,
            SortedSet<String> users,
            SortedSet<String> devices,
            byte @Nullable [] encoded) {
        this.serial = serial;
        this.issuedAt = issuedAt;
        this.users = Collections.unmodifiableSortedSet(users);
        this.devices = Collections.unmodifiableSortedSet(devices);
        this.encoded = encoded;
    }

    /** The list every peer starts with: serial 0, nothing revoked, not signed. */
    public static RevocationList empty() {
        return EMPTY;
    }

    /** The list's number: 0 for {@link #empty()}, then one more with every change. */
    public long serial() {
        return serial;
    }

    /** When the authority made this list. */
    public Instant issuedAt() {
        return issuedAt;
    }

    /** The revoked user ids, in order. */
    public SortedSet<String> users() {
        return users;
    }

    /** The revoked device keys, as fingerprints (SHA-256 of the SubjectPublicKeyInfo, 64 lowercase hex digits). */
    public SortedSet<String> devices() {
        return devices;
    }

    /** Whether this list revokes the certificate's user or its device key. */
    public boolean revokes(VerifiedIdentity identity) {
        return users.contains(identity.userId()) || devices.contains(identity.deviceKeyFingerprint());
    }

    /** Whether this list replaces {@code other}: a higher serial. */
    public boolean newerThan(RevocationList other) {
        return serial > other.serial;
    }

    /**
     * The signed binary form.
     *
     * @throws IllegalStateException for {@link #empty()}, which is never sent or stored
     */
    public byte[] encoded() {
        if (encoded == null) throw new IllegalStateException("the empty revocation list has no encoded form");
        return encoded.clone();
    }

    /**
     * A new list, signed by {@code authority}: this one plus {@code userId}, numbered one higher.
     *
     * @throws IllegalArgumentException when {@code userId} is not a valid user id, or the list would pass its limits
     */
    public RevocationList revokeUser(String userId, Authority authority, Instant now) {
        return revokeUsers(java.util.List.of(userId), authority, now);
    }

    /** {@link #revokeUser} for several users at once: one new list. */
    RevocationList revokeUsers(java.util.Collection<String> userIds, Authority authority, Instant now) {
        TreeSet<String> u = new TreeSet<>(users);
        for (String userId : userIds) {
            String problem = Claims.userIdProblem(userId);
            if (problem != null) throw new IllegalArgumentException("user id " + problem);
            u.add(userId);
        }
        return signed(authority, now, u, new TreeSet<>(devices));
    }

    /**
     * A new list, signed by {@code authority}: this one plus the device key {@code fingerprint} (64 hex digits, as
     * {@code starling authority} and the peer's log print it; colons and upper case are accepted), numbered one
     * higher.
     *
     * @throws IllegalArgumentException when the fingerprint is not 64 hex digits, or the list would pass its limits
     */
    public RevocationList revokeDevice(String fingerprint, Authority authority, Instant now) {
        TreeSet<String> d = new TreeSet<>(devices);
        d.add(deviceFingerprint(fingerprint));
        return signed(authority, now, new TreeSet<>(users), d);
    }

    /**
     * A device key fingerprint in its canonical form (64 lowercase hex digits), from what a person may type.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static String deviceFingerprint(String text) {
        String hex = text.strip().replace(":", "").toLowerCase(Locale.ROOT);
        if (hex.length() != 2 * FINGERPRINT_BYTES || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new IllegalArgumentException("a device fingerprint is 64 hex digits (SHA-256 of the device's public"
                    + " key, as the peer logs it); got "
                    + (text.length() > 80 ? text.length() + " characters" : '"' + text + '"'));
        }
        return hex;
    }

    private RevocationList signed(Authority authority, Instant now, TreeSet<String> u, TreeSet<String> d) {
        if (u.size() + d.size() > MAX_ENTRIES) {
            throw new IllegalArgumentException("the revocation list would hold more than " + MAX_ENTRIES
                    + " users and devices; issue shorter-lived certificates instead of revoking this many");
        }
        long next = serial + 1;
        Instant at = Instant.ofEpochMilli(Math.max(now.toEpochMilli(), issuedAt.toEpochMilli()));
        long size = MAGIC.length + FINGERPRINT_BYTES + 8 + 8 + 4 + 4 + (long) FINGERPRINT_BYTES * d.size();
        for (String user : u) size += 2 + user.getBytes(StandardCharsets.UTF_8).length;
        if (size + 2 + MAX_SIGNATURE_BYTES > MAX_ENCODED_BYTES) throw tooLarge();
        ByteBuffer body = ByteBuffer.allocate((int) size + 2 + MAX_SIGNATURE_BYTES);
        body.put(MAGIC).put(HEX.parseHex(authority.fingerprint())).putLong(next).putLong(at.toEpochMilli());
        body.putInt(u.size());
        for (String user : u) {
            byte[] b = user.getBytes(StandardCharsets.UTF_8);
            body.putShort((short) b.length).put(b);
        }
        body.putInt(d.size());
        for (String device : d) body.put(HEX.parseHex(device));
        byte[] signature;
        try {
            Signature s = Signature.getInstance(Authority.SIGNATURE_ALGORITHM);
            s.initSign(authority.key());
            s.update(body.array(), 0, body.position());
            signature = s.sign();
        } catch (GeneralSecurityException e) {
            throw new AuthException(AuthException.Code.INTERNAL, "cannot sign the revocation list: " + e, e);
        }
        body.putShort((short) signature.length).put(signature);
        byte[] bytes = new byte[body.position()];
        System.arraycopy(body.array(), 0, bytes, 0, bytes.length);
        return new RevocationList(next, at, u, d, bytes);
    }

    private static IllegalArgumentException tooLarge() {
        return new IllegalArgumentException("the revocation list would pass " + MAX_ENCODED_BYTES
                + " bytes; issue shorter-lived certificates instead of revoking this many");
    }

    /**
     * Reads and verifies a list against the trust anchor of the app.
     *
     * @throws AuthException {@code REVOCATION_LIST_INVALID} naming what is wrong: not a list, another authority's, a
     *     bad signature, not canonical, past a limit
     */
    public static RevocationList decode(byte[] bytes, X509Certificate anchor) {
        if (bytes.length > MAX_ENCODED_BYTES)
            throw invalid("is " + bytes.length + " bytes; at most " + MAX_ENCODED_BYTES);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            if (bytes.length < MAGIC.length
                    || !java.util.Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
                throw invalid("is not a Starling revocation list");
            }
            in.position(MAGIC.length);
            byte[] fp = new byte[FINGERPRINT_BYTES];
            in.get(fp);
            String authority = Authority.fingerprintOf(anchor);
            if (!HEX.formatHex(fp).equals(authority)) {
                throw invalid("comes from another authority (" + HEX.formatHex(fp) + ", ours is " + authority + ")");
            }
            long serial = in.getLong();
            if (serial < 1) throw invalid("has serial " + serial + "; a signed list starts at 1");
            Instant issuedAt = Instant.ofEpochMilli(in.getLong());
            int userCount = count(in.getInt(), 0);
            TreeSet<String> users = new TreeSet<>();
            String last = null;
            var decoder = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            for (int i = 0; i < userCount; i++) {
                int len = Short.toUnsignedInt(in.getShort());
                byte[] b = new byte[len];
                in.get(b);
                String user = decoder.decode(ByteBuffer.wrap(b)).toString();
                String problem = Claims.userIdProblem(user);
                if (problem != null) throw invalid("revokes user " + i + ", whose id " + problem);
                if (last != null && last.compareTo(user) >= 0) throw invalid("lists its users out of order");
                users.add(user);
                last = user;
            }
            int deviceCount = count(in.getInt(), userCount);
            TreeSet<String> devices = new TreeSet<>();
            last = null;
            for (int i = 0; i < deviceCount; i++) {
                byte[] d = new byte[FINGERPRINT_BYTES];
                in.get(d);
                String device = HEX.formatHex(d);
                if (last != null && last.compareTo(device) >= 0) throw invalid("lists its devices out of order");
                devices.add(device);
                last = device;
            }
            int signed = in.position();
            int sigLen = Short.toUnsignedInt(in.getShort());
            byte[] signature = new byte[sigLen];
            in.get(signature);
            if (in.hasRemaining()) throw invalid("has " + in.remaining() + " bytes after its signature");
            Signature s = Signature.getInstance(Authority.SIGNATURE_ALGORITHM);
            s.initVerify(anchor.getPublicKey());
            s.update(bytes, 0, signed);
            boolean ok;
            try {
                ok = s.verify(signature);
            } catch (java.security.SignatureException e) {
                ok = false;
            }
            if (!ok) throw invalid("has a signature that does not verify against the trust anchor");
            return new RevocationList(serial, issuedAt, users, devices, bytes.clone());
        } catch (java.nio.BufferUnderflowException e) {
            throw invalid("is cut short");
        } catch (CharacterCodingException e) {
            throw invalid("holds a user id that is not UTF-8");
        } catch (GeneralSecurityException e) {
            throw new AuthException(AuthException.Code.INTERNAL, "cannot verify a revocation list: " + e, e);
        }
    }

    private static int count(int n, int before) {
        if (n < 0 || (long) n + before > MAX_ENTRIES) {
            throw invalid("holds more than " + MAX_ENTRIES + " users and devices");
        }
        return n;
    }

    private static AuthException invalid(String what) {
        return new AuthException(AuthException.Code.REVOCATION_LIST_INVALID, "the revocation list " + what);
    }

    /**
     * Reads the list stored in {@code file}, verified; {@link #empty()} when there is no file.
     *
     * @throws AuthException {@code REVOCATION_LIST_INVALID} naming the file when it does not verify, {@code
     *     CONFIG_INVALID} when it cannot be read
     */
    public static RevocationList load(Path file, X509Certificate anchor) {
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_ENCODED_BYTES) {
                throw invalid("in " + file + " is larger than " + MAX_ENCODED_BYTES + " bytes");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return empty();
        } catch (IOException e) {
            throw new AuthException(
                    AuthException.Code.CONFIG_INVALID, "cannot read " + file + ": " + e.getMessage(), e);
        }
        try {
            return decode(bytes, anchor);
        } catch (AuthException e) {
            throw new AuthException(e.code(), file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Stores the list in {@code file}, whole or not at all: written beside it, flushed to disk, then renamed over it.
     *
     * @throws AuthException {@code CONFIG_INVALID} when the file cannot be written
     */
    public void save(Path file) {
        byte[] bytes = encoded();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(
                    tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) ch.write(b);
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new AuthException(
                    AuthException.Code.CONFIG_INVALID, "cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "RevocationList[serial " + serial + ", " + users.size() + " users, " + devices.size() + " devices]";
    }
}
