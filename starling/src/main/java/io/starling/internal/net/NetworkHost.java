package io.starling.internal.net;

import io.starling.StarlingConfig;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** What an instance offers its network stack. Thread-safe. */
public interface NetworkHost {

    /** This peer's id (its site id): the subject of its certificate in shared-key mode. */
    long peerId();

    /** The app id; LAN discovery advertises its hash and connects only to peers of the same app. */
    String appId();

    /** The sync protocol version this peer speaks (advertised by discovery). */
    int protocolVersion();

    /** The resolved configuration: identity, listen and connect endpoints, LAN, connection limit. */
    StarlingConfig config();

    /**
     * A new connection (either direction), ready for messages: starts a sync session on it and returns where
     * its incoming messages go. In shared-key mode {@code info.authenticatedPeerId()} is the peer id from the
     * verified certificate and the session is refused unless the peer's HELLO carries the same id.
     */
    MessageChannel.Receiver attach(MessageChannel channel, ConnectionInfo info);

    /** True while a sync session with {@code peerId} is established (a dialer waits instead of redialing). */
    boolean isConnected(long peerId);

    /** Bytes that crossed the network (after framing and encryption) — the {@code /metrics} byte counters. */
    void recordBytes(long sent, long received);

    /**
     * Online identity mode: what this peer presents in TLS now, or null while it holds no valid device certificate
     * (before its first login, after it expired): then it neither dials nor accepts. Asked for each new connection, so
     * a renewed certificate is used from the next connection on. Null in the other modes.
     */
    default @Nullable DeviceTls deviceTls() {
        return null;
    }

    /**
     * Online identity mode: verifies the certificate chain a remote presented in the TLS handshake (device certificate
     * first) against this peer's trust anchor and clock. Called by the TLS trust manager, so a refusal fails the
     * handshake before any sync byte flows.
     *
     * @throws CertificateException saying why, in words fit for both logs: another authority, expired, not yet valid,
     *     not a device certificate or malformed claims
     */
    default RemoteIdentity verifyRemote(List<X509Certificate> chain) throws CertificateException {
        throw new CertificateException("this peer is not in the online identity mode");
    }

    /** A connection refused before a session started (limit, TLS, bad upgrade): counted and logged by the caller. */
    void recordRefused(String reason);
}
