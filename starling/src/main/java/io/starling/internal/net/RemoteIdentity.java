package io.starling.internal.net;

import io.starling.internal.core.Value;
import io.starling.internal.query.Permissions;
import java.time.Instant;
import java.util.Objects;

/**
 * Who the remote end of a connection is, as its verified device certificate says (online identity mode only): the
 * transport checked, during the TLS handshake and before any sync message, that the certificate chains to this
 * peer's trust anchor, is valid now (with the skew tolerance), carries well-formed claims, and that the remote holds
 * its private key (the TLS 1.3 CertificateVerify signature). A plain immutable value; it says nothing about what to
 * do with it — the sync layer enforces the permissions.
 *
 * @param userId the user the authority logged in
 * @param permissions what that user may read and write (parsed and checked; conditions may use {@code :userId} and
 *     {@code :metadata.…})
 * @param metadata the metadata the login provider gave (a JSON object, at most 4 KiB)
 * @param notBefore the certificate's start of validity
 * @param expiresAt the certificate's end of validity: a session must not outlive it
 * @param serialNumber the certificate's serial number, lowercase hex
 * @param issuer the issuer's distinguished name (the authority)
 * @param deviceKeyFingerprint SHA-256 of the device's public key (SubjectPublicKeyInfo), 64 lowercase hex digits: the
 *     device's lasting identity across renewals
 * @param peerId the peer id the certificate is bound to, which the remote's HELLO must claim; 0 for a certificate issued
 *     before certificates named peer ids (then nothing binds the HELLO's)
 */
public record RemoteIdentity(
        String userId,
        Permissions permissions,
        Value.Obj metadata,
        Instant notBefore,
        Instant expiresAt,
        String serialNumber,
        String issuer,
        String deviceKeyFingerprint,
        long peerId) {
    public RemoteIdentity {
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(permissions, "permissions");
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(notBefore, "notBefore");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(serialNumber, "serialNumber");
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(deviceKeyFingerprint, "deviceKeyFingerprint");
    }
}
