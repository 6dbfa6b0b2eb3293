package io.starling.internal.engine;

import io.starling.internal.auth.AuthException;
import io.starling.internal.auth.RevocationList;
import io.starling.internal.sync.RevocationState;
import io.starling.internal.sync.RevocationVerifier;
import io.starling.internal.sync.VerifiedRevocations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Design note — the revocation list of an online peer (docs/AUTH.md, "Revocation").
 *
 * The peer holds the newest list it verified (a RevocationState, shared by its sync sessions), in its database
 * directory as revocations.bin, written whole (beside it, flushed, renamed) every time a newer list is adopted and read
 * back at start. Lists come from three places: the stored file at start, a remote's REVOCATIONS (the session asks
 * verify() — the authority's signature against the trust anchor — and adopts), and, on the authority itself, the list
 * `starling authority revoke` writes in the authority directory: the login thread looks at that file every second and
 * adopts a newer list as soon as it appears. Every adoption is stored, then told to the listeners (the sync service
 * sends it to every session and closes those of revoked remotes; the device login stops a revoked device).
 */

/** The online peer's revocation list: verified, stored, picked up from the authority's directory. Thread-safe. */
final class PeerRevocations implements RevocationVerifier {
    private static final Logger log = LoggerFactory.getLogger(PeerRevocations.class);

    private final X509Certificate anchor;
    private final Path file;
    private final @Nullable Path authorityFile;
    private final List<Consumer<VerifiedRevocations>> listeners = new CopyOnWriteArrayList<>();
    private final RevocationState state;
    private volatile boolean loading = true;
    /** The authority file's size and modification time when last read, to read it only when it changed. */
    private @Nullable String authorityFileSeen; // the login thread only

    private PeerRevocations(X509Certificate anchor, Path databaseDirectory, @Nullable Path authorityDirectory) {
        this.anchor = anchor;
        this.file = databaseDirectory.resolve(RevocationList.FILE);
        this.authorityFile = authorityDirectory == null ? null : authorityDirectory.resolve(RevocationList.FILE);
        this.state = new RevocationState(this, this::adopted);
    }

    /**
     * The peer's list: the one stored in {@code databaseDirectory}, or the authority's when this peer is the authority
     * and it holds a newer one. A stored list that does not verify is reported and ignored (a newer one comes from the
     * first peer that holds it).
     */
    static PeerRevocations load(X509Certificate anchor, Path databaseDirectory, @Nullable Path authorityDirectory) {
        PeerRevocations r = new PeerRevocations(anchor, databaseDirectory, authorityDirectory);
        r.adoptFile(r.file, "stored");
        r.loading = false;
        r.pollAuthorityFile();
        return r;
    }

    /** The state the sync sessions share. */
    RevocationState state() {
        return state;
    }

    VerifiedRevocations current() {
        return state.current();
    }

    /** Tells {@code listener} of every list adopted from now on (on the thread that adopted it, in order). */
    void addListener(Consumer<VerifiedRevocations> listener) {
        listeners.add(listener);
    }

    /** Why the list held revokes this user or device, or null when it does not. */
    @Nullable
    String why(String userId, String deviceKeyFingerprint) {
        VerifiedRevocations list = current();
        if (list.users().contains(userId)) {
            return "user '" + userId + "' is revoked by revocation list " + list.serial();
        }
        if (list.devices().contains(deviceKeyFingerprint)) {
            return "device " + deviceKeyFingerprint.substring(0, 16) + "… of user '" + userId
                    + "' is revoked by revocation list " + list.serial();
        }
        return null;
    }

    /** The list's signature against the trust anchor, and its number against the one the remote announced. */
    @Override
    public Verdict verify(long serial, byte[] list) {
        try {
            RevocationList decoded = RevocationList.decode(list, anchor);
            if (decoded.serial() != serial) {
                return Verdict.refused(
                        "the revocation list is number " + decoded.serial() + " but was sent as number " + serial);
            }
            return Verdict.accepted(VerifiedRevocations.of(serial, list, decoded.users(), decoded.devices()));
        } catch (AuthException e) {
            return Verdict.refused(e.code().id() + ": " + e.getMessage());
        } catch (RuntimeException e) {
            return Verdict.refused("the revocation list cannot be verified: " + e);
        }
    }

    /**
     * On the authority: adopts the list in the authority's directory if it changed since the last look and is newer.
     * Cheap when nothing changed (one file-attribute read).
     */
    void pollAuthorityFile() {
        Path f = authorityFile;
        if (f == null) return;
        String seen;
        try {
            BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
            seen = a.size() + "@" + a.lastModifiedTime().toMillis() + "#" + a.fileKey();
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            log.warn("cannot read {}: {}", f, e.toString());
            return;
        }
        if (seen.equals(authorityFileSeen)) return;
        authorityFileSeen = seen;
        adoptFile(f, "issued");
    }

    private void adoptFile(Path f, String what) {
        RevocationList list;
        try {
            list = RevocationList.load(f, anchor);
        } catch (AuthException e) {
            log.warn("revocations: the {} list is not used: {}", what, e.getMessage());
            return;
        }
        if (list.serial() == 0) return;
        VerifiedRevocations v = VerifiedRevocations.of(list.serial(), list.encoded(), list.users(), list.devices());
        if (state.adopt(v)) {
            log.info(
                    "revocations: {} revocation list {} adopted ({} users, {} devices revoked)",
                    what,
                    list.serial(),
                    list.users().size(),
                    list.devices().size());
        }
    }

    /** Under the state's lock: stores the list, then tells the listeners. */
    private void adopted(VerifiedRevocations list) {
        if (!loading) {
            try {
                RevocationList.decode(list.encoded(), anchor).save(file);
            } catch (AuthException e) {
                log.warn("revocations: cannot store revocation list {}: {}", list.serial(), e.getMessage());
            }
        }
        for (Consumer<VerifiedRevocations> l : listeners) {
            try {
                l.accept(list);
            } catch (RuntimeException e) {
                log.warn("revocations: a listener failed on list {}", list.serial(), e);
            }
        }
    }

    @Override
    public String toString() {
        return "PeerRevocations[" + Objects.toString(current()) + "]";
    }
}
