package io.starling.internal.auth;

import io.starling.internal.core.Value;
import io.starling.internal.query.Permissions;
import java.time.Instant;

/**
 * Who a verified device certificate names: its user, what that user may read and write, the metadata the provider
 * gave, when the certificate expires, and the device key's fingerprint (SHA-256 of its SubjectPublicKeyInfo, hex).
 * Immutable.
 */
public record VerifiedIdentity(
        String userId, Permissions permissions, Value.Obj metadata, Instant expiresAt, String deviceKeyFingerprint) {}
