package io.starling.internal.auth;

import io.starling.internal.core.Value;
import io.starling.internal.query.Permissions;
import java.time.Instant;

/**
 * Who a verified device certificate names: its user, what that user may read and write, the metadata the provider
 * gave, when the certificate expires, the device key's fingerprint (SHA-256 of its SubjectPublicKeyInfo, hex), and
 * the peer id the certificate is bound to — 0 when it names none (issued before certificates named peer ids).
 * Immutable.
 */
public record VerifiedIdentity(
        String userId,
        Permissions permissions,
        Value.Obj metadata,
        Instant expiresAt,
        String deviceKeyFingerprint,
        long peerId) {}
