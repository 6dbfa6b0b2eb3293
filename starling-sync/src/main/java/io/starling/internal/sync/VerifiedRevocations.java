package io.starling.internal.sync;

import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A revocation list that a {@link RevocationVerifier} accepted: its number, its signed bytes (opaque to sync: they
 * travel as they are, so that every peer verifies the authority's signature itself), and whom it revokes — users by id,
 * devices by the fingerprint of their key (docs/SYNC-PROTOCOL.md, "Revocations"). Immutable and thread-safe; the bytes
 * are not copied, so whoever holds them must not modify them.
 */
public final class VerifiedRevocations {
    /** What a peer holds before any list: number 0, nothing revoked, nothing to send. */
    public static final VerifiedRevocations NONE =
            new VerifiedRevocations(0, new byte[0], Collections.emptySet(), Collections.emptySet());

    private final long serial;
    private final byte[] encoded;
    private final Set<String> users;
    private final Set<String> devices;

    private VerifiedRevocations(long serial, byte[] encoded, Set<String> users, Set<String> devices) {
        this.serial = serial;
        this.encoded = encoded;
        this.users = users;
        this.devices = devices;
    }

    /**
     * A verified list.
     *
     * @param serial its number, at least 1
     * @param encoded its signed bytes, 1 to {@link Message.Revocations#MAX_BYTES}
     * @param users the revoked user ids
     * @param devices the revoked device key fingerprints (as {@link RemoteIdentity#deviceKey()} spells them)
     */
    public static VerifiedRevocations of(
            long serial, byte[] encoded, Collection<String> users, Collection<String> devices) {
        if (serial < 1) throw new IllegalArgumentException("a revocation list's number is at least 1: " + serial);
        Objects.requireNonNull(encoded, "encoded");
        if (encoded.length == 0 || encoded.length > Message.Revocations.MAX_BYTES) {
            throw new IllegalArgumentException(
                    "a revocation list is 1 to " + Message.Revocations.MAX_BYTES + " bytes: " + encoded.length);
        }
        return new VerifiedRevocations(
                serial,
                encoded,
                Collections.unmodifiableSet(new TreeSet<>(users)),
                Collections.unmodifiableSet(new TreeSet<>(devices)));
    }

    /** The list's number: 0 for {@link #NONE}, then higher with every list the authority issues. */
    public long serial() {
        return serial;
    }

    /** The signed bytes, as the authority made them (empty for {@link #NONE}). Not a copy: do not modify. */
    public byte[] encoded() {
        return encoded;
    }

    public Set<String> users() {
        return users;
    }

    public Set<String> devices() {
        return devices;
    }

    /** Whether this list revokes the remote's user or its device key (a remote with neither is never revoked). */
    public boolean revokes(RemoteIdentity remote) {
        return why(remote) != null;
    }

    /** Why this list revokes the remote, in words for both sides' logs, or null when it does not. */
    public @org.jspecify.annotations.Nullable String why(RemoteIdentity remote) {
        if (!remote.userId().isEmpty() && users.contains(remote.userId())) {
            return "user '" + remote.userId() + "' is revoked by revocation list " + serial;
        }
        if (!remote.deviceKey().isEmpty() && devices.contains(remote.deviceKey())) {
            return "device "
                    + remote.deviceKey()
                            .substring(0, Math.min(16, remote.deviceKey().length())) + "… of user '" + remote.userId()
                    + "' is revoked by revocation list " + serial;
        }
        return null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VerifiedRevocations v && serial == v.serial && Arrays.equals(encoded, v.encoded);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(serial) * 31 + Arrays.hashCode(encoded);
    }

    @Override
    public String toString() {
        return "VerifiedRevocations[" + serial + ", " + users.size() + " users, " + devices.size() + " devices]";
    }
}
